// `netlab trace` end to end on the acceptance fixture A (kube-proxy TestOverallIPTablesRules), run as
// the issue writes the command: `netlab trace -f fixture-a.yaml --hostname-override test-node
// --cluster-cidr 10.0.0.0/8 --src IP --dst IP --dport PORT [--proto P] [-o json]`.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import type { TraceFlags } from '../../lab/commands/trace.js';
import { iptablesSaveManifests, traceManifests } from '../../lab/tools/index.js';
import { netlabInProcess } from '../index.js';
import { acceptanceDir, netlab } from './fixtures/index.js';

const runTrace = (flags: TraceFlags) => traceManifests(flags.filename, flags).output;

const fixtureA = join(acceptanceDir, 'fixture-a.yaml');
const nodeFlags = ['-f', fixtureA, '--hostname-override', 'test-node', '--cluster-cidr', '10.0.0.0/8'];
// Upstream's flow tables are kube-proxy's test tracer's answers: its rule lists need its semantics.
const upstream = ['--semantics', 'kube-proxy-test'];

// Every Service of fixture A, from the places kube-proxy's packet-flow tests send packets from
// (proxier_test.go's runPacketFlowTests): a pod (10.0.0.2), the node itself (192.168.0.2), an external client
// (203.0.113.2, inside svc5's source range) and a blocked one (203.0.113.130, outside it). Both
// semantics give these answers (fixture A has no Service without endpoints on an external IP); with
// --pick, the kernel's one choice never disagrees with the default verdict.
t.test('fixture A: every Service through netlab trace (in process)', async (t) => {
  const cases: [name: string, src: string, dst: string, dport: number, endpoints: string, masq: boolean][] = [
    ['svc1 cluster IP from a pod', '10.0.0.2', '172.30.0.41', 80, '10.180.0.1:80', false],
    ['svc1 cluster IP from the node', '192.168.0.2', '172.30.0.41', 80, '10.180.0.1:80', true],
    ['svc1 wrong port', '10.0.0.2', '172.30.0.41', 443, 'ACCEPT', false],
    ['svc2 cluster IP from a pod', '10.0.0.2', '172.30.0.42', 80, '10.180.0.2:80', false],
    ['svc2 external IP from outside: no local endpoint', '203.0.113.2', '192.168.99.22', 80, 'DROP', false],
    ['svc2 external IP from a pod: short-circuit', '10.0.0.2', '192.168.99.22', 80, '10.180.0.2:80', false],
    ['svc2 external IP from the node', '192.168.0.2', '192.168.99.22', 80, '10.180.0.2:80', true],
    ['svc2 LB IP from outside', '203.0.113.2', '1.2.3.4', 80, 'DROP', false],
    ['svc2 LB IP from a pod', '10.0.0.2', '1.2.3.4', 80, '10.180.0.2:80', false],
    ['svc2 NodePort from outside', '203.0.113.2', '192.168.0.2', 3001, 'DROP', false],
    ['svc2 NodePort from localhost', '127.0.0.1', '127.0.0.1', 3001, '10.180.0.2:80', true],
    ['svc2 health check NodePort', '203.0.113.2', '192.168.0.2', 30000, 'ACCEPT', false],
    ['svc3 cluster IP', '10.0.0.2', '172.30.0.43', 80, '10.180.0.3:80', false],
    ['svc3 NodePort from outside', '203.0.113.2', '192.168.0.2', 3003, '10.180.0.3:80', true],
    ['svc3 NodePort from localhost', '127.0.0.1', '127.0.0.1', 3003, '10.180.0.3:80', true],
    ['svc3 NodePort on a non-local address', '203.0.113.2', '192.168.0.9', 3003, 'ACCEPT', false],
    ['svc4 cluster IP: both endpoints', '10.0.0.2', '172.30.0.44', 80, '10.180.0.4:80, 10.180.0.5:80', false],
    [
      'svc4 external IP from outside',
      '203.0.113.2',
      '192.168.99.33',
      80,
      '10.180.0.4:80, 10.180.0.5:80',
      true,
    ],
    ['svc4 has no NodePort', '203.0.113.2', '192.168.0.2', 80, 'ACCEPT', false],
    [
      'svc5 cluster IP (affinity: possibility tracer ignores --rcheck)',
      '10.0.0.2',
      '172.30.0.45',
      80,
      '10.180.0.3:80',
      false,
    ],
    ['svc5 LB IP from an allowed source', '203.0.113.2', '5.6.7.8', 80, '10.180.0.3:80', true],
    ['svc5 LB IP from a blocked source', '203.0.113.130', '5.6.7.8', 80, 'DROP', false],
    ['svc5 NodePort from outside', '203.0.113.2', '192.168.0.2', 3002, '10.180.0.3:80', true],
    [
      'svc5 LB IP from the node: outside the source range (§3.1)',
      '192.168.0.2',
      '5.6.7.8',
      80,
      'DROP',
      false,
    ],
    ['svc5 LB IP from a pod: outside the source range', '10.0.0.2', '5.6.7.8', 80, 'DROP', false],
    ['svc6 no endpoints', '10.0.0.2', '172.30.0.46', 80, 'REJECT', false],
    ['svc6 no endpoints, from outside', '203.0.113.2', '172.30.0.46', 80, 'REJECT', false],
    ['no Service', '10.0.0.2', '10.0.0.3', 80, 'ACCEPT', false],
  ];
  for (const semantics of ['kube-proxy-test', 'kernel']) {
    for (const [name, src, dst, dport, endpoints, masq] of cases) {
      const flags: TraceFlags = {
        filename: [fixtureA],
        hostnameOverride: 'test-node',
        clusterCidr: '10.0.0.0/8',
        src,
        dst,
        dport: String(dport),
        proto: 'tcp',
        seed: '1',
        output: 'json',
        semantics,
      };
      const got = JSON.parse(runTrace(flags)) as {
        endpoints: string[];
        verdict: string;
        masquerade: boolean;
      };
      const verdict = /^[A-Z]+$/.test(endpoints) ? endpoints : 'DNAT';
      t.same(
        {
          endpoints: got.endpoints.join(', ') || got.verdict,
          verdict: got.verdict,
          masquerade: got.masquerade,
        },
        { endpoints, verdict, masquerade: masq },
        `${semantics}: ${name}`,
      );
      if (semantics !== 'kernel') continue;
      for (const seed of ['1', '2', '3', '4']) {
        const picked = JSON.parse(runTrace({ ...flags, pick: true, seed })) as { picked: string };
        t.ok(
          verdict === 'DNAT' ? got.endpoints.includes(picked.picked) : picked.picked === verdict,
          `${name}: --pick --seed ${seed} (${picked.picked}) agrees with ${verdict}`,
        );
      }
    }
  }
});

// The default follows the kernel: the node's own packet meets nat OUTPUT, filter OUTPUT and nat
// POSTROUTING (and filter INPUT when it is delivered locally); another host's meets nat PREROUTING,
// then filter INPUT or FORWARD by where the destination is after DNAT. KUBE-EXTERNAL-SERVICES hangs
// off INPUT and FORWARD only, so the node's packet to the external IP of a Service without
// endpoints leaves un-NATed, where kube-proxy's test tracer says REJECT.
t.test('netlab trace: the kernel semantics by default', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'netlab-kernel-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'none.yaml');
  writeFileSync(
    file,
    `apiVersion: v1
kind: Node
metadata: {name: node-a}
status: {addresses: [{type: InternalIP, address: 192.168.0.2}]}
---
apiVersion: v1
kind: Service
metadata: {name: none, namespace: default}
spec: {type: NodePort, clusterIP: 172.30.0.50, externalIPs: [192.168.99.50], ports: [{name: p, port: 80, protocol: TCP, nodePort: 30050}]}
`,
  );
  const base = { filename: [file], clusterCidr: '10.0.0.0/8', proto: 'tcp', seed: '1' };
  const fromNode = { ...base, src: '192.168.0.2', dst: '192.168.99.50', dport: '80' };
  t.equal(
    runTrace({ ...fromNode, pick: true }),
    `rules matched:
  nat    -A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
  filter -A OUTPUT -j KUBE-FIREWALL
  filter -A OUTPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL
  filter -A OUTPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
  nat    -A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING
  nat    -A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN
endpoints: <none>
verdict: ACCEPT
masquerade: false
picked (seed 1): ACCEPT
`,
    'the node to the external IP of a Service without endpoints: out, un-NATed',
  );
  t.match(
    runTrace({ ...fromNode, semantics: 'kube-proxy-test' }),
    /\nverdict: REJECT\n/,
    'kube-proxy-test: REJECT',
  );
  const cases: [name: string, src: string, dst: string, dport: string, verdict: string, last: string][] = [
    [
      'from outside to the external IP',
      '203.0.113.2',
      '192.168.99.50',
      '80',
      'REJECT',
      '-A KUBE-EXTERNAL-SERVICES -m comment --comment "default/none:p has no endpoints" -m tcp -p tcp -d 192.168.99.50 --dport 80 -j REJECT',
    ],
    [
      'a pod to the cluster IP',
      '10.0.0.2',
      '172.30.0.50',
      '80',
      'REJECT',
      '-A KUBE-SERVICES -m comment --comment "default/none:p has no endpoints" -m tcp -p tcp -d 172.30.0.50 --dport 80 -j REJECT',
    ],
    [
      'the node to the cluster IP (filter OUTPUT jumps to KUBE-SERVICES)',
      '192.168.0.2',
      '172.30.0.50',
      '80',
      'REJECT',
      '-A KUBE-SERVICES -m comment --comment "default/none:p has no endpoints" -m tcp -p tcp -d 172.30.0.50 --dport 80 -j REJECT',
    ],
    [
      'the node to its own NodePort: back in over loopback through INPUT',
      '192.168.0.2',
      '192.168.0.2',
      '30050',
      'REJECT',
      '-A KUBE-EXTERNAL-SERVICES -m comment --comment "default/none:p has no endpoints" -m addrtype --dst-type LOCAL -m tcp -p tcp --dport 30050 -j REJECT',
    ],
  ];
  for (const [name, src, dst, dport, verdict, last] of cases) {
    const got = JSON.parse(runTrace({ ...base, src, dst, dport, output: 'json', pick: true })) as {
      verdict: string;
      picked: string;
      rules: string[];
    };
    t.same([got.verdict, got.picked, got.rules.at(-1)], [verdict, verdict, last], name);
  }
  // Paths that end differently: a host-network endpoint on the node's own address, at the port of
  // a NodePort without endpoints, is DNATed and then REJECTed in INPUT; the other is forwarded. The
  // verdict is the likeliest, `verdicts` names both, and --pick gives one of them.
  const mixed = join(dir, 'mixed.yaml');
  writeFileSync(
    mixed,
    `apiVersion: v1
kind: Node
metadata: {name: node-a}
status: {addresses: [{type: InternalIP, address: 192.168.0.2}]}
---
apiVersion: v1
kind: Service
metadata: {name: none, namespace: default}
spec: {type: NodePort, clusterIP: 172.30.0.50, ports: [{name: p, port: 80, protocol: TCP, nodePort: 30050}]}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec: {clusterIP: 172.30.0.10, ports: [{name: p, port: 80, protocol: TCP}]}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: web-x, namespace: default, labels: {kubernetes.io/service-name: web}}
addressType: IPv4
ports: [{name: p, port: 30050, protocol: TCP}]
endpoints: [{addresses: [10.180.0.1], nodeName: node-b}, {addresses: [192.168.0.2], nodeName: node-a}]
`,
  );
  const toWeb = { ...base, filename: [mixed], src: '10.0.0.2', dst: '172.30.0.10', dport: '80' };
  t.match(
    runTrace({ ...toWeb, pick: true }),
    /\nendpoints: 10\.180\.0\.1:30050\nverdict: DNAT\nverdicts: DNAT 50\.0%, REJECT 50\.0%\nmasquerade: false\nshares of new connections: 10\.180\.0\.1:30050 50\.0%\npicked \(seed 1\): (10\.180\.0\.1:30050|REJECT)\n$/,
    'mixed paths: text',
  );
  const picks = new Set(
    ['1', '2', '3', '4', '5', '6', '7', '8'].map(
      (seed) =>
        (JSON.parse(runTrace({ ...toWeb, seed, pick: true, output: 'json' })) as { picked: string }).picked,
    ),
  );
  t.same([...picks].sort(), ['10.180.0.1:30050', 'REJECT'], 'mixed paths: --pick gives each of them');
  t.same(
    (JSON.parse(runTrace({ ...toWeb, output: 'json' })) as { verdicts: unknown }).verdicts,
    [
      { verdict: 'DNAT', share: 0.5 },
      { verdict: 'REJECT', share: 0.5 },
    ],
    'mixed paths: JSON verdicts',
  );
  t.throws(
    () => runTrace({ ...fromNode, semantics: 'upstream' }),
    /^--semantics: Unsupported value: "upstream": supported values: "kernel", "kube-proxy-test"$/,
  );
});

// Without --ip-family the packet's family picks the table set, as the kernel does.
t.test('netlab trace: an IPv6 packet walks the IPv6 rules', async (t) => {
  const base = { proto: 'tcp', seed: '1', output: 'json' };
  const v6 = `apiVersion: v1
kind: Node
metadata: {name: node-6}
status: {addresses: [{type: InternalIP, address: '2001:db8::1'}]}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: ns6}
spec: {clusterIP: 'fd00:30::10', ipFamilies: [IPv6], ports: [{name: p, port: 80, protocol: TCP}]}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: web-x, namespace: ns6, labels: {kubernetes.io/service-name: web}}
addressType: IPv6
ports: [{name: p, port: 8080, protocol: TCP}]
endpoints: [{addresses: ['fd00:10::1']}]
`;
  const dir = mkdtempSync(join(tmpdir(), 'netlab-trace6-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'v6.yaml');
  writeFileSync(file, v6);
  const flags = { ...base, filename: [file], hostnameOverride: 'node-6', clusterCidr: 'fd00:10::/64' };
  const cases: [ipFamily: string | undefined, src: string, want: Record<string, unknown>][] = [
    [undefined, 'fd00:10::9', { endpoints: ['[fd00:10::1]:8080'], verdict: 'DNAT', masquerade: false }],
    [undefined, '2001:db8::1', { endpoints: ['[fd00:10::1]:8080'], verdict: 'DNAT', masquerade: true }],
    ['ipv4', 'fd00:10::9', { endpoints: [], verdict: 'ACCEPT', masquerade: false }],
  ];
  for (const [ipFamily, src, want] of cases) {
    const got = JSON.parse(
      runTrace({
        ...flags,
        ...(ipFamily === undefined ? {} : { ipFamily }),
        src,
        dst: 'fd00:30::10',
        dport: '80',
      }),
    ) as Record<string, unknown>;
    delete got.rules;
    t.same(got, want, `--ip-family ${ipFamily ?? '(none)'} from ${src}`);
  }
});

t.test('netlab trace', async (t) => {
  const trace = async (...args: string[]) => {
    const r = await netlab(['trace', ...nodeFlags, ...upstream, ...args]);
    if (r.code !== 0) throw r;
    return r;
  };

  const text = await trace('--src', '10.0.0.2', '--dst', '172.30.0.44', '--dport', '80');
  t.equal(
    text.stdout,
    `rules matched:
  nat    -A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
  nat    -A KUBE-SERVICES -m comment --comment "ns4/svc4:p80 cluster IP" -m tcp -p tcp -d 172.30.0.44 --dport 80 -j KUBE-SVC-4SW47YFZTEDKD3PK
  nat    -A KUBE-SVC-4SW47YFZTEDKD3PK -m comment --comment "ns4/svc4:p80 -> 10.180.0.4:80" -m statistic --mode random --probability 0.5000000000 -j KUBE-SEP-UKSFD7AGPMPPLUHC
  nat    -A KUBE-SEP-UKSFD7AGPMPPLUHC -m comment --comment ns4/svc4:p80 -m tcp -p tcp -j DNAT --to-destination 10.180.0.4:80
  nat    -A KUBE-SVC-4SW47YFZTEDKD3PK -m comment --comment "ns4/svc4:p80 -> 10.180.0.5:80" -j KUBE-SEP-C6EBXVWJJZMIWKLZ
  nat    -A KUBE-SEP-C6EBXVWJJZMIWKLZ -m comment --comment ns4/svc4:p80 -m tcp -p tcp -j DNAT --to-destination 10.180.0.5:80
endpoints: 10.180.0.4:80, 10.180.0.5:80
verdict: DNAT
masquerade: false
`,
  );

  // The rest in process (spawning is for the command's own contract: text on stdout, exit code).
  const inProcess = (args: string[]) => {
    const flags: Record<string, unknown> = {
      filename: [fixtureA],
      hostnameOverride: 'test-node',
      clusterCidr: '10.0.0.0/8',
      proto: 'tcp',
      seed: '1',
      semantics: 'kube-proxy-test',
    };
    for (let i = 0; i < args.length; i++) {
      const name = args[i]!.replace(/^-+/, '');
      if (name === 'pick') flags.pick = true;
      else flags[name === 'o' ? 'output' : name] = args[++i];
    }
    return { stdout: runTrace(flags as unknown as TraceFlags) };
  };
  const cases: { args: string[]; json: Record<string, unknown> }[] = [
    {
      args: ['--src', '192.168.0.2', '--dst', '192.168.99.22', '--dport', '80'],
      json: {
        endpoints: ['10.180.0.2:80'],
        verdict: 'DNAT',
        masquerade: true,
        rules: [
          '-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
          '-A KUBE-SERVICES -m comment --comment "ns2/svc2:p80 external IP" -m tcp -p tcp -d 192.168.99.22 --dport 80 -j KUBE-EXT-GNZBNJ2PO5MGZ6GT',
          '-A KUBE-EXT-GNZBNJ2PO5MGZ6GT -m comment --comment "masquerade LOCAL traffic for ns2/svc2:p80 external destinations" -m addrtype --src-type LOCAL -j KUBE-MARK-MASQ',
          '-A KUBE-EXT-GNZBNJ2PO5MGZ6GT -m comment --comment "route LOCAL traffic for ns2/svc2:p80 external destinations" -m addrtype --src-type LOCAL -j KUBE-SVC-GNZBNJ2PO5MGZ6GT',
          '-A KUBE-SVC-GNZBNJ2PO5MGZ6GT -m comment --comment "ns2/svc2:p80 -> 10.180.0.2:80" -j KUBE-SEP-RS4RBKLTHTF2IUXJ',
          '-A KUBE-SEP-RS4RBKLTHTF2IUXJ -m comment --comment ns2/svc2:p80 -m tcp -p tcp -j DNAT --to-destination 10.180.0.2:80',
        ],
      },
    },
    {
      args: ['--src', '203.0.113.2', '--dst', '192.168.0.2', '--dport', '30000'],
      json: {
        endpoints: [],
        verdict: 'ACCEPT',
        masquerade: false,
        rules: [
          '-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
          '-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS',
          '-A KUBE-NODEPORTS -m comment --comment "ns2/svc2:p80 health check node port" -m tcp -p tcp --dport 30000 -j ACCEPT',
        ],
      },
    },
    {
      args: ['--src', '10.0.0.2', '--dst', '172.30.0.46', '--dport', '80', '--proto', 'tcp'],
      json: {
        endpoints: [],
        verdict: 'REJECT',
        masquerade: false,
        rules: [
          '-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
          '-A KUBE-SERVICES -m comment --comment "ns6/svc6:p80 has no endpoints" -m tcp -p tcp -d 172.30.0.46 --dport 80 -j REJECT',
        ],
      },
    },
    {
      args: ['--src', '10.0.0.2', '--dst', '172.30.0.44', '--dport', '80', '--proto', 'udp'],
      json: {
        endpoints: [],
        verdict: 'ACCEPT',
        masquerade: false,
        rules: ['-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES'],
      },
    },
  ];
  for (const c of cases) {
    const { stdout } = inProcess([...c.args, '-o', 'json']);
    t.same(JSON.parse(stdout), c.json, c.args.join(' '));
  }

  const picked = inProcess([
    '--src',
    '10.0.0.2',
    '--dst',
    '172.30.0.44',
    '--dport',
    '80',
    '--pick',
    '--seed',
    '3',
    '-o',
    'json',
  ]);
  t.ok(
    ['10.180.0.4:80', '10.180.0.5:80'].includes(JSON.parse(picked.stdout).picked),
    '--pick names one endpoint',
  );
  t.same(JSON.parse(picked.stdout).shares, [0.5, 0.5], 'and the shares');
  const pickedText = inProcess([
    '--src',
    '10.0.0.2',
    '--dst',
    '172.30.0.44',
    '--dport',
    '80',
    '--pick',
    '--seed',
    '3',
  ]);
  t.match(
    pickedText.stdout,
    /\nshares of new connections: 10\.180\.0\.4:80 50\.0%, 10\.180\.0\.5:80 50\.0%\npicked \(seed 3\): 10\.180\.0\.[45]:80\n$/,
  );

  const errors: { args: string[]; stderr: string }[] = [
    {
      args: ['--src', '10.0.0.2', '--dst', '172.30.0.44', '--dport', '99999'],
      stderr: 'error: --dport: Invalid value: "99999": must be between 0 and 65535, inclusive\n',
    },
    {
      args: ['--src', '10.0.0.2', '--dst', '172.30.0.44', '--dport', '80', '--proto', 'icmp'],
      stderr: 'error: --proto: Unsupported value: "icmp": supported values: "tcp", "udp", "sctp"\n',
    },
    {
      args: ['--src', 'nope', '--dst', '172.30.0.44', '--dport', '80'],
      stderr: 'error: source "nope" is not an IP address\n',
    },
  ];
  for (const e of errors) {
    t.throws(() => inProcess(e.args), { message: e.stderr.slice('error: '.length, -1) }, e.args.join(' '));
  }
  // One through the command: exit 1 and the one line on stderr.
  const r = await trace(...errors[0]!.args).then(
    () => ({ code: 0, stderr: '' }),
    (err: { code: number; stderr: string }) => err,
  );
  t.equal(r.code, 1, `${errors[0]!.args.join(' ')}: exit 1`);
  t.equal(r.stderr, errors[0]!.stderr);
});

// kube-proxy on a node no Node object names still programs every Service: the answer stays, and
// the warning names the Nodes there are.
t.test('netlab trace / iptables-save: a node name that names no Node', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'netlab-nodes-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const node = (name: string, ip: string) =>
    `apiVersion: v1\nkind: Node\nmetadata: {name: ${name}}\nstatus: {addresses: [{type: InternalIP, address: ${ip}}]}\n---\n`;
  const svc =
    'apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {clusterIP: 10.96.0.5, ports: [{port: 80}]}\n';
  const files = {
    none: join(dir, 'none.yaml'),
    one: join(dir, 'one.yaml'),
    two: join(dir, 'two.yaml'),
  };
  writeFileSync(files.none, svc);
  writeFileSync(files.one, node('node-a', '192.168.0.2') + svc);
  writeFileSync(files.two, node('node-a', '192.168.0.2') + node('node-b', '192.168.0.3') + svc);
  const unknown = (who: string, nodes: string) =>
    `${who} names no Node (Nodes: ${nodes}): kube-proxy on an unknown node still programs its rules`;
  const host = `this node's name, ${hostname()} (the hostname: no --hostname-override),`;
  const cases: { name: string; file: string; flags: { hostnameOverride?: string }; warnings: string[] }[] = [
    { name: 'no Nodes in the manifests', file: files.none, flags: {}, warnings: [] },
    { name: 'no Nodes, an override', file: files.none, flags: { hostnameOverride: 'n9' }, warnings: [] },
    { name: 'one Node, no override: that Node', file: files.one, flags: {}, warnings: [] },
    { name: 'one Node, named', file: files.one, flags: { hostnameOverride: 'node-a' }, warnings: [] },
    {
      name: 'one Node, another named',
      file: files.one,
      flags: { hostnameOverride: 'node-z' },
      warnings: [unknown('--hostname-override node-z', 'node-a')],
    },
    {
      name: 'two Nodes, another named',
      file: files.two,
      flags: { hostnameOverride: 'node-z' },
      warnings: [unknown('--hostname-override node-z', 'node-a, node-b')],
    },
    {
      name: 'two Nodes, no override: the hostname',
      file: files.two,
      flags: {},
      warnings: hostname() === 'node-a' || hostname() === 'node-b' ? [] : [unknown(host, 'node-a, node-b')],
    },
  ];
  const packet = { src: '10.0.0.2', dst: '10.96.0.5', dport: '80', proto: 'tcp', seed: '1' };
  for (const c of cases) {
    const saved = iptablesSaveManifests([c.file], c.flags);
    t.same(saved.warnings, c.warnings, `iptables-save, ${c.name}: warnings`);
    t.match(saved.payload, '"default/web has no endpoints"', `iptables-save, ${c.name}: the rules stay`);
    const traced = traceManifests([c.file], { ...c.flags, ...packet });
    t.same(traced.warnings, c.warnings, `trace, ${c.name}: warnings`);
    t.match(traced.output, /\nendpoints: <none>\nverdict: REJECT\n/, `trace, ${c.name}: the answer stays`);
  }
  const cli = await netlabInProcess([
    'trace',
    '-f',
    files.two,
    '--hostname-override',
    'node-z',
    '--src',
    '10.0.0.2',
    '--dst',
    '10.96.0.5',
    '--dport',
    '80',
  ]);
  t.equal(cli.code, 0, 'the CLI answers');
  t.equal(
    cli.stderr,
    `warning: ${unknown('--hostname-override node-z', 'node-a, node-b')}\n`,
    'and warns on stderr',
  );
});

t.test('netlab trace text: the endpoints line', async (t) => {
  const base = {
    filename: [fixtureA],
    hostnameOverride: 'test-node',
    clusterCidr: '10.0.0.0/8',
    proto: 'tcp',
    seed: '1',
  };
  const cases: [name: string, src: string, dst: string, dport: string, line: string][] = [
    ['endpoints', '10.0.0.2', '172.30.0.44', '80', 'endpoints: 10.180.0.4:80, 10.180.0.5:80'],
    ['no endpoints: REJECT', '10.0.0.2', '172.30.0.46', '80', 'endpoints: <none>'],
    ['no Service: ACCEPT', '10.0.0.2', '10.0.0.3', '80', 'endpoints: <none>'],
    ['LB IP outside the source range: DROP', '10.0.0.2', '5.6.7.8', '80', 'endpoints: <none>'],
  ];
  for (const [name, src, dst, dport, line] of cases) {
    const out = runTrace({ ...base, src, dst, dport });
    t.equal(
      out.split('\n').find((l) => l.startsWith('endpoints:')),
      line,
      name,
    );
  }
});
