// Kubernetes objects as their JSON spells them. Only the fields the network cares about are typed;
// everything else in a manifest is kept as it came (the index signature on ObjectMeta/specs is not
// used: unknown fields are carried through by the store as plain data).

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  finalizers?: string[];
}

export interface TypeMeta {
  apiVersion: string;
  kind: string;
}

export interface KubeObject extends TypeMeta {
  metadata: ObjectMeta;
}

export interface LabelSelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  values?: string[];
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

export type Protocol = 'TCP' | 'UDP' | 'SCTP';
export type IPFamily = 'IPv4' | 'IPv6';
export type IntOrString = number | string;

// core/v1 ---------------------------------------------------------------------------------------

export interface Namespace extends KubeObject {
  kind: 'Namespace';
  spec?: { finalizers?: string[] };
  status?: { phase?: 'Active' | 'Terminating' };
}

export interface NodeAddress {
  type: 'InternalIP' | 'ExternalIP' | 'Hostname' | 'InternalDNS' | 'ExternalDNS';
  address: string;
}

export interface NodeCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  lastHeartbeatTime?: string;
  lastTransitionTime?: string;
}

/** A Node taint: Pods without a matching toleration are kept off (NoSchedule) or evicted (NoExecute). */
export interface Taint {
  key: string;
  value?: string;
  effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
  timeAdded?: string;
}

export interface Node extends KubeObject {
  kind: 'Node';
  spec?: {
    podCIDR?: string;
    podCIDRs?: string[];
    providerID?: string;
    unschedulable?: boolean;
    taints?: Taint[];
  };
  status?: {
    addresses?: NodeAddress[];
    conditions?: NodeCondition[];
  };
}

export interface ContainerPort {
  name?: string;
  containerPort: number;
  hostPort?: number;
  hostIP?: string;
  protocol?: Protocol;
}

export interface Probe {
  httpGet?: { path?: string; port: IntOrString; host?: string; scheme?: 'HTTP' | 'HTTPS' };
  tcpSocket?: { port: IntOrString; host?: string };
  exec?: { command?: string[] };
  initialDelaySeconds?: number;
  timeoutSeconds?: number;
  periodSeconds?: number;
  successThreshold?: number;
  failureThreshold?: number;
}

export interface Container {
  name: string;
  image?: string;
  command?: string[];
  args?: string[];
  ports?: ContainerPort[];
  env?: { name: string; value?: string }[];
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  startupProbe?: Probe;
  lifecycle?: { preStop?: LifecycleHandler; postStart?: LifecycleHandler };
}

export interface LifecycleHandler {
  exec?: { command?: string[] };
  httpGet?: { path?: string; port: IntOrString; host?: string; scheme?: 'HTTP' | 'HTTPS' };
  tcpSocket?: { port: IntOrString; host?: string };
  sleep?: { seconds: number };
}

export interface PodDNSConfig {
  nameservers?: string[];
  searches?: string[];
  options?: { name: string; value?: string }[];
}

export type DNSPolicy = 'ClusterFirst' | 'ClusterFirstWithHostNet' | 'Default' | 'None';

export interface PodSpec {
  nodeName?: string;
  hostname?: string;
  subdomain?: string;
  setHostnameAsFQDN?: boolean;
  hostNetwork?: boolean;
  dnsPolicy?: DNSPolicy;
  dnsConfig?: PodDNSConfig;
  containers: Container[];
  initContainers?: Container[];
  restartPolicy?: 'Always' | 'OnFailure' | 'Never';
  terminationGracePeriodSeconds?: number;
  nodeSelector?: Record<string, string>;
  readinessGates?: { conditionType: string }[];
}

export interface PodCondition {
  type: 'PodScheduled' | 'Initialized' | 'ContainersReady' | 'Ready' | 'PodReadyToStartContainers' | string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  lastProbeTime?: string | null;
  lastTransitionTime?: string;
}

export interface PodIP {
  ip: string;
}

export interface Pod extends KubeObject {
  kind: 'Pod';
  spec: PodSpec;
  status?: {
    phase?: 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Unknown';
    conditions?: PodCondition[];
    hostIP?: string;
    hostIPs?: PodIP[];
    podIP?: string;
    podIPs?: PodIP[];
    startTime?: string;
    containerStatuses?: ContainerStatus[];
    qosClass?: string;
  };
}

export interface ContainerStateTerminated {
  exitCode: number;
  reason?: string;
  message?: string;
  startedAt?: string;
  finishedAt?: string;
  containerID?: string;
}

export interface ContainerState {
  running?: { startedAt?: string };
  waiting?: { reason?: string; message?: string };
  terminated?: ContainerStateTerminated;
}

export interface ContainerStatus {
  name: string;
  image: string;
  imageID: string;
  containerID?: string;
  ready: boolean;
  started?: boolean;
  restartCount: number;
  state?: ContainerState;
  lastState?: ContainerState;
}

export interface ServicePort {
  name?: string;
  protocol?: Protocol;
  appProtocol?: string;
  port: number;
  targetPort?: IntOrString;
  nodePort?: number;
}

export type ServiceType = 'ClusterIP' | 'NodePort' | 'LoadBalancer' | 'ExternalName';

export interface ServiceSpec {
  type?: ServiceType;
  selector?: Record<string, string>;
  ports?: ServicePort[];
  clusterIP?: string;
  clusterIPs?: string[];
  ipFamilies?: IPFamily[];
  ipFamilyPolicy?: 'SingleStack' | 'PreferDualStack' | 'RequireDualStack';
  externalIPs?: string[];
  externalName?: string;
  loadBalancerIP?: string;
  loadBalancerSourceRanges?: string[];
  loadBalancerClass?: string;
  allocateLoadBalancerNodePorts?: boolean;
  externalTrafficPolicy?: 'Cluster' | 'Local';
  internalTrafficPolicy?: 'Cluster' | 'Local';
  healthCheckNodePort?: number;
  publishNotReadyAddresses?: boolean;
  sessionAffinity?: 'None' | 'ClientIP';
  sessionAffinityConfig?: { clientIP?: { timeoutSeconds?: number } };
  trafficDistribution?: string;
}

export interface LoadBalancerIngress {
  ip?: string;
  hostname?: string;
  ipMode?: 'VIP' | 'Proxy';
  ports?: { port: number; protocol: Protocol; error?: string }[];
}

export interface Service extends KubeObject {
  kind: 'Service';
  spec: ServiceSpec;
  status?: { loadBalancer?: { ingress?: LoadBalancerIngress[] } };
}

export interface EndpointAddress {
  ip: string;
  hostname?: string;
  nodeName?: string;
  targetRef?: ObjectReference;
}

export interface EndpointPort {
  name?: string;
  port: number;
  protocol?: Protocol;
  appProtocol?: string;
}

export interface ObjectReference {
  kind?: string;
  namespace?: string;
  name?: string;
  uid?: string;
  apiVersion?: string;
  resourceVersion?: string;
  fieldPath?: string;
}

export interface Endpoints extends KubeObject {
  kind: 'Endpoints';
  subsets?: {
    addresses?: EndpointAddress[];
    notReadyAddresses?: EndpointAddress[];
    ports?: EndpointPort[];
  }[];
}

/**
 * core/v1 Event: what the kubelet and the controllers record about an object. events.k8s.io/v1 is
 * another spelling of the same stored object (note = message, regarding = involvedObject, ...).
 */
export interface Event extends KubeObject {
  kind: 'Event';
  involvedObject: ObjectReference;
  reason?: string;
  message?: string;
  source?: { component?: string; host?: string };
  /** metav1.Time: RFC 3339 seconds; null when unset. */
  firstTimestamp?: string | null;
  lastTimestamp?: string | null;
  count?: number;
  /** `Normal` or `Warning`. */
  type?: string;
  /** metav1.MicroTime (`2026-12-05T09:30:00.123456Z`); set by the events.k8s.io API's clients. */
  eventTime?: string | null;
  series?: { count: number; lastObservedTime: string };
  action?: string;
  related?: ObjectReference;
  reportingComponent?: string;
  reportingInstance?: string;
}

// discovery.k8s.io/v1 ---------------------------------------------------------------------------

export interface EndpointConditions {
  ready?: boolean;
  serving?: boolean;
  terminating?: boolean;
}

export interface EndpointHints {
  forZones?: { name: string }[];
  forNodes?: { name: string }[];
}

export interface Endpoint {
  addresses: string[];
  conditions?: EndpointConditions;
  hostname?: string;
  targetRef?: ObjectReference;
  nodeName?: string;
  zone?: string;
  hints?: EndpointHints;
}

export interface EndpointSlice extends KubeObject {
  kind: 'EndpointSlice';
  addressType: 'IPv4' | 'IPv6' | 'FQDN';
  endpoints: Endpoint[] | null;
  ports?: EndpointPort[] | null;
}

// coordination.k8s.io/v1 ------------------------------------------------------------------------

/** A node heartbeat (kube-node-lease/<node>) or a leader-election lock. Times are MicroTime. */
export interface Lease extends KubeObject {
  kind: 'Lease';
  spec?: {
    holderIdentity?: string;
    leaseDurationSeconds?: number;
    acquireTime?: string;
    renewTime?: string;
    leaseTransitions?: number;
    strategy?: string;
    preferredHolder?: string;
  };
}

// apps/v1 ---------------------------------------------------------------------------------------

export interface PodTemplateSpec {
  metadata?: ObjectMeta;
  spec: PodSpec;
}

export interface Deployment extends KubeObject {
  kind: 'Deployment';
  spec: {
    replicas?: number;
    selector: LabelSelector;
    template: PodTemplateSpec;
    strategy?: {
      type?: 'RollingUpdate' | 'Recreate';
      rollingUpdate?: { maxSurge?: IntOrString; maxUnavailable?: IntOrString };
    };
    minReadySeconds?: number;
    revisionHistoryLimit?: number;
    paused?: boolean;
    progressDeadlineSeconds?: number;
  };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    updatedReplicas?: number;
    readyReplicas?: number;
    availableReplicas?: number;
    unavailableReplicas?: number;
  };
}

export interface ReplicaSet extends KubeObject {
  kind: 'ReplicaSet';
  spec: {
    replicas?: number;
    selector: LabelSelector;
    template?: PodTemplateSpec;
    minReadySeconds?: number;
  };
  status?: {
    replicas: number;
    readyReplicas?: number;
    availableReplicas?: number;
    fullyLabeledReplicas?: number;
    observedGeneration?: number;
  };
}

export interface StatefulSet extends KubeObject {
  kind: 'StatefulSet';
  spec: {
    replicas?: number;
    selector: LabelSelector;
    serviceName?: string;
    template: PodTemplateSpec;
    podManagementPolicy?: 'OrderedReady' | 'Parallel';
    updateStrategy?: {
      type?: 'RollingUpdate' | 'OnDelete';
      rollingUpdate?: { partition?: number; maxUnavailable?: IntOrString };
    };
    revisionHistoryLimit?: number;
    minReadySeconds?: number;
    ordinals?: { start?: number };
  };
  status?: {
    replicas: number;
    readyReplicas?: number;
    currentReplicas?: number;
    updatedReplicas?: number;
    availableReplicas?: number;
    currentRevision?: string;
    updateRevision?: string;
    collisionCount?: number;
    observedGeneration?: number;
  };
}

/** A StatefulSet's template at one revision (the set's `controller-revision-hash`). */
export interface ControllerRevision extends KubeObject {
  kind: 'ControllerRevision';
  /** What the revision restores: for a StatefulSet, `{spec: {template: {..., $patch: replace}}}`. */
  data?: unknown;
  revision: number;
}

/** Every kind the store keeps, by its `kind` string. */
export interface KindMap {
  Namespace: Namespace;
  Node: Node;
  Pod: Pod;
  Service: Service;
  Endpoints: Endpoints;
  EndpointSlice: EndpointSlice;
  Deployment: Deployment;
  ReplicaSet: ReplicaSet;
  StatefulSet: StatefulSet;
  ControllerRevision: ControllerRevision;
  Lease: Lease;
  Event: Event;
}

export type Kind = keyof KindMap;
export type AnyObject = KindMap[Kind];

/** apiVersion for each kind, as kube-apiserver serves it. */
export const apiVersionOf: { readonly [K in Kind]: string } = {
  Namespace: 'v1',
  Node: 'v1',
  Pod: 'v1',
  Service: 'v1',
  Endpoints: 'v1',
  EndpointSlice: 'discovery.k8s.io/v1',
  Deployment: 'apps/v1',
  ReplicaSet: 'apps/v1',
  StatefulSet: 'apps/v1',
  ControllerRevision: 'apps/v1',
  Lease: 'coordination.k8s.io/v1',
  Event: 'v1',
};

/** Cluster-scoped kinds have no namespace. */
export const clusterScoped: ReadonlySet<Kind> = new Set<Kind>(['Namespace', 'Node']);

// Watch -----------------------------------------------------------------------------------------

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK';

export interface WatchEvent<T> {
  type: WatchEventType;
  object: T;
}

/** What proxy/ and dns/ need of the store: list then watch, by kind. `api/store.ts` implements it. */
export interface ListOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
}

/** A page of a list (`?limit=&continue=`): at most `limit` items after the key `after`. */
export interface PageOptions extends ListOptions {
  limit?: number;
  /** The `namespace/name` (or `name`) key of the previous page's last item. */
  after?: string;
}

export interface WatchOptions extends ListOptions {
  /** Start after this resourceVersion; older than the kept history -> 410, reason Expired. */
  resourceVersion?: string;
  allowWatchBookmarks?: boolean;
  signal?: AbortSignal;
}

export interface ObjectList<T> {
  items: T[];
  resourceVersion: string;
  /** Set when a page stopped early: the key to continue after. */
  continueAfter?: string;
  /** Items after this page, when the list has no selector (kube-apiserver gives it only then). */
  remainingItemCount?: number;
}

export interface WatchableStore {
  list<K extends Kind>(kind: K, opts?: ListOptions): ObjectList<KindMap[K]>;
  watch<K extends Kind>(kind: K, opts?: WatchOptions): AsyncIterable<WatchEvent<KindMap[K]>>;
}
