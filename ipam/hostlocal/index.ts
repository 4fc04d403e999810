// host-local IPAM: config, range sets, allocator, memory and disk stores.
export { IPAllocator, type IPAMAddress, RangeIter } from './allocator.js';
export {
  defaultDataDir,
  type IPAMConfig,
  type IPAMRoute,
  loadIPAMConfig,
  parseCniIP,
  parseIPAMEnvArgs,
} from './config.js';
export { type DecodeContext, GoDecoder, GoUnmarshalTypeError, topContext } from './decode.js';
export {
  type DiskLockMode,
  DiskStore,
  type DiskStoreOptions,
  goMkdirAll,
  goPathError,
  goStrerror,
  releaseDiskLocks,
} from './disk.js';
export { HostLocalError, type HostLocalErrorCode, wrapHostLocalError } from './errors.js';
export * from './gojson.js';
export {
  type Attachment as IPAMAttachment,
  allocate,
  hostLocalAdd,
  hostLocalCheck,
  hostLocalDel,
  hostLocalGC,
  type IPAMDNS,
  type IPAMResult,
  openDiskStore,
  parseResolvConf,
  type StoreOpener,
  type ValidAttachment,
} from './hostlocal.js';
export * from './ip.js';
export {
  canonicalizeRange,
  canonicalizeRangeSet,
  type Range,
  type RangeInput,
  type RangeSet,
  rangeContains,
  rangeFor,
  rangeSetContains,
  rangeSetString,
  rangeString,
} from './range.js';
export { entryContent, goTrimSpace, LINE_BREAK, MemoryStore, type Reservation, type Store } from './store.js';
