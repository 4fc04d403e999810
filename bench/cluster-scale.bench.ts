// bench/cluster-scale: the whole cluster at 1,000 nodes, 10,000 Services and 100,000 pods
// (Deployments of 10 agnhost pods, real sockets off): the time from applying the workload until
// everything has converged (every pod Running with an address from CNI and host-local, every
// Service's EndpointSlices complete and ready, every node's kube-proxy synced with every endpoint)
// and the peak RSS; then kube-proxy's programming latency: one extra pod, from its create until
// every node's rules hold it. Baseline in the same run: the same pipeline at 1/10 of the scale, in
// its own process (so its peak RSS is its own); ratios are per pod.
//
// The scale settings, those of `netlab up --workload` (lab/config/workload.ts): real sockets off
// (pods in-process only), no data plane (no listeners; kube-proxy's rules are still built for
// every node), cluster DNS serving on a free loopback port, the EndpointSlice and Endpoints
// controllers batching Pod changes for 500 ms (`--batch-ms`), kube-proxy's min sync period 1 s (its
// default). The programming latency includes both waits.
//
//   npm run bench cluster-scale                 the full scale (and 1/10 as baseline)
//   npm run bench cluster-scale -- --scale 0.1  100 nodes, 1,000 Services, 10,000 pods
//   npm run bench cluster-scale -- --runs 5      the median of 5 runs of each (3 by default)
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { AnyObject, EndpointSlice, ManifestObject, Pod } from '../api/index.js';
import { Cluster } from '../lab/cluster.js';
import {
  workloadBatchPeriodMs,
  workloadObjects,
  workloadProxyMinSyncPeriodMs,
} from '../lab/config/workload.js';
import { median } from './median.js';

const FULL = { nodes: 1000, services: 10_000, pods: 100_000 };
const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i < 0 ? undefined : process.argv[i + 1];
};
const scale = Number(arg('--scale') ?? 1);
/** Runs of each scale (`--runs`); every printed figure is their median. */
const RUNS = Math.max(1, Math.min(9, Number(arg('--runs') ?? 3) || 3));
const TIMEOUT_MS = Number(process.env.SCALE_BENCH_TIMEOUT_MS ?? 600_000);
/** kube-controller-manager's --endpoint(slice)-updates-batch-period for the run (`--batch-ms`). */
const BATCH_MS = Number(arg('--batch-ms') ?? workloadBatchPeriodMs);

interface Figures {
  nodes: number;
  services: number;
  pods: number;
  bootMs: number;
  convergeMs: number;
  /** CPU time (user + system) of the convergence, every thread: below the wall time means waiting. */
  convergeCpuMs: number;
  /** Of the convergence, the time the lab's own thread was busy (its event loop not waiting). */
  labBusyMs: number;
  /** Store writes (resourceVersions) per pod during the convergence. */
  writesPerPod: number;
  programmingMs: number;
  peakRssMB: number;
  heapMB: number;
}

const sizeOf = (s: number) => ({
  nodes: Math.max(1, Math.round(FULL.nodes * s)),
  services: Math.max(1, Math.round(FULL.services * s)),
  pods: Math.max(1, Math.round(FULL.pods * s)),
});

function nodeObjects(n: number): ManifestObject[] {
  return Array.from({ length: n }, (_, k) => {
    const i = k + 2;
    return {
      object: {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: {
          name: `node-${k + 1}`,
          labels: {
            'kubernetes.io/hostname': `node-${k + 1}`,
            'topology.kubernetes.io/zone': `zone-${k % 3}`,
          },
        },
        spec: {},
        status: { addresses: [{ type: 'InternalIP', address: `172.18.${i >> 8}.${i & 255}` }] },
      } as AnyObject,
      source: { file: 'bench', line: 0 },
    };
  });
}

const until = async (what: string, done: () => boolean, deadline: number): Promise<void> => {
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`cluster-scale: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

/** One run at one size, in this process. */
async function child(s: number): Promise<Figures> {
  const size = sizeOf(s);
  const deadline = Date.now() + TIMEOUT_MS;
  const t0 = performance.now();
  const cluster = await Cluster.boot({
    manifests: [],
    objects: nodeObjects(size.nodes),
    // 1,000 nodes' /24s: a /14 (kube-controller-manager --cluster-cidr), as large clusters use.
    clusterCIDRs: ['10.244.0.0/14'],
    dnsListen: { host: '127.0.0.1', port: 0 },
    kubelets: { realSockets: false, cniThread: true },
    dataplane: false,
    controllers: { endpointUpdatesBatchPeriodMs: BATCH_MS },
    proxyMinSyncPeriodMs: workloadProxyMinSyncPeriodMs,
  });
  const store = cluster.store;
  await until('podCIDRs', () => store.list('Node').items.every((n) => n.spec?.podCIDR), deadline);
  const bootMs = performance.now() - t0;

  // What converged means, kept as counters by watches (never a scan of the cluster while waiting).
  const ac = new AbortController();
  const running = new Set<string>();
  const readyBySlice = new Map<string, number>();
  let readyEndpoints = 0;
  const watchPods = (async () => {
    for await (const ev of store.watch('Pod', { signal: ac.signal })) {
      const p = ev.object as Pod;
      // By uid: one string kept from the Pod's creation on, its hash made once.
      const key = p.metadata.uid ?? '';
      if (ev.type !== 'DELETED' && p.status?.phase === 'Running' && p.status.podIP) running.add(key);
      else running.delete(key);
    }
  })().catch(() => {});
  const watchSlices = (async () => {
    for await (const ev of store.watch('EndpointSlice', { signal: ac.signal })) {
      const sl = ev.object as EndpointSlice;
      const key = `${sl.metadata.namespace}/${sl.metadata.name}`;
      readyEndpoints -= readyBySlice.get(key) ?? 0;
      // Counted without an array per event: the watch's work is the bench's own, inside the figure.
      let n = 0;
      if (ev.type !== 'DELETED')
        for (const e of sl.endpoints ?? []) if (e.conditions?.ready === true && e.addresses.length > 0) n++;
      readyBySlice.set(key, n);
      readyEndpoints += n;
    }
  })().catch(() => {});
  const proxiers = [...cluster.proxiers.values()];
  const proxiesHold = (endpoints: number) =>
    !cluster.kubeProxy.pending && proxiers.every((p) => (p.lastSync?.totalEndpoints ?? -1) >= endpoints);

  const t1 = performance.now();
  const cpu1 = process.cpuUsage();
  const elu1 = performance.eventLoopUtilization();
  const rv1 = Number(store.resourceVersion);
  const objects = workloadObjects({ services: size.services, pods: size.pods });
  for (let i = 0; i < objects.length; i += 1000) store.apply(objects.slice(i, i + 1000));
  let last = 0;
  await until(
    'convergence',
    () => {
      const now = performance.now();
      if (now - last > 5000) {
        last = now;
        process.stderr.write(
          `  ${((now - t1) / 1000).toFixed(0)} s: ${running.size}/${size.pods} pods running, ${readyEndpoints} ready endpoints, rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MB\n`,
        );
      }
      return running.size === size.pods && readyEndpoints === size.pods && proxiesHold(size.pods);
    },
    deadline,
  );
  const convergeMs = performance.now() - t1;
  const cpu = process.cpuUsage(cpu1);
  const convergeCpuMs = (cpu.user + cpu.system) / 1000;
  const labBusyMs = performance.eventLoopUtilization(elu1).active;
  const writesPerPod = (Number(store.resourceVersion) - rv1) / size.pods;

  // Programming latency: one more pod for the first Service, until every node's rules have it.
  const target = objects[0] as { metadata: { name: string } };
  const t2 = performance.now();
  store.patch('Deployment', target.metadata.name, { spec: { replicas: sizeOf(s).pods / size.services + 1 } });
  await until(
    'the extra pod in every node',
    () => readyEndpoints === size.pods + 1 && proxiesHold(size.pods + 1),
    deadline,
  );
  const programmingMs = performance.now() - t2;
  // Peak RSS of the run up to here: the check below builds two nodes' whole rule texts (tens of MB
  // each at full scale), which is the bench's own work, not the cluster's.
  const peakRssMB = process.resourceUsage().maxRSS / 1024;

  // Checked outside the timing: a node's own rules DNAT to the new pod.
  const newest = store
    .list('Pod', { labelSelector: `app=${target.metadata.name}` })
    .items.map((p) => p.status?.podIP ?? '')
    .filter((ip) => ip !== '');
  for (const p of [proxiers[0]!, proxiers[proxiers.length - 1]!]) {
    const payload = p.fullPayload();
    for (const ip of newest)
      if (!payload.includes(`--to-destination ${ip}:8080`))
        throw new Error(`cluster-scale: ${p.name}'s rules lack ${ip}`);
  }
  if (process.env.SCALE_BENCH_HEAP_SNAPSHOT)
    (await import('node:v8')).writeHeapSnapshot(process.env.SCALE_BENCH_HEAP_SNAPSHOT);
  // The live heap: after a full collection (the child runs with --expose-gc), not whatever garbage
  // the last one left.
  (globalThis as { gc?: () => void }).gc?.();
  const heapMB = process.memoryUsage().heapUsed / 2 ** 20;
  // No teardown: a hundred thousand CNI DELs are not what is measured, and the process ends here.
  ac.abort();
  await Promise.allSettled([watchPods, watchSlices]);
  return {
    ...size,
    bootMs,
    convergeMs,
    convergeCpuMs,
    labBusyMs,
    writesPerPod,
    programmingMs,
    peakRssMB,
    heapMB,
  };
}

/** Each figure the median of its runs (the sizes are the same in every run). */
function medianFigures(fs: Figures[]): Figures {
  const out = { ...fs[0]! };
  for (const k of Object.keys(out) as (keyof Figures)[]) out[k] = median(fs.map((f) => f[k]));
  return out;
}

function runChild(s: number): Figures {
  const r = spawnSync(
    process.execPath,
    [
      '--import=tsx',
      '--expose-gc',
      '--max-old-space-size=4096',
      // A young generation of 32 MB a semi-space, not V8's 16: a pod's objects live on, so every
      // scavenge copies them; fewer, larger scavenges let more of the short-lived die first. 64 was
      // better while Pods waited unscheduled; with the scheduler keeping up, 32 costs less CPU and
      // about 100 MB less RSS (bench/README.md).
      '--max-semi-space-size=32',
      fileURLToPath(import.meta.url),
      '--child',
      String(s),
      '--batch-ms',
      String(BATCH_MS),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', maxBuffer: 1 << 20 },
  );
  if (r.status !== 0) throw new Error(`cluster-scale: the run at scale ${s} failed (exit ${r.status})`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Figures;
}

if (arg('--child') !== undefined) {
  const f = await child(Number(arg('--child')));
  process.stdout.write(`${JSON.stringify(f)}\n`);
  process.exit(0);
} else {
  // The machine drifts by a quarter within the hour: every figure is the median of RUNS runs, the
  // baseline and the full scale alternated so both see the same moments of the machine.
  const bases: Figures[] = [];
  const runs: Figures[] = [];
  for (let i = 0; i < RUNS; i++) {
    bases.push(runChild(scale / 10));
    runs.push(runChild(scale));
  }
  const base = medianFigures(bases);
  const run = medianFigures(runs);
  const each = (fs: Figures[]) => fs.map((f) => (f.convergeMs / 1000).toFixed(2)).join(', ');
  const perPod = (ms: number, f: Figures) => ms / f.pods;
  const line = (label: string, v: string, b: string, ratio: string) =>
    `  ${label.padEnd(34)} ${v.padStart(10)}   baseline ${b.padStart(10)}   ${ratio}\n`;
  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  process.stdout.write(
    `${run.nodes} nodes, ${run.services} Services, ${run.pods} pods (real sockets off); baseline: the same at 1/10 (${base.nodes} nodes, ${base.services} Services, ${base.pods} pods), same run; each figure the median of ${RUNS} runs\n` +
      line(
        'boot (Nodes, podCIDRs, kubelets)',
        s(run.bootMs),
        s(base.bootMs),
        `x${(run.bootMs / base.bootMs).toFixed(1)} for x10 nodes`,
      ) +
      line(
        'apply -> converged',
        s(run.convergeMs),
        s(base.convergeMs),
        `x${(run.convergeMs / base.convergeMs).toFixed(1)} for x10 (per pod ${(perPod(run.convergeMs, run) / perPod(base.convergeMs, base)).toFixed(2)} of baseline; goal 30 s)`,
      ) +
      line(
        'CPU of the convergence',
        s(run.convergeCpuMs),
        s(base.convergeCpuMs),
        `${(run.convergeCpuMs / run.pods).toFixed(2)} ms a pod (baseline ${(base.convergeCpuMs / base.pods).toFixed(2)})`,
      ) +
      line(
        "the lab's thread busy",
        s(run.labBusyMs),
        s(base.labBusyMs),
        `${((100 * run.labBusyMs) / run.convergeMs).toFixed(0)}% of the wall (baseline ${((100 * base.labBusyMs) / base.convergeMs).toFixed(0)}%)`,
      ) +
      line('store writes a pod', run.writesPerPod.toFixed(2), base.writesPerPod.toFixed(2), '') +
      line(
        'programming latency (1 extra pod)',
        `${run.programmingMs.toFixed(0)} ms`,
        `${base.programmingMs.toFixed(0)} ms`,
        `x${(run.programmingMs / base.programmingMs).toFixed(1)}`,
      ) +
      line(
        'peak RSS',
        `${run.peakRssMB.toFixed(0)} MB`,
        `${base.peakRssMB.toFixed(0)} MB`,
        `x${(run.peakRssMB / base.peakRssMB).toFixed(1)} (goal 2048 MB)`,
      ) +
      line(
        'heap after',
        `${run.heapMB.toFixed(0)} MB`,
        `${base.heapMB.toFixed(0)} MB`,
        `${((run.heapMB * 1024) / run.pods).toFixed(1)} KB/pod`,
      ) +
      `  apply -> converged, each run: ${each(runs)} s (baseline ${each(bases)} s)\n`,
  );
}
