// host-local IPAM: config, range sets, allocator, memory and disk stores.
export * from './gojson.js';
export * from './ip.js';
