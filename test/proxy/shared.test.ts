import t from 'tap';
import type { EndpointSlice, Node, Service } from '../../api/index.js';
import { FastPath } from '../../proxy/fastpath/index.js';
import { ClusterProxier, Proxier, type SyncResult } from '../../proxy/index.js';
import { RuleTable as Rules, type RuleTable, withKubeJumpRules } from '../../proxy/ruletable/index.js';

/** Every chain of every table: name, policy, whether declared, and its rules' text, sorted by name. */
function chainsOf(rt: RuleTable): string[] {
  const out: string[] = [];
  for (const t of rt.tables)
    for (const c of t.chains.values())
      out.push(`${t.name} ${c.name} ${c.policy} ${c.declared}\n${c.rules.map((r) => r.text).join('\n')}`);
  return out.sort();
}

// Three nodes in two zones; node-a's IP is inside the load balancer's source range, the others not.
const nodes: { name: string; ip: string; zone: string }[] = [
  { name: 'node-a', ip: '192.168.0.2', zone: 'z1' },
  { name: 'node-b', ip: '192.168.0.3', zone: 'z1' },
  { name: 'node-c', ip: '192.168.0.4', zone: 'z2' },
];

function svc(name: string, spec: Partial<Service['spec']>, status?: Service['status']): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { namespace: 'ns', name },
    spec: { type: 'ClusterIP', ports: [{ name: 'p80', port: 80, protocol: 'TCP' }], ...spec },
    ...(status ? { status } : {}),
  };
}

type Ep = NonNullable<EndpointSlice['endpoints']>[number];

function slice(svcName: string, endpoints: Ep[], protocol: 'TCP' | 'UDP' = 'TCP'): EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      namespace: 'ns',
      name: `${svcName}-abcde`,
      labels: { 'kubernetes.io/service-name': svcName },
    },
    addressType: 'IPv4',
    endpoints,
    ports: [{ name: 'p80', port: 80, protocol }],
  };
}

const ep = (ip: string, nodeName: string, extra: Partial<Ep> = {}): Ep => ({
  addresses: [ip],
  nodeName,
  conditions: { ready: true, serving: true, terminating: false },
  ...extra,
});
const zoneHint = (z: string) => ({ hints: { forZones: [{ name: z }] } });
const nodeHint = (n: string) => ({ hints: { forNodes: [{ name: n }] } });

function nodeObj(name: string, zone: string): Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'topology.kubernetes.io/zone': zone } },
  };
}

type Step =
  | {
      name: string;
      services?: Service[];
      slices?: EndpointSlice[];
      deleteServices?: string[];
      nodes?: Node[];
    }
  | { name: string; tick: number };

const lb = { loadBalancer: { ingress: [{ ip: '5.6.7.8' }] } };

const steps: Step[] = [
  {
    name: 'every kind of service port at once',
    nodes: nodes.map((n) => nodeObj(n.name, n.zone)),
    services: [
      svc('web', { clusterIP: '172.30.0.10' }),
      svc('local', {
        type: 'NodePort',
        clusterIP: '172.30.0.11',
        externalTrafficPolicy: 'Local',
        ports: [{ name: 'p80', port: 80, protocol: 'TCP', nodePort: 30011 }],
      }),
      svc('itp', { clusterIP: '172.30.0.12', internalTrafficPolicy: 'Local' }),
      svc('zoned', { clusterIP: '172.30.0.13' }),
      svc('pernode', { clusterIP: '172.30.0.14' }),
      svc(
        'fw',
        {
          type: 'LoadBalancer',
          clusterIP: '172.30.0.15',
          loadBalancerSourceRanges: ['192.168.0.2/32', '203.0.113.0/24'],
          ports: [{ name: 'p80', port: 80, protocol: 'TCP', nodePort: 30015 }],
        },
        lb,
      ),
      svc('dns', { clusterIP: '172.30.0.16', ports: [{ name: 'p80', port: 80, protocol: 'UDP' }] }),
      svc('lbl', {
        type: 'LoadBalancer',
        clusterIP: '172.30.0.17',
        externalTrafficPolicy: 'Local',
        healthCheckNodePort: 31000,
        ports: [{ name: 'p80', port: 80, protocol: 'TCP', nodePort: 30017 }],
      }),
    ],
    slices: [
      slice('web', [ep('10.0.1.1', 'node-a'), ep('10.0.2.1', 'node-b')]),
      slice('local', [ep('10.0.1.2', 'node-a'), ep('10.0.1.3', 'node-a')]),
      slice('itp', [ep('10.0.2.2', 'node-b'), ep('10.0.3.2', 'node-c')]),
      slice('zoned', [
        ep('10.0.1.4', 'node-a', zoneHint('z1')),
        ep('10.0.2.4', 'node-b', zoneHint('z1')),
        ep('10.0.3.4', 'node-c', zoneHint('z2')),
      ]),
      slice('pernode', [
        ep('10.0.1.5', 'node-a', nodeHint('node-a')),
        ep('10.0.3.5', 'node-c', nodeHint('node-c')),
      ]),
      slice('fw', [ep('10.0.2.6', 'node-b')]),
      slice('dns', [ep('10.0.1.7', 'node-a'), ep('10.0.3.7', 'node-c')], 'UDP'),
      slice('lbl', [ep('10.0.3.8', 'node-c')]),
    ],
  },
  {
    name: 'the Local endpoint moves from node-a to node-c',
    slices: [slice('local', [ep('10.0.1.3', 'node-a'), ep('10.0.3.3', 'node-c')])],
  },
  {
    name: 'node-a loses its Local endpoints; one terminates on node-c',
    slices: [
      slice('local', [
        ep('10.0.3.3', 'node-c', { conditions: { ready: false, serving: true, terminating: true } }),
      ]),
    ],
  },
  { name: 'node-c moves to zone z1', nodes: [nodeObj('node-c', 'z1')] },
  {
    name: 'zone hints give way to node hints; a UDP endpoint goes',
    slices: [
      slice('zoned', [
        ep('10.0.1.4', 'node-a', nodeHint('node-b')),
        ep('10.0.2.4', 'node-b', nodeHint('node-b')),
      ]),
      slice('dns', [ep('10.0.3.7', 'node-c')], 'UDP'),
    ],
  },
  { name: 'Services deleted', deleteServices: ['pernode', 'fw'] },
  {
    name: 'a large cluster: more than 1000 endpoints',
    slices: [
      slice(
        'web',
        Array.from({ length: 1001 }, (_, i) =>
          ep(`10.1.${i >> 8}.${i & 255}`, nodes[i % 3]!.name, i % 2 === 0 ? nodeHint('node-a') : {}),
        ),
      ),
    ],
  },
  { name: 'a Service deleted in a large cluster (clean-up waits)', deleteServices: ['itp'] },
  { name: 'a syncPeriod later', tick: 31_000 },
  {
    name: 'back under the threshold, Local again on node-b',
    slices: [slice('web', [ep('10.0.1.1', 'node-a')]), slice('local', [ep('10.0.2.3', 'node-b')])],
  },
];

/** Where the fast paths are asked to send a packet: every cluster IP, the NodePorts, the LB IP. */
const probes = (nodeIP: string) => [
  ...Array.from({ length: 8 }, (_, i) => ({ ip: `172.30.0.${10 + i}`, port: 80 })),
  ...[30011, 30015, 30017].map((port) => ({ ip: nodeIP, port })),
  { ip: '5.6.7.8', port: 80 },
];

const pick = (r: SyncResult) => ({
  full: r.full,
  ok: r.ok,
  payload: r.payload,
  updatedServices: r.updatedServices,
  writtenServicePorts: r.writtenServicePorts,
  deletedChains: r.deletedChains,
  filterRules: r.filterRules,
  natRules: r.natRules,
  natRulesTotal: r.natRulesTotal,
  totalEndpoints: r.totalEndpoints,
  largeClusterMode: r.largeClusterMode,
  conntrackCleanupRequired: r.conntrackCleanupRequired,
  noLocalEndpoints: r.noLocalEndpoints,
});

t.test('ClusterProxier: every node gets exactly what its own Proxier writes, sync after sync', async (t) => {
  let clock = 1_000_000;
  const now = () => clock;
  const flags = { clusterCIDRs: ['10.0.0.0/8'], minSyncPeriod: 0, now };
  const cluster = new ClusterProxier(flags);
  const alone = new Map(
    nodes.map((n) => [n.name, new Proxier({ ...flags, nodeName: n.name, nodeIPs: [n.ip] })] as const),
  );
  for (const n of nodes) cluster.addNode(n.name, [n.ip]);
  const all = [cluster, ...alone.values()];
  // Not marked synced: the handlers only record, and each step's changes meet in one explicit sync.
  const services = new Map<string, Service>();
  const slices = new Map<string, EndpointSlice>();
  const deletedOnA: Record<string, string[]> = {};
  for (const step of steps) {
    if ('tick' in step) clock += step.tick;
    else {
      for (const n of step.nodes ?? []) for (const p of all) p.onNodeAdd(n);
      for (const s of step.services ?? []) {
        for (const p of all) p.onServiceUpdate(services.get(s.metadata.name!), s);
        services.set(s.metadata.name!, s);
      }
      for (const s of step.slices ?? []) {
        for (const p of all) p.onEndpointSliceUpdate(slices.get(s.metadata.name!), s);
        slices.set(s.metadata.name!, s);
      }
      for (const name of step.deleteServices ?? []) {
        for (const p of all) p.onServiceDelete(services.get(name)!);
        services.delete(name);
      }
    }
    const shared = cluster.syncProxyRules();
    deletedOnA[step.name] = shared.get('node-a')!.deletedChains;
    for (const [name, p] of alone) {
      const want = p.syncProxyRules();
      const got = shared.get(name)!;
      t.same(pick(got), pick(want), `${step.name}: ${name}'s sync`);
      t.equal(cluster.node(name)!.fullPayload(), p.fullPayload(), `${step.name}: ${name}'s full payload`);
      // The node's tables and fast path, built from the shared model and its overlay, are those of
      // its own kube-proxy's payload parsed.
      const own = withKubeJumpRules(Rules.parse(p.fullPayload()));
      const built = cluster.node(name)!.rules()!;
      t.same(chainsOf(built), chainsOf(own), `${step.name}: ${name}'s tables`);
      const ip = nodes.find((n) => n.name === name)!.ip;
      const mine = new FastPath(own, [ip]);
      for (const dst of probes(ip)) {
        const packet = { sourceIP: '10.0.9.9', protocol: 'tcp' as const, destIP: dst.ip, destPort: dst.port };
        t.same(
          cluster.node(name)!.fastPath()!.trace(packet),
          mine.trace(packet),
          `${step.name}: ${name}'s fast path to ${dst.ip}:${dst.port}`,
        );
      }
    }
  }
  // The steps did reach the cases they are about.
  t.same(deletedOnA['a Service deleted in a large cluster (clean-up waits)'], []);
  t.same(
    deletedOnA['a syncPeriod later'],
    ['KUBE-SEP-66MW72IZOYCHQ5OW', 'KUBE-SEP-QNECSZI47HTRWDP6'],
    "itp's chains go a syncPeriod later",
  );
  const last = cluster.node('node-b')!.lastSync!;
  t.ok(last.payload.includes('KUBE-SVL-'), 'Local policy chains on node-b');
  t.notOk(cluster.node('node-a')!.lastSync!.payload.includes('KUBE-SVL-'), 'none on node-a');
});

t.test('ClusterProxier: a node payload read later is the payload of its sync', async (t) => {
  const cluster = new ClusterProxier({ clusterCIDRs: ['10.0.0.0/8'], minSyncPeriod: 0 });
  const a = cluster.addNode('node-a', ['192.168.0.2']);
  cluster.onServiceAdd(svc('web', { clusterIP: '172.30.0.10' }));
  cluster.onEndpointSliceAdd(slice('web', [ep('10.0.1.1', 'node-a')]));
  cluster.syncProxyRules();
  const first = a.lastSync!;
  const text = first.payload;
  cluster.onEndpointSliceUpdate(undefined, slice('web', [ep('10.0.1.9', 'node-a')]));
  cluster.syncProxyRules();
  t.equal(first.payload, text, 'the first sync still renders as it was');
  t.ok(text.includes('10.0.1.1:80'));
  t.ok(a.lastSync!.payload.includes('10.0.1.9:80'));
  t.equal(
    a.fastPath()?.trace({ sourceIP: '10.0.9.9', protocol: 'tcp', destIP: '172.30.0.10', destPort: 80 })
      .output,
    '10.0.1.9:80',
  );
});

t.test(
  'ClusterProxier: a partial sync looks at a node only for the Services that differ per node',
  async (t) => {
    const cluster = new ClusterProxier({ clusterCIDRs: ['10.0.0.0/8'], minSyncPeriod: 0 });
    for (let i = 0; i < 50; i++) cluster.addNode(`node-${i}`, [`192.168.1.${i + 1}`]);
    cluster.onServiceAdd(svc('web', { clusterIP: '172.30.0.10' }));
    cluster.onServiceAdd(
      svc('loc', {
        clusterIP: '172.30.0.11',
        type: 'NodePort',
        externalTrafficPolicy: 'Local',
        ports: [{ name: 'p80', port: 80, protocol: 'TCP', nodePort: 30080 }],
      }),
    );
    cluster.onEndpointSliceAdd(slice('web', [ep('10.0.1.1', 'node-1')]));
    cluster.onEndpointSliceAdd(slice('loc', [ep('10.0.1.2', 'node-2')]));
    cluster.syncProxyRules();
    const rows: string[] = [];
    const step = (name: string, change: () => void) => {
      const before = cluster.overlayChecks;
      change();
      cluster.syncProxyRules();
      rows.push(`${name}: ${cluster.overlayChecks - before}`);
    };
    step('an endpoint of a Cluster-policy Service', () =>
      cluster.onEndpointSliceUpdate(
        undefined,
        slice('web', [ep('10.0.1.1', 'node-1'), ep('10.0.1.3', 'node-3')]),
      ),
    );
    step('an endpoint of a Local-policy Service', () =>
      cluster.onEndpointSliceUpdate(
        undefined,
        slice('loc', [ep('10.0.1.2', 'node-2'), ep('10.0.1.4', 'node-4')]),
      ),
    );
    step('nothing changed', () => {});
    t.same(rows, [
      'an endpoint of a Cluster-policy Service: 0',
      'an endpoint of a Local-policy Service: 50',
      'nothing changed: 0',
    ]);
    t.ok(
      cluster.node('node-4')!.fullPayload().includes('10.0.1.4:80'),
      "node-4's rules hold the new endpoint",
    );
  },
);

t.test(
  'ClusterProxier: the entry generation moves only for changes to NodePorts and LoadBalancer IPs',
  async (t) => {
    const cluster = new ClusterProxier({ clusterCIDRs: ['10.0.0.0/8'], minSyncPeriod: 0 });
    for (let i = 0; i < 3; i++) cluster.addNode(`node-${i}`, [`192.168.1.${i + 1}`]);
    cluster.onServiceAdd(svc('web', { clusterIP: '172.30.0.10' }));
    const np = (nodePort: number) => ({
      clusterIP: '172.30.0.11',
      type: 'NodePort' as const,
      ports: [{ name: 'p80', port: 80, protocol: 'TCP' as const, nodePort }],
    });
    cluster.onServiceAdd(svc('np', np(30080)));
    cluster.syncProxyRules();
    const rows: string[] = [];
    const step = (name: string, change: () => void) => {
      const before = cluster.entryGeneration();
      change();
      cluster.syncProxyRules();
      rows.push(`${name}: ${cluster.entryGeneration() === before ? 'same' : 'moved'}`);
    };
    step('an endpoint of a ClusterIP Service', () =>
      cluster.onEndpointSliceAdd(slice('web', [ep('10.0.1.1', 'node-1')])),
    );
    step('nothing changed', () => {});
    step('an endpoint of a NodePort Service', () =>
      cluster.onEndpointSliceAdd(slice('np', [ep('10.0.1.2', 'node-2')])),
    );
    step('the NodePort moved', () => cluster.onServiceUpdate(svc('np', np(30080)), svc('np', np(30081))));
    step('a NodePort Service made ClusterIP', () =>
      cluster.onServiceUpdate(svc('np', np(30081)), svc('np', { clusterIP: '172.30.0.11' })),
    );
    step('an endpoint of the former NodePort Service', () =>
      cluster.onEndpointSliceUpdate(undefined, slice('np', [ep('10.0.1.3', 'node-2')])),
    );
    step('a LoadBalancer Service', () =>
      cluster.onServiceAdd(
        svc(
          'lb',
          { ...np(30090), clusterIP: '172.30.0.12', type: 'LoadBalancer' },
          { loadBalancer: { ingress: [{ ip: '172.18.255.200' }] } },
        ),
      ),
    );
    step('the LoadBalancer Service deleted', () =>
      cluster.onServiceDelete(
        svc(
          'lb',
          { ...np(30090), clusterIP: '172.30.0.12', type: 'LoadBalancer' },
          { loadBalancer: { ingress: [{ ip: '172.18.255.200' }] } },
        ),
      ),
    );
    step('a node added (its first sync is full)', () => cluster.addNode('node-3', ['192.168.1.4']));
    t.same(rows, [
      'an endpoint of a ClusterIP Service: same',
      'nothing changed: same',
      'an endpoint of a NodePort Service: moved',
      'the NodePort moved: moved',
      'a NodePort Service made ClusterIP: moved',
      'an endpoint of the former NodePort Service: same',
      'a LoadBalancer Service: moved',
      'the LoadBalancer Service deleted: moved',
      'a node added (its first sync is full): moved',
    ]);
  },
);
