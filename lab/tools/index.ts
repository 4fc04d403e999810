// The door of lab/tools/: the library behind the commands that read objects rather than run a
// cluster (`netlab iptables-save`, `trace`, `dns serve`). Objects go into a store, and kube-proxy
// and cluster DNS read it through the same watches as in `netlab up`; a store filled from a real
// cluster's API serves the same functions.
export { ManifestZone, type ServedZone, serveZone, type ZoneFlags } from './dns.js';
export { iptablesSaveManifests, type NodeFlags, syncNode } from './kube-proxy.js';
export { objectStore } from './objects.js';
export { type PacketFlags, type TraceOutput, traceManifests, traceOnNode, traceRequest } from './trace.js';
