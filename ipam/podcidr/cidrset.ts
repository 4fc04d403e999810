// Node podCIDRs as kube-controller-manager's range allocator hands them out (pkg/controller/
// nodeipam/ipam/cidrset and range_allocator.go): the cluster CIDR is cut into blocks of the node
// mask size (default /24 for IPv4, /64 for IPv6), a bitmap of used blocks, and round-robin
// allocation from the block after the last one handed out. Nodes that already carry podCIDRs
// occupy them; deleting a node releases them.
import { formatGoIP, type IP, type IPNet, maskOf, parseGoCIDR } from '../../std/index.js';
import { PodCIDRConfigError, PodCIDRExhaustedError, PodCIDROutOfRangeError } from './errors.js';

/** cidrset's clusterSubnetMaxDiff: at most 2^16 node blocks per cluster CIDR. */
const MAX_DIFF = 16;

function parseCIDROrThrow(s: string): IPNet {
  const n = parseGoCIDR(s);
  if (n === null) throw new PodCIDRConfigError(`invalid CIDR address: ${s}`);
  return n;
}

/** One cluster CIDR cut into node blocks. */
export class CIDRSet {
  readonly v4: boolean;
  readonly bits: 32 | 128;
  readonly clusterMaskSize: number;
  readonly nodeMaskSize: number;
  readonly maxCIDRs: number;
  private readonly base: bigint;
  private readonly used: Uint8Array;
  private nextCandidate = 0;
  private allocated = 0;

  constructor(
    readonly clusterCIDR: string,
    nodeMaskSize: number,
  ) {
    const net = parseCIDROrThrow(clusterCIDR);
    this.v4 = net.ip.v4;
    this.bits = this.v4 ? 32 : 128;
    this.clusterMaskSize = net.ip.v4 && net.bits === 128 ? Math.max(0, net.ones - 96) : net.ones;
    if (nodeMaskSize < this.clusterMaskSize || nodeMaskSize > this.bits) {
      throw new PodCIDRConfigError(
        `node CIDR mask size ${nodeMaskSize} must be between the cluster CIDR's ${this.clusterMaskSize} and ${this.bits}`,
      );
    }
    if (nodeMaskSize - this.clusterMaskSize > MAX_DIFF) {
      throw new PodCIDRConfigError('New CIDR set failed; the node CIDR size is too big');
    }
    this.nodeMaskSize = nodeMaskSize;
    this.maxCIDRs = 2 ** (nodeMaskSize - this.clusterMaskSize);
    this.base = net.ip.n & maskOf(this.clusterMaskSize, this.bits);
    this.used = new Uint8Array(this.maxCIDRs);
  }

  private shift(): bigint {
    return BigInt(this.bits - this.nodeMaskSize);
  }

  private indexToCIDR(i: number): string {
    const ip: IP = { v4: this.v4, n: this.base | (BigInt(i) << this.shift()) };
    return `${formatGoIP(ip)}/${this.nodeMaskSize}`;
  }

  /** AllocateNext: the first free block at or after the one after the last allocation. */
  allocateNext(): string {
    let i = this.nextCandidate;
    for (let tries = 0; tries < this.maxCIDRs; tries++) {
      if (this.used[i] === 0) {
        this.used[i] = 1;
        this.allocated++;
        this.nextCandidate = (i + 1) % this.maxCIDRs;
        return this.indexToCIDR(i);
      }
      i = (i + 1) % this.maxCIDRs;
    }
    throw new PodCIDRExhaustedError();
  }

  /** The block indices a CIDR covers (getBeginningAndEndIndices), or an out-of-range error. */
  private indices(cidr: string): [number, number] {
    const net = parseCIDROrThrow(cidr);
    const clusterMask = maskOf(this.clusterMaskSize, this.bits);
    const ones = net.ip.v4 && net.bits === 128 ? net.ones - 96 : net.ones;
    if (net.ip.v4 !== this.v4 || (net.ip.n & clusterMask) !== this.base || ones < this.clusterMaskSize) {
      throw new PodCIDROutOfRangeError(`cidr ${cidr} is out the range of cluster cidr ${this.clusterCIDR}`);
    }
    const start = net.ip.n & maskOf(ones, this.bits);
    const end = start | (maskOf(this.bits, this.bits) ^ maskOf(ones, this.bits));
    const sh = this.shift();
    return [Number((start - this.base) >> sh), Number((end - this.base) >> sh)];
  }

  /** Occupy: marks the blocks of an existing podCIDR as used. */
  occupy(cidr: string): void {
    const [a, b] = this.indices(cidr);
    for (let i = a; i <= b; i++) {
      if (this.used[i] === 0) this.allocated++;
      this.used[i] = 1;
    }
  }

  /** Release: frees the blocks of a podCIDR. */
  release(cidr: string): void {
    const [a, b] = this.indices(cidr);
    for (let i = a; i <= b; i++) {
      if (this.used[i] === 1) this.allocated--;
      this.used[i] = 0;
    }
  }

  /** True if the CIDR is an address of this set's family inside the cluster CIDR. */
  contains(cidr: string): boolean {
    const net = parseGoCIDR(cidr);
    if (net === null || net.ip.v4 !== this.v4) return false;
    return (net.ip.n & maskOf(this.clusterMaskSize, this.bits)) === this.base;
  }

  /** Number of blocks in use. */
  get usedCount(): number {
    return this.allocated;
  }
}

export interface PodCIDRAllocatorOptions {
  /** `--cluster-cidr`, one per family for dual stack; default 10.244.0.0/16 */
  readonly clusterCIDRs?: readonly string[];
  /** `--node-cidr-mask-size-ipv4`, default 24 */
  readonly nodeCIDRMaskSizeIPv4?: number;
  /** `--node-cidr-mask-size-ipv6`, default 64 */
  readonly nodeCIDRMaskSizeIPv6?: number;
}

export const defaultClusterCIDR = '10.244.0.0/16';

/** The range allocator: one CIDRSet per cluster CIDR; a node gets one podCIDR from each. */
export class PodCIDRAllocator {
  readonly sets: readonly CIDRSet[];
  private readonly byNode = new Map<string, string[]>();

  constructor(opts: PodCIDRAllocatorOptions = {}) {
    const cidrs = opts.clusterCIDRs ?? [defaultClusterCIDR];
    if (cidrs.length === 0) throw new PodCIDRConfigError('at least one cluster CIDR is required');
    if (cidrs.length > 2)
      throw new PodCIDRConfigError('at most two cluster CIDRs (one per family) are allowed');
    this.sets = cidrs.map((c) => {
      const v4 = parseCIDROrThrow(c).ip.v4;
      return new CIDRSet(c, v4 ? (opts.nodeCIDRMaskSizeIPv4 ?? 24) : (opts.nodeCIDRMaskSizeIPv6 ?? 64));
    });
    if (this.sets.length === 2 && this.sets[0]!.v4 === this.sets[1]!.v4) {
      throw new PodCIDRConfigError('the two cluster CIDRs must be of different families (dual stack)');
    }
  }

  /**
   * AllocateOrOccupyCIDR: a node that has podCIDRs keeps them (and they are marked used); otherwise
   * it gets the next block of every cluster CIDR, in cluster CIDR order. Returns spec.podCIDRs.
   */
  allocateOrOccupy(nodeName: string, existing: readonly string[] = []): string[] {
    const known = this.byNode.get(nodeName);
    if (known) return [...known];
    if (existing.length > 0) {
      existing.forEach((cidr, i) => {
        const set = this.sets[i];
        if (!set)
          throw new PodCIDROutOfRangeError(`node ${nodeName} has more podCIDRs than there are cluster CIDRs`);
        set.occupy(cidr);
      });
      this.byNode.set(nodeName, [...existing]);
      return [...existing];
    }
    const got: string[] = [];
    try {
      for (const set of this.sets) got.push(set.allocateNext());
    } catch (err) {
      got.forEach((c, i) => {
        this.sets[i]!.release(c);
      });
      throw err;
    }
    this.byNode.set(nodeName, got);
    return [...got];
  }

  /** ReleaseCIDR: the node is gone. */
  release(nodeName: string): void {
    const cidrs = this.byNode.get(nodeName);
    if (!cidrs) return;
    cidrs.forEach((c, i) => {
      this.sets[i]!.release(c);
    });
    this.byNode.delete(nodeName);
  }

  podCIDRs(nodeName: string): readonly string[] | undefined {
    return this.byNode.get(nodeName);
  }
}
