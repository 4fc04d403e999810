// What the two walks (possible.ts: kube-proxy's tracer; kernel.ts: one outcome) share: the tables and
// the node they walk on, how a chain's rules are fetched (all of them, or the fast path's compiled
// lists), the rules matched so far, and the oracle through which the fast path records a walk.
import { builtinChains, kubeJumpRules, Rule, type RuleTable, type Table } from '../ruletable/index.js';
import type { LocalAddresses, PacketView } from './packet.js';
import { hasRules, type MatchedRule, type Oracle, type RulesFor } from './types.js';

// kube-proxy's jumps from the built-in chains (installed outside its payload), by table and chain.
const kubeJumps = new Map<string, Map<string, Rule[]>>();
for (const j of kubeJumpRules) {
  const t = kubeJumps.get(j.table) ?? new Map<string, Rule[]>();
  kubeJumps.set(j.table, t);
  const c = t.get(j.chain) ?? [];
  t.set(j.chain, c);
  c.push(new Rule(j.chain, `-A ${j.chain} ${j.args}`));
}

export interface WalkSetup {
  readonly rt: RuleTable;
  readonly local: LocalAddresses;
  readonly rulesFor: RulesFor;
  /** `rulesFor` hands over only rules whose destination tests pass (the fast path's lists). */
  readonly destinationChecked: boolean;
  /** Present while the fast path records the walk into its decision tree. */
  readonly oracle?: Oracle | undefined;
}

export abstract class RuleWalk {
  protected readonly rt: RuleTable;
  protected readonly local: LocalAddresses;
  protected readonly rulesFor: RulesFor;
  protected readonly checked: boolean;
  protected readonly oracle: Oracle | undefined;
  protected matched: MatchedRule[] = [];

  constructor(setup: WalkSetup) {
    this.rt = setup.rt;
    this.local = setup.local;
    this.rulesFor = setup.rulesFor;
    this.checked = setup.destinationChecked;
    this.oracle = setup.oracle;
  }

  /** A test on the packet's source or on kernel state; the recording oracle answers it when present. */
  protected ask(rule: Rule, which: 'source' | 'state', evaluate: () => boolean): boolean {
    return this.oracle === undefined ? evaluate() : this.oracle.test(rule, which, evaluate);
  }

  /**
   * The rules a built-in chain has on a node where kube-proxy installed its jumps, for a table that has
   * no rules in any built-in chain (a bare payload, as the generator writes it); undefined otherwise.
   * They are walked in full: the fast path's compiled lists do not include them.
   */
  protected defaultJumps(table: Table, chain: string): readonly Rule[] | undefined {
    const jumps = kubeJumps.get(table.name)?.get(chain);
    if (jumps === undefined) return undefined;
    for (const c of builtinChains[table.name] ?? []) if (hasRules(table, c)) return undefined;
    return jumps;
  }

  /** The nat hook a new packet meets first: OUTPUT when the node itself sends it, else PREROUTING. */
  protected natHook(p: PacketView): 'OUTPUT' | 'PREROUTING' {
    return this.local.has(p.src, p.srcAddr) ? 'OUTPUT' : 'PREROUTING';
  }
}
