// bench/api: the store and kube-apiserver's allocators.
//  1. Service creates per second (validation, defaulting, ClusterIP allocation, watch fan-out) with
//     0 and with 10 watchers draining their events, against the same-run baseline of inserting
//     deep-copied objects (cloneJSON) into a plain Map (what storing costs with no apiserver at all).
//  2. Allocators filling their ranges (65536 NodePorts, a /16 and a /12 of Service IPs), against the
//     same-run baseline of marking the same number of slots in a Uint8Array in order; and the rate
//     of the last 10% of a fill against the first 10% (a bitmap should not slow down as it fills).
// Every figure is the median of RUNS runs; every loop is bounded.
import { type AnyObject, cloneJSON, Store } from '../api/index.js';
import { NodePortAllocator, ServiceIPAllocator } from '../ipam/index.js';
import { median } from './median.js';

const RUNS = Number(process.env.API_BENCH_RUNS ?? 5);
const CREATES = Number(process.env.API_BENCH_CREATES ?? 20000);

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const ratio = (a: number, b: number) => (a / b).toFixed(2);

function service(i: number): AnyObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: `svc-${i}`, namespace: 'default', labels: { app: `app-${i % 50}` } },
    spec: {
      selector: { app: `app-${i % 50}` },
      ports: [
        { name: 'http', port: 80, targetPort: 8080 },
        { name: 'https', port: 443, targetPort: 8443 },
      ],
    },
  } as AnyObject;
}

const objects = Array.from({ length: CREATES }, (_, i) => service(i));

function baselineMap(): number {
  const m = new Map<string, AnyObject>();
  const t0 = performance.now();
  for (const o of objects) {
    const c = cloneJSON(o);
    m.set(`${c.metadata.namespace}/${c.metadata.name}`, c);
  }
  return CREATES / ((performance.now() - t0) / 1000);
}

async function storeCreates(watchers: number): Promise<number> {
  const s = new Store({ bookmarkIntervalMs: 0, historySize: CREATES + 100 });
  const ac = new AbortController();
  let seen = 0;
  const drains = Array.from({ length: watchers }, async () => {
    for await (const _ of s.watch('Service', { resourceVersion: s.resourceVersion, signal: ac.signal })) {
      if (++seen === watchers * CREATES) ac.abort();
    }
  });
  const t0 = performance.now();
  for (let i = 0; i < CREATES; i++) {
    s.create(objects[i]!);
    // Let watchers run now and then, as an event loop with clients would.
    if (watchers > 0 && i % 100 === 99) await new Promise<void>((r) => setImmediate(r));
  }
  await Promise.all(drains);
  const rate = CREATES / ((performance.now() - t0) / 1000);
  s.close();
  return rate;
}

interface Fill {
  rate: number;
  tail: number;
}

/** Allocations per second filling `n` slots, and the last-10% rate over the first-10% rate. */
function fill(n: number, next: () => void): Fill {
  const tenth = Math.floor(n / 10);
  const t0 = performance.now();
  let tHead = 0;
  let tTailStart = 0;
  for (let i = 0; i < n; i++) {
    if (i === tenth) tHead = performance.now() - t0;
    if (i === n - tenth) tTailStart = performance.now();
    next();
  }
  const total = performance.now() - t0;
  const tTail = performance.now() - tTailStart;
  return { rate: n / (total / 1000), tail: tHead / tTail };
}

function baselineFill(n: number): number {
  const slots = new Uint8Array(n);
  let i = 0;
  return fill(n, () => {
    slots[i++] = 1;
  }).rate;
}

async function main(): Promise<void> {
  const base: number[] = [];
  const zero: number[] = [];
  const ten: number[] = [];
  await storeCreates(0); // warm the JIT before any figure counts
  for (let r = 0; r < RUNS; r++) {
    base.push(baselineMap());
    zero.push(await storeCreates(0));
    ten.push(await storeCreates(10));
  }
  const b = median(base);
  const z = median(zero);
  const w = median(ten);
  process.stdout.write(`Service creates (${fmt(CREATES)} per run, median of ${RUNS})\n`);
  process.stdout.write(`  baseline: cloneJSON + Map.set         ${fmt(b)}/s\n`);
  process.stdout.write(`  store, 0 watchers                     ${fmt(z)}/s   ${ratio(z, b)} of baseline\n`);
  process.stdout.write(
    `  store, 10 watchers draining events    ${fmt(w)}/s   ${ratio(w, b)} of baseline, ${ratio(w, z)} of 0 watchers\n`,
  );

  const cases: { name: string; n: number; make: () => () => void }[] = [
    {
      name: 'NodePorts 0-65535',
      n: 65536,
      make: () => {
        const a = new NodePortAllocator('0-65535');
        return () => void a.allocateNext();
      },
    },
    {
      name: 'Service IPs 10.96.0.0/16',
      n: 65534,
      make: () => {
        const a = new ServiceIPAllocator('10.96.0.0/16');
        return () => void a.allocateNext();
      },
    },
    {
      name: 'Service IPs 10.96.0.0/12',
      n: 1048574,
      make: () => {
        const a = new ServiceIPAllocator('10.96.0.0/12');
        return () => void a.allocateNext();
      },
    },
  ];
  process.stdout.write(`\nallocators filling their whole range (median of ${RUNS})\n`);
  for (const c of cases) fill(Math.min(c.n, 65536), c.make()); // warm the JIT before any figure counts
  for (const c of cases) {
    const rates: number[] = [];
    const tails: number[] = [];
    const bases: number[] = [];
    for (let r = 0; r < RUNS; r++) {
      bases.push(baselineFill(c.n));
      const f = fill(c.n, c.make());
      rates.push(f.rate);
      tails.push(f.tail);
    }
    const rate = median(rates);
    const bb = median(bases);
    process.stdout.write(
      `  ${c.name.padEnd(26)} ${fmt(rate)}/s   baseline Uint8Array mark ${fmt(bb)}/s   ratio ${ratio(rate, bb)}   last 10%/first 10% rate ${median(tails).toFixed(2)}\n`,
    );
  }
}

await main();
