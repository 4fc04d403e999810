// The door of proxy/: kube-proxy (iptables mode), the rule table, tracer, conntrack and fast path.
export { Dataplane, type DataplaneOptions, type PodRef } from './dataplane/dataplane.js';
export { type EntryListener, EntryPoints, loadBalancerLoopback } from './dataplane/entry.js';
export {
  type Flow,
  type FlowEnd,
  type FlowProtocol,
  flowOf,
  type PodPorts,
  setFlow,
  type UdpHandler,
  type UdpReply,
} from './dataplane/flow.js';
export { ForwardProxy } from './dataplane/forward.js';
export { type DataplaneNodes, ProxierNodes } from './dataplane/nodes.js';
export { FastPath } from './fastpath/fastpath.js';
export { ProxierConfigError } from './iptables/errors.js';
export { clusterCIDRWarning, Proxier, type ProxierOptions, type SyncResult } from './iptables/proxier.js';
export { ClusterProxier, type ClusterProxierOptions, NodeProxy } from './iptables/shared.js';
export { watchStore } from './iptables/watch.js';
export { parseAddr, parseIPSloppy } from './ruletable/address.js';
export { TraceInputError } from './ruletable/errors.js';
export { withKubeJumpRules } from './ruletable/jumps.js';
export { RuleTable } from './ruletable/table.js';
export { newKernelState } from './tracer/kernel.js';
export { type KernelTraceResult, traceKernel } from './tracer/outcomes.js';
export { tracePacket } from './tracer/possible.js';
