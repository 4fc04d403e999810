// netlab's one address reader: IP addresses the way the emulated Go programs parse and print them,
// each reader named for the Go function it mirrors. host-local (Go 1.19, Debian's build) reads with
// net.ParseIP / ParseCIDR (parseGoIP, parseGoCIDR): file names under dataDir and every address in a
// result are Go's IP.String(), and what ParseIP accepts or rejects decides error texts. Kubernetes
// reads objects with k8s.io/utils/net's ParseIPSloppy / ParseCIDRSloppy, Go 1.16's parser (the
// *Sloppy readers); CoreDNS with a Go whose net.ParseIP is netip's (parseGoIPNetip). All follow
// net/ip.go rule for rule: IPv4 fields reject leading zeros (but for the sloppy ones); an
// IPv4-mapped IPv6 address *is* an IPv4 address; IPv6 prints lower case with the longest run (>= 2)
// of zero groups compressed, the first run on ties. test/std/ip-edges.test.ts is their edge table.

/** An address: IPv4 (including IPv4-mapped IPv6, as Go's To4 sees it) or IPv6, as an integer. */
export interface IP {
  readonly v4: boolean;
  readonly n: bigint;
}

/** A parsed CIDR as Go keeps it after types.ParseCIDR: the address with its host bits, and the mask. */
export interface IPNet {
  readonly ip: IP;
  /** prefix length of the mask */
  readonly ones: number;
  /** mask size: 32 when written in IPv4 form, 128 when in IPv6 form */
  readonly bits: 32 | 128;
}

const BIG = 0xffffff;
const V4_MAPPED = 0xffffn << 32n;

function dtoi(s: string, i: number): [n: number, end: number, ok: boolean] {
  let n = 0;
  let j = i;
  for (; j < s.length; j++) {
    const c = s.charCodeAt(j);
    if (c < 0x30 || c > 0x39) break;
    n = n * 10 + (c - 0x30);
    if (n >= BIG) return [BIG, j, false];
  }
  if (j === i) return [0, 0, false];
  return [n, j, true];
}

function xtoi(s: string, i: number): [n: number, end: number, ok: boolean] {
  let n = 0;
  let j = i;
  for (; j < s.length; j++) {
    const c = s.charCodeAt(j);
    let d: number;
    if (c >= 0x30 && c <= 0x39) d = c - 0x30;
    else if (c >= 0x61 && c <= 0x66) d = c - 0x61 + 10;
    else if (c >= 0x41 && c <= 0x46) d = c - 0x41 + 10;
    else break;
    n = n * 16 + d;
    if (n >= BIG) return [0, j, false];
  }
  if (j === i) return [0, 0, false];
  return [n, j, true];
}

/**
 * Go's parseIPv4 over s[start, end): exactly four decimal fields 0-255 between dots. A field of more
 * than one digit starting with 0 is refused (Go 1.17+), unless `sloppy`: Go 1.16's rule, which
 * Kubernetes keeps as netutils.ParseIPSloppy, reads any run of digits as decimal (`010` and `0010`
 * are 10). One pass, no slices: every endpoint address kube-proxy reads comes through here.
 * Returns the 32-bit value, or -1.
 */
function ipv4Value(s: string, start: number, end: number, sloppy: boolean): number {
  let v = 0;
  let field = 0;
  let digits = 0;
  let dots = 0;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x2e) {
      if (digits === 0 || dots === 3) return -1;
      v = v * 256 + field;
      field = 0;
      digits = 0;
      dots++;
    } else if (c >= 0x30 && c <= 0x39) {
      if (!sloppy && digits === 1 && field === 0) return -1;
      field = field * 10 + (c - 0x30);
      digits++;
      if (field > 0xff) return -1;
    } else {
      return -1;
    }
  }
  if (dots !== 3 || digits === 0) return -1;
  return v * 256 + field;
}

function parseIPv4(s: string, sloppy: boolean): number | null {
  const v = ipv4Value(s, 0, s.length, sloppy);
  return v < 0 ? null : v;
}

/**
 * netutils.ParseIPSloppy for dotted IPv4 alone, as a 32-bit number (no bigint): kube-proxy's hot path
 * and iptables' dotted masks. undefined for anything else, IPv6 forms included.
 */
export function parseGoIPv4Sloppy(s: string): number | undefined {
  const v = ipv4Value(s, 0, s.length, true);
  return v < 0 ? undefined : v;
}

/**
 * Go's parseIPv6 (with an optional trailing dotted IPv4). A group is any run of hex digits worth at
 * most ffff (`00001` is 1), unless `fourDigits`: netip's rule, at most four digits. Returns the 16 bytes.
 */
function parseIPv6(str: string, sloppy = false, fourDigits = false): Uint8Array | null {
  const ip = new Uint8Array(16);
  let s = str;
  let ellipsis = -1;
  if (s.length >= 2 && s[0] === ':' && s[1] === ':') {
    ellipsis = 0;
    s = s.slice(2);
    if (s.length === 0) return ip;
  }
  let i = 0;
  while (i < 16) {
    const [n, c, ok] = xtoi(s, 0);
    if (!ok || n > 0xffff || (fourDigits && c > 4)) return null;
    if (c < s.length && s[c] === '.') {
      if (ellipsis < 0 && i !== 12) return null;
      if (i + 4 > 16) return null;
      const v4 = parseIPv4(s, sloppy);
      if (v4 === null) return null;
      ip[i] = (v4 >>> 24) & 0xff;
      ip[i + 1] = (v4 >>> 16) & 0xff;
      ip[i + 2] = (v4 >>> 8) & 0xff;
      ip[i + 3] = v4 & 0xff;
      s = '';
      i += 4;
      break;
    }
    ip[i] = n >> 8;
    ip[i + 1] = n & 0xff;
    i += 2;
    s = s.slice(c);
    if (s.length === 0) break;
    if (s[0] !== ':' || s.length === 1) return null;
    s = s.slice(1);
    if (s[0] === ':') {
      if (ellipsis >= 0) return null;
      ellipsis = i;
      s = s.slice(1);
      if (s.length === 0) break;
    }
  }
  if (s.length !== 0) return null;
  if (i < 16) {
    if (ellipsis < 0) return null;
    const n = 16 - i;
    for (let j = i - 1; j >= ellipsis; j--) ip[j + n] = ip[j]!;
    for (let j = ellipsis + n - 1; j >= ellipsis; j--) ip[j] = 0;
  } else if (ellipsis >= 0) {
    return null;
  }
  return ip;
}

function fromBytes16(b: Uint8Array): IP {
  let n = 0n;
  for (const x of b) n = (n << 8n) | BigInt(x);
  if (n >> 32n === 0xffffn) return { v4: true, n: n & 0xffffffffn };
  return { v4: false, n };
}

/** net.ParseIP: null when Go would return nil. */
export function parseGoIP(s: string): IP | null {
  return parseIP(s, false);
}

/**
 * netutils.ParseIPSloppy: how Kubernetes components (kube-proxy among them) read addresses in
 * objects, IPv4 fields with leading zeros read as decimal.
 */
export function parseGoIPSloppy(s: string): IP | null {
  return parseIP(s, true);
}

/**
 * net.ParseIP since Go 1.22, which reads with netip.ParseAddr and refuses a zone: as parseGoIP, and an
 * IPv6 group of more than four hex digits is refused. CoreDNS v1.14 (Go 1.24) reads addresses so.
 */
export function parseGoIPNetip(s: string): IP | null {
  return parseIP(s, false, true);
}

function parseIP(s: string, sloppy: boolean, fourDigits = false): IP | null {
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '.') {
      const v = parseIPv4(s, sloppy);
      return v === null ? null : { v4: true, n: BigInt(v) };
    }
    if (c === ':') {
      const b = parseIPv6(s, sloppy, fourDigits);
      return b === null ? null : fromBytes16(b);
    }
  }
  return null;
}

/** net.ParseCIDR, keeping the host bits in `ip` as types.ParseCIDR does; null on error. */
export function parseGoCIDR(s: string): IPNet | null {
  return parseCIDR(s, false);
}

/** netutils.ParseCIDRSloppy: net.ParseCIDR with IPv4 fields read as ParseIPSloppy reads them. */
export function parseGoCIDRSloppy(s: string): IPNet | null {
  return parseCIDR(s, true);
}

function parseCIDR(s: string, sloppy: boolean): IPNet | null {
  const slash = s.indexOf('/');
  if (slash < 0) return null;
  const addr = s.slice(0, slash);
  const mask = s.slice(slash + 1);
  let bits: 32 | 128 = 32;
  let ip: IP | null = null;
  const v4 = parseIPv4(addr, sloppy);
  if (v4 !== null) ip = { v4: true, n: BigInt(v4) };
  else {
    bits = 128;
    const b = parseIPv6(addr, sloppy);
    if (b !== null) ip = fromBytes16(b);
  }
  const [n, end, ok] = dtoi(mask, 0);
  if (ip === null || !ok || end !== mask.length || n > bits) return null;
  return { ip, ones: n, bits };
}

/**
 * The network Go's ParseCIDR returns as its *IPNet (`ip.Mask(mask)`), as Kubernetes reads it: the
 * family is what `To4()` says of the masked address and the prefix is what IPNet.String() prints.
 * An IPv4-mapped address under an IPv6 prefix of /96 or more is therefore an IPv4 network
 * (`::ffff:10.0.0.0/104` is 10.0.0.0/8); under a shorter one the mapping's ffff is masked away and
 * the network is IPv6 (`::ffff:10.0.0.0/64` is ::/64).
 */
export interface GoNetwork {
  /** The network address, host bits cleared. */
  readonly ip: IP;
  /** The prefix length of `ip`'s family: 0-32 for IPv4, 0-128 for IPv6. */
  readonly prefix: number;
}

export function goNetwork(net: IPNet): GoNetwork {
  if (net.bits === 32) return { ip: { v4: true, n: net.ip.n & maskOf(net.ones, 32) }, prefix: net.ones };
  if (net.ip.v4 && net.ones >= 96)
    return { ip: { v4: true, n: net.ip.n & maskOf(net.ones - 96, 32) }, prefix: net.ones - 96 };
  return { ip: { v4: false, n: as16(net.ip) & maskOf(net.ones, 128) }, prefix: net.ones };
}

/** IPNet.String() of a network: `10.0.0.0/8`, `fd00::/64`. */
export function formatGoNetwork(net: GoNetwork): string {
  return `${formatGoIP(net.ip)}/${net.prefix}`;
}

/** netutils.IPFamilyOfString: the family of what ParseIPSloppy reads (IPv4-mapped IPv6 is IPv4). */
export function ipFamilyOfString(s: string): 'IPv4' | 'IPv6' | undefined {
  const ip = parseIP(s, true);
  return ip === null ? undefined : ip.v4 ? 'IPv4' : 'IPv6';
}

/**
 * netutils.IsIPv6String: what ParseIPSloppy reads and To4() calls IPv6 (IPv4-mapped is not); false for
 * what does not parse. An address without a colon is never IPv6, so an IPv4 one costs no parse.
 */
export function isIPv6String(s: string): boolean {
  return s.includes(':') && ipFamilyOfString(s) === 'IPv6';
}

/** netutils.IPFamilyOfCIDRString: the family of the network ParseCIDRSloppy returns. */
export function ipFamilyOfCIDRString(s: string): 'IPv4' | 'IPv6' | undefined {
  const net = parseCIDR(s, true);
  return net === null ? undefined : goNetwork(net).ip.v4 ? 'IPv4' : 'IPv6';
}

/** IP.String() of an IPv4 address held as a 32-bit number (the hot paths keep IPv4 so). */
export function formatGoIPv4(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 0xff}.${(n >>> 8) & 0xff}.${n & 0xff}`;
}

/** IP.String(). */
export function formatGoIP(ip: IP): string {
  if (ip.v4) return formatGoIPv4(Number(ip.n));
  const g: number[] = [];
  for (let i = 7; i >= 0; i--) g.push(Number((ip.n >> BigInt(i * 16)) & 0xffffn));
  let e0 = -1;
  let e1 = -1;
  for (let i = 0; i < 8; i++) {
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i >= 2 && j - i > e1 - e0) {
      e0 = i;
      e1 = j;
    }
    i = j;
  }
  if (e0 < 0) return g.map((x) => x.toString(16)).join(':');
  const head = g.slice(0, e0).map((x) => x.toString(16));
  const tail = g.slice(e1).map((x) => x.toString(16));
  return head.join(':') + '::' + tail.join(':');
}

/** IPNet.String() as Go prints it: the address as stored (host bits kept) and the prefix length. */
export function formatGoIPNet(net: IPNet): string {
  // networkNumberAndMask: an IPv4 address under a 16-byte mask uses the mask's last 4 bytes.
  if (net.ip.v4 && net.bits === 128) return formatGoIP(net.ip) + '/' + Math.max(0, net.ones - 96);
  return formatGoIP(net.ip) + '/' + net.ones;
}

export function ipEqual(a: IP, b: IP): boolean {
  return a.v4 === b.v4 && a.n === b.n;
}

/** ip.Cmp: numeric order of the 4-byte (IPv4) or 16-byte form, which is what `n` holds. */
export function ipCompare(a: IP, b: IP): number {
  return a.n < b.n ? -1 : a.n > b.n ? 1 : 0;
}

/** ip.NextIP. */
export function nextIP(ip: IP): IP {
  const max = ip.v4 ? 0xffffffffn : (1n << 128n) - 1n;
  return { v4: ip.v4, n: ip.n === max ? 0n : ip.n + 1n };
}

export function familyBits(ip: IP): 32 | 128 {
  return ip.v4 ? 32 : 128;
}

/** The mask of `ones` bits in a `bits`-bit address, as an integer. */
export function maskOf(ones: number, bits: number): bigint {
  const all = (1n << BigInt(bits)) - 1n;
  return (all >> BigInt(bits - ones)) << BigInt(bits - ones);
}

/** The IPv4-mapped form, used when a 16-byte mask meets an IPv4 address. */
export function as16(ip: IP): bigint {
  return ip.v4 ? V4_MAPPED | ip.n : ip.n;
}

/** Go's `net.JoinHostPort`: `host:port`, a host with a colon (IPv6) in brackets. */
export function joinHostPort(host: string, port: number | string): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
