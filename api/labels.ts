// Label selectors as k8s.io/apimachinery/pkg/labels parses them (`a=b,c!=d,e in (x,y),f notin (z),g,!h`)
// and metav1.LabelSelector objects, plus field selectors (`metadata.name=x,spec.nodeName!=y`).
// A Selector is data (its requirements) with a pure `matches`; the store and controllers share it.
import { SelectorError } from './errors.js';
import type { LabelSelector } from './types.js';

export type SelectorOperator = 'in' | 'notin' | '=' | '==' | '!=' | 'exists' | '!' | 'gt' | 'lt';

export interface Requirement {
  key: string;
  operator: SelectorOperator;
  /** Sorted, as labels.NewRequirement keeps them. */
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
      return `${r.key} ${r.operator} (${r.values.join(',')})`;
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

// --- names and values ------------------------------------------------------------------------

const qualifiedNameRe = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const labelValueRe = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const dns1123SubdomainRe = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

const labelKeyRegexError =
  "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";

const dns1123SubdomainError =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

/**
 * Remembers a name check's answer: label keys, values and names repeat across objects, and the
 * regular expressions were a large part of validating one. Bounded; the answers are read-only.
 */
export function memoizeCheck(check: (value: string) => string[]): (value: string) => readonly string[] {
  const seen = new Map<string, readonly string[]>();
  return (value) => {
    let r = seen.get(value);
    if (r === undefined) {
      if (seen.size >= 10000) seen.clear();
      r = Object.freeze(check(value));
      seen.set(value, r);
    }
    return r;
  };
}

/** content.IsLabelKey (validation.IsQualifiedName): the messages kube-apiserver gives for a label key. */
export const isQualifiedName = memoizeCheck((value: string): string[] => {
  const errs: string[] = [];
  const parts = value.split('/');
  let name: string;
  if (parts.length === 1) {
    name = parts[0]!;
  } else if (parts.length === 2) {
    const prefix = parts[0]!;
    name = parts[1]!;
    if (prefix.length === 0) {
      errs.push('prefix part must be non-empty');
    } else {
      if (prefix.length > 253) errs.push('prefix part must be no more than 253 characters');
      if (!dns1123SubdomainRe.test(prefix)) errs.push(`prefix part ${dns1123SubdomainError}`);
    }
  } else {
    return [
      `a valid label key ${labelKeyRegexError} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
    ];
  }
  if (name.length === 0) errs.push('name part must be non-empty');
  else if (name.length > 63) errs.push('name part must be no more than 63 characters');
  if (!qualifiedNameRe.test(name)) errs.push(`name part ${labelKeyRegexError}`);
  return errs;
});

/** content.IsLabelValue (validation.IsValidLabelValue). */
export const isValidLabelValue = memoizeCheck((value: string): string[] => {
  const errs: string[] = [];
  if (value.length > 63) errs.push('must be no more than 63 characters');
  if (value.length > 0 && !labelValueRe.test(value))
    errs.push(
      "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
    );
  return errs;
});

function newRequirement(key: string, operator: SelectorOperator, values: string[]): Requirement {
  const keyErrs = isQualifiedName(key);
  if (keyErrs.length > 0)
    throw new SelectorError(
      `unable to parse requirement: key: Invalid value: "${key}": ${keyErrs.join('; ')}`,
    );
  switch (operator) {
    case 'in':
    case 'notin':
      if (values.length === 0)
        throw new SelectorError(
          "unable to parse requirement: values: Invalid value: []: for 'in', 'notin' operators, values set can't be empty",
        );
      break;
    case '=':
    case '==':
    case '!=':
      if (values.length !== 1)
        throw new SelectorError(
          'unable to parse requirement: values: Invalid value: []: exact-match compatibility requires one single value',
        );
      break;
    case 'gt':
    case 'lt':
      if (values.length !== 1 || !/^-?\d+$/.test(values[0]!))
        throw new SelectorError(
          `unable to parse requirement: values[0]: Invalid value: "${values[0] ?? ''}": for 'Gt', 'Lt' operators, the value must be an integer`,
        );
      break;
  }
  if (operator !== 'gt' && operator !== 'lt') {
    for (const v of values) {
      const errs = isValidLabelValue(v);
      if (errs.length > 0)
        throw new SelectorError(
          `unable to parse requirement: values[0]: Invalid value: "${v}": ${errs.join('; ')}`,
        );
    }
  }
  return { key, operator, values: [...new Set(values)].sort() };
}

// --- the string form ---------------------------------------------------------------------------

type Token =
  | { t: 'id'; v: string }
  | { t: 'op'; v: '=' | '==' | '!=' | '!' | '>' | '<' }
  | { t: '(' | ')' | ',' | 'in' | 'notin' | 'eos' };

function lex(s: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
    } else if (c === '(' || c === ')' || c === ',') {
      out.push({ t: c });
      i++;
    } else if (c === '=' || c === '!' || c === '>' || c === '<') {
      const two = s.slice(i, i + 2);
      if (two === '==' || two === '!=') {
        out.push({ t: 'op', v: two });
        i += 2;
      } else {
        out.push({ t: 'op', v: c });
        i++;
      }
    } else {
      let j = i;
      while (j < s.length && !' \t\n\r(),=!><'.includes(s[j]!)) j++;
      const word = s.slice(i, j);
      if (word === 'in' || word === 'notin') out.push({ t: word });
      else out.push({ t: 'id', v: word });
      i = j;
    }
  }
  out.push({ t: 'eos' });
  return out;
}

function tokenText(tok: Token): string {
  if (tok.t === 'id' || tok.t === 'op') return tok.v;
  if (tok.t === 'eos') return 'EOS';
  return tok.t;
}

/**
 * Parses a label selector string as labels.Parse does. Throws SelectorError.
 * @example parseSelector('app=web,tier in (a,b),!canary').matches({ app: 'web', tier: 'a' }) // true
 */
export function parseSelector(text: string): Selector {
  const toks = lex(text);
  let p = 0;
  const reqs: Requirement[] = [];
  const fail = (msg: string): never => {
    throw new SelectorError(`unable to parse requirement: ${msg}`);
  };
  if (toks[0]!.t === 'eos') return everything();
  for (;;) {
    let tok = toks[p++]!;
    let negated = false;
    if (tok.t === 'op' && tok.v === '!') {
      negated = true;
      tok = toks[p++]!;
    }
    if (tok.t !== 'id') fail(`found '${tokenText(tok)}', expected: identifier`);
    const key = (tok as { v: string }).v;
    const next = toks[p]!;
    if (negated) {
      if (next.t !== ',' && next.t !== 'eos')
        fail(`found '${tokenText(next)}', expected: ',' or 'end of string'`);
      reqs.push(newRequirement(key, '!', []));
    } else if (next.t === ',' || next.t === 'eos') {
      reqs.push(newRequirement(key, 'exists', []));
    } else if (next.t === 'in' || next.t === 'notin') {
      p++;
      if (toks[p]!.t !== '(') fail(`found '${tokenText(toks[p]!)}', expected: '('`);
      p++;
      const values: string[] = [];
      for (;;) {
        const v = toks[p]!;
        if (v.t === 'id') {
          values.push(v.v);
          p++;
        } else if (v.t === ',' || v.t === ')') {
          // An empty value between commas is the empty string, as labels.parseValues allows.
          if (values.length === 0 || toks[p - 1]!.t === ',') values.push('');
        } else {
          fail(`found '${tokenText(v)}', expected: ',', ')' or identifier`);
        }
        const sep = toks[p]!;
        if (sep.t === ')') {
          p++;
          break;
        }
        if (sep.t !== ',') fail(`found '${tokenText(sep)}', expected: ',' or ')'`);
        p++;
      }
      // `x in ()` leaves one empty string: labels.Parse treats it as the empty value.
      reqs.push(newRequirement(key, next.t, values));
    } else if (next.t === 'op' && next.v !== '!') {
      p++;
      const op: SelectorOperator = next.v === '>' ? 'gt' : next.v === '<' ? 'lt' : next.v;
      const v = toks[p]!;
      let value = '';
      if (v.t === 'id') {
        value = v.v;
        p++;
      } else if (v.t !== ',' && v.t !== 'eos') {
        fail(`found '${tokenText(v)}', expected: identifier`);
      }
      reqs.push(newRequirement(key, op, [value]));
    } else {
      fail(`found '${tokenText(next)}', expected: in, notin, =, ==, !=, gt, lt`);
    }
    const sep = toks[p++]!;
    if (sep.t === 'eos') break;
    if (sep.t !== ',') fail(`found '${tokenText(sep)}', expected: ',' or 'end of string'`);
  }
  return new RequirementsSelector(reqs);
}

/** labels.SelectorFromSet: every key equals its value; an empty or absent set selects everything. */
export function selectorFromSet(set: Readonly<Record<string, string>> | undefined): Selector {
  const reqs: Requirement[] = [];
  if (set) for (const [k, v] of Object.entries(set)) reqs.push({ key: k, operator: '=', values: [v] });
  return new RequirementsSelector(reqs);
}

const operatorOf = { In: 'in', NotIn: 'notin', Exists: 'exists', DoesNotExist: '!' } as const;

/**
 * metav1.LabelSelectorAsSelector: a nil selector matches nothing, an empty one everything.
 * Throws SelectorError for an unknown operator or a bad key/value.
 */
export function labelSelectorAsSelector(ls: LabelSelector | null | undefined): Selector {
  if (ls === null || ls === undefined) return nothing;
  const reqs: Requirement[] = [];
  for (const [k, v] of Object.entries(ls.matchLabels ?? {})) reqs.push(newRequirement(k, '=', [v]));
  for (const e of ls.matchExpressions ?? []) {
    const op = operatorOf[e.operator];
    if (op === undefined) throw new SelectorError(`"${e.operator}" is not a valid label selector operator`);
    reqs.push(newRequirement(e.key, op, op === 'in' || op === 'notin' ? (e.values ?? []) : []));
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
