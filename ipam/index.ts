// The door of ipam/: address allocators (Service IPs, NodePorts, node podCIDRs) and host-local IPAM.
export * from './hostlocal/index.js';
export * from './kube/index.js';
export * from './podcidr/index.js';
