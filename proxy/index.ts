// The door of proxy/: kube-proxy (iptables mode), the rule table, tracer, conntrack and fast path.
export {
  Dataplane,
  type DataplaneNodes,
  type DataplaneOptions,
  type EntryListener,
  EntryPoints,
  type Flow,
  type FlowEnd,
  type FlowProtocol,
  ForwardProxy,
  flowOf,
  loadBalancerLoopback,
  type PodPorts,
  type PodRef,
  ProxierNodes,
  setFlow,
  type UdpHandler,
  type UdpReply,
} from './dataplane/index.js';
export { FastPath } from './fastpath/index.js';
export {
  ClusterProxier,
  type ClusterProxierOptions,
  clusterCIDRWarning,
  NodeProxy,
  Proxier,
  ProxierConfigError,
  type ProxierOptions,
  type SyncResult,
  watchStore,
} from './iptables/index.js';
export {
  parseAddr,
  parseIPSloppy,
  RuleTable,
  TraceInputError,
  withKubeJumpRules,
} from './ruletable/index.js';
export { type KernelTraceResult, newKernelState, traceKernel, tracePacket } from './tracer/index.js';
