// bench/endpointslice: the EndpointSlice controller's policy (lab/controllers) for one Service
// selecting N pods (N/100 slices), against the same-run baseline of only selecting and sorting those
// pods (the least any controller does before it writes a slice). Median of RUNS runs; bounded loops.
import type { Node, Pod, Service } from '../api/index.js';
import { endpointSlicesForService } from '../lab/controllers/endpointslice.js';
import { median } from './median.js';

const RUNS = Number(process.env.ES_BENCH_RUNS ?? 5);
const PODS = Number(process.env.ES_BENCH_PODS ?? 5000);
const ROUNDS = Number(process.env.ES_BENCH_ROUNDS ?? 40);

const nodes: Node[] = Array.from({ length: 10 }, (_, i) => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name: `node-${i}`, labels: { 'topology.kubernetes.io/zone': `zone-${i % 3}` } },
}));
// Half the pods are someone else's: the selector has work to do.
const pods: Pod[] = Array.from({ length: PODS * 2 }, (_, i) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: `web-${i}`, namespace: 'default', uid: `u${i}`, labels: { app: i % 2 ? 'web' : 'db' } },
  spec: {
    nodeName: `node-${i % 10}`,
    containers: [{ name: 'c', ports: [{ name: 'http', containerPort: 8080 }] }],
  },
  status: {
    phase: 'Running',
    podIPs: [{ ip: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}` }],
    conditions: [{ type: 'Ready', status: i % 7 ? 'True' : 'False' }],
  },
}));
const service: Service = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'web', namespace: 'default', uid: 'svc' },
  spec: {
    clusterIP: '10.96.0.20',
    selector: { app: 'web' },
    ports: [{ name: 'http', port: 80, targetPort: 'http' }],
  },
};

function rate(fn: () => unknown): number {
  const t0 = performance.now();
  for (let i = 0; i < ROUNDS; i++) fn();
  return ROUNDS / ((performance.now() - t0) / 1000);
}

const baseline = () =>
  pods
    .filter((p) => p.metadata.namespace === 'default' && p.metadata.labels?.app === 'web')
    .sort((a, b) => (a.metadata.name! < b.metadata.name! ? -1 : 1));
const controller = () => endpointSlicesForService(service, pods, nodes);

const slices = controller();
const b: number[] = [];
const c: number[] = [];
for (let r = 0; r < RUNS; r++) {
  b.push(rate(baseline));
  c.push(rate(controller));
}
const mb = median(b);
const mc = median(c);
process.stdout.write(
  `Service selecting ${PODS} of ${PODS * 2} pods -> ${slices.length} EndpointSlices (median of ${RUNS} x ${ROUNDS})\n` +
    `  baseline (select + sort pods)   ${mb.toFixed(1)} syncs/s\n` +
    `  endpointSlicesForService        ${mc.toFixed(1)} syncs/s  (${(mc / mb).toFixed(2)} of baseline, ${((PODS * mc) / 1e6).toFixed(2)}M endpoints/s)\n`,
);
