// Typed decoding over a GoJSONValue with encoding/json's error behaviour: a JSON value of the wrong
// kind is an UnmarshalTypeError that is *saved* (decoding goes on, the first one wins at the end),
// while an error from an Unmarshaler (net.IP's "invalid IP address: x") aborts at once. Type errors
// name the innermost struct type and the dotted path of JSON field names, as Go 1.19 does.
import { NetlabError } from './errors.js';
import type { GoJSONValue } from './gojson.js';

/** Where the decoder is: the struct type whose field is being decoded, and the JSON field path. */
export interface DecodeContext {
  /** Go type name of the struct ("" for an anonymous struct); undefined outside any struct */
  readonly struct: string | undefined;
  readonly path: readonly string[];
}

export const topContext: DecodeContext = { struct: undefined, path: [] };

/** json.UnmarshalTypeError. */
export class GoUnmarshalTypeError extends NetlabError {
  override readonly name = 'GoUnmarshalTypeError';
  readonly code = 'NETLAB_STD_GO_JSON_TYPE';
  constructor(
    readonly value: string,
    readonly goType: string,
    readonly ctx: DecodeContext,
  ) {
    super(
      ctx.struct === undefined && ctx.path.length === 0
        ? `json: cannot unmarshal ${value} into Go value of type ${goType}`
        : `json: cannot unmarshal ${value} into Go struct field ${ctx.struct ?? ''}.${ctx.path.join('.')} of type ${goType}`,
    );
  }
}

export class GoDecoder {
  private saved: Error | undefined;

  /** Records a type error; only the first one is kept. */
  typeError(v: GoJSONValue, goType: string, ctx: DecodeContext): void {
    this.saved ??= new GoUnmarshalTypeError(v.kind, goType, ctx);
  }

  /** Throws the first saved error, as json.Unmarshal returns it after a complete pass. */
  finish(): void {
    if (this.saved) throw this.saved;
  }

  /**
   * Runs an Unmarshaler (a type with its own UnmarshalJSON): a type error it returns is re-labelled
   * with the caller's context, and any error aborts decoding.
   */
  unmarshaler<T>(ctx: DecodeContext, fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      if (err instanceof GoUnmarshalTypeError) throw new GoUnmarshalTypeError(err.value, err.goType, ctx);
      throw err;
    }
  }

  /** Decodes a string field: null leaves it unchanged. */
  string(v: GoJSONValue, current: string, ctx: DecodeContext): string {
    if (v.kind === 'string') return v.value;
    if (v.kind !== 'null') this.typeError(v, 'string', ctx);
    return current;
  }

  /**
   * Decodes the members of an object into a struct: each member goes to the field with that exact
   * JSON name, else the first field whose name matches case-insensitively; unknown members are
   * ignored; members are taken in input order, so the last one wins.
   */
  struct(
    v: GoJSONValue,
    goType: string,
    structName: string,
    ctx: DecodeContext,
    fields: Readonly<Record<string, (value: GoJSONValue, ctx: DecodeContext) => void>>,
  ): boolean {
    if (v.kind === 'null') return false;
    if (v.kind !== 'object') {
      this.typeError(v, goType, ctx);
      return false;
    }
    const names = Object.keys(fields);
    for (const [key, value] of v.entries) {
      let name = names.find((n) => n === key);
      if (name === undefined) {
        const lower = key.toLowerCase();
        name = names.find((n) => n.toLowerCase() === lower);
      }
      if (name === undefined) continue;
      fields[name]!(value, { struct: structName, path: [...ctx.path, name] });
    }
    return true;
  }

  /** Decodes an array into a slice; null gives an empty slice; returns undefined on a type error. */
  slice<T>(
    v: GoJSONValue,
    goType: string,
    ctx: DecodeContext,
    item: (value: GoJSONValue) => T,
  ): T[] | undefined {
    if (v.kind === 'null') return [];
    if (v.kind !== 'array') {
      this.typeError(v, goType, ctx);
      return undefined;
    }
    return v.items.map(item);
  }

  /**
   * Decodes into a TextUnmarshaler (net.IP, ip.IP): a string goes to `parse` (which throws to abort),
   * null leaves the value, anything else is a type error naming `goType`.
   */
  text<T>(v: GoJSONValue, goType: string, ctx: DecodeContext, current: T, parse: (s: string) => T): T {
    if (v.kind === 'string') return parse(v.value);
    if (v.kind !== 'null') this.typeError(v, goType, ctx);
    return current;
  }
}
