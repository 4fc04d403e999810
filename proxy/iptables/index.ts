// The door of proxy/iptables: kube-proxy's iptables mode. Change trackers, endpoint categorisation
// (pure), the per-service-port rule rendering, the proxier with partial sync, and its store feed.
export * from './changetracker.js';
export * from './endpoints.js';
export * from './errors.js';
export * from './naming.js';
export * from './probability.js';
export * from './proxier.js';
export * from './rules.js';
export * from './runner.js';
export * from './serviceport.js';
export { ClusterProxier, type ClusterProxierOptions, NodeProxy } from './shared.js';
export * from './topology.js';
export * from './watch.js';
