// bench/resolver: lookups per second of the stub resolver (dns/resolver) over loopback UDP against
// the scripted nameserver, against the same-run baseline of the bare wire exchange it is built on
// (one udpExchange of the same A+AAAA questions per name, no policy). `web` costs 1 name (2
// queries); `api.example.com` under ndots:5 costs 4 names (8 queries). Median of RUNS runs.
import { parseResolvConf, resolve } from '../dns/index.js';
import { startScriptedDnsServer } from '../dns/resolver/scripted.js';
import { udpExchange } from '../dns/resolver/transport.js';
import { median } from './median.js';

const RUNS = Number(process.env.RESOLVER_BENCH_RUNS ?? 5);
const LOOKUPS = Number(process.env.RESOLVER_BENCH_LOOKUPS ?? 400);

const server = await startScriptedDnsServer({
  records: [
    { name: 'web.default.svc.cluster.local', type: 'A', data: '10.96.0.20' },
    { name: 'api.example.com', type: 'A', data: '192.0.2.10' },
  ],
  exists: ['cluster.local', 'svc.cluster.local', 'default.svc.cluster.local'],
});
const conf = parseResolvConf(
  `search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 127.0.0.1:${server.port}\noptions ndots:5\n`,
);
const ns = { address: '127.0.0.1', port: server.port };

async function lookups(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < LOOKUPS; i++) await fn();
  return LOOKUPS / ((performance.now() - t0) / 1000);
}

async function bareNames(names: string[]): Promise<void> {
  for (const name of names) {
    await udpExchange(
      ns,
      [
        { id: 1, name, type: 'A' },
        { id: 2, name, type: 'AAAA' },
      ],
      5000,
    );
  }
}

const apiNames = [
  'api.example.com.default.svc.cluster.local.',
  'api.example.com.svc.cluster.local.',
  'api.example.com.cluster.local.',
  'api.example.com.',
];
const rows: { label: string; name: string; bare: () => Promise<void> }[] = [
  {
    label: 'web (1 name, 2 queries)',
    name: 'web',
    bare: () => bareNames(['web.default.svc.cluster.local.']),
  },
  { label: 'api.example.com (4 names, 8 queries)', name: 'api.example.com', bare: () => bareNames(apiNames) },
];
process.stdout.write(`stub resolver over loopback UDP, ${LOOKUPS} lookups, median of ${RUNS}\n`);
for (const libc of ['glibc', 'musl'] as const) {
  for (const row of rows) {
    const m: number[] = [];
    const b: number[] = [];
    for (let r = 0; r < RUNS; r++) {
      b.push(await lookups(row.bare));
      m.push(await lookups(() => resolve(row.name, conf, { libc })));
    }
    const mb = median(b);
    const mm = median(m);
    process.stdout.write(
      `  ${libc.padEnd(5)} ${row.label.padEnd(38)} baseline ${mb.toFixed(0).padStart(6)} lookups/s` +
        `   resolver ${mm.toFixed(0).padStart(6)} lookups/s   ratio ${(mm / mb).toFixed(2)}\n`,
    );
  }
}
await server.close();
