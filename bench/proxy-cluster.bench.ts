// The shared kube-proxy (ClusterProxier) of 1,000 nodes at 10k Services x 10 endpoints: the first
// sync (every node's is full), partial syncs after 1 and after 100 EndpointSlice changes (CPU,
// medians), the heap it holds per endpoint after the first sync, and the sync that deletes the
// chains of 1,000 Services a syncPeriod after they went (large-cluster mode defers the clean-up). Baseline in the same run: the
// same cluster with one node, so the difference is what the node count costs (per node per sync).
import type { EndpointSlice, Service } from '../api/index.js';
import { deepFreeze } from '../api/json.js';
import { ClusterProxier } from '../proxy/index.js';
import { median } from './median.js';

const SERVICES = 10_000;
const ENDPOINTS = 10;
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
const heapMB = () => {
  gc();
  gc();
  return process.memoryUsage().heapUsed / 2 ** 20;
};
const cpuMs = (fn: () => void): number => {
  const c0 = process.cpuUsage();
  fn();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000;
};

const service = (s: number): Service =>
  deepFreeze({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { namespace: 'default', name: `svc-${s}`, uid: `u${s}` },
    spec: {
      type: 'ClusterIP',
      clusterIP: `10.96.${s >> 8}.${s & 255}`,
      selector: { app: `svc-${s}` },
      ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 }],
    },
  } as Service);

/** Service s's slice; `generation` odd: one more endpoint (a pod added). */
const slice = (s: number, nodes: number, generation: number): EndpointSlice =>
  deepFreeze({
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      namespace: 'default',
      name: `svc-${s}-abcde`,
      labels: { 'kubernetes.io/service-name': `svc-${s}` },
    },
    addressType: 'IPv4',
    endpoints: Array.from({ length: ENDPOINTS + (generation & 1) }, (_, i) => {
      const n = s * (ENDPOINTS + 1) + i;
      return {
        addresses: [`10.${244 + (n >> 16)}.${(n >> 8) & 255}.${n & 255}`],
        conditions: { ready: true, serving: true, terminating: false },
        nodeName: `node-${1 + (n % nodes)}`,
        zone: `zone-${n % 3}`,
        targetRef: { kind: 'Pod', namespace: 'default', name: `svc-${s}-7f9c8d6b5-${i}`, uid: `p-${n}` },
      };
    }),
    ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
  } as EndpointSlice);

interface Figures {
  firstSync: number;
  heapPerEndpoint: number;
  partial1: number;
  partial100: number;
  cleanup: number;
}

function run(nodes: number): Figures {
  const services = Array.from({ length: SERVICES }, (_, s) => service(s));
  const slices = Array.from({ length: SERVICES }, (_, s) => slice(s, nodes, 0));
  const before = heapMB();
  // A min sync period no test reaches: the bench calls every sync itself; its own clock.
  let clock = 1_000_000;
  const kp = new ClusterProxier({ clusterCIDRs: ['10.244.0.0/14'], minSyncPeriod: 1e9, now: () => clock });
  for (let k = 0; k < nodes; k++) kp.addNode(`node-${k + 1}`, [`172.18.${(k + 2) >> 8}.${(k + 2) & 255}`]);
  for (let s = 0; s < SERVICES; s++) {
    kp.onServiceAdd(services[s]!);
    kp.onEndpointSliceAdd(slices[s]!);
  }
  kp.markSynced();
  const firstSync = cpuMs(() => kp.syncProxyRules());
  const heapPerEndpoint = ((heapMB() - before) * 2 ** 20) / (SERVICES * ENDPOINTS);
  let generation = 0;
  const partial = (changes: number, syncs: number) => {
    const times: number[] = [];
    for (let r = 0; r < syncs; r++) {
      generation++;
      for (let q = 0; q < changes; q++) {
        const s = (generation * 7919 + q * 101) % SERVICES;
        const next = slice(s, nodes, generation);
        kp.onEndpointSliceUpdate(slices[s], next);
        slices[s] = next;
      }
      times.push(cpuMs(() => kp.syncProxyRules()));
    }
    return median(times);
  };
  const partial1 = partial(1, 50);
  const partial100 = partial(100, 20);
  // 1,000 Services go, 100 a sync; a syncPeriod later one sync deletes their chains on every node.
  for (let step = 0; step < 10; step++) {
    for (let s = step * 100; s < (step + 1) * 100; s++) {
      kp.onEndpointSliceDelete(slices[s]!);
      kp.onServiceDelete(services[s]!);
    }
    clock += 1000;
    kp.syncProxyRules();
  }
  clock += 31_000;
  let deleted = 0;
  const cleanup = cpuMs(() => {
    deleted = kp.syncProxyRules().get('node-1')!.deletedChains.length;
  });
  if (deleted < 1000) throw new Error(`the clean-up deleted ${deleted} chains`);
  if (kp.list().some((n) => n.lastSync?.totalEndpoints === undefined)) throw new Error('a node did not sync');
  kp.stop();
  return { firstSync, heapPerEndpoint, partial1, partial100, cleanup };
}

const base = run(1);
const big = run(1000);
const ms = (x: number) => (x >= 100 ? `${x.toFixed(0)} ms` : `${x.toFixed(2)} ms`);
const row = (label: string, v: string, b: string, note: string) =>
  `  ${label.padEnd(38)} ${v.padStart(10)}   baseline (1 node) ${b.padStart(10)}   ${note}\n`;
const perNode = (a: number, b: number) => `${(((a - b) / 999) * 1000).toFixed(1)} µs a node`;
process.stdout.write(
  `shared kube-proxy, ${SERVICES} Services x ${ENDPOINTS} endpoints, 1,000 nodes; baseline the same with 1 node (CPU, medians)\n` +
    row(
      'first sync (every node full)',
      ms(big.firstSync),
      ms(base.firstSync),
      perNode(big.firstSync, base.firstSync),
    ) +
    row(
      'partial sync after 1 slice change',
      ms(big.partial1),
      ms(base.partial1),
      perNode(big.partial1, base.partial1),
    ) +
    row(
      'partial sync after 100 slice changes',
      ms(big.partial100),
      ms(base.partial100),
      perNode(big.partial100, base.partial100),
    ) +
    row(
      'clean-up after 1,000 Services deleted',
      ms(big.cleanup),
      ms(base.cleanup),
      perNode(big.cleanup, base.cleanup),
    ) +
    row(
      'heap held after the first sync',
      `${big.heapPerEndpoint.toFixed(0)} B/ep`,
      `${base.heapPerEndpoint.toFixed(0)} B/ep`,
      'a node adds no text, only its state',
    ),
);
