// What libcni does for a conflist: ADD/DEL/CHECK/GC/STATUS, result cache, exec or in-process.
export {
  type CacheFiles,
  cachedAttachments,
  cacheFilePath,
  cacheKind,
  diskCacheFiles,
  MemoryCacheFiles,
  type NetworkAttachment,
  type RuntimeConf,
} from './cache.js';
export { currentVersion, type NetworkConfig, type NetworkConfigList, parseConfList } from './conflist.js';
export { type DelegateCommand, type DelegateOptions, delegate, delegateAdd } from './delegate.js';
export { cniCodeOf, InvokerError, type InvokerErrorCode, PluginError } from './errors.js';
export {
  type Env,
  execFile,
  execPlugin,
  findInPath,
  type InProcessPlugin,
  type InProcessResolver,
  type ProcessOutput,
  type Runner,
  splitPath,
} from './exec.js';
export {
  buildOneConfig,
  type GCAttachment,
  Invoker,
  type InvokerOptions,
  type VersionInfo,
} from './invoker.js';
