// The door of proxy/iptables, for the rest of proxy/: kube-proxy's iptables mode (change trackers,
// endpoint categorisation, per-service-port rules, the proxier with partial sync, its store feed).
// The data plane reads the tables of one Proxier per node (ProxierNodes); proxy/index.ts names what
// lab/ uses. Tests import its files directly.
export { ProxierConfigError } from './errors.js';
export { clusterCIDRWarning, Proxier, type ProxierOptions, type SyncResult } from './proxier.js';
export { ClusterProxier, NodeProxy } from './shared.js';
export { watchStore } from './watch.js';
