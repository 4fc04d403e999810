// Decoding checks: what kube-apiserver's JSON decoder refuses before validation even runs (a string
// where an int32 goes, an unknown field under strict field validation, which kubectl asks for by
// default). The schema is data: the Go type name of each struct (it appears in the messages) and
// the JSON type of each field. Structs not listed here are carried through unchecked.
import type { FieldError } from './fielderrors.js';
import type { Kind } from './types.js';

export type Leaf = 'string' | 'int32' | 'int64' | 'bool' | 'IntOrString' | 'any' | 'Time';
export type Shape = Leaf | Struct | { map: Leaf } | { list: Shape };
export interface Struct {
  go: string;
  /** Unknown fields are refused only in closed structs (those listed completely here). */
  closed: boolean;
  fields: Record<string, Shape>;
}

const struct = (go: string, fields: Record<string, Shape>, closed = true): Struct => ({ go, closed, fields });
const strings = { list: 'string' } as const;
const stringMap = { map: 'string' } as const;

const ownerReference = struct('OwnerReference', {
  apiVersion: 'string',
  kind: 'string',
  name: 'string',
  uid: 'string',
  controller: 'bool',
  blockOwnerDeletion: 'bool',
});

const objectMeta = struct('ObjectMeta', {
  name: 'string',
  generateName: 'string',
  namespace: 'string',
  selfLink: 'string',
  uid: 'string',
  resourceVersion: 'string',
  generation: 'int64',
  creationTimestamp: 'Time',
  deletionTimestamp: 'Time',
  deletionGracePeriodSeconds: 'int64',
  labels: stringMap,
  annotations: stringMap,
  ownerReferences: { list: ownerReference },
  finalizers: strings,
  managedFields: { list: 'any' },
});

const labelSelector = struct('LabelSelector', {
  matchLabels: stringMap,
  matchExpressions: {
    list: struct('LabelSelectorRequirement', { key: 'string', operator: 'string', values: strings }),
  },
});

const servicePort = struct('ServicePort', {
  name: 'string',
  protocol: 'string',
  appProtocol: 'string',
  port: 'int32',
  targetPort: 'IntOrString',
  nodePort: 'int32',
});

const serviceSpec = struct('ServiceSpec', {
  ports: { list: servicePort },
  selector: stringMap,
  clusterIP: 'string',
  clusterIPs: strings,
  type: 'string',
  externalIPs: strings,
  sessionAffinity: 'string',
  loadBalancerIP: 'string',
  loadBalancerSourceRanges: strings,
  externalName: 'string',
  externalTrafficPolicy: 'string',
  healthCheckNodePort: 'int32',
  publishNotReadyAddresses: 'bool',
  sessionAffinityConfig: struct('SessionAffinityConfig', {
    clientIP: struct('ClientIPConfig', { timeoutSeconds: 'int32' }),
  }),
  ipFamilies: strings,
  ipFamilyPolicy: 'string',
  allocateLoadBalancerNodePorts: 'bool',
  loadBalancerClass: 'string',
  internalTrafficPolicy: 'string',
  trafficDistribution: 'string',
});

const containerPort = struct('ContainerPort', {
  name: 'string',
  hostPort: 'int32',
  containerPort: 'int32',
  protocol: 'string',
  hostIP: 'string',
});

const probe = struct(
  'Probe',
  {
    httpGet: struct(
      'HTTPGetAction',
      { port: 'IntOrString', path: 'string', host: 'string', scheme: 'string' },
      false,
    ),
    tcpSocket: struct('TCPSocketAction', { port: 'IntOrString', host: 'string' }),
    initialDelaySeconds: 'int32',
    timeoutSeconds: 'int32',
    periodSeconds: 'int32',
    successThreshold: 'int32',
    failureThreshold: 'int32',
  },
  false,
);

const container = struct(
  'Container',
  {
    name: 'string',
    image: 'string',
    command: strings,
    args: strings,
    ports: { list: containerPort },
    readinessProbe: probe,
    livenessProbe: probe,
    startupProbe: probe,
  },
  false,
);

const podSpec = struct(
  'PodSpec',
  {
    containers: { list: container },
    initContainers: { list: container },
    nodeName: 'string',
    hostname: 'string',
    subdomain: 'string',
    setHostnameAsFQDN: 'bool',
    hostNetwork: 'bool',
    dnsPolicy: 'string',
    restartPolicy: 'string',
    terminationGracePeriodSeconds: 'int64',
    nodeSelector: stringMap,
  },
  false,
);

const podTemplate = struct('PodTemplateSpec', { metadata: objectMeta, spec: podSpec });

const endpointPort = struct('EndpointPort', {
  name: 'string',
  protocol: 'string',
  port: 'int32',
  appProtocol: 'string',
});

const objectReference = struct('ObjectReference', {
  kind: 'string',
  namespace: 'string',
  name: 'string',
  uid: 'string',
  apiVersion: 'string',
  resourceVersion: 'string',
  fieldPath: 'string',
});

const endpoint = struct('Endpoint', {
  addresses: strings,
  conditions: struct('EndpointConditions', { ready: 'bool', serving: 'bool', terminating: 'bool' }),
  hostname: 'string',
  targetRef: objectReference,
  deprecatedTopology: stringMap,
  nodeName: 'string',
  zone: 'string',
  hints: struct('EndpointHints', {
    forZones: { list: struct('ForZone', { name: 'string' }) },
    forNodes: { list: struct('ForNode', { name: 'string' }) },
  }),
});

const endpointAddress = struct('EndpointAddress', {
  ip: 'string',
  hostname: 'string',
  nodeName: 'string',
  targetRef: objectReference,
});

const top = (go: string, fields: Record<string, Shape>, closed = true): Struct =>
  struct(go, { apiVersion: 'string', kind: 'string', metadata: objectMeta, ...fields }, closed);

const eventSource = struct('EventSource', { component: 'string', host: 'string' });

const kindSchemas: { readonly [K in Kind]: Struct } = {
  Event: top('Event', {
    involvedObject: objectReference,
    reason: 'string',
    message: 'string',
    source: eventSource,
    firstTimestamp: 'Time',
    lastTimestamp: 'Time',
    count: 'int32',
    type: 'string',
    eventTime: 'Time',
    series: struct('EventSeries', { count: 'int32', lastObservedTime: 'Time' }),
    action: 'string',
    related: objectReference,
    reportingComponent: 'string',
    reportingInstance: 'string',
  }),
  Namespace: top('Namespace', { spec: struct('NamespaceSpec', { finalizers: strings }), status: 'any' }),
  Node: top('Node', {
    spec: struct(
      'NodeSpec',
      { podCIDR: 'string', podCIDRs: strings, providerID: 'string', unschedulable: 'bool' },
      false,
    ),
    status: 'any',
  }),
  Pod: top('Pod', { spec: podSpec, status: 'any' }),
  Service: top('Service', { spec: serviceSpec, status: 'any' }),
  Endpoints: top('Endpoints', {
    subsets: {
      list: struct('EndpointSubset', {
        addresses: { list: endpointAddress },
        notReadyAddresses: { list: endpointAddress },
        ports: {
          list: struct('EndpointPort', {
            name: 'string',
            port: 'int32',
            protocol: 'string',
            appProtocol: 'string',
          }),
        },
      }),
    },
  }),
  EndpointSlice: top('EndpointSlice', {
    addressType: 'string',
    endpoints: { list: endpoint },
    ports: { list: endpointPort },
  }),
  Deployment: top('Deployment', {
    spec: struct(
      'DeploymentSpec',
      { replicas: 'int32', selector: labelSelector, template: podTemplate, minReadySeconds: 'int32' },
      false,
    ),
    status: 'any',
  }),
  ReplicaSet: top('ReplicaSet', {
    spec: struct(
      'ReplicaSetSpec',
      { replicas: 'int32', selector: labelSelector, template: podTemplate, minReadySeconds: 'int32' },
      false,
    ),
    status: 'any',
  }),
  StatefulSet: top('StatefulSet', {
    spec: struct(
      'StatefulSetSpec',
      { replicas: 'int32', selector: labelSelector, template: podTemplate, serviceName: 'string' },
      false,
    ),
    status: 'any',
  }),
  ControllerRevision: top('ControllerRevision', { data: 'any', revision: 'int64' }),
  Lease: top('Lease', {
    spec: struct('LeaseSpec', {
      holderIdentity: 'string',
      leaseDurationSeconds: 'int32',
      acquireTime: 'string',
      renewTime: 'string',
      leaseTransitions: 'int32',
      strategy: 'string',
      preferredHolder: 'string',
    }),
  }),
};

/** The decoder's schema of a kind (the kube-API derives its OpenAPI documents from it). */
export function kindSchema(kind: Kind): Struct {
  return kindSchemas[kind];
}

function jsonType(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'boolean') return 'bool';
  return typeof v; // string, number, object
}

const int32Range = [-2147483648, 2147483647] as const;

export interface DecodeProblem {
  /** Field path as validation prints it (`spec.ports[0].port`). */
  field: string;
  /** The decoder's words. */
  message: string;
}

/**
 * Frozen values (the store's own, never changed again) that decoded without a problem, with the
 * shape they were decoded as: a client that passes a stored part on (a ReplicaSet's template spec
 * into each of its Pods) has it walked once, not once a Pod.
 */
const decodedClean = new WeakMap<object, Shape>();

/**
 * One decode's walk. A class, not closures made per call: under tsx (the benches) every named
 * closure is renamed at its creation, which cost more than the walk of a small object.
 */
class Decoder {
  readonly out: DecodeProblem[] = [];
  // The path is kept as a stack of segments and spelled out only for a problem: most objects have
  // none, and building every field's path string was most of the cost of a decode.
  readonly segs: (string | number)[] = [];

  fieldPath(): string {
    let p = '';
    for (const s of this.segs)
      p += typeof s === 'number' ? `[${s}]` : s.startsWith('\0') ? `[${s.slice(1)}]` : p ? `.${s}` : s;
    return p;
  }

  // encoding/json names the struct that declares the field and the JSON path without indices:
  // `Go struct field ServicePort.spec.ports.port of type int32`.
  goPath(): string {
    return this.segs.filter((s) => typeof s === 'string' && !s.startsWith('\0')).join('.');
  }

  refuse(what: string, holder: string, goType: string): void {
    this.out.push({
      field: this.fieldPath(),
      message: `json: cannot unmarshal ${what} into Go struct field ${holder}.${this.goPath()} of type ${goType}`,
    });
  }

  walk(v: unknown, shape: Shape, holder: string): void {
    if (v === null || v === undefined || shape === 'any') return;
    if (typeof shape !== 'string' && typeof v === 'object' && Object.isFrozen(v)) {
      if (decodedClean.get(v) === shape) return;
      const before = this.out.length;
      this.walkShape(v, shape, holder);
      if (this.out.length === before) decodedClean.set(v, shape);
      return;
    }
    this.walkShape(v, shape, holder);
  }

  walkShape(v: unknown, shape: Shape, holder: string): void {
    const segs = this.segs;
    if (typeof shape === 'string') {
      const ok =
        shape === 'string' || shape === 'Time'
          ? typeof v === 'string'
          : shape === 'bool'
            ? typeof v === 'boolean'
            : shape === 'IntOrString'
              ? typeof v === 'string' || (typeof v === 'number' && Number.isInteger(v))
              : typeof v === 'number' &&
                Number.isInteger(v) &&
                (shape === 'int64' || (v >= int32Range[0] && v <= int32Range[1]));
      if (!ok) {
        // encoding/json quotes the literal only when a number does not fit the integer type.
        const numeric = shape === 'int32' || shape === 'int64' || shape === 'IntOrString';
        const what = typeof v === 'number' && numeric ? `number ${v}` : jsonType(v);
        this.refuse(what, holder, goTypeName(shape));
      }
      return;
    }
    if ('list' in shape) {
      if (!Array.isArray(v)) return void this.refuse(jsonType(v), holder, goTypeName(shape));
      for (let i = 0; i < v.length; i++) {
        segs.push(i);
        this.walk(v[i], shape.list, holder);
        segs.pop();
      }
      return;
    }
    if ('map' in shape) {
      if (typeof v !== 'object' || Array.isArray(v))
        return void this.refuse(jsonType(v), holder, goTypeName(shape));
      for (const k in v) {
        // A map key is an index in the field path (`labels[app]`) but not a Go field name.
        segs.push(`\0${k}`);
        this.walk((v as Record<string, unknown>)[k], shape.map, holder);
        segs.pop();
      }
      return;
    }
    if (typeof v !== 'object' || Array.isArray(v))
      return void this.refuse(jsonType(v), holder, goTypeName(shape));
    for (const k in v) {
      const sub = shape.fields[k];
      segs.push(k);
      if (sub === undefined) {
        if (shape.closed) {
          const p = this.fieldPath();
          this.out.push({ field: p, message: `unknown field "${p}"` });
        }
      } else this.walk((v as Record<string, unknown>)[k], sub, shape.go);
      segs.pop();
    }
  }
}

/** Walks `obj` against the kind's schema; returns what the decoder would refuse. */
export function decodeProblems(kind: Kind, obj: unknown): DecodeProblem[] {
  const d = new Decoder();
  if (typeof obj === 'object' && obj !== null) d.walk(obj, kindSchemas[kind], kindSchemas[kind].go);
  return d.out;
}

function goTypeName(s: Shape): string {
  if (typeof s === 'string') return s === 'IntOrString' ? 'intstr.IntOrString' : s === 'Time' ? 'v1.Time' : s;
  if ('go' in s) return `v1.${s.go}`;
  if ('list' in s) return `[]${goTypeName(s.list)}`;
  return `map[string]${goTypeName(s.map)}`;
}

/** Decode problems as field errors, so they can carry a line like validation errors. */
export function decodeFieldErrors(kind: Kind, obj: unknown): FieldError[] {
  return decodeProblems(kind, obj).map((p) => ({
    type: 'FieldValueTypeInvalid',
    field: p.field,
    badValue: '',
    detail: p.message,
  }));
}
