// The virtual flat network: nodes, bridges, attachments, routes.
export { canonicalIP, type Family } from './address.js';
export { FabricError, type FabricErrorCode } from './errors.js';
export {
  type AttachmentIP,
  type AttachmentRoute,
  type AttachRequest,
  describe,
  type Endpoint,
  Fabric,
  type FabricNode,
  type FabricState,
  hostVethName,
  type Link,
  macFor,
  type NodeSpec,
  type PodAttachment,
  type Route,
} from './fabric.js';
export {
  renderNodeAddrBrief,
  renderNodeRoutes,
  renderPodAddrBrief,
  renderPodRoutes,
  renderRoutes,
} from './render.js';
