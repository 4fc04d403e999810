// The running lab's own endpoints (/apis/netlab.dev/v1alpha1) through the commands that use them:
// curl --from a pod through the data plane, conntrack -L of the node it left from, ip addr|route of
// a node and a pod, and a name resolved from a pod. A booted cluster with kubelets, its kube-API on
// port 0 and random loopback addresses.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import type { Pod } from '../../../api/index.js';
import { writeKubeconfig } from '../../../lab/apiserver/index.js';
import { KubeClient, runResolveFrom } from '../../../lab/client/index.js';
import { Cluster } from '../../../lab/cluster.js';
import { randomLoopbackBase } from '../../proxy/fixtures/dataplane.js';
import { cli } from './cli.js';

const manifests = `apiVersion: v1
kind: Node
metadata: {name: node-a}
status: {addresses: [{type: InternalIP, address: 192.168.49.2}]}
---
apiVersion: v1
kind: Node
metadata: {name: node-b}
status: {addresses: [{type: InternalIP, address: 192.168.49.3}]}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec: {selector: {app: web}, clusterIP: 10.96.10.80, ports: [{name: http, port: 80, targetPort: 8080}]}
---
apiVersion: v1
kind: Service
metadata: {name: kube-dns, namespace: kube-system}
spec: {clusterIP: 10.96.0.10, ports: [{name: dns, port: 53, protocol: UDP}]}
---
apiVersion: v1
kind: Pod
metadata: {name: web-1, namespace: default, labels: {app: web}}
spec:
  nodeName: node-a
  containers: [{name: agnhost, image: registry.k8s.io/e2e-test-images/agnhost:2.53, args: [netexec, --http-port=8080], ports: [{containerPort: 8080}]}]
---
apiVersion: v1
kind: Pod
metadata: {name: client, namespace: default}
spec:
  nodeName: node-b
  containers: [{name: pause, image: registry.k8s.io/pause:3.10}]
`;

const ready = (p: Pod) =>
  p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;

t.test('curl --from, conntrack -L, ip addr|route, resolve --from against a booted lab', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'netlab-lab-'));
  const file = join(dir, 'app.yaml');
  writeFileSync(file, manifests);
  const base = randomLoopbackBase();
  const cluster = await Cluster.boot({
    manifests: [file],
    dnsListen: { host: '127.0.0.1', port: 0 },
    kubelets: { second: 50 },
    dataplane: {
      proxyListen: false,
      nodeAddress: (i) => `${base}.${i + 1}`,
      loadBalancerAddress: (ip) => `${base}.${ip.split('.')[3]}`,
    },
    api: { host: '127.0.0.1', port: 0 },
  });
  t.teardown(async () => {
    await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const kubeconfig = join(dir, 'kubeconfig');
  writeKubeconfig(kubeconfig, { server: cluster.api!.url });
  const n = (...args: string[]) => cli([...args, '--kubeconfig', kubeconfig]);

  // Both pods Ready (watched, not polled), and the Service's endpoint in the rules.
  const pods = cluster.store.list('Pod');
  const waiting = new Set(pods.items.filter((p) => !ready(p)).map((p) => p.metadata.name));
  if (waiting.size > 0) {
    for await (const ev of cluster.store.watch('Pod', { resourceVersion: pods.resourceVersion })) {
      if (ready(ev.object)) waiting.delete(ev.object.metadata.name);
      if (waiting.size === 0) break;
    }
  }
  await cluster.settled();

  const hostname = await n('curl', '--from', 'client', 'http://web/hostname');
  t.same(hostname, { code: 0, stdout: 'web-1', stderr: '' }, 'a Service name, resolved in the pod');
  const clientIP = cluster.store.get('Pod', 'client').status!.podIP!;
  const seen = await n('curl', '--from', 'client', '-i', 'http://10.96.10.80/clientip');
  t.equal(seen.code, 0, seen.stderr);
  t.match(seen.stdout, /^HTTP\/1\.1 200 OK\r\n/);
  t.match(
    seen.stdout,
    new RegExp(`\\r\\n\\r\\n${clientIP.replaceAll('.', '\\.')}:\\d+$`),
    'pod to pod keeps its source',
  );

  const ct = await n('conntrack', '-L', '--node', 'node-b', '-p', 'tcp', '-d', '10.96.10.80');
  t.equal(ct.code, 0, ct.stderr);
  const lines = ct.stdout.trimEnd().split('\n');
  t.equal(lines.length, 2, 'one entry per connection');
  for (const line of lines)
    t.match(
      line,
      new RegExp(
        `^tcp {6}6 \\d+ \\S+ src=${clientIP.replaceAll('.', '\\.')} dst=10\\.96\\.10\\.80 sport=\\d+ dport=80 .*src=10\\.244\\.\\d+\\.\\d+ dst=${clientIP.replaceAll('.', '\\.')} sport=8080 `,
      ),
    );
  t.equal(ct.stderr, 'conntrack v1.4.7 (conntrack-tools): 2 flow entries have been shown.\n');

  const webIP = cluster.store.get('Pod', 'web-1').status!.podIP!;
  const podAddr = await n('ip', 'addr', '--pod', 'web-1');
  t.equal(podAddr.code, 0, podAddr.stderr);
  t.match(podAddr.stdout, /^lo {3,}UNKNOWN {3,}127\.0\.0\.1\/8 ::1\/128 \n/);
  t.match(podAddr.stdout, new RegExp(`\\neth0@if\\d+ +UP +${webIP.replaceAll('.', '\\.')}/24 `));
  const podRoute = await n('ip', 'route', '--pod', 'web-1');
  t.match(podRoute.stdout, /^default via 10\.244\.\d+\.1 dev eth0 \n/);
  const nodeRoute = await n('ip', 'route', '--node', 'node-a');
  t.match(nodeRoute.stdout, /dev cni0 proto kernel scope link src 10\.244\.\d+\.1 \n/);
  t.match(nodeRoute.stdout, /via 192\.168\.49\.3 dev eth0 \n/, 'the other node through its address');

  const r = await runResolveFrom(await KubeClient.load(kubeconfig), 'web', {
    pod: 'client',
    libc: 'glibc',
    family: 4,
  });
  t.equal(r.code, 0);
  t.match(
    r.stdout,
    /^;; \/etc\/resolv\.conf of Pod default\/client, glibc\nsearch default\.svc\.cluster\.local svc\.cluster\.local cluster\.local\nnameserver 10\.96\.0\.10\noptions ndots:5\n/,
  );
  t.match(r.stdout, /web\.default\.svc\.cluster\.local\.?\s+A\s/);
  t.match(r.stdout, /10\.96\.10\.80/);

  const cases: [string[], string, number][] = [
    [['conntrack', '-L', '--node', 'node-z'], 'Error from server (NotFound): nodes "node-z" not found\n', 1],
    [['curl', '--from', 'nope', 'http://web/'], 'Error from server (NotFound): pods "nope" not found\n', 1],
    [['curl', '--from', 'client', 'http://no-such-svc/'], 'curl: (6) Could not resolve host: no-such-svc', 6],
    [['ip', 'addr'], 'error: ip: give one of --node NODE or --pod POD\n', 1],
    [
      ['ip', 'link', '--node', 'node-a'],
      'error: ip: Unsupported value: "link": supported values: "addr", "route"\n',
      1,
    ],
  ];
  for (const [args, stderr, code] of cases) {
    const got = await n(...args);
    t.equal(got.code, code, args.join(' '));
    t.equal(got.stdout, '', `${args.join(' ')}: stdout`);
    t.ok(got.stderr.startsWith(stderr), `${args.join(' ')}: ${got.stderr}`);
  }
});
