// UDP and TCP wire server with a response cache.
export { DnsServer, type DnsServerOptions, type DnsServerStats, typeName } from './server.js';
export { formatHostPort, type HostPort, parseHostPort, Upstream } from './upstream.js';
export { OUR_UDP_SIZE } from './wire.js';
