// What both tracer modes share: results, how a walk gets rules, options, the oracle hook.
import type { Rule, Table } from '../ruletable/index.js';
import { LocalAddresses, type PacketView } from './packet.js';

export type Verdict = 'DNAT' | 'DROP' | 'REJECT' | 'ACCEPT';

export interface MatchedRule {
  readonly table: string;
  readonly rule: string;
}

export interface TraceResult {
  /** Every rule that matched, in order. */
  readonly matched: readonly MatchedRule[];
  /** The text of those rules (`-A ...`). */
  readonly rules: readonly string[];
  /** kube-proxy's tracer output: endpoints and verdicts joined with ", " ('' when nothing matched). */
  readonly output: string;
  /** Every endpoint the packet may be DNAT'd to (`ip:port`), in rule order. */
  readonly endpoints: readonly string[];
  /**
   * For each endpoint, the share of new connections the statistic rules send to it (without
   * affinity: a client already in a `recent` list goes back to its endpoint).
   */
  readonly shares: readonly number[];
  readonly verdict: Verdict;
  readonly masquerade: boolean;
}

/** How a walk gets a chain's rules; the fast path passes one that only returns rules that can match. */
export type RulesFor = (table: Table, chain: string, p: PacketView) => readonly Rule[];

const EMPTY: readonly Rule[] = [];

export const linearRules: RulesFor = (table, chain) => table.chains.get(chain)?.rules ?? EMPTY;

/** Options shared by both modes. */
export interface TraceOptions {
  /** The node's addresses (InternalIP / ExternalIP); loopback is always local. */
  readonly nodeIPs: Iterable<string> | LocalAddresses;
  readonly rulesFor?: RulesFor;
  /**
   * `rulesFor` returns only rules whose protocol, destination, destination port and destination type
   * match the packet it is given (the fast path's compiled lists), so the walk checks the rest only.
   */
  readonly destinationChecked?: boolean;
}

export function localOf(o: TraceOptions): LocalAddresses {
  return o.nodeIPs instanceof LocalAddresses ? o.nodeIPs : new LocalAddresses(o.nodeIPs);
}

export function hasRules(t: Table | undefined, chain: string): boolean {
  return (t?.chains.get(chain)?.rules.length ?? 0) > 0;
}

/**
 * Decides the tests of a rule that depend on the packet's source or on kernel state, for a walk the
 * fast path records: `evaluate` computes the real answer; a recording oracle may replay answers it
 * already knows instead (without evaluating them again, so no PRNG draw is repeated).
 */
export interface Oracle {
  test(rule: Rule, which: 'source' | 'state', evaluate: () => boolean): boolean;
}
