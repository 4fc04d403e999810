// The door of proxy/: kube-proxy (iptables mode), the rule table, tracer, conntrack and fast path.
export {
  Dataplane,
  type DataplaneNodes,
  type DataplaneOptions,
  type EntryListener,
  EntryPoints,
  type Flow,
  ForwardProxy,
  flowOf,
  loadBalancerLoopback,
  type PodPorts,
  type PodRef,
  setFlow,
  type UdpHandler,
} from './dataplane/index.js';
export { FastPath } from './fastpath/index.js';
export {
  ClusterProxier,
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
export { newKernelState, traceKernel, tracePacket } from './tracer/index.js';
