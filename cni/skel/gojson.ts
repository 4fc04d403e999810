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
    for (const k of Object.keys(v).sort()) {
      const x = (v as Record<string, unknown>)[k];
      if (x !== undefined) out[k] = sortDeep(x);
    }
    return out;
  }
  return v as GoEncodable;
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
