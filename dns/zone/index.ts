// Records from store watches, per the DNS spec 1.1.0 and CoreDNS's kubernetes plugin.
// The door of dns/zone for the rest of dns/: what dns/index.ts passes on and the server uses.
export { parseZoneConfig } from './config.js';
export { ipKey } from './names.js';
export { StoreSource } from './source.js';
export { QTYPE, RCODE, Zone, type ZoneAnswer } from './zone.js';
