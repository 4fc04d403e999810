// A packet as the tracer, the fast path and the data plane hand it around, and the local-address
// set that `-m addrtype --src-type/--dst-type LOCAL` consults.
import { type Addr, formatAddr, isLoopback, parseAddr, TraceInputError } from '../ruletable/index.js';

export type PacketProtocol = 'tcp' | 'udp' | 'sctp';

export interface Packet {
  readonly sourceIP: string;
  /** Lower case, as in iptables rules; tcp when absent. */
  readonly protocol?: PacketProtocol;
  readonly destIP: string;
  readonly destPort: number;
  /** Needed only for conntrack. */
  readonly sourcePort?: number;
}

/** A packet with its addresses parsed and written canonically (so set lookups and keys agree). */
export interface PacketView {
  readonly src: string;
  readonly srcAddr: Addr;
  readonly proto: PacketProtocol;
  readonly dst: string;
  readonly dstAddr: Addr;
  readonly dport: number;
  readonly sport: number | undefined;
  /** `proto|dst|dport`, built once: the fast path's lookup key. */
  readonly key: string;
}

const PROTOCOLS = new Set<string>(['tcp', 'udp', 'sctp']);

export function viewPacket(p: Packet): PacketView {
  const proto = (p.protocol ?? 'tcp').toLowerCase();
  if (!PROTOCOLS.has(proto)) throw new TraceInputError(`protocol "${p.protocol}" is not tcp, udp or sctp`);
  const srcAddr = parseAddr(p.sourceIP);
  if (srcAddr === undefined) throw new TraceInputError(`source "${p.sourceIP}" is not an IP address`);
  const dstAddr = parseAddr(p.destIP);
  if (dstAddr === undefined) throw new TraceInputError(`destination "${p.destIP}" is not an IP address`);
  if (srcAddr.v6 !== dstAddr.v6) {
    throw new TraceInputError(
      `source ${p.sourceIP} and destination ${p.destIP} are not of the same IP family`,
    );
  }
  if (!Number.isInteger(p.destPort) || p.destPort < 0 || p.destPort > 65535) {
    throw new TraceInputError(`destination port ${p.destPort} is not between 0 and 65535`);
  }
  if (
    p.sourcePort !== undefined &&
    (!Number.isInteger(p.sourcePort) || p.sourcePort < 0 || p.sourcePort > 65535)
  ) {
    throw new TraceInputError(`source port ${p.sourcePort} is not between 0 and 65535`);
  }
  const dst = formatAddr(dstAddr);
  return {
    src: formatAddr(srcAddr),
    srcAddr,
    proto: proto as PacketProtocol,
    dst,
    dstAddr,
    dport: p.destPort,
    sport: p.sourcePort,
    key: destinationKey(proto, dst, p.destPort),
  };
}

/** The same packet with a new destination (after DNAT). */
export function withDestination(p: PacketView, ip: string, port: number): PacketView {
  const a = parseAddr(ip);
  if (a === undefined) return p;
  const dst = formatAddr(a);
  return { ...p, dst, dstAddr: a, dport: port, key: destinationKey(p.proto, dst, port) };
}

// Built once per packet so every map lookup on the way reuses it (V8 caches a string's hash).
function destinationKey(proto: string, dst: string, port: number): string {
  return `${proto}|${dst}|${port}`;
}

/**
 * The node's local addresses: its InternalIP and ExternalIP addresses (what `addrtype LOCAL` means for
 * kube-netlab), plus loopback (127.0.0.0/8 and ::1), as the kernel's local routing table has them.
 */
export class LocalAddresses {
  readonly #set = new Set<string>();
  readonly ips: readonly string[];

  constructor(nodeIPs: Iterable<string>) {
    const ips: string[] = [];
    for (const ip of nodeIPs) {
      const a = parseAddr(ip.trim());
      if (a === undefined) throw new TraceInputError(`node IP "${ip}" is not an IP address`);
      const s = formatAddr(a);
      if (!this.#set.has(s)) ips.push(s);
      this.#set.add(s);
    }
    this.ips = ips;
  }

  has(ip: string, addr: Addr): boolean {
    if (this.#set.has(ip)) return true;
    return isLoopback(addr);
  }
}
