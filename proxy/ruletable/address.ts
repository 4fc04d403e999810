// The one address module of proxy/: what the rule generator reads from Services and EndpointSlices,
// what rules match on, what the tracer, conntrack and fast path compare. IPv4 stays a 32-bit number
// (every endpoint address of every slice and every packet's address goes through here, and a number
// compares faster than a bigint); IPv6 is a bigint. Parsing is std/'s (std/goip.ts): addresses are
// read "sloppily" as kube-proxy reads them (netutils.ParseIPSloppy: Go 1.16's dtoi, so leading
// zeros are decimal and `10.180.00.001` is `10.180.0.1`), which is the one place where kube-proxy
// and Go's current net.ParseIP differ.
import type { IPFamily } from '../../api/index.js';
import {
  formatGoIP,
  formatGoIPv4,
  goNetwork,
  parseGoCIDRSloppy,
  parseGoIPSloppy,
  parseGoIPv4Sloppy,
} from '../../std/index.js';

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

/** An address (ParseIPSloppy); an IPv4-mapped IPv6 address is IPv4, as Go's To4 sees it. */
export function parseAddr(s: string): Addr | undefined {
  const v4 = parseGoIPv4Sloppy(s);
  if (v4 !== undefined) return { v6: false, n: v4 };
  const ip = parseGoIPSloppy(s);
  if (ip === null) return undefined;
  return ip.v4 ? { v6: false, n: Number(ip.n) } : { v6: true, n: ip.n };
}

/** Go's `net.IP.String()`: IPv4 dotted, IPv6 as RFC 5952. */
export function formatAddr(a: Addr): string {
  return a.v6 ? formatGoIP({ v4: false, n: a.n }) : formatGoIPv4(a.n);
}

const V6_ALL = (1n << 128n) - 1n;

function cidrOf(a: Addr, prefix: number): Cidr {
  if (a.v6) {
    const bigMask = prefix === 0 ? 0n : (V6_ALL << BigInt(128 - prefix)) & V6_ALL;
    return { v6: true, prefix, net: 0, mask: 0, bigNet: a.n & bigMask, bigMask };
  }
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return { v6: false, prefix, net: (a.n & mask) >>> 0, mask, bigNet: 0n, bigMask: 0n };
}

/** An iptables address argument: `ADDR`, `ADDR/LEN` or `ADDR/DOTTED.MASK` (host bits cleared). */
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
      const m = parseGoIPv4Sloppy(p);
      if (a.v6 || m === undefined) return undefined;
      prefix = 32 - Math.log2(2 ** 32 - m);
      if (!Number.isInteger(prefix)) return undefined;
    } else {
      prefix = Number(p);
    }
    if (prefix > max) return undefined;
  }
  return cidrOf(a, prefix);
}

export function addrInCidr(c: Cidr, a: Addr): boolean {
  if (c.v6 !== a.v6) return false;
  if (a.v6) return (a.n & c.bigMask) === c.bigNet;
  return (a.n & c.mask) >>> 0 === c.net;
}

/** The network address of a block. */
export function cidrNetwork(c: Cidr): Addr {
  return c.v6 ? { v6: true, n: c.bigNet } : { v6: false, n: c.net };
}

/** True for 127.0.0.0/8 and ::1. */
export function isLoopback(a: Addr): boolean {
  return a.v6 ? a.n === 1n : a.n >>> 24 === 127;
}

/** An address as kube-proxy reads one from an object: its family, value and Go's text for it. */
export interface ParsedIP {
  readonly family: IPFamily;
  readonly addr: Addr;
  /** Go's `net.IP.String()`. */
  readonly text: string;
}

/** A CIDR as kube-proxy reads one (network address, host bits cleared) with Go's text for it. */
export interface ParsedCIDR extends Cidr {
  readonly family: IPFamily;
  /** Go's `net.IPNet.String()`: `10.0.0.0/8`. */
  readonly text: string;
}

/** `netutils.ParseIPSloppy` followed by Go's family rule (`To4() != nil` means IPv4). */
export function parseIPSloppy(s: string): ParsedIP | null {
  const addr = parseAddr(s);
  if (addr === undefined) return null;
  return { family: addr.v6 ? 'IPv6' : 'IPv4', addr, text: formatAddr(addr) };
}

/** `netutils.ParseCIDRSloppy`: `ADDR/LEN` only; the network address with host bits cleared. */
export function parseCIDRSloppy(s: string): ParsedCIDR | null {
  const parsed = parseGoCIDRSloppy(s);
  if (parsed === null) return null;
  // An IPv4-mapped address under a prefix shorter than /96 is the IPv6 network the mask leaves
  // (`::ffff:10.0.0.0/64` is ::/64), as Go's ParseCIDRSloppy answers; /96 and longer is IPv4.
  const net = goNetwork(parsed);
  const c = cidrOf(net.ip.v4 ? { v6: false, n: Number(net.ip.n) } : { v6: true, n: net.ip.n }, net.prefix);
  return { ...c, family: c.v6 ? 'IPv6' : 'IPv4', text: `${formatAddr(cidrNetwork(c))}/${net.prefix}` };
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
