import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { Cluster, ClusterBootError } from '../../lab/cluster.js';
import { netlab } from '../index.js';

const demo = new URL('../../examples/demo.yaml', import.meta.url).pathname;

t.test('Cluster.boot: the store feeds the EndpointSlice controller, kube-proxy and DNS', async (t) => {
  const cluster = await Cluster.boot({ manifests: [demo], dnsListen: { host: '127.0.0.1', port: 0 } });
  t.teardown(() => cluster.stop());
  await cluster.settled();
  const slices = cluster.store
    .list('EndpointSlice')
    .items.map(
      (s) =>
        `${s.metadata.labels?.['kubernetes.io/service-name']}: ${(s.endpoints ?? []).map((e) => e.addresses.join()).join(' ')}`,
    )
    .sort();
  t.same(slices, ['db: 10.244.1.9', 'web: 10.244.0.5 10.244.1.7']);
  t.same([...cluster.proxiers.keys()].sort(), ['node-a', 'node-b']);
  const payload = cluster.proxiers.get('node-a')!.fullPayload();
  const expected = [
    '-A KUBE-SERVICES -m comment --comment "default/web:http cluster IP" -m tcp -p tcp -d 10.96.10.80 --dport 80 -j KUBE-SVC-CDGGSHYLG3RE2FKL',
    '-A KUBE-NODEPORTS -m comment --comment default/web:http -m tcp -p tcp --dport 30080 -j KUBE-EXT-CDGGSHYLG3RE2FKL',
    '-A KUBE-SEP-A4JCWMD6AMIS43DD -m comment --comment default/web:http -m tcp -p tcp -j DNAT --to-destination 10.244.1.7:8080',
  ];
  for (const line of expected) t.ok(payload.split('\n').includes(line), line);

  // A Pod going away is seen by the controller, then by kube-proxy, through the store alone.
  cluster.store.delete('Pod', 'web-7d4b9-fghij', { namespace: 'default', gracePeriodSeconds: 0 });
  await cluster.settled();
  const after = cluster.proxiers.get('node-a')!.fullPayload().split('\n');
  t.notOk(
    after.some((l) => l.includes('10.244.1.7')),
    'the deleted Pod is no endpoint any more',
  );
  t.ok(
    after.includes(
      '-A KUBE-SEP-7U6MWNJWR3SADOJA -m comment --comment default/web:http -m tcp -p tcp -j DNAT --to-destination 10.244.0.5:8080',
    ),
  );
});

t.test(
  'Cluster.boot: an invalid manifest applies nothing and names file, line, object and field',
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'netlab-up-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'bad.yaml');
    writeFileSync(
      file,
      'apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  ports:\n  - port: 70000\n',
    );
    const err = await Cluster.boot({ manifests: [file], dnsListen: { host: '127.0.0.1', port: 0 } }).catch(
      (e) => e,
    );
    t.type(err, ClusterBootError);
    t.equal(
      (err as Error).message,
      `${file}:6: Service default/web: spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive\n` +
        // kube-apiserver defaults targetPort to port before it validates, so it reports both.
        `${file}:6: Service default/web: spec.ports[0].targetPort: Invalid value: 70000: must be between 1 and 65535, inclusive`,
    );
  },
);

t.test(
  'Cluster.boot: Nodes without podCIDRs get the next /24 of the cluster CIDR, as the range allocator',
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'netlab-up-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'nodes.yaml');
    writeFileSync(
      file,
      [
        'apiVersion: v1\nkind: Node\nmetadata: {name: n1}',
        'apiVersion: v1\nkind: Node\nmetadata: {name: n2}\nspec: {podCIDR: 10.244.0.0/24, podCIDRs: [10.244.0.0/24]}',
        'apiVersion: v1\nkind: Node\nmetadata: {name: n3}',
      ].join('\n---\n'),
    );
    const cluster = await Cluster.boot({ manifests: [file], dnsListen: { host: '127.0.0.1', port: 0 } });
    t.teardown(() => cluster.stop());
    await cluster.settled();
    const got = cluster.store
      .list('Node')
      .items.map((n) => `${n.metadata.name} ${n.spec?.podCIDR} ${(n.spec?.podCIDRs ?? []).join(',')}`)
      .sort();
    t.same(got, [
      'n1 10.244.1.0/24 10.244.1.0/24',
      'n2 10.244.0.0/24 10.244.0.0/24',
      'n3 10.244.2.0/24 10.244.2.0/24',
    ]);
    cluster.store.create({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'n4' } });
    await cluster.settled();
    t.equal(cluster.store.get('Node', 'n4', '').spec?.podCIDR, '10.244.3.0/24', 'a Node that joins later');
  },
);

t.test('netlab up --once prints Services with endpoints, per-node rules and the DNS address', async (t) => {
  const { stdout, code } = await netlab(['up', '--once', '--dns-listen', '127.0.0.1:0']);
  t.equal(code, 0, 'exit 0');
  const cases: [string, RegExp][] = [
    [
      'web row',
      /│ default\s+│ web\s+│ NodePort\s+│ 10\.96\.10\.80 │\s+│ 80:30080\/TCP │ 10\.244\.0\.5:8080,10\.244\.1\.7:8080 │/,
    ],
    ['headless row', /│ default\s+│ db\s+│ ClusterIP\s+│ None\s+│\s+│ 5432\/TCP\s+│ 10\.244\.1\.9:5432\s+│/],
    ['ExternalName row', /│ default\s+│ search\s+│ ExternalName │\s+│ search\.example\.com │ <none>/],
    ['node-a rules', /^ {2}node-a: nat \d+ rules, filter \d+ rules/m],
    ['DNS', /^cluster DNS listening on 127\.0\.0\.1:\d+ \(UDP and TCP\)$/m],
  ];
  for (const [name, re] of cases) t.match(stdout, re, name);
});
