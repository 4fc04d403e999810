// The door of proxy/: kube-proxy (iptables mode), the rule table, tracer, conntrack and fast path.
export * from './conntrack/index.js';
export {
  type ConnectionEvent,
  Dataplane,
  DataplaneError,
  type DataplaneNode,
  type DataplaneNodes,
  type DataplaneOptions,
  type Decision,
  DialError,
  defaultNodeAddress,
  type EndpointCounters,
  type EntryKind,
  type EntryListener,
  EntryPoints,
  type EntryPointsOptions,
  type Flow,
  type FlowEnd,
  type FlowProtocol,
  ForwardProxy,
  type ForwardProxyOptions,
  flowOf,
  formatConnectionEvent,
  loadBalancerLoopback,
  type PodPorts,
  type PodRef,
  type PodUdpSocket,
  ProxierNodes,
  setFlow,
  type UdpHandler,
  type UdpReply,
} from './dataplane/index.js';
export * from './fastpath/index.js';
export * from './iptables/index.js';
export * from './ruletable/index.js';
export * from './tracer/index.js';
