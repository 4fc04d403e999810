// Name and address helpers shared by the zone's index and its lookups. Names are handled without the
// trailing dot (the root is ''); comparisons are ASCII case-insensitive, as the spec requires.
import { formatGoIP, parseGoIPNetip } from '../../std/index.js';

export const IP4_ARPA = 'in-addr.arpa';
export const IP6_ARPA = 'ip6.arpa';

/** Strips one trailing dot: `cluster.local.` -> `cluster.local`. */
export function trimDot(name: string): string {
  return name.endsWith('.') ? name.slice(0, -1) : name;
}

/** Adds the trailing dot DNS presentation format wants. */
export function fqdn(name: string): string {
  return name.endsWith('.') ? name : name + '.';
}

/** True when `name` is `zone` or below it (both lower case, no trailing dot). */
export function isSubdomain(name: string, zone: string): boolean {
  if (zone === '') return true;
  return (
    name === zone ||
    (name.length > zone.length && name.endsWith(zone) && name[name.length - zone.length - 1] === '.')
  );
}

/** 1 for in-addr.arpa names, 2 for ip6.arpa names, 0 otherwise (CoreDNS dnsutil.IsReverse). */
export function reverseKind(name: string): 0 | 1 | 2 {
  if (name.endsWith('.' + IP4_ARPA)) return 1;
  if (name.endsWith('.' + IP6_ARPA)) return 2;
  return 0;
}

/**
 * The canonical key of an address, so that the index and a reverse query agree: dotted quad for IPv4,
 * 32 lower-case hex nibbles for IPv6. Returns '' for anything that is not an address as CoreDNS's
 * net.ParseIP reads one (an IPv4-mapped address is the IPv4 address, as Go's To4 says).
 */
export function ipKey(ip: string): string {
  const p = parseGoIPNetip(ip);
  if (p === null) return '';
  return p.v4 ? formatGoIP(p) : p.n.toString(16).padStart(32, '0');
}

/** The presentation form of an index key (the reverse of ipKey): Go's IP.String(). */
export function ipFromKey(key: string): string {
  if (key.includes('.')) return key;
  return formatGoIP({ v4: false, n: BigInt(`0x${key}`) });
}

/**
 * The address a reverse name stands for, as an ipKey, or '' when the name is not a complete
 * reverse name (CoreDNS dnsutil.ExtractAddressFromReverse). `name` is lower case.
 */
export function addressFromReverse(name: string): string {
  if (name.endsWith('.' + IP4_ARPA)) {
    const labels = name.slice(0, -(IP4_ARPA.length + 1)).split('.');
    if (labels.length !== 4 || !labels.every((l) => /^\d{1,3}$/.test(l))) return '';
    return ipKey(labels.reverse().join('.'));
  }
  if (name.endsWith('.' + IP6_ARPA)) {
    const labels = name.slice(0, -(IP6_ARPA.length + 1)).split('.');
    if (labels.length !== 32 || !labels.every((l) => /^[0-9a-f]$/.test(l))) return '';
    return ipKey(labelsToV6(labels.reverse().join('')));
  }
  return '';
}

function labelsToV6(hex: string): string {
  const groups: string[] = [];
  for (let i = 0; i < 32; i += 4) groups.push(hex.slice(i, i + 4));
  return groups.join(':');
}

/** The reverse name of an address: `d.c.b.a.in-addr.arpa` or 32 nibbles `.ip6.arpa`. */
export function reverseName(ip: string): string {
  const key = ipKey(ip);
  if (key === '') return '';
  if (key.includes('.')) return key.split('.').reverse().join('.') + '.' + IP4_ARPA;
  return key.split('').reverse().join('.') + '.' + IP6_ARPA;
}

/**
 * The endpoint's DNS label (CoreDNS endpointHostname): its `hostname`, else (with endpoint_pod_names)
 * the target pod's name when it fits a label, else the address with dashes: `172-0-0-2`,
 * `5678-abcd--1`, and `fd00--0` for an address ending in `::`.
 */
export function endpointHostname(
  addr: { ip: string; hostname?: string | undefined; targetRefName?: string | undefined },
  endpointPodNames: boolean,
): string {
  if (addr.hostname) return addr.hostname;
  if (endpointPodNames && addr.targetRefName && addr.targetRefName.length < 64) return addr.targetRefName;
  if (addr.ip.includes('.')) return addr.ip.replaceAll('.', '-');
  if (addr.ip.includes(':')) {
    const dashed = addr.ip.replaceAll(':', '-');
    return dashed.endsWith('-') ? dashed + '0' : dashed;
  }
  return '';
}
