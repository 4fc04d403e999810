// What libcni does for a conflist: ADD/DEL/CHECK/GC/STATUS, result cache, exec or in-process.
export { MemoryCacheFiles, type RuntimeConf } from './cache.js';
export { type NetworkConfigList, parseConfList } from './conflist.js';
export { delegate, delegateAdd } from './delegate.js';
export {
  type InProcessPlugin,
  type InProcessResolver,
  keptPluginFinder,
  type PluginFinder,
  splitPath,
} from './exec.js';
export { type GCAttachment, Invoker } from './invoker.js';
