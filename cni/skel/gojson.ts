// Go's encoding/json as the protocol uses it on top of std/'s Go JSON codec: json.Marshal of
// map[string]interface{} sorts keys, of a struct keeps field order. libcni builds each plugin's stdin
// from maps (so sorted) with the previous result as a struct (so in field order); `ordered()` marks
// a value whose key order must be kept. json.Unmarshal into interface{} gives plain values.
import { type GoEncodable, type GoJSONValue, marshalGo, parseGoJSON } from '../../std/index.js';

const ORDERED = Symbol('ordered');

export interface Ordered {
  readonly [ORDERED]: true;
  readonly value: unknown;
}

export function ordered(value: unknown): Ordered {
  return { [ORDERED]: true, value };
}

function isOrdered(v: unknown): v is Ordered {
  return typeof v === 'object' && v !== null && ORDERED in v;
}

function sortDeep(v: unknown): GoEncodable {
  if (isOrdered(v)) return v.value as GoEncodable;
  if (Array.isArray(v)) return v.map(sortDeep);
  if (typeof v === 'object' && v !== null) {
    const out: Record<string, GoEncodable> = {};
    const keys = Object.keys(v);
    if (keys.length > 1) keys.sort();
    for (const k of keys) {
      const x = (v as Record<string, unknown>)[k];
      if (x !== undefined) out[k] = sortDeep(x);
    }
    return out;
  }
  return v as GoEncodable;
}

/** The value with its keys in json.Marshal's order for a map (sorted at every level, except inside ordered()). */
export function sortedKeys(v: unknown): GoEncodable {
  return sortDeep(v);
}

/** json.Marshal of a map: compact, keys sorted at every level except inside ordered() values. */
export function marshalMap(v: unknown): string {
  return marshalGo(sortDeep(v));
}

/** Go's json.Unmarshal into interface{}: objects (last duplicate wins), arrays, float64 numbers. */
export function toPlain(v: GoJSONValue): unknown {
  switch (v.kind) {
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const [k, x] of v.entries) out[k] = toPlain(x);
      return out;
    }
    case 'array':
      return v.items.map(toPlain);
    case 'string':
      return v.value;
    case 'number':
      return Number(v.raw);
    case 'bool':
      return v.value;
    case 'null':
      return null;
  }
}

const surrogate = /[\uD800-\uDFFF]/;
const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** A string after Go printed it and read it back: lone surrogates (invalid UTF-8 to Go) are U+FFFD. */
function wellFormed(s: string): string {
  return surrogate.test(s) ? s.replace(loneSurrogate, '\ufffd') : s;
}

/** Returned by plainOfMarshal for a value it cannot carry over without printing it. */
export const notPlain: unique symbol = Symbol('notPlain');

/**
 * What `unmarshal(marshalGo(v))` gives, without the text in between: objects without their
 * undefined members (assigned key by key in printed order, as toPlain does), strings as Go reads back
 * what it printed, numbers as their printed form reads back. `notPlain` for a value Go could not
 * read back (NaN, ±Infinity) or that does not print (undefined in an array): the caller then prints
 * and parses, and gets the same error the text gives.
 */
export function plainOfMarshal(v: GoEncodable): unknown {
  if (v === null || typeof v === 'boolean') return v;
  if (typeof v === 'string') return wellFormed(v);
  if (typeof v === 'number') return Number.isFinite(v) ? Number(String(v)) : notPlain;
  if (Array.isArray(v)) {
    const out: unknown[] = [];
    for (const x of v as readonly GoEncodable[]) {
      if (x === undefined) return notPlain;
      const p = plainOfMarshal(x);
      if (p === notPlain) return notPlain;
      out.push(p);
    }
    return out;
  }
  if (typeof v !== 'object') return notPlain;
  const out: Record<string, unknown> = {};
  const obj = v as { readonly [key: string]: GoEncodable | undefined };
  for (const k in obj) {
    if (!Object.hasOwn(obj, k)) continue;
    const x = obj[k];
    if (x === undefined) continue;
    const p = plainOfMarshal(x);
    if (p === notPlain) return notPlain;
    out[wellFormed(k)] = p;
  }
  return out;
}

/**
 * What `parseGoJSON(marshalGo(v))` gives, without the text in between (members in printed order,
 * strings and numbers as they read back); undefined for a value that does not read back (see
 * plainOfMarshal). The in-process invoker hands a plugin the parse of the stdin it printed this way.
 */
export function goJSONValueOf(v: GoEncodable): GoJSONValue | undefined {
  if (v === null) return { kind: 'null' };
  if (typeof v === 'boolean') return { kind: 'bool', value: v };
  if (typeof v === 'string') return { kind: 'string', value: wellFormed(v) };
  if (typeof v === 'number') return Number.isFinite(v) ? { kind: 'number', raw: String(v) } : undefined;
  if (Array.isArray(v)) {
    const items: GoJSONValue[] = [];
    for (const x of v as readonly GoEncodable[]) {
      if (x === undefined) return undefined;
      const g = goJSONValueOf(x);
      if (g === undefined) return undefined;
      items.push(g);
    }
    return { kind: 'array', items };
  }
  if (typeof v !== 'object') return undefined;
  const entries: Array<readonly [string, GoJSONValue]> = [];
  const obj = v as { readonly [key: string]: GoEncodable | undefined };
  for (const k in obj) {
    if (!Object.hasOwn(obj, k)) continue;
    const x = obj[k];
    if (x === undefined) continue;
    const g = goJSONValueOf(x);
    if (g === undefined) return undefined;
    entries.push([wellFormed(k), g]);
  }
  return { kind: 'object', entries };
}

/** Parses with Go's syntax rules and error texts. */
export function unmarshal(bytes: Uint8Array | string): unknown {
  return toPlain(parseGoJSON(bytes));
}

/** Go's %T of a value json.Unmarshal put in an interface{}. */
export function goTypeName(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number') return 'float64';
  if (typeof v === 'boolean') return 'bool';
  if (Array.isArray(v)) return '[]interface {}';
  return 'map[string]interface {}';
}
