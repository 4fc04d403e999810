import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { syncNode } from '../../lab/tools/index.js';
import { storeFromManifests } from '../../lab/tools/objects.js';
import { sortIPTablesRules } from '../../proxy/ruletable/sort.js';
import { netlabInProcess } from '../index.js';
import { acceptanceDir, fixtureARules, netlab } from './fixtures/index.js';

// The commands run in this process (netlabInProcess), but for the malformed input: a netlab process,
// for its exit status and its streams.
t.test('netlab iptables-save: the contract', async (t) => {
  const ok = await netlabInProcess([
    'iptables-save',
    '-f',
    join(acceptanceDir, 'fixture-a.yaml'),
    '--hostname-override',
    'test-node',
    '--cluster-cidr',
    '10.0.0.0/8',
  ]);
  t.equal(ok.code, 0, 'exit 0');
  t.match(ok.stdout, /^\*filter\n[\s\S]*\nCOMMIT\n\*nat\n[\s\S]*\nCOMMIT\n$/, 'filter, then nat');
  t.equal(sortIPTablesRules(ok.stdout), fixtureARules, 'fixture-a.iptables after the test sort');

  const dir = mkdtempSync(join(tmpdir(), 'netlab-cli-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const bad = join(dir, 'bad.yaml');
  writeFileSync(
    bad,
    'apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  clusterIP: 10.96.0.300\n  ports: [{port: 80}]\n',
  );
  const fail = await netlab(['iptables-save', '-f', bad]);
  t.equal(fail.code, 1, 'malformed input: exit 1');
  t.equal(
    fail.stderr.replaceAll(`${dir}/`, ''),
    'error: bad.yaml:5: Service default/web: spec.clusterIP: Invalid value: "10.96.0.300": must be a valid IP address\n',
    'one clear line, no stack trace',
  );
  t.equal(fail.stdout, '', 'nothing on stdout');

  const unallocated = join(dir, 'unallocated.yaml');
  writeFileSync(
    unallocated,
    'apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  ports: [{port: 80}]\n',
  );
  const warn = await netlabInProcess(['iptables-save', '-f', unallocated]);
  t.equal(warn.code, 0, 'a Service without a cluster IP is not an error');
  t.equal(
    warn.stderr,
    'warning: Service default/web has no spec.clusterIP: kube-proxy skips it (give it the allocated IP)\n',
    'but it is said',
  );
  t.notMatch(warn.stdout, 'default/web', 'and it gets no rules');
});

t.test(
  'EndpointSlices derived from Pods when the manifests have none; node from the manifests',
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'netlab-cli-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'pods.yaml');
    const pod = (name: string, ip: string, node: string, ready: boolean) => `---
apiVersion: v1
kind: Pod
metadata: {name: ${name}, namespace: shop, labels: {app: web}}
spec:
  nodeName: ${node}
  containers: [{name: web, image: agnhost, ports: [{name: http, containerPort: 8080}]}]
status:
  phase: Running
  podIP: ${ip}
  conditions: [{type: Ready, status: "${ready ? 'True' : 'False'}"}]
`;
    writeFileSync(
      file,
      `apiVersion: v1
kind: Node
metadata: {name: node-a}
status: {addresses: [{type: InternalIP, address: 192.168.1.10}, {type: ExternalIP, address: 203.0.113.10}]}
---
apiVersion: v1
kind: Node
metadata: {name: node-b}
status: {addresses: [{type: InternalIP, address: 192.168.1.11}]}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  type: LoadBalancer
  clusterIP: 10.96.0.20
  selector: {app: web}
  externalTrafficPolicy: Local
  healthCheckNodePort: 32100
  loadBalancerSourceRanges: [192.168.0.0/16]
  ports: [{name: http, port: 80, targetPort: http, nodePort: 30080}]
status: {loadBalancer: {ingress: [{ip: 198.51.100.7}]}}
${pod('web-1', '10.244.1.5', 'node-a', true)}${pod('web-2', '10.244.2.6', 'node-b', true)}${pod('web-3', '10.244.1.7', 'node-a', false)}`,
    );
    const read = storeFromManifests([file]);
    const sync = syncNode(read.store, { hostnameOverride: 'node-a', clusterCidr: '10.244.0.0/16' });
    t.equal(read.derived.length > 0, true, 'slices derived');
    t.same(sync.options.nodeIPs, ['192.168.1.10', '203.0.113.10'], "the Node's InternalIP, then ExternalIP");
    const payload = sync.result.payload;
    t.equal(sortIPTablesRules(payload), EXPECTED_PODS, 'web-3 is not ready; web-1 is the local endpoint');
  },
);

const EXPECTED_PODS = `*filter
:KUBE-NODEPORTS - [0:0]
:KUBE-SERVICES - [0:0]
:KUBE-EXTERNAL-SERVICES - [0:0]
:KUBE-FIREWALL - [0:0]
:KUBE-FORWARD - [0:0]
:KUBE-PROXY-FIREWALL - [0:0]
-A KUBE-NODEPORTS -m comment --comment "shop/web:http health check node port" -m tcp -p tcp --dport 32100 -j ACCEPT
-A KUBE-FIREWALL -m comment --comment "block incoming localnet connections" -d 127.0.0.0/8 ! -s 127.0.0.0/8 -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP
-A KUBE-FORWARD -m conntrack --ctstate INVALID -m nfacct --nfacct-name ct_state_invalid_dropped_pkts -j DROP
-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT
-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A KUBE-PROXY-FIREWALL -m comment --comment "shop/web:http traffic not accepted by KUBE-FW-67NZLRHBNDSAWJRO" -m tcp -p tcp -d 198.51.100.7 --dport 80 -j DROP
COMMIT
*nat
:KUBE-NODEPORTS - [0:0]
:KUBE-SERVICES - [0:0]
:KUBE-EXT-67NZLRHBNDSAWJRO - [0:0]
:KUBE-FW-67NZLRHBNDSAWJRO - [0:0]
:KUBE-MARK-MASQ - [0:0]
:KUBE-POSTROUTING - [0:0]
:KUBE-SEP-34ZZ2QFGO32YYXXO - [0:0]
:KUBE-SEP-6VCK77QPODAJLWFH - [0:0]
:KUBE-SVC-67NZLRHBNDSAWJRO - [0:0]
:KUBE-SVL-67NZLRHBNDSAWJRO - [0:0]
-A KUBE-NODEPORTS -m comment --comment shop/web:http -m tcp -p tcp -d 127.0.0.0/8 --dport 30080 -m nfacct --nfacct-name localhost_nps_accepted_pkts -j KUBE-EXT-67NZLRHBNDSAWJRO
-A KUBE-NODEPORTS -m comment --comment shop/web:http -m tcp -p tcp --dport 30080 -j KUBE-EXT-67NZLRHBNDSAWJRO
-A KUBE-SERVICES -m comment --comment "shop/web:http cluster IP" -m tcp -p tcp -d 10.96.0.20 --dport 80 -j KUBE-SVC-67NZLRHBNDSAWJRO
-A KUBE-SERVICES -m comment --comment "shop/web:http loadbalancer IP" -m tcp -p tcp -d 198.51.100.7 --dport 80 -j KUBE-FW-67NZLRHBNDSAWJRO
-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS
-A KUBE-EXT-67NZLRHBNDSAWJRO -m comment --comment "pod traffic for shop/web:http external destinations" -s 10.244.0.0/16 -j KUBE-SVC-67NZLRHBNDSAWJRO
-A KUBE-EXT-67NZLRHBNDSAWJRO -m comment --comment "masquerade LOCAL traffic for shop/web:http external destinations" -m addrtype --src-type LOCAL -j KUBE-MARK-MASQ
-A KUBE-EXT-67NZLRHBNDSAWJRO -m comment --comment "route LOCAL traffic for shop/web:http external destinations" -m addrtype --src-type LOCAL -j KUBE-SVC-67NZLRHBNDSAWJRO
-A KUBE-EXT-67NZLRHBNDSAWJRO -j KUBE-SVL-67NZLRHBNDSAWJRO
-A KUBE-FW-67NZLRHBNDSAWJRO -m comment --comment "shop/web:http loadbalancer IP" -s 192.168.0.0/16 -j KUBE-EXT-67NZLRHBNDSAWJRO
-A KUBE-FW-67NZLRHBNDSAWJRO -m comment --comment "shop/web:http loadbalancer IP" -s 198.51.100.7 -j KUBE-EXT-67NZLRHBNDSAWJRO
-A KUBE-FW-67NZLRHBNDSAWJRO -m comment --comment "other traffic to shop/web:http will be dropped by KUBE-PROXY-FIREWALL"
-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000
-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN
-A KUBE-POSTROUTING -j MARK --xor-mark 0x4000
-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE
-A KUBE-SEP-34ZZ2QFGO32YYXXO -m comment --comment shop/web:http -s 10.244.1.5 -j KUBE-MARK-MASQ
-A KUBE-SEP-34ZZ2QFGO32YYXXO -m comment --comment shop/web:http -m tcp -p tcp -j DNAT --to-destination 10.244.1.5:8080
-A KUBE-SEP-6VCK77QPODAJLWFH -m comment --comment shop/web:http -s 10.244.2.6 -j KUBE-MARK-MASQ
-A KUBE-SEP-6VCK77QPODAJLWFH -m comment --comment shop/web:http -m tcp -p tcp -j DNAT --to-destination 10.244.2.6:8080
-A KUBE-SVC-67NZLRHBNDSAWJRO -m comment --comment "shop/web:http cluster IP" -m tcp -p tcp -d 10.96.0.20 --dport 80 ! -s 10.244.0.0/16 -j KUBE-MARK-MASQ
-A KUBE-SVC-67NZLRHBNDSAWJRO -m comment --comment "shop/web:http -> 10.244.1.5:8080" -m statistic --mode random --probability 0.5000000000 -j KUBE-SEP-34ZZ2QFGO32YYXXO
-A KUBE-SVC-67NZLRHBNDSAWJRO -m comment --comment "shop/web:http -> 10.244.2.6:8080" -j KUBE-SEP-6VCK77QPODAJLWFH
-A KUBE-SVL-67NZLRHBNDSAWJRO -m comment --comment "shop/web:http -> 10.244.1.5:8080" -j KUBE-SEP-34ZZ2QFGO32YYXXO
COMMIT
`;
