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
export {
  type DiskLockMode,
  DiskStore,
  type DiskStoreOptions,
  goMkdirAll,
  goPathError,
  releaseDiskLocks,
} from './disk.js';
export { HostLocalError, type HostLocalErrorCode, wrapHostLocalError } from './errors.js';
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
  type StoreOpener,
  type ValidAttachment,
} from './hostlocal.js';
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
export {
  entryContent,
  goTrimSpace,
  type HostLocalStore,
  LINE_BREAK,
  MemoryStore,
  type Reservation,
} from './store.js';
