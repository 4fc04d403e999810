// Address math for rule matching. IPv4 stays a 32-bit number on the hot path (DESIGN: "hot paths keep
// IPv4 as 32-bit numbers"); IPv6 goes through ip-num's bigint. Parsing is "sloppy" like Go's
// netutils.ParseIPSloppy: leading zeros in IPv4 octets are decimal, so 10.180.00.001 is 10.180.0.1.
import { IPv6 } from 'ip-num';

/** A parsed address: family and value (IPv4 as an unsigned 32-bit number, IPv6 as a bigint). */
export type Addr = { v6: false; n: number } | { v6: true; n: bigint };

/** An address block: `-s`/`-d` arguments, with or without a prefix length. */
export interface Cidr {
  readonly v6: boolean;
  readonly prefix: number;
  /** IPv4: network number and mask; IPv6 uses big. */
  readonly net: number;
  readonly mask: number;
  readonly bigNet: bigint;
  readonly bigMask: bigint;
}

export function parseIPv4(s: string): number | undefined {
  let n = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || octet > 255) return undefined;
      n = n * 256 + octet;
      octet = 0;
      digits = 0;
      dots++;
    } else if (c >= 48 && c <= 57) {
      octet = octet * 10 + (c - 48);
      if (++digits > 3) return undefined;
    } else {
      return undefined;
    }
  }
  if (dots !== 3 || digits === 0 || octet > 255) return undefined;
  return n * 256 + octet;
}

export function parseAddr(s: string): Addr | undefined {
  const v4 = parseIPv4(s);
  if (v4 !== undefined) return { v6: false, n: v4 };
  if (!s.includes(':')) return undefined;
  try {
    return { v6: true, n: IPv6.fromString(s).value };
  } catch {
    return undefined;
  }
}

const V6_ALL = (1n << 128n) - 1n;

export function parseCidr(s: string): Cidr | undefined {
  const slash = s.indexOf('/');
  const a = parseAddr(slash < 0 ? s : s.slice(0, slash));
  if (a === undefined) return undefined;
  const max = a.v6 ? 128 : 32;
  let prefix = max;
  if (slash >= 0) {
    const p = s.slice(slash + 1);
    if (!/^\d{1,3}$/.test(p)) {
      // iptables also accepts a dotted mask (`/255.255.255.0`).
      const m = parseIPv4(p);
      if (a.v6 || m === undefined) return undefined;
      prefix = 32 - Math.log2(2 ** 32 - m);
      if (!Number.isInteger(prefix)) return undefined;
    } else {
      prefix = Number(p);
    }
    if (prefix > max) return undefined;
  }
  if (a.v6) {
    const bigMask = prefix === 0 ? 0n : (V6_ALL << BigInt(128 - prefix)) & V6_ALL;
    return { v6: true, prefix, net: 0, mask: 0, bigNet: a.n & bigMask, bigMask };
  }
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return { v6: false, prefix, net: (a.n & mask) >>> 0, mask, bigNet: 0n, bigMask: 0n };
}

export function addrInCidr(c: Cidr, a: Addr): boolean {
  if (c.v6 !== a.v6) return false;
  if (a.v6) return (a.n & c.bigMask) === c.bigNet;
  return (a.n & c.mask) >>> 0 === c.net;
}

/** Canonical text of an address (IPv4 without leading zeros, IPv6 compressed). */
export function formatAddr(a: Addr): string {
  if (a.v6) return formatV6(a.n);
  const n = a.n;
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/** `ip:port`, with brackets for IPv6 as net.JoinHostPort writes it. */
export function formatHostPort(ip: string, port: number | string): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/** Splits `ip:port` / `[ip]:port` (a DNAT `--to-destination`). */
export function splitHostPort(s: string): { ip: string; port: number | undefined } {
  if (s.startsWith('[')) {
    const end = s.indexOf(']');
    const ip = s.slice(1, end);
    const rest = s.slice(end + 1);
    return { ip, port: rest.startsWith(':') ? Number(rest.slice(1)) : undefined };
  }
  const colon = s.indexOf(':');
  if (colon < 0 || s.indexOf(':', colon + 1) >= 0) return { ip: s, port: undefined };
  return { ip: s.slice(0, colon), port: Number(s.slice(colon + 1)) };
}

// RFC 5952 text (as Go's net.IP.String): lower-case hex, the longest run of two or more zero groups
// (the first one on a tie) written as `::`.
function formatV6(n: bigint): string {
  const g: number[] = [];
  for (let i = 7; i >= 0; i--) g.push(Number((n >> BigInt(i * 16)) & 0xffffn));
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (xs: number[]) => xs.map((x) => x.toString(16)).join(':');
  if (best < 0) return hex(g);
  return `${hex(g.slice(0, best))}::${hex(g.slice(best + bestLen))}`;
}
