// kube-proxy rule generation: full sync at 1k and 10k Services x 10 endpoints, and a partial sync
// after one endpoint change at 10k. Baselines measured in the same run: for a full sync, a plain
// join of as many lines of the same length (the least any generator must do); for the partial
// sync, the full sync of the same cluster. Medians of several runs; goals: full <= 1 s at 10k,
// partial <= 10 ms.
import type { EndpointSlice, Service } from '../api/index.js';
import { Proxier, RuleTable } from '../proxy/index.js';
import { median } from './median.js';

function cluster(n: number): { services: Service[]; slices: EndpointSlice[] } {
  const services: Service[] = [];
  const slices: EndpointSlice[] = [];
  for (let s = 0; s < n; s++) {
    const ns = `ns${s % 50}`;
    const nodePort = s % 4 === 0;
    services.push({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { namespace: ns, name: `svc${s}` },
      spec: {
        type: nodePort ? 'NodePort' : 'ClusterIP',
        clusterIP: `10.96.${s >> 8}.${s & 255}`,
        ports: [
          { name: 'http', port: 80, protocol: 'TCP', ...(nodePort ? { nodePort: 30000 + (s % 2000) } : {}) },
        ],
      },
    });
    slices.push(sliceFor(ns, s, 0));
  }
  return { services, slices };
}

function sliceFor(ns: string, s: number, generation: number): EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { namespace: ns, name: `svc${s}-abc`, labels: { 'kubernetes.io/service-name': `svc${s}` } },
    addressType: 'IPv4',
    endpoints: Array.from({ length: 10 }, (_, i) => ({
      addresses: [
        `10.${100 + (s >> 12)}.${(s >> 4) & 255}.${((s & 15) << 4) + i + (i === 0 ? generation : 0)}`,
      ],
      nodeName: i % 3 === 0 ? 'node-1' : 'node-2',
    })),
    ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
  };
}

// CPU time of this process, not wall time: the machine is shared (2 cores, several engineers), and
// time spent waiting for a core says nothing about the code. Wall time is printed beside it.
let walls: number[] = [];
function time(fn: () => void): number {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  fn();
  walls.push(performance.now() - t0);
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000;
}

/** Median wall time of the runs since the last call. */
function wall(): string {
  const w = median(walls);
  walls = [];
  return `wall ${fmt(w)}`;
}

function fmt(ms: number): string {
  return ms >= 100 ? `${ms.toFixed(0)} ms` : ms >= 1 ? `${ms.toFixed(2)} ms` : `${(ms * 1000).toFixed(0)} µs`;
}

const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});

function newProxier(n: number): { p: Proxier; slices: EndpointSlice[] } {
  const { services, slices } = cluster(n);
  // No markSynced(): handlers only record, the bench decides when to sync.
  const p = new Proxier({ nodeName: 'node-1', nodeIPs: ['192.168.0.2'], clusterCIDRs: ['10.0.0.0/8'] });
  for (const s of services) p.onServiceAdd(s);
  for (const s of slices) p.onEndpointSliceAdd(s);
  return { p, slices };
}

const runs = 5;
const rows: string[] = [];
let full10k = 0;
let partialState: { p: Proxier; slices: EndpointSlice[] } | null = null;

for (const n of [1000, 10000]) {
  const state = newProxier(n);
  // The first sync also applies every pending change (EndpointSlices -> endpoints, chain names);
  // the timed full syncs below re-render everything from the applied state, as a resync does.
  let first = state.p.syncProxyRules();
  walls = [];
  const firstTime = time(() => {
    first = newProxier(n).p.syncProxyRules();
  });
  const firstWall = wall();
  const lines = first.payload.split('\n').length - 1;
  const fullTimes: number[] = [];
  for (let i = 0; i < runs; i++) {
    gc();
    state.p.forceFullSync();
    fullTimes.push(time(() => state.p.syncProxyRules()));
  }
  const fullWall = wall();
  const avgLen = Math.round(first.payload.length / lines);
  const line = 'x'.repeat(Math.max(avgLen - 1, 1));
  const baseTimes: number[] = [];
  for (let i = 0; i < runs; i++) {
    gc();
    baseTimes.push(
      time(() => {
        const a: string[] = [];
        for (let j = 0; j < lines; j++) a.push(`${line}${j % 10}`);
        if (a.join('\n').length === 0) throw new Error('unreachable');
      }),
    );
  }
  const baseWall = wall();
  const full = median(fullTimes);
  const base = median(baseTimes);
  rows.push(
    `from scratch  ${String(n).padStart(5)} services x 10 endpoints: ${fmt(firstTime).padStart(9)} (${firstWall})  watch handlers for every object + first sync, one run`,
  );
  rows.push(
    `full sync     ${String(n).padStart(5)} services x 10 endpoints: ${fmt(full).padStart(9)} (${fullWall})  ${lines} lines  ` +
      `| baseline: join of ${lines} lines ${fmt(base)} (${baseWall})  ratio ${(full / base).toFixed(1)}x`,
  );
  if (n === 10000) {
    full10k = full;
    partialState = state;
    // Why the generator writes text: building the rule table as data (tables, chains, rules) from
    // the same payload costs this much on top, so it is done on demand (tracer, fast path) only.
    const parseTimes: number[] = [];
    for (let i = 0; i < 3; i++) {
      gc();
      parseTimes.push(time(() => RuleTable.parse(first.payload)));
    }
    const parse = median(parseTimes);
    const parseWall = wall();
    rows.push(
      `as data       ${String(n).padStart(5)} services: RuleTable.parse of the payload ${fmt(parse)} (${parseWall})  ` +
        `| baseline: full sync (text) ${fmt(full)}  ratio ${(parse / full).toFixed(2)}x`,
    );
  }
}

if (partialState) {
  const { p, slices } = partialState;
  const partialTimes: number[] = [];
  let written = 0;
  let lines = 0;
  for (let i = 0; i < 50; i++) {
    const s = 37 * i + 11;
    const old = slices[s]!;
    const next = sliceFor(old.metadata.namespace!, s, 1 + (i % 2));
    slices[s] = next;
    const r: { v: ReturnType<Proxier['syncProxyRules']> | null } = { v: null };
    partialTimes.push(
      time(() => {
        p.onEndpointSliceUpdate(old, next);
        r.v = p.syncProxyRules();
      }),
    );
    written = r.v!.writtenServicePorts;
    lines = r.v!.payload.split('\n').length - 1;
    if (r.v!.full) throw new Error('expected a partial sync');
  }
  const partial = median(partialTimes);
  const partialWall = wall();
  rows.push(
    `partial sync  10000 services, one endpoint changed: ${fmt(partial).padStart(9)} (${partialWall})  ${lines} lines, ${written} service port rewritten  ` +
      `| baseline: full sync ${fmt(full10k)}  ratio ${(partial / full10k).toFixed(4)} (${(full10k / partial).toFixed(0)}x faster)`,
  );
}

for (const r of rows) process.stdout.write(`${r}\n`);
process.stdout.write(
  `times are CPU time of this process (median of ${runs}, partial: of 50), wall time beside them; ` +
    `goals: full sync <= 1 s at 10k (${fmt(full10k)}), partial <= 10 ms\n`,
);
