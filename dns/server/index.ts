// UDP and TCP wire server with a response cache.

export {
  type DigMeta,
  type DigOptions,
  type DigResult,
  dig,
  digWhen,
  formatDig,
  formatRdata,
  formatRR,
  formatRRDig,
  formatShort,
  parseQType,
} from './dig.js';
export { DnsServer, type DnsServerOptions, type DnsServerStats, typeName } from './server.js';
export { formatHostPort, type HostPort, parseHostPort, Upstream } from './upstream.js';
export { buildQuery, OUR_UDP_SIZE } from './wire.js';
