// host-local IPAM: config, range sets, allocator, memory and disk stores.
export {};
