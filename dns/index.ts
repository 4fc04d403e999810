// The door of dns/: the cluster DNS zone, the wire server, the stub resolver, and their errors.
export { DnsConfigError, DnsListenError } from './errors.js';
export { clusterSearchDomains, type DNSEvent, podDNS } from './resolver/poddns.js';
export { formatOutcome, formatTrace } from './resolver/render.js';
export {
  defaultResolvOptions,
  formatResolvConf,
  parseResolvConf,
  type ResolvConf,
} from './resolver/resolvconf.js';
export { resolve } from './resolver/resolver.js';
export type { Libc } from './resolver/search.js';
export {
  type Nameserver,
  parseNameserver,
  type ResolverSockets,
} from './resolver/transport.js';
export {
  DnsServer,
  type DnsServerStats,
  dig,
  formatHostPort,
  type HostPort,
  parseHostPort,
  parseQType,
} from './server/index.js';
export { parseZoneConfig, StoreSource, Zone } from './zone/index.js';
