// host-local IPAM: config, range sets, allocator, memory and disk stores.
// The names ipam/index.ts gives other folders; the rest of host-local is reached by its own files.
export { type IPAMRoute, loadIPAMConfig } from './config.js';
export { goPathError } from './disk.js';
export {
  hostLocalAdd,
  hostLocalCheck,
  hostLocalDel,
  hostLocalGC,
  type IPAMDNS,
  openDiskStore,
  type StoreOpener,
  type ValidAttachment,
} from './hostlocal.js';
export { type HostLocalStore, MemoryStore } from './store.js';
