// Graceful termination in a cluster (store, EndpointSlice controller, kubelets): the endpoint turns
// terminating before the app is asked to stop, CNI DEL comes after it has stopped, and only then is
// the Pod removed. Order is what each component observed, in sequence; no clock is read.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { Cluster } from '../../lab/cluster.js';
import { agnhostPod, ready, startLab, waitGone, waitPod } from './kubelet-fixture.js';

const manifests = `apiVersion: v1
kind: Node
metadata: {name: node-0}
spec: {podCIDR: 10.244.0.0/24, podCIDRs: [10.244.0.0/24]}
status:
  addresses: [{type: InternalIP, address: 192.168.49.2}]
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
---
apiVersion: v1
kind: Pod
metadata: {name: web-0, labels: {app: web}}
spec:
  nodeName: node-0
  terminationGracePeriodSeconds: 10
  containers:
  - name: agnhost
    image: registry.k8s.io/e2e-test-images/agnhost:2.53
    args: [netexec, --http-port=8080, --udp-port=-1]
    ports: [{containerPort: 8080}]
    lifecycle:
      preStop:
        sleep: {seconds: 2}
`;

t.test('graceful termination order: endpoint terminating, SIGTERM, CNI DEL, Pod removed', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'netlab-kubelet-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'm.yaml'), manifests);
  const order: string[] = [];
  const cluster = await Cluster.boot({
    manifests: [join(dir, 'm.yaml')],
    dnsListen: { host: '127.0.0.1', port: 0 },
    kubelets: { second: 20, onStopping: () => order.push('SIGTERM') },
    // No fixed ports in tests: the data plane's listeners are not what this test is about.
    dataplane: false,
  });
  t.teardown(() => cluster.stop());
  const store = cluster.store;
  const kubelets = cluster.kubelets;
  if (!kubelets) throw new Error('no kubelets');
  const del = kubelets.network.del.bind(kubelets.network);
  kubelets.network.del = async (list, sandbox) => {
    order.push('CNI DEL');
    await del(list, sandbox);
  };
  const running = await waitPod(store, 'web-0', ready);
  const ac = new AbortController();
  const watching = (async () => {
    for await (const ev of store.watch('EndpointSlice', {
      resourceVersion: store.resourceVersion,
      signal: ac.signal,
    }))
      for (const e of ev.object.endpoints ?? [])
        if (e.conditions?.terminating && !order.includes('endpoint terminating'))
          order.push('endpoint terminating');
  })().catch(() => {});
  // The slice lists the ready pod first.
  store.delete('Pod', 'web-0', { namespace: 'default' });
  await waitGone(store, 'web-0');
  order.push('Pod removed');
  ac.abort();
  await watching;
  t.same(order, ['endpoint terminating', 'SIGTERM', 'CNI DEL', 'Pod removed']);
  t.equal(
    kubelets.network.fabric.lookup(running.status?.podIP ?? ''),
    undefined,
    'the address left the fabric',
  );
  t.equal(kubelets.ports.tcp(running.status?.podIP ?? '', 8080), undefined, 'the socket is gone');
});

t.test('a process that ignores SIGTERM is killed when the grace period ends', async (t) => {
  const lab = startLab();
  t.teardown(() => lab.stop());
  lab.store.create(
    agnhostPod(
      'stubborn',
      { terminationGracePeriodSeconds: 2 },
      { env: [{ name: 'NETLAB_IGNORE_SIGTERM', value: 'true' }] },
    ),
  );
  await waitPod(lab.store, 'stubborn', ready);
  lab.store.delete('Pod', 'stubborn', { namespace: 'default' });
  const last = await waitPod(
    lab.store,
    'stubborn',
    (p) => p.status?.containerStatuses?.[0]?.state?.terminated !== undefined,
  );
  t.equal(last.status?.containerStatuses?.[0]?.state?.terminated?.exitCode, 137, 'SIGKILL');
  await waitGone(lab.store, 'stubborn');
});

t.test('host-local files on disk match the pods when a state directory is used', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'netlab-state-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const lab = startLab({ stateDir: dir });
  t.teardown(() => lab.stop());
  lab.store.create(agnhostPod('a'));
  lab.store.create(agnhostPod('b'));
  const a = await waitPod(lab.store, 'a', ready);
  const b = await waitPod(lab.store, 'b', ready);
  const net = join(dir, 'node-0', 'networks', 'pods');
  const files = () => readdirSync(net).sort();
  t.same(files(), [...[a.status?.podIP, b.status?.podIP].sort(), 'last_reserved_ip.0', 'lock']);
  for (const p of [a, b])
    t.equal(
      readFileSync(join(net, p.status?.podIP ?? ''), 'utf8'),
      `${p.metadata.uid}\r\neth0`,
      `${p.metadata.name}`,
    );
  lab.store.delete('Pod', 'a', { namespace: 'default', gracePeriodSeconds: 1 });
  await waitGone(lab.store, 'a');
  t.same(files(), [b.status?.podIP, 'last_reserved_ip.0', 'lock']);
});
