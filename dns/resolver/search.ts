// Which names a stub resolver tries, in which order, for a name and a search list: glibc's
// __res_context_search and musl's name_from_dns_search as a pure plan. Whether the walk goes on
// after each step depends on the answer, and that is resolver.ts's business; this file says what
// the walk would be if every name came back NXDOMAIN.

export type Libc = 'glibc' | 'musl';

/** glibc RES_MAXNDOTS and musl both cap ndots at 15. */
export const maxNdots = 15;

export type StepKind =
  /** dots >= ndots (glibc), or a trailing dot: the name as written, before any search domain. */
  | 'as-is-first'
  /** name + "." + search domain. */
  | 'search'
  /** After the search list: the name as written. */
  | 'as-is-last';

export interface SearchStep {
  kind: StepKind;
  /** The absolute name sent in the question, with its trailing dot. */
  name: string;
  /** glibc: name + domain is longer than a DNS name may be: no query, the walk fails (NO_RECOVERY). */
  tooLong?: true;
}

const maxNameLength = 253;

export function countDots(name: string): number {
  let dots = 0;
  for (const c of name) if (c === '.') dots++;
  return dots;
}

function absolute(name: string): string {
  return name.endsWith('.') ? name : `${name}.`;
}

/**
 * The plan for `name` under `search` and `ndots`.
 *
 * glibc: a trailing dot -> only the name. dots >= ndots -> the name first, then every search
 * domain. Otherwise every search domain, then the name last (a "." domain stands for the name
 * itself, which then is not repeated at the end). `no-tld-query` drops the last step for
 * single-label names.
 *
 * musl: a trailing dot or dots >= ndots -> only the name (no search at all). Otherwise every search
 * domain (a domain that makes the name too long, or an empty/"." one that makes it invalid, is
 * skipped), then the name. A search line over 254 characters is not read at all.
 */
export function searchPlan(
  name: string,
  search: readonly string[],
  ndots: number,
  libc: Libc,
  opts: { noTldQuery?: boolean } = {},
): SearchStep[] {
  const dots = countDots(name);
  const trailingDot = name.endsWith('.');
  const n = Math.min(Math.max(ndots, 0), maxNdots);
  const steps: SearchStep[] = [];
  if (libc === 'musl') {
    const bare = trailingDot ? name.slice(0, -1) : name;
    if (!trailingDot && dots < n && muslReadsSearchLine(search)) {
      for (const domain of search) {
        if (domain === '' || domain.startsWith('.') || domain.endsWith('..')) continue;
        // musl: `if (z-p < 256 - l - 1)` — the joined name must fit its 256-byte buffer.
        if (domain.length >= 256 - bare.length - 1) continue;
        steps.push({ kind: 'search', name: absolute(`${bare}.${domain}`) });
      }
    }
    steps.push({ kind: dots >= n || trailingDot ? 'as-is-first' : 'as-is-last', name: absolute(bare) });
    return steps;
  }

  let triedAsIs = false;
  if (dots >= n || trailingDot) {
    steps.push({ kind: 'as-is-first', name: absolute(name) });
    if (trailingDot) return steps;
    triedAsIs = true;
  }
  let rootOnList = false;
  // RES_DEFNAMES (no dots) and RES_DNSRCH (dots, no trailing dot) are both on by default.
  for (const raw of search) {
    const domain = raw.startsWith('.') ? raw.slice(1) : raw;
    if (domain === '') {
      rootOnList = true;
      steps.push({ kind: 'search', name: absolute(name) });
      continue;
    }
    const joined = `${name}.${domain}`;
    const step: SearchStep = { kind: 'search', name: absolute(joined) };
    if (stripDot(joined).length > maxNameLength) step.tooLong = true;
    steps.push(step);
  }
  if ((dots > 0 || search.length === 0 || !opts.noTldQuery) && !(triedAsIs || rootOnList)) {
    steps.push({ kind: 'as-is-last', name: absolute(name) });
  }
  return steps;
}

/**
 * musl reads resolv.conf with a 256-byte line buffer and skips any line that does not fit (254
 * characters and the newline), so a long `search` line means no search list at all — measured with
 * Debian's musl 1.2.3. A pod with many search domains (Kubernetes allows 2048 characters) hits this.
 */
export function muslReadsSearchLine(search: readonly string[]): boolean {
  return `search ${search.join(' ')}`.length <= muslMaxLine;
}
const muslMaxLine = 254;

function stripDot(name: string): string {
  return name.endsWith('.') ? name.slice(0, -1) : name;
}
