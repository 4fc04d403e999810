// The door of ipam/: address allocators (Service IPs, NodePorts, node podCIDRs) and host-local IPAM.
export { type IPAMRoute, loadIPAMConfig } from './hostlocal/config.js';
export { goPathError } from './hostlocal/disk.js';
export {
  hostLocalAdd,
  hostLocalCheck,
  hostLocalDel,
  hostLocalGC,
  type IPAMDNS,
  openDiskStore,
  type StoreOpener,
  type ValidAttachment,
} from './hostlocal/hostlocal.js';
export { type HostLocalStore, MemoryStore } from './hostlocal/store.js';
export { InvalidRangeError } from './kube/errors.js';
export { defaultNodePortRange, NodePortAllocator } from './kube/nodeport.js';
export { parseCIDR, parseIP, ServiceIPAllocator } from './kube/serviceip.js';
export { defaultClusterCIDR, PodCIDRAllocator } from './podcidr/cidrset.js';
