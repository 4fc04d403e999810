// Defaulting as kube-apiserver applies it when it decodes an object (pkg/apis/*/v1/defaults.go) and
// in the strategies' PrepareForCreate. Each function fills in a private copy in place; allocation
// (ClusterIPs, NodePorts) comes after, in services.ts.
import type {
  AnyObject,
  Container,
  Deployment,
  EndpointSlice,
  Endpoints,
  Namespace,
  Pod,
  PodSpec,
  Probe,
  ReplicaSet,
  Service,
  StatefulSet,
} from './types.js';
import { externallyAccessible } from './validation-core.js';

export const defaultClientIPServiceAffinitySeconds = 10800;

type Loose = Record<string, unknown>;

export function defaultService(svc: Service): void {
  svc.spec ??= {} as Service['spec'];
  const spec = svc.spec;
  if (!spec.sessionAffinity) spec.sessionAffinity = 'None';
  if (
    spec.sessionAffinity === 'ClientIP' &&
    spec.sessionAffinityConfig?.clientIP?.timeoutSeconds === undefined
  ) {
    spec.sessionAffinityConfig = { clientIP: { timeoutSeconds: defaultClientIPServiceAffinitySeconds } };
  }
  if (!spec.type) spec.type = 'ClusterIP';
  for (const sp of spec.ports ?? []) {
    if (!sp.protocol) sp.protocol = 'TCP';
    if (sp.targetPort === undefined || sp.targetPort === 0 || sp.targetPort === '') sp.targetPort = sp.port;
  }
  if (externallyAccessible(svc) && !spec.externalTrafficPolicy) spec.externalTrafficPolicy = 'Cluster';
  if (spec.internalTrafficPolicy === undefined && spec.type !== 'ExternalName')
    spec.internalTrafficPolicy = 'Cluster';
  if (spec.type === 'LoadBalancer' && spec.allocateLoadBalancerNodePorts === undefined)
    spec.allocateLoadBalancerNodePorts = true;
}

function defaultProbe(p: Probe | undefined): void {
  if (!p) return;
  p.timeoutSeconds ??= 1;
  p.periodSeconds ??= 10;
  p.successThreshold ??= 1;
  p.failureThreshold ??= 3;
  if (p.httpGet) {
    p.httpGet.path ||= '/';
    p.httpGet.scheme ??= 'HTTP';
  }
}

function defaultContainer(c: Container, hostNetwork: boolean): void {
  const loose = c as unknown as Loose;
  loose.terminationMessagePath ??= '/dev/termination-log';
  loose.terminationMessagePolicy ??= 'File';
  if (loose.imagePullPolicy === undefined && typeof c.image === 'string') {
    // SetDefaults_Container: `:latest` or no tag means Always.
    const ref = c.image.split('@')[0]!;
    const lastSlash = ref.lastIndexOf('/');
    const colon = ref.lastIndexOf(':');
    const tag = colon > lastSlash ? ref.slice(colon + 1) : '';
    loose.imagePullPolicy = tag === '' || tag === 'latest' ? 'Always' : 'IfNotPresent';
  }
  loose.resources ??= {};
  for (const p of c.ports ?? []) {
    p.protocol ??= 'TCP';
    if (hostNetwork && !p.hostPort) p.hostPort = p.containerPort;
  }
  defaultProbe(c.readinessProbe);
  defaultProbe(c.livenessProbe);
  defaultProbe(c.startupProbe);
}

export function defaultPodSpec(spec: PodSpec): void {
  const loose = spec as unknown as Loose;
  spec.restartPolicy ??= 'Always';
  spec.dnsPolicy ??= 'ClusterFirst';
  spec.terminationGracePeriodSeconds ??= 30;
  loose.schedulerName ??= 'default-scheduler';
  loose.securityContext ??= {};
  loose.enableServiceLinks ??= true;
  for (const c of spec.initContainers ?? []) defaultContainer(c, spec.hostNetwork === true);
  for (const c of spec.containers ?? []) defaultContainer(c, spec.hostNetwork === true);
}

export function defaultPod(pod: Pod): void {
  pod.spec ??= { containers: [] };
  defaultPodSpec(pod.spec);
}

export function defaultNamespace(ns: Namespace): void {
  ns.spec = { ...ns.spec, finalizers: ns.spec?.finalizers ?? ['kubernetes'] };
  ns.status = { phase: 'Active' };
  // kube-apiserver always labels a namespace with its own name (for namespaceSelectors).
  if (ns.metadata.name)
    ns.metadata.labels = { ...ns.metadata.labels, 'kubernetes.io/metadata.name': ns.metadata.name };
}

export function defaultEndpointSlice(es: EndpointSlice): void {
  if (es.endpoints === undefined) es.endpoints = null;
  for (const p of es.ports ?? []) {
    p.name ??= '';
    p.protocol ??= 'TCP';
  }
}

export function defaultEndpoints(ep: Endpoints): void {
  for (const ss of ep.subsets ?? []) for (const p of ss.ports ?? []) p.protocol ??= 'TCP';
}

export function defaultDeployment(d: Deployment): void {
  d.spec ??= {} as Deployment['spec'];
  const spec = d.spec;
  spec.replicas ??= 1;
  spec.strategy ??= {};
  spec.strategy.type ??= 'RollingUpdate';
  if (spec.strategy.type === 'RollingUpdate') {
    spec.strategy.rollingUpdate ??= {};
    spec.strategy.rollingUpdate.maxUnavailable ??= '25%';
    spec.strategy.rollingUpdate.maxSurge ??= '25%';
  }
  spec.revisionHistoryLimit ??= 10;
  spec.progressDeadlineSeconds ??= 600;
  if (spec.template?.spec) defaultPodSpec(spec.template.spec);
}

export function defaultReplicaSet(rs: ReplicaSet): void {
  rs.spec ??= {} as ReplicaSet['spec'];
  const spec = rs.spec;
  spec.replicas ??= 1;
  if (spec.template?.spec) defaultPodSpec(spec.template.spec);
}

export function defaultStatefulSet(ss: StatefulSet): void {
  ss.spec ??= {} as StatefulSet['spec'];
  const spec = ss.spec;
  const loose = spec as unknown as Loose;
  spec.replicas ??= 1;
  spec.podManagementPolicy ??= 'OrderedReady';
  loose.updateStrategy ??= { type: 'RollingUpdate', rollingUpdate: { partition: 0 } };
  loose.revisionHistoryLimit ??= 10;
  loose.persistentVolumeClaimRetentionPolicy ??= { whenDeleted: 'Retain', whenScaled: 'Retain' };
  if (spec.template?.spec) defaultPodSpec(spec.template.spec);
}

/**
 * The singular/plural pairs as a round trip through kube-apiserver's internal version leaves them
 * (pkg/apis/core/v1/conversion.go): a singular value that is set wins over a list that is empty or
 * starts elsewhere, and the singular comes back as the list's first entry. So a Node written with
 * only `podCIDR` is stored with `podCIDRs` too (and validated through it), and a Pod status with
 * only `podIP` gets `podIPs`. Runs on every write, status writes included.
 */
export function convertSingularPlural(obj: AnyObject): void {
  if (obj.kind === 'Node' && obj.spec) {
    const spec = obj.spec;
    const list = mirror(
      spec.podCIDR,
      spec.podCIDRs,
      (v) => v,
      (v) => v,
    );
    if (list) spec.podCIDRs = list;
    if (spec.podCIDRs?.[0] !== undefined) spec.podCIDR = spec.podCIDRs[0];
  } else if (obj.kind === 'Pod' && obj.status) {
    const st = obj.status;
    const ips = mirror(
      st.podIP,
      st.podIPs,
      (v) => v.ip,
      (ip) => ({ ip }),
    );
    if (ips) st.podIPs = ips;
    if (st.podIPs?.[0] !== undefined) st.podIP = st.podIPs[0].ip;
    const hosts = mirror(
      st.hostIP,
      st.hostIPs,
      (v) => v.ip,
      (ip) => ({ ip }),
    );
    if (hosts) st.hostIPs = hosts;
    if (st.hostIPs?.[0] !== undefined) st.hostIP = st.hostIPs[0].ip;
  }
}

/** The list the singular value makes, when it must replace the given one; undefined to keep it. */
function mirror<T>(
  one: string | undefined,
  list: T[] | undefined,
  textOf: (v: T) => string,
  make: (v: string) => T,
): T[] | undefined {
  if (!one) return undefined;
  if (!list || list.length === 0 || textOf(list[0]!) !== one) return [make(one)];
  return undefined;
}

/** Applies kube-apiserver's defaults for the object's kind, in place. */
export function applyDefaults(obj: AnyObject): void {
  switch (obj.kind) {
    case 'Service':
      defaultService(obj);
      return;
    case 'Pod':
      defaultPod(obj);
      return;
    case 'Namespace':
      defaultNamespace(obj);
      return;
    case 'EndpointSlice':
      defaultEndpointSlice(obj);
      return;
    case 'Endpoints':
      defaultEndpoints(obj);
      return;
    case 'Deployment':
      defaultDeployment(obj);
      return;
    case 'ReplicaSet':
      defaultReplicaSet(obj);
      return;
    case 'StatefulSet':
      defaultStatefulSet(obj);
      return;
    case 'Node':
      return;
  }
}
