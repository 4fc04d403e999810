// kube-controller-manager's range allocator: node podCIDRs from the cluster CIDR.
export {};
