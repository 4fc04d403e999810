// The fast path: a node's rule table compiled into hash lookups, in two stages.
//
// 1. Per chain, an index keyed by what its rules demand of the destination (protocol + address +
//    port, or protocol + port); per (chain, destination) the compiled list of rules whose
//    destination parts match. A walk over these lists costs one lookup per chain instead of a scan
//    of every service's rules.
// 2. Per destination (protocol|IP|port, and whether the source is local), a decision tree: the
//    tracer's walk over those lists is recorded once, keeping only the tests that can still differ
//    between packets to that destination: the source tests (pod CIDR masquerade, source ranges,
//    LOCAL sources, hairpin) and the state tests (each statistic draw, each `recent` check). A later
//    packet evaluates just those tests, in the order the walk would, and lands on a leaf that holds
//    the outcome: DNAT endpoint, verdict, masquerade, matched rules. A branch not seen yet is filled
//    in by walking once more, replaying the answers already known.
//
// The walks are the tracer's own, so the fast path agrees with it by construction, PRNG draws
// included; the property tests check that it does.
import {
  cidrNetwork,
  formatAddr,
  type Rule,
  type RuleSpec,
  type RuleTable,
  type Table,
} from '../ruletable/index.js';
import {
  destinationMatches,
  followConntrack,
  type KernelOutcome,
  type KernelResult,
  type KernelState,
  KernelWalk,
  kernelSourceMatches,
  LocalAddresses,
  type Oracle,
  type Packet,
  type PacketView,
  PossibleWalk,
  recordConntrack,
  sourceMatches,
  stateMatches,
  type TraceResult,
  viewPacket,
  type WalkSetup,
} from '../tracer/index.js';

interface IndexedRule {
  readonly pos: number;
  readonly rule: Rule;
}

// One chain's index: what its rules demand of the destination. It depends on the rules only, so
// tables whose chains share rule lists (nodes built from one cluster-wide model) can share it.
export class ChainIndex {
  readonly exact = new Map<string, IndexedRule[]>();
  readonly byPort = new Map<string, IndexedRule[]>();
  readonly generic: IndexedRule[] = [];

  constructor(rules: readonly Rule[]) {
    for (let pos = 0; pos < rules.length; pos++) {
      const rule = rules[pos]!;
      const s = rule.spec;
      const ir = { pos, rule };
      // Only the names a packet carries are keys; `-p 6`, `-p all` and `! -p` rules stay generic.
      const pv = s.protocol !== undefined && !s.protocol.negated ? s.protocol.value.toLowerCase() : undefined;
      const proto = pv === 'tcp' || pv === 'udp' || pv === 'sctp' ? pv : undefined;
      const port =
        s.dport !== undefined && !s.dport.negated && /^\d+$/.test(s.dport.value)
          ? Number(s.dport.value)
          : undefined;
      const d = s.destination;
      const host =
        d !== undefined && !d.negated && d.cidr !== undefined && d.cidr.prefix === (d.cidr.v6 ? 128 : 32)
          ? formatAddr(cidrNetwork(d.cidr))
          : undefined;
      if (proto !== undefined && port !== undefined && host !== undefined)
        push(this.exact, `${proto}|${host}|${port}`, ir);
      else if (proto !== undefined && port !== undefined) push(this.byPort, `${proto}|${port}`, ir);
      else this.generic.push(ir);
    }
  }

  candidates(p: PacketView): IndexedRule[] {
    const a = this.exact.get(p.key);
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
/** Decision trees kept per mode before they are dropped. */
const MAX_TREES = 200_000;

interface TestNode<L> {
  readonly kind: 0;
  readonly rule: Rule;
  readonly spec: RuleSpec;
  readonly which: 'source' | 'state';
  /** A bare random statistic test (kube-proxy's endpoint choice): the draw is all there is to do. */
  readonly threshold: number | undefined;
  readonly negated: boolean;
  onTrue: Node<L> | undefined;
  onFalse: Node<L> | undefined;
}

function testNode<L>(rule: Rule, which: 'source' | 'state', value: boolean, next: Node<L>): TestNode<L> {
  const spec = rule.spec;
  const st = spec.statistic;
  const bare = which === 'state' && spec.recent === undefined && st?.mode === 'random';
  return {
    kind: 0,
    rule,
    spec,
    which,
    threshold: bare ? st.threshold : undefined,
    negated: bare ? st.negated : false,
    onTrue: value ? next : undefined,
    onFalse: value ? undefined : next,
  };
}

interface LeafNode<L> {
  readonly kind: 1;
  readonly leaf: L;
}

type Node<L> = TestNode<L> | LeafNode<L>;

// The oracle of a recording walk: replays the answers the tree walk already got, evaluates and
// records the rest.
class Recorder implements Oracle {
  readonly #replay: readonly boolean[];
  #i = 0;
  readonly recorded: { rule: Rule; which: 'source' | 'state'; value: boolean }[] = [];

  constructor(replay: readonly boolean[]) {
    this.#replay = replay;
  }

  test(rule: Rule, which: 'source' | 'state', evaluate: () => boolean): boolean {
    if (this.#i < this.#replay.length) return this.#replay[this.#i++]!;
    const value = evaluate();
    this.recorded.push({ rule, which, value });
    return value;
  }
}

// The answers met on the way down a tree; copied only when a branch is missing (no allocation per
// packet on the common path; a walk never re-enters decideWith).
const scratch: boolean[] = [];

// Walks the tree for `key`, evaluating its tests with `evaluate`; grows it with `record` where a
// branch is missing. Returns the leaf.
function decideWith<L>(
  trees: Map<string, Node<L>>,
  key: string,
  evaluate: (n: TestNode<L>) => boolean,
  record: (oracle: Oracle) => L,
): L {
  let node = trees.get(key);
  let parent: TestNode<L> | undefined;
  let branch = false;
  let n = 0;
  while (node !== undefined && node.kind === 0) {
    const v = evaluate(node);
    scratch[n++] = v;
    parent = node;
    branch = v;
    node = v ? node.onTrue : node.onFalse;
  }
  if (node !== undefined) return node.leaf;
  const rec = new Recorder(scratch.slice(0, n));
  const leaf = record(rec);
  let tail: Node<L> = { kind: 1, leaf };
  for (let i = rec.recorded.length - 1; i >= 0; i--) {
    const r = rec.recorded[i]!;
    tail = testNode(r.rule, r.which, r.value, tail);
  }
  if (parent === undefined) {
    if (trees.size >= MAX_TREES) trees.clear();
    trees.set(key, tail);
  } else if (branch) parent.onTrue = tail;
  else parent.onFalse = tail;
  return leaf;
}

/**
 * Chain indexes by rule list, for tables whose rule lists never change once built (a cluster-wide
 * model's nodes): each list is indexed once however many nodes' fast paths walk it.
 */
export type ChainIndexCache = WeakMap<readonly Rule[], ChainIndex>;

// A chain's index and its compiled lists per `proto|dst|dport` (these depend on the node's own
// addresses: a LOCAL destination test), per fast path.
interface ChainLists {
  readonly idx: ChainIndex;
  readonly compiled: Map<string, readonly Rule[]>;
}

const noRules: readonly Rule[] = [];

export class FastPath {
  readonly #rt: RuleTable;
  readonly #local: LocalAddresses;
  readonly #masqIP: string | undefined;
  readonly #indexCache: ChainIndexCache | undefined;
  readonly #indexes = new Map<Table, Map<string, ChainLists>>();
  readonly #rulesFor = (table: Table, chain: string, p: PacketView): readonly Rule[] =>
    this.compiled(table, chain, p);
  readonly #possible = new Map<string, Node<TraceResult>>();
  readonly #kernel = new Map<string, Node<KernelOutcome>>();

  /** `nodeIPs`: the node's InternalIP/ExternalIP addresses, as for the tracer. */
  /**
   * `indexCache`: share chain indexes with other fast paths whose tables hold the same rule lists;
   * only for tables whose lists are never changed after they are built.
   */
  constructor(rt: RuleTable, nodeIPs: Iterable<string>, masqueradeIP?: string, indexCache?: ChainIndexCache) {
    this.#rt = rt;
    this.#local = new LocalAddresses(nodeIPs);
    this.#masqIP = masqueradeIP ?? this.#local.ips[0];
    this.#indexCache = indexCache;
  }

  /** The rules of `chain` that can match a packet going where `p` goes, in order. */
  compiled(table: Table, chain: string, p: PacketView): readonly Rule[] {
    let t = this.#indexes.get(table);
    if (t === undefined) {
      t = new Map();
      this.#indexes.set(table, t);
    }
    let lists = t.get(chain);
    if (lists === undefined) {
      const rules = table.chains.get(chain)?.rules ?? noRules;
      let idx = this.#indexCache?.get(rules);
      if (idx === undefined) {
        idx = new ChainIndex(rules);
        if (rules !== noRules) this.#indexCache?.set(rules, idx);
      }
      lists = { idx, compiled: new Map() };
      t.set(chain, lists);
    }
    const key = p.key;
    let list = lists.compiled.get(key);
    if (list === undefined) {
      const out: Rule[] = [];
      for (const c of lists.idx.candidates(p))
        if (destinationMatches(c.rule.spec, p, this.#local)) out.push(c.rule);
      list = out;
      if (lists.compiled.size >= MAX_COMPILED_PER_CHAIN) lists.compiled.clear();
      lists.compiled.set(key, list);
    }
    return list;
  }

  // The tracer's walks over the compiled lists, recorded through the oracle.
  #walkSetup(oracle: Oracle): WalkSetup {
    return { rt: this.#rt, local: this.#local, rulesFor: this.#rulesFor, destinationChecked: true, oracle };
  }

  #treeKey(p: PacketView): string {
    return this.#local.has(p.src, p.srcAddr) ? `L|${p.key}` : p.key;
  }

  /** Every possible outcome, as tracePacket reports it. */
  trace(packet: Packet | PacketView): TraceResult {
    const p = 'srcAddr' in packet ? packet : viewPacket(packet);
    return decideWith(
      this.#possible,
      this.#treeKey(p),
      (n) => sourceMatches(n.spec, p, this.#local),
      (oracle) => new PossibleWalk(this.#walkSetup(oracle)).trace(p),
    );
  }

  /** One outcome, as the kernel decides it (seeded statistic, affinity, conntrack in `state`). */
  decide(packet: Packet | PacketView, state: KernelState): KernelResult {
    const p = 'srcAddr' in packet ? packet : viewPacket(packet);
    const est = followConntrack(state, p);
    if (est !== undefined) return est;
    const o = decideWith(
      this.#kernel,
      this.#treeKey(p),
      (n) =>
        n.threshold !== undefined
          ? (state.random() & 0x7fffffff) < n.threshold !== n.negated
          : n.which === 'source'
            ? kernelSourceMatches(n.spec, p, this.#local)
            : stateMatches(n.spec, p, state),
      (oracle) => new KernelWalk(this.#walkSetup(oracle), state).walk(p),
    );
    recordConntrack(state, p, o, this.#masqIP);
    return o.result;
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
