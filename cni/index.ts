// The door of cni/: the CNI protocol, the plugins, a libcni-like invoker and the fabric.
export {
  Fabric,
  type FabricChange,
  FileFabricStore,
  MemoryFabricStore,
  renderNetnsRoutes,
  renderNodeAddrBrief,
  renderNodeRoutes,
  renderPodAddrBrief,
  renderRouteGet,
} from './fabric/index.js';
export {
  type GCAttachment,
  Invoker,
  keptPluginFinder,
  MemoryCacheFiles,
  type NetworkConfigList,
  parseConfList,
  type RuntimeConf,
  splitPath,
} from './invoker/index.js';
export { builtinPluginDir, createPluginRegistry, defaultFlatDataDir, nodeConflist } from './plugins/index.js';
export { formatResult } from './skel/index.js';
