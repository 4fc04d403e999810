// kube-controller-manager's range allocator: node podCIDRs from the cluster CIDR.
// The names ipam/index.ts gives other folders (the node IPAM controller).
export { defaultClusterCIDR, PodCIDRAllocator } from './cidrset.js';
