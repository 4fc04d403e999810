// `netlab trace` end to end: manifests in a temp dir -> the generator's rules for the node -> the trace.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';

const run = promisify(execFile);
const cli = new URL('../../lab/cli.ts', import.meta.url).pathname;

// Part of fixture A (kube-proxy TestOverallIPTablesRules): svc2 (eTP Local, no local endpoint),
// svc4 (two endpoints, externalIP), svc6 (no endpoints).
const manifests = `apiVersion: v1
kind: Node
metadata: {name: test-node}
status: {addresses: [{type: InternalIP, address: 192.168.0.2}]}
---
apiVersion: v1
kind: Service
metadata: {name: svc2, namespace: ns2}
spec:
  type: LoadBalancer
  clusterIP: 172.30.0.42
  externalIPs: [192.168.99.22]
  externalTrafficPolicy: Local
  healthCheckNodePort: 30000
  ports: [{name: p80, port: 80, protocol: TCP, nodePort: 3001}]
status: {loadBalancer: {ingress: [{ip: 1.2.3.4}]}}
---
apiVersion: v1
kind: Service
metadata: {name: svc4, namespace: ns4}
spec: {type: ClusterIP, clusterIP: 172.30.0.44, externalIPs: [192.168.99.33], ports: [{name: p80, port: 80, protocol: TCP}]}
---
apiVersion: v1
kind: Service
metadata: {name: svc6, namespace: ns6}
spec: {type: ClusterIP, clusterIP: 172.30.0.46, ports: [{name: p80, port: 80, protocol: TCP}]}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: svc2-abcde, namespace: ns2, labels: {kubernetes.io/service-name: svc2}}
addressType: IPv4
ports: [{name: p80, port: 80, protocol: TCP}]
endpoints: [{addresses: [10.180.0.2]}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: svc4-abcde, namespace: ns4, labels: {kubernetes.io/service-name: svc4}}
addressType: IPv4
ports: [{name: p80, port: 80, protocol: TCP}]
endpoints: [{addresses: [10.180.0.4]}, {addresses: [10.180.0.5], nodeName: test-node}]
`;

t.test('netlab trace', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'netlab-trace-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'cluster.yaml');
  writeFileSync(file, manifests);
  const trace = (...args: string[]) =>
    run(process.execPath, [
      '--import=tsx',
      cli,
      'trace',
      '-f',
      file,
      '--cluster-cidr',
      '10.0.0.0/8',
      ...args,
    ]);

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
    const { stdout } = await trace(...c.args, '-o', 'json');
    t.same(JSON.parse(stdout), c.json, c.args.join(' '));
  }

  const picked = await trace(
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
  );
  t.ok(
    ['10.180.0.4:80', '10.180.0.5:80'].includes(JSON.parse(picked.stdout).picked),
    '--pick names one endpoint',
  );
  t.same(JSON.parse(picked.stdout).shares, [0.5, 0.5], 'and the shares');
  const pickedText = await trace(
    '--src',
    '10.0.0.2',
    '--dst',
    '172.30.0.44',
    '--dport',
    '80',
    '--pick',
    '--seed',
    '3',
  );
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
    const r = await trace(...e.args).then(
      () => ({ code: 0, stderr: '' }),
      (err: { code: number; stderr: string }) => err,
    );
    t.equal(r.code, 1, `${e.args.join(' ')}: exit 1`);
    t.equal(r.stderr, e.stderr);
  }
});
