// The EndpointSlice controller's policy as a pure function: Service + Pods + Nodes -> the
// EndpointSlices kube-controller-manager would keep for that Service (k8s.io/endpointslice
// reconciler.go + utils.go). No store, no watch: lab/ calls it from its controller loop and tests
// call it directly. Where the real controller is non-deterministic (map iteration order, the random
// generateName suffix) this one is deterministic and says so.
import type {
  Container,
  Endpoint,
  EndpointPort,
  EndpointSlice,
  IPFamily,
  Node,
  Pod,
  Service,
  ServicePort,
} from '../../api/index.js';
import {
  labelHeadlessService,
  labelManagedBy,
  labelServiceName,
  labelTopologyZone,
  selectorFromSet,
} from '../../api/index.js';
import { fnv1a, isIPv6String, seededRandom } from '../../std/index.js';
import { InvalidMaxEndpointsPerSliceError } from './errors.js';

/** The controller name written into the managed-by label. */
export const endpointSliceControllerName = 'endpointslice-controller.k8s.io';
/** kube-controller-manager --max-endpoints-per-slice default. */
export const defaultMaxEndpointsPerSlice = 100;

export type EndpointSliceAddressType = 'IPv4' | 'IPv6';

export interface EndpointSliceOptions {
  /** 1..1000; default 100, as kube-controller-manager. */
  maxEndpointsPerSlice?: number;
}

export interface EndpointSliceReconcileResult {
  /** The slices, IPv4 before IPv6, then by port set; each with `generateName` and a `name`. */
  slices: EndpointSlice[];
  /**
   * What the controller would log and requeue for, e.g.
   * `skipping Pod web-1 for Service default/web: Node node-9 Not Found`.
   */
  errors: string[];
}

/** The EndpointSlices for one Service (see {@link reconcileEndpointSlices} for the errors too). */
export function endpointSlicesForService(
  service: Service,
  pods: readonly Pod[],
  nodes: readonly Node[] | NodeLookup,
  options: EndpointSliceOptions = {},
): EndpointSlice[] {
  return reconcileEndpointSlices(service, pods, nodes, options).slices;
}

/**
 * Desired EndpointSlices for `service`, given every Pod and Node the controller's informers hold.
 * Pods of other namespaces or not matching the selector are ignored here, as the controller's
 * lister does. A Service without a selector or of type ExternalName gets no slices (its slices are
 * someone else's or none); a Service whose pods yield no endpoints gets one empty placeholder slice
 * per address type, as the controller writes it.
 *
 * @example
 * const slices = endpointSlicesForService(svc, store.list('Pod').items, store.list('Node').items);
 */
export function reconcileEndpointSlices(
  service: Service,
  pods: readonly Pod[],
  nodes: readonly Node[] | NodeLookup,
  options: EndpointSliceOptions = {},
): EndpointSliceReconcileResult {
  const maxEndpoints = options.maxEndpointsPerSlice ?? defaultMaxEndpointsPerSlice;
  if (!Number.isInteger(maxEndpoints) || maxEndpoints < 1 || maxEndpoints > 1000) {
    throw new InvalidMaxEndpointsPerSliceError(maxEndpoints);
  }
  const errors: string[] = [];
  const selector = service.spec.selector;
  // An empty selector is stored as nil by the API server, so it selects nothing here either.
  if (service.spec.type === 'ExternalName' || !selector || Object.keys(selector).length === 0) {
    return { slices: [], errors };
  }
  // finalize(): no creates while the Service is being deleted; the garbage collector takes the rest.
  if (service.metadata.deletionTimestamp) return { slices: [], errors };

  const namespace = service.metadata.namespace ?? 'default';
  // The controller's node lister answers by name; a list is indexed once per call.
  const nodesByName: NodeLookup = isNodeList(nodes)
    ? new Map(nodes.map((n) => [n.metadata.name ?? '', n]))
    : nodes;
  // A Service selector is a set (matchLabels equality), as labels.SelectorFromSet reads it.
  const podSelector = selectorFromSet(selector);
  const selected: Pod[] = [];
  for (const p of pods)
    if (
      (p.metadata.namespace ?? 'default') === namespace &&
      podSelector.matches(p.metadata.labels) &&
      shouldPodBeInEndpoints(p)
    )
      selected.push(p);
  selected.sort((a, b) => compareStrings(a.metadata.name ?? '', b.metadata.name ?? ''));

  const slices: EndpointSlice[] = [];
  for (const addressType of addressTypesForService(service)) {
    // Port sets in first-seen order (pods sorted by name), each with its endpoints.
    const groups = new Map<string, { ports: EndpointPort[]; endpoints: Endpoint[] }>();
    for (const pod of selected) {
      const ports = endpointPorts(service, pod);
      const key = portMapKey(ports);
      let group = groups.get(key);
      if (!group) {
        group = { ports, endpoints: [] };
        groups.set(key, group);
      }
      const node = nodesByName.get(pod.spec.nodeName ?? '');
      if (!node && !service.spec.publishNotReadyAddresses) {
        errors.push(
          `skipping Pod ${pod.metadata.name} for Service ${namespace}/${service.metadata.name}: ` +
            `Node ${pod.spec.nodeName ?? ''} Not Found`,
        );
        continue;
      }
      const endpoint = podToEndpoint(pod, node, service, addressType);
      if (endpoint.addresses.length > 0) group.endpoints.push(endpoint);
    }
    const before = slices.length;
    for (const group of groups.values()) {
      for (let i = 0; i < group.endpoints.length; i += maxEndpoints) {
        const endpoints = group.endpoints.slice(i, i + maxEndpoints);
        slices.push(newEndpointSlice(service, addressType, group.ports, endpoints));
      }
    }
    // "When no endpoint slices would usually exist, we need to add a placeholder."
    if (slices.length === before) slices.push(newEndpointSlice(service, addressType, [], []));
  }
  applyTrafficDistributionHints(service, slices);
  nameSlices(service, slices);
  return { slices, errors };
}

/** Nodes by name, as the controller's node lister answers (a Map is one). */
export interface NodeLookup {
  get(name: string): Node | undefined;
}

function isNodeList(nodes: readonly Node[] | NodeLookup): nodes is readonly Node[] {
  return Array.isArray(nodes);
}

/** NewPortMapKey: one string per distinct port set. */
export function portMapKey(ports: readonly EndpointPort[]): string {
  let key = '';
  // An omitted name or protocol is kube-apiserver's default ("" and TCP): the same port set.
  for (const p of ports)
    key += `${p.name ?? ''}\u0000${p.protocol ?? 'TCP'}\u0000${p.port}\u0000${p.appProtocol ?? ''}\u0001`;
  return key;
}

/** ShouldPodBeInEndpoints(pod, includeTerminating=true): not terminal and has an IP. */
function shouldPodBeInEndpoints(pod: Pod): boolean {
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return false;
  return podIPs(pod).length > 0;
}

export function podIPs(pod: Pod): string[] {
  const status = pod.status?.podIPs;
  const list: string[] = [];
  if (status) for (const p of status) list.push(p.ip);
  // The API server mirrors podIP into podIPs[0]; a hand-written manifest may carry only podIP.
  if (list.length === 0 && pod.status?.podIP) return [pod.status.podIP];
  return list;
}

export function isPodReady(pod: Pod): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/** isServiceIPSet: a ClusterIP that is neither empty nor "None". */
export function isServiceIPSet(service: Service): boolean {
  const ip = service.spec.clusterIP ?? service.spec.clusterIPs?.[0] ?? '';
  return ip !== '' && ip !== 'None';
}

/** getAddressTypesForService: ipFamilies; else the ClusterIP's family; else (headless) both. */
export function addressTypesForService(service: Service): EndpointSliceAddressType[] {
  const families = new Set<IPFamily>(service.spec.ipFamilies ?? []);
  if (families.size > 0) return (['IPv4', 'IPv6'] as const).filter((f) => families.has(f));
  if (isServiceIPSet(service)) {
    const ip = service.spec.clusterIP ?? service.spec.clusterIPs?.[0] ?? '';
    return [isIPv6String(ip) ? 'IPv6' : 'IPv4'];
  }
  return ['IPv4', 'IPv6'];
}

/**
 * getEndpointPorts: one EndpointPort per Service port whose targetPort resolves on this pod; a
 * named targetPort that the pod does not declare (name + protocol) drops that port for this pod,
 * which is how one Service ends up with slices of different port sets.
 */
function endpointPorts(service: Service, pod: Pod): EndpointPort[] {
  const ports = service.spec.ports ?? [];
  const out: EndpointPort[] = [];
  if (ports.length === 0 && service.spec.clusterIP === 'None') return out;
  for (const sp of ports) {
    const port = findPort(pod, sp);
    if (port === undefined) continue;
    const ep: EndpointPort = { name: sp.name ?? '', protocol: sp.protocol ?? 'TCP', port };
    if (sp.appProtocol !== undefined) ep.appProtocol = sp.appProtocol;
    out.push(ep);
  }
  return out;
}

/** findPort: numbers as they are; names looked up in containers, then in restartable init containers. */
export function findPort(pod: Pod, sp: ServicePort): number | undefined {
  const target = sp.targetPort ?? sp.port;
  if (typeof target === 'number') return target;
  const protocol = sp.protocol ?? 'TCP';
  return (
    namedPort(pod.spec.containers ?? [], target, protocol, false) ??
    namedPort(pod.spec.initContainers ?? [], target, protocol, true)
  );
}

function namedPort(
  containers: readonly Container[],
  name: string,
  protocol: string,
  sidecarsOnly: boolean,
): number | undefined {
  for (const c of containers) {
    if (sidecarsOnly && (c as Container & { restartPolicy?: string }).restartPolicy !== 'Always') continue;
    for (const p of c.ports ?? []) {
      if (p.name === name && (p.protocol ?? 'TCP') === protocol) return p.containerPort;
    }
  }
  return undefined;
}

/** podToEndpoint. */
function podToEndpoint(
  pod: Pod,
  node: Node | undefined,
  service: Service,
  addressType: EndpointSliceAddressType,
): Endpoint {
  const serving = isPodReady(pod);
  const terminating = pod.metadata.deletionTimestamp !== undefined;
  // "ready" is never true for a terminating pod unless publishNotReadyAddresses says publish anyway.
  const ready = service.spec.publishNotReadyAddresses === true || (serving && !terminating);
  const endpoint: Endpoint = {
    addresses: podIPs(pod).filter((ip) => isIPv6String(ip) === (addressType === 'IPv6')),
    conditions: { ready, serving, terminating },
  };
  // ShouldSetHostname: the pod asked for a hostname under this very Service as its subdomain.
  if (
    pod.spec.hostname &&
    pod.spec.subdomain === service.metadata.name &&
    (pod.metadata.namespace ?? 'default') === (service.metadata.namespace ?? 'default')
  ) {
    endpoint.hostname = pod.spec.hostname;
  }
  endpoint.targetRef = {
    kind: 'Pod',
    namespace: pod.metadata.namespace ?? 'default',
    name: pod.metadata.name ?? '',
  };
  if (pod.metadata.uid) endpoint.targetRef.uid = pod.metadata.uid;
  if (pod.spec.nodeName) endpoint.nodeName = pod.spec.nodeName;
  const zone = node?.metadata.labels?.[labelTopologyZone];
  if (zone) endpoint.zone = zone;
  return endpoint;
}

/** setEndpointSliceLabels: the Service's labels minus the reserved ones, then the reserved ones. */
export function sliceLabels(service: Service): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(service.metadata.labels ?? {})) {
    if (k === labelServiceName || k === labelManagedBy || k === labelHeadlessService) continue;
    labels[k] = v;
  }
  if (!isServiceIPSet(service)) labels[labelHeadlessService] = '';
  labels[labelServiceName] = service.metadata.name ?? '';
  labels[labelManagedBy] = endpointSliceControllerName;
  return labels;
}

/**
 * newEndpointSlice. Empty lists are written as null: that is how the API server returns an
 * EndpointSlice whose endpoints or ports are empty (protobuf storage loses the difference), so it is
 * what every watcher of a real cluster sees.
 */
function newEndpointSlice(
  service: Service,
  addressType: EndpointSliceAddressType,
  ports: EndpointPort[],
  endpoints: Endpoint[],
): EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      generateName: endpointSlicePrefix(service.metadata.name ?? ''),
      namespace: service.metadata.namespace ?? 'default',
      labels: sliceLabels(service),
      ownerReferences: [
        {
          apiVersion: 'v1',
          kind: 'Service',
          name: service.metadata.name ?? '',
          uid: service.metadata.uid ?? '',
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    addressType,
    endpoints: endpoints.length > 0 ? endpoints : null,
    ports: ports.length > 0 ? ports : null,
  };
}

/** getEndpointSlicePrefix: `<svc>-` unless that is not a valid DNS-subdomain prefix. */
function endpointSlicePrefix(serviceName: string): string {
  const prefix = `${serviceName}-`;
  // NameIsDNSSubdomain(prefix=true) masks the trailing dash, then checks length and syntax.
  const masked = `${serviceName}a`;
  const ok =
    masked.length <= 253 && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(masked);
  return ok ? prefix : serviceName;
}

/** trafficdist.ReconcileHints: PreferClose/PreferSameZone -> zone hints, PreferSameNode -> + node hints. */
function applyTrafficDistributionHints(service: Service, slices: EndpointSlice[]): void {
  const td = service.spec.trafficDistribution;
  const annotations = service.metadata.annotations ?? {};
  // The topology-mode annotation (Topology Aware Routing) takes precedence over trafficDistribution.
  const topologyAnnotation =
    annotations['service.kubernetes.io/topology-aware-hints'] ??
    annotations['service.kubernetes.io/topology-mode'];
  if (topologyAnnotation === 'Auto' || topologyAnnotation === 'auto') return;
  if (td !== 'PreferClose' && td !== 'PreferSameZone' && td !== 'PreferSameNode') return;
  const nodeHints = td === 'PreferSameNode';
  for (const slice of slices) {
    for (const ep of slice.endpoints ?? []) {
      if (ep.conditions?.ready !== true) continue;
      const hints: NonNullable<Endpoint['hints']> = {};
      if (ep.zone !== undefined) hints.forZones = [{ name: ep.zone }];
      if (ep.nodeName !== undefined && nodeHints) hints.forNodes = [{ name: ep.nodeName }];
      if (hints.forZones || hints.forNodes) ep.hints = hints;
    }
  }
}

// The API server's SimpleNameGenerator appends 5 characters from this alphabet (no vowels, no
// look-alikes) to generateName, after cutting the base to 58 characters.
const nameAlphabet = 'bcdfghjklmnpqrstvwxz2456789';
const maxGeneratedNameLength = 63 - 5;

/**
 * Gives each slice a name as the API server would, but from a PRNG seeded with the Service's
 * namespace/name, so the same inputs always give the same names.
 */
function nameSlices(service: Service, slices: EndpointSlice[]): void {
  const rand = seededRandom(
    fnv1a(`${service.metadata.namespace ?? 'default'}/${service.metadata.name ?? ''}`),
  );
  const used = new Set<string>();
  for (const slice of slices) {
    const base = (slice.metadata.generateName ?? '').slice(0, maxGeneratedNameLength);
    let name: string;
    do {
      let suffix = '';
      for (let i = 0; i < 5; i++) suffix += nameAlphabet[Math.floor(rand() * nameAlphabet.length)];
      name = base + suffix;
    } while (used.has(name));
    used.add(name);
    // Keep Go's field order: name before generateName.
    slice.metadata = { name, ...slice.metadata };
  }
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
