// simulatePacket: the kernel. One outcome per packet: the real hook order (nat PREROUTING/OUTPUT,
// filter INPUT/FORWARD/OUTPUT, nat POSTROUTING), marks and conntrack states, the statistic match drawn
// from a seeded PRNG as xt_statistic does, the `recent` lists (ClientIP affinity), and conntrack:
// later packets of a known connection follow their entry.

import { joinHostPort } from '../../std/index.js';
import type { ConntrackTable } from '../conntrack/index.js';
import { type Rule, type RuleSpec, type RuleTable, splitHostPort, type Table } from '../ruletable/index.js';
import { applyMark, destinationMatches, markMatches, sourceMatches } from './match.js';
import type { LocalAddresses, Packet, PacketView } from './packet.js';
import { viewPacket, withDestination } from './packet.js';
import { RecentTable } from './recent.js';
import { linearRules, localOf, type MatchedRule, type TraceOptions, type Verdict } from './types.js';
import { RuleWalk, type WalkSetup } from './walk.js';

/** What the kernel remembers between packets: PRNG, recent lists, conntrack, the clock. */
export interface KernelState {
  /** Unsigned 32-bit random numbers: ipam's `seededUint32(seed)`, the one seeded PRNG of netlab. */
  readonly random: () => number;
  readonly recent: RecentTable;
  /** Seconds, for `--seconds`; conntrack has its own clock. */
  readonly now: () => number;
  readonly conntrack?: ConntrackTable;
}

export function newKernelState(
  random: () => number,
  now: () => number = () => Date.now() / 1000,
  conntrack?: ConntrackTable,
): KernelState {
  return conntrack === undefined
    ? { random, recent: new RecentTable(), now }
    : { random, recent: new RecentTable(), now, conntrack };
}

export interface KernelResult {
  readonly verdict: Verdict;
  /** The endpoint chosen (`ip:port`) when DNAT'd. */
  readonly endpoint: string | undefined;
  readonly masquerade: boolean;
  readonly matched: readonly MatchedRule[];
  /** NEW: walked the rules; ESTABLISHED: followed an existing conntrack entry. */
  readonly conntrack: 'NEW' | 'ESTABLISHED';
}

export interface SimulateOptions extends TraceOptions {
  /** The address MASQUERADE puts as source (default: the first node IP). */
  readonly masqueradeIP?: string;
}

type Stop = 'ACCEPT' | 'DROP' | 'REJECT' | 'DNAT' | 'NAT';

/** True when a rule looks at the packet's source (address, address type, interfaces, source port). */
export function hasSourcePart(s: RuleSpec): boolean {
  return (
    s.source !== undefined ||
    s.srcType !== undefined ||
    s.inInterface !== undefined ||
    s.outInterface !== undefined ||
    s.sport !== undefined
  );
}

/** The source tests of a rule, as the kernel mode evaluates them (a packet carries no interfaces). */
export function kernelSourceMatches(s: RuleSpec, p: PacketView, local: LocalAddresses): boolean {
  if (!sourceMatches(s, p, local)) return false;
  if (s.inInterface !== undefined && !s.inInterface.negated) return false;
  if (s.outInterface !== undefined && !s.outInterface.negated) return false;
  if (
    s.sport !== undefined &&
    p.sport !== undefined &&
    (s.sport.value !== String(p.sport)) !== s.sport.negated
  ) {
    return false;
  }
  return true;
}

/** True when a rule reads or changes kernel state: `recent` lists, random or nth statistic. */
export function hasStatePart(s: RuleSpec): boolean {
  return s.recent !== undefined || (s.statistic !== undefined && s.statistic.probability !== undefined);
}

/** The state tests of a rule: `recent` (check, update, set, remove), then the statistic draw. */
export function stateMatches(s: RuleSpec, p: PacketView, state: KernelState): boolean {
  const r = s.recent;
  if (r !== undefined) {
    const addr = r.side === 'source' ? p.src : p.dst;
    const now = state.now();
    if (r.set) state.recent.set(r.name, addr, now);
    else if (r.remove) {
      if (state.recent.remove(r.name, addr) === r.negated) return false;
    } else if (state.recent.check(r.name, addr, now, r.seconds, r.reap, r.update) === r.negated) return false;
  }
  const st = s.statistic;
  if (st !== undefined && st.mode === 'random' && st.threshold !== undefined) {
    const hit = (state.random() & 0x7fffffff) < st.threshold;
    if (hit === st.negated) return false;
  }
  return true;
}

/** A packet of a connection conntrack already knows: it follows the entry, no rules are walked. */
export function followConntrack(state: KernelState, p: PacketView): KernelResult | undefined {
  const ct = state.conntrack;
  if (ct === undefined || p.sport === undefined) return undefined;
  const hit = ct.lookup({ proto: p.proto, src: p.src, sport: p.sport, dst: p.dst, dport: p.dport });
  if (hit === undefined) return undefined;
  ct.seen(hit.entry, hit.direction);
  const e = hit.entry;
  // A reply is un-NAT'd by conntrack and let through; it is no new decision.
  if (hit.direction === 'reply') {
    return {
      verdict: 'ACCEPT',
      endpoint: undefined,
      masquerade: false,
      matched: [],
      conntrack: 'ESTABLISHED',
    };
  }
  const dnat = e.reply.src !== e.original.dst || e.reply.sport !== e.original.dport;
  const endpoint = joinHostPort(e.reply.src, e.reply.sport);
  return {
    verdict: dnat ? 'DNAT' : 'ACCEPT',
    endpoint: dnat ? endpoint : undefined,
    masquerade: e.reply.dst !== e.original.src,
    matched: [],
    conntrack: 'ESTABLISHED',
  };
}

/** What a walk decided, with what conntrack needs to remember it. */
export interface KernelOutcome {
  readonly result: KernelResult;
  /** The destination after DNAT. */
  readonly dnat: { readonly ip: string; readonly port: number } | undefined;
  readonly mark: number;
  /** The built-in chains walked, in order, with where each one's matched rules start. */
  readonly phases: readonly Phase[];
}

/** One built-in chain of a walk: table, hook, and the index in `matched` where its rules start. */
export interface Phase {
  readonly table: string;
  readonly hook: string;
  readonly start: number;
}

/** Confirms the conntrack entry of a new connection that was let through. */
export function recordConntrack(
  state: KernelState,
  p: PacketView,
  o: KernelOutcome,
  masqueradeIP: string | undefined,
): void {
  const ct = state.conntrack;
  if (ct === undefined || p.sport === undefined) return;
  const v = o.result.verdict;
  if (v !== 'DNAT' && v !== 'ACCEPT') return;
  ct.create(
    { proto: p.proto, src: p.src, sport: p.sport, dst: p.dst, dport: p.dport },
    {
      ...(o.dnat !== undefined ? { dnat: o.dnat } : {}),
      ...(o.result.masquerade && masqueradeIP !== undefined
        ? { snat: { ip: masqueradeIP, port: p.sport } }
        : {}),
      mark: o.mark,
    },
  );
}

/** The kernel: one packet, one outcome. */
export function simulatePacket(
  rt: RuleTable,
  packet: Packet | PacketView,
  state: KernelState,
  opts: SimulateOptions,
): KernelResult {
  const p = 'srcAddr' in packet ? packet : viewPacket(packet);
  const local = localOf(opts);
  const est = followConntrack(state, p);
  if (est !== undefined) return est;
  const o = new KernelWalk(
    {
      rt,
      local,
      rulesFor: opts.rulesFor ?? linearRules,
      destinationChecked: opts.destinationChecked === true,
    },
    state,
  ).walk(p);
  recordConntrack(state, p, o, opts.masqueradeIP ?? local.ips[0]);
  return o.result;
}

export class KernelWalk extends RuleWalk {
  readonly #state: KernelState;
  #mark = 0;
  #ctstates: readonly string[] = ['NEW'];
  #dnat: string | undefined;
  #masq = false;
  #phases: Phase[] = [];

  constructor(setup: WalkSetup, state: KernelState) {
    super(setup);
    this.#state = state;
  }

  /**
   * Walks the hooks a new packet meets, in the kernel's order. From another host or a pod: nat
   * PREROUTING, then the routing decision on the destination after DNAT: filter INPUT when it is a
   * local address, else filter FORWARD and nat POSTROUTING. From the node itself: nat OUTPUT, filter
   * OUTPUT, nat POSTROUTING, and when the destination (after DNAT) is a local address the packet comes
   * back in over loopback through filter INPUT (conntrack state still NEW; nat is not consulted again).
   */
  walk(p0: PacketView): KernelOutcome {
    this.matched = [];
    this.#phases = [];
    this.#mark = 0;
    this.#ctstates = ['NEW'];
    this.#dnat = undefined;
    this.#masq = false;
    let p = p0;
    let dnat: { ip: string; port: number } | undefined;
    const natHook = this.natHook(p);
    const fromNode = natHook === 'OUTPUT';
    const nat = this.rt.get('nat');
    const filter = this.rt.get('filter');
    if (nat !== undefined) this.#runHook(nat, natHook, p);
    if (this.#dnat !== undefined) {
      const { ip, port } = splitHostPort(this.#dnat);
      p = withDestination(p, ip, port ?? p.dport);
      dnat = { ip: p.dst, port: p.dport };
      this.#ctstates = ['NEW', 'DNAT'];
    }
    const toNode = this.local.has(p.dst, p.dstAddr);
    let verdict: Verdict = this.#dnat !== undefined ? 'DNAT' : 'ACCEPT';
    const hooks: [table: Table | undefined, hook: string][] = fromNode
      ? [
          [filter, 'OUTPUT'],
          [nat, 'POSTROUTING'],
          ...(toNode ? [[filter, 'INPUT'] as [Table | undefined, string]] : []),
        ]
      : toNode
        ? [[filter, 'INPUT']]
        : [
            [filter, 'FORWARD'],
            [nat, 'POSTROUTING'],
          ];
    for (const [table, hook] of hooks) {
      if (table === undefined) continue;
      const stop = this.#runHook(table, hook, p);
      if (table.name === 'filter' && (stop === 'DROP' || stop === 'REJECT')) {
        verdict = stop;
        break;
      }
    }
    return {
      result: {
        verdict,
        endpoint: verdict === 'DNAT' ? this.#dnat : undefined,
        masquerade: this.#masq,
        matched: this.matched,
        conntrack: 'NEW',
      },
      dnat: verdict === 'DNAT' ? dnat : undefined,
      mark: this.#mark,
      phases: this.#phases,
    };
  }

  // A built-in chain: its verdict, or its policy when the packet falls off the end.
  #runHook(table: Table, hook: string, p: PacketView): Stop {
    this.#phases.push({ table: table.name, hook, start: this.matched.length });
    const stop = this.#run(table, hook, p, 0);
    if (stop !== undefined) return stop;
    const policy = table.chains.get(hook)?.policy;
    return policy === 'DROP' ? 'DROP' : 'ACCEPT';
  }

  #matches(rule: Rule, p: PacketView, checked: boolean): boolean {
    const s = rule.spec;
    if (!checked && !destinationMatches(s, p, this.local)) return false;
    if (hasSourcePart(s) && !this.ask(rule, 'source', () => kernelSourceMatches(s, p, this.local))) {
      return false;
    }
    // Marks and conntrack state follow from the path walked so far, so they are not oracle tests.
    if (s.mark !== undefined && !markMatches(s.mark, this.#mark)) return false;
    if (s.ctstate !== undefined) {
      let any = false;
      for (const st of s.ctstate.states) if (this.#ctstates.includes(st)) any = true;
      if (any === s.ctstate.negated) return false;
    }
    if (hasStatePart(s) && !this.ask(rule, 'state', () => stateMatches(s, p, this.#state))) return false;
    return true;
  }

  #run(table: Table, chain: string, p: PacketView, depth: number): Stop | undefined {
    if (depth > 64) return undefined;
    const defaults = this.defaultJumps(table, chain);
    const rules = defaults ?? this.rulesFor(table, chain, p);
    const checked = this.checked && defaults === undefined;
    for (let i = 0; i < rules.length; i++) {
      const rule = rules[i]!;
      if (!this.#matches(rule, p, checked)) continue;
      const tg = rule.spec.target;
      // A rule without a target matches too: the kernel counts it (KUBE-FW's "other traffic" comment).
      this.matched.push({ table: table.name, rule: rule.text });
      if (tg === undefined) continue;
      switch (tg.kind) {
        case 'jump': {
          if (!table.chains.has(tg.chain)) continue;
          const stop = this.#run(table, tg.chain, p, depth + 1);
          if (tg.goto || stop !== undefined) return stop;
          continue;
        }
        case 'ACCEPT':
        case 'DROP':
        case 'REJECT':
          return tg.kind;
        case 'RETURN':
          return undefined;
        case 'DNAT':
          this.#dnat = tg.toDestination;
          return 'DNAT';
        case 'SNAT':
        case 'MASQUERADE':
          this.#masq = true;
          return 'NAT';
        case 'MARK':
          this.#mark = applyMark(tg.op, tg.value, this.#mark);
          continue;
        default:
          continue;
      }
    }
    return undefined;
  }
}
