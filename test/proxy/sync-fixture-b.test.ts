// kube-proxy's TestSyncProxyRulesRepeated (fixture B, proxier_test.go): a full sync, then partial
// syncs, each compared (after the test sort) with upstream's expected restore payload, including
// the forced partial-restore failure and the full resync that follows it. The node is emulated with
// `iptables-restore --noflush` semantics (proxy/ruletable applyRestore), so a dangling jump makes a
// partial restore fail exactly as it does upstream.
import t from 'tap';
import type { EndpointSlice, Service } from '../../api/index.js';
import { Proxier, RuleTable } from '../../proxy/index.js';
import { applyRestore } from '../../proxy/ruletable/restore.js';
import { sortIPTablesRules } from '../../proxy/ruletable/sort.js';

function svc(ns: string, name: string, ip: string, port: number, portName: string): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { namespace: ns, name },
    spec: { type: 'ClusterIP', clusterIP: ip, ports: [{ name: portName, port, protocol: 'TCP' }] },
  };
}

function slice(ns: string, name: string, ips: string[], port: number, portName: string): EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { namespace: ns, name: `${name}-1`, labels: { 'kubernetes.io/service-name': name } },
    addressType: 'IPv4',
    endpoints: ips.map((ip) => ({ addresses: [ip] })),
    ports: [{ name: portName, port, protocol: 'TCP' }],
  };
}

// The filter table every step writes; `extra` are the service rules of that step.
const filter = (extra: string[] = []) =>
  [
    '*filter',
    ':KUBE-NODEPORTS - [0:0]',
    ':KUBE-SERVICES - [0:0]',
    ':KUBE-EXTERNAL-SERVICES - [0:0]',
    ':KUBE-FIREWALL - [0:0]',
    ':KUBE-FORWARD - [0:0]',
    ':KUBE-PROXY-FIREWALL - [0:0]',
    ...extra,
    '-A KUBE-FIREWALL -m comment --comment "block incoming localnet connections" -d 127.0.0.0/8 ! -s 127.0.0.0/8 -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP',
    '-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP',
    '-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT',
    '-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
    'COMMIT',
  ].join('\n');

const masq = [
  '-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000',
  '-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN',
  '-A KUBE-POSTROUTING -j MARK --xor-mark 0x4000',
  '-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE',
];
const natHead = [':KUBE-NODEPORTS - [0:0]', ':KUBE-SERVICES - [0:0]'];
const tail =
  '-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS';

t.test(
  'TestSyncProxyRulesRepeated: full sync, partial syncs, a failed partial restore, a full resync',
  async (t) => {
    let kernel = new RuleTable();
    const p = new Proxier({
      nodeName: 'test-node',
      nodeIPs: ['192.168.0.2'],
      clusterCIDRs: ['10.0.0.0/8'],
      nfacct: false,
      minSyncPeriod: 0,
      restore: (payload) => {
        kernel = applyRestore(kernel, RuleTable.parse(payload));
      },
    });
    t.teardown(() => p.stop());
    const step = (name: string, want: string) => {
      const r = p.syncProxyRules();
      t.equal(sortIPTablesRules(r.payload), `${want}\n`, name);
      return r;
    };

    p.onServiceAdd(svc('ns1', 'svc1', '172.30.0.41', 80, 'p80'));
    const svc2 = svc('ns2', 'svc2', '172.30.0.42', 8080, 'p8080');
    p.onServiceAdd(svc2);
    p.onEndpointSliceAdd(slice('ns1', 'svc1', ['10.0.1.1'], 80, 'p80'));
    p.onEndpointSliceAdd(slice('ns2', 'svc2', ['10.0.2.1'], 8080, 'p8080'));
    step(
      'initial full sync',
      [
        filter(),
        '*nat',
        ...natHead,
        ':KUBE-MARK-MASQ - [0:0]',
        ':KUBE-POSTROUTING - [0:0]',
        ':KUBE-SEP-SNQ3ZNILQDEJNDQO - [0:0]',
        ':KUBE-SEP-UHEGFW77JX3KXTOV - [0:0]',
        ':KUBE-SVC-2VJB64SDSIJUP5T6 - [0:0]',
        ':KUBE-SVC-XPGD46QRK7WJZT7O - [0:0]',
        '-A KUBE-SERVICES -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 -j KUBE-SVC-XPGD46QRK7WJZT7O',
        '-A KUBE-SERVICES -m comment --comment "ns2/svc2:p8080 cluster IP" -m tcp -p tcp -d 172.30.0.42 --dport 8080 -j KUBE-SVC-2VJB64SDSIJUP5T6',
        tail,
        ...masq,
        '-A KUBE-SEP-SNQ3ZNILQDEJNDQO -m comment --comment ns1/svc1:p80 -s 10.0.1.1 -j KUBE-MARK-MASQ',
        '-A KUBE-SEP-SNQ3ZNILQDEJNDQO -m comment --comment ns1/svc1:p80 -m tcp -p tcp -j DNAT --to-destination 10.0.1.1:80',
        '-A KUBE-SEP-UHEGFW77JX3KXTOV -m comment --comment ns2/svc2:p8080 -s 10.0.2.1 -j KUBE-MARK-MASQ',
        '-A KUBE-SEP-UHEGFW77JX3KXTOV -m comment --comment ns2/svc2:p8080 -m tcp -p tcp -j DNAT --to-destination 10.0.2.1:8080',
        '-A KUBE-SVC-2VJB64SDSIJUP5T6 -m comment --comment "ns2/svc2:p8080 cluster IP" -m tcp -p tcp -d 172.30.0.42 --dport 8080 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ',
        '-A KUBE-SVC-2VJB64SDSIJUP5T6 -m comment --comment "ns2/svc2:p8080 -> 10.0.2.1:8080" -j KUBE-SEP-UHEGFW77JX3KXTOV',
        '-A KUBE-SVC-XPGD46QRK7WJZT7O -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ',
        '-A KUBE-SVC-XPGD46QRK7WJZT7O -m comment --comment "ns1/svc1:p80 -> 10.0.1.1:80" -j KUBE-SEP-SNQ3ZNILQDEJNDQO',
        'COMMIT',
      ].join('\n'),
    );

    p.onServiceAdd(svc('ns3', 'svc3', '172.30.0.43', 80, 'p80'));
    const eps3 = slice('ns3', 'svc3', ['10.0.3.1'], 80, 'p80');
    p.onEndpointSliceAdd(eps3);
    step(
      'a new service and its endpoints: only its chains',
      [
        filter(),
        '*nat',
        ...natHead,
        ':KUBE-MARK-MASQ - [0:0]',
        ':KUBE-POSTROUTING - [0:0]',
        ':KUBE-SEP-BSWRHOQ77KEXZLNL - [0:0]',
        ':KUBE-SVC-X27LE4BHSL4DOUIK - [0:0]',
        '-A KUBE-SERVICES -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 -j KUBE-SVC-XPGD46QRK7WJZT7O',
        '-A KUBE-SERVICES -m comment --comment "ns2/svc2:p8080 cluster IP" -m tcp -p tcp -d 172.30.0.42 --dport 8080 -j KUBE-SVC-2VJB64SDSIJUP5T6',
        '-A KUBE-SERVICES -m comment --comment "ns3/svc3:p80 cluster IP" -m tcp -p tcp -d 172.30.0.43 --dport 80 -j KUBE-SVC-X27LE4BHSL4DOUIK',
        tail,
        ...masq,
        '-A KUBE-SEP-BSWRHOQ77KEXZLNL -m comment --comment ns3/svc3:p80 -s 10.0.3.1 -j KUBE-MARK-MASQ',
        '-A KUBE-SEP-BSWRHOQ77KEXZLNL -m comment --comment ns3/svc3:p80 -m tcp -p tcp -j DNAT --to-destination 10.0.3.1:80',
        '-A KUBE-SVC-X27LE4BHSL4DOUIK -m comment --comment "ns3/svc3:p80 cluster IP" -m tcp -p tcp -d 172.30.0.43 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ',
        '-A KUBE-SVC-X27LE4BHSL4DOUIK -m comment --comment "ns3/svc3:p80 -> 10.0.3.1:80" -j KUBE-SEP-BSWRHOQ77KEXZLNL',
        'COMMIT',
      ].join('\n'),
    );

    p.onServiceDelete(svc2);
    step(
      'a service deleted: its chains flushed and deleted',
      [
        filter(),
        '*nat',
        ...natHead,
        ':KUBE-MARK-MASQ - [0:0]',
        ':KUBE-POSTROUTING - [0:0]',
        ':KUBE-SEP-UHEGFW77JX3KXTOV - [0:0]',
        ':KUBE-SVC-2VJB64SDSIJUP5T6 - [0:0]',
        '-A KUBE-SERVICES -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 -j KUBE-SVC-XPGD46QRK7WJZT7O',
        '-A KUBE-SERVICES -m comment --comment "ns3/svc3:p80 cluster IP" -m tcp -p tcp -d 172.30.0.43 --dport 80 -j KUBE-SVC-X27LE4BHSL4DOUIK',
        tail,
        ...masq,
        '-X KUBE-SEP-UHEGFW77JX3KXTOV',
        '-X KUBE-SVC-2VJB64SDSIJUP5T6',
        'COMMIT',
      ].join('\n'),
    );

    const svc4 = svc('ns4', 'svc4', '172.30.0.44', 80, 'p80');
    p.onServiceAdd(svc4);
    step(
      'a service without endpoints: a REJECT rule only',
      [
        filter([
          '-A KUBE-SERVICES -m comment --comment "ns4/svc4:p80 has no endpoints" -m tcp -p tcp -d 172.30.0.44 --dport 80 -j REJECT',
        ]),
        '*nat',
        ...natHead,
        ':KUBE-MARK-MASQ - [0:0]',
        ':KUBE-POSTROUTING - [0:0]',
        '-A KUBE-SERVICES -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 -j KUBE-SVC-XPGD46QRK7WJZT7O',
        '-A KUBE-SERVICES -m comment --comment "ns3/svc3:p80 cluster IP" -m tcp -p tcp -d 172.30.0.43 --dport 80 -j KUBE-SVC-X27LE4BHSL4DOUIK',
        tail,
        ...masq,
        'COMMIT',
      ].join('\n'),
    );

    p.onEndpointSliceAdd(slice('ns4', 'svc4', ['10.0.4.1'], 80, 'p80'));
    step(
      'its endpoints arrive: its chains',
      [
        filter(),
        '*nat',
        ...natHead,
        ':KUBE-MARK-MASQ - [0:0]',
        ':KUBE-POSTROUTING - [0:0]',
        ':KUBE-SEP-AYCN5HPXMIRJNJXU - [0:0]',
        ':KUBE-SVC-4SW47YFZTEDKD3PK - [0:0]',
        '-A KUBE-SERVICES -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 -j KUBE-SVC-XPGD46QRK7WJZT7O',
        '-A KUBE-SERVICES -m comment --comment "ns3/svc3:p80 cluster IP" -m tcp -p tcp -d 172.30.0.43 --dport 80 -j KUBE-SVC-X27LE4BHSL4DOUIK',
        '-A KUBE-SERVICES -m comment --comment "ns4/svc4:p80 cluster IP" -m tcp -p tcp -d 172.30.0.44 --dport 80 -j KUBE-SVC-4SW47YFZTEDKD3PK',
        tail,
        ...masq,
        '-A KUBE-SEP-AYCN5HPXMIRJNJXU -m comment --comment ns4/svc4:p80 -s 10.0.4.1 -j KUBE-MARK-MASQ',
        '-A KUBE-SEP-AYCN5HPXMIRJNJXU -m comment --comment ns4/svc4:p80 -m tcp -p tcp -j DNAT --to-destination 10.0.4.1:80',
        '-A KUBE-SVC-4SW47YFZTEDKD3PK -m comment --comment "ns4/svc4:p80 cluster IP" -m tcp -p tcp -d 172.30.0.44 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ',
        '-A KUBE-SVC-4SW47YFZTEDKD3PK -m comment --comment "ns4/svc4:p80 -> 10.0.4.1:80" -j KUBE-SEP-AYCN5HPXMIRJNJXU',
        'COMMIT',
      ].join('\n'),
    );

    const eps3update = slice('ns3', 'svc3', ['10.0.3.2'], 80, 'p80');
    p.onEndpointSliceUpdate(eps3, eps3update);
    step(
      'an endpoint changed: SVC and SEP chains rewritten, the old SEP deleted',
      [
        filter(),
        '*nat',
        ...natHead,
        ':KUBE-MARK-MASQ - [0:0]',
        ':KUBE-POSTROUTING - [0:0]',
        ':KUBE-SEP-BSWRHOQ77KEXZLNL - [0:0]',
        ':KUBE-SEP-DKCFIS26GWF2WLWC - [0:0]',
        ':KUBE-SVC-X27LE4BHSL4DOUIK - [0:0]',
        '-A KUBE-SERVICES -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 -j KUBE-SVC-XPGD46QRK7WJZT7O',
        '-A KUBE-SERVICES -m comment --comment "ns3/svc3:p80 cluster IP" -m tcp -p tcp -d 172.30.0.43 --dport 80 -j KUBE-SVC-X27LE4BHSL4DOUIK',
        '-A KUBE-SERVICES -m comment --comment "ns4/svc4:p80 cluster IP" -m tcp -p tcp -d 172.30.0.44 --dport 80 -j KUBE-SVC-4SW47YFZTEDKD3PK',
        tail,
        ...masq,
        '-A KUBE-SEP-DKCFIS26GWF2WLWC -m comment --comment ns3/svc3:p80 -s 10.0.3.2 -j KUBE-MARK-MASQ',
        '-A KUBE-SEP-DKCFIS26GWF2WLWC -m comment --comment ns3/svc3:p80 -m tcp -p tcp -j DNAT --to-destination 10.0.3.2:80',
        '-A KUBE-SVC-X27LE4BHSL4DOUIK -m comment --comment "ns3/svc3:p80 cluster IP" -m tcp -p tcp -d 172.30.0.43 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ',
        '-A KUBE-SVC-X27LE4BHSL4DOUIK -m comment --comment "ns3/svc3:p80 -> 10.0.3.2:80" -j KUBE-SEP-DKCFIS26GWF2WLWC',
        '-X KUBE-SEP-BSWRHOQ77KEXZLNL',
        'COMMIT',
      ].join('\n'),
    );

    const eps3update2 = slice('ns3', 'svc3', ['10.0.3.2', '10.0.3.3'], 80, 'p80');
    p.onEndpointSliceUpdate(eps3update, eps3update2);
    const svc3Chains = [
      '-A KUBE-SEP-DKCFIS26GWF2WLWC -m comment --comment ns3/svc3:p80 -s 10.0.3.2 -j KUBE-MARK-MASQ',
      '-A KUBE-SEP-DKCFIS26GWF2WLWC -m comment --comment ns3/svc3:p80 -m tcp -p tcp -j DNAT --to-destination 10.0.3.2:80',
      '-A KUBE-SEP-JVVZVJ7BSEPPRNBS -m comment --comment ns3/svc3:p80 -s 10.0.3.3 -j KUBE-MARK-MASQ',
      '-A KUBE-SEP-JVVZVJ7BSEPPRNBS -m comment --comment ns3/svc3:p80 -m tcp -p tcp -j DNAT --to-destination 10.0.3.3:80',
    ];
    const svc3Rules = [
      '-A KUBE-SVC-X27LE4BHSL4DOUIK -m comment --comment "ns3/svc3:p80 cluster IP" -m tcp -p tcp -d 172.30.0.43 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ',
      '-A KUBE-SVC-X27LE4BHSL4DOUIK -m comment --comment "ns3/svc3:p80 -> 10.0.3.2:80" -m statistic --mode random --probability 0.5000000000 -j KUBE-SEP-DKCFIS26GWF2WLWC',
      '-A KUBE-SVC-X27LE4BHSL4DOUIK -m comment --comment "ns3/svc3:p80 -> 10.0.3.3:80" -j KUBE-SEP-JVVZVJ7BSEPPRNBS',
    ];
    const services3 = [
      '-A KUBE-SERVICES -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 -j KUBE-SVC-XPGD46QRK7WJZT7O',
      '-A KUBE-SERVICES -m comment --comment "ns3/svc3:p80 cluster IP" -m tcp -p tcp -d 172.30.0.43 --dport 80 -j KUBE-SVC-X27LE4BHSL4DOUIK',
      '-A KUBE-SERVICES -m comment --comment "ns4/svc4:p80 cluster IP" -m tcp -p tcp -d 172.30.0.44 --dport 80 -j KUBE-SVC-4SW47YFZTEDKD3PK',
      tail,
    ];
    step(
      'an endpoint added',
      [
        filter(),
        '*nat',
        ...natHead,
        ':KUBE-MARK-MASQ - [0:0]',
        ':KUBE-POSTROUTING - [0:0]',
        ':KUBE-SEP-DKCFIS26GWF2WLWC - [0:0]',
        ':KUBE-SEP-JVVZVJ7BSEPPRNBS - [0:0]',
        ':KUBE-SVC-X27LE4BHSL4DOUIK - [0:0]',
        ...services3,
        ...masq,
        ...svc3Chains,
        ...svc3Rules,
        'COMMIT',
      ].join('\n'),
    );

    step(
      'no changes: no service chain rewritten',
      [
        filter(),
        '*nat',
        ...natHead,
        ':KUBE-MARK-MASQ - [0:0]',
        ':KUBE-POSTROUTING - [0:0]',
        ...services3,
        ...masq,
        'COMMIT',
      ].join('\n'),
    );

    // Upstream's absurd scenario: svc3's chain jumps to svc4's endpoint chain; deleting svc4 with a
    // partial restore would leave that jump dangling, so the restore fails and a full resync follows.
    kernel = applyRestore(
      kernel,
      RuleTable.parse('*nat\n-A KUBE-SVC-X27LE4BHSL4DOUIK -j KUBE-SEP-AYCN5HPXMIRJNJXU\nCOMMIT\n'),
    );
    p.onServiceDelete(svc4);
    const failed = p.syncProxyRules();
    t.same([failed.ok, failed.full], [false, false], 'the partial restore is refused');
    t.match(failed.error, /KUBE-SEP-AYCN5HPXMIRJNJXU/, 'because of the dangling jump');
    t.ok(kernel.getChain('nat', 'KUBE-SEP-AYCN5HPXMIRJNJXU'), "svc4's endpoint chain is still there");
    const full = step(
      'the retry is a full resync that deletes svc4',
      [
        filter(),
        '*nat',
        ...natHead,
        ':KUBE-MARK-MASQ - [0:0]',
        ':KUBE-POSTROUTING - [0:0]',
        ':KUBE-SEP-AYCN5HPXMIRJNJXU - [0:0]',
        ':KUBE-SEP-DKCFIS26GWF2WLWC - [0:0]',
        ':KUBE-SEP-JVVZVJ7BSEPPRNBS - [0:0]',
        ':KUBE-SEP-SNQ3ZNILQDEJNDQO - [0:0]',
        ':KUBE-SVC-4SW47YFZTEDKD3PK - [0:0]',
        ':KUBE-SVC-X27LE4BHSL4DOUIK - [0:0]',
        ':KUBE-SVC-XPGD46QRK7WJZT7O - [0:0]',
        '-A KUBE-SERVICES -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 -j KUBE-SVC-XPGD46QRK7WJZT7O',
        '-A KUBE-SERVICES -m comment --comment "ns3/svc3:p80 cluster IP" -m tcp -p tcp -d 172.30.0.43 --dport 80 -j KUBE-SVC-X27LE4BHSL4DOUIK',
        tail,
        ...masq,
        ...svc3Chains,
        '-A KUBE-SEP-SNQ3ZNILQDEJNDQO -m comment --comment ns1/svc1:p80 -s 10.0.1.1 -j KUBE-MARK-MASQ',
        '-A KUBE-SEP-SNQ3ZNILQDEJNDQO -m comment --comment ns1/svc1:p80 -m tcp -p tcp -j DNAT --to-destination 10.0.1.1:80',
        ...svc3Rules,
        '-A KUBE-SVC-XPGD46QRK7WJZT7O -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ',
        '-A KUBE-SVC-XPGD46QRK7WJZT7O -m comment --comment "ns1/svc1:p80 -> 10.0.1.1:80" -j KUBE-SEP-SNQ3ZNILQDEJNDQO',
        '-X KUBE-SEP-AYCN5HPXMIRJNJXU',
        '-X KUBE-SVC-4SW47YFZTEDKD3PK',
        'COMMIT',
      ].join('\n'),
    );
    t.same([full.ok, full.full], [true, true]);
    t.notOk(kernel.getChain('nat', 'KUBE-SEP-AYCN5HPXMIRJNJXU'), 'now it is gone');
  },
);
