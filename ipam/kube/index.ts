// kube-apiserver's allocators: Service IPs and NodePorts (bitmaps with KEP-3070's static band).
// The names ipam/index.ts gives other folders (the store's allocation).
export { InvalidRangeError } from './errors.js';
export { defaultNodePortRange, NodePortAllocator } from './nodeport.js';
export { ServiceIPAllocator } from './serviceip.js';
