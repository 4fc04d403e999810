// Command-line flags as Go's pflag reads them (`--name=value`, `--name value`, `-name`), for the
// images' argv. Unknown flags are kept out of the way: an image reads only the ones it knows.

export class Flags {
  readonly #values = new Map<string, string>();
  readonly positional: string[] = [];

  constructor(argv: readonly string[], bools: readonly string[] = []) {
    for (let i = 0; i < argv.length; i++) {
      const a = argv[i]!;
      if (!a.startsWith('-') || a === '-' || a === '--') {
        this.positional.push(a);
        continue;
      }
      const body = a.replace(/^--?/, '');
      const eq = body.indexOf('=');
      if (eq >= 0) this.#values.set(body.slice(0, eq), body.slice(eq + 1));
      else if (bools.includes(body)) this.#values.set(body, 'true');
      else if (i + 1 < argv.length) this.#values.set(body, argv[++i]!);
      else this.#values.set(body, '');
    }
  }

  int(name: string, def: number): number {
    const v = this.#values.get(name);
    if (v === undefined) return def;
    const n = Number.parseInt(v, 10);
    return Number.isInteger(n) && String(n) === v.trim() ? n : def;
  }

  bool(name: string, def: boolean): boolean {
    const v = this.#values.get(name);
    if (v === undefined) return def;
    return v === '' || v === 'true' || v === '1' || v === 't' || v === 'T' || v === 'TRUE' || v === 'True';
  }

  string(name: string, def: string): string {
    return this.#values.get(name) ?? def;
  }
}

/** Drops the binary name an image's entrypoint carries (`/agnhost netexec` -> `netexec`). */
export function withoutBinary(argv: readonly string[], binary: string): string[] {
  const first = argv[0];
  if (first !== undefined && (first === binary || first.endsWith(`/${binary}`))) return argv.slice(1);
  return [...argv];
}
