// JSON as Go's encoding/json reads and writes it. host-local and every Go CNI plugin report
// json.Unmarshal's own error texts (`invalid character 'x' after object key`, `json: cannot
// unmarshal number into Go struct field Range.ipam.ranges.subnet of type string`) and print with
// json.MarshalIndent (`\u003c` for `<`), so byte-compatibility needs Go's scanner, not JSON.parse.
import { NetlabError } from './errors.js';

import { goQuote } from './goquote.js';

/** A parsed JSON value that keeps every object member in input order, duplicates included. */
export type GoJSONValue =
  | { readonly kind: 'object'; readonly entries: ReadonlyArray<readonly [string, GoJSONValue]> }
  | { readonly kind: 'array'; readonly items: readonly GoJSONValue[] }
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'number'; readonly raw: string }
  | { readonly kind: 'bool'; readonly value: boolean }
  | { readonly kind: 'null' };

/** A syntax error with the exact text of Go's json.SyntaxError. */
export class GoJSONSyntaxError extends NetlabError {
  override readonly name = 'GoJSONSyntaxError';
  readonly code = 'NETLAB_STD_GO_JSON_SYNTAX';
}

/** Go's quoteChar: how the scanner names the offending byte. */
function quoteChar(c: number): string {
  if (c === 0x27) return "'\\''";
  if (c === 0x22) return `'"'`;
  return "'" + goQuote(String.fromCharCode(c)).slice(1, -1) + "'";
}

const utf8 = new TextDecoder('utf-8');

// Module-level, not closures made per number or string: the scanner runs on every CNI stdin.
function digit(c: number | undefined): boolean {
  return c !== undefined && c >= 0x30 && c <= 0x39;
}

function hex(c: number | undefined): boolean {
  return (
    c !== undefined && ((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66))
  );
}

class Scanner {
  pos = 0;
  /** a \\u escape produced a UTF-16 surrogate: the strings may need repair */
  surrogates = false;
  constructor(readonly b: Uint8Array) {}

  fail(c: number | undefined, context: string): never {
    // At the end of input Go feeds the scanner one space: a state that cannot take it names it.
    if (c === undefined) {
      if (context === '') throw new GoJSONSyntaxError('unexpected end of JSON input');
      throw new GoJSONSyntaxError(`invalid character ' ' ${context}`);
    }
    throw new GoJSONSyntaxError(`invalid character ${quoteChar(c)} ${context}`);
  }

  ws(): void {
    const b = this.b;
    while (this.pos < b.length) {
      const c = b[this.pos]!;
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) this.pos++;
      else break;
    }
  }

  peek(): number | undefined {
    return this.b[this.pos];
  }

  value(): GoJSONValue {
    this.ws();
    const c = this.peek();
    if (c === undefined) this.fail(undefined, '');
    if (c === 0x7b) return this.object();
    if (c === 0x5b) return this.array();
    if (c === 0x22) return { kind: 'string', value: this.string() };
    if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return this.number();
    if (c === 0x74) return this.literal('true', { kind: 'bool', value: true });
    if (c === 0x66) return this.literal('false', { kind: 'bool', value: false });
    if (c === 0x6e) return this.literal('null', { kind: 'null' });
    return this.fail(c, 'looking for beginning of value');
  }

  literal(word: string, v: GoJSONValue): GoJSONValue {
    for (let i = 1; i < word.length; i++) {
      const c = this.b[this.pos + i];
      if (c !== word.charCodeAt(i)) {
        this.pos += i;
        this.fail(c, `in literal ${word} (expecting '${word[i]}')`);
      }
    }
    this.pos += word.length;
    return v;
  }

  number(): GoJSONValue {
    const b = this.b;
    const start = this.pos;
    if (b[this.pos] === 0x2d) {
      this.pos++;
      if (!digit(b[this.pos])) this.fail(b[this.pos], 'in numeric literal');
    }
    if (b[this.pos] === 0x30) this.pos++;
    else while (digit(b[this.pos])) this.pos++;
    if (b[this.pos] === 0x2e) {
      this.pos++;
      if (!digit(b[this.pos])) this.fail(b[this.pos], 'after decimal point in numeric literal');
      while (digit(b[this.pos])) this.pos++;
    }
    if (b[this.pos] === 0x65 || b[this.pos] === 0x45) {
      this.pos++;
      if (b[this.pos] === 0x2b || b[this.pos] === 0x2d) this.pos++;
      if (!digit(b[this.pos])) this.fail(b[this.pos], 'in exponent of numeric literal');
      while (digit(b[this.pos])) this.pos++;
    }
    return { kind: 'number', raw: utf8.decode(b.subarray(start, this.pos)) };
  }

  string(): string {
    const b = this.b;
    this.pos++; // opening quote
    let out = '';
    let runStart = this.pos;
    for (;;) {
      const c = b[this.pos];
      if (c === undefined) this.fail(undefined, '');
      if (c === 0x22) {
        out += utf8.decode(b.subarray(runStart, this.pos));
        this.pos++;
        return out;
      }
      if (c < 0x20) this.fail(c, 'in string literal');
      if (c !== 0x5c) {
        this.pos++;
        continue;
      }
      out += utf8.decode(b.subarray(runStart, this.pos));
      const e = b[this.pos + 1];
      this.pos += 2;
      switch (e) {
        case 0x22:
          out += '"';
          break;
        case 0x5c:
          out += '\\';
          break;
        case 0x2f:
          out += '/';
          break;
        case 0x62:
          out += '\b';
          break;
        case 0x66:
          out += '\f';
          break;
        case 0x6e:
          out += '\n';
          break;
        case 0x72:
          out += '\r';
          break;
        case 0x74:
          out += '\t';
          break;
        case 0x75: {
          for (let i = 0; i < 4; i++) {
            if (!hex(b[this.pos + i])) {
              this.pos += i;
              this.fail(b[this.pos], 'in \\u hexadecimal character escape');
            }
          }
          const unit = Number.parseInt(utf8.decode(b.subarray(this.pos, this.pos + 4)), 16);
          if (unit >= 0xd800 && unit < 0xe000) this.surrogates = true;
          out += String.fromCharCode(unit);
          this.pos += 4;
          break;
        }
        default:
          this.pos--;
          this.fail(e, 'in string escape code');
      }
      runStart = this.pos;
    }
  }

  object(): GoJSONValue {
    this.pos++;
    const entries: Array<readonly [string, GoJSONValue]> = [];
    this.ws();
    if (this.peek() === 0x7d) {
      this.pos++;
      return { kind: 'object', entries };
    }
    for (;;) {
      this.ws();
      const c = this.peek();
      if (c !== 0x22) this.fail(c, c === undefined ? '' : 'looking for beginning of object key string');
      const key = this.string();
      this.ws();
      const colon = this.peek();
      if (colon !== 0x3a) this.fail(colon, colon === undefined ? '' : 'after object key');
      this.pos++;
      entries.push([key, this.value()]);
      this.ws();
      const sep = this.peek();
      if (sep === 0x2c) {
        this.pos++;
        continue;
      }
      if (sep === 0x7d) {
        this.pos++;
        return { kind: 'object', entries };
      }
      this.fail(sep, sep === undefined ? '' : 'after object key:value pair');
    }
  }

  array(): GoJSONValue {
    this.pos++;
    const items: GoJSONValue[] = [];
    this.ws();
    if (this.peek() === 0x5d) {
      this.pos++;
      return { kind: 'array', items };
    }
    for (;;) {
      items.push(this.value());
      this.ws();
      const sep = this.peek();
      if (sep === 0x2c) {
        this.pos++;
        continue;
      }
      if (sep === 0x5d) {
        this.pos++;
        return { kind: 'array', items };
      }
      this.fail(sep, sep === undefined ? '' : 'after array element');
    }
  }
}

/** Lone UTF-16 surrogates become U+FFFD, as Go's decoder does. */
function fixSurrogates(s: string): string {
  return s.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\ufffd');
}

// The same bytes parse to the same value, and parsed values are never changed: a CNI config is parsed
// by the invoker, the plugin and its IPAM delegate for every pod of a node, so recent parses of
// small inputs are kept by content.
const memoMaxBytes = 4096;
const memoMaxEntries = 4096;
const memo = new Map<string, GoJSONValue>();

/** Parses JSON bytes with Go's syntax rules; throws GoJSONSyntaxError with Go's message. */
export function parseGoJSON(input: Uint8Array | string): GoJSONValue {
  if (input.length > memoMaxBytes) return parse(input);
  const key =
    typeof input === 'string'
      ? `s${input}`
      : `b${Buffer.from(input.buffer, input.byteOffset, input.byteLength).toString('latin1')}`;
  let v = memo.get(key);
  if (v === undefined) {
    v = parse(input);
    if (memo.size >= memoMaxEntries) memo.clear();
    memo.set(key, v);
  }
  return v;
}

function parse(input: Uint8Array | string): GoJSONValue {
  const bytes = typeof input === 'string' ? new TextEncoder().encode(input) : input;
  const s = new Scanner(bytes);
  const v = s.value();
  s.ws();
  const c = s.peek();
  if (c !== undefined) s.fail(c, 'after top-level value');
  return s.surrogates ? normalise(v) : v;
}

function normalise(v: GoJSONValue): GoJSONValue {
  switch (v.kind) {
    case 'string':
      return { kind: 'string', value: fixSurrogates(v.value) };
    case 'object':
      return {
        kind: 'object',
        entries: v.entries.map(([k, x]) => [fixSurrogates(k), normalise(x)] as const),
      };
    case 'array':
      return { kind: 'array', items: v.items.map(normalise) };
    default:
      return v;
  }
}

/** How Go's decoder names a JSON value in an UnmarshalTypeError. */
export function goKindName(v: GoJSONValue): string {
  return v.kind;
}

/**
 * The member of an object that a Go struct field with this JSON name receives: Go matches keys
 * case-insensitively and the last matching member wins.
 */
export function goField(obj: GoJSONValue, name: string): GoJSONValue | undefined {
  if (obj.kind !== 'object') return undefined;
  const lower = name.toLowerCase();
  let found: GoJSONValue | undefined;
  for (const [k, v] of obj.entries) if (k === name || k.toLowerCase() === lower) found = v;
  return found;
}

// ---------------------------------------------------------------------------------------------
// Encoding

// What Go's encoder escapes (with HTML escaping on) or replaces: most strings hold none of it.
const needsEscape = /[\u0000-\u001f"\\<>&\u2028\u2029\ud800-\udfff]/;

function goString(s: string): string {
  if (!needsEscape.test(s)) return '"' + s + '"';
  let out = '"';
  let run = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let esc: string | undefined;
    if (c < 0x20) {
      esc =
        c === 0x0a
          ? '\\n'
          : c === 0x0d
            ? '\\r'
            : c === 0x09
              ? '\\t'
              : '\\u00' + c.toString(16).padStart(2, '0');
    } else if (c === 0x22) esc = '\\"';
    else if (c === 0x5c) esc = '\\\\';
    else if (c === 0x3c) esc = '\\u003c';
    else if (c === 0x3e) esc = '\\u003e';
    else if (c === 0x26) esc = '\\u0026';
    else if (c === 0x2028) esc = '\\u2028';
    else if (c === 0x2029) esc = '\\u2029';
    else if (c >= 0xd800 && c < 0xe000) {
      // a valid pair passes; a lone surrogate is invalid UTF-8 to Go and becomes U+FFFD
      const next = s.charCodeAt(i + 1);
      if (c < 0xdc00 && next >= 0xdc00 && next < 0xe000) {
        i++;
        continue;
      }
      esc = '\ufffd';
    }
    if (esc !== undefined) {
      out += s.slice(run, i) + esc;
      run = i + 1;
    }
  }
  return out + s.slice(run) + '"';
}

/** A value to encode: plain JSON data; object keys print in insertion order, undefined members are left out. */
export type GoEncodable =
  | string
  | number
  | boolean
  | null
  | readonly GoEncodable[]
  | { readonly [key: string]: GoEncodable | undefined };

// Indentation per depth, made once: the encoder runs for every CNI invocation and cache entry.
const indents: string[] = [];
function lineAt(indent: string, depth: number): string {
  if (indent === '') return '';
  if (indent !== '    ') return '\n' + indent.repeat(depth);
  let s = indents[depth];
  if (s === undefined) {
    s = '\n' + indent.repeat(depth);
    indents[depth] = s;
  }
  return s;
}

// Built by appending to one string (no per-object arrays of entries and parts to join).
function encode(v: GoEncodable, indent: string, depth: number): string {
  if (v === null) return 'null';
  if (typeof v === 'string') return goString(v);
  if (typeof v === 'number') return String(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  const nl = lineAt(indent, depth + 1);
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]';
    let out = '[';
    for (let i = 0; i < v.length; i++) {
      if (i > 0) out += ',';
      out += nl + encode((v as readonly GoEncodable[])[i]!, indent, depth + 1);
    }
    return out + lineAt(indent, depth) + ']';
  }
  // As Object.entries would: an undefined array item cannot be printed.
  if (v === undefined) throw new TypeError('Cannot convert undefined or null to object');
  const sep = indent === '' ? ':' : ': ';
  const obj = v as { readonly [key: string]: GoEncodable | undefined };
  let out = '';
  for (const k in obj) {
    if (!Object.hasOwn(obj, k)) continue;
    const x = obj[k];
    if (x === undefined) continue;
    out += (out === '' ? '{' : ',') + nl + goString(k) + sep + encode(x, indent, depth + 1);
  }
  if (out === '') return '{}';
  return out + lineAt(indent, depth) + '}';
}

/** json.MarshalIndent(v, "", "    "): what Go plugins print for results and errors (no trailing newline). */
export function marshalIndentGo(v: GoEncodable): string {
  return encode(v, '    ', 0);
}

/** json.Marshal(v): compact, with Go's escaping. */
export function marshalGo(v: GoEncodable): string {
  return encode(v, '', 0);
}
