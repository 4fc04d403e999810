// Address text as the kernel and Go print it: IPv4 dotted quads, IPv6 in RFC 5952 form (lower case,
// the longest run of zero groups compressed, the first on ties). Lookups key on this text, so every
// address that enters the fabric goes through canonicalIP() once.
import { formatGoIP, parseGoIP } from '../../std/index.js';
import { FabricError } from './errors.js';

export type Family = 4 | 6;

export interface Prefix {
  family: Family;
  /** The address as written (host bits kept), canonical text. */
  ip: string;
  /** The network address, canonical text. */
  network: string;
  length: number;
  /** The address as a number (IPv4) or bigint (IPv6), for containment checks. */
  value: bigint;
  networkValue: bigint;
}

const v4Simple = /^(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** The canonical text of an IP address (Go's IP.String(), as host-local names its files), or undefined. */
export function canonicalIP(text: string): string | undefined {
  // The common case (a dotted quad without leading zeros) is already canonical.
  if (v4Simple.test(text)) return text;
  const ip = parseGoIP(text);
  return ip === null ? undefined : formatGoIP(ip);
}

export function familyOf(ip: string): Family {
  return ip.includes(':') ? 6 : 4;
}

export function ipValue(ip: string): bigint {
  return parseGoIP(ip)!.n;
}

export function ipText(family: Family, value: bigint): string {
  return formatGoIP({ v4: family === 4, n: value });
}

const bits = (family: Family): number => (family === 4 ? 32 : 128);

/** Parses `ip/len`; without `/len` when `defaultLength` says which length a bare address gets. */
export function parsePrefix(text: string, what: string, defaultLength?: (f: Family) => number): Prefix {
  const slash = text.indexOf('/');
  const ipPart = slash < 0 ? text : text.slice(0, slash);
  const ip = canonicalIP(ipPart);
  if (ip === undefined)
    throw new FabricError('NETLAB_CNI_FABRIC_BAD_ADDRESS', `${what}: invalid CIDR address: ${text}`);
  const family = familyOf(ip);
  let length: number;
  if (slash < 0) {
    if (defaultLength === undefined)
      throw new FabricError('NETLAB_CNI_FABRIC_BAD_ADDRESS', `${what}: invalid CIDR address: ${text}`);
    length = defaultLength(family);
  } else {
    const lenText = text.slice(slash + 1);
    length = /^\d{1,3}$/.test(lenText) ? Number(lenText) : Number.NaN;
    if (!(length >= 0 && length <= bits(family)))
      throw new FabricError('NETLAB_CNI_FABRIC_BAD_ADDRESS', `${what}: invalid CIDR address: ${text}`);
  }
  const value = ipValue(ip);
  const networkValue = maskValue(family, value, length);
  return { family, ip, network: ipText(family, networkValue), length, value, networkValue };
}

export function maskValue(family: Family, value: bigint, length: number): bigint {
  const host = BigInt(bits(family) - length);
  return (value >> host) << host;
}

export function contains(prefix: Prefix, family: Family, value: bigint): boolean {
  return prefix.family === family && maskValue(family, value, prefix.length) === prefix.networkValue;
}

export function overlaps(a: Prefix, b: Prefix): boolean {
  if (a.family !== b.family) return false;
  const len = Math.min(a.length, b.length);
  return maskValue(a.family, a.networkValue, len) === maskValue(b.family, b.networkValue, len);
}

/**
 * Prefixes that do not overlap one another, kept sorted per family, so whether a new one overlaps
 * any costs a binary search, not a scan (a thousand nodes' podCIDRs: 500k pair checks otherwise).
 */
export class DisjointPrefixes {
  readonly #ranges = new Map<Family, { start: bigint; end: bigint }[]>();

  #span(p: Prefix): { start: bigint; end: bigint } {
    return { start: p.networkValue, end: p.networkValue + (1n << BigInt(bits(p.family) - p.length)) - 1n };
  }

  /** Index of the last range starting at or before `at`, or -1. */
  static #last(ranges: readonly { start: bigint }[], at: bigint): number {
    let lo = 0;
    let hi = ranges.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (ranges[mid]!.start <= at) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }

  /** Whether `p` overlaps a prefix held: the ranges are disjoint, so only the last one starting within or before it can. */
  overlapsAny(p: Prefix): boolean {
    const ranges = this.#ranges.get(p.family);
    if (ranges === undefined) return false;
    const { start, end } = this.#span(p);
    const i = DisjointPrefixes.#last(ranges, end);
    return i >= 0 && ranges[i]!.end >= start;
  }

  /** Adds `p`, which overlaps nothing held (the caller checked). */
  add(p: Prefix): void {
    let ranges = this.#ranges.get(p.family);
    if (ranges === undefined) {
      ranges = [];
      this.#ranges.set(p.family, ranges);
    }
    const span = this.#span(p);
    ranges.splice(DisjointPrefixes.#last(ranges, span.start) + 1, 0, span);
  }

  delete(p: Prefix): void {
    const ranges = this.#ranges.get(p.family);
    if (ranges === undefined) return;
    const { start, end } = this.#span(p);
    const i = DisjointPrefixes.#last(ranges, start);
    if (i >= 0 && ranges[i]!.start === start && ranges[i]!.end === end) ranges.splice(i, 1);
  }
}

export function cidrText(p: Prefix): string {
  return `${p.network}/${p.length}`;
}

/** The IPv6 link-local address the kernel derives from a MAC (EUI-64: flip the U/L bit, insert ff:fe). */
export function linkLocalFromMAC(mac: string): string {
  const b = mac.split(':').map((h) => BigInt(Number.parseInt(h, 16)));
  const iid = [b[0]! ^ 2n, b[1]!, b[2]!, 0xffn, 0xfen, b[3]!, b[4]!, b[5]!].reduce(
    (acc, x) => (acc << 8n) | x,
    0n,
  );
  return ipText(6, (0xfe80n << 112n) | iid);
}
