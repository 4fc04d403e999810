// The generated workload (`netlab up --workload services=N,pods=M`): the spec text, the objects, the
// pod subnet that grows with --nodes, and a lab that runs it to Ready without real sockets.
import t from 'tap';
import type { EndpointSlice, Pod } from '../../api/index.js';
import { readLabInputs } from '../../lab/config/inputs.js';
import { parseWorkloadSpec, workloadObjects } from '../../lab/config/workload.js';
import { Lab } from '../../lab/run/lab.js';

t.test('--workload specs', async (t) => {
  const cases: { text: string; want: unknown }[] = [
    { text: 'services=10000,pods=100000', want: { services: 10000, pods: 100000 } },
    { text: 'pods=7, services=3', want: { services: 3, pods: 7 } },
    { text: 'services=4', want: { services: 4, pods: 4 } },
    { text: 'services=0,pods=0', want: { services: 0, pods: 0 } },
    { text: 'nodes=3', want: 'unknown key "nodes" (want services=N,pods=M)' },
    { text: 'services=-1', want: 'services must be a whole number up to 1000000, got "-1"' },
    { text: 'services=2000000', want: 'services must be a whole number up to 1000000, got "2000000"' },
    { text: 'pods=5', want: 'pods need services (each Service selects one Deployment)' },
  ];
  for (const c of cases) {
    let got: unknown;
    try {
      got = parseWorkloadSpec(c.text);
    } catch (e) {
      got = (e as Error).message;
    }
    t.same(got, c.want, c.text);
  }
});

t.test('objects: a Deployment and a Service per Service, pods shared out evenly', async (t) => {
  const objects = workloadObjects({ services: 3, pods: 8 });
  t.same(
    objects.map((o) => {
      const spec = (o as { spec: { replicas?: number; selector?: unknown } }).spec;
      return `${o.kind} ${o.metadata.name} ${o.kind === 'Deployment' ? spec.replicas : JSON.stringify(spec.selector)}`;
    }),
    [
      'Deployment svc-0 3',
      'Service svc-0 {"app":"svc-0"}',
      'Deployment svc-1 3',
      'Service svc-1 {"app":"svc-1"}',
      'Deployment svc-2 2',
      'Service svc-2 {"app":"svc-2"}',
    ],
  );
  t.same(
    workloadObjects({ services: 11, pods: 11 })
      .map((o) => o.metadata.name)
      .slice(0, 2),
    ['svc-00', 'svc-00'],
    'names padded to sort in order',
  );
});

t.test('--nodes beyond 256 widens the default pod subnet; a written one stays', async (t) => {
  const cases: { nodes: number; want: string[] }[] = [
    { nodes: 3, want: ['10.244.0.0/16'] },
    { nodes: 256, want: ['10.244.0.0/16'] },
    { nodes: 257, want: ['10.244.0.0/15'] },
    { nodes: 1000, want: ['10.244.0.0/14'] },
    { nodes: 5000, want: ['10.224.0.0/11'] },
  ];
  for (const c of cases)
    t.same(readLabInputs([], { nodes: c.nodes }).config.podSubnets, c.want, `${c.nodes} nodes`);
  const inputs = readLabInputs([], { nodes: 2, workload: { services: 2, pods: 3 } });
  t.equal(inputs.defaultWorkload, false, 'the workload replaces the default one');
  t.same(
    inputs.objects.filter((o) => o.source.file === 'netlab:workload').map((o) => o.object.kind),
    ['Deployment', 'Service', 'Deployment', 'Service'],
  );
});

t.test('a lab runs the generated workload: every pod Running with an address, slices complete', async (t) => {
  const lab = await Lab.start({
    inputs: readLabInputs([], { nodes: 2, workload: { services: 2, pods: 5 } }),
    dnsListen: { host: '127.0.0.1', port: 0 },
    proxyListen: false,
    readyTimeoutMs: 30_000,
  });
  t.teardown(() => lab.stop());
  t.same(lab.notReady, []);
  const store = lab.cluster.store;
  const pods = store.list('Pod', { namespace: 'default' }).items as Pod[];
  t.same(
    pods.map((p) => [
      p.status?.phase,
      p.status?.podIP !== undefined,
      p.metadata.annotations?.['netlab.dev/listen'],
    ]),
    Array.from({ length: 5 }, () => ['Running', true, undefined]),
    'Running with an address; no real socket',
  );
  await lab.cluster.settled();
  const slices = store.list('EndpointSlice', { namespace: 'default' }).items as EndpointSlice[];
  const ready = (svc: string) =>
    slices
      .filter((s) => s.metadata.labels?.['kubernetes.io/service-name'] === svc)
      .flatMap((s) => s.endpoints ?? [])
      .filter((e) => e.conditions?.ready).length;
  t.same([ready('svc-0'), ready('svc-1')], [3, 2]);
});
