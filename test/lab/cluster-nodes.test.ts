// Nodes that join a running cluster get a kube-proxy and a kubelet; a deleted Node loses both, and
// its Pods are collected and replaced elsewhere.
import t from 'tap';
import type { Node } from '../../api/index.js';
import { Cluster } from '../../lab/cluster.js';
import { randomLoopbackBase } from '../proxy/fixtures/dataplane.js';
import { ready, waitGone, waitPod } from './kubelet-fixture.js';

const nodeC: Node = {
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name: 'node-c', labels: { 'topology.kubernetes.io/zone': 'zone-b' } },
  status: { addresses: [{ type: 'InternalIP', address: '192.168.49.4' }] },
};

t.test('a Node added after boot gets kube-proxy and a kubelet; deleting it removes them', async (t) => {
  const cluster = await Cluster.boot({
    manifests: [],
    objects: [
      {
        object: {
          apiVersion: 'v1',
          kind: 'Node',
          metadata: { name: 'node-a' },
          status: { addresses: [{ type: 'InternalIP', address: '192.168.49.2' }] },
        },
        source: { file: 'test', line: 1 },
      },
    ],
    dnsListen: { host: '127.0.0.1', port: 0 },
    kubelets: { second: 20, realSockets: false },
    dataplane: false,
    controllers: { orphanQuarantineMs: 0 },
  });
  t.teardown(() => cluster.stop());
  const { store } = cluster;
  t.same([...cluster.proxiers.keys()], ['node-a'], 'at boot');

  store.create(nodeC);
  store.create({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'web', namespace: 'default' },
    spec: {
      type: 'NodePort',
      selector: { app: 'web' },
      ports: [{ port: 80, targetPort: 8080, nodePort: 30080 }],
    },
  });
  store.create({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web-c', namespace: 'default', labels: { app: 'web' } },
    spec: {
      nodeName: 'node-c',
      containers: [
        {
          name: 'agnhost',
          image: 'registry.k8s.io/e2e-test-images/agnhost:2.53',
          args: ['netexec', '--http-port=8080'],
          ports: [{ containerPort: 8080 }],
        },
      ],
    },
  });
  const pod = await waitPod(store, 'web-c', ready);
  await cluster.settled();
  const podCIDR = store.get('Node', 'node-c', '').spec?.podCIDR ?? '';
  t.equal(podCIDR, '10.244.1.0/24', 'node-ipam gave the new Node a podCIDR');
  t.match(pod.status?.podIP, /^10\.244\.1\./, "the new Node's kubelet ran the Pod in its podCIDR");
  t.same([...cluster.proxiers.keys()], ['node-a', 'node-c'], 'the new Node has a kube-proxy');
  t.ok(cluster.kubelets?.get('node-c'), 'and a kubelet');
  const rules = cluster.proxiers.get('node-c')?.fullPayload() ?? '';
  t.match(rules, /-A KUBE-NODEPORTS .*--dport 30080 -j KUBE-EXT-/, 'its rules have the NodePort');
  t.match(rules, new RegExp(`-j DNAT --to-destination ${pod.status?.podIP?.replace(/\./g, '\\.')}:8080`));

  store.delete('Node', 'node-c');
  await waitGone(store, 'web-c');
  await cluster.settled();
  t.same([...cluster.proxiers.keys()], ['node-a'], 'a deleted Node loses its kube-proxy');
  t.equal(cluster.kubelets?.get('node-c'), undefined, 'and its kubelet');
});

t.test('each node keeps its entry address when another node is deleted', async (t) => {
  const base = randomLoopbackBase();
  const node = (name: string, ip: string) => ({
    object: {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name },
      status: { addresses: [{ type: 'InternalIP', address: ip }] },
    } as Node,
    source: { file: 'test', line: 1 },
  });
  const cluster = await Cluster.boot({
    manifests: [],
    objects: [node('node-a', '192.168.49.2'), node('node-b', '192.168.49.3'), node('node-c', '192.168.49.4')],
    dnsListen: { host: '127.0.0.1', port: 0 },
    kubelets: { second: 20, realSockets: false },
    dataplane: {
      proxyListen: false,
      nodeAddress: (i) => `${base}.${i + 1}`,
      loadBalancerAddress: () => undefined,
    },
    controllers: { orphanQuarantineMs: 0 },
  });
  t.teardown(() => cluster.stop());
  const addresses = () =>
    cluster
      .dataplane!.nodeAddresses()
      .map((a) => `${a.node}=${a.address.slice(base.length)}`)
      .join(' ');
  t.equal(addresses(), 'node-a=.1 node-b=.2 node-c=.3');
  cluster.store.delete('Node', 'node-b');
  await cluster.settled();
  t.equal(addresses(), 'node-a=.1 node-c=.3', 'node-c keeps .3');
  cluster.store.create(node('node-b', '192.168.49.3').object);
  await cluster.settled();
  t.equal(addresses(), 'node-a=.1 node-c=.3 node-b=.2', 'node-b back under its name: .2 again');
});
