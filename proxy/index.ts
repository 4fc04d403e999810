// The door of proxy/: kube-proxy (iptables mode), the rule table, tracer, conntrack and fast path.
export * from './conntrack/index.js';
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
export * from './fastpath/index.js';
export * from './iptables/index.js';
export * from './ruletable/index.js';
export * from './tracer/index.js';
