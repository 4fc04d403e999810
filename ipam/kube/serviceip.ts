// Service ClusterIP allocation as kube-apiserver's ipallocator.Range (bitmap.go): the network
// address is never handed out, nor the IPv4 broadcast address; IPv6 bitmaps stop at 65536 entries;
// the lower band (min(max(16, size/16), 256) addresses) is kept for requested IPs (KEP-3070).
import {
  formatGoIP,
  formatGoIPv4,
  formatGoNetwork,
  goNetwork,
  parseGoCIDRSloppy,
  parseGoIPSloppy,
} from '../../std/index.js';
import { AllocationBitmap, BitmapAllocator } from './bitmap.js';
import { AlreadyAllocatedError, InvalidRangeError, NotInRangeError, RangeFullError } from './errors.js';

export type ServiceIPFamily = 'IPv4' | 'IPv6';

/** An address as kube-apiserver reads it (netutils.ParseIPSloppy); IPv4-mapped IPv6 is IPv4, as To4 says. */
function parseIP(ip: string): { family: ServiceIPFamily; value: bigint } | undefined {
  const p = parseGoIPSloppy(ip);
  return p === null ? undefined : { family: p.v4 ? 'IPv4' : 'IPv6', value: p.n };
}

/** An address as Go's net.IP.String() prints it. */
function formatIP(family: ServiceIPFamily, value: bigint): string {
  return formatGoIP({ v4: family === 'IPv4', n: value });
}

interface ServiceCIDR {
  family: ServiceIPFamily;
  /** The network address (host bits cleared). */
  network: bigint;
  prefix: number;
  bits: number;
  /** Canonical text, `10.96.0.0/12`. */
  text: string;
}

/** A CIDR as netutils.ParseCIDRSloppy reads it: the network Go's *IPNet holds, host bits cleared. */
function parseCIDR(cidr: string): ServiceCIDR | undefined {
  const parsed = parseGoCIDRSloppy(cidr);
  if (parsed === null) return undefined;
  const net = goNetwork(parsed);
  return {
    family: net.ip.v4 ? 'IPv4' : 'IPv6',
    network: net.ip.n,
    prefix: net.prefix,
    bits: net.ip.v4 ? 32 : 128,
    text: formatGoNetwork(net),
  };
}

/** KEP-3070 static band size for a CIDR: min(max(16, size/16), 256); 0 up to 16 addresses. */
export function serviceIPRangeOffset(prefix: number, bits: number): number {
  const hostBits = bits - prefix;
  if (hostBits <= 4) return 0; // 16 addresses or fewer
  if (hostBits >= 12) return 256; // size/16 >= 256
  return Math.max(16, 2 ** hostBits / 16);
}

export interface AllocatorOptions {
  /** Seed of the PRNG that picks where a dynamic scan starts. */
  seed?: number;
}

/** Allocates Service IPs from one CIDR (one family). */
export class ServiceIPAllocator extends BitmapAllocator {
  readonly cidr: string;
  readonly family: ServiceIPFamily;
  private readonly net: ServiceCIDR;
  /** The address of bit 0: the network address + 1. */
  private readonly base: bigint;
  /** The base as a number for IPv4, where BigInt arithmetic would be the slow part of an allocation. */
  private readonly base4: number;

  constructor(cidr: string, opts: AllocatorOptions = {}) {
    const net = parseCIDR(cidr);
    if (!net) throw new InvalidRangeError(`invalid service CIDR "${cidr}"`);
    // kube-apiserver refuses larger ranges (the bitmap would be too big).
    if (net.family === 'IPv4' && net.prefix < 12)
      throw new InvalidRangeError(
        'specified --service-cluster-ip-range is too large; for 32-bit addresses, the mask must be >= 12',
      );
    if (net.family === 'IPv6' && net.prefix < 108)
      throw new InvalidRangeError(
        'specified --service-cluster-ip-range is too large; for 128-bit addresses, the mask must be >= 108',
      );
    let max = 2 ** (net.bits - net.prefix);
    if (net.family === 'IPv6') max = Math.min(max, 65536);
    else max -= 1; // the broadcast address
    max -= 1; // the network address
    super(new AllocationBitmap(Math.max(0, max), serviceIPRangeOffset(net.prefix, net.bits), opts.seed ?? 1));
    this.net = net;
    this.cidr = net.text;
    this.family = net.family;
    this.base = net.network + 1n;
    this.base4 = net.family === 'IPv4' ? Number(this.base) : 0;
  }

  /** The first allocatable address (`default/kubernetes` gets it). */
  firstAddress(): string {
    return formatIP(this.family, this.base);
  }

  private addressAt(i: number): string {
    if (this.family === 'IPv6') return formatIP('IPv6', this.base + BigInt(i));
    return formatGoIPv4(this.base4 + i);
  }

  private indexOf(ip: string): number | undefined {
    const p = parseIP(ip);
    if (!p || p.family !== this.family) return undefined;
    const off = p.value - this.base;
    if (off < 0n || off >= BigInt(this.bitmap.max)) return undefined;
    return Number(off);
  }

  /** Whether ip is an address this allocator could hand out. */
  contains(ip: string): boolean {
    return this.indexOf(ip) !== undefined;
  }

  /** Whether ip is the network's CIDR at all (including the addresses never handed out). */
  inCIDR(ip: string): boolean {
    const p = parseIP(ip);
    if (!p || p.family !== this.family) return false;
    const hostBits = BigInt(this.net.bits - this.net.prefix);
    return p.value >> hostBits === this.net.network >> hostBits;
  }

  has(ip: string): boolean {
    const i = this.indexOf(ip);
    return i !== undefined && this.bitmap.has(i);
  }

  /** Reserves a requested address. Throws NotInRangeError or AlreadyAllocatedError. */
  allocate(ip: string): void {
    const i = this.indexOf(ip);
    if (i === undefined) {
      const p = parseIP(ip);
      const shown = p ? formatIP(p.family, p.value) : ip;
      throw new NotInRangeError(
        `the provided IP (${shown}) is not in the valid range. The range of valid IPs is ${this.cidr}`,
        this.cidr,
      );
    }
    if (!this.bitmap.allocate(i)) throw new AlreadyAllocatedError('IP');
  }

  /** Reserves a free address, the upper band first. Throws RangeFullError. */
  allocateNext(): string {
    const i = this.bitmap.allocateNext();
    if (i < 0) throw new RangeFullError();
    return this.addressAt(i);
  }

  release(ip: string): void {
    const i = this.indexOf(ip);
    if (i !== undefined) this.bitmap.release(i);
  }

  /** Every allocated address, ascending. */
  *allocated(): Generator<string> {
    for (const i of this.bitmap.allocated()) yield this.addressAt(i);
  }
}
