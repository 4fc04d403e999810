// How the kernel prints back what kube-proxy wrote: `iptables-save` text, as iptables 1.8's
// iptables-save prints a rule (https://git.netfilter.org/iptables/tree/iptables/iptables.c). The match
// order becomes canonical (-s, -d, -i, -o, -p, then each -m module with its own options in the order
// modules were written, then the target), bare addresses get /32 (/128), comments are re-quoted as
// libxtables' xtables_save_string does, probabilities are stored as lround(p * 2^31) and printed %.11f,
// MARK becomes --set-xmark, `recent` shows its defaults, REJECT its default --reject-with. Chains are
// listed built-in first (with policy), then user chains in name order, rules chain by chain.
import { cidrNetwork, formatAddr } from './address.js';
import {
  type AddrParam,
  type Param,
  type Rule,
  type RuleSpec,
  statisticThreshold,
  type Target,
} from './rule.js';
import { builtinChains, type RuleTable } from './table.js';

const NO_QUOTE = /^[_\-0-9a-zA-Z]+$/;

/** xtables_save_string: bare when every character is in [_-0-9a-zA-Z], else quoted with escapes. */
export function xtablesSaveString(v: string): string {
  if (NO_QUOTE.test(v)) return v;
  return `"${v.replace(/["\\']/g, (c) => `\\${c}`)}"`;
}

function neg(p: { negated: boolean }): string {
  return p.negated ? '! ' : '';
}

function addr(p: AddrParam): string {
  const c = p.cidr;
  if (c === undefined) return p.value;
  const a = formatAddr(cidrNetwork(c));
  return `${a}/${c.prefix}`;
}

function hex(s: string): string {
  const n = Number(s) >>> 0;
  return `0x${n.toString(16)}`;
}

function markValue(v: string): string {
  const [a, m] = v.split('/');
  return m === undefined ? hex(a!) : `${hex(a!)}/${hex(m)}`;
}

const CT_ORDER = ['INVALID', 'NEW', 'RELATED', 'ESTABLISHED', 'UNTRACKED', 'SNAT', 'DNAT'];

/** The probability as the kernel stores and prints it: lround(p * 2^31) / 2^31, %.11f. */
export function kernelProbability(p: number): string {
  return (statisticThreshold(p) / 0x80000000).toFixed(11);
}

function moduleText(name: string, s: RuleSpec): string {
  let out = `-m ${name}`;
  const opt = (p: Param | undefined, flag: string) => {
    if (p !== undefined) out += ` ${neg(p)}${flag} ${p.value}`;
  };
  switch (name) {
    case 'comment':
      if (s.comment !== undefined) out += ` --comment ${xtablesSaveString(s.comment)}`;
      break;
    case 'tcp':
    case 'udp':
    case 'sctp':
      opt(s.sport, '--sport');
      opt(s.dport, '--dport');
      break;
    case 'multiport':
      opt(s.sport, '--sports');
      opt(s.dport, '--dports');
      break;
    case 'addrtype':
      opt(s.srcType, '--src-type');
      opt(s.dstType, '--dst-type');
      break;
    case 'statistic': {
      const st = s.statistic;
      if (st === undefined) break;
      out += ` --mode ${st.mode}`;
      if (st.mode === 'random' && st.probability !== undefined) {
        out += ` ${st.negated ? '! ' : ''}--probability ${kernelProbability(st.probability)}`;
      } else if (st.every !== undefined) {
        out += ` ${st.negated ? '! ' : ''}--every ${st.every} --packet ${st.packet ?? 0}`;
      }
      break;
    }
    case 'recent': {
      const r = s.recent;
      if (r === undefined) break;
      const n = r.negated ? '! ' : '';
      if (r.set) out += ` ${n}--set`;
      if (r.rcheck) out += ` ${n}--rcheck`;
      if (r.update) out += ` ${n}--update`;
      if (r.remove) out += ` ${n}--remove`;
      if (r.seconds !== undefined) out += ` --seconds ${r.seconds}`;
      if (r.reap) out += ' --reap';
      out += ` --name ${r.name} --mask ${r.mask ?? '255.255.255.255'} ${r.side === 'source' ? '--rsource' : '--rdest'}`;
      break;
    }
    case 'mark':
      if (s.mark !== undefined) out += ` ${neg(s.mark)}--mark ${markValue(s.mark.value)}`;
      break;
    case 'conntrack':
    case 'state': {
      const c = s.ctstate;
      if (c === undefined) break;
      const states = [...c.states].sort((a, b) => CT_ORDER.indexOf(a) - CT_ORDER.indexOf(b));
      out += ` ${c.negated ? '! ' : ''}--${name === 'state' ? 'state' : 'ctstate'} ${states.join(',')}`;
      break;
    }
    case 'nfacct':
      if (s.nfacctName !== undefined) out += ` --nfacct-name ${s.nfacctName}`;
      break;
  }
  return out;
}

function targetText(t: Target, v6: boolean): string {
  switch (t.kind) {
    case 'jump':
      return `${t.goto ? '-g' : '-j'} ${t.chain}`;
    case 'ACCEPT':
    case 'DROP':
    case 'RETURN':
      return `-j ${t.kind}`;
    case 'REJECT':
      return `-j REJECT --reject-with ${t.rejectWith ?? (v6 ? 'icmp6-port-unreachable' : 'icmp-port-unreachable')}`;
    case 'DNAT':
      return `-j DNAT --to-destination ${t.toDestination}`;
    case 'SNAT':
      return `-j SNAT --to-source ${t.toSource}`;
    case 'MASQUERADE': {
      let s = '-j MASQUERADE';
      if (t.toPorts !== undefined) s += ` --to-ports ${t.toPorts}`;
      if (t.random) s += ' --random';
      if (t.randomFully) s += ' --random-fully';
      return s;
    }
    case 'MARK': {
      const [v, m] = t.value.split('/');
      const value = Number(v) >>> 0;
      switch (t.op) {
        case 'or':
          return `-j MARK --set-xmark ${hex(v!)}/${hex(v!)}`;
        case 'xor':
          return `-j MARK --set-xmark ${hex(v!)}/0x0`;
        case 'and':
          return `-j MARK --set-xmark 0x0/${hex(String(~value >>> 0))}`;
        case 'set':
          return `-j MARK --set-xmark ${hex(v!)}/${m === undefined ? '0xffffffff' : hex(m)}`;
        default:
          return `-j MARK --set-xmark ${hex(v!)}/${m === undefined ? '0xffffffff' : hex(m)}`;
      }
    }
    case 'other':
      return [`-j ${t.name}`, ...t.args].join(' ');
  }
}

/** One rule as `iptables-save` prints it (`-A CHAIN ...`). */
export function kernelRuleText(rule: Rule, v6 = false): string {
  const s = rule.spec;
  const parts: string[] = [`-A ${rule.chain}`];
  if (s.source !== undefined) parts.push(`${neg(s.source)}-s ${addr(s.source)}`);
  if (s.destination !== undefined) parts.push(`${neg(s.destination)}-d ${addr(s.destination)}`);
  if (s.inInterface !== undefined) parts.push(`${neg(s.inInterface)}-i ${s.inInterface.value}`);
  if (s.outInterface !== undefined) parts.push(`${neg(s.outInterface)}-o ${s.outInterface.value}`);
  if (s.protocol !== undefined) parts.push(`${neg(s.protocol)}-p ${s.protocol.value}`);
  for (const m of s.modules) parts.push(moduleText(m, s));
  // `-p tcp --dport 80` without `-m tcp`: iptables loads the protocol's match implicitly.
  const portModules = ['tcp', 'udp', 'sctp', 'multiport'];
  if ((s.dport !== undefined || s.sport !== undefined) && !s.modules.some((m) => portModules.includes(m))) {
    if (s.protocol !== undefined) parts.push(moduleText(s.protocol.value, s));
  }
  if (s.target !== undefined) parts.push(targetText(s.target, v6));
  return parts.join(' ');
}

/** ctime(3) text, as iptables-save writes in its header comments (UTC). */
function ctime(d: Date): string {
  const day = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'][d.getUTCDay()];
  const mon = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][
    d.getUTCMonth()
  ];
  const p = (n: number) => String(n).padStart(2, '0');
  return `${day} ${mon} ${String(d.getUTCDate()).padStart(2, ' ')} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} ${d.getUTCFullYear()}`;
}

export interface IptablesSaveOptions {
  /** IPv6 tables (ip6tables-save): REJECT's default is icmp6-port-unreachable. */
  readonly ipv6?: boolean;
  /** Writes the `# Generated by` / `# Completed on` comments with this time. */
  readonly date?: Date;
  /** The version in the comments; default `v1.8.9 (nf_tables)` (Debian bookworm). */
  readonly version?: string;
}

/**
 * The text `iptables-save` prints for this rule table once loaded into the kernel: each table's
 * built-in chains (policy and counters), then its user chains by name, then the rules chain by chain.
 */
export function renderIptablesSave(rt: RuleTable, opts: IptablesSaveOptions = {}): string {
  let out = '';
  const version = opts.version ?? 'v1.8.9 (nf_tables)';
  for (const t of rt.tables) {
    if (opts.date !== undefined) out += `# Generated by iptables-save ${version} on ${ctime(opts.date)}\n`;
    out += `*${t.name}\n`;
    const builtins = builtinChains[t.name] ?? [];
    const user = [...t.chains.values()]
      .filter((c) => !c.deleted && !builtins.includes(c.name))
      .sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const b of builtins) {
      const c = t.chains.get(b);
      const policy = c !== undefined && c.policy !== '-' ? c.policy : 'ACCEPT';
      out += `:${b} ${policy} ${c?.counters ?? '[0:0]'}\n`;
    }
    for (const c of user) out += `:${c.name} - ${c.counters}\n`;
    for (const b of builtins)
      for (const r of t.chains.get(b)?.rules ?? []) out += `${kernelRuleText(r, opts.ipv6)}\n`;
    for (const c of user) for (const r of c.rules) out += `${kernelRuleText(r, opts.ipv6)}\n`;
    out += 'COMMIT\n';
    if (opts.date !== undefined) out += `# Completed on ${ctime(opts.date)}\n`;
  }
  return out;
}
