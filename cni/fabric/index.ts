// The virtual flat network: nodes, bridges, attachments, routes.
export { parsePrefix } from './address.js';
export { FabricError } from './errors.js';
export { Fabric, type FabricChange, type PodAttachment } from './fabric.js';
export {
  renderNetnsRoutes,
  renderNodeAddrBrief,
  renderNodeRoutes,
  renderPodAddrBrief,
  renderRouteGet,
} from './render.js';
export { type FabricStore, FileFabricStore, MemoryFabricStore } from './store.js';
