// The door of dns/: the cluster DNS zone, the wire server, the stub resolver, and their errors.
export * from './errors.js';
export * from './resolver/index.js';
export * from './server/index.js';
export * from './zone/index.js';
