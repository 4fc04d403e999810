// The data plane in a booted cluster: kubelets run agnhost pods, the NodePort and the forward proxy
// reach them, agnhost's /clientip shows the source a pod sees, /dial goes pod to Service through the
// rules.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { Cluster } from '../../lab/cluster.js';
import { randomLoopbackBase } from '../proxy/fixtures/dataplane.js';

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
spec: {type: NodePort, selector: {app: web}, ports: [{name: http, port: 80, targetPort: 8080, nodePort: 30080}]}
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
  containers: [{name: agnhost, image: registry.k8s.io/e2e-test-images/agnhost:2.53, args: [netexec, --http-port=8080], ports: [{containerPort: 8080}]}]
`;

function curl(args: string[], env: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve) => {
    execFile(
      'curl',
      ['-sS', '--max-time', '10', ...args],
      { env: { ...process.env, ...env } },
      (err, stdout, stderr) => resolve(err === null ? stdout : `error: ${stderr.trim()}`),
    );
  });
}

t.test('NodePort, forward proxy and /dial through the rules of a booted cluster', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'netlab-dp-'));
  const file = join(dir, 'app.yaml');
  writeFileSync(file, manifests);
  const base = randomLoopbackBase();
  const cluster = await Cluster.boot({
    manifests: [file],
    dnsListen: { host: '127.0.0.1', port: 0 },
    // Real seconds: agnhost's /dial gives up after 5 of the pod's seconds, too short for a loaded
    // machine when a second is scaled down.
    kubelets: { second: 1000 },
    dataplane: {
      proxyListen: { host: '127.0.0.1', port: 0 },
      nodeAddress: (i) => `${base}.${i + 1}`,
      loadBalancerAddress: (ip) => `${base}.${ip.split('.')[3]}`,
    },
  });
  t.teardown(async () => {
    await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const dp = cluster.dataplane!;
  // Until the pod runs and the rules have its endpoint, the NodePort is refused.
  let hostname = '';
  while (hostname !== 'web-1') {
    await new Promise((r) => setTimeout(r, 50));
    hostname = await curl([`http://${base}.2:30080/hostname`]);
  }
  t.match(await curl([`http://${base}.2:30080/clientip`]), /^192\.168\.49\.3:\d+$/, 'masqueraded to node-b');
  const proxy = `http://${dp.proxyAddress!.host}:${dp.proxyAddress!.port}`;
  while (cluster.store.find('Pod', 'netlab-client', 'default')?.status?.podIP === undefined)
    await new Promise((r) => setTimeout(r, 20));
  const clientIP = cluster.store.get('Pod', 'netlab-client', 'default').status?.podIP;
  t.match(await curl(['http://web/clientip'], { http_proxy: proxy }), new RegExp(`^${clientIP}:\\d+$`));
  t.equal(await curl(['http://web.default.svc.cluster.local/hostname'], { http_proxy: proxy }), 'web-1');
  const clientPod = cluster.store.get('Pod', 'client', 'default').status?.podIP;
  const svcIP = cluster.store.get('Service', 'web', 'default').spec.clusterIP;
  // agnhost's /dial on the client pod, reached through the proxy: its request goes pod to Service.
  const dial = await curl(
    [`http://${clientPod}:8080/dial?host=${svcIP}&port=80&request=clientip&protocol=http&tries=1`],
    { http_proxy: proxy },
  );
  t.match(JSON.parse(dial), { responses: [new RegExp(`^${clientPod}:\\d+$`)] }, '/dial from the client pod');
  // A name: the pod looks it up (its resolv.conf, cluster DNS) before it dials.
  const byName = await curl(
    [
      `http://${clientPod}:8080/dial?host=web.default.svc.cluster.local&port=80&request=hostname&protocol=http&tries=1`,
    ],
    { http_proxy: proxy },
  );
  t.same(JSON.parse(byName), { responses: ['web-1'] }, '/dial by name');
});
