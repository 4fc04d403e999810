import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { readManifests } from '../../api/index.js';
import {
  ClusterConfigError,
  defaultClusterConfig,
  nodeObjects,
  parseClusterConfig,
  parseDuration,
} from '../../lab/config/cluster-config.js';
import { defaultWorkload, kubeDnsClusterIP } from '../../lab/config/default-cluster.js';
import { readLabInputs } from '../../lab/config/inputs.js';
import { nodeLoopbackAddress, nodePortsLine } from '../../lab/run/lab.js';

const head = 'apiVersion: netlab.dev/v1alpha1\nkind: Cluster\n';

t.test('cluster.yaml: every field read, defaults for the rest', async (t) => {
  const cfg = parseClusterConfig(
    `${head}metadata: {name: lab}
nodes:
- name: a
  zone: z1
  labels: {disk: ssd}
  taints: [{key: dedicated, value: db, effect: NoSchedule}]
- name: b
ipFamily: dual
podSubnet: 10.244.0.0/16,fd00:10:244::/56
serviceSubnet: [10.96.0.0/16, "fd00:10:96::/112"]
dns: {zone: example.local, ttl: 30, pods: verified, upstream: 1.1.1.1:53}
loopback: {address: 127.0.0.2, nodes: 127.0.20.1}
ports: {dns: 0, api: 0, proxy: 18080}
seed: 7
stateDir: /tmp/netlab-state
durations: {nodeMonitorGracePeriod: 2s, podEvictionTimeout: 1m30s}
`,
    'cluster.yaml',
  );
  t.same(
    cfg.nodes.map((n) => `${n.name} ${n.zone} ${n.addresses.join(',')} line ${n.line}`),
    ['a z1 172.18.0.2,fc00:f853:ccd:e793::2 line 5', 'b zone-b 172.18.0.3,fc00:f853:ccd:e793::3 line 9'],
  );
  t.same(
    [cfg.name, cfg.ipFamily, cfg.podSubnets, cfg.serviceSubnets, cfg.dns, cfg.loopback, cfg.ports, cfg.seed],
    [
      'lab',
      'dual',
      ['10.244.0.0/16', 'fd00:10:244::/56'],
      ['10.96.0.0/16', 'fd00:10:96::/112'],
      { zone: 'example.local', ttl: 30, pods: 'verified', upstream: '1.1.1.1:53' },
      { address: '127.0.0.2', nodes: '127.0.20.1' },
      { dns: 0, api: 0, proxy: 18080 },
      7,
    ],
  );
  t.equal(cfg.stateDir, '/tmp/netlab-state');
  t.same(cfg.durations, {
    nodeLeaseRenewInterval: 10_000,
    nodeMonitorGracePeriod: 2_000,
    podEvictionTimeout: 90_000,
    dropTimeout: 10_000,
  });
  const [a] = nodeObjects(cfg);
  t.same(a, {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: 'a',
      labels: {
        'kubernetes.io/arch': 'amd64',
        'kubernetes.io/hostname': 'a',
        'kubernetes.io/os': 'linux',
        'topology.kubernetes.io/zone': 'z1',
        disk: 'ssd',
      },
    },
    spec: { taints: [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }] },
    status: {
      addresses: [
        { type: 'InternalIP', address: '172.18.0.2' },
        { type: 'InternalIP', address: 'fc00:f853:ccd:e793::2' },
        { type: 'Hostname', address: 'a' },
      ],
    },
  });
});

t.test('cluster.yaml: a node count spreads over the zones', async (t) => {
  const cfg = parseClusterConfig(`${head}nodes: 4\nzones: [east, west]\n`, 'c.yaml');
  t.same(
    cfg.nodes.map((n) => `${n.name}/${n.zone}/${n.addresses[0]}`),
    ['node-1/east/172.18.0.2', 'node-2/west/172.18.0.3', 'node-3/east/172.18.0.4', 'node-4/west/172.18.0.5'],
  );
  t.same(
    defaultClusterConfig().nodes.map((n) => `${n.name}/${n.zone}`),
    ['node-1/zone-a', 'node-2/zone-b', 'node-3/zone-a'],
    'the default: 3 nodes in 2 zones',
  );
});

t.test('cluster.yaml: each problem is one line with file, line and field', async (t) => {
  const cases: [string, string, string[]][] = [
    ['unknown field', 'nodez: 3\n', ['c.yaml:3: Cluster netlab: nodez: unknown field "nodez"']],
    [
      'node count',
      'nodes: 0\n',
      ['c.yaml:3: Cluster netlab: nodes: Invalid value: 0: must be an integer between 1 and 5000, inclusive'],
    ],
    [
      'taint effect',
      'nodes:\n- name: a\n  taints:\n  - {key: k, effect: Never}\n',
      [
        'c.yaml:6: Cluster netlab: nodes[0].taints[0].effect: Unsupported value: "Never": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"',
      ],
    ],
    [
      'duplicate node',
      'nodes: [{name: a}, {name: a}]\n',
      ['c.yaml:3: Cluster netlab: nodes[1].name: Duplicate value: "a"'],
    ],
    [
      'bad CIDR',
      'podSubnet: 10.244.0.0/33\n',
      [
        'c.yaml:3: Cluster netlab: podSubnet: Invalid value: "10.244.0.0/33": must be a valid CIDR (e.g. 10.244.0.0/16)',
      ],
    ],
    [
      'dual stack needs two families',
      'ipFamily: dual\nserviceSubnet: 10.96.0.0/12\n',
      [
        'c.yaml:4: Cluster netlab: serviceSubnet: Invalid value: "10.96.0.0/12": ipFamily dual needs one IPv4 and one IPv6 CIDR',
      ],
    ],
    [
      'port',
      'ports:\n  dns: 70000\n',
      [
        'c.yaml:4: Cluster netlab: ports.dns: Invalid value: 70000: must be an integer between 0 and 65535, inclusive',
      ],
    ],
    [
      'loopback',
      'loopback: {address: 10.0.0.1}\n',
      [
        'c.yaml:3: Cluster netlab: loopback.address: Invalid value: "10.0.0.1": must be an IPv4 address in 127.0.0.0/8',
      ],
    ],
    [
      'duration',
      'durations:\n  podEvictionTimeout: soon\n',
      [
        'c.yaml:4: Cluster netlab: durations.podEvictionTimeout: Invalid value: "soon": must be a duration such as 500ms, 10s or 5m',
      ],
    ],
    [
      'dns pods',
      'dns: {pods: always}\n',
      [
        'c.yaml:3: Cluster netlab: dns.pods: Unsupported value: "always": supported values: "disabled", "insecure", "verified"',
      ],
    ],
    [
      'two problems, two lines',
      'seed: -1\ndns: {ttl: 9000}\n',
      [
        'c.yaml:4: Cluster netlab: dns.ttl: Invalid value: 9000: must be an integer between 0 and 3600, inclusive',
        'c.yaml:3: Cluster netlab: seed: Invalid value: -1: must be an integer between 0 and 4294967295, inclusive',
      ],
    ],
    [
      'YAML syntax',
      'nodes: [1\n',
      [
        'c.yaml:4: error parsing YAML: Flow sequence in block collection must be sufficiently indented and end with a ]',
      ],
    ],
  ];
  for (const [name, body, want] of cases) {
    const err = (() => {
      try {
        parseClusterConfig(head + body, 'c.yaml');
      } catch (e) {
        return e;
      }
    })();
    t.type(err, ClusterConfigError, name);
    t.same((err as Error).message.split('\n'), want, name);
  }
});

t.test('parseDuration reads Go durations', async (t) => {
  const cases: [string, number | undefined][] = [
    ['0', 0],
    ['300ms', 300],
    ['10s', 10_000],
    ['1m30s', 90_000],
    ['1.5s', 1500],
    ['2h', 7_200_000],
    ['10', undefined],
    ['s', undefined],
    ['5d', undefined],
  ];
  for (const [s, ms] of cases) t.equal(parseDuration(s), ms, s);
});

t.test('kube-dns gets the tenth address of the Service range', async (t) => {
  t.equal(kubeDnsClusterIP(['10.96.0.0/12']), '10.96.0.10');
  t.equal(kubeDnsClusterIP(['10.100.7.0/16']), '10.100.0.10');
  t.equal(kubeDnsClusterIP(['fd00:10:96::/112']), 'fd00:10:96::a');
});

t.test('readLabInputs: config and manifests, defaults where nothing is given', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'netlab-config-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const names = (objs: { object: { kind: string; metadata: { name?: string } } }[]) =>
    objs.map((o) => `${o.object.kind}/${o.object.metadata.name}`);

  const none = readLabInputs([]);
  t.ok(none.defaultWorkload);
  t.same(names(none.objects), [
    'Node/node-1',
    'Node/node-2',
    'Node/node-3',
    'Deployment/coredns',
    'Service/kube-dns',
    'Deployment/web',
    'Service/web',
    'Service/web-nodeport',
    'Service/db',
    'StatefulSet/db',
  ]);

  const app = join(dir, 'app.yaml');
  writeFileSync(app, 'apiVersion: v1\nkind: Service\nmetadata: {name: app}\nspec: {ports: [{port: 80}]}\n');
  const plain = readLabInputs([app]);
  t.notOk(plain.defaultWorkload);
  t.same(
    names(plain.objects),
    ['Node/node-1', 'Node/node-2', 'Node/node-3', 'Deployment/coredns', 'Service/kube-dns', 'Service/app'],
    'manifests without Nodes run on the default nodes',
  );

  const withNodes = join(dir, 'nodes.yaml');
  writeFileSync(withNodes, 'apiVersion: v1\nkind: Node\nmetadata: {name: mine}\n');
  t.same(names(readLabInputs([withNodes]).objects), ['Deployment/coredns', 'Service/kube-dns', 'Node/mine']);

  const mixed = join(dir, 'mixed.yaml');
  writeFileSync(
    mixed,
    `${head}nodes: 1\n---\napiVersion: v1\nkind: Service\nmetadata: {name: app}\nspec: {ports: [{port: 80}]}\n`,
  );
  const m = readLabInputs([mixed]);
  t.equal(m.config.file, mixed);
  t.same(names(m.objects), ['Node/node-1', 'Deployment/coredns', 'Service/kube-dns', 'Service/app']);
  t.same(names(readLabInputs([mixed], { nodes: 2 }).objects).slice(0, 2), ['Node/node-1', 'Node/node-2']);

  const onlyConfig = join(dir, 'cluster.yaml');
  writeFileSync(onlyConfig, `${head}nodes: 2\n`);
  const c = readLabInputs([onlyConfig]);
  t.ok(c.defaultWorkload, 'a config alone runs the default workload on its nodes');
  t.equal(c.objects.filter((o) => o.object.kind === 'Node').length, 2);

  const bad = join(dir, 'bad.yaml');
  writeFileSync(bad, `${head}nodes: many\n---\napiVersion: v1\nkind: Gadget\nmetadata: {name: g}\n`);
  t.throws(() => readLabInputs([bad]), {
    message: [
      `${bad}:3: Cluster netlab: nodes: Invalid value: "many": must be a number of nodes or a list of nodes`,
      `${bad}:6: Gadget default/g: kind: no matches for kind "Gadget" in version "v1"`,
    ].join('\n'),
  });
});

t.test(
  'examples/demo.yaml is the embedded default workload, ordinary manifests without status',
  async (t) => {
    const demo = readFileSync(new URL('../../examples/demo.yaml', import.meta.url), 'utf8');
    t.equal(demo, defaultWorkload, 'the same text: `netlab up -f examples/demo.yaml` is `netlab up`');
    const kinds = readManifests(demo, 'examples/demo.yaml').objects.map(
      (m) => `${m.object.kind} ${m.object.metadata.name}${'status' in m.object ? ' (status)' : ''}`,
    );
    t.same(kinds, ['Deployment web', 'Service web', 'Service web-nodeport', 'Service db', 'StatefulSet db']);
  },
);

t.test(
  'node loopback addresses: the n-th address from loopback.nodes, for the first 254 nodes',
  async (t) => {
    const cases: [string, number, string | undefined][] = [
      ['127.0.10.1', 0, '127.0.10.1'],
      ['127.0.10.1', 2, '127.0.10.3'],
      ['127.5.6.250', 10, '127.5.7.4'],
      ['127.0.10.1', 253, '127.0.10.254'],
      ['127.0.10.1', 254, undefined],
      ['127.255.255.255', 1, undefined],
    ];
    for (const [first, i, want] of cases) t.equal(nodeLoopbackAddress(first, i), want, `${first} + ${i}`);
    t.equal(
      nodePortsLine(
        Array.from({ length: 8 }, (_, i) => ({ node: `node-${i + 1}`, address: `127.0.10.${i + 1}` })),
        [
          { port: 30080, protocol: 'TCP' },
          { port: 30080, protocol: 'TCP' },
          { port: 30053, protocol: 'UDP' },
        ],
      ),
      'node-1 127.0.10.1, node-2 127.0.10.2, node-3 127.0.10.3, node-4 127.0.10.4, node-5 127.0.10.5, ... (8 nodes), node-8 127.0.10.8; ports 30053/UDP, 30080/TCP',
    );
    t.equal(nodePortsLine([{ node: 'node-1', address: '127.0.0.1' }], []), 'node-1 127.0.0.1; ports <none>');
  },
);
