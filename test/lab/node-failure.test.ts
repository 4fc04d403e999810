// A node fails as a partitioned one does: its kubelet stops renewing its Lease. With real kubelets
// and short durations (no clock stepping, no sleeps: every step awaits the store's watch), the node
// lifecycle controller marks the Node Ready=Unknown and its Pods not ready (their endpoints with
// them), evicts them after the timeout, and the Deployment replaces them on the Node still alive.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import type { Store } from '../../api/index.js';
import { Cluster } from '../../lab/cluster.js';

const manifests = `apiVersion: v1
kind: Node
metadata: {name: node-a, labels: {topology.kubernetes.io/zone: zone-a}}
status: {addresses: [{type: InternalIP, address: 192.168.49.2}]}
---
apiVersion: v1
kind: Node
metadata: {name: node-b, labels: {topology.kubernetes.io/zone: zone-b}}
status: {addresses: [{type: InternalIP, address: 192.168.49.3}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: default}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: agnhost, image: registry.k8s.io/e2e-test-images/agnhost:2.53, args: [netexec, --http-port=8080], ports: [{containerPort: 8080}]}]
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec: {selector: {app: web}, ports: [{port: 80, targetPort: 8080}]}
`;

/** Resolves once `ok()` holds, checked now and after every change in the store. */
async function until(store: Store, ok: () => boolean): Promise<void> {
  if (ok()) return;
  const ac = new AbortController();
  const kinds = ['Pod', 'Node', 'EndpointSlice'] as const;
  await new Promise<void>((resolve) => {
    for (const kind of kinds)
      void (async () => {
        try {
          for await (const _ of store.watch(kind, {
            signal: ac.signal,
            resourceVersion: store.resourceVersion,
          }))
            if (ok()) {
              ac.abort();
              resolve();
            }
        } catch {
          // aborted
        }
      })();
  });
}

t.test('stopHeartbeat -> NotReady -> endpoints not ready -> eviction -> replaced elsewhere', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'netlab-nodefail-'));
  writeFileSync(join(dir, 'app.yaml'), manifests);
  // One cluster second is 20 ms: Leases renew every 200 ms; 3 s without one is NotReady, 2 s more evicts.
  const cluster = await Cluster.boot({
    manifests: [join(dir, 'app.yaml')],
    dnsListen: { host: '127.0.0.1', port: 0 },
    kubelets: { second: 20, realSockets: false },
    dataplane: false,
    controllers: { nodeMonitorGracePeriodMs: 3000, podEvictionTimeoutMs: 2000 },
  });
  t.teardown(async () => {
    await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const { store } = cluster;
  const ready = (p: { status?: { conditions?: { type: string; status: string }[] } }) =>
    p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
  const nodeReady = () =>
    store.get('Node', 'node-a', '').status?.conditions?.find((c) => c.type === 'Ready')?.status ?? '-';
  const pods = () => store.list('Pod').items.filter((p) => !p.metadata.deletionTimestamp);
  const endpoints = () =>
    store
      .list('EndpointSlice', { labelSelector: 'kubernetes.io/service-name=web' })
      .items.flatMap((s) => s.endpoints ?? [])
      .filter((e) => !e.conditions?.terminating)
      .map((e) => `${e.nodeName}:${e.conditions?.ready ? 'ready' : 'not-ready'}`)
      .sort()
      .join(' ');
  const rows: string[] = [];
  const row = (what: string) =>
    rows.push(
      `${what} | node-a Ready=${nodeReady()} | pods ${pods()
        .map((p) => `${p.spec.nodeName}${ready(p) ? '' : '(not ready)'}`)
        .sort()
        .join(' ')} | endpoints ${endpoints()}`,
    );

  await until(store, () => pods().filter(ready).length === 2 && endpoints() === 'node-a:ready node-b:ready');
  row('running');
  cluster.kubelets!.get('node-a')!.stopHeartbeat();
  await until(store, () => nodeReady() === 'Unknown' && endpoints() === 'node-a:not-ready node-b:ready');
  row('node-a stopped heart-beating');
  await until(
    store,
    () =>
      pods().filter((p) => p.spec.nodeName === 'node-b' && ready(p)).length === 2 &&
      endpoints() === 'node-b:ready node-b:ready',
  );
  row('after the eviction timeout');
  t.same(rows, [
    'running | node-a Ready=True | pods node-a node-b | endpoints node-a:ready node-b:ready',
    'node-a stopped heart-beating | node-a Ready=Unknown | pods node-a(not ready) node-b | endpoints node-a:not-ready node-b:ready',
    'after the eviction timeout | node-a Ready=Unknown | pods node-b node-b | endpoints node-b:ready node-b:ready',
  ]);
  t.same(
    (store.get('Node', 'node-a', '').spec?.taints ?? []).map((x) => `${x.key}:${x.effect}`),
    ['node.kubernetes.io/unreachable:NoSchedule', 'node.kubernetes.io/unreachable:NoExecute'],
  );
});

t.test(
  'a Node back before the eviction timeout: Ready again, its pods ready again, nothing evicted',
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'netlab-nodeback-'));
    writeFileSync(join(dir, 'app.yaml'), manifests);
    // Leases renew every 200 ms (renewing often, then stopping: the case the controller once missed);
    // 1 s without one is NotReady; eviction would take a minute.
    const cluster = await Cluster.boot({
      manifests: [join(dir, 'app.yaml')],
      dnsListen: { host: '127.0.0.1', port: 0 },
      kubelets: { second: 20, realSockets: false },
      dataplane: false,
      controllers: { nodeMonitorGracePeriodMs: 1000, podEvictionTimeoutMs: 60_000 },
    });
    t.teardown(async () => {
      await cluster.stop();
      rmSync(dir, { recursive: true, force: true });
    });
    const { store } = cluster;
    const nodeReady = () =>
      store.get('Node', 'node-a', '').status?.conditions?.find((c) => c.type === 'Ready')?.status ?? '-';
    const endpoints = () =>
      store
        .list('EndpointSlice', { labelSelector: 'kubernetes.io/service-name=web' })
        .items.flatMap((s) => s.endpoints ?? [])
        .map((e) => `${e.nodeName}:${e.conditions?.ready ? 'ready' : 'not-ready'}`)
        .sort()
        .join(' ');
    const uids = () =>
      store
        .list('Pod')
        .items.map((p) => p.metadata.uid)
        .sort()
        .join(' ');
    await until(store, () => endpoints() === 'node-a:ready node-b:ready');
    const before = uids();
    const kubelet = cluster.kubelets!.get('node-a')!;
    kubelet.stopHeartbeat();
    await until(store, () => nodeReady() === 'Unknown' && endpoints() === 'node-a:not-ready node-b:ready');
    kubelet.resumeHeartbeat();
    await until(
      store,
      () =>
        nodeReady() === 'True' &&
        endpoints() === 'node-a:ready node-b:ready' &&
        (store.get('Node', 'node-a', '').spec?.taints ?? []).length === 0,
    );
    t.equal(uids(), before, 'the same pods');
  },
);
