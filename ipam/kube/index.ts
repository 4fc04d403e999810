// kube-apiserver's allocators: Service IPs and NodePorts (bitmaps with KEP-3070's static band).
export { AllocationBitmap, BitmapAllocator } from './bitmap.js';
export { AlreadyAllocatedError, InvalidRangeError, NotInRangeError, RangeFullError } from './errors.js';
export {
  defaultNodePortRange,
  NodePortAllocator,
  nodePortRangeOffset,
  type PortRange,
  parsePortRange,
} from './nodeport.js';
export {
  type AllocatorOptions,
  formatIP,
  parseCIDR,
  parseIP,
  ServiceIPAllocator,
  type ServiceIPFamily,
  serviceIPRangeOffset,
} from './serviceip.js';
