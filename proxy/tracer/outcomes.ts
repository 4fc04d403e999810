// traceKernel: what the kernel may do to a new packet, every outcome. The walk is the kernel's own
// (KernelWalk: hooks in the kernel's order per origin, the routing decision after DNAT, marks,
// conntrack states), run once per way the statistic matches can fall: each `--probability` test
// forks the walk into the branch where it hits and the one where it misses, each with its share of
// new connections. `recent` tests see fresh lists (a new client), as `--pick` does. So every outcome
// listed is one `simulatePacket` can give, and the one `--pick` gives is among them.
import { type Rule, type RuleTable, TraceInputError } from '../ruletable/index.js';
import { KernelWalk, newKernelState, type Phase, stateMatches } from './kernel.js';
import { type Packet, type PacketView, viewPacket } from './packet.js';
import {
  linearRules,
  localOf,
  type MatchedRule,
  type Oracle,
  type TraceOptions,
  type TraceResult,
  type Verdict,
} from './types.js';

/** One way a new packet can go. */
export interface KernelPath {
  readonly verdict: Verdict;
  readonly endpoint: string | undefined;
  readonly masquerade: boolean;
  /** The share of new connections that go this way. */
  readonly share: number;
  readonly matched: readonly MatchedRule[];
}

export interface KernelTraceResult extends TraceResult {
  /** Every way the packet can go, in walk order (the statistic's hit before its miss). */
  readonly paths: readonly KernelPath[];
  /** Each verdict the paths reach with its share, when they do not all agree (else empty). */
  readonly verdicts: readonly { readonly verdict: Verdict; readonly share: number }[];
}

/** More ways than this means a rule set no kube-proxy writes (forks nested in forks); refused. */
const maxPaths = 1 << 16;

// In the kernel a statistic test hits when (random & 0x7fffffff) < threshold.
const range = 2 ** 31;

/** Every outcome of a new packet under the kernel's hooks (see the file comment). */
export function traceKernel(
  rt: RuleTable,
  packet: Packet | PacketView,
  opts: TraceOptions,
): KernelTraceResult {
  const p = 'srcAddr' in packet ? packet : viewPacket(packet);
  const local = localOf(opts);
  const rulesFor = opts.rulesFor ?? linearRules;
  const destinationChecked = opts.destinationChecked === true;
  const paths: { path: KernelPath; phases: readonly Phase[] }[] = [];
  // Decision prefixes still to walk; a walk answers the forks past its prefix with "hit" first.
  const todo: boolean[][] = [[]];
  while (todo.length > 0) {
    if (paths.length >= maxPaths) throw new TraceInputError(`more than ${maxPaths} ways through the rules`);
    const prefix = todo.pop()!;
    const decisions: boolean[] = [];
    let share = 1;
    const state = newKernelState(
      () => 0,
      () => 0,
    );
    const oracle: Oracle = {
      test(rule: Rule, which, evaluate) {
        const st = rule.spec.statistic;
        if (which === 'source' || st === undefined || st.mode !== 'random' || st.threshold === undefined) {
          return evaluate();
        }
        // Which answers the kernel can give (threshold 0 never hits, 2^31 always does), and their shares.
        const canHit = st.negated ? st.threshold < range : st.threshold > 0;
        const canMiss = st.negated ? st.threshold > 0 : st.threshold < range;
        const pr = st.probability ?? st.threshold / range;
        const hitShare = st.negated ? 1 - pr : pr;
        let hit: boolean;
        if (decisions.length < prefix.length) hit = prefix[decisions.length]!;
        else {
          hit = canHit;
          if (canHit && canMiss) todo.push([...decisions, false]);
        }
        decisions.push(hit);
        share *= hit ? hitShare : 1 - hitShare;
        if (!hit || rule.spec.recent === undefined) return hit;
        const { statistic: _, ...recentOnly } = rule.spec;
        return stateMatches(recentOnly, p, state);
      },
    };
    const o = new KernelWalk({ rt, local, rulesFor, destinationChecked, oracle }, state).walk(p);
    const r = o.result;
    paths.push({
      path: { verdict: r.verdict, endpoint: r.endpoint, masquerade: r.masquerade, share, matched: r.matched },
      phases: o.phases,
    });
  }
  return summarise(paths);
}

// The order of the built-in chains a new packet meets, whatever its origin: nat PREROUTING or OUTPUT,
// filter INPUT, FORWARD or OUTPUT, nat POSTROUTING, and filter INPUT again for the node's own packet
// coming back in over loopback.
const phaseRank = (ph: Phase, i: number, all: readonly Phase[]): number => {
  if (ph.table === 'nat') return ph.hook === 'POSTROUTING' ? 2 : 0;
  return all.slice(0, i).some((q) => q.table === 'nat' && q.hook === 'POSTROUTING') ? 3 : 1;
};

function summarise(paths: { path: KernelPath; phases: readonly Phase[] }[]): KernelTraceResult {
  // Rules matched: per built-in chain in the kernel's order, every path's rules, each rule once.
  const byPhase = new Map<string, { rank: number; rules: MatchedRule[]; seen: Set<string> }>();
  for (const { path, phases } of paths) {
    phases.forEach((ph, i) => {
      const rank = phaseRank(ph, i, phases);
      const key = `${rank} ${ph.table} ${ph.hook}`;
      let entry = byPhase.get(key);
      if (entry === undefined) {
        entry = { rank, rules: [], seen: new Set() };
        byPhase.set(key, entry);
      }
      const end = phases[i + 1]?.start ?? path.matched.length;
      for (const m of path.matched.slice(ph.start, end)) {
        const id = `${m.table} ${m.rule}`;
        if (entry.seen.has(id)) continue;
        entry.seen.add(id);
        entry.rules.push(m);
      }
    });
  }
  const matched = [...byPhase.values()].sort((a, b) => a.rank - b.rank).flatMap((e) => e.rules);
  const endpoints: string[] = [];
  const shares: number[] = [];
  const verdictShares = new Map<Verdict, number>();
  let masquerade = false;
  for (const { path } of paths) {
    verdictShares.set(path.verdict, (verdictShares.get(path.verdict) ?? 0) + path.share);
    if (path.masquerade) masquerade = true;
    if (path.verdict !== 'DNAT' || path.endpoint === undefined) continue;
    const i = endpoints.indexOf(path.endpoint);
    if (i >= 0) shares[i]! += path.share;
    else {
      endpoints.push(path.endpoint);
      shares.push(path.share);
    }
  }
  const verdicts = [...verdictShares].map(([verdict, share]) => ({ verdict, share }));
  // One verdict when the paths agree; else the likeliest, and `verdicts` lists them all.
  const verdict = verdicts.reduce((a, b) => (b.share > a.share ? b : a)).verdict;
  return {
    matched,
    rules: matched.map((m) => m.rule),
    output: endpoints.length > 0 ? endpoints.join(', ') : verdict,
    endpoints,
    shares,
    verdict,
    masquerade,
    paths: paths.map((x) => x.path),
    verdicts: verdicts.length > 1 ? verdicts : [],
  };
}
