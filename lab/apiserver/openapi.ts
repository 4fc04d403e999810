// OpenAPI documents for the kinds served, derived from the store's decoding schema (api/schema.ts):
// v3 per group version (`/openapi/v3`, `/openapi/v3/apis/<g>/<v>`) as kubectl explain and kubectl's
// field-validation check read them (schemas tagged with x-kubernetes-group-version-kind; PATCH
// operations that take `fieldValidation`, so kubectl leaves validation to the server), and v2
// (`/openapi/v2`, JSON) for other clients. Client-side apply computes strategic merge patches from
// its own compiled-in types: the PATCH operations deliberately do not offer
// application/strategic-merge-patch+json, which would make kubectl derive patch metadata from these
// (partial) schemas instead.
import { type Kind, kindSchema, type Shape, type Struct } from '../../api/index.js';
import { type Resource, resources } from './resources.js';
import { listMeta } from './strategic.js';

type Schema = Record<string, unknown>;

const pkgOf = (group: string) =>
  group === '' ? 'io.k8s.api.core.v1' : `io.k8s.api.${group.split('.')[0]}.v1`;
const metaPkg = 'io.k8s.apimachinery.pkg.apis.meta.v1';
const metaStructs = new Set(['ObjectMeta', 'OwnerReference', 'LabelSelector', 'LabelSelectorRequirement']);

/** Field descriptions kubectl explain shows; the texts follow the Kubernetes API reference. */
const docs: Record<string, string> = {
  'Service.spec':
    'Spec defines the behavior of a service. https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#spec-and-status',
  'Service.status':
    'Most recently observed status of the service. Populated by the system. Read-only. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#spec-and-status',
  ServiceSpec: 'ServiceSpec describes the attributes that a user creates on a service.',
  'ServiceSpec.ports': 'The list of ports that are exposed by this service.',
  'ServiceSpec.selector':
    'Route service traffic to pods with label keys and values matching this selector. If empty or not present, the service is assumed to have an external process managing its endpoints, which Kubernetes will not modify.',
  'ServiceSpec.clusterIP':
    'clusterIP is the IP address of the service and is usually assigned randomly. If an address is specified manually, is in-range (as per system configuration), and is not in use, it will be allocated to the service; otherwise creation of the service will fail. "None" makes a headless service.',
  'ServiceSpec.clusterIPs':
    'ClusterIPs is a list of IP addresses assigned to this service, and are usually assigned randomly. The first one matches clusterIP.',
  'ServiceSpec.type':
    'type determines how the Service is exposed. Defaults to ClusterIP. Valid options are ExternalName, ClusterIP, NodePort, and LoadBalancer.',
  'ServiceSpec.externalIPs':
    'externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service.',
  'ServiceSpec.sessionAffinity':
    'Supports "ClientIP" and "None". Used to maintain session affinity. Enable client IP based session affinity. Must be ClientIP or None. Defaults to None.',
  'ServiceSpec.externalName':
    'externalName is the external reference that discovery mechanisms will return as an alias for this service (e.g. a DNS CNAME record).',
  'ServiceSpec.externalTrafficPolicy':
    'externalTrafficPolicy describes how nodes distribute service traffic they receive on one of the Service\'s "externally-facing" addresses (NodePorts, ExternalIPs, and LoadBalancer IPs). "Local" preserves the client source IP; "Cluster" obscures it and may cause a second hop.',
  'ServiceSpec.internalTrafficPolicy':
    'InternalTrafficPolicy describes how nodes distribute service traffic they receive on the ClusterIP. If set to "Local", the proxy will assume that pods only want to talk to endpoints of the service on the same node as the pod.',
  'ServiceSpec.healthCheckNodePort':
    'healthCheckNodePort specifies the healthcheck nodePort for the service. This only applies when type is set to LoadBalancer and externalTrafficPolicy is set to Local.',
  'ServiceSpec.publishNotReadyAddresses':
    'publishNotReadyAddresses indicates that any agent which deals with endpoints for this Service should disregard any indications of ready/not-ready.',
  'ServiceSpec.sessionAffinityConfig':
    'sessionAffinityConfig contains the configurations of session affinity.',
  'ServiceSpec.ipFamilies': 'IPFamilies is a list of IP families (e.g. IPv4, IPv6) assigned to this service.',
  'ServiceSpec.ipFamilyPolicy':
    'IPFamilyPolicy represents the dual-stack-ness requested or required by this Service: SingleStack, PreferDualStack or RequireDualStack.',
  'ServiceSpec.allocateLoadBalancerNodePorts':
    'allocateLoadBalancerNodePorts defines if NodePorts will be automatically allocated for services with type LoadBalancer. Default is "true".',
  'ServiceSpec.loadBalancerIP': 'Only applies to Service Type: LoadBalancer. Deprecated.',
  'ServiceSpec.loadBalancerSourceRanges':
    'If specified and supported by the platform, traffic through the cloud-provider load-balancer will be restricted to the specified client IPs.',
  'ServiceSpec.loadBalancerClass':
    'loadBalancerClass is the class of the load balancer implementation this Service belongs to.',
  'ServiceSpec.trafficDistribution':
    'TrafficDistribution offers a way to express preferences for how traffic is distributed to Service endpoints.',
  ServicePort: "ServicePort contains information on service's port.",
  'ServicePort.name': 'The name of this port within the service. This must be a DNS_LABEL.',
  'ServicePort.protocol': 'The IP protocol for this port. Supports "TCP", "UDP", and "SCTP". Default is TCP.',
  'ServicePort.port': 'The port that will be exposed by this service.',
  'ServicePort.targetPort':
    "Number or name of the port to access on the pods targeted by the service. If this is a string, it will be looked up as a named port in the target Pod's container ports.",
  'ServicePort.nodePort':
    'The port on each node on which this service is exposed when type is NodePort or LoadBalancer. Usually assigned by the system.',
  'ServicePort.appProtocol': 'The application protocol for this port.',
  ObjectMeta:
    'ObjectMeta is metadata that all persisted resources must have, which includes all objects users must create.',
  apiVersion:
    'APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values.',
  kind: 'Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to. Cannot be updated. In CamelCase.',
  metadata: "Standard object's metadata.",
  spec: 'Specification of the desired behavior.',
  status: 'Most recently observed status. Populated by the system. Read-only.',
  Service:
    'Service is a named abstraction of software service (for example, mysql) consisting of local port (for example 3306) that the proxy listens on, and the selector that determines which pods will answer requests sent through the proxy.',
  Pod: 'Pod is a collection of containers that can run on a host. This resource is created by clients and scheduled onto hosts.',
  Deployment: 'Deployment enables declarative updates for Pods and ReplicaSets.',
  EndpointSlice: 'EndpointSlice represents a subset of the endpoints that implement a service.',
};

class Builder {
  readonly schemas: Record<string, Schema> = {};
  constructor(
    private readonly pkg: string,
    private readonly ref: (name: string) => string,
  ) {}

  nameOf(s: Struct): string {
    return `${metaStructs.has(s.go) ? metaPkg : this.pkg}.${s.go}`;
  }

  shape(kind: string, shape: Shape, path: string[], holder: string, field: string): Schema {
    const description = docs[`${holder}.${field}`] ?? docs[field];
    const withDoc = (s: Schema): Schema => (description ? { description, ...s } : s);
    if (typeof shape === 'string') {
      switch (shape) {
        case 'string':
          return withDoc({ type: 'string' });
        case 'int32':
        case 'int64':
          return withDoc({ type: 'integer', format: shape });
        case 'bool':
          return withDoc({ type: 'boolean' });
        case 'IntOrString':
          return withDoc({ 'x-kubernetes-int-or-string': true, format: 'int-or-string' });
        case 'Time':
          return withDoc({ type: 'string', format: 'date-time' });
        default:
          return withDoc({ type: 'object', 'x-kubernetes-preserve-unknown-fields': true });
      }
    }
    if ('list' in shape) {
      const meta = listMeta(kind, path);
      const items = this.shape(kind, shape.list, path, holder, '');
      delete items.description;
      return withDoc({
        type: 'array',
        items,
        ...(meta.mergeKey
          ? {
              'x-kubernetes-list-map-keys': [meta.mergeKey],
              'x-kubernetes-list-type': 'map',
              'x-kubernetes-patch-merge-key': meta.mergeKey,
              'x-kubernetes-patch-strategy': 'merge',
            }
          : meta.set
            ? { 'x-kubernetes-list-type': 'set', 'x-kubernetes-patch-strategy': 'merge' }
            : { 'x-kubernetes-list-type': 'atomic' }),
      });
    }
    if ('map' in shape) {
      const v = this.shape(kind, shape.map, path, holder, '');
      delete v.description;
      return withDoc({ type: 'object', additionalProperties: v });
    }
    const name = this.struct(kind, shape, path);
    return withDoc({ allOf: [{ $ref: this.ref(name) }], default: {} });
  }

  struct(kind: string, s: Struct, path: string[], extra: Schema = {}): string {
    const name = this.nameOf(s);
    if (this.schemas[name]) return name;
    const schema: Schema = { type: 'object', ...(docs[s.go] ? { description: docs[s.go] } : {}), ...extra };
    this.schemas[name] = schema;
    const properties: Record<string, Schema> = {};
    for (const f of Object.keys(s.fields).sort())
      properties[f] = this.shape(kind, s.fields[f]!, [...path, f], s.go, f);
    schema.properties = properties;
    if (!s.closed) schema['x-kubernetes-preserve-unknown-fields'] = true;
    return name;
  }
}

function gvk(r: Resource): { group: string; version: string; kind: string } {
  return { group: r.group, version: r.version, kind: r.kind };
}

const fieldValidation = {
  name: 'fieldValidation',
  in: 'query',
  description:
    'fieldValidation instructs the server on how to handle objects in the request (POST/PUT/PATCH) containing unknown or duplicate fields. Valid values are: Ignore, Warn, Strict.',
  schema: { type: 'string', uniqueItems: true },
};

/** The OpenAPI v3 document of one group version (`v1`, `apps/v1`). */
export function openAPIV3(groupVersion: string): unknown | undefined {
  const served = resources.filter((r) => r.groupVersion === groupVersion);
  if (served.length === 0) return undefined;
  const b = new Builder(pkgOf(served[0]!.group), (n) => `#/components/schemas/${n}`);
  const paths: Record<string, unknown> = {};
  const prefix = groupVersion === 'v1' ? '/api/v1' : `/apis/${groupVersion}`;
  for (const r of served) {
    const name = b.struct(r.kind, kindSchema(r.kind as Kind), [], {
      'x-kubernetes-group-version-kind': [gvk(r)],
    });
    const ref = { $ref: `#/components/schemas/${name}` };
    const json = { content: { 'application/json': { schema: ref } } };
    const op = (action: string, extra: Schema = {}) => ({
      operationId: `${action}${r.kind}`,
      'x-kubernetes-action': action,
      'x-kubernetes-group-version-kind': gvk(r),
      responses: { '200': { description: 'OK', ...json } },
      ...extra,
    });
    const ns = r.namespaced ? '/namespaces/{namespace}' : '';
    paths[`${prefix}${ns}/${r.resource}`] = {
      get: op('list'),
      post: op('post', { parameters: [fieldValidation], requestBody: json }),
    };
    paths[`${prefix}${ns}/${r.resource}/{name}`] = {
      get: op('get'),
      put: op('put', { parameters: [fieldValidation], requestBody: json }),
      patch: op('patch', {
        parameters: [fieldValidation],
        requestBody: {
          content: {
            'application/json-patch+json': { schema: { type: 'object' } },
            'application/merge-patch+json': { schema: { type: 'object' } },
            'application/apply-patch+yaml': { schema: { type: 'object' } },
          },
        },
      }),
      delete: op('delete'),
    };
  }
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: 'v1.32.0' },
    paths,
    components: { schemas: b.schemas },
  };
}

/** `/openapi/v3`: where each group version's document is. */
export function openAPIV3Index(hash: (gv: string) => string): unknown {
  const paths: Record<string, unknown> = {};
  for (const gv of new Set(resources.map((r) => r.groupVersion))) {
    const p = gv === 'v1' ? 'api/v1' : `apis/${gv}`;
    paths[p] = { serverRelativeURL: `/openapi/v3/${p}?hash=${hash(gv)}` };
  }
  return { paths };
}

/** The OpenAPI v2 (Swagger) document of everything served. */
export function openAPIV2(): unknown {
  const definitions: Record<string, Schema> = {};
  for (const gv of new Set(resources.map((r) => r.groupVersion))) {
    const served = resources.filter((r) => r.groupVersion === gv);
    const b = new Builder(pkgOf(served[0]!.group), (n) => `#/definitions/${n}`);
    for (const r of served)
      b.struct(r.kind, kindSchema(r.kind as Kind), [], { 'x-kubernetes-group-version-kind': [gvk(r)] });
    Object.assign(definitions, b.schemas);
  }
  return { swagger: '2.0', info: { title: 'Kubernetes', version: 'v1.32.0' }, paths: {}, definitions };
}
