import t from 'tap';
import {
  ConntrackTable,
  newKernelState,
  RuleTable,
  seededRandom,
  simulatePacket,
  TraceInputError,
  tracePacket,
} from '../../proxy/index.js';

// TestTracePacket's static rules (reference §4.4), verbatim.
const rules = RuleTable.parse(`*filter
:INPUT - [0:0]
:FORWARD - [0:0]
:OUTPUT - [0:0]
:KUBE-EXTERNAL-SERVICES - [0:0]
:KUBE-FIREWALL - [0:0]
:KUBE-FORWARD - [0:0]
:KUBE-NODEPORTS - [0:0]
:KUBE-SERVICES - [0:0]
:KUBE-PROXY-FIREWALL - [0:0]
-A INPUT -m comment --comment kubernetes health check service ports -j KUBE-NODEPORTS
-A INPUT -m conntrack --ctstate NEW -m comment --comment kubernetes externally-visible service portals -j KUBE-EXTERNAL-SERVICES
-A FORWARD -m comment --comment kubernetes forwarding rules -j KUBE-FORWARD
-A FORWARD -m conntrack --ctstate NEW -m comment --comment kubernetes service portals -j KUBE-SERVICES
-A FORWARD -m conntrack --ctstate NEW -m comment --comment kubernetes externally-visible service portals -j KUBE-EXTERNAL-SERVICES
-A OUTPUT -m conntrack --ctstate NEW -m comment --comment kubernetes service portals -j KUBE-SERVICES
-A KUBE-NODEPORTS -m comment --comment "ns2/svc2:p80 health check node port" -m tcp -p tcp --dport 30000 -j ACCEPT
-A KUBE-SERVICES -m comment --comment "ns6/svc6:p80 has no endpoints" -m tcp -p tcp -d 172.30.0.46 --dport 80 -j REJECT
-A KUBE-EXTERNAL-SERVICES -m comment --comment "ns2/svc2:p80 has no local endpoints" -m tcp -p tcp -d 192.168.99.22 --dport 80 -j DROP
-A KUBE-EXTERNAL-SERVICES -m comment --comment "ns2/svc2:p80 has no local endpoints" -m tcp -p tcp -d 1.2.3.4 --dport 80 -j DROP
-A KUBE-EXTERNAL-SERVICES -m comment --comment "ns2/svc2:p80 has no local endpoints" -m addrtype --dst-type LOCAL -m tcp -p tcp --dport 3001 -j DROP
-A KUBE-FIREWALL -m comment --comment "block incoming localnet connections" -d 127.0.0.0/8 ! -s 127.0.0.0/8 -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP
-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP
-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT
-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A KUBE-PROXY-FIREWALL -m comment --comment "ns5/svc5:p80 traffic not accepted by KUBE-FW-NUKIZ6OKUXPJNT4C" -m tcp -p tcp -d 5.6.7.8 --dport 80 -j DROP
COMMIT
*nat
:PREROUTING - [0:0]
:INPUT - [0:0]
:OUTPUT - [0:0]
:POSTROUTING - [0:0]
:KUBE-EXT-4SW47YFZTEDKD3PK - [0:0]
:KUBE-EXT-GNZBNJ2PO5MGZ6GT - [0:0]
:KUBE-EXT-NUKIZ6OKUXPJNT4C - [0:0]
:KUBE-EXT-X27LE4BHSL4DOUIK - [0:0]
:KUBE-FW-NUKIZ6OKUXPJNT4C - [0:0]
:KUBE-MARK-MASQ - [0:0]
:KUBE-NODEPORTS - [0:0]
:KUBE-POSTROUTING - [0:0]
:KUBE-SEP-C6EBXVWJJZMIWKLZ - [0:0]
:KUBE-SEP-I77PXRDZVX7PMWMN - [0:0]
:KUBE-SEP-OYPFS5VJICHGATKP - [0:0]
:KUBE-SEP-RS4RBKLTHTF2IUXJ - [0:0]
:KUBE-SEP-SXIVWICOYRO3J4NJ - [0:0]
:KUBE-SEP-UKSFD7AGPMPPLUHC - [0:0]
:KUBE-SERVICES - [0:0]
:KUBE-SVC-4SW47YFZTEDKD3PK - [0:0]
:KUBE-SVC-GNZBNJ2PO5MGZ6GT - [0:0]
:KUBE-SVC-NUKIZ6OKUXPJNT4C - [0:0]
:KUBE-SVC-X27LE4BHSL4DOUIK - [0:0]
:KUBE-SVC-XPGD46QRK7WJZT7O - [0:0]
-A PREROUTING -m comment --comment kubernetes service portals -j KUBE-SERVICES
-A OUTPUT -m comment --comment kubernetes service portals -j KUBE-SERVICES
-A POSTROUTING -m comment --comment kubernetes postrouting rules -j KUBE-POSTROUTING
-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN
-A KUBE-POSTROUTING -j MARK --xor-mark 0x4000
-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE
-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000
-A KUBE-NODEPORTS -m comment --comment ns2/svc2:p80 -m tcp -p tcp --dport 3001 -j KUBE-EXT-GNZBNJ2PO5MGZ6GT
-A KUBE-NODEPORTS -m comment --comment ns3/svc3:p80 -m tcp -p tcp --dport 3003 -j KUBE-EXT-X27LE4BHSL4DOUIK
-A KUBE-NODEPORTS -m comment --comment ns5/svc5:p80 -m tcp -p tcp --dport 3002 -j KUBE-EXT-NUKIZ6OKUXPJNT4C
-A KUBE-SERVICES -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 -j KUBE-SVC-XPGD46QRK7WJZT7O
-A KUBE-SERVICES -m comment --comment "ns2/svc2:p80 cluster IP" -m tcp -p tcp -d 172.30.0.42 --dport 80 -j KUBE-SVC-GNZBNJ2PO5MGZ6GT
-A KUBE-SERVICES -m comment --comment "ns2/svc2:p80 external IP" -m tcp -p tcp -d 192.168.99.22 --dport 80 -j KUBE-EXT-GNZBNJ2PO5MGZ6GT
-A KUBE-SERVICES -m comment --comment "ns2/svc2:p80 loadbalancer IP" -m tcp -p tcp -d 1.2.3.4 --dport 80 -j KUBE-EXT-GNZBNJ2PO5MGZ6GT
-A KUBE-SERVICES -m comment --comment "ns3/svc3:p80 cluster IP" -m tcp -p tcp -d 172.30.0.43 --dport 80 -j KUBE-SVC-X27LE4BHSL4DOUIK
-A KUBE-SERVICES -m comment --comment "ns4/svc4:p80 cluster IP" -m tcp -p tcp -d 172.30.0.44 --dport 80 -j KUBE-SVC-4SW47YFZTEDKD3PK
-A KUBE-SERVICES -m comment --comment "ns4/svc4:p80 external IP" -m tcp -p tcp -d 192.168.99.33 --dport 80 -j KUBE-EXT-4SW47YFZTEDKD3PK
-A KUBE-SERVICES -m comment --comment "ns5/svc5:p80 cluster IP" -m tcp -p tcp -d 172.30.0.45 --dport 80 -j KUBE-SVC-NUKIZ6OKUXPJNT4C
-A KUBE-SERVICES -m comment --comment "ns5/svc5:p80 loadbalancer IP" -m tcp -p tcp -d 5.6.7.8 --dport 80 -j KUBE-FW-NUKIZ6OKUXPJNT4C
-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS
-A KUBE-EXT-4SW47YFZTEDKD3PK -m comment --comment "masquerade traffic for ns4/svc4:p80 external destinations" -j KUBE-MARK-MASQ
-A KUBE-EXT-4SW47YFZTEDKD3PK -j KUBE-SVC-4SW47YFZTEDKD3PK
-A KUBE-EXT-GNZBNJ2PO5MGZ6GT -m comment --comment "pod traffic for ns2/svc2:p80 external destinations" -s 10.0.0.0/8 -j KUBE-SVC-GNZBNJ2PO5MGZ6GT
-A KUBE-EXT-GNZBNJ2PO5MGZ6GT -m comment --comment "masquerade LOCAL traffic for ns2/svc2:p80 external destinations" -m addrtype --src-type LOCAL -j KUBE-MARK-MASQ
-A KUBE-EXT-GNZBNJ2PO5MGZ6GT -m comment --comment "route LOCAL traffic for ns2/svc2:p80 external destinations" -m addrtype --src-type LOCAL -j KUBE-SVC-GNZBNJ2PO5MGZ6GT
-A KUBE-EXT-NUKIZ6OKUXPJNT4C -m comment --comment "masquerade traffic for ns5/svc5:p80 external destinations" -j KUBE-MARK-MASQ
-A KUBE-EXT-NUKIZ6OKUXPJNT4C -j KUBE-SVC-NUKIZ6OKUXPJNT4C
-A KUBE-EXT-X27LE4BHSL4DOUIK -m comment --comment "masquerade traffic for ns3/svc3:p80 external destinations" -j KUBE-MARK-MASQ
-A KUBE-EXT-X27LE4BHSL4DOUIK -j KUBE-SVC-X27LE4BHSL4DOUIK
-A KUBE-FW-NUKIZ6OKUXPJNT4C -m comment --comment "ns5/svc5:p80 loadbalancer IP" -s 203.0.113.0/25 -j KUBE-EXT-NUKIZ6OKUXPJNT4C
-A KUBE-FW-NUKIZ6OKUXPJNT4C -m comment --comment "other traffic to ns5/svc5:p80 will be dropped by KUBE-PROXY-FIREWALL"
-A KUBE-SEP-C6EBXVWJJZMIWKLZ -m comment --comment ns4/svc4:p80 -s 10.180.0.5 -j KUBE-MARK-MASQ
-A KUBE-SEP-C6EBXVWJJZMIWKLZ -m comment --comment ns4/svc4:p80 -m tcp -p tcp -j DNAT --to-destination 10.180.0.5:80
-A KUBE-SEP-I77PXRDZVX7PMWMN -m comment --comment ns5/svc5:p80 -s 10.180.0.3 -j KUBE-MARK-MASQ
-A KUBE-SEP-I77PXRDZVX7PMWMN -m comment --comment ns5/svc5:p80 -m tcp -p tcp -j DNAT --to-destination 10.180.0.3:80
-A KUBE-SEP-OYPFS5VJICHGATKP -m comment --comment ns3/svc3:p80 -s 10.180.0.3 -j KUBE-MARK-MASQ
-A KUBE-SEP-OYPFS5VJICHGATKP -m comment --comment ns3/svc3:p80 -m tcp -p tcp -j DNAT --to-destination 10.180.0.3:80
-A KUBE-SEP-RS4RBKLTHTF2IUXJ -m comment --comment ns2/svc2:p80 -s 10.180.0.2 -j KUBE-MARK-MASQ
-A KUBE-SEP-RS4RBKLTHTF2IUXJ -m comment --comment ns2/svc2:p80 -m tcp -p tcp -j DNAT --to-destination 10.180.0.2:80
-A KUBE-SEP-SXIVWICOYRO3J4NJ -m comment --comment ns1/svc1:p80 -s 10.180.0.1 -j KUBE-MARK-MASQ
-A KUBE-SEP-SXIVWICOYRO3J4NJ -m comment --comment ns1/svc1:p80 -m tcp -p tcp -j DNAT --to-destination 10.180.0.1:80
-A KUBE-SEP-UKSFD7AGPMPPLUHC -m comment --comment ns4/svc4:p80 -s 10.180.0.4 -j KUBE-MARK-MASQ
-A KUBE-SEP-UKSFD7AGPMPPLUHC -m comment --comment ns4/svc4:p80 -m tcp -p tcp -j DNAT --to-destination 10.180.0.4:80
-A KUBE-SVC-4SW47YFZTEDKD3PK -m comment --comment "ns4/svc4:p80 cluster IP" -m tcp -p tcp -d 172.30.0.44 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ
-A KUBE-SVC-4SW47YFZTEDKD3PK -m comment --comment "ns4/svc4:p80 -> 10.180.0.4:80" -m statistic --mode random --probability 0.5000000000 -j KUBE-SEP-UKSFD7AGPMPPLUHC
-A KUBE-SVC-4SW47YFZTEDKD3PK -m comment --comment "ns4/svc4:p80 -> 10.180.0.5:80" -j KUBE-SEP-C6EBXVWJJZMIWKLZ
-A KUBE-SVC-GNZBNJ2PO5MGZ6GT -m comment --comment "ns2/svc2:p80 cluster IP" -m tcp -p tcp -d 172.30.0.42 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ
-A KUBE-SVC-GNZBNJ2PO5MGZ6GT -m comment --comment "ns2/svc2:p80 -> 10.180.0.2:80" -j KUBE-SEP-RS4RBKLTHTF2IUXJ
-A KUBE-SVC-NUKIZ6OKUXPJNT4C -m comment --comment "ns5/svc5:p80 cluster IP" -m tcp -p tcp -d 172.30.0.45 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ
-A KUBE-SVC-NUKIZ6OKUXPJNT4C -m comment --comment "ns5/svc5:p80 -> 10.180.0.3:80" -j KUBE-SEP-I77PXRDZVX7PMWMN
-A KUBE-SVC-X27LE4BHSL4DOUIK -m comment --comment "ns3/svc3:p80 cluster IP" -m tcp -p tcp -d 172.30.0.43 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ
-A KUBE-SVC-X27LE4BHSL4DOUIK -m comment --comment "ns3/svc3:p80 -> 10.180.0.3:80" -j KUBE-SEP-OYPFS5VJICHGATKP
-A KUBE-SVC-XPGD46QRK7WJZT7O -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ
-A KUBE-SVC-XPGD46QRK7WJZT7O -m comment --comment "ns1/svc1:p80 -> 10.180.0.1:80" -j KUBE-SEP-SXIVWICOYRO3J4NJ
COMMIT
`);

// testNodeIPs in proxier_test.go.
const nodeIPs = ['192.168.0.2', '192.168.1.2', '192.168.99.11', '2001:db8::1', '2001:db8:1::2'];

t.test('TestTracePacket (reference §4.4)', async (t) => {
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
  const state = newKernelState(seededRandom(42), () => 0);
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
    const s = newKernelState(seededRandom(seed), () => 0);
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
      newKernelState(seededRandom(1), () => 0),
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
  const state = newKernelState(seededRandom(3), () => now);
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
  const state = newKernelState(seededRandom(5), () => ms / 1000, ct);
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
