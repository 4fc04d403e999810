// Address text as the kernel and Go print it: IPv4 dotted quads, IPv6 in RFC 5952 form (lower case,
// the longest run of zero groups compressed, the first on ties). Lookups key on this text, so every
// address that enters the fabric goes through canonicalIP() once.
import { isIP } from 'node:net';
import { collapseIPv6Number, IPv6 } from 'ip-num';
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

/** The canonical text of an IP address, or undefined when it is not one. */
export function canonicalIP(text: string): string | undefined {
  // The common case (a dotted quad without leading zeros) is already canonical.
  if (v4Simple.test(text)) return text;
  if (isIP(text) !== 6) return undefined;
  const v = IPv6.fromString(text.toLowerCase());
  const mapped = mappedV4(v.value);
  if (mapped !== undefined) return mapped;
  return collapseIPv6Number(v.toString());
}

// Go prints IPv4-mapped IPv6 addresses as IPv4 (net.IP.String); so do we.
function mappedV4(value: bigint): string | undefined {
  if (value >> 32n !== 0xffffn) return undefined;
  return v4Text(value & 0xffffffffn);
}

export function familyOf(ip: string): Family {
  return ip.includes(':') ? 6 : 4;
}

function v4Value(ip: string): bigint {
  const [a, b, c, d] = ip.split('.').map(Number) as [number, number, number, number];
  return BigInt(((a << 24) >>> 0) + (b << 16) + (c << 8) + d);
}

function v4Text(value: bigint): string {
  const n = Number(value);
  return `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

export function ipValue(ip: string): bigint {
  return familyOf(ip) === 4 ? v4Value(ip) : IPv6.fromString(ip).value;
}

export function ipText(family: Family, value: bigint): string {
  return family === 4 ? v4Text(value) : collapseIPv6Number(IPv6.fromBigInt(value).toString());
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

export function cidrText(p: Prefix): string {
  return `${p.network}/${p.length}`;
}

/** The IPv6 link-local address the kernel derives from a MAC (EUI-64: flip the U/L bit, insert ff:fe). */
export function linkLocalFromMAC(mac: string): string {
  const b = mac.split(':').map((h) => Number.parseInt(h, 16));
  const g = (hi: number, lo: number) => ((hi << 8) | lo).toString(16);
  return collapseIPv6Number(
    `fe80:0:0:0:${g(b[0]! ^ 2, b[1]!)}:${g(b[2]!, 0xff)}:${g(0xfe, b[3]!)}:${g(b[4]!, b[5]!)}`,
  );
}
