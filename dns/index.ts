// The door of dns/: the cluster DNS zone, the wire server, the stub resolver, and their errors.
export { DigNameError, DnsConfigError, DnsListenError, ResolverError } from './errors.js';
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
  type ResolverUdpSocket,
} from './resolver/transport.js';
export { dig, parseQType } from './server/dig.js';
export { DnsServer, type DnsServerStats } from './server/server.js';
export { formatHostPort, type HostPort, parseHostPort } from './server/upstream.js';
export { parseZoneConfig } from './zone/config.js';
export { ObjectSource, StoreSource } from './zone/source.js';
export { Zone } from './zone/zone.js';
