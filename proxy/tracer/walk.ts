// What the two walks (possible.ts: kube-proxy's tracer; kernel.ts: one outcome) share: the tables and
// the node they walk on, how a chain's rules are fetched (all of them, or the fast path's compiled
// lists), the rules matched so far, and the oracle through which the fast path records a walk.
import type { Rule, RuleTable } from '../ruletable/index.js';
import type { LocalAddresses, PacketView } from './packet.js';
import type { MatchedRule, Oracle, RulesFor } from './types.js';

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

  /** The nat hook a new packet meets first: OUTPUT when the node itself sends it, else PREROUTING. */
  protected natHook(p: PacketView): 'OUTPUT' | 'PREROUTING' {
    return this.local.has(p.src, p.srcAddr) ? 'OUTPUT' : 'PREROUTING';
  }
}
