// UDP and TCP wire server with a response cache.
// The door of dns/server for the rest of dns/: what dns/index.ts passes on and the resolver uses.
export { dig, formatRdata, parseQType } from './dig.js';
export { DnsServer, type DnsServerStats } from './server.js';
export { formatHostPort, type HostPort, parseHostPort } from './upstream.js';
