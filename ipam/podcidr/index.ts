// kube-controller-manager's range allocator: node podCIDRs from the cluster CIDR.
export { CIDRSet, defaultClusterCIDR, PodCIDRAllocator, type PodCIDRAllocatorOptions } from './cidrset.js';
export { PodCIDRConfigError, PodCIDRExhaustedError, PodCIDROutOfRangeError } from './errors.js';
