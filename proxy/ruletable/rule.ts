// One rule: the text it was written as (kept, so rendering is exact and building 100k+ rules costs no
// more than building their strings) and, parsed on first use, its matches and target.
import { type Addr, addrInCidr, type Cidr, parseCidr } from './address.js';

/** A parameter value, possibly negated with `!`. */
export interface Param {
  readonly value: string;
  readonly negated: boolean;
}

/** An address parameter (`-s`, `-d`); the block is parsed once and kept. */
export interface AddrParam extends Param {
  readonly cidr: Cidr | undefined;
}

export interface StatisticMatch {
  readonly mode: string;
  /** As written (`0.5000000000`, or `0.50000000000` in a kernel dump). */
  readonly probabilityText: string | undefined;
  readonly probability: number | undefined;
  /** What the kernel stores for it: lround(probability * 2^31) (xt_statistic). */
  readonly threshold: number | undefined;
  readonly every: number | undefined;
  readonly packet: number | undefined;
  readonly negated: boolean;
}

export interface RecentMatch {
  readonly name: string;
  readonly set: boolean;
  readonly rcheck: boolean;
  readonly update: boolean;
  readonly remove: boolean;
  readonly seconds: number | undefined;
  readonly reap: boolean;
  readonly mask: string | undefined;
  /** `--rsource` (the default) keys by source address, `--rdest` by destination. */
  readonly side: 'source' | 'dest';
  readonly negated: boolean;
}

export interface ConntrackMatch {
  readonly states: readonly string[];
  readonly negated: boolean;
}

/** What a rule does when it matches. Chains are `jump`; everything else is a built-in target. */
export type Target =
  | { readonly kind: 'jump'; readonly chain: string; readonly goto: boolean }
  | { readonly kind: 'ACCEPT' | 'DROP' | 'RETURN' }
  | { readonly kind: 'REJECT'; readonly rejectWith: string | undefined }
  | { readonly kind: 'DNAT'; readonly toDestination: string }
  | { readonly kind: 'SNAT'; readonly toSource: string }
  | { readonly kind: 'MARK'; readonly op: 'or' | 'xor' | 'and' | 'set' | 'set-xmark'; readonly value: string }
  | {
      readonly kind: 'MASQUERADE';
      readonly randomFully: boolean;
      readonly random: boolean;
      readonly toPorts: string | undefined;
    }
  | { readonly kind: 'other'; readonly name: string; readonly args: readonly string[] };

/** A rule's parsed form. Absent fields were not in the rule. */
export interface RuleSpec {
  /** `-m` modules in the order written. */
  readonly modules: readonly string[];
  readonly source?: AddrParam;
  readonly destination?: AddrParam;
  readonly protocol?: Param;
  readonly inInterface?: Param;
  readonly outInterface?: Param;
  /** The comment text, quotes removed. */
  readonly comment?: string;
  readonly srcType?: Param;
  readonly dstType?: Param;
  readonly dport?: Param;
  readonly sport?: Param;
  readonly statistic?: StatisticMatch;
  readonly recent?: RecentMatch;
  /** `-m mark --mark V[/M]`. */
  readonly mark?: Param;
  readonly ctstate?: ConntrackMatch;
  readonly nfacctName?: string;
  readonly target?: Target;
  /** Words the parser did not recognise (skipped, as kube-proxy's test parser does). */
  readonly unknown: readonly string[];
}

/**
 * Splits rule text into words the way iptables-restore does: spaces separate, a double-quoted string
 * is one word (quotes removed, `\"` and `\\` unescaped).
 */
export function splitWords(text: string): string[] {
  const words: string[] = [];
  const n = text.length;
  let i = 0;
  while (i < n) {
    while (i < n && (text[i] === ' ' || text[i] === '\t')) i++;
    if (i >= n) break;
    if (text[i] === '"') {
      let w = '';
      i++;
      while (i < n && text[i] !== '"') {
        if (text[i] === '\\' && i + 1 < n && (text[i + 1] === '"' || text[i + 1] === '\\')) i++;
        w += text[i];
        i++;
      }
      i++;
      words.push(w);
    } else {
      const start = i;
      while (i < n && text[i] !== ' ' && text[i] !== '\t') i++;
      words.push(text.slice(start, i));
    }
  }
  return words;
}

/** Quotes a word for rule text when it needs it (kube-proxy writes comments with spaces in quotes). */
export function quoteWord(w: string): string {
  if (w !== '' && /^[^\s"\\]+$/.test(w)) return w;
  return `"${w.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

// Flags that take no value; every other flag takes the next word.
const NO_VALUE = new Set(['--set', '--rcheck', '--update', '--remove', '--reap', '--rsource', '--rdest']);

function num(s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  const n = Number(s);
  return Number.isFinite(n) ? n : undefined;
}

function addrParam(value: string, negated: boolean): AddrParam {
  return { value, negated, cidr: parseCidr(value) };
}

/**
 * The statistic match in random mode as the kernel does it (xt_statistic.c): userspace stores
 * lround(p * 2^31); a packet matches when (prandom_u32() & 0x7FFFFFFF) < that number.
 */
export function statisticThreshold(probability: number): number {
  return Math.round(probability * 0x80000000);
}

/** Parses the words of a rule after `-A CHAIN`. Unknown words are kept in `unknown` and skipped. */
export function parseRuleWords(words: readonly string[]): RuleSpec {
  const spec: {
    -readonly [K in keyof RuleSpec]: RuleSpec[K];
  } = { modules: [], unknown: [] };
  const modules: string[] = [];
  const unknown: string[] = [];
  let negate = false;
  let stat: { mode: string; p?: string; every?: string; packet?: string; negated: boolean } | undefined;
  let recent:
    | {
        name: string;
        set: boolean;
        rcheck: boolean;
        update: boolean;
        remove: boolean;
        seconds?: string;
        reap: boolean;
        mask?: string;
        side: 'source' | 'dest';
        negated: boolean;
      }
    | undefined;
  const rec = () => {
    recent ??= {
      name: 'DEFAULT',
      set: false,
      rcheck: false,
      update: false,
      remove: false,
      reap: false,
      side: 'source',
      negated: false,
    };
    return recent;
  };
  let targetName: string | undefined;
  let goto = false;
  const targetArgs: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if (w === '!') {
      negate = true;
      continue;
    }
    if (targetName !== undefined) {
      // Everything after -j belongs to the target (`--to-destination`, `--or-mark`, ...).
      targetArgs.push(w);
      continue;
    }
    const neg = negate;
    negate = false;
    const takeValue = (): string => {
      const v = words[i + 1];
      i++;
      // Old syntax `-s ! 1.2.3.4`.
      if (v === '!') {
        negate = true;
        return takeValue();
      }
      return v ?? '';
    };
    switch (w) {
      case '-m':
      case '--match':
        modules.push(takeValue());
        break;
      case '-s':
      case '--source':
      case '--src': {
        const v = takeValue();
        spec.source = addrParam(v, neg || negate);
        negate = false;
        break;
      }
      case '-d':
      case '--destination':
      case '--dst': {
        const v = takeValue();
        spec.destination = addrParam(v, neg || negate);
        negate = false;
        break;
      }
      case '-p':
      case '--protocol':
        spec.protocol = { value: takeValue(), negated: neg };
        break;
      case '-i':
      case '--in-interface':
        spec.inInterface = { value: takeValue(), negated: neg };
        break;
      case '-o':
      case '--out-interface':
        spec.outInterface = { value: takeValue(), negated: neg };
        break;
      case '--comment':
        spec.comment = takeValue();
        break;
      case '--src-type':
        spec.srcType = { value: takeValue(), negated: neg };
        break;
      case '--dst-type':
        spec.dstType = { value: takeValue(), negated: neg };
        break;
      case '--dport':
      case '--destination-port':
      case '--dports':
        spec.dport = { value: takeValue(), negated: neg };
        break;
      case '--sport':
      case '--source-port':
      case '--sports':
        spec.sport = { value: takeValue(), negated: neg };
        break;
      case '--mode':
        stat ??= { mode: 'random', negated: false };
        stat.mode = takeValue();
        break;
      case '--probability':
        stat ??= { mode: 'random', negated: false };
        stat.p = takeValue();
        stat.negated = neg;
        break;
      case '--every':
        stat ??= { mode: 'nth', negated: false };
        stat.every = takeValue();
        stat.negated = neg;
        break;
      case '--packet':
        stat ??= { mode: 'nth', negated: false };
        stat.packet = takeValue();
        break;
      case '--name':
        rec().name = takeValue();
        break;
      case '--set':
        rec().set = true;
        break;
      case '--rcheck':
        rec().rcheck = true;
        rec().negated = neg;
        break;
      case '--update':
        rec().update = true;
        rec().negated = neg;
        break;
      case '--remove':
        rec().remove = true;
        break;
      case '--seconds':
        rec().seconds = takeValue();
        break;
      case '--reap':
        rec().reap = true;
        break;
      case '--mask':
        rec().mask = takeValue();
        break;
      case '--rsource':
        rec().side = 'source';
        break;
      case '--rdest':
        rec().side = 'dest';
        break;
      case '--mark':
        spec.mark = { value: takeValue(), negated: neg };
        break;
      case '--ctstate':
      case '--state':
        spec.ctstate = { states: takeValue().split(','), negated: neg };
        break;
      case '--nfacct-name':
        spec.nfacctName = takeValue();
        break;
      case '-j':
      case '--jump':
        targetName = takeValue();
        break;
      case '-g':
      case '--goto':
        targetName = takeValue();
        goto = true;
        break;
      default:
        unknown.push(w);
        if (w.startsWith('-') && !NO_VALUE.has(w) && i + 1 < words.length && !words[i + 1]!.startsWith('-')) {
          unknown.push(words[++i]!);
        }
    }
  }
  spec.modules = modules;
  spec.unknown = unknown;
  if (stat !== undefined) {
    spec.statistic = {
      mode: stat.mode,
      probabilityText: stat.p,
      probability: num(stat.p),
      threshold: num(stat.p) === undefined ? undefined : statisticThreshold(num(stat.p)!),
      every: num(stat.every),
      packet: num(stat.packet),
      negated: stat.negated,
    };
  }
  if (recent !== undefined) {
    const r = recent;
    spec.recent = {
      name: r.name,
      set: r.set,
      rcheck: r.rcheck,
      update: r.update,
      remove: r.remove,
      seconds: num(r.seconds),
      reap: r.reap,
      mask: r.mask,
      side: r.side,
      negated: r.negated,
    };
  }
  if (targetName !== undefined) spec.target = parseTarget(targetName, targetArgs, goto);
  return spec;
}

function parseTarget(name: string, args: readonly string[], goto: boolean): Target {
  const opt = (flag: string): string | undefined => {
    const i = args.indexOf(flag);
    return i < 0 ? undefined : args[i + 1];
  };
  switch (name) {
    case 'ACCEPT':
    case 'DROP':
    case 'RETURN':
      return { kind: name };
    case 'REJECT':
      return { kind: 'REJECT', rejectWith: opt('--reject-with') };
    case 'DNAT':
      return { kind: 'DNAT', toDestination: opt('--to-destination') ?? opt('--to') ?? '' };
    case 'SNAT':
      return { kind: 'SNAT', toSource: opt('--to-source') ?? '' };
    case 'MASQUERADE':
      return {
        kind: 'MASQUERADE',
        randomFully: args.includes('--random-fully'),
        random: args.includes('--random'),
        toPorts: opt('--to-ports'),
      };
    case 'MARK': {
      const ops = [
        ['--or-mark', 'or'],
        ['--xor-mark', 'xor'],
        ['--and-mark', 'and'],
        ['--set-mark', 'set'],
        ['--set-xmark', 'set-xmark'],
      ] as const;
      for (const [flag, op] of ops) {
        const v = opt(flag);
        if (v !== undefined) return { kind: 'MARK', op, value: v };
      }
      return { kind: 'other', name, args };
    }
    default:
      // An upper-case name with options is an extension target iptables knows; anything else is a chain.
      if (/^[A-Z][A-Z0-9_]*$/.test(name) && (args.length > 0 || KNOWN_TARGETS.has(name))) {
        return { kind: 'other', name, args };
      }
      return { kind: 'jump', chain: name, goto };
  }
}

const KNOWN_TARGETS = new Set(['LOG', 'NOTRACK', 'CT', 'TRACE', 'NFLOG', 'CHECKSUM', 'TCPMSS', 'CONNMARK']);

/**
 * One rule of one chain. `text` is the whole `-A CHAIN ...` line exactly as written; `spec` is parsed
 * from it on first use and kept.
 */
export class Rule {
  readonly chain: string;
  readonly text: string;
  #spec: RuleSpec | undefined;

  constructor(chain: string, text: string) {
    this.chain = chain;
    this.text = text;
  }

  /** Builds `-A CHAIN args...` from words (joined with one space, as kube-proxy's LineBuffer does). */
  static of(chain: string, ...args: readonly (string | readonly string[])[]): Rule {
    let text = `-A ${chain}`;
    for (const a of args) {
      if (typeof a === 'string') text += ` ${a}`;
      else for (const w of a) text += ` ${w}`;
    }
    return new Rule(chain, text);
  }

  /** A rule is its own line of its table (see TableLine). */
  get kind(): 'rule' {
    return 'rule';
  }

  get rule(): Rule {
    return this;
  }

  /** The text after `-A CHAIN `. */
  get args(): string {
    return this.text.slice(3 + this.chain.length + 1);
  }

  get spec(): RuleSpec {
    if (this.#spec === undefined) this.#spec = parseRuleWords(splitWords(this.args));
    return this.#spec;
  }

  get target(): Target | undefined {
    return this.spec.target;
  }

  get comment(): string | undefined {
    return this.spec.comment;
  }

  toString(): string {
    return this.text;
  }
}

/** True when `ip` is inside the rule's address block (a bare address is a /32 or /128). */
export function addrMatches(p: AddrParam, ip: Addr | undefined): boolean {
  const inside = p.cidr !== undefined && ip !== undefined && addrInCidr(p.cidr, ip);
  return inside !== p.negated;
}
