// The door of dns/: the cluster DNS zone, the wire server, and the stub resolver.
export * from './resolver/index.js';
export * from './server/index.js';
export * from './zone/index.js';
