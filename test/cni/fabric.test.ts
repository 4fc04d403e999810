import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { FabricError } from '../../cni/fabric/errors.js';
import { renderPodRoutes } from '../../cni/fabric/render.js';
import {
  Fabric,
  type FabricChange,
  FileFabricStore,
  renderNodeAddrBrief,
  renderNodeRoutes,
  renderPodAddrBrief,
  renderRouteGet,
} from '../../cni/index.js';

// Two dual-stack nodes as a kubeadm cluster with a bridge CNI has them: podCIDRs 10.244.N.0/24 + fd00:10:244:N::/64, node IPs on one
// L2 segment; the expected text has the shape of a real node's (bridge + host-local, captured under
// `unshare --net`): padding, trailing spaces, connected routes, host-gw routes, EUI-64 link-locals.
function twoNodes(): Fabric {
  const f = new Fabric();
  f.addNode({
    name: 'node-a',
    nodeIPs: ['192.168.49.2', 'fd00:49::2'],
    podCIDRs: ['10.244.0.0/24', 'fd00:10:244::/64'],
  });
  f.addNode({
    name: 'node-b',
    nodeIPs: ['192.168.49.3/24', 'fd00:49::3/64'],
    podCIDRs: ['10.244.1.0/24', 'fd00:10:244:1::/64'],
  });
  f.attach('node-a', {
    network: 'cbr0',
    containerID: 'c1',
    ifname: 'eth0',
    netns: '/run/netns/pod1',
    ips: [
      { address: '10.244.0.2/24', gateway: '10.244.0.1' },
      { address: 'fd00:10:244::2/64', gateway: 'fd00:10:244::1' },
    ],
    routes: [{ dst: '0.0.0.0/0' }, { dst: '10.244.0.0/16' }, { dst: '::/0' }],
  });
  f.setLoopback('/run/netns/pod1', true);
  f.attach('node-a', {
    network: 'cbr0',
    containerID: 'c2',
    ifname: 'eth0',
    netns: '/run/netns/pod2',
    ips: [{ address: '10.244.0.3/24', gateway: '10.244.0.1' }],
  });
  return f;
}

t.test('ip -br addr', async (t) => {
  const f = twoNodes();
  const cases: { name: string; got: string; want: string }[] = [
    {
      name: 'node-a: lo, uplink, bridge with the gateways, one veth per pod named @ the pod ifindex',
      got: renderNodeAddrBrief(f, 'node-a'),
      want: [
        'lo               UNKNOWN        127.0.0.1/8 ::1/128 ',
        'eth0             UP             192.168.49.2/24 fd00:49::2/64 fe80::3c51:5aff:fec7:3e27/64 ',
        'cni0             UP             10.244.0.1/24 fd00:10:244::1/64 fe80::28ad:48ff:fe0b:3072/64 ',
        'veth40e3da9f@if2 UP             fe80::7ce7:7dff:fe4c:fec2/64 ',
        'veth22b98778@if2 UP             fe80::d812:bcff:fe27:999e/64 ',
        '',
      ].join('\n'),
    },
    {
      name: 'node-b: a bridge without ports is DOWN',
      got: renderNodeAddrBrief(f, 'node-b'),
      want: [
        'lo               UNKNOWN        127.0.0.1/8 ::1/128 ',
        'eth0             UP             192.168.49.3/24 fd00:49::3/64 fe80::5c9f:d5ff:fec0:369/64 ',
        'cni0             DOWN           10.244.1.1/24 fd00:10:244:1::1/64 fe80::f89b:4dff:feb9:96f8/64 ',
        '',
      ].join('\n'),
    },
    {
      name: 'pod1 after loopback: lo up, eth0 named @ the host veth index',
      got: renderPodAddrBrief(f, '/run/netns/pod1'),
      want: [
        'lo               UNKNOWN        127.0.0.1/8 ::1/128 ',
        'eth0@if4         UP             10.244.0.2/24 fd00:10:244::2/64 fe80::8cc1:68ff:fe47:7c05/64 ',
        '',
      ].join('\n'),
    },
    {
      name: 'pod2 without loopback: lo DOWN as in a fresh netns',
      got: renderPodAddrBrief(f, '/run/netns/pod2'),
      want: [
        'lo               DOWN           ',
        'eth0@if5         UP             10.244.0.3/24 fe80::70f1:83ff:fe04:f617/64 ',
        '',
      ].join('\n'),
    },
  ];
  for (const c of cases) t.equal(c.got, c.want, c.name);
});

t.test('ip route', async (t) => {
  const f = twoNodes();
  const cases: { name: string; got: string; want: string }[] = [
    {
      name: 'node-a IPv4: own podCIDR on the bridge, node-b podCIDR via node-b (host-gw)',
      got: renderNodeRoutes(f, 'node-a', 4),
      want: [
        '10.244.0.0/24 dev cni0 proto kernel scope link src 10.244.0.1 ',
        '10.244.1.0/24 via 192.168.49.3 dev eth0 ',
        '192.168.49.0/24 dev eth0 proto kernel scope link src 192.168.49.2 ',
        '',
      ].join('\n'),
    },
    {
      name: 'node-b IPv4',
      got: renderNodeRoutes(f, 'node-b', 4),
      want: [
        '10.244.0.0/24 via 192.168.49.2 dev eth0 ',
        '10.244.1.0/24 dev cni0 proto kernel scope link src 10.244.1.1 ',
        '192.168.49.0/24 dev eth0 proto kernel scope link src 192.168.49.3 ',
        '',
      ].join('\n'),
    },
    {
      name: 'node-a IPv6 (ip -6 route)',
      got: renderNodeRoutes(f, 'node-a', 6),
      want: [
        'fd00:10:244::/64 dev cni0 proto kernel metric 256 pref medium',
        'fd00:10:244:1::/64 via fd00:49::3 dev eth0 metric 1024 pref medium',
        'fd00:49::/64 dev eth0 proto kernel metric 256 pref medium',
        'fe80::/64 dev eth0 proto kernel metric 256 pref medium',
        'fe80::/64 dev cni0 proto kernel metric 256 pref medium',
        'fe80::/64 dev veth40e3da9f proto kernel metric 256 pref medium',
        'fe80::/64 dev veth22b98778 proto kernel metric 256 pref medium',
        '',
      ].join('\n'),
    },
    {
      name: 'pod1 IPv4: default first, connected before the shorter /16 via the gateway',
      got: renderPodRoutes(f, 'c1', 'eth0', 4),
      want: [
        'default via 10.244.0.1 dev eth0 ',
        '10.244.0.0/24 dev eth0 proto kernel scope link src 10.244.0.2 ',
        '10.244.0.0/16 via 10.244.0.1 dev eth0 ',
        '',
      ].join('\n'),
    },
    {
      name: 'pod1 IPv6',
      got: renderPodRoutes(f, 'c1', 'eth0', 6),
      want: [
        'default via fd00:10:244::1 dev eth0 metric 1024 pref medium',
        'fd00:10:244::/64 dev eth0 proto kernel metric 256 pref medium',
        'fe80::/64 dev eth0 proto kernel metric 256 pref medium',
        '',
      ].join('\n'),
    },
  ];
  for (const c of cases) t.equal(c.got, c.want, c.name);
});

t.test('lookup: address -> pod or node', async (t) => {
  const f = twoNodes();
  const cases: { ip: string; want: string }[] = [
    { ip: '10.244.0.2', want: 'pod c1/eth0 on node-a' },
    { ip: '10.244.0.3', want: 'pod c2/eth0 on node-a' },
    { ip: 'fd00:10:244::2', want: 'pod c1/eth0 on node-a' },
    { ip: 'FD00:10:244:0:0:0:0:2', want: 'pod c1/eth0 on node-a' },
    { ip: '10.244.0.1', want: 'node node-a cni0' },
    { ip: '10.244.1.1', want: 'node node-b cni0' },
    { ip: '192.168.49.3', want: 'node node-b eth0' },
    { ip: '::ffff:192.168.49.3', want: 'node node-b eth0' },
    { ip: '10.244.0.9', want: 'none' },
    { ip: 'not-an-ip', want: 'none' },
  ];
  for (const c of cases) {
    const e = f.lookup(c.ip);
    const got =
      e === undefined
        ? 'none'
        : e.kind === 'pod'
          ? `pod ${e.attachment.containerID}/${e.attachment.ifname} on ${e.node.name}`
          : `node ${e.node.name} ${e.interface}`;
    t.equal(got, c.want, c.ip);
  }
  const routeCases: { node: string; ip: string; want: string }[] = [
    { node: 'node-a', ip: '10.244.1.7', want: '10.244.1.0/24 via 192.168.49.3 dev eth0' },
    { node: 'node-a', ip: '10.244.0.3', want: '10.244.0.0/24 dev cni0' },
    { node: 'node-b', ip: 'fd00:10:244::2', want: 'fd00:10:244::/64 via fd00:49::2 dev eth0' },
    { node: 'node-a', ip: '8.8.8.8', want: 'unreachable' },
  ];
  for (const c of routeCases) {
    const r = f.routeGet(c.node, c.ip);
    t.equal(
      r === undefined ? 'unreachable' : `${r.dst}${r.via ? ` via ${r.via}` : ''} dev ${r.dev}`,
      c.want,
      `${c.node} -> ${c.ip}`,
    );
  }
});

t.test('detach frees the addresses; state survives a JSON round trip', async (t) => {
  const f = twoNodes();
  const copy = Fabric.fromJSON(JSON.parse(JSON.stringify(f)));
  t.equal(JSON.stringify(copy), JSON.stringify(f), 'round trip');
  t.equal(copy.lookup('10.244.0.3')?.kind, 'pod');
  t.equal(copy.detach('c2', 'eth0')?.containerID, 'c2');
  t.equal(copy.detach('c2', 'eth0'), undefined, 'second detach finds nothing');
  t.equal(copy.lookup('10.244.0.3'), undefined);
  t.same(copy.sandboxes(), ['/run/netns/pod1']);
  // The veth index is never reused, as in the kernel.
  const again = copy.attach('node-a', {
    network: 'cbr0',
    containerID: 'c3',
    ifname: 'eth0',
    netns: '/run/netns/pod3',
    ips: [{ address: '10.244.0.3/24', gateway: '10.244.0.1' }],
  });
  t.equal(again.hostVeth.ifindex, 6);
});

t.test('errors name the object and the field', async (t) => {
  const cases: { name: string; run: (f: Fabric) => unknown; code: string; message: string }[] = [
    {
      name: 'duplicate node',
      run: (f) => f.addNode({ name: 'node-a', nodeIPs: [], podCIDRs: [] }),
      code: 'NETLAB_CNI_FABRIC_DUPLICATE_NODE',
      message: 'node node-a: already in the fabric',
    },
    {
      name: 'overlapping podCIDR',
      run: (f) => f.addNode({ name: 'node-c', nodeIPs: [], podCIDRs: ['10.244.0.0/16'] }),
      code: 'NETLAB_CNI_FABRIC_OVERLAP',
      message: "node node-c: podCIDR 10.244.0.0/16 overlaps node node-a's 10.244.0.0/24",
    },
    {
      name: "podCIDR inside another node's (IPv6)",
      run: (f) => f.addNode({ name: 'node-c', nodeIPs: [], podCIDRs: ['fd00:10:244:1::/80'] }),
      code: 'NETLAB_CNI_FABRIC_OVERLAP',
      message: "node node-c: podCIDR fd00:10:244:1::/80 overlaps node node-b's fd00:10:244:1::/64",
    },
    {
      name: "a node's own podCIDRs overlapping",
      run: (f) => f.addNode({ name: 'node-c', nodeIPs: [], podCIDRs: ['10.244.2.0/24', '10.244.2.128/25'] }),
      code: 'NETLAB_CNI_FABRIC_OVERLAP',
      message: 'node node-c: podCIDRs[1] 10.244.2.128/25 overlaps podCIDRs[0] 10.244.2.0/24',
    },
    {
      name: 'podCIDR with host bits',
      run: (f) => f.addNode({ name: 'node-c', nodeIPs: [], podCIDRs: ['10.244.2.5/24'] }),
      code: 'NETLAB_CNI_FABRIC_BAD_ADDRESS',
      message: 'node node-c: podCIDRs[0]: 10.244.2.5/24 has host bits set; the network is 10.244.2.0/24',
    },
    {
      name: 'bad node IP',
      run: (f) => f.addNode({ name: 'node-c', nodeIPs: ['10.0.0.300'], podCIDRs: [] }),
      code: 'NETLAB_CNI_FABRIC_BAD_ADDRESS',
      message: 'node node-c: nodeIPs[0]: invalid CIDR address: 10.0.0.300',
    },
    {
      name: 'node IP in use',
      run: (f) => f.addNode({ name: 'node-c', nodeIPs: ['192.168.49.2'], podCIDRs: [] }),
      code: 'NETLAB_CNI_FABRIC_ADDRESS_IN_USE',
      message: 'node node-c: nodeIPs: 192.168.49.2 is already held by node node-a (eth0)',
    },
    {
      name: 'same ifname in one netns (the bridge plugin text)',
      run: (f) =>
        f.attach('node-a', {
          network: 'cbr0',
          containerID: 'c9',
          ifname: 'eth0',
          netns: '/run/netns/pod1',
          ips: [],
        }),
      code: 'NETLAB_CNI_FABRIC_INTERFACE_EXISTS',
      message: 'container veth name provided (eth0) already exists',
    },
    {
      name: 'pod address in use',
      run: (f) =>
        f.attach('node-b', {
          network: 'cbr0',
          containerID: 'c9',
          ifname: 'eth0',
          netns: '/run/netns/pod9',
          ips: [{ address: '10.244.0.2/24' }],
        }),
      code: 'NETLAB_CNI_FABRIC_ADDRESS_IN_USE',
      message: 'ips[0].address: 10.244.0.2 is already held by container c1 (eth0) on node node-a',
    },
    {
      name: 'unknown node',
      run: (f) => f.routes('node-z', 4),
      code: 'NETLAB_CNI_FABRIC_UNKNOWN_NODE',
      message: 'node node-z: not in the fabric',
    },
  ];
  for (const c of cases) {
    const f = twoNodes();
    try {
      c.run(f);
      t.fail(`${c.name}: no error`);
    } catch (e) {
      t.ok(e instanceof FabricError, c.name);
      t.match(e, { code: c.code, message: c.message }, c.name);
    }
  }
});

t.test('FileFabricStore: updates from many writers all land; a dead writer’s lock is broken', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'netlab-fabric-store-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const store = new FileFabricStore(join(dir, 'flat'));
  t.equal(await store.read((f) => f.nodes().length), 0, 'no file: an empty fabric');
  await store.update((f) =>
    f.addNode({ name: 'node-a', nodeIPs: ['192.168.49.2'], podCIDRs: ['10.244.0.0/24'] }),
  );
  // Twenty writers at once, each through its own store object (as separate processes would be).
  await Promise.all(
    Array.from({ length: 20 }, (_, i) =>
      new FileFabricStore(join(dir, 'flat')).update((f) =>
        f.attach('node-a', {
          network: 'pods',
          containerID: `c${i}`,
          ifname: 'eth0',
          netns: `/run/netns/c${i}`,
          ips: [{ address: `10.244.0.${i + 2}/24`, gateway: '10.244.0.1' }],
        }),
      ),
    ),
  );
  t.equal(await store.read((f) => f.attachments().length), 20, 'every attachment kept');
  t.same(readdirSync(join(dir, 'flat')), ['fabric.json'], 'no lock or temporary file left');
  // A lock left by a process that is gone (pid 2^22 + 1 is above Linux's pid_max) does not block.
  writeFileSync(join(dir, 'flat', 'fabric.lock'), '4194305\n');
  await store.update((f) => f.detach('c0', 'eth0'));
  t.equal(await store.read((f) => f.attachment('c0', 'eth0')), undefined);
  writeFileSync(join(dir, 'flat', 'fabric.json'), '{"kind":"other"}');
  await t.rejects(
    store.read((f) => f),
    {
      code: 'NETLAB_CNI_FABRIC_STATE',
      message: `${join(dir, 'flat', 'fabric.json')}: fabric state: kind: expected "netlabFabricV1"`,
    },
  );
});

t.test(
  'ip route get on a node (texts as the kernel printed them for the same node under unshare)',
  async (t) => {
    const f = twoNodes();
    const cases: { ip: string; want: string }[] = [
      {
        ip: '10.244.1.7',
        want: '10.244.1.7 via 192.168.49.3 dev eth0 src 192.168.49.2 uid 0 \n    cache \n',
      },
      { ip: '10.244.0.3', want: '10.244.0.3 dev cni0 src 10.244.0.1 uid 0 \n    cache \n' },
      { ip: '192.168.49.3', want: '192.168.49.3 dev eth0 src 192.168.49.2 uid 0 \n    cache \n' },
      { ip: '192.168.49.2', want: 'local 192.168.49.2 dev lo src 192.168.49.2 uid 0 \n    cache <local> \n' },
      { ip: '10.244.0.1', want: 'local 10.244.0.1 dev lo src 10.244.0.1 uid 0 \n    cache <local> \n' },
      { ip: '8.8.8.8', want: 'RTNETLINK answers: Network is unreachable\n' },
      {
        ip: 'fd00:10:244:1::7',
        want: 'fd00:10:244:1::7 from :: via fd00:49::3 dev eth0 src fd00:49::2 metric 1024 pref medium\n',
      },
      {
        ip: 'fd00:10:244::3',
        want: 'fd00:10:244::3 from :: dev cni0 proto kernel src fd00:10:244::1 metric 256 pref medium\n',
      },
      {
        ip: 'fd00:49::2',
        want: 'local fd00:49::2 from :: dev lo table local proto kernel src fd00:49::2 metric 0 pref medium\n',
      },
    ];
    for (const c of cases) t.equal(renderRouteGet(f, 'node-a', c.ip), c.want, c.ip);
  },
);

t.test('a copy that applies the changes another fabric reports holds the same state', async (t) => {
  // Each step changes the origin; the copy only ever sees the changes, structured-cloned as a
  // worker's message carries them. After every step both print the same state and addr text.
  const changes: FabricChange[] = [];
  const origin = new Fabric({ onChange: (c) => changes.push(c) });
  const copy = new Fabric();
  const steps: { name: string; run: (f: Fabric) => unknown; ops: string }[] = [
    {
      name: 'a node',
      run: (f) => f.addNode({ name: 'node-a', nodeIPs: ['192.168.49.2'], podCIDRs: ['10.244.0.0/24'] }),
      ops: 'addNode',
    },
    {
      name: 'a second node',
      run: (f) => f.addNode({ name: 'node-b', nodeIPs: ['192.168.49.3'], podCIDRs: ['10.244.1.0/24'] }),
      ops: 'addNode',
    },
    {
      name: 'a pod with a gateway new to the bridge',
      run: (f) =>
        f.attach('node-a', {
          network: 'pods',
          containerID: 'c1',
          ifname: 'eth0',
          netns: '/run/netns/p1',
          ips: [{ address: '10.244.0.2/24', gateway: '10.244.0.254' }],
          routes: [{ dst: '0.0.0.0/0' }],
        }),
      ops: 'attach',
    },
    { name: 'its loopback up', run: (f) => f.setLoopback('/run/netns/p1', true), ops: 'loopback' },
    {
      name: 'a second interface in the same netns',
      run: (f) =>
        f.attach('node-a', {
          network: 'pods',
          containerID: 'c1',
          ifname: 'net1',
          netns: '/run/netns/p1',
          ips: [{ address: '10.244.0.3/24' }],
        }),
      ops: 'attach',
    },
    {
      name: 'a pod on the other node',
      run: (f) =>
        f.attach('node-b', {
          network: 'pods',
          containerID: 'c2',
          ifname: 'eth0',
          netns: '/run/netns/p2',
          ips: [{ address: '10.244.1.2/24', gateway: '10.244.1.1' }],
        }),
      ops: 'attach',
    },
    { name: 'the first interface gone', run: (f) => f.detach('c1', 'eth0'), ops: 'detach' },
    { name: 'a detach of nothing changes nothing', run: (f) => f.detach('c9', 'eth0'), ops: '' },
    { name: 'loopback down', run: (f) => f.setLoopback('/run/netns/p1', false), ops: 'loopback' },
    { name: 'a node and its pods gone', run: (f) => f.removeNode('node-b'), ops: 'detach removeNode' },
  ];
  for (const step of steps) {
    step.run(origin);
    const sent = structuredClone(changes.splice(0));
    t.equal(sent.map((c) => c.op).join(' '), step.ops, `${step.name}: the changes reported`);
    for (const c of sent) copy.apply(c);
    t.equal(JSON.stringify(copy), JSON.stringify(origin), `${step.name}: the same state`);
    for (const node of origin.nodes())
      t.equal(
        renderNodeAddrBrief(copy, node.name),
        renderNodeAddrBrief(origin, node.name),
        `${step.name}: ${node.name}`,
      );
  }
  t.equal(copy.lookup('10.244.0.3')?.kind, 'pod', 'the copy finds the pod by address');
  t.equal(copy.lookup('10.244.0.2'), undefined, 'and not the one detached');
  // The copy hands out what the origin would next: the veth index is never reused.
  const next = { network: 'pods', containerID: 'c3', ifname: 'eth0', netns: '/run/netns/p3', ips: [] };
  t.equal(copy.attach('node-a', next).hostVeth.ifindex, origin.attach('node-a', next).hostVeth.ifindex);
  copy.apply({
    op: 'addNode',
    spec: { name: 'node-a', nodeIPs: ['192.168.49.2'], podCIDRs: ['10.244.0.0/24'] },
  });
  t.equal(copy.nodes().length, 1, 'a node already there is kept, not an error');
});

t.test('a node added is checked against every podCIDR held, a removed node frees its own', async (t) => {
  // Each row adds (+) or removes (-) a node; the outcome is what addNode answers.
  const rows: [string, string[]][] = [
    ['+n1', ['10.244.0.0/24']],
    ['+n2', ['10.244.2.0/24', 'fd00:10:244:2::/64']],
    ['+n3', ['10.244.1.0/24']],
    ['+x1', ['10.244.0.0/23']],
    ['+x2', ['10.244.2.128/25']],
    ['+x3', ['10.0.0.0/8']],
    ['+x4', ['fd00:10:244::/48']],
    ['+n4', ['10.244.3.0/24', 'fd00:10:244:3::/64']],
    ['-n3', []],
    ['+n5', ['10.244.1.0/24']],
    ['-n2', []],
    ['+n6', ['10.244.2.0/23']],
    ['+n7', ['10.244.2.0/24']],
  ];
  const f = new Fabric();
  const out: string[] = [];
  for (const [op, cidrs] of rows) {
    const name = op.slice(1);
    if (op[0] === '-') {
      out.push(`${op}: ${f.removeNode(name)}`);
      continue;
    }
    try {
      f.addNode({ name, nodeIPs: [], podCIDRs: cidrs });
      out.push(`${op}: ok`);
    } catch (e) {
      out.push(`${op}: ${(e as Error).message}`);
    }
  }
  t.equal(
    out.join('\n'),
    [
      '+n1: ok',
      '+n2: ok',
      '+n3: ok',
      "+x1: node x1: podCIDR 10.244.0.0/23 overlaps node n1's 10.244.0.0/24",
      "+x2: node x2: podCIDR 10.244.2.128/25 overlaps node n2's 10.244.2.0/24",
      "+x3: node x3: podCIDR 10.0.0.0/8 overlaps node n1's 10.244.0.0/24",
      "+x4: node x4: podCIDR fd00:10:244::/48 overlaps node n2's fd00:10:244:2::/64",
      '+n4: ok',
      '-n3: true',
      '+n5: ok',
      '-n2: true',
      "+n6: node n6: podCIDR 10.244.2.0/23 overlaps node n4's 10.244.3.0/24",
      '+n7: ok',
    ].join('\n'),
  );
});

t.test(
  "a node's attachments are its own, in the order they came, through detach and removeNode",
  async (t) => {
    const f = twoNodes();
    const attach = (node: string, id: string, ip: string) =>
      f.attach(node, {
        network: 'cbr0',
        containerID: id,
        ifname: 'eth0',
        netns: `/run/netns/${id}`,
        ips: [{ address: ip }],
      });
    attach('node-b', 'b1', '10.244.1.11/24');
    attach('node-a', 'a9', '10.244.0.9/24');
    attach('node-b', 'b2', '10.244.1.12/24');
    attach('node-b', 'b3', '10.244.1.13/24');
    const ids = (node?: string) =>
      f
        .attachments(node)
        .map((a) => a.containerID)
        .join(' ');
    const rows: string[] = [];
    const show = (what: string) =>
      rows.push(`${what}: a [${ids('node-a')}] b [${ids('node-b')}] all [${ids()}]`);
    show('attached');
    f.detach('b2', 'eth0');
    show('b2 detached');
    attach('node-b', 'b2', '10.244.1.12/24');
    show('b2 again');
    f.removeNode('node-b');
    show('node-b removed');
    t.equal(
      rows.join('\n'),
      [
        'attached: a [c1 c2 a9] b [b1 b2 b3] all [c1 c2 b1 a9 b2 b3]',
        'b2 detached: a [c1 c2 a9] b [b1 b3] all [c1 c2 b1 a9 b3]',
        'b2 again: a [c1 c2 a9] b [b1 b3 b2] all [c1 c2 b1 a9 b3 b2]',
        'node-b removed: a [c1 c2 a9] b [] all [c1 c2 a9]',
      ].join('\n'),
    );
  },
);
