// `kubectl create deployment --dry-run=client -o yaml` plus a Service, booted as `netlab up -f` boots
// them (agnhost needs its subcommand: without one it prints its help and exits, and the Pods
// crash-loop, as they would in a cluster): the kubelets run the Pods through CNI (host-local on each Node's podCIDR, its files in the
// state directory), the Service gets a complete EndpointSlice. The fixture is kubectl's own output;
// an interop test runs the real kubectl and compares.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { Cluster } from '../../lab/cluster.js';
import { interopTest } from '../index.js';

const bare = new URL('./fixtures/kubectl-create-deployment-web.yaml', import.meta.url).pathname;
const fixture = new URL('./fixtures/kubectl-create-deployment-web-netexec.yaml', import.meta.url).pathname;
const kubectl = ['/usr/bin/kubectl', '/usr/local/bin/kubectl'].find((p) => existsSync(p));
const image = '--image=registry.k8s.io/e2e-test-images/agnhost:2.53';
const fixtures: [string, string[]][] = [
  [bare, ['create', 'deployment', 'web', image, '--dry-run=client', '-o', 'yaml']],
  [
    fixture,
    [
      'create',
      'deployment',
      'web',
      image,
      '--port=8080',
      '--dry-run=client',
      '-o',
      'yaml',
      '--',
      '/agnhost',
      'netexec',
      '--http-port=8080',
    ],
  ],
];

interopTest(
  t,
  'the fixtures are what kubectl create deployment prints',
  kubectl ? false : 'kubectl not installed (v1.32 from the Kubernetes release: dl.k8s.io)',
  async (t) => {
    for (const [file, args] of fixtures) {
      const out = await new Promise<string>((resolve, reject) =>
        execFile(kubectl!, args, { env: { ...process.env, KUBECONFIG: '/dev/null' } }, (err, stdout) =>
          err ? reject(err) : resolve(stdout),
        ),
      );
      const lines = readFileSync(file, 'utf8').split('\n');
      t.equal(lines[0], `# kubectl v1.32.4: kubectl ${args.join(' ')}`, 'the fixture names its command');
      t.equal(out, lines.slice(1).join('\n'), file);
    }
  },
);

const rest = `---
apiVersion: v1
kind: Node
metadata: {name: node-a, labels: {topology.kubernetes.io/zone: zone-a}}
status: {addresses: [{type: InternalIP, address: 192.168.49.2}]}
---
apiVersion: v1
kind: Node
metadata: {name: node-b, labels: {topology.kubernetes.io/zone: zone-b}}
status: {addresses: [{type: InternalIP, address: 192.168.49.3}]}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec: {selector: {app: web}, ports: [{port: 80, targetPort: 8080}]}
`;

t.test(
  'the Deployment runs: addresses in each node podCIDR, a complete slice, host-local files',
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'netlab-e2e-'));
    const state = join(dir, 'state');
    writeFileSync(join(dir, 'rest.yaml'), rest);
    const cluster = await Cluster.boot({
      manifests: [fixture, join(dir, 'rest.yaml')],
      dnsListen: { host: '127.0.0.1', port: 0 },
      kubelets: { second: 20, realSockets: false, stateDir: state },
      dataplane: false,
    });
    t.teardown(async () => {
      await cluster.stop();
      rmSync(dir, { recursive: true, force: true });
    });
    const { store } = cluster;
    // kubectl scale deployment web --replicas=3
    const d = store.get('Deployment', 'web');
    store.update({ ...d, spec: { ...d.spec, replicas: 3 } });
    // Wait on the store's watch until the slice lists three ready endpoints.
    const ac = new AbortController();
    const complete = () =>
      store
        .list('EndpointSlice', { labelSelector: 'kubernetes.io/service-name=web' })
        .items.flatMap((s) => s.endpoints ?? [])
        .filter((e) => e.conditions?.ready).length === 3;
    if (!complete())
      for await (const _ of store.watch('EndpointSlice', {
        signal: ac.signal,
        resourceVersion: store.resourceVersion,
      }))
        if (complete()) {
          ac.abort();
          break;
        }
    const nodes = new Map(
      store.list('Node').items.map((n) => [n.metadata.name ?? '', n.spec?.podCIDR ?? '']),
    );
    t.same([...nodes.values()].sort(), ['10.244.0.0/24', '10.244.1.0/24'], 'node-ipam gave each Node a /24');
    const pods = store.list('Pod').items;
    const inCIDR = (ip: string, cidr: string) => ip.startsWith(cidr.replace(/0\/24$/, ''));
    t.same(
      pods.map((p) => ({
        phase: p.status?.phase,
        owner: p.metadata.ownerReferences?.[0]?.kind,
        inNodeCIDR: inCIDR(p.status?.podIP ?? '', nodes.get(p.spec.nodeName ?? '') ?? '-'),
        hostIP: p.status?.hostIP === (p.spec.nodeName === 'node-a' ? '192.168.49.2' : '192.168.49.3'),
      })),
      Array(3).fill({ phase: 'Running', owner: 'ReplicaSet', inNodeCIDR: true, hostIP: true }),
    );
    const slice = store.list('EndpointSlice', { labelSelector: 'kubernetes.io/service-name=web' }).items[0]!;
    t.same(
      {
        ports: slice.ports,
        endpoints: (slice.endpoints ?? [])
          .map(
            (e) =>
              `${e.targetRef?.name} ${e.addresses[0]} ${e.nodeName} ${e.zone} ready=${e.conditions?.ready}`,
          )
          .sort(),
      },
      {
        ports: [{ name: '', port: 8080, protocol: 'TCP' }],
        endpoints: pods
          .map(
            (p) =>
              `${p.metadata.name} ${p.status?.podIP} ${p.spec.nodeName} ${p.spec.nodeName === 'node-a' ? 'zone-a' : 'zone-b'} ready=true`,
          )
          .sort(),
      },
    );
    // host-local's files: one per address, holding the container ID and interface, per node.
    const onDisk: string[] = [];
    for (const node of [...nodes.keys()].sort()) {
      const net = join(state, node, 'networks', 'pods');
      if (!existsSync(net)) continue;
      for (const f of readdirSync(net).sort())
        if (/^\d/.test(f))
          onDisk.push(`${node} ${f} ${readFileSync(join(net, f), 'utf8').replace('\r\n', ' ')}`);
    }
    t.same(
      onDisk.sort(),
      pods.map((p) => `${p.spec.nodeName} ${p.status?.podIP} ${p.metadata.uid} eth0`).sort(),
    );
  },
);

t.test('agnhost without a subcommand prints its help and exits: the Pod crash-loops', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'netlab-e2e-'));
  writeFileSync(join(dir, 'rest.yaml'), rest);
  const cluster = await Cluster.boot({
    manifests: [bare, join(dir, 'rest.yaml')],
    dnsListen: { host: '127.0.0.1', port: 0 },
    kubelets: { second: 20, realSockets: false },
    dataplane: false,
  });
  t.teardown(async () => {
    await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const { store } = cluster;
  const ac = new AbortController();
  const backOff = () => store.list('Event').items.find((e) => e.reason === 'BackOff');
  if (!backOff())
    for await (const _ of store.watch('Event', { signal: ac.signal, resourceVersion: store.resourceVersion }))
      if (backOff()) {
        ac.abort();
        break;
      }
  t.equal(backOff()?.message, 'Back-off restarting failed container');
  t.equal(store.list('Pod').items[0]?.status?.conditions?.find((c) => c.type === 'Ready')?.status, 'False');
});
