// The data plane as the lab runs it: proxiers fed by store watches, the LoadBalancer controller, the
// entry listeners following the syncs, the forward proxy as the client pod netlab-client.
import { get } from 'node:http';
import t from 'tap';
import { Store } from '../../api/index.js';
import { parseManifests } from '../../api/manifest.js';
import { LabDataplane } from '../../lab/dataplane.js';
import { ClusterProxier, watchStore } from '../../proxy/index.js';
import { FakePods, randomLoopbackBase } from '../proxy/fixtures/dataplane.js';

const manifests = `apiVersion: v1
kind: Node
metadata: {name: node-a}
status: {addresses: [{type: InternalIP, address: 192.168.49.2}]}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec: {type: LoadBalancer, clusterIP: 10.96.0.20, ports: [{name: http, port: 80, protocol: TCP, targetPort: 8080, nodePort: 30080}]}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: web-x, namespace: default, labels: {kubernetes.io/service-name: web}}
addressType: IPv4
ports: [{name: http, port: 8080, protocol: TCP}]
endpoints: [{addresses: [10.244.0.5], nodeName: node-a, conditions: {ready: true}}]
`;

function fetchText(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    get(url, { agent: false }, (res) => {
      let b = '';
      res.on('data', (c: Buffer) => {
        b += c.toString();
      });
      res.on('end', () => resolve(b));
    }).on('error', reject);
  });
}

t.test('NodePort, LoadBalancer and the forward proxy of a running cluster', async (t) => {
  const store = new Store({ bookmarkIntervalMs: 0 });
  store.apply(parseManifests(manifests, 'lab.yaml'));
  const ac = new AbortController();
  const lab = new LabDataplane();
  const proxier = new ClusterProxier({ clusterCIDRs: ['10.244.0.0/16'], minSyncPeriod: 0 });
  proxier.addNode('node-a', ['192.168.49.2']);
  lab.useNodes(proxier);
  const loops = [watchStore(store, proxier, { signal: ac.signal })];
  const pods = new FakePods();
  pods.addHttp('web-1', '10.244.0.5', 8080);
  const base = randomLoopbackBase();
  const log: string[] = [];
  await lab.start(
    store,
    pods,
    {
      proxyListen: { host: '127.0.0.1', port: 0 },
      nodeAddress: (i) => `${base}.${i + 1}`,
      loadBalancerAddress: (ip) => `${base}.${ip.split('.')[3]}`,
      loadBalancerPool: '172.18.255.200-172.18.255.201',
      resolve: async (_pod, name) => (name === 'web' ? ['10.96.0.20'] : []),
    },
    ac.signal,
    (l) => log.push(l),
  );
  t.teardown(async () => {
    ac.abort();
    await lab.stop();
    await Promise.allSettled(loops);
    store.close();
  });
  // The client pod was created; a kubelet would give it an address. Here the test does.
  const client = store.get('Pod', 'netlab-client', 'default');
  store.updateStatus({ ...client, spec: client.spec, status: { podIP: '10.244.0.100' } });
  store.update({
    ...store.get('Pod', 'netlab-client', 'default'),
    spec: { ...client.spec, nodeName: 'node-a' },
  });
  // The LoadBalancer IP's listener appears after the controller's write and the next sync.
  while (!lab.listeners().some((l) => l.kind === 'loadbalancer')) await new Promise((r) => setTimeout(r, 10));
  t.same(
    lab
      .listeners()
      .map((l) => `${l.kind} ${l.address}:${l.port} -> ${l.target.ip}:${l.target.port}`)
      .sort(),
    [`loadbalancer ${base}.200:80 -> 172.18.255.200:80`, `nodeport ${base}.1:30080 -> 192.168.49.2:30080`],
  );
  t.same(lab.nodeAddresses(), [{ node: 'node-a', address: `${base}.1` }]);
  t.ok(log.includes(`loadbalancer default/web: 172.18.255.200:80/TCP=${base}.200:80`));
  t.match(JSON.parse(await fetchText(`http://${base}.1:30080/`)), { pod: 'web-1' });
  t.match(JSON.parse(await fetchText(`http://${base}.200/`)), { pod: 'web-1' });
  const proxy = lab.proxyAddress!;
  const viaProxy = await new Promise<string>((resolve, reject) => {
    get({ host: proxy.host, port: proxy.port, path: 'http://web/x', agent: false }, (res) => {
      let b = '';
      res.on('data', (c: Buffer) => {
        b += c.toString();
      });
      res.on('end', () => resolve(b));
    }).on('error', reject);
  });
  t.match(JSON.parse(viaProxy), { pod: 'web-1', url: '/x', clientip: /^10\.244\.0\.100:/ });
});
