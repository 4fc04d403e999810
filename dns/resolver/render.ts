// Text for people: the resolver's trace as a table and its answer as zone-file lines. Rendering is
// kept apart from resolver.ts so the same result can be printed, asserted, or sent as JSON.
import type dnsPacket from 'dns-packet';
import { formatRdata } from '../server/index.js';
import type { QueryTrace, ResolveResult } from './resolver.js';

/** One record as zone-file text with single spaces: `owner TTL IN TYPE rdata` (rdata as dig prints it). */
export function formatAnswer(a: dnsPacket.Answer): string {
  const owner = a.name.endsWith('.') ? a.name : `${a.name}.`;
  const ttl = 'ttl' in a ? (a.ttl ?? 0) : 0;
  return `${owner} ${ttl} IN ${a.type} ${formatRdata(a)}`;
}

/** The trace without times: one line per query, for tests and diffs. */
export function traceLines(trace: readonly QueryTrace[]): string[] {
  return trace.map(
    (q) =>
      `${q.name} ${q.type} ${q.transport} ${q.rcode} ${q.answers}${q.truncated ? ' TC' : ''}${q.note ? ` ${q.note}` : ''}`,
  );
}

/** The trace as an aligned table, times included. */
export function formatTrace(trace: readonly QueryTrace[]): string {
  const rows = [
    ['#', 'NAME', 'TYPE', 'SERVER', 'VIA', 'RCODE', 'ANSWERS', 'FLAGS', 'TIME'],
    ...trace.map((q, i) => [
      String(i + 1),
      q.name,
      q.type,
      q.server,
      q.transport,
      q.rcode,
      String(q.answers),
      [q.truncated ? 'tc' : '', q.note ?? ''].filter(Boolean).join(','),
      `${q.ms.toFixed(1)}ms`,
    ]),
  ];
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows
    .map((r) =>
      r
        .map((cell, c) => cell.padEnd(widths[c]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** The summary line and the answer records. */
export function formatOutcome(r: ResolveResult): string {
  const names = `${r.namesTried} name${r.namesTried === 1 ? '' : 's'}`;
  const queries = `${r.trace.length} quer${r.trace.length === 1 ? 'y' : 'ies'}`;
  if (r.status === 'NOERROR' && r.answeredBy === undefined) {
    return `;; ${r.query} is an address: no query (${r.addresses.join(' ')})`;
  }
  if (r.status === 'NOERROR') {
    const lines = [`;; ${r.query} -> ${r.answeredBy} (${r.libc}: ${queries}, ${names} tried)`];
    for (const a of r.answers) lines.push(formatAnswer(a));
    return lines.join('\n');
  }
  const gai = r.error ? `: getaddrinfo: ${r.error.message} (${r.error.code})` : '';
  // A CNAME without an address still explains where the walk stopped.
  return [
    `;; ${r.query}: ${r.status} (${r.libc}: ${queries}, ${names} tried)${gai}`,
    ...r.answers.map(formatAnswer),
  ].join('\n');
}
