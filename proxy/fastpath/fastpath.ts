// The fast path: a node's rule table compiled into hash lookups. Every chain gets an index keyed by
// what its rules demand of the destination (protocol + address + port, or protocol + port), and each
// (chain, protocol, destination, port) gets, on first use, its compiled list: the rules whose
// destination parts match, in rule order. A packet then costs one hash lookup per chain it visits
// (KUBE-SERVICES -> KUBE-SVC/EXT/FW -> KUBE-SEP) instead of a scan of every service's rules, and the
// remaining checks are the ones that depend on the source and on state (masquerade, source ranges,
// affinity, the statistic choice). The walks are the tracer's own, so the fast path agrees with it
// by construction; the property tests check that it does.
import { formatAddr, type Rule, type RuleTable, type Table } from '../ruletable/index.js';
import {
  destinationMatches,
  type KernelResult,
  type KernelState,
  KernelWalk,
  LocalAddresses,
  type Packet,
  type PacketView,
  PossibleWalk,
  type TraceResult,
  viewPacket,
} from '../tracer/index.js';

interface IndexedRule {
  readonly pos: number;
  readonly rule: Rule;
}

// One chain's index.
class ChainIndex {
  readonly exact = new Map<string, IndexedRule[]>();
  readonly byPort = new Map<string, IndexedRule[]>();
  readonly generic: IndexedRule[] = [];
  // Compiled lists per `proto|dst|dport`.
  readonly compiled = new Map<string, readonly Rule[]>();

  constructor(rules: readonly Rule[]) {
    for (let pos = 0; pos < rules.length; pos++) {
      const rule = rules[pos]!;
      const s = rule.spec;
      const ir = { pos, rule };
      const proto =
        s.protocol !== undefined && !s.protocol.negated ? s.protocol.value.toLowerCase() : undefined;
      const port =
        s.dport !== undefined && !s.dport.negated && /^\d+$/.test(s.dport.value)
          ? Number(s.dport.value)
          : undefined;
      const d = s.destination;
      const host =
        d !== undefined && !d.negated && d.cidr !== undefined && d.cidr.prefix === (d.cidr.v6 ? 128 : 32)
          ? formatAddr(d.cidr.v6 ? { v6: true, n: d.cidr.bigNet } : { v6: false, n: d.cidr.net })
          : undefined;
      if (proto !== undefined && port !== undefined && host !== undefined)
        push(this.exact, `${proto}|${host}|${port}`, ir);
      else if (proto !== undefined && port !== undefined) push(this.byPort, `${proto}|${port}`, ir);
      else this.generic.push(ir);
    }
  }

  candidates(p: PacketView): IndexedRule[] {
    const a = this.exact.get(`${p.proto}|${p.dst}|${p.dport}`);
    const b = this.byPort.get(`${p.proto}|${p.dport}`);
    return merge(merge(a ?? [], b ?? []), this.generic);
  }
}

function push(m: Map<string, IndexedRule[]>, k: string, r: IndexedRule): void {
  const l = m.get(k);
  if (l === undefined) m.set(k, [r]);
  else l.push(r);
}

function merge(a: IndexedRule[], b: IndexedRule[]): IndexedRule[] {
  if (a.length === 0) return b;
  if (b.length === 0) return a;
  const out: IndexedRule[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (j >= b.length || (i < a.length && a[i]!.pos < b[j]!.pos)) out.push(a[i++]!);
    else out.push(b[j++]!);
  }
  return out;
}

/** Compiled lists kept per chain before the cache is dropped (a bound for packets to random places). */
const MAX_COMPILED_PER_CHAIN = 100_000;

export class FastPath {
  readonly #rt: RuleTable;
  readonly #local: LocalAddresses;
  readonly #masqIP: string | undefined;
  readonly #indexes = new Map<Table, Map<string, ChainIndex>>();
  readonly #rulesFor = (table: Table, chain: string, p: PacketView): readonly Rule[] =>
    this.compiled(table, chain, p);

  /** `nodeIPs`: the node's InternalIP/ExternalIP addresses, as for the tracer. */
  constructor(rt: RuleTable, nodeIPs: Iterable<string>, masqueradeIP?: string) {
    this.#rt = rt;
    this.#local = new LocalAddresses(nodeIPs);
    this.#masqIP = masqueradeIP;
  }

  /** The rules of `chain` that can match a packet going where `p` goes, in order. */
  compiled(table: Table, chain: string, p: PacketView): readonly Rule[] {
    let t = this.#indexes.get(table);
    if (t === undefined) {
      t = new Map();
      this.#indexes.set(table, t);
    }
    let idx = t.get(chain);
    if (idx === undefined) {
      idx = new ChainIndex(table.chains.get(chain)?.rules ?? []);
      t.set(chain, idx);
    }
    const key = `${p.proto}|${p.dst}|${p.dport}`;
    let list = idx.compiled.get(key);
    if (list === undefined) {
      const out: Rule[] = [];
      for (const c of idx.candidates(p))
        if (destinationMatches(c.rule.spec, p, this.#local)) out.push(c.rule);
      list = out;
      if (idx.compiled.size >= MAX_COMPILED_PER_CHAIN) idx.compiled.clear();
      idx.compiled.set(key, list);
    }
    return list;
  }

  /** Every possible outcome, as tracePacket reports it. */
  trace(packet: Packet | PacketView): TraceResult {
    const p = 'srcAddr' in packet ? packet : viewPacket(packet);
    return new PossibleWalk(this.#rt, this.#local, this.#rulesFor, true).trace(p);
  }

  /** One outcome, as the kernel decides it (seeded statistic, affinity, conntrack in `state`). */
  decide(packet: Packet | PacketView, state: KernelState): KernelResult {
    const p = 'srcAddr' in packet ? packet : viewPacket(packet);
    return new KernelWalk(this.#rt, this.#local, this.#rulesFor, state, this.#masqIP, true).run(p);
  }

  /**
   * Compiles the lists for every service destination the nat KUBE-SERVICES chain names (cluster IPs,
   * external IPs, load-balancer IPs), so first packets pay no compile cost. Returns how many.
   */
  warm(): number {
    const nat = this.#rt.get('nat');
    if (nat === undefined) return 0;
    const rules = nat.chains.get('KUBE-SERVICES')?.rules ?? [];
    const idx = new ChainIndex(rules);
    let n = 0;
    for (const key of idx.exact.keys()) {
      const [proto, dst, dport] = key.split('|') as [string, string, string];
      const p = viewPacket({
        sourceIP: dst.includes(':') ? '::2' : '0.0.0.2',
        protocol: proto as 'tcp',
        destIP: dst,
        destPort: Number(dport),
      });
      this.trace(p);
      n++;
    }
    return n;
  }
}
