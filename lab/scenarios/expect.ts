// A scenario's expects, checked against what a step measured. Each check is one line with what was
// expected and what was seen; the distribution check is Pearson's chi-square against an equal share
// per responder, at the significance the scenario names (the same seed gives the same counts).
import { chiSquaredDistributionTable } from 'simple-statistics';
import type { CountRange, Expect } from './file.js';
import type { DnsSummary, TrafficSummary } from './run.js';

export interface ExpectResult {
  check: string;
  expected: string;
  actual: string;
  passed: boolean;
}

function rangeText(r: CountRange): string {
  if (r.min !== undefined && r.min === r.max) return String(r.min);
  if (r.min !== undefined && r.max !== undefined) return `${r.min}..${r.max}`;
  return r.min !== undefined ? `>= ${r.min}` : `<= ${r.max}`;
}

function inRange(r: CountRange, n: number): boolean {
  return (r.min === undefined || n >= r.min) && (r.max === undefined || n <= r.max);
}

function range(check: string, r: CountRange | undefined, n: number): ExpectResult[] {
  return r === undefined ? [] : [{ check, expected: rangeText(r), actual: String(n), passed: inRange(r, n) }];
}

/** Pearson's chi-square statistic of `counts` against an equal share each. */
export function chiSquareUniform(counts: readonly number[]): number {
  const n = counts.reduce((a, b) => a + b, 0);
  if (counts.length === 0 || n === 0) return 0;
  const e = n / counts.length;
  return counts.reduce((s, c) => s + (c - e) ** 2 / e, 0);
}

/** The chi-square critical value for `df` degrees of freedom at significance `p`. */
export function chiSquareCritical(df: number, p: number): number {
  const table = chiSquaredDistributionTable as unknown as Record<number, Record<string, number>>;
  const row = table[Math.min(df, 100)];
  return row?.[String(p)] ?? Number.POSITIVE_INFINITY;
}

export function checkTraffic(e: Expect, t: TrafficSummary, seen: string | undefined): ExpectResult[] {
  const out: ExpectResult[] = [
    ...range('errors', e.errors, t.errors),
    ...range('requests', e.requests, t.ok),
    ...range('responders', e.responders, t.responders.length),
  ];
  if (e.uniform !== undefined) {
    const counts = t.responders.map((r) => r.count);
    const chi2 = chiSquareUniform(counts);
    const df = counts.length - 1;
    const critical = chiSquareCritical(df, e.uniform);
    out.push({
      check: 'uniform',
      expected: `chi-square < ${critical} (df ${df}, p ${e.uniform})`,
      actual: `chi-square ${chi2.toFixed(2)} over ${counts.join('/')}`,
      passed: df >= 1 && chi2 < critical,
    });
  }
  if (seen !== undefined) {
    const others = t.responders.filter((r) => r.response !== seen);
    out.push({
      check: 'sourceSeen',
      expected: `every answer ${seen}`,
      actual:
        t.responders.length === 0
          ? 'no answers'
          : others.length === 0
            ? `every answer ${seen}`
            : `also ${others.map((o) => `${o.response} (${o.count})`).join(', ')}`,
      passed: t.responders.length > 0 && others.length === 0,
    });
  }
  if (e.avoidsNode !== undefined) {
    const on = t.responders.filter((r) => r.node === e.avoidsNode);
    out.push({
      check: 'avoidsNode',
      expected: `no answer from a pod on ${e.avoidsNode}`,
      actual:
        on.length === 0
          ? `none from ${e.avoidsNode}`
          : on.map((o) => `${o.response} answered ${o.count}`).join(', '),
      passed: on.length === 0,
    });
  }
  return out;
}

/** `answer`: the expected addresses or SRV records, pods already turned into their IPs. */
export function checkDns(e: Expect, d: DnsSummary, answer: readonly string[] | undefined): ExpectResult[] {
  const out: ExpectResult[] = [...range('queries', e.queries, d.queries.length)];
  if (e.status !== undefined)
    out.push({ check: 'status', expected: e.status, actual: d.status, passed: d.status === e.status });
  if (e.conntrack !== undefined)
    out.push({
      check: 'conntrack',
      expected: `${e.conntrack} entry`,
      actual: d.conntrack === undefined ? 'no flow watched (no sourcePort)' : `${d.conntrack.state} entry`,
      passed: d.conntrack?.state === e.conntrack,
    });
  if (answer !== undefined) {
    const want = [...answer].sort();
    const got = [...(d.records ?? d.addresses)].sort();
    out.push({
      check: 'answer',
      expected: want.join(', ') || '(none)',
      actual: got.join(', ') || '(none)',
      passed: want.length === got.length && want.every((a, i) => a === got[i]),
    });
  }
  return out;
}
