// The terminal summary of a scenario run: the timeline as a table, then per traffic step the
// answers as bar charts (one bar per pod or source address), per dns step the queries sent, and
// every expect as PASS or FAIL. Plain aligned text (colour only on a terminal), as kubectl prints.
import pc from 'picocolors';
import type { ExpectResult } from './expect.js';
import type { ScenarioResult, StepResult } from './run.js';

const barWidth = 30;

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

/** Rows as columns aligned with three spaces between, as kubectl's tabwriter does. */
function columns(rows: string[][], indent = ''): string[] {
  const widths: number[] = [];
  for (const r of rows)
    r.forEach((c, i) => {
      widths[i] = Math.max(widths[i] ?? 0, c.length);
    });
  return rows.map(
    (r) =>
      indent +
      r
        .map((c, i) => (i === r.length - 1 ? c : pad(c, widths[i]!)))
        .join('   ')
        .trimEnd(),
  );
}

function bar(fraction: number): string {
  const eighths = Math.round(fraction * barWidth * 8);
  const full = Math.floor(eighths / 8);
  const part = eighths % 8;
  return '█'.repeat(full) + (part > 0 ? '▏▎▍▌▋▊▉'[part - 1]! : '');
}

function expectLines(expects: readonly ExpectResult[], color: boolean): string[] {
  const rows = expects.map((e) => [
    e.passed ? 'PASS' : 'FAIL',
    e.check,
    `expected ${e.expected}`,
    `got ${e.actual}`,
  ]);
  return columns(rows, '  ').map((l, i) => {
    if (!color) return l;
    return expects[i]!.passed ? l.replace('PASS', pc.green('PASS')) : l.replace('FAIL', pc.red('FAIL'));
  });
}

function trafficLines(s: StepResult, color: boolean): string[] {
  const t = s.traffic!;
  const out = [
    `${s.name}: ${t.from} -> ${t.to}`,
    `  ${t.requests} requests on ${t.connections} connections, ${t.errors} failed` +
      `; latency p50 ${t.latencyMs.p50}ms p99 ${t.latencyMs.p99}ms (wall clock)`,
  ];
  const decided = Object.entries(t.decisions ?? {});
  if (decided.length > 0)
    out.push(`  data plane: ${decided.map(([v, n]) => `${v} ${n}`).join(', ')} (new connections it decided)`);
  const rows = t.responders.map((r) => [
    r.response,
    r.node ?? '',
    bar(t.requests > 0 ? r.count / t.requests : 0),
    String(r.count),
    `${((100 * r.count) / Math.max(1, t.requests)).toFixed(1)}%`,
  ]);
  for (const [kind, n] of Object.entries(t.errorKinds))
    rows.push([
      `(failed: ${kind})`,
      '',
      bar(n / Math.max(1, t.requests)),
      String(n),
      `${((100 * n) / t.requests).toFixed(1)}%`,
    ]);
  out.push(...columns(rows, '  '));
  for (const n of t.notes ?? []) out.push(`  note: ${n}`);
  out.push(...expectLines(s.expects, color));
  return out;
}

function dnsLines(s: StepResult, color: boolean): string[] {
  const d = s.dns!;
  if (d.records !== undefined)
    return [
      `${s.name}: ${d.name} SRV from ${d.from}: ${d.status}, ${d.records.length} records`,
      ...d.records.map((r) => `  ${r}`),
      ...(d.addresses.length > 0 ? [`  additional: ${d.addresses.join(', ')}`] : []),
      ...expectLines(s.expects, color),
    ];
  return [
    `${s.name}: ${d.name} from ${d.from} (${d.libc}, ndots ${d.ndots}): ${d.status}` +
      `${d.addresses.length > 0 ? ` ${d.addresses.join(', ')}` : ''}, ${d.queries.length} queries`,
    ...d.queries.map((q, i) => `  ${String(i + 1).padStart(2)}. ${q}`),
    ...(d.conntrack
      ? [
          `  conntrack before: ${d.conntrack.before} [${d.conntrack.state}]`,
          `  conntrack after:  ${d.conntrack.after}`,
        ]
      : []),
    ...expectLines(s.expects, color),
  ];
}

/** The summary as text lines. */
export function summaryLines(r: ScenarioResult, color = false): string[] {
  const out = [`scenario ${r.name}${r.description ? `: ${r.description}` : ''}`];
  out.push(`seed ${r.seed}; one lab second lasted ${r.second}ms`, '');
  out.push(
    ...columns([['AT', 'STEP', 'WHAT'], ...r.steps.map((s) => [`${s.start.toFixed(1)}s`, s.name, s.detail])]),
  );
  for (const s of r.steps) {
    if (s.traffic) out.push('', ...trafficLines(s, color));
    else if (s.dns) out.push('', ...dnsLines(s, color));
    else if (s.expects.length > 0) out.push('', `${s.name}:`, ...expectLines(s.expects, color));
  }
  const all = r.steps.flatMap((s) => s.expects);
  const failed = all.filter((e) => !e.passed).length;
  const verdict = failed === 0 ? 'PASS' : 'FAIL';
  out.push(
    '',
    `${all.length - failed} expects passed, ${failed} failed: ${color ? (failed === 0 ? pc.green(verdict) : pc.red(verdict)) : verdict}`,
  );
  return out;
}
