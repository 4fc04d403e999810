// Spec versions and libcni's version arithmetic (pkg/version): the supported-version lists, the
// semver comparison used for CHECK/GC/STATUS gating and its error texts.
import { goQuote } from '../../std/index.js';
import { CniError, CniErrorCode } from './errors.js';

/** Every spec version netlab's plugins speak, oldest first. */
export const supportedVersions = ['0.1.0', '0.2.0', '0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'] as const;

/** What Debian's containernetworking-plugins 1.1.1 (libcni 1.1.2) speaks: everything but 1.1.0. */
export const libcni112Versions = ['0.1.0', '0.2.0', '0.3.0', '0.3.1', '0.4.0', '1.0.0'] as const;

export type SpecVersion = (typeof supportedVersions)[number];

function atoi(part: string): number | null {
  // strconv.Atoi: optional sign, decimal digits only
  return /^[+-]?[0-9]+$/.test(part) ? Number.parseInt(part, 10) : null;
}

/** version.ParseVersion: "" is 0.1.0; at most three parts; each part strconv.Atoi. */
export function parseVersion(v: string): [number, number, number] {
  if (v === '') return [0, 1, 0];
  const parts = v.split('.');
  if (parts.length >= 4)
    throw new CniError(CniErrorCode.DecodingFailure, `invalid version ${goQuote(v)}: too many parts`);
  const names = ['major', 'minor', 'micro'];
  const out: [number, number, number] = [0, 0, 0];
  for (let i = 0; i < parts.length; i++) {
    const n = atoi(parts[i]!);
    if (n === null) {
      throw new CniError(
        CniErrorCode.DecodingFailure,
        `failed to convert ${names[i]} version part ${goQuote(parts[i]!)}: strconv.Atoi: parsing ${goQuote(parts[i]!)}: invalid syntax`,
      );
    }
    out[i] = n;
  }
  return out;
}

// Every plugin invocation compares its config's version with a few constants: parses kept by text
// (a version that does not parse is not kept, and throws again).
const parsed = new Map<string, readonly [number, number, number]>();
function parsedVersion(v: string): readonly [number, number, number] {
  let p = parsed.get(v);
  if (p === undefined) {
    p = parseVersion(v);
    if (parsed.size >= 256) parsed.clear();
    parsed.set(v, p);
  }
  return p;
}

/** version.GreaterThanOrEqualTo; throws the parse error as a code-6 CniError. */
export function versionAtLeast(v: string, than: string): boolean {
  const a = parsedVersion(v);
  const b = parsedVersion(than);
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i]! > b[i]!;
  return true;
}

/** The highest version of a list (libcni's version.Current() of a plugin's list). */
export function maxVersion(list: readonly string[]): string {
  let best = list[0] ?? '';
  for (const v of list) if (versionAtLeast(v, best)) best = v;
  return best;
}
