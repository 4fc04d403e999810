// The virtual flat network: nodes, bridges, attachments, routes.
export { canonicalIP, type Family, type Prefix, parsePrefix } from './address.js';
export { FabricError, type FabricErrorCode } from './errors.js';
export {
  type AttachmentIP,
  type AttachmentRoute,
  type AttachRequest,
  describe,
  Fabric,
  type FabricEndpoint,
  type FabricNode,
  type FabricRoute,
  type FabricState,
  hostVethName,
  type Link,
  macFor,
  type NodeSpec,
  type PodAttachment,
} from './fabric.js';
export {
  renderNetnsRoutes,
  renderNodeAddrBrief,
  renderNodeRoutes,
  renderPodAddrBrief,
  renderPodRoutes,
  renderRouteGet,
  renderRoutes,
} from './render.js';
export { type FabricStore, FileFabricStore, MemoryFabricStore } from './store.js';
