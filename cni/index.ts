// The door of cni/: the CNI protocol, the plugins, a libcni-like invoker and the fabric.
export { Fabric } from './fabric/fabric.js';
export {
  renderNetnsRoutes,
  renderNodeAddrBrief,
  renderNodeRoutes,
  renderPodAddrBrief,
  renderRouteGet,
} from './fabric/render.js';
export { FileFabricStore, MemoryFabricStore } from './fabric/store.js';
export { MemoryCacheFiles, type RuntimeConf } from './invoker/cache.js';
export { type NetworkConfigList, parseConfList } from './invoker/conflist.js';
export { splitPath } from './invoker/exec.js';
export { type GCAttachment, Invoker } from './invoker/invoker.js';
export { defaultFlatDataDir, nodeConflist } from './plugins/flat.js';
export { builtinPluginDir, createPluginRegistry } from './plugins/index.js';
export { formatResult } from './skel/skel.js';
