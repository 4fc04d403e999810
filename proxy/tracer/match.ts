// Rule matching, split the way the fast path needs it: the parts that depend only on where a packet
// is going (protocol, destination, destination port, destination address type) and the rest.
import { addrMatches, type Param, type RuleSpec } from '../ruletable/index.js';
import type { LocalAddresses, PacketView } from './packet.js';

function paramEquals(p: Param, value: string): boolean {
  return (p.value === value) !== p.negated;
}

function portMatches(p: Param, port: number): boolean {
  const v = p.value;
  let inside: boolean;
  if (v === String(port)) inside = true;
  else {
    inside = false;
    for (const part of v.split(',')) {
      const colon = part.indexOf(':');
      if (colon < 0) {
        if (Number(part) === port) inside = true;
      } else {
        const lo = colon === 0 ? 0 : Number(part.slice(0, colon));
        const hi = colon === part.length - 1 ? 65535 : Number(part.slice(colon + 1));
        if (port >= lo && port <= hi) inside = true;
      }
    }
  }
  return inside !== p.negated;
}

function protocolMatches(p: Param, proto: string): boolean {
  const v = p.value.toLowerCase();
  const inside =
    v === proto ||
    v === 'all' ||
    v === '0' ||
    (v === '6' && proto === 'tcp') ||
    (v === '17' && proto === 'udp') ||
    (v === '132' && proto === 'sctp');
  return inside !== p.negated;
}

/** Protocol, destination address, destination port and `--dst-type`. */
export function destinationMatches(s: RuleSpec, p: PacketView, local: LocalAddresses): boolean {
  if (s.protocol !== undefined && !protocolMatches(s.protocol, p.proto)) return false;
  if (s.destination !== undefined && !addrMatches(s.destination, p.dstAddr)) return false;
  if (s.dstType !== undefined && !paramEquals(s.dstType, local.has(p.dst, p.dstAddr) ? 'LOCAL' : 'UNICAST')) {
    return false;
  }
  if (s.dport !== undefined && !portMatches(s.dport, p.dport)) return false;
  return true;
}

/** Source address and `--src-type`. */
export function sourceMatches(s: RuleSpec, p: PacketView, local: LocalAddresses): boolean {
  if (s.source !== undefined && !addrMatches(s.source, p.srcAddr)) return false;
  if (s.srcType !== undefined && !paramEquals(s.srcType, local.has(p.src, p.srcAddr) ? 'LOCAL' : 'UNICAST')) {
    return false;
  }
  return true;
}

/**
 * kube-proxy's test tracer: a rule that checks history (`--rcheck`, `--mark`, `--ctstate`) never
 * matches; everything else it does not know about (statistic, nfacct, interfaces) is assumed to match.
 */
export function possiblyMatches(s: RuleSpec, p: PacketView, local: LocalAddresses): boolean {
  if (s.recent !== undefined && (s.recent.rcheck || s.recent.update)) return false;
  if (s.mark !== undefined || s.ctstate !== undefined) return false;
  return sourceMatches(s, p, local) && destinationMatches(s, p, local);
}

/** possiblyMatches for a rule whose destination parts are already known to match. */
export function possiblyMatchesSource(s: RuleSpec, p: PacketView, local: LocalAddresses): boolean {
  if (s.recent !== undefined && (s.recent.rcheck || s.recent.update)) return false;
  if (s.mark !== undefined || s.ctstate !== undefined) return false;
  return sourceMatches(s, p, local);
}

/** `-m mark --mark V[/M]`. */
export function markMatches(p: Param, mark: number): boolean {
  const [v, m] = p.value.split('/');
  const value = Number(v);
  const mask = m === undefined ? 0xffffffff : Number(m);
  return ((mark & mask) >>> 0 === value) !== p.negated;
}

/** Applies a MARK target to a packet mark. */
export function applyMark(op: string, arg: string, mark: number): number {
  const [v, m] = arg.split('/');
  const value = Number(v) >>> 0;
  switch (op) {
    case 'or':
      return (mark | value) >>> 0;
    case 'xor':
      return (mark ^ value) >>> 0;
    case 'and':
      return (mark & value) >>> 0;
    case 'set':
      return m === undefined ? value : ((mark & ~Number(m)) | value) >>> 0;
    default: {
      // --set-xmark value/mask: zero the mask bits, then XOR the value.
      const mask = m === undefined ? 0xffffffff : Number(m) >>> 0;
      return ((mark & ~mask) ^ value) >>> 0;
    }
  }
}
