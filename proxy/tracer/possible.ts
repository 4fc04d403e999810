// tracePacket: the semantics of kube-proxy's own test tracer (proxier_test.go tracePacket). nat first
// (PREROUTING, or OUTPUT when the source is local; kube-proxy's jump rules when the table has none of
// its own), every `--probability` rule matches so every possible endpoint is listed,
// KUBE-MARK-MASQ only sets the masquerade flag, a history check (`--rcheck`, `--mark`, `--ctstate`)
// never matches; then the destination becomes the first DNAT target and the four filter chains
// KUBE-SERVICES, KUBE-EXTERNAL-SERVICES, KUBE-NODEPORTS and KUBE-PROXY-FIREWALL are walked directly.
import { type Rule, type RuleTable, splitHostPort, type Table } from '../ruletable/index.js';
import { destinationMatches, possiblyMatches, possiblyMatchesSource, sourceMatches } from './match.js';
import { type Packet, type PacketView, viewPacket, withDestination } from './packet.js';
import {
  linearRules,
  localOf,
  type MatchedRule,
  type TraceOptions,
  type TraceResult,
  type Verdict,
} from './types.js';
import { RuleWalk } from './walk.js';

/** kube-proxy's tracer, possibility semantics. */
export function tracePacket(rt: RuleTable, packet: Packet | PacketView, opts: TraceOptions): TraceResult {
  const p = 'srcAddr' in packet ? packet : viewPacket(packet);
  return new PossibleWalk({
    rt,
    local: localOf(opts),
    rulesFor: opts.rulesFor ?? linearRules,
    destinationChecked: opts.destinationChecked === true,
  }).trace(p);
}

export class PossibleWalk extends RuleWalk {
  #outputs: string[] = [];
  // Per output, the share of new connections that reach it (statistic rules split the mass).
  #mass: number[] = [];
  #masq = false;

  #possible(rule: Rule, p: PacketView, checked: boolean): boolean {
    const s = rule.spec;
    if (this.oracle === undefined) {
      return checked ? possiblyMatchesSource(s, p, this.local) : possiblyMatches(s, p, this.local);
    }
    if (s.recent !== undefined && (s.recent.rcheck || s.recent.update)) return false;
    if (s.mark !== undefined || s.ctstate !== undefined) return false;
    if (!checked && !destinationMatches(s, p, this.local)) return false;
    if (s.source === undefined && s.srcType === undefined) return true;
    return this.ask(rule, 'source', () => sourceMatches(s, p, this.local));
  }

  trace(p0: PacketView): TraceResult {
    this.matched = [];
    this.#outputs = [];
    this.#mass = [];
    this.#masq = false;
    let p = p0;
    const nat = this.rt.get('nat');
    if (nat !== undefined) {
      this.#run(nat, this.natHook(p), p, 0, 1);
    }
    // Pending DNATs are applied before the filter rules see the packet (the port is kept, as
    // kube-proxy's tracer does).
    const first = this.#outputs[0];
    if (first !== undefined && first.length > 0 && first.charCodeAt(0) !== 65 /* not ACCEPT */) {
      const { ip } = splitHostPort(first);
      p = withDestination(p, ip, p.dport);
    }
    const filter = this.rt.get('filter');
    if (filter !== undefined) {
      for (const chain of [
        'KUBE-SERVICES',
        'KUBE-EXTERNAL-SERVICES',
        'KUBE-NODEPORTS',
        'KUBE-PROXY-FIREWALL',
      ]) {
        this.#run(filter, chain, p, 0, 1);
      }
    }
    return summarise(this.matched, this.#outputs, this.#mass, this.#masq);
  }

  // Returns true when the chain reached a terminal target. `mass` is the share of new connections
  // that get here; a `--probability p` jump sends p of it on and keeps 1 - p.
  #run(table: Table, chain: string, p: PacketView, depth: number, mass0: number): boolean {
    let mass = mass0;
    if (depth > 64) return false;
    const defaults = this.defaultJumps(table, chain);
    const rules = defaults ?? this.rulesFor(table, chain, p);
    const checked = this.checked && defaults === undefined;
    for (let i = 0; i < rules.length; i++) {
      const rule = rules[i]!;
      const s = rule.spec;
      const tg = s.target;
      if (tg === undefined) continue;
      if (!this.#possible(rule, p, checked)) continue;
      this.matched.push({ table: table.name, rule: rule.text });
      switch (tg.kind) {
        case 'jump':
          if (tg.chain === 'KUBE-MARK-MASQ') {
            this.#masq = true;
            continue;
          }
          if (s.statistic?.probability !== undefined) {
            const share = mass * s.statistic.probability;
            this.#run(table, tg.chain, p, depth + 1, share);
            mass -= share;
            continue;
          }
          if (this.#run(table, tg.chain, p, depth + 1, mass) && s.statistic === undefined) return true;
          continue;
        case 'ACCEPT':
        case 'DROP':
        case 'REJECT':
          this.#outputs.push(tg.kind);
          this.#mass.push(mass);
          return true;
        case 'DNAT':
          this.#outputs.push(tg.toDestination);
          this.#mass.push(mass);
          return true;
        case 'RETURN':
          return false;
        default:
          continue;
      }
    }
    return false;
  }
}

function summarise(
  matched: MatchedRule[],
  outputs: string[],
  mass: number[],
  masquerade: boolean,
): TraceResult {
  const endpoints: string[] = [];
  const shares: number[] = [];
  let verdict: Verdict | undefined;
  for (let i = 0; i < outputs.length; i++) {
    const o = outputs[i]!;
    if (o === 'DROP' || o === 'REJECT') verdict ??= o;
    else if (o !== 'ACCEPT') {
      endpoints.push(o);
      shares.push(mass[i]!);
    }
  }
  verdict ??= endpoints.length > 0 ? 'DNAT' : 'ACCEPT';
  return {
    matched,
    rules: matched.map((m) => m.rule),
    output: outputs.join(', '),
    endpoints,
    shares,
    verdict,
    masquerade,
  };
}
