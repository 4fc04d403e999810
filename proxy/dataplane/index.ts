// The door of proxy/dataplane: real sockets carried through the nodes' rules to in-process pods.
export {
  type ConnectionEvent,
  Dataplane,
  type DataplaneOptions,
  type Decision,
  type EndpointCounters,
  type EntryKind,
  formatConnectionEvent,
  type PodRef,
  type PodUdpSocket,
} from './dataplane.js';
export {
  defaultNodeAddress,
  type EntryListener,
  EntryPoints,
  type EntryPointsOptions,
  loadBalancerLoopback,
} from './entry.js';
export { DataplaneError, DialError } from './errors.js';
export {
  type Flow,
  type FlowEnd,
  type FlowProtocol,
  flowOf,
  type PodPorts,
  setFlow,
  type UdpHandler,
  type UdpReply,
} from './flow.js';
export { ForwardProxy, type ForwardProxyOptions } from './forward.js';
export { type DataplaneNode, type DataplaneNodes, ProxierNodes } from './nodes.js';
