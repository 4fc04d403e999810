import t from 'tap';
import type { EndpointSlice, Service } from '../../api/index.js';
import { parseManifests } from '../../api/manifest.js';
import { ConntrackTable, linuxDefaultTimeouts } from '../../proxy/conntrack/conntrack.js';
import { newKernelState, Proxier, RuleTable } from '../../proxy/index.js';
import { ConntrackInputError } from '../../proxy/ruletable/errors.js';
import { simulatePacket } from '../../proxy/tracer/kernel.js';
import { seededUint32 } from '../../std/index.js';

function clock() {
  const c = { ms: 1_000_000, now: () => c.ms };
  return c;
}

const tcp = { proto: 'tcp' as const, src: '10.0.0.2', sport: 40000, dst: '172.30.0.41', dport: 80 };
const udp = { proto: 'udp' as const, src: '10.0.0.2', sport: 5353, dst: '172.30.0.10', dport: 53 };

t.test('TCP: states, Linux timeouts and conntrack -L lines', async (t) => {
  const c = clock();
  const ct = new ConntrackTable(c.now);
  const e = ct.create(tcp, { dnat: { ip: '10.180.0.1', port: 80 } });
  const steps: {
    dir: 'original' | 'reply';
    flags: { syn?: boolean; ack?: boolean; fin?: boolean; rst?: boolean };
    line: string;
  }[] = [
    {
      dir: 'reply',
      flags: { syn: true, ack: true },
      line: 'tcp      6 60 SYN_RECV src=10.0.0.2 dst=172.30.0.41 sport=40000 dport=80 src=10.180.0.1 dst=10.0.0.2 sport=80 dport=40000 mark=0 use=1',
    },
    {
      dir: 'original',
      flags: { ack: true },
      line: 'tcp      6 432000 ESTABLISHED src=10.0.0.2 dst=172.30.0.41 sport=40000 dport=80 src=10.180.0.1 dst=10.0.0.2 sport=80 dport=40000 [ASSURED] mark=0 use=1',
    },
    {
      dir: 'original',
      flags: { fin: true, ack: true },
      line: 'tcp      6 120 FIN_WAIT src=10.0.0.2 dst=172.30.0.41 sport=40000 dport=80 src=10.180.0.1 dst=10.0.0.2 sport=80 dport=40000 [ASSURED] mark=0 use=1',
    },
    {
      dir: 'reply',
      flags: { ack: true },
      line: 'tcp      6 60 CLOSE_WAIT src=10.0.0.2 dst=172.30.0.41 sport=40000 dport=80 src=10.180.0.1 dst=10.0.0.2 sport=80 dport=40000 [ASSURED] mark=0 use=1',
    },
    {
      dir: 'reply',
      flags: { fin: true, ack: true },
      line: 'tcp      6 30 LAST_ACK src=10.0.0.2 dst=172.30.0.41 sport=40000 dport=80 src=10.180.0.1 dst=10.0.0.2 sport=80 dport=40000 [ASSURED] mark=0 use=1',
    },
    {
      dir: 'original',
      flags: { ack: true },
      line: 'tcp      6 120 TIME_WAIT src=10.0.0.2 dst=172.30.0.41 sport=40000 dport=80 src=10.180.0.1 dst=10.0.0.2 sport=80 dport=40000 [ASSURED] mark=0 use=1',
    },
  ];
  t.equal(
    ct.list(),
    'tcp      6 120 SYN_SENT src=10.0.0.2 dst=172.30.0.41 sport=40000 dport=80 [UNREPLIED] src=10.180.0.1 dst=10.0.0.2 sport=80 dport=40000 mark=0 use=1\n',
  );
  for (const s of steps) {
    ct.seen(e, s.dir, s.flags);
    t.equal(ct.list(), `${s.line}\n`, s.line.split(' ').slice(0, 10).join(' ').replace(/ +/g, ' '));
  }
  c.ms += 119_000;
  t.equal(ct.list().split(/\s+/)[2], '1', 'the timeout counts down');
  c.ms += 1_000;
  t.equal(ct.lookup(tcp), undefined, 'and the entry is gone when it runs out');
  t.equal(ct.size, 0);
  t.equal(ct.summary(), 'conntrack v1.4.7 (conntrack-tools): 0 flow entries have been shown.');
});

t.test('TCP: established connections live 432000 s; RST closes', async (t) => {
  const c = clock();
  const ct = new ConntrackTable(c.now);
  const e = ct.create(tcp);
  ct.seen(e, 'reply', { syn: true, ack: true });
  ct.seen(e, 'original', { ack: true });
  c.ms += 431_999_000;
  t.ok(ct.lookup(tcp), 'alive after 431999 s');
  c.ms += 1_000;
  t.equal(ct.lookup(tcp), undefined, 'gone at 432000 s');
  const e2 = ct.create(tcp);
  ct.seen(e2, 'reply', { rst: true });
  t.equal(e2.state, 'CLOSE');
  t.equal(ct.remaining(e2), 10);
});

t.test('lookup by either tuple; masquerade shows in the reply tuple', async (t) => {
  const c = clock();
  const ct = new ConntrackTable(c.now);
  ct.create(
    { proto: 'tcp', src: '203.0.113.5', sport: 5000, dst: '192.168.0.2', dport: 30080 },
    { dnat: { ip: '10.180.0.4', port: 80 }, snat: { ip: '192.168.0.2', port: 5000 }, mark: 0x4000 },
  );
  const orig = ct.lookup({ proto: 'tcp', src: '203.0.113.5', sport: 5000, dst: '192.168.0.2', dport: 30080 });
  t.equal(orig?.direction, 'original');
  const reply = ct.lookup({ proto: 'tcp', src: '10.180.0.4', sport: 80, dst: '192.168.0.2', dport: 5000 });
  t.equal(reply?.direction, 'reply');
  t.equal(reply?.entry, orig?.entry);
  t.equal(
    ct.list(),
    'tcp      6 120 SYN_SENT src=203.0.113.5 dst=192.168.0.2 sport=5000 dport=30080 [UNREPLIED] src=10.180.0.4 dst=192.168.0.2 sport=80 dport=5000 mark=16384 use=1\n',
  );
});

t.test('UDP: 30 s unreplied, then a stream of 120 s once assured', async (t) => {
  const c = clock();
  const ct = new ConntrackTable(c.now);
  const e = ct.create(udp, { dnat: { ip: '10.180.0.10', port: 53 } });
  t.equal(
    ct.list(),
    'udp      17 30 src=10.0.0.2 dst=172.30.0.10 sport=5353 dport=53 [UNREPLIED] src=10.180.0.10 dst=10.0.0.2 sport=53 dport=5353 mark=0 use=1\n',
  );
  c.ms += 10_000;
  ct.seen(e, 'reply');
  t.equal(
    ct.list(),
    'udp      17 30 src=10.0.0.2 dst=172.30.0.10 sport=5353 dport=53 src=10.180.0.10 dst=10.0.0.2 sport=53 dport=5353 mark=0 use=1\n',
    'replied, not yet assured',
  );
  c.ms += 3_000;
  ct.seen(e, 'original');
  t.equal(
    ct.list(),
    'udp      17 120 src=10.0.0.2 dst=172.30.0.10 sport=5353 dport=53 src=10.180.0.10 dst=10.0.0.2 sport=53 dport=5353 [ASSURED] mark=0 use=1\n',
  );
  c.ms += 120_000;
  t.equal(ct.entries().length, 0, 'expired');
  ct.create(udp);
  c.ms += 30_000;
  t.equal(ct.expire(), 1, 'an unreplied flow goes after 30 s');
});

t.test('SCTP', async (t) => {
  const c = clock();
  const ct = new ConntrackTable(c.now);
  const e = ct.create({ proto: 'sctp', src: '10.0.0.2', sport: 7000, dst: '172.30.0.25', dport: 9999 });
  t.equal(e.state, 'COOKIE_WAIT');
  t.equal(ct.remaining(e), 3);
  ct.seen(e, 'reply');
  t.equal(e.state, 'ESTABLISHED');
  t.equal(ct.remaining(e), 210);
});

t.test('bad tuples are refused', async (t) => {
  const ct = new ConntrackTable(() => 0);
  t.throws(() => ct.create({ ...tcp, src: 'x' }), ConntrackInputError);
  t.throws(() => ct.create({ ...tcp, dport: 70000 }), /dport 70000 is not a port/);
  t.throws(() => ct.create({ ...tcp, proto: 'icmp' as 'tcp' }), /protocol "icmp"/);
});

t.test("kube-proxy's stale UDP clean-up", async (t) => {
  const c = clock();
  const ct = new ConntrackTable(c.now);
  const mk = (src: string, dst: string, dport: number, to?: string, proto: 'udp' | 'tcp' = 'udp') =>
    ct.create(
      { proto, src, sport: 1000, dst, dport },
      to === undefined ? {} : { dnat: { ip: to.split(':')[0]!, port: Number(to.split(':')[1]) } },
    );
  mk('10.0.0.2', '172.30.0.10', 53, '10.180.0.10:53'); // endpoint still there: kept
  mk('10.0.0.3', '172.30.0.10', 53, '10.180.0.11:53'); // endpoint gone: deleted
  mk('10.0.0.4', '172.30.0.10', 53); // met REJECT before there were endpoints: deleted now there are some
  mk('203.0.113.5', '192.168.0.2', 30053, '10.180.0.11:53'); // NodePort to the gone endpoint: deleted
  mk('203.0.113.6', '192.168.99.9', 30053, '10.180.0.11:53'); // not a local IP: not a NodePort flow, kept
  mk('10.0.0.5', '172.30.0.10', 53, '10.180.0.11:53', 'tcp'); // TCP: never touched
  mk('10.0.0.6', '172.30.0.99', 53, '10.180.0.11:53'); // another service: kept
  const gone = ct.cleanStaleUDP(
    [{ ips: ['172.30.0.10'], port: 53, nodePort: 30053, endpoints: ['10.180.0.10:53'] }],
    ['192.168.0.2'],
  );
  t.same(
    gone.map((e) => `${e.original.src}->${e.original.dst}:${e.original.dport}`),
    ['10.0.0.3->172.30.0.10:53', '10.0.0.4->172.30.0.10:53', '203.0.113.5->192.168.0.2:30053'],
  );
  t.same(
    ct.entries().map((e) => e.original.src),
    ['10.0.0.2', '203.0.113.6', '10.0.0.5', '10.0.0.6'],
  );
  const filters: { filter: Parameters<ConntrackTable['list']>[0]; srcs: string[] }[] = [
    { filter: { proto: 'tcp' }, srcs: ['10.0.0.5'] },
    { filter: { proto: 'udp', dst: '172.30.0.10' }, srcs: ['10.0.0.2'] },
    { filter: { replySrc: '10.180.0.11' }, srcs: ['203.0.113.6', '10.0.0.5', '10.0.0.6'] },
    { filter: { dport: 30053 }, srcs: ['203.0.113.6'] },
    { filter: { src: '10.0.0.9' }, srcs: [] },
  ];
  for (const f of filters) {
    const srcs = ct
      .list(f.filter)
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => /src=(\S+)/.exec(l)![1]);
    t.same(srcs, f.srcs, `conntrack -L ${JSON.stringify(f.filter)}`);
    t.equal(
      ct.summary(f.filter),
      `conntrack v1.4.7 (conntrack-tools): ${f.srcs.length} flow entries have been shown.`,
      'the summary counts what was shown',
    );
  }
});

// A UDP client that keeps its source port keeps hitting a removed endpoint until its entry expires
// (kubernetes/kubernetes#125467); the clean-up kube-proxy runs after a sync sends it to a live one.
t.test('stale UDP: the kernel follows conntrack to a dead endpoint until the clean-up', async (t) => {
  const objects = (eps: string[]) =>
    parseManifests(
      `apiVersion: v1
kind: Service
metadata: {name: dns, namespace: kube-system}
spec: {clusterIP: 172.30.0.10, ports: [{name: dns, port: 53, protocol: UDP}]}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: dns-1, namespace: kube-system, labels: {kubernetes.io/service-name: dns}}
addressType: IPv4
ports: [{name: dns, port: 53, protocol: UDP}]
endpoints: [${eps.map((e) => `{addresses: [${e}]}`).join(', ')}]
`,
      'dns.yaml',
    ).map((o) => o.object);
  const proxier = new Proxier({
    nodeName: 'node-a',
    nodeIPs: ['192.168.0.2'],
    clusterCIDRs: ['10.0.0.0/8'],
    minSyncPeriod: 0,
  });
  const before = objects(['10.180.0.10', '10.180.0.11']);
  proxier.onServiceAdd(before[0] as Service);
  proxier.onEndpointSliceAdd(before[1] as EndpointSlice);
  proxier.markSynced();
  let rules = RuleTable.parse(proxier.syncProxyRules().payload);
  const c = clock();
  const ct = new ConntrackTable(c.now);
  const state = newKernelState(seededUint32(11), () => c.ms / 1000, ct);
  const nodeIPs = ['192.168.0.2'];
  // Find a client port whose first packet lands on 10.180.0.11, the endpoint about to go.
  let packet = {
    sourceIP: '10.0.0.2',
    sourcePort: 0,
    protocol: 'udp' as const,
    destIP: '172.30.0.10',
    destPort: 53,
  };
  for (let port = 10000; ; port++) {
    packet = { ...packet, sourcePort: port };
    if (simulatePacket(rules, packet, state, { nodeIPs }).endpoint === '10.180.0.11:53') break;
  }
  const after = objects(['10.180.0.10']);
  proxier.onEndpointSliceUpdate(before[1] as EndpointSlice, after[1] as EndpointSlice);
  // minSyncPeriod 0: the update synced at once.
  t.equal(proxier.lastSync?.conntrackCleanupRequired, true, 'the sync says a UDP endpoint went away');
  rules = RuleTable.parse(proxier.fullPayload());
  c.ms += 5_000;
  const stale = simulatePacket(rules, packet, state, { nodeIPs });
  t.same(
    [stale.conntrack, stale.endpoint],
    ['ESTABLISHED', '10.180.0.11:53'],
    'the entry still points at the removed endpoint',
  );
  const removed = ct.cleanStaleUDP(proxier.udpServicePorts(), nodeIPs);
  t.ok(
    removed.some((e) => e.original.sport === packet.sourcePort),
    'the clean-up removes it',
  );
  const fresh = simulatePacket(rules, packet, state, { nodeIPs });
  t.same([fresh.conntrack, fresh.endpoint], ['NEW', '10.180.0.10:53'], 'the next packet is balanced again');
});

t.test('nf_conntrack_max: the oldest closed entry goes first, then the oldest unassured one', async (t) => {
  let now = 0;
  const ct = new ConntrackTable(() => now, linuxDefaultTimeouts, 3);
  const tuple = (sport: number) => ({
    proto: 'tcp' as const,
    src: '10.0.0.1',
    sport,
    dst: '10.0.0.2',
    dport: 80,
  });
  const a = ct.create(tuple(1));
  const b = ct.create(tuple(2));
  const c = ct.create(tuple(3));
  ct.closeTcp(b);
  ct.closeTcp(a, true);
  ct.create(tuple(4));
  t.same(
    ct.entries().map((e) => `${e.original.sport} ${e.state}`),
    ['1 CLOSE', '3 SYN_SENT', '4 SYN_SENT'],
    'b closed first: evicted first',
  );
  ct.create(tuple(5));
  t.same(
    ct.entries().map((e) => e.original.sport),
    [3, 4, 5],
    'then a',
  );
  ct.create(tuple(6));
  t.same(
    ct.entries().map((e) => e.original.sport),
    [4, 5, 6],
    'no closed entry left: the oldest unassured (c)',
  );
  t.equal(ct.lookup(tuple(3)), undefined);
  t.ok(c);
  // Closed entries are reaped in closing order once expired, as new entries arrive.
  ct.closeTcp(ct.lookup(tuple(4))!.entry);
  now += 121_000;
  ct.create(tuple(7));
  t.same(
    ct.entries().map((e) => e.original.sport),
    [7],
    'every entry expired; the TIME_WAIT one was reaped',
  );
});
