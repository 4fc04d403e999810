// Name and address helpers shared by the zone's index and its lookups. Names are handled without the
// trailing dot (the root is ''); comparisons are ASCII case-insensitive, as the spec requires.
import { isIPv4, isIPv6 } from 'node:net';

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
 * 32 lower-case hex nibbles for IPv6. Returns '' for anything that is not an address.
 */
export function ipKey(ip: string): string {
  if (isIPv4(ip)) return ip.split('.').map(Number).join('.');
  if (!isIPv6(ip)) return '';
  const bytes = ipv6Bytes(ip);
  if (bytes === null) return '';
  // An IPv4-mapped address is the IPv4 address (Go's net.IP.To4 does the same).
  if (bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) {
    return bytes.slice(12).join('.');
  }
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join('');
}

function ipv6Bytes(ip: string): number[] | null {
  let text = ip;
  const tail: number[] = [];
  const lastColon = text.lastIndexOf(':');
  if (text.indexOf('.', lastColon) !== -1) {
    const v4 = text.slice(lastColon + 1);
    if (!isIPv4(v4)) return null;
    tail.push(...v4.split('.').map(Number));
    text = text.slice(0, lastColon + 1) + '0:0';
  }
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const groups = (s: string): string[] => (s === '' ? [] : s.split(':'));
  const head = groups(halves[0] ?? '');
  const rest = halves.length === 2 ? groups(halves[1] ?? '') : [];
  const fill = halves.length === 2 ? 8 - head.length - rest.length : 0;
  const all = [...head, ...Array<string>(Math.max(fill, 0)).fill('0'), ...rest];
  if (all.length !== 8) return null;
  const out: number[] = [];
  for (const g of all) {
    const v = Number.parseInt(g, 16);
    out.push(v >> 8, v & 0xff);
  }
  if (tail.length === 4) out.splice(12, 4, ...tail);
  return out;
}

/** The presentation form of an index key (the reverse of ipKey), RFC 5952 compressed for IPv6. */
export function ipFromKey(key: string): string {
  if (key.includes('.')) return key;
  const groups: string[] = [];
  for (let i = 0; i < 32; i += 4) groups.push(Number.parseInt(key.slice(i, i + 4), 16).toString(16));
  // Longest run of zero groups (length >= 2) becomes '::'.
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (best === -1) return groups.join(':');
  return groups.slice(0, best).join(':') + '::' + groups.slice(best + bestLen).join(':');
}

/**
 * The address a reverse name stands for, as an ipKey, or '' when the name is not a complete
 * reverse name (CoreDNS dnsutil.ExtractAddressFromReverse). `name` is lower case.
 */
export function addressFromReverse(name: string): string {
  if (name.endsWith('.' + IP4_ARPA)) {
    const labels = name.slice(0, -(IP4_ARPA.length + 1)).split('.');
    if (labels.length !== 4 || !labels.every((l) => /^\d{1,3}$/.test(l))) return '';
    const ip = labels.reverse().join('.');
    return isIPv4(ip) ? ipKey(ip) : '';
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
