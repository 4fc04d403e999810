// Label selectors as k8s.io/apimachinery/pkg/labels parses them (`a=b,c!=d,e in (x,y),f notin (z),g,!h`)
// and metav1.LabelSelector objects, plus field selectors (`metadata.name=x,spec.nodeName!=y`).
// A Selector is data (its requirements) with a pure `matches`; the store and controllers share it.

import { goQuote } from '../std/index.js';
import { SelectorError } from './errors.js';
import { aggregateText, type FieldError, field, goStrings } from './fielderrors.js';
import { isQualifiedName, isValidLabelValue } from './names.js';
import type { LabelSelector } from './types.js';

export type SelectorOperator = 'in' | 'notin' | '=' | '==' | '!=' | 'exists' | '!' | 'gt' | 'lt';

export interface Requirement {
  key: string;
  operator: SelectorOperator;
  /** As given (the string parser gives a sorted set); printed sorted, as Requirement.String(). */
  values: string[];
}

export interface Selector {
  readonly requirements: readonly Requirement[];
  /** Matches every label set (no requirements). */
  readonly empty: boolean;
  matches(labels: Readonly<Record<string, string>> | undefined): boolean;
  /** The canonical selector text (requirements sorted by key, as labels.Selector.String()). */
  toString(): string;
}

type Labels = Readonly<Record<string, string>> | undefined;

function has(labels: Labels, key: string): boolean {
  return labels !== undefined && Object.hasOwn(labels, key);
}

export function requirementMatches(r: Requirement, labels: Labels): boolean {
  switch (r.operator) {
    case 'in':
    case '=':
    case '==':
      return has(labels, r.key) && r.values.includes(labels![r.key]!);
    case 'notin':
    case '!=':
      return !has(labels, r.key) || !r.values.includes(labels![r.key]!);
    case 'exists':
      return has(labels, r.key);
    case '!':
      return !has(labels, r.key);
    case 'gt':
    case 'lt': {
      if (!has(labels, r.key)) return false;
      const v = labels![r.key]!;
      if (!/^-?\d+$/.test(v)) return false;
      const n = Number(v);
      const bound = Number(r.values[0]);
      return r.operator === 'gt' ? n > bound : n < bound;
    }
  }
}

function requirementString(r: Requirement): string {
  switch (r.operator) {
    case 'exists':
      return r.key;
    case '!':
      return `!${r.key}`;
    case 'in':
    case 'notin':
      return `${r.key} ${r.operator} (${[...r.values].sort().join(',')})`;
    case 'gt':
      return `${r.key}>${r.values[0]}`;
    case 'lt':
      return `${r.key}<${r.values[0]}`;
    default:
      return `${r.key}${r.operator}${r.values[0]}`;
  }
}

class RequirementsSelector implements Selector {
  readonly requirements: readonly Requirement[];
  constructor(reqs: Requirement[]) {
    // labels.internalSelector sorts by key so String() is canonical.
    this.requirements = reqs.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }
  get empty(): boolean {
    return this.requirements.length === 0;
  }
  matches(labels: Labels): boolean {
    for (const r of this.requirements) if (!requirementMatches(r, labels)) return false;
    return true;
  }
  toString(): string {
    return this.requirements.map(requirementString).join(',');
  }
}

/** Matches nothing: what a nil metav1.LabelSelector becomes. */
const nothing: Selector = {
  requirements: [],
  empty: false,
  matches: () => false,
  toString: () => '',
};

export function everything(): Selector {
  return new RequirementsSelector([]);
}

/**
 * labels.NewRequirement: every problem with the operator and values, aggregated as field errors
 * under `key` / `values` (the key itself is checked by the caller: the parser words it its own way).
 */
function newRequirement(key: string, operator: SelectorOperator, values: string[]): Requirement {
  const errs: FieldError[] = [];
  const keyErrs = isQualifiedName(key);
  if (keyErrs.length > 0) errs.push(field.invalid('key', key, keyErrs.join('; ')));
  switch (operator) {
    case 'in':
    case 'notin':
      if (values.length === 0)
        errs.push(
          field.invalid(
            'values',
            goStrings(values),
            "for 'in', 'notin' operators, values set can't be empty",
          ),
        );
      break;
    case '=':
    case '==':
    case '!=':
      if (values.length !== 1)
        errs.push(
          field.invalid('values', goStrings(values), 'exact-match compatibility requires one single value'),
        );
      break;
    case 'exists':
    case '!':
      if (values.length !== 0)
        errs.push(
          field.invalid(
            'values',
            goStrings(values),
            'values set must be empty for exists and does not exist',
          ),
        );
      break;
    case 'gt':
    case 'lt':
      if (values.length !== 1)
        errs.push(
          field.invalid(
            'values',
            goStrings(values),
            "for 'Gt', 'Lt' operators, exactly one value is required",
          ),
        );
      values.forEach((v, i) => {
        if (!isInt64(v))
          errs.push(
            field.invalid(`values[${i}]`, v, "for 'Gt', 'Lt' operators, the value must be an integer"),
          );
      });
      break;
  }
  values.forEach((v, i) => {
    const valueErrs = isValidLabelValue(v);
    if (valueErrs.length > 0) errs.push(field.invalid(`values[${i}][${key}]`, v, valueErrs.join('; ')));
  });
  if (errs.length > 0) throw new SelectorError(aggregateText(errs));
  return { key, operator, values };
}

/** strconv.ParseInt(s, 10, 64) succeeds. */
function isInt64(s: string): boolean {
  if (!/^[+-]?\d+$/.test(s)) return false;
  const n = BigInt(s);
  return n >= -(2n ** 63n) && n < 2n ** 63n;
}

// --- the string form ---------------------------------------------------------------------------

// The lexer's tokens; the literal of the end of the string is '' (messages say `found ''`).
type Tok = 'eos' | 'id' | 'in' | 'notin' | '(' | ')' | ',' | '!' | '=' | '==' | '!=' | '>' | '<';

interface Scanned {
  tok: Tok;
  lit: string;
}

const symbolTokens = new Set(['(', ')', ',', '!', '=', '==', '!=', '>', '<']);
const isSpecial = (c: string) => '=!(),><'.includes(c);
const isSpace = (c: string) => c === ' ' || c === '\t' || c === '\r' || c === '\n';

/** labels.Lexer: the longest run of special characters that is a token, or a word. */
function scan(s: string): Scanned[] {
  const out: Scanned[] = [];
  let i = 0;
  for (;;) {
    while (i < s.length && isSpace(s[i]!)) i++;
    if (i >= s.length) break;
    if (isSpecial(s[i]!)) {
      const two = s.slice(i, i + 2);
      const lit = symbolTokens.has(two) ? two : s[i]!;
      out.push({ tok: lit as Tok, lit });
      i += lit.length;
    } else {
      let j = i;
      while (j < s.length && !isSpecial(s[j]!) && !isSpace(s[j]!)) j++;
      const lit = s.slice(i, j);
      out.push({ tok: lit === 'in' || lit === 'notin' ? lit : 'id', lit });
      i = j;
    }
  }
  out.push({ tok: 'eos', lit: '' });
  return out;
}

/**
 * labels.Parser, message for message. Where a value may stand (the Values context) the words `in`
 * and `notin` are plain identifiers, so `in in (in)` is a valid selector.
 */
class SelectorParser {
  private pos = 0;
  constructor(private readonly items: readonly Scanned[]) {}

  lookahead(values: boolean): Scanned {
    const it = this.items[this.pos]!;
    return values && (it.tok === 'in' || it.tok === 'notin') ? { tok: 'id', lit: it.lit } : it;
  }

  consume(values: boolean): Scanned {
    const it = this.lookahead(values);
    this.pos++;
    return it;
  }

  parse(): Requirement[] {
    const reqs: Requirement[] = [];
    for (;;) {
      const { tok, lit } = this.lookahead(true);
      if (tok === 'eos') return reqs;
      if (tok !== 'id' && tok !== '!')
        throw new SelectorError(`found '${lit}', expected: !, identifier, or 'end of string'`);
      try {
        reqs.push(this.parseRequirement());
      } catch (e) {
        if (e instanceof SelectorError) throw new SelectorError(`unable to parse requirement: ${e.message}`);
        throw e;
      }
      const t = this.consume(true);
      if (t.tok === 'eos') return reqs;
      if (t.tok !== ',') throw new SelectorError(`found '${t.lit}', expected: ',' or 'end of string'`);
      const t2 = this.lookahead(true);
      if (t2.tok !== 'id' && t2.tok !== '!')
        throw new SelectorError(`found '${t2.lit}', expected: identifier after ','`);
    }
  }

  private parseRequirement(): Requirement {
    let { tok, lit } = this.consume(true);
    let operator: SelectorOperator | undefined;
    if (tok === '!') {
      operator = '!';
      ({ tok, lit } = this.consume(true));
    }
    if (tok !== 'id') throw new SelectorError(`found '${lit}', expected: identifier`);
    // validateLabelKey with the parser's nil field path: Go prints it as <nil>.
    const keyErrs = isQualifiedName(lit);
    if (keyErrs.length > 0)
      throw new SelectorError(`<nil>: Invalid value: ${goQuote(lit)}: ${keyErrs.join('; ')}`);
    const key = lit;
    const next = this.lookahead(true).tok;
    if (operator === undefined && (next === 'eos' || next === ',')) operator = 'exists';
    if (operator !== undefined) return newRequirement(key, operator, []);
    const op = this.consume(false);
    switch (op.tok) {
      case 'in':
      case 'notin':
        return newRequirement(key, op.tok, this.parseValues());
      case '=':
      case '==':
      case '!=':
        return newRequirement(key, op.tok, this.parseExactValue());
      case '>':
        return newRequirement(key, 'gt', this.parseExactValue());
      case '<':
        return newRequirement(key, 'lt', this.parseExactValue());
      default:
        throw new SelectorError(`found '${op.lit}', expected: in, notin, =, ==, !=, gt, lt`);
    }
  }

  /** `(a,b,,c)` as a set: sorted, duplicates dropped, empty values kept as ''. */
  private parseValues(): string[] {
    const open = this.consume(true);
    if (open.tok !== '(') throw new SelectorError(`found '${open.lit}' expected: '('`);
    const { tok, lit } = this.lookahead(true);
    if (tok === ')') {
      this.consume(true);
      return [''];
    }
    if (tok !== 'id' && tok !== ',')
      throw new SelectorError(`found '${lit}', expected: ',', ')' or identifier`);
    const set = new Set<string>();
    for (;;) {
      const it = this.consume(true);
      if (it.tok === 'id') {
        set.add(it.lit);
        const after = this.lookahead(true);
        if (after.tok === ',') continue;
        if (after.tok === ')') break;
        throw new SelectorError(`found '${after.lit}', expected: ',' or ')'`);
      }
      if (it.tok !== ',') throw new SelectorError(`found '${it.lit}', expected: ',', or identifier`);
      if (set.size === 0) set.add('');
      const after = this.lookahead(true).tok;
      if (after === ')') {
        set.add('');
        break;
      }
      if (after === ',') {
        this.consume(true);
        set.add('');
      }
    }
    if (this.consume(true).tok !== ')') throw new SelectorError(`found '${lit}', expected: ')'`);
    return [...set].sort();
  }

  private parseExactValue(): string[] {
    const { tok } = this.lookahead(true);
    if (tok === 'eos' || tok === ',') return [''];
    const v = this.consume(true);
    if (v.tok === 'id') return [v.lit];
    throw new SelectorError(`found '${v.lit}', expected: identifier`);
  }
}

/**
 * Parses a label selector string as labels.Parse does. Throws SelectorError with its message.
 * @example parseSelector('app=web,tier in (a,b),!canary').matches({ app: 'web', tier: 'a' }) // true
 */
export function parseSelector(text: string): Selector {
  return new RequirementsSelector(new SelectorParser(scan(text)).parse());
}

/** The selectors of stored (frozen, so unchanging) sets: a Service's, read by every sync of its slices. */
const setSelectors = new WeakMap<object, Selector>();

/** labels.SelectorFromSet: every key equals its value; an empty or absent set selects everything. */
export function selectorFromSet(set: Readonly<Record<string, string>> | undefined): Selector {
  if (!set) return new RequirementsSelector([]);
  let sel = setSelectors.get(set);
  if (sel === undefined) {
    const reqs: Requirement[] = [];
    for (const [k, v] of Object.entries(set)) reqs.push({ key: k, operator: '=', values: [v] });
    sel = new RequirementsSelector(reqs);
    if (Object.isFrozen(set)) setSelectors.set(set, sel);
  }
  return sel;
}

const operatorOf = { In: 'in', NotIn: 'notin', Exists: 'exists', DoesNotExist: '!' } as const;

/**
 * metav1.LabelSelectorAsSelector: a nil selector matches nothing, an empty one everything.
 * Throws SelectorError for an unknown operator or a bad key/value.
 */
/**
 * The selectors of stored (frozen, so unchanging) LabelSelectors: a controller's sync reads its
 * object's selector each time, thousands of times for the same object.
 */
const selectorsOf = new WeakMap<object, Selector>();

export function labelSelectorAsSelector(ls: LabelSelector | null | undefined): Selector {
  if (ls === null || ls === undefined) return nothing;
  let sel = selectorsOf.get(ls);
  if (sel === undefined) {
    sel = buildSelector(ls);
    if (Object.isFrozen(ls)) selectorsOf.set(ls, sel);
  }
  return sel;
}

function buildSelector(ls: LabelSelector): Selector {
  const reqs: Requirement[] = [];
  for (const [k, v] of Object.entries(ls.matchLabels ?? {})) reqs.push(newRequirement(k, '=', [v]));
  for (const e of ls.matchExpressions ?? []) {
    const op = operatorOf[e.operator];
    if (op === undefined) throw new SelectorError(`"${e.operator}" is not a valid label selector operator`);
    reqs.push(newRequirement(e.key, op, [...(e.values ?? [])]));
  }
  return new RequirementsSelector(reqs);
}

/** Whether `labels` match a metav1.LabelSelector (nil matches nothing). */
export function matchesLabelSelector(ls: LabelSelector | null | undefined, labels: Labels): boolean {
  return labelSelectorAsSelector(ls).matches(labels);
}

// --- field selectors ---------------------------------------------------------------------------

export interface FieldRequirement {
  field: string;
  operator: '=' | '!=';
  value: string;
}

/** fields.ParseSelector: `a=b`, `a==b`, `a!=b`, comma-separated; `\,` `\=` `\\` escape. */
export function parseFieldSelector(text: string): FieldRequirement[] {
  const out: FieldRequirement[] = [];
  if (text.trim() === '') return out;
  const terms: string[] = [];
  let cur = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\' && i + 1 < text.length) {
      cur += c + text[++i];
    } else if (c === ',') {
      terms.push(cur);
      cur = '';
    } else cur += c;
  }
  terms.push(cur);
  for (const term of terms) {
    const m = /^([^=!]*?)(!=|==|=)(.*)$/.exec(term);
    if (!m) throw new SelectorError(`invalid selector: '${text}'; can't understand '${term}'`);
    const value = m[3]!.replace(/\\(.)/g, '$1');
    out.push({ field: m[1]!.trim(), operator: m[2] === '!=' ? '!=' : '=', value });
  }
  return out;
}
