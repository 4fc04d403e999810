// Records from store watches, per the DNS spec 1.1.0 and CoreDNS's kubernetes plugin.
export {
  defaultZoneConfig,
  type PodMode,
  parseZoneConfig,
  podModes,
  primaryZone,
  type ZoneConfig,
  type ZoneConfigInput,
} from './config.js';
export { buildIndex, type ZoneIndex } from './index-model.js';
export { addressFromReverse, endpointHostname, ipFromKey, ipKey, reverseName } from './names.js';
export {
  ObjectSource,
  StoreSource,
  type ZoneKind,
  type ZoneObjects,
  type ZoneSource,
  zoneKinds,
} from './source.js';
export { DNS_SCHEMA_VERSION, QTYPE, RCODE, Zone, type ZoneAnswer } from './zone.js';
