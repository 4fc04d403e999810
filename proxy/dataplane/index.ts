// The door of proxy/dataplane: real sockets carried through the nodes' rules to in-process pods.
export { Dataplane, type DataplaneOptions, type PodRef } from './dataplane.js';
export { type EntryListener, EntryPoints, loadBalancerLoopback } from './entry.js';
export {
  type Flow,
  flowOf,
  type PodPorts,
  setFlow,
  type UdpHandler,
} from './flow.js';
export { ForwardProxy } from './forward.js';
export type { DataplaneNodes } from './nodes.js';
