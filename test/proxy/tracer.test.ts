import t from 'tap';
import { ConntrackTable } from '../../proxy/conntrack/conntrack.js';
import { newKernelState, RuleTable, TraceInputError, tracePacket } from '../../proxy/index.js';
import { simulatePacket } from '../../proxy/tracer/kernel.js';
import { seededUint32 } from '../../std/index.js';
import { fixtureARules, testNodeIPs as nodeIPs, tracePacketRules } from './fixtures/index.js';

const rules = RuleTable.parse(tracePacketRules);

t.test('TestTracePacket (kube-proxy proxier_test.go)', async (t) => {
  const cases: {
    name: string;
    sourceIP: string;
    destIP: string;
    destPort: number;
    output: string;
    masq: boolean;
  }[] = [
    { name: 'no match', sourceIP: '10.0.0.2', destIP: '10.0.0.3', destPort: 80, output: '', masq: false },
    {
      name: 'single endpoint',
      sourceIP: '10.0.0.2',
      destIP: '172.30.0.41',
      destPort: 80,
      output: '10.180.0.1:80',
      masq: false,
    },
    {
      name: 'multiple endpoints',
      sourceIP: '10.0.0.2',
      destIP: '172.30.0.44',
      destPort: 80,
      output: '10.180.0.4:80, 10.180.0.5:80',
      masq: false,
    },
    {
      name: 'LOCAL, KUBE-MARK-MASQ',
      sourceIP: '192.168.0.2',
      destIP: '192.168.99.22',
      destPort: 80,
      output: '10.180.0.2:80',
      masq: true,
    },
    {
      name: 'DROP',
      sourceIP: '203.0.113.2',
      destIP: '192.168.99.22',
      destPort: 80,
      output: 'DROP',
      masq: false,
    },
    {
      name: 'ACCEPT (NodePortHealthCheck)',
      sourceIP: '192.168.0.2',
      destIP: '192.168.0.2',
      destPort: 30000,
      output: 'ACCEPT',
      masq: false,
    },
    {
      name: 'REJECT',
      sourceIP: '10.0.0.2',
      destIP: '172.30.0.46',
      destPort: 80,
      output: 'REJECT',
      masq: false,
    },
  ];
  for (const c of cases) {
    const r = tracePacket(
      rules,
      { sourceIP: c.sourceIP, protocol: 'tcp', destIP: c.destIP, destPort: c.destPort },
      { nodeIPs },
    );
    t.equal(r.output, c.output, `${c.name}: output`);
    t.equal(r.masquerade, c.masq, `${c.name}: masq`);
  }
});

t.test('the matched rules are listed in walk order', async (t) => {
  const r = tracePacket(rules, { sourceIP: '10.0.0.2', destIP: '172.30.0.44', destPort: 80 }, { nodeIPs });
  t.same(r.rules, [
    '-A PREROUTING -m comment --comment kubernetes service portals -j KUBE-SERVICES',
    '-A KUBE-SERVICES -m comment --comment "ns4/svc4:p80 cluster IP" -m tcp -p tcp -d 172.30.0.44 --dport 80 -j KUBE-SVC-4SW47YFZTEDKD3PK',
    '-A KUBE-SVC-4SW47YFZTEDKD3PK -m comment --comment "ns4/svc4:p80 -> 10.180.0.4:80" -m statistic --mode random --probability 0.5000000000 -j KUBE-SEP-UKSFD7AGPMPPLUHC',
    '-A KUBE-SEP-UKSFD7AGPMPPLUHC -m comment --comment ns4/svc4:p80 -m tcp -p tcp -j DNAT --to-destination 10.180.0.4:80',
    '-A KUBE-SVC-4SW47YFZTEDKD3PK -m comment --comment "ns4/svc4:p80 -> 10.180.0.5:80" -j KUBE-SEP-C6EBXVWJJZMIWKLZ',
    '-A KUBE-SEP-C6EBXVWJJZMIWKLZ -m comment --comment ns4/svc4:p80 -m tcp -p tcp -j DNAT --to-destination 10.180.0.5:80',
  ]);
  t.same(r.endpoints, ['10.180.0.4:80', '10.180.0.5:80']);
  t.same(r.shares, [0.5, 0.5], 'each gets half of the new connections');
  t.equal(r.verdict, 'DNAT');
  t.same(r.matched[0], {
    table: 'nat',
    rule: '-A PREROUTING -m comment --comment kubernetes service portals -j KUBE-SERVICES',
  });
  const local = tracePacket(
    rules,
    { sourceIP: '192.168.0.2', destIP: '172.30.0.41', destPort: 80 },
    { nodeIPs },
  );
  t.equal(
    local.rules[0],
    '-A OUTPUT -m comment --comment kubernetes service portals -j KUBE-SERVICES',
    'a local source starts in nat OUTPUT',
  );
  t.equal(local.masquerade, true, 'and is masqueraded (not from the pod CIDR)');
});

t.test("a bare payload (no built-in chain rules) is walked through kube-proxy's own jumps", async (t) => {
  const bare = RuleTable.parse(fixtureARules);
  const cases: [src: string, first: string][] = [
    ['10.0.0.2', '-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES'],
    ['192.168.0.2', '-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES'],
  ];
  for (const [src, first] of cases) {
    const packet = { sourceIP: src, destIP: '172.30.0.41', destPort: 80 };
    const r = tracePacket(bare, packet, { nodeIPs: ['192.168.0.2'] });
    t.same([r.rules[0], r.output], [first, '10.180.0.1:80'], `possible walk from ${src}`);
    const k = simulatePacket(
      bare,
      packet,
      newKernelState(seededUint32(1), () => 0),
      { nodeIPs: ['192.168.0.2'] },
    );
    t.same([k.matched[0]?.rule, k.endpoint], [first, '10.180.0.1:80'], `kernel walk from ${src}`);
  }
});

t.test('verdicts', async (t) => {
  const cases: { dst: string; port: number; src?: string; verdict: string; endpoints: string[] }[] = [
    { dst: '10.0.0.3', port: 80, verdict: 'ACCEPT', endpoints: [] },
    { dst: '172.30.0.46', port: 80, verdict: 'REJECT', endpoints: [] },
    { dst: '192.168.99.22', port: 80, src: '203.0.113.2', verdict: 'DROP', endpoints: [] },
    { dst: '172.30.0.41', port: 80, verdict: 'DNAT', endpoints: ['10.180.0.1:80'] },
    { dst: '172.30.0.41', port: 81, verdict: 'ACCEPT', endpoints: [] },
  ];
  for (const c of cases) {
    const r = tracePacket(
      rules,
      { sourceIP: c.src ?? '10.0.0.2', destIP: c.dst, destPort: c.port },
      { nodeIPs },
    );
    t.equal(r.verdict, c.verdict, `${c.dst}:${c.port} verdict`);
    t.same(r.endpoints, c.endpoints, `${c.dst}:${c.port} endpoints`);
  }
});

t.test('bad packets are refused with a reason', async (t) => {
  const cases: {
    packet: { sourceIP: string; destIP: string; destPort: number; protocol?: 'tcp' };
    message: RegExp;
  }[] = [
    {
      packet: { sourceIP: 'x', destIP: '1.2.3.4', destPort: 80 },
      message: /source "x" is not an IP address/,
    },
    {
      packet: { sourceIP: '1.2.3.4', destIP: '1.2.3.400', destPort: 80 },
      message: /destination "1.2.3.400"/,
    },
    { packet: { sourceIP: '1.2.3.4', destIP: '1.2.3.4', destPort: 70000 }, message: /port 70000/ },
    { packet: { sourceIP: '1.2.3.4', destIP: '::1', destPort: 80 }, message: /same IP family/ },
    {
      packet: { sourceIP: '1.2.3.4', destIP: '1.2.3.5', destPort: 80, protocol: 'icmp' as 'tcp' },
      message: /protocol "icmp"/,
    },
  ];
  for (const c of cases)
    t.throws(() => tracePacket(rules, c.packet, { nodeIPs }), TraceInputError, String(c.message));
  for (const c of cases) t.throws(() => tracePacket(rules, c.packet, { nodeIPs }), c.message);
});

t.test('kernel mode picks one endpoint with the statistic match and a seeded PRNG', async (t) => {
  const state = newKernelState(seededUint32(42), () => 0);
  const counts = new Map<string, number>();
  for (let i = 0; i < 2000; i++) {
    const r = simulatePacket(rules, { sourceIP: '10.0.0.2', destIP: '172.30.0.44', destPort: 80 }, state, {
      nodeIPs,
    });
    counts.set(`${r.verdict} ${r.endpoint}`, (counts.get(`${r.verdict} ${r.endpoint}`) ?? 0) + 1);
  }
  t.same([...counts.keys()].sort(), ['DNAT 10.180.0.4:80', 'DNAT 10.180.0.5:80']);
  const a = counts.get('DNAT 10.180.0.4:80')!;
  t.ok(a > 900 && a < 1100, `about half go to the first endpoint (${a} of 2000)`);
  // Same seed, same choices.
  const again = (seed: number) => {
    const s = newKernelState(seededUint32(seed), () => 0);
    return Array.from(
      { length: 20 },
      () =>
        simulatePacket(rules, { sourceIP: '10.0.0.2', destIP: '172.30.0.44', destPort: 80 }, s, { nodeIPs })
          .endpoint,
    ).join(' ');
  };
  t.equal(again(7), again(7));
});

t.test('kernel mode: hooks, masquerade, DROP and REJECT', async (t) => {
  const cases: {
    name: string;
    src: string;
    dst: string;
    port: number;
    verdict: string;
    endpoint?: string;
    masq: boolean;
  }[] = [
    {
      name: 'pod to cluster IP',
      src: '10.0.0.2',
      dst: '172.30.0.41',
      port: 80,
      verdict: 'DNAT',
      endpoint: '10.180.0.1:80',
      masq: false,
    },
    {
      name: 'off-cluster source to cluster IP',
      src: '203.0.113.9',
      dst: '172.30.0.41',
      port: 80,
      verdict: 'DNAT',
      endpoint: '10.180.0.1:80',
      masq: true,
    },
    {
      name: 'host to external IP (eTP Local, LOCAL source)',
      src: '192.168.0.2',
      dst: '192.168.99.22',
      port: 80,
      verdict: 'DNAT',
      endpoint: '10.180.0.2:80',
      masq: true,
    },
    {
      name: 'external client, eTP Local, no local endpoints',
      src: '203.0.113.2',
      dst: '192.168.99.22',
      port: 80,
      verdict: 'DROP',
      masq: false,
    },
    { name: 'no endpoints', src: '10.0.0.2', dst: '172.30.0.46', port: 80, verdict: 'REJECT', masq: false },
    {
      name: 'hairpin',
      src: '10.180.0.1',
      dst: '172.30.0.41',
      port: 80,
      verdict: 'DNAT',
      endpoint: '10.180.0.1:80',
      masq: true,
    },
    { name: 'not a service', src: '10.0.0.2', dst: '10.0.0.3', port: 80, verdict: 'ACCEPT', masq: false },
  ];
  for (const c of cases) {
    const r = simulatePacket(
      rules,
      { sourceIP: c.src, destIP: c.dst, destPort: c.port },
      newKernelState(seededUint32(1), () => 0),
      { nodeIPs },
    );
    t.equal(r.verdict, c.verdict, `${c.name}: verdict`);
    t.equal(r.endpoint, c.endpoint, `${c.name}: endpoint`);
    t.equal(r.masquerade, c.masq, `${c.name}: masquerade`);
  }
});

t.test('kernel mode: ClientIP affinity through the recent lists', async (t) => {
  // svc5 has affinity (timeout 10800 s) and one endpoint; give it a second one to see stickiness.
  const text = rules
    .render()
    .replace(
      '-A KUBE-SVC-NUKIZ6OKUXPJNT4C -m comment --comment "ns5/svc5:p80 -> 10.180.0.3:80" -j KUBE-SEP-I77PXRDZVX7PMWMN\n',
      '-A KUBE-SVC-NUKIZ6OKUXPJNT4C -m comment --comment "ns5/svc5:p80 -> 10.180.0.3:80" -m recent --name KUBE-SEP-I77PXRDZVX7PMWMN --rcheck --seconds 10800 --reap -j KUBE-SEP-I77PXRDZVX7PMWMN\n' +
        '-A KUBE-SVC-NUKIZ6OKUXPJNT4C -m comment --comment "ns5/svc5:p80 -> 10.180.0.9:80" -m recent --name KUBE-SEP-ZZZZZZZZZZZZZZZZ --rcheck --seconds 10800 --reap -j KUBE-SEP-ZZZZZZZZZZZZZZZZ\n' +
        '-A KUBE-SVC-NUKIZ6OKUXPJNT4C -m comment --comment "ns5/svc5:p80 -> 10.180.0.3:80" -m statistic --mode random --probability 0.5000000000 -j KUBE-SEP-I77PXRDZVX7PMWMN\n' +
        '-A KUBE-SVC-NUKIZ6OKUXPJNT4C -m comment --comment "ns5/svc5:p80 -> 10.180.0.9:80" -j KUBE-SEP-ZZZZZZZZZZZZZZZZ\n' +
        '-A KUBE-SEP-ZZZZZZZZZZZZZZZZ -m comment --comment ns5/svc5:p80 -m recent --name KUBE-SEP-ZZZZZZZZZZZZZZZZ --set -m tcp -p tcp -j DNAT --to-destination 10.180.0.9:80\n',
    )
    .replace(
      ':KUBE-SVC-NUKIZ6OKUXPJNT4C - [0:0]\n',
      ':KUBE-SVC-NUKIZ6OKUXPJNT4C - [0:0]\n:KUBE-SEP-ZZZZZZZZZZZZZZZZ - [0:0]\n',
    )
    .replace(
      '-A KUBE-SEP-I77PXRDZVX7PMWMN -m comment --comment ns5/svc5:p80 -m tcp -p tcp -j DNAT',
      '-A KUBE-SEP-I77PXRDZVX7PMWMN -m comment --comment ns5/svc5:p80 -m recent --name KUBE-SEP-I77PXRDZVX7PMWMN --set -m tcp -p tcp -j DNAT',
    );
  const sticky = RuleTable.parse(text);
  let now = 1000;
  const state = newKernelState(seededUint32(3), () => now);
  const pick = (src: string) =>
    simulatePacket(sticky, { sourceIP: src, destIP: '172.30.0.45', destPort: 80 }, state, { nodeIPs })
      .endpoint;
  for (const src of ['10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.5']) {
    const first = pick(src);
    const later = Array.from({ length: 10 }, () => pick(src));
    t.same(later, Array(10).fill(first), `${src} sticks to ${first}`);
  }
  const all = new Set(
    ['10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.5', '10.0.0.6', '10.0.0.7', '10.0.0.8', '10.0.0.9'].map(
      pick,
    ),
  );
  t.same([...all].sort(), ['10.180.0.3:80', '10.180.0.9:80'], 'different clients spread over both');
  // After the timeout the client is free again: its first packet is a fresh random choice.
  now += 10801;
  const afterTimeout = new Set(Array.from({ length: 1 }, () => pick('10.0.0.2')));
  t.equal(afterTimeout.size, 1);
  t.same(
    tracePacket(sticky, { sourceIP: '10.0.0.2', destIP: '172.30.0.45', destPort: 80 }, { nodeIPs }).endpoints,
    ['10.180.0.3:80', '10.180.0.9:80'],
    'the possibility tracer skips --rcheck and lists both',
  );
});

t.test('kernel mode with conntrack: later packets follow the entry', async (t) => {
  let ms = 0;
  const ct = new ConntrackTable(() => ms);
  const state = newKernelState(seededUint32(5), () => ms / 1000, ct);
  const pkt = { sourceIP: '10.0.0.2', sourcePort: 40000, destIP: '172.30.0.44', destPort: 80 };
  const first = simulatePacket(rules, pkt, state, { nodeIPs });
  t.equal(first.conntrack, 'NEW');
  for (let i = 0; i < 20; i++) {
    const r = simulatePacket(rules, pkt, state, { nodeIPs });
    t.equal(r.conntrack, 'ESTABLISHED');
    t.equal(r.endpoint, first.endpoint, 'same endpoint for the whole connection');
  }
  const [ep] = first.endpoint!.split(':');
  t.equal(
    ct.list(),
    `tcp      6 120 SYN_SENT src=10.0.0.2 dst=172.30.0.44 sport=40000 dport=80 [UNREPLIED] src=${ep} dst=10.0.0.2 sport=80 dport=40000 mark=0 use=1\n`,
  );
  const reply = simulatePacket(
    rules,
    { sourceIP: ep!, sourcePort: 80, destIP: '10.0.0.2', destPort: 40000 },
    state,
    { nodeIPs },
  );
  t.same([reply.verdict, reply.conntrack], ['ACCEPT', 'ESTABLISHED'], 'the reply belongs to the same entry');
  ms += 121_000;
  t.equal(
    simulatePacket(rules, pkt, state, { nodeIPs }).conntrack,
    'NEW',
    'after SYN_SENT times out the next packet is new',
  );
});
