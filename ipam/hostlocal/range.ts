// Ranges and range sets (host-local allocator/range.go, range_set.go): canonicalisation with its
// exact error texts and order, Contains, Overlaps, and the String forms that appear in messages.

import {
  formatGoIP,
  formatGoIPNet,
  type IP,
  type IPNet,
  ipCompare,
  maskOf,
  nextIP,
} from '../../std/index.js';
import { HostLocalError } from './errors.js';

/** A range as written in the config, before canonicalisation (any field may be missing). */
export interface RangeInput {
  subnet: IPNet | null;
  rangeStart: IP | null;
  rangeEnd: IP | null;
  gateway: IP | null;
}

/** A canonical range: every field set, one address family. */
export interface Range {
  readonly v4: boolean;
  /** the network address */
  readonly network: IP;
  readonly ones: number;
  readonly bits: 32 | 128;
  readonly rangeStart: IP;
  readonly rangeEnd: IP;
  /** the gateway (may lie outside the subnet, or even be of the other family, as host-local allows) */
  readonly gateway: IP;
}

/** A list of ranges of one family from which one address is allocated. */
export type RangeSet = readonly Range[];

function subnetString(network: IP, ones: number): string {
  return formatGoIPNet({ ip: network, ones, bits: network.v4 ? 32 : 128 });
}

function inSubnet(network: IP, ones: number, bits: number, addr: IP): boolean {
  const m = maskOf(ones, bits);
  return (addr.n & m) === (network.n & m);
}

/** Range.Contains, usable on a half-built range (rangeStart/rangeEnd checked only if present). */
function containsRaw(
  v4: boolean,
  network: IP,
  ones: number,
  start: IP | null,
  end: IP | null,
  addr: IP,
): boolean {
  if (addr.v4 !== v4) return false;
  if (!inSubnet(network, ones, v4 ? 32 : 128, addr)) return false;
  if (start && ipCompare(addr, start) < 0) return false;
  if (end && ipCompare(addr, end) > 0) return false;
  return true;
}

/** Range.Canonicalize: the messages and their order are host-local's. */
export function canonicalizeRange(r: RangeInput): Range {
  if (r.subnet === null) throw new HostLocalError('NETLAB_IPAM_HOSTLOCAL_RANGE', 'IP <nil> not v4 nor v6');
  const { ip, ones, bits } = r.subnet;
  if (ones > bits - 2)
    throw new HostLocalError(
      'NETLAB_IPAM_HOSTLOCAL_RANGE',
      `Network ${formatGoIPNet(r.subnet)} too small to allocate from`,
    );
  const v4 = ip.v4;
  if ((v4 ? 32 : 128) !== bits)
    throw new HostLocalError('NETLAB_IPAM_HOSTLOCAL_RANGE', 'IPNet IP and Mask version mismatch');
  const network: IP = { v4, n: ip.n & maskOf(ones, bits) };
  if (network.n !== ip.n) {
    throw new HostLocalError(
      'NETLAB_IPAM_HOSTLOCAL_RANGE',
      `Network has host bits set. For a subnet mask of length ${ones} the network address is ${formatGoIP(network)}`,
    );
  }
  const gateway = r.gateway ?? nextIP(network);
  let rangeStart: IP;
  if (r.rangeStart) {
    if (!containsRaw(v4, network, ones, r.rangeStart, r.rangeEnd, r.rangeStart)) {
      throw new HostLocalError(
        'NETLAB_IPAM_HOSTLOCAL_RANGE',
        `RangeStart ${formatGoIP(r.rangeStart)} not in network ${subnetString(network, ones)}`,
      );
    }
    rangeStart = r.rangeStart;
  } else rangeStart = nextIP(network);
  let rangeEnd: IP;
  if (r.rangeEnd) {
    if (!containsRaw(v4, network, ones, rangeStart, r.rangeEnd, r.rangeEnd)) {
      throw new HostLocalError(
        'NETLAB_IPAM_HOSTLOCAL_RANGE',
        `RangeEnd ${formatGoIP(r.rangeEnd)} not in network ${subnetString(network, ones)}`,
      );
    }
    rangeEnd = r.rangeEnd;
  } else {
    // the last address; for IPv4 one less (the broadcast address), for IPv6 the all-ones address itself
    const last = network.n | (maskOf(bits, bits) ^ maskOf(ones, bits));
    rangeEnd = { v4, n: v4 ? last - 1n : last };
  }
  return { v4, network, ones, bits, rangeStart, rangeEnd, gateway };
}

export function rangeContains(r: Range, addr: IP): boolean {
  return containsRaw(r.v4, r.network, r.ones, r.rangeStart, r.rangeEnd, addr);
}

export function rangeString(r: Range): string {
  return `${formatGoIP(r.rangeStart)}-${formatGoIP(r.rangeEnd)}`;
}

export function rangeOverlaps(a: Range, b: Range): boolean {
  if (a.v4 !== b.v4) return false;
  return (
    rangeContains(a, b.rangeStart) ||
    rangeContains(a, b.rangeEnd) ||
    rangeContains(b, a.rangeStart) ||
    rangeContains(b, a.rangeEnd)
  );
}

/** RangeSet.Canonicalize. */
export function canonicalizeRangeSet(set: readonly RangeInput[]): RangeSet {
  if (set.length === 0) throw new HostLocalError('NETLAB_IPAM_HOSTLOCAL_RANGE', 'empty range set');
  const out: Range[] = [];
  for (let i = 0; i < set.length; i++) {
    const r = canonicalizeRange(set[i]!);
    if (i > 0 && r.v4 !== out[0]!.v4)
      throw new HostLocalError('NETLAB_IPAM_HOSTLOCAL_RANGE', 'mixed address families');
    out.push(r);
  }
  for (let i = 0; i < out.length - 1; i++) {
    for (let j = i + 1; j < out.length; j++) {
      if (rangeOverlaps(out[i]!, out[j]!)) {
        throw new HostLocalError(
          'NETLAB_IPAM_HOSTLOCAL_RANGE',
          `subnets ${rangeString(out[i]!)} and ${rangeString(out[j]!)} overlap`,
        );
      }
    }
  }
  return out;
}

export function rangeSetString(set: RangeSet): string {
  return set.map(rangeString).join(',');
}

/** RangeSet.RangeFor: the first range containing addr, or undefined. */
export function rangeFor(set: RangeSet, addr: IP): Range | undefined {
  for (const r of set) if (rangeContains(r, addr)) return r;
  return undefined;
}

export function rangeSetContains(set: RangeSet, addr: IP): boolean {
  return rangeFor(set, addr) !== undefined;
}

export function rangeSetsOverlap(a: RangeSet, b: RangeSet): boolean {
  return a.some((x) => b.some((y) => rangeOverlaps(x, y)));
}
