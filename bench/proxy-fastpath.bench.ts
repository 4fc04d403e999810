// Fast-path decision vs a tracer walk at 10k services x 10 endpoints (goal: the fast path costs at
// most 1/100 of the walk). Also: parsing the generator's payload into the rule table, and rendering it
// back. Medians of several runs; each run is bounded. Times are CPU time of this process (the
// machine is shared, so wall time is printed beside it but not used for the ratios).
import type { EndpointSlice, Service } from '../api/index.js';
import { FastPath, newKernelState, Proxier, RuleTable, tracePacket } from '../proxy/index.js';
import { simulatePacket } from '../proxy/tracer/kernel.js';
import type { Packet } from '../proxy/tracer/packet.js';
import { seededUint32 } from '../std/index.js';
import { median } from './median.js';

const SERVICES = Number(process.env.SERVICES ?? 10_000);
const ENDPOINTS = 10;
const RUNS = 5;

const wall: number[] = [];
// CPU milliseconds of fn; its wall milliseconds are kept in `wall`.
function time(fn: () => void): number {
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  fn();
  wall.push(Number(process.hrtime.bigint() - t0) / 1e6);
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000;
}

const proxier = new Proxier({
  nodeName: 'node-a',
  nodeIPs: ['192.168.0.2'],
  clusterCIDRs: ['10.0.0.0/8'],
  minSyncPeriod: 0,
});
for (let i = 0; i < SERVICES; i++) {
  const name = `svc${i}`;
  const ip = `172.${20 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`;
  proxier.onServiceAdd({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: 'bench' },
    spec: {
      type: i % 10 === 0 ? 'NodePort' : 'ClusterIP',
      clusterIP: ip,
      ports: [
        { name: 'http', port: 80, protocol: 'TCP', ...(i % 10 === 0 ? { nodePort: 30000 + i / 10 } : {}) },
      ],
    },
  } as Service);
  proxier.onEndpointSliceAdd({
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: `${name}-x`, namespace: 'bench', labels: { 'kubernetes.io/service-name': name } },
    addressType: 'IPv4',
    ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    endpoints: Array.from({ length: ENDPOINTS }, (_, j) => ({
      addresses: [`10.${(i >> 8) & 255}.${i & 255}.${j + 1}`],
      nodeName: j % 2 === 0 ? 'node-a' : 'node-b',
    })),
  } as EndpointSlice);
}
proxier.markSynced();
const payload = proxier.syncProxyRules().payload;
const lines = payload.split('\n').length - 1;

const parseMs: number[] = [];
const renderMs: number[] = [];
let rules = RuleTable.parse(payload);
for (let r = 0; r < RUNS; r++) {
  parseMs.push(time(() => (rules = RuleTable.parse(payload))));
  renderMs.push(time(() => rules.render()));
}
const splitMs = median(Array.from({ length: RUNS }, () => time(() => payload.split('\n'))));

// Packets to services spread over the whole table (the walk's cost depends on the rule's position).
const rand = seededUint32(1);
const packets: Packet[] = Array.from({ length: 400 }, () => {
  const i = rand() % SERVICES;
  return {
    sourceIP: `10.200.${rand() & 255}.${(rand() & 253) + 1}`,
    destIP: `172.${20 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`,
    destPort: 80,
  };
});
const nodeIPs = ['192.168.0.2'];
const fast = new FastPath(rules, nodeIPs);
// First pass: parse every rule's matches and compile the lists (one-time costs, measured apart).
const warmMs = time(() => {
  for (const p of packets) tracePacket(rules, p, { nodeIPs });
});
const compileMs = time(() => {
  for (const p of packets) fast.trace(p);
});

wall.length = 0;
const walkUs: number[] = [];
const fastUs: number[] = [];
const walkKernelUs: number[] = [];
const fastKernelUs: number[] = [];
const deadline = Date.now() + 60_000;
for (let r = 0; r < RUNS && Date.now() < deadline; r++) {
  walkUs.push(
    (time(() => {
      for (const p of packets) tracePacket(rules, p, { nodeIPs });
    }) *
      1000) /
      packets.length,
  );
  const reps = 50;
  fastUs.push(
    (time(() => {
      for (let k = 0; k < reps; k++) for (const p of packets) fast.trace(p);
    }) *
      1000) /
      (packets.length * reps),
  );
  const s1 = newKernelState(seededUint32(r), () => 0);
  walkKernelUs.push(
    (time(() => {
      for (const p of packets) simulatePacket(rules, p, s1, { nodeIPs });
    }) *
      1000) /
      packets.length,
  );
  const s2 = newKernelState(seededUint32(r), () => 0);
  fastKernelUs.push(
    (time(() => {
      for (let k = 0; k < reps; k++) for (const p of packets) fast.decide(p, s2);
    }) *
      1000) /
      (packets.length * reps),
  );
}

const wallTotal = wall.reduce((a, b) => a + b, 0);
const f = (n: number, d = 2) => n.toFixed(d);
console.log(
  `rule table: ${SERVICES} services x ${ENDPOINTS} endpoints, ${lines} lines, ${rules.tables.reduce((n, t) => n + t.ruleCount(), 0)} rules`,
);
console.log(
  `parse   ${f(median(parseMs))} ms  (baseline: split into lines ${f(splitMs)} ms, ratio ${f(median(parseMs) / splitMs, 1)}x)`,
);
console.log(`render  ${f(median(renderMs))} ms  (ratio to parse ${f(median(renderMs) / median(parseMs))})`);
console.log(
  `first pass: tracer ${f(warmMs)} ms for ${packets.length} packets (lazy rule parsing), fast path compile ${f(compileMs)} ms`,
);
console.log(
  `possible outcomes: tracer walk ${f(median(walkUs))} us/packet, fast path ${f(median(fastUs), 3)} us/packet, fast path = 1/${f(median(walkUs) / median(fastUs), 0)} of the walk`,
);
console.log(
  `one outcome (kernel): walk ${f(median(walkKernelUs))} us/packet, fast path ${f(median(fastKernelUs), 3)} us/packet, fast path = 1/${f(median(walkKernelUs) / median(fastKernelUs), 0)} of the walk`,
);
console.log(
  `times are CPU time; the timed walks took ${f(wallTotal / 1000, 1)} s of wall time on this shared machine`,
);
console.log(
  `goal: fast path <= 1/100 of the walk: ${median(walkKernelUs) / median(fastKernelUs) >= 100 && median(walkUs) / median(fastUs) >= 100 ? 'met' : 'NOT met'}`,
);
