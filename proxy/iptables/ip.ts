// Address parsing as kube-proxy does it: `netutils.ParseIPSloppy` / `ParseCIDRSloppy` (IPv4 parts
// with leading zeros are read as decimal, so `10.180.00.001` is `10.180.0.1`), and Go's
// `net.IP.String()` form for printing (IPv6 compressed as RFC 5952, IPv4-mapped IPv6 printed as
// IPv4). Kept here, small and allocation-light, because the sync path parses every endpoint.
import type { IPFamily } from '../../api/index.js';

export interface ParsedIP {
  family: IPFamily;
  /** 4 or 16 bytes. */
  bytes: Uint8Array;
  /** Go's `net.IP.String()`. */
  text: string;
}

export interface ParsedCIDR {
  family: IPFamily;
  /** Network address (host bits cleared). */
  bytes: Uint8Array;
  prefix: number;
  /** Go's `net.IPNet.String()`: `10.0.0.0/8`. */
  text: string;
}

function parseIPv4Sloppy(s: string): Uint8Array | null {
  // By hand, not split + regex: every endpoint address of every slice comes through here.
  const out = new Uint8Array(4);
  let part = 0;
  let digits = 0;
  let value = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      // Go 1.16's dtoi (kept by ParseIPSloppy): any number of leading zeros, value <= 255.
      digits++;
      value = value * 10 + (c - 48);
      if (value > 255) return null;
    } else if (c === 46 && digits > 0 && part < 3) {
      if (value > 255) return null;
      out[part++] = value;
      digits = 0;
      value = 0;
    } else return null;
  }
  if (part !== 3 || digits === 0 || value > 255) return null;
  out[3] = value;
  return out;
}

function parseIPv6(s: string): Uint8Array | null {
  if (!s.includes(':')) return null;
  let head = s;
  let tail4: Uint8Array | null = null;
  const lastColon = s.lastIndexOf(':');
  if (s.slice(lastColon + 1).includes('.')) {
    tail4 = parseIPv4Sloppy(s.slice(lastColon + 1));
    if (!tail4) return null;
    head = `${s.slice(0, lastColon + 1)}0:0`;
  }
  const dbl = head.indexOf('::');
  if (dbl !== head.lastIndexOf('::')) return null;
  const groupsOf = (part: string): number[] | null => {
    if (part === '') return [];
    const gs = part.split(':');
    const out: number[] = [];
    for (const g of gs) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
      out.push(Number.parseInt(g, 16));
    }
    return out;
  };
  let groups: number[];
  if (dbl >= 0) {
    const left = groupsOf(head.slice(0, dbl));
    const right = groupsOf(head.slice(dbl + 2));
    if (!left || !right || left.length + right.length > 7) return null;
    groups = [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  } else {
    const all = groupsOf(head);
    if (all?.length !== 8) return null;
    groups = all;
  }
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    out[i * 2] = groups[i]! >> 8;
    out[i * 2 + 1] = groups[i]! & 0xff;
  }
  if (tail4) out.set(tail4, 12);
  return out;
}

function isV4Mapped(b: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return false;
  return b[10] === 0xff && b[11] === 0xff;
}

function formatIPv6(b: Uint8Array): string {
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push((b[i * 2]! << 8) | b[i * 2 + 1]!);
  // Longest run of two or more zero groups, the first one on a tie (as Go and RFC 5952).
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (xs: number[]) => xs.map((x) => x.toString(16)).join(':');
  if (bestStart < 0) return hex(g);
  return `${hex(g.slice(0, bestStart))}::${hex(g.slice(bestStart + bestLen))}`;
}

function formatIPv4(b: Uint8Array): string {
  return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
}

/** `netutils.ParseIPSloppy` followed by Go's family rule (`To4() != nil` means IPv4). */
export function parseIPSloppy(s: string): ParsedIP | null {
  const v4 = parseIPv4Sloppy(s);
  if (v4) return { family: 'IPv4', bytes: v4, text: formatIPv4(v4) };
  const v6 = parseIPv6(s);
  if (!v6) return null;
  if (isV4Mapped(v6)) {
    const b = v6.slice(12);
    return { family: 'IPv4', bytes: b, text: formatIPv4(b) };
  }
  return { family: 'IPv6', bytes: v6, text: formatIPv6(v6) };
}

/** `netutils.ParseCIDRSloppy`: the network address with host bits cleared. */
export function parseCIDRSloppy(s: string): ParsedCIDR | null {
  const slash = s.indexOf('/');
  if (slash < 0) return null;
  const ip = parseIPSloppy(s.slice(0, slash));
  const pfx = s.slice(slash + 1);
  if (!ip || !/^[0-9]{1,3}$/.test(pfx)) return null;
  // A v4-mapped address with a /96+ prefix is an IPv4 CIDR in Go; anything else keeps its family.
  let prefix = Number(pfx);
  const isMapped = ip.family === 'IPv4' && s.slice(0, slash).includes(':');
  if (isMapped) {
    if (prefix < 96 || prefix > 128) return null;
    prefix -= 96;
  }
  const bits = ip.bytes.length * 8;
  if (prefix > bits) return null;
  const net = ip.bytes.slice();
  for (let i = 0; i < net.length; i++) {
    const keep = Math.max(0, Math.min(8, prefix - i * 8));
    net[i] = net[i]! & ((0xff << (8 - keep)) & 0xff);
  }
  const text = `${ip.family === 'IPv4' ? formatIPv4(net) : formatIPv6(net)}/${prefix}`;
  return { family: ip.family, bytes: net, prefix, text };
}

export function cidrContains(cidr: ParsedCIDR, ip: ParsedIP): boolean {
  if (cidr.bytes.length !== ip.bytes.length) return false;
  let left = cidr.prefix;
  for (let i = 0; left > 0; i++, left -= 8) {
    const mask = left >= 8 ? 0xff : (0xff << (8 - left)) & 0xff;
    if ((ip.bytes[i]! & mask) !== cidr.bytes[i]) return false;
  }
  return true;
}

export function isLoopback(ip: ParsedIP): boolean {
  if (ip.family === 'IPv4') return ip.bytes[0] === 127;
  return ip.text === '::1';
}

export function isZeroCIDR(cidr: ParsedCIDR): boolean {
  return cidr.prefix === 0;
}

/** Go's `net.JoinHostPort`: IPv6 hosts in brackets. */
export function joinHostPort(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}
