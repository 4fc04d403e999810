import t from 'tap';
import {
  applyRestore,
  ConntrackInputError,
  canonicalRuleTable,
  kernelProbability,
  kernelRuleText,
  kubeJumpRules,
  Rule,
  RulesParseError,
  RulesRestoreError,
  RuleTable,
  RuleTableError,
  renderIptablesSave,
  sortIPTablesRules,
  splitWords,
  TraceInputError,
  withKubeJumpRules,
} from '../../proxy/index.js';

// TestTracePacket's static rules (reference §4.4), as kube-proxy's fake iptables holds them: built-in
// chains declared, the fake's unquoted multi-word comments on the jump rules.
const tracePacketRules = `*filter
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
`;

// A dump as iptables-save prints it on a node (reference §2.9): comments, built-in chain policies and
// counters, kernel match order, /32 suffixes, --set-xmark, %.11f probabilities, a -X line.
const nodeDump = `# Generated by iptables-save v1.8.9 (nf_tables) on Sun Nov 22 02:00:00 2026
*nat
:PREROUTING ACCEPT [12:720]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [34:2040]
:POSTROUTING ACCEPT [34:2040]
:KUBE-MARK-MASQ - [0:0]
:KUBE-OLD - [0:0]
:KUBE-SEP-4Q7QKBPQIGERYJJG - [0:0]
:KUBE-SEP-AAAAAAAAAAAAAAAA - [0:0]
:KUBE-SERVICES - [0:0]
:KUBE-SVC-SZGXCNNBZLC4E3DM - [0:0]
-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000
-A KUBE-SEP-4Q7QKBPQIGERYJJG -s 10.244.1.5/32 -m comment --comment "default/web-service" -j KUBE-MARK-MASQ
-A KUBE-SEP-4Q7QKBPQIGERYJJG -p tcp -m comment --comment "default/web-service" -m recent --set --name KUBE-SEP-4Q7QKBPQIGERYJJG --mask 255.255.255.255 --rsource -m tcp -j DNAT --to-destination 10.244.1.5:80
-A KUBE-SEP-AAAAAAAAAAAAAAAA -p tcp -m comment --comment "default/web-service" -m tcp -j DNAT --to-destination 10.244.2.7:80
-A KUBE-SERVICES -d 10.96.206.52/32 -p tcp -m comment --comment "default/web-service cluster IP" -m tcp --dport 80 -j KUBE-SVC-SZGXCNNBZLC4E3DM
-A KUBE-SVC-SZGXCNNBZLC4E3DM ! -s 10.244.0.0/16 -d 10.96.206.52/32 -p tcp -m comment --comment "default/web-service cluster IP" -m tcp --dport 80 -j KUBE-MARK-MASQ
-A KUBE-SVC-SZGXCNNBZLC4E3DM -m comment --comment "default/web-service -> 10.244.1.5:80" -m recent --rcheck --seconds 10800 --reap --name KUBE-SEP-4Q7QKBPQIGERYJJG --mask 255.255.255.255 --rsource -j KUBE-SEP-4Q7QKBPQIGERYJJG
-A KUBE-SVC-SZGXCNNBZLC4E3DM -m comment --comment "default/web-service -> 10.244.1.5:80" -m statistic --mode random --probability 0.50000000000 -j KUBE-SEP-4Q7QKBPQIGERYJJG
-A KUBE-SVC-SZGXCNNBZLC4E3DM -m comment --comment "default/web-service -> 10.244.2.7:80" -j KUBE-SEP-AAAAAAAAAAAAAAAA
-X KUBE-OLD
COMMIT
# Completed on Sun Nov 22 02:00:00 2026
`;

t.test('render(parse(text)) is the text, byte for byte', async (t) => {
  const cases: { name: string; text: string }[] = [
    { name: 'TestTracePacket rules', text: tracePacketRules },
    { name: 'node dump with comments, counters and -X', text: nodeDump },
    { name: 'empty', text: '' },
    { name: 'no final newline is added back', text: '*nat\n:KUBE-SERVICES - [0:0]\nCOMMIT\n' },
    {
      name: 'blank lines and comments inside a table',
      text: '*filter\n# a\n:X - [0:0]\n\n-A X -j DROP\n# b\nCOMMIT\n\n',
    },
  ];
  for (const c of cases) t.equal(RuleTable.parse(c.text).render(), c.text, c.name);
});

t.test('a table built in kube-proxy write order renders all chain lines first', async (t) => {
  const rt = new RuleTable();
  const nat = rt.table('nat');
  nat.declareChain('KUBE-SERVICES');
  nat.appendRule(
    'KUBE-SERVICES',
    '-m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 -j KUBE-SVC-XPGD46QRK7WJZT7O',
  );
  nat.declareChain('KUBE-SVC-XPGD46QRK7WJZT7O');
  nat.append(
    Rule.of(
      'KUBE-SVC-XPGD46QRK7WJZT7O',
      ['-m', 'comment', '--comment', '"ns1/svc1:p80 -> 10.180.0.1:80"'],
      '-j KUBE-SEP-SXIVWICOYRO3J4NJ',
    ),
  );
  nat.declareChain('KUBE-SEP-OLD');
  nat.deleteChain('KUBE-SEP-OLD');
  t.equal(
    rt.render(),
    `*nat
:KUBE-SERVICES - [0:0]
:KUBE-SVC-XPGD46QRK7WJZT7O - [0:0]
:KUBE-SEP-OLD - [0:0]
-A KUBE-SERVICES -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 -j KUBE-SVC-XPGD46QRK7WJZT7O
-A KUBE-SVC-XPGD46QRK7WJZT7O -m comment --comment "ns1/svc1:p80 -> 10.180.0.1:80" -j KUBE-SEP-SXIVWICOYRO3J4NJ
-X KUBE-SEP-OLD
COMMIT
`,
  );
  t.equal(RuleTable.parse(rt.render()).render(), rt.render(), 'and parses back the same');
  t.equal(nat.ruleCount(), 2);
  t.same(
    [...nat.chains.values()].map((c) => [c.name, c.declared, c.deleted, c.rules.length]),
    [
      ['KUBE-SERVICES', true, false, 1],
      ['KUBE-SVC-XPGD46QRK7WJZT7O', true, false, 1],
      ['KUBE-SEP-OLD', true, true, 0],
    ],
  );
});

t.test('rules parse into matches and targets', async (t) => {
  const cases: { rule: string; spec: Record<string, unknown> }[] = [
    {
      rule: '-A KUBE-SERVICES -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 -j KUBE-SVC-XPGD46QRK7WJZT7O',
      spec: {
        modules: ['comment', 'tcp'],
        comment: 'ns1/svc1:p80 cluster IP',
        protocol: { value: 'tcp', negated: false },
        destination: { value: '172.30.0.41', negated: false },
        dport: { value: '80', negated: false },
        target: { kind: 'jump', chain: 'KUBE-SVC-XPGD46QRK7WJZT7O', goto: false },
      },
    },
    {
      rule: '-A KUBE-SVC-X -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ',
      spec: {
        source: { value: '10.0.0.0/8', negated: true },
        target: { kind: 'jump', chain: 'KUBE-MARK-MASQ' },
      },
    },
    {
      rule: '-A KUBE-SVC-4SW47YFZTEDKD3PK -m comment --comment "ns4/svc4:p80 -> 10.180.0.4:80" -m statistic --mode random --probability 0.5000000000 -j KUBE-SEP-UKSFD7AGPMPPLUHC',
      spec: {
        statistic: { mode: 'random', probabilityText: '0.5000000000', probability: 0.5, negated: false },
      },
    },
    {
      rule: '-A KUBE-SEP-I77PXRDZVX7PMWMN -m comment --comment ns5/svc5:p80 -m recent --name KUBE-SEP-I77PXRDZVX7PMWMN --set -m tcp -p tcp -j DNAT --to-destination 10.180.0.3:80',
      spec: {
        comment: 'ns5/svc5:p80',
        recent: { name: 'KUBE-SEP-I77PXRDZVX7PMWMN', set: true, rcheck: false, side: 'source' },
        target: { kind: 'DNAT', toDestination: '10.180.0.3:80' },
      },
    },
    {
      rule: '-A KUBE-SVC-N -m comment --comment "ns5/svc5:p80 -> 10.180.0.3:80" -m recent --name KUBE-SEP-I77PXRDZVX7PMWMN --rcheck --seconds 10800 --reap -j KUBE-SEP-I77PXRDZVX7PMWMN',
      spec: {
        recent: { name: 'KUBE-SEP-I77PXRDZVX7PMWMN', set: false, rcheck: true, seconds: 10800, reap: true },
      },
    },
    {
      rule: '-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN',
      spec: {
        modules: ['mark'],
        mark: { value: '0x4000/0x4000', negated: true },
        target: { kind: 'RETURN' },
      },
    },
    {
      rule: '-A KUBE-POSTROUTING -j MARK --xor-mark 0x4000',
      spec: { target: { kind: 'MARK', op: 'xor', value: '0x4000' } },
    },
    {
      rule: '-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000',
      spec: { target: { kind: 'MARK', op: 'or', value: '0x4000' } },
    },
    {
      rule: '-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000',
      spec: { target: { kind: 'MARK', op: 'set-xmark', value: '0x4000/0x4000' } },
    },
    {
      rule: '-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully',
      spec: { target: { kind: 'MASQUERADE', randomFully: true, random: false } },
    },
    {
      rule: '-A KUBE-FIREWALL -m comment --comment "block incoming localnet connections" -d 127.0.0.0/8 ! -s 127.0.0.0/8 -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP',
      spec: {
        destination: { value: '127.0.0.0/8', negated: false },
        source: { value: '127.0.0.0/8', negated: true },
        ctstate: { states: ['RELATED', 'ESTABLISHED', 'DNAT'], negated: true },
        target: { kind: 'DROP' },
      },
    },
    {
      rule: '-A KUBE-FORWARD -m conntrack --ctstate INVALID -m nfacct --nfacct-name ct_state_invalid_dropped_pkts -j DROP',
      spec: { modules: ['conntrack', 'nfacct'], nfacctName: 'ct_state_invalid_dropped_pkts' },
    },
    {
      rule: '-A KUBE-EXTERNAL-SERVICES -m comment --comment "ns2/svc2:p80 has no local endpoints" -m addrtype --dst-type LOCAL -m tcp -p tcp --dport 3001 -j DROP',
      spec: { dstType: { value: 'LOCAL', negated: false }, dport: { value: '3001', negated: false } },
    },
    {
      rule: '-A KUBE-EXT-G -m comment --comment "masquerade LOCAL traffic for ns2/svc2:p80 external destinations" -m addrtype --src-type LOCAL -j KUBE-MARK-MASQ',
      spec: { srcType: { value: 'LOCAL', negated: false } },
    },
    {
      rule: '-A KUBE-SERVICES -m comment --comment "ns6/svc6:p80 has no endpoints" -m tcp -p tcp -d 172.30.0.46 --dport 80 -j REJECT',
      spec: { target: { kind: 'REJECT' } },
    },
    {
      rule: '-A FORWARD -i cni0 ! -o eth0 -j ACCEPT',
      spec: {
        inInterface: { value: 'cni0', negated: false },
        outInterface: { value: 'eth0', negated: true },
      },
    },
    {
      rule: '-A PREROUTING -m comment --comment kubernetes service portals -j KUBE-SERVICES',
      spec: {
        comment: 'kubernetes',
        unknown: ['service', 'portals'],
        target: { kind: 'jump', chain: 'KUBE-SERVICES' },
      },
    },
    {
      rule: '-A KUBE-FW-N -m comment --comment "other traffic to ns5/svc5:p80 will be dropped by KUBE-PROXY-FIREWALL"',
      spec: { comment: 'other traffic to ns5/svc5:p80 will be dropped by KUBE-PROXY-FIREWALL' },
    },
  ];
  for (const c of cases) {
    const rt = RuleTable.parse(`*nat\n${c.rule}\nCOMMIT\n`);
    const rule = rt.tables[0]!.body[0]!;
    t.equal(rule.kind, 'rule');
    if (rule.kind === 'rule') t.match(rule.rule.spec, c.spec, c.rule);
  }
  t.equal(
    RuleTable.parse('*nat\n-A KUBE-FW-N -m comment --comment x\nCOMMIT\n').tables[0]!.chains.get('KUBE-FW-N')!
      .rules[0]!.target,
    undefined,
    'no -j, no target',
  );
});

t.test('words: quoted strings are one word, escapes undone', async (t) => {
  t.same(splitWords('-m comment --comment "a b\\"c" -j X'), [
    '-m',
    'comment',
    '--comment',
    'a b"c',
    '-j',
    'X',
  ]);
  t.same(splitWords('  -j   DROP '), ['-j', 'DROP']);
});

t.test('parse errors name the file and line', async (t) => {
  const cases: { text: string; message: string }[] = [
    { text: '-A X -j DROP\n', message: 'f.rules:1: "-A X -j DROP" is outside a table' },
    { text: '*nat\n:X - [0:0]\n', message: 'f.rules:2: table "nat" has no COMMIT' },
    {
      text: '*nat\n:X -\nCOMMIT\n',
      message: 'f.rules:2: chain line ":X -" is not ":NAME POLICY [packets:bytes]"',
    },
    {
      text: '*nat\n:X - [0:0]\n-X X\n-A X -j DROP\nCOMMIT\n',
      message: 'f.rules:4: rule for chain "X" after "-X X"',
    },
    {
      text: '*nat\n:X - [0:0]\n-A X -j DROP\n-X X\nCOMMIT\n',
      message: 'f.rules:4: "-X X" after rules were added to it',
    },
    { text: '*nat\n-I X 1 -j DROP\nCOMMIT\n', message: 'f.rules:2: cannot read "-I X 1 -j DROP"' },
    { text: '*nat\nCOMMIT\n*nat\nCOMMIT\n', message: 'f.rules:3: table "nat" appears twice' },
  ];
  for (const c of cases) {
    let err: unknown;
    try {
      RuleTable.parse(c.text, 'f.rules');
    } catch (e) {
      err = e;
    }
    t.ok(err instanceof RulesParseError, c.message);
    t.equal((err as RulesParseError).code, 'NETLAB_PROXY_RULES_PARSE');
    t.equal((err as Error).message.slice(0, c.message.length), c.message);
  }
});

t.test("kube-proxy's test sort", async (t) => {
  // A raw payload written service by service (interleaved chains, services in map order) sorts into
  // the form kube-proxy's tests compare.
  const raw = `*filter
:KUBE-SERVICES - [0:0]
:KUBE-EXTERNAL-SERVICES - [0:0]
:KUBE-FORWARD - [0:0]
:KUBE-NODEPORTS - [0:0]
:KUBE-PROXY-FIREWALL - [0:0]
-A KUBE-SERVICES -m comment --comment "ns6/svc6:p80 has no endpoints" -m tcp -p tcp -d 172.30.0.46 --dport 80 -j REJECT
-A KUBE-NODEPORTS -m comment --comment "ns2/svc2:p80 health check node port" -m tcp -p tcp --dport 30000 -j ACCEPT
-A KUBE-SERVICES -m comment --comment "ns1/svc1:p80 has no endpoints" -m tcp -p tcp -d 172.30.0.41 --dport 80 -j REJECT
COMMIT
*nat
:KUBE-SERVICES - [0:0]
:KUBE-NODEPORTS - [0:0]
:KUBE-POSTROUTING - [0:0]
:KUBE-MARK-MASQ - [0:0]
:KUBE-SVC-X27LE4BHSL4DOUIK - [0:0]
:KUBE-SEP-OYPFS5VJICHGATKP - [0:0]
:KUBE-SVC-GONE - [0:0]
-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN
-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000
-A KUBE-SERVICES -m comment --comment "ns3/svc3:p80 cluster IP" -m tcp -p tcp -d 172.30.0.43 --dport 80 -j KUBE-SVC-X27LE4BHSL4DOUIK
-A KUBE-NODEPORTS -m comment --comment ns3/svc3:p80 -m tcp -p tcp --dport 3003 -j KUBE-EXT-X27LE4BHSL4DOUIK
-A KUBE-SVC-X27LE4BHSL4DOUIK -m comment --comment "ns3/svc3:p80 -> 10.180.0.3:80" -j KUBE-SEP-OYPFS5VJICHGATKP
-A KUBE-SEP-OYPFS5VJICHGATKP -m comment --comment ns3/svc3:p80 -m tcp -p tcp -j DNAT --to-destination 10.180.0.3:80
-X KUBE-SVC-GONE
-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS
-A KUBE-SERVICES -m comment --comment "ns2/svc2:p80 cluster IP" -m tcp -p tcp -d 172.30.0.42 --dport 80 -j KUBE-SVC-GNZBNJ2PO5MGZ6GT
-A KUBE-NODEPORTS -m comment --comment ns2/svc2:p80 -m tcp -p tcp --dport 3001 -j KUBE-EXT-GNZBNJ2PO5MGZ6GT
COMMIT
`;
  t.equal(
    sortIPTablesRules(raw),
    `*filter
:KUBE-NODEPORTS - [0:0]
:KUBE-SERVICES - [0:0]
:KUBE-EXTERNAL-SERVICES - [0:0]
:KUBE-FORWARD - [0:0]
:KUBE-PROXY-FIREWALL - [0:0]
-A KUBE-NODEPORTS -m comment --comment "ns2/svc2:p80 health check node port" -m tcp -p tcp --dport 30000 -j ACCEPT
-A KUBE-SERVICES -m comment --comment "ns1/svc1:p80 has no endpoints" -m tcp -p tcp -d 172.30.0.41 --dport 80 -j REJECT
-A KUBE-SERVICES -m comment --comment "ns6/svc6:p80 has no endpoints" -m tcp -p tcp -d 172.30.0.46 --dport 80 -j REJECT
COMMIT
*nat
:KUBE-NODEPORTS - [0:0]
:KUBE-SERVICES - [0:0]
:KUBE-MARK-MASQ - [0:0]
:KUBE-POSTROUTING - [0:0]
:KUBE-SEP-OYPFS5VJICHGATKP - [0:0]
:KUBE-SVC-GONE - [0:0]
:KUBE-SVC-X27LE4BHSL4DOUIK - [0:0]
-A KUBE-NODEPORTS -m comment --comment ns2/svc2:p80 -m tcp -p tcp --dport 3001 -j KUBE-EXT-GNZBNJ2PO5MGZ6GT
-A KUBE-NODEPORTS -m comment --comment ns3/svc3:p80 -m tcp -p tcp --dport 3003 -j KUBE-EXT-X27LE4BHSL4DOUIK
-A KUBE-SERVICES -m comment --comment "ns2/svc2:p80 cluster IP" -m tcp -p tcp -d 172.30.0.42 --dport 80 -j KUBE-SVC-GNZBNJ2PO5MGZ6GT
-A KUBE-SERVICES -m comment --comment "ns3/svc3:p80 cluster IP" -m tcp -p tcp -d 172.30.0.43 --dport 80 -j KUBE-SVC-X27LE4BHSL4DOUIK
-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS
-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000
-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN
-A KUBE-SEP-OYPFS5VJICHGATKP -m comment --comment ns3/svc3:p80 -m tcp -p tcp -j DNAT --to-destination 10.180.0.3:80
-A KUBE-SVC-X27LE4BHSL4DOUIK -m comment --comment "ns3/svc3:p80 -> 10.180.0.3:80" -j KUBE-SEP-OYPFS5VJICHGATKP
-X KUBE-SVC-GONE
COMMIT
`,
  );
  // The TestTracePacket text is already in dump order: sorting moves built-in chains after KUBE-*.
  const sorted = sortIPTablesRules(tracePacketRules);
  t.match(
    sorted,
    /:KUBE-PROXY-FIREWALL - \[0:0\]\n:FORWARD - \[0:0\]\n:INPUT - \[0:0\]\n:OUTPUT - \[0:0\]\n-A KUBE-NODEPORTS/,
  );
  t.equal(sortIPTablesRules(sorted), sorted, 'sorting is idempotent');
  t.equal(
    canonicalRuleTable(RuleTable.parse(nodeDump), false).render().split('\n')[0],
    '*nat',
    'unsorted dump form',
  );
});

t.test('iptables-restore --noflush semantics', async (t) => {
  const state0 = RuleTable.parse(`*nat
:PREROUTING ACCEPT [0:0]
:KUBE-SERVICES - [0:0]
:KUBE-SVC-A - [0:0]
:KUBE-SVC-B - [0:0]
-A PREROUTING -j KUBE-SERVICES
-A KUBE-SERVICES -d 172.30.0.1 -j KUBE-SVC-A
-A KUBE-SERVICES -d 172.30.0.2 -j KUBE-SVC-B
-A KUBE-SVC-A -j DNAT --to-destination 10.0.0.1:80
-A KUBE-SVC-B -j DNAT --to-destination 10.0.0.2:80
COMMIT
`);
  // A partial payload: KUBE-SERVICES rewritten, B deleted, A untouched (not mentioned), C new.
  const partial = RuleTable.parse(`*nat
:KUBE-SERVICES - [0:0]
:KUBE-SVC-B - [0:0]
:KUBE-SVC-C - [0:0]
-A KUBE-SERVICES -d 172.30.0.1 -j KUBE-SVC-A
-A KUBE-SERVICES -d 172.30.0.3 -j KUBE-SVC-C
-A KUBE-SVC-C -j DNAT --to-destination 10.0.0.3:80
-X KUBE-SVC-B
COMMIT
`);
  t.equal(
    applyRestore(state0, partial).render(),
    `*nat
:PREROUTING ACCEPT [0:0]
:KUBE-SERVICES - [0:0]
:KUBE-SVC-A - [0:0]
:KUBE-SVC-C - [0:0]
-A PREROUTING -j KUBE-SERVICES
-A KUBE-SERVICES -d 172.30.0.1 -j KUBE-SVC-A
-A KUBE-SERVICES -d 172.30.0.3 -j KUBE-SVC-C
-A KUBE-SVC-A -j DNAT --to-destination 10.0.0.1:80
-A KUBE-SVC-C -j DNAT --to-destination 10.0.0.3:80
COMMIT
`,
  );
  const dangling = RuleTable.parse('*nat\n:KUBE-SVC-A - [0:0]\n-X KUBE-SVC-A\nCOMMIT\n');
  t.throws(
    () => applyRestore(state0, dangling),
    RulesRestoreError,
    'deleting a chain still jumped to is refused',
  );
  t.equal(state0.getChain('nat', 'KUBE-SVC-A')!.rules.length, 1, 'and the state is untouched');
  const missing = RuleTable.parse(
    '*nat\n:KUBE-SERVICES - [0:0]\n-A KUBE-SERVICES -d 172.30.0.9 -j KUBE-SVC-MISSING\nCOMMIT\n',
  );
  t.throws(() => applyRestore(state0, missing), /jumps to chain "KUBE-SVC-MISSING", which does not exist/);
  const undeclared = RuleTable.parse('*nat\n-A KUBE-NOPE -j DROP\nCOMMIT\n');
  t.throws(() => applyRestore(state0, undeclared), /rules for chain "KUBE-NOPE"/);
  const appended = applyRestore(state0, RuleTable.parse('*nat\n-A PREROUTING -j DROP\nCOMMIT\n'));
  t.same(
    appended.getChain('nat', 'PREROUTING')!.rules.map((r) => r.text),
    ['-A PREROUTING -j KUBE-SERVICES', '-A PREROUTING -j DROP'],
    'undeclared chain keeps its rules',
  );
});

t.test('jump rules are kube-proxy iptablesJumpChains in prepended order', async (t) => {
  t.same(
    kubeJumpRules.filter((j) => j.table === 'nat').map((j) => `${j.chain} ${j.args}`),
    [
      'PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
      'OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
      'POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING',
    ],
  );
  t.equal(kubeJumpRules.length, 14);
});

t.test('iptables-save (kernel) text of kube-proxy rules (reference §2.9)', async (t) => {
  const cases: { rule: string; kernel: string }[] = [
    {
      rule: '-A KUBE-SERVICES -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 -j KUBE-SVC-XPGD46QRK7WJZT7O',
      kernel:
        '-A KUBE-SERVICES -d 172.30.0.41/32 -p tcp -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp --dport 80 -j KUBE-SVC-XPGD46QRK7WJZT7O',
    },
    {
      rule: '-A KUBE-SVC-X -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ',
      kernel:
        '-A KUBE-SVC-X ! -s 10.0.0.0/8 -d 172.30.0.41/32 -p tcp -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp --dport 80 -j KUBE-MARK-MASQ',
    },
    {
      rule: '-A KUBE-SEP-X -m comment --comment ns4/svc4:p80 -m tcp -p tcp -j DNAT --to-destination 10.180.0.5:80',
      kernel:
        '-A KUBE-SEP-X -p tcp -m comment --comment "ns4/svc4:p80" -m tcp -j DNAT --to-destination 10.180.0.5:80',
    },
    {
      rule: '-A KUBE-SEP-I -m comment --comment ns5/svc5:p80 -m recent --name KUBE-SEP-I --set -m tcp -p tcp -j DNAT --to-destination 10.180.0.3:80',
      kernel:
        '-A KUBE-SEP-I -p tcp -m comment --comment "ns5/svc5:p80" -m recent --set --name KUBE-SEP-I --mask 255.255.255.255 --rsource -m tcp -j DNAT --to-destination 10.180.0.3:80',
    },
    {
      rule: '-A KUBE-SVC-N -m comment --comment "ns5/svc5:p80 -> 10.180.0.3:80" -m recent --name KUBE-SEP-I --rcheck --seconds 10800 --reap -j KUBE-SEP-I',
      kernel:
        '-A KUBE-SVC-N -m comment --comment "ns5/svc5:p80 -> 10.180.0.3:80" -m recent --rcheck --seconds 10800 --reap --name KUBE-SEP-I --mask 255.255.255.255 --rsource -j KUBE-SEP-I',
    },
    {
      rule: '-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000',
      kernel: '-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000',
    },
    {
      rule: '-A KUBE-POSTROUTING -j MARK --xor-mark 0x4000',
      kernel: '-A KUBE-POSTROUTING -j MARK --set-xmark 0x4000/0x0',
    },
    {
      rule: '-A KUBE-POSTROUTING -m mark ! --mark 0x00004000/0x00004000 -j RETURN',
      kernel: '-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN',
    },
    {
      rule: '-A KUBE-SERVICES -m comment --comment "ns6/svc6:p80 has no endpoints" -m tcp -p tcp -d 172.30.0.46 --dport 80 -j REJECT',
      kernel:
        '-A KUBE-SERVICES -d 172.30.0.46/32 -p tcp -m comment --comment "ns6/svc6:p80 has no endpoints" -m tcp --dport 80 -j REJECT --reject-with icmp-port-unreachable',
    },
    {
      rule: '-A KUBE-FIREWALL -m comment --comment "block incoming localnet connections" -d 127.0.0.0/8 ! -s 127.0.0.0/8 -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP',
      kernel:
        '-A KUBE-FIREWALL ! -s 127.0.0.0/8 -d 127.0.0.0/8 -m comment --comment "block incoming localnet connections" -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP',
    },
    {
      rule: '-A KUBE-NODEPORTS -m comment --comment ns2/svc2:p80 -m tcp -p tcp -d 127.0.0.0/8 --dport 3001 -m nfacct --nfacct-name localhost_nps_accepted_pkts -j KUBE-EXT-G',
      kernel:
        '-A KUBE-NODEPORTS -d 127.0.0.0/8 -p tcp -m comment --comment "ns2/svc2:p80" -m tcp --dport 3001 -m nfacct --nfacct-name localhost_nps_accepted_pkts -j KUBE-EXT-G',
    },
    {
      rule: '-A X -m comment --comment kube_dns-1 -j ACCEPT',
      kernel: '-A X -m comment --comment kube_dns-1 -j ACCEPT',
    },
  ];
  for (const c of cases) {
    const rule = RuleTable.parse(`*nat\n${c.rule}\nCOMMIT\n`).tables[0]!.body[0]!;
    if (rule.kind === 'rule') t.equal(kernelRuleText(rule.rule), c.kernel, c.rule);
  }
  const probabilities: [number, string][] = [
    [2, '0.50000000000'],
    [3, '0.33333333349'],
    [4, '0.25000000000'],
    [5, '0.20000000019'],
    [6, '0.16666666651'],
    [7, '0.14285714272'],
    [8, '0.12500000000'],
    [9, '0.11111111101'],
    [10, '0.10000000009'],
    [100, '0.00999999978'],
    [1000, '0.00100000016'],
  ];
  for (const [n, want] of probabilities)
    t.equal(kernelProbability(Number((1 / n).toFixed(10))), want, `1/${n}`);
  t.equal(
    renderIptablesSave(
      RuleTable.parse('*nat\n:KUBE-Z - [0:0]\n:KUBE-A - [0:0]\n-A KUBE-Z -j KUBE-A\nCOMMIT\n'),
      {
        date: new Date(Date.UTC(2026, 10, 2, 3, 4, 5)),
      },
    ),
    `# Generated by iptables-save v1.8.9 (nf_tables) on Mon Nov  2 03:04:05 2026
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:KUBE-A - [0:0]
:KUBE-Z - [0:0]
-A KUBE-Z -j KUBE-A
COMMIT
# Completed on Mon Nov  2 03:04:05 2026
`,
  );
});

t.test('withKubeJumpRules: the payload plus the jumps kube-proxy installs outside it', async (t) => {
  const payload = RuleTable.parse(`*nat
:KUBE-SERVICES - [0:0]
:KUBE-POSTROUTING - [0:0]
-A KUBE-SERVICES -d 172.30.0.1 -j DROP
COMMIT
`);
  t.equal(
    withKubeJumpRules(payload).render(),
    `*nat
:PREROUTING ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:KUBE-SERVICES - [0:0]
:KUBE-POSTROUTING - [0:0]
-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING
-A KUBE-SERVICES -d 172.30.0.1 -j DROP
COMMIT
`,
  );
  const own = RuleTable.parse('*nat\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -j DROP\nCOMMIT\n');
  t.same(
    withKubeJumpRules(own)
      .getChain('nat', 'PREROUTING')!
      .rules.map((r) => r.text),
    ['-A PREROUTING -j DROP'],
    'a chain with rules of its own is left alone',
  );
});

t.test('every error class has its stable code', async (t) => {
  const cases: { err: RuleTableError; name: string; code: string; message: string }[] = [
    {
      err: new RulesParseError('bad line', 3, 'x.rules'),
      name: 'RulesParseError',
      code: 'NETLAB_PROXY_RULES_PARSE',
      message: 'x.rules:3: bad line',
    },
    {
      err: new RulesRestoreError('refused'),
      name: 'RulesRestoreError',
      code: 'NETLAB_PROXY_RULES_RESTORE',
      message: 'refused',
    },
    {
      err: new TraceInputError('bad packet'),
      name: 'TraceInputError',
      code: 'NETLAB_PROXY_TRACE_INPUT',
      message: 'bad packet',
    },
    {
      err: new ConntrackInputError('bad tuple'),
      name: 'ConntrackInputError',
      code: 'NETLAB_PROXY_CONNTRACK_INPUT',
      message: 'bad tuple',
    },
  ];
  for (const c of cases) {
    t.ok(c.err instanceof RuleTableError && c.err instanceof Error, `${c.name} is a RuleTableError`);
    t.same([c.err.name, c.err.code, c.err.message], [c.name, c.code, c.message]);
  }
});
