// The door of ipam/: address allocators (Service IPs, NodePorts, node podCIDRs) and host-local IPAM.
// Each sub-folder's door lists what this one passes on.
export {
  goPathError,
  type HostLocalStore,
  hostLocalAdd,
  hostLocalCheck,
  hostLocalDel,
  hostLocalGC,
  type IPAMDNS,
  type IPAMRoute,
  loadIPAMConfig,
  MemoryStore,
  openDiskStore,
  type StoreOpener,
  type ValidAttachment,
} from './hostlocal/index.js';
export {
  defaultNodePortRange,
  InvalidRangeError,
  NodePortAllocator,
  ServiceIPAllocator,
} from './kube/index.js';
export { defaultClusterCIDR, PodCIDRAllocator } from './podcidr/index.js';
