// The zone's options, named after CoreDNS's kubernetes plugin options (README "Syntax"), and their
// validation. `parseZoneConfig` turns user input into a ZoneConfig or throws a DnsConfigError naming
// the option.
import { isIP } from 'node:net';
import { DnsConfigError } from '../errors.js';
import { reverseKind, trimDot } from './names.js';

export type PodMode = 'disabled' | 'insecure' | 'verified';
export const podModes: readonly PodMode[] = ['disabled', 'insecure', 'verified'];

export interface ZoneConfig {
  /** Zones served, lower case, no trailing dot; the first non-reverse one is the primary zone. */
  zones: string[];
  /** Only these namespaces are exposed; empty = all (`namespaces`). */
  namespaces: string[];
  /** `pods disabled|insecure|verified`. */
  pods: PodMode;
  /** `endpoint_pod_names`: endpoints without hostname are named after their pod. */
  endpointPodNames: boolean;
  /** `ttl`: 0..3600, default 5. */
  ttl: number;
  /** `ignore empty_service`: a ClusterIP Service without ready endpoints is NXDOMAIN. */
  ignoreEmptyService: boolean;
  /** `fallthrough [ZONES]`: NXDOMAIN in these zones goes to the upstream instead (empty = none). */
  fallthrough: string[];
  /** The server's own addresses: `ns.dns.<zone>` and the apex NS glue. */
  localIPs: string[];
}

export const defaultZoneConfig: ZoneConfig = {
  zones: ['cluster.local', 'in-addr.arpa', 'ip6.arpa'],
  namespaces: [],
  pods: 'disabled',
  endpointPodNames: false,
  ttl: 5,
  ignoreEmptyService: false,
  fallthrough: [],
  localIPs: ['127.0.0.1'],
};

export interface ZoneConfigInput {
  zones?: readonly string[];
  namespaces?: readonly string[];
  pods?: string;
  endpointPodNames?: boolean;
  ttl?: number | string;
  ignoreEmptyService?: boolean;
  fallthrough?: readonly string[];
  localIPs?: readonly string[];
}

const labelRe = /^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$/;

function zoneName(option: string, z: string): string {
  const name = trimDot(z.trim().toLowerCase());
  if (name === '' || name.length > 253 || !name.split('.').every((l) => labelRe.test(l))) {
    throw new DnsConfigError(option, `"${z}" is not a domain name`);
  }
  return name;
}

/** Validates and fills in defaults. */
export function parseZoneConfig(input: ZoneConfigInput = {}): ZoneConfig {
  const zones = (input.zones ?? defaultZoneConfig.zones).map((z) => zoneName('zones', z));
  if (zones.length === 0) throw new DnsConfigError('zones', 'at least one zone is needed');
  if (!zones.some((z) => reverseKind('x.' + z) === 0 && z !== 'in-addr.arpa' && z !== 'ip6.arpa')) {
    throw new DnsConfigError('zones', 'one zone must be a forward zone (e.g. cluster.local)');
  }
  const pods = (input.pods ?? defaultZoneConfig.pods) as PodMode;
  if (!podModes.includes(pods)) {
    throw new DnsConfigError('pods', `"${input.pods}" must be one of ${podModes.join(', ')}`);
  }
  const ttlRaw = input.ttl ?? defaultZoneConfig.ttl;
  const ttl = typeof ttlRaw === 'number' ? ttlRaw : /^\d+$/.test(ttlRaw) ? Number(ttlRaw) : Number.NaN;
  if (!Number.isInteger(ttl) || ttl < 0 || ttl > 3600) {
    throw new DnsConfigError('ttl', `"${ttlRaw}" must be an integer between 0 and 3600`);
  }
  const localIPs = [...(input.localIPs ?? defaultZoneConfig.localIPs)];
  for (const ip of localIPs) {
    if (isIP(ip) === 0) throw new DnsConfigError('localIPs', `"${ip}" is not an IP address`);
  }
  return {
    zones,
    namespaces: [...(input.namespaces ?? [])],
    pods,
    endpointPodNames: input.endpointPodNames ?? false,
    ttl,
    ignoreEmptyService: input.ignoreEmptyService ?? false,
    fallthrough: (input.fallthrough ?? []).map((z) => zoneName('fallthrough', z)),
    localIPs,
  };
}

/** The primary zone: the first zone that is not a reverse zone (CoreDNS primaryZoneIndex). */
export function primaryZone(cfg: ZoneConfig): string {
  return cfg.zones.find((z) => z !== 'in-addr.arpa' && z !== 'ip6.arpa' && reverseKind('x.' + z) === 0)!;
}
