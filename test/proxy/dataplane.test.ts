// The data plane with real sockets: NodePort entry listeners on random loopback addresses, fake pods
// (in-process HTTP servers that never listen), one Proxier per node. What a client sees: which pod
// answered, the client address the pod saw, and how refused or dropped connections fail.
import { Agent, get, request } from 'node:http';
import type { Socket } from 'node:net';
import t from 'tap';
import { FakePods, node, service, slice, startDataplane, TestCluster } from './fixtures/dataplane.js';

interface Answer {
  pod: string;
  clientip: string;
}

function fetchJSON(url: string, agent: Agent | false = false): Promise<Answer> {
  return new Promise((resolve, reject) => {
    get(url, { agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        body += c;
      });
      res.on('end', () => resolve(JSON.parse(body) as Answer));
      res.on('error', reject);
    }).on('error', reject);
  });
}

function failure(url: string): Promise<string> {
  return new Promise((resolve) => {
    const req = get(url, { agent: false }, () => resolve('answered'));
    req.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });
}

const nodes = node('node-a', '192.168.49.2') + node('node-b', '192.168.49.3');

function threePods(pods: FakePods): void {
  pods.addHttp('web-1', '10.244.0.5', 8080);
  pods.addHttp('web-2', '10.244.1.6', 8080);
  pods.addHttp('web-3', '10.244.1.7', 8080);
}
const threeEndpoints = ['10.244.0.5@node-a', '10.244.1.6@node-b', '10.244.1.7@node-b'];
const nodePort = (extra = '') =>
  `{type: NodePort, clusterIP: 10.96.0.20, ${extra} ports: [{name: p, port: 80, protocol: TCP, targetPort: 8080, nodePort: 30080}]}`;

t.test('3,000 new connections through a NodePort spread over 3 endpoints (chi-square)', async (t) => {
  const cluster = new TestCluster(nodes + service('web', nodePort()) + slice('web', threeEndpoints));
  const pods = new FakePods();
  threePods(pods);
  const { dp, base, close } = await startDataplane(cluster, pods, { seed: 7 });
  t.teardown(close);
  const counts = new Map<string, number>();
  let next = 0;
  const worker = async () => {
    while (next < 3000) {
      next++;
      const a = await fetchJSON(`http://${base}.1:30080/`);
      counts.set(a.pod, (counts.get(a.pod) ?? 0) + 1);
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  const n = [...counts.values()].reduce((a, b) => a + b, 0);
  const chi2 = [...counts.values()].reduce((s, c) => s + (c - n / 3) ** 2 / (n / 3), 0);
  t.equal(counts.size, 3, 'every endpoint got connections');
  // 2 degrees of freedom: P(chi2 > 13.82) = 0.001.
  t.ok(chi2 < 13.82, `chi-square ${chi2.toFixed(2)} of ${JSON.stringify(Object.fromEntries(counts))}`);
  const c = dp.counters().sort((a, b) => a.endpoint.localeCompare(b.endpoint));
  t.same(
    c.map((x) => [x.endpoint, x.connections, x.requests]),
    [...counts].sort().map(([pod]) => {
      const ip = { 'web-1': '10.244.0.5', 'web-2': '10.244.1.6', 'web-3': '10.244.1.7' }[pod]!;
      return [`${ip}:8080`, counts.get(pod), counts.get(pod)];
    }),
    'per-endpoint connection and request counters',
  );
});

t.test('keep-alive requests stay on one pod; masquerade shows the node IP', async (t) => {
  const cluster = new TestCluster(nodes + service('web', nodePort()) + slice('web', threeEndpoints));
  const pods = new FakePods();
  threePods(pods);
  const { base, close } = await startDataplane(cluster, pods);
  t.teardown(close);
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  t.teardown(() => agent.destroy());
  const seen = new Set<string>();
  for (let i = 0; i < 20; i++) {
    const a = await fetchJSON(`http://${base}.2:30080/`, agent);
    seen.add(a.pod);
    t.match(a.clientip, /^192\.168\.49\.3:\d+$/, 'node-b masquerades: the pod sees node-b');
  }
  t.equal(seen.size, 1, 'one connection, one pod');
});

t.test(
  'externalTrafficPolicy Local keeps the client address and drops without a local endpoint',
  async (t) => {
    const cluster = new TestCluster(
      nodes + service('web', nodePort('externalTrafficPolicy: Local,')) + slice('web', ['10.244.0.5@node-a']),
    );
    const pods = new FakePods();
    pods.addHttp('web-1', '10.244.0.5', 8080);
    const { dp, base, entry, close } = await startDataplane(cluster, pods, { dropTimeoutMs: 100 });
    t.teardown(close);
    const a = await fetchJSON(`http://${base}.1:30080/`);
    t.match(a, { pod: 'web-1', clientip: /^203\.0\.113\.10:\d+$/ }, 'node-a: the external client address');
    t.same(
      entry
        .listeners()
        .map((l) => `${l.address}:${l.port} ${l.node} ${l.target.ip}:${l.target.port}`)
        .sort(),
      [`${base}.1:30080 node-a 192.168.49.2:30080`, `${base}.2:30080 node-b 192.168.49.3:30080`],
    );
    const events: string[] = [];
    dp.subscribe((e) => events.push(`${e.node} ${e.verdict} ${e.delivered}`));
    t.equal(
      await failure(`http://${base}.2:30080/`),
      'ECONNRESET',
      'node-b: no answer, closed after dropTimeoutMs',
    );
    t.same(events, ['node-b DROP false']);
  },
);

t.test('REJECT: a Service without endpoints refuses the connection', async (t) => {
  const cluster = new TestCluster(nodes + service('web', nodePort()) + slice('web', []));
  const pods = new FakePods();
  const { base, entry, close } = await startDataplane(cluster, pods);
  t.teardown(close);
  t.same(entry.listeners(), [], 'no listener where every connection is rejected');
  t.equal(await failure(`http://${base}.1:30080/`), 'ECONNREFUSED');
  // Endpoints arrive: the listener is bound after the sync.
  pods.addHttp('web-1', '10.244.0.5', 8080);
  cluster.update(slice('web', ['10.244.0.5@node-a']));
  await entry.reconcile();
  t.match(await fetchJSON(`http://${base}.1:30080/`), { pod: 'web-1' });
});

t.test('ClientIP affinity pins for timeoutSeconds and releases after', async (t) => {
  let now = 1_000_000;
  const cluster = new TestCluster(
    nodes +
      service(
        'web',
        nodePort('sessionAffinity: ClientIP, sessionAffinityConfig: {clientIP: {timeoutSeconds: 10}},'),
      ) +
      slice('web', threeEndpoints),
  );
  const pods = new FakePods();
  threePods(pods);
  const { base, close } = await startDataplane(cluster, pods, { clock: () => now, seed: 3 });
  t.teardown(close);
  const pinned: string[] = [];
  for (let round = 0; round < 6; round++) {
    const seen = new Set<string>();
    for (let i = 0; i < 10; i++) {
      seen.add((await fetchJSON(`http://${base}.1:30080/`)).pod);
      now += 500;
    }
    t.equal(seen.size, 1, `round ${round}: one pod while within the timeout`);
    pinned.push([...seen][0]!);
    now += 11_000;
  }
  t.ok(new Set(pinned).size > 1, `released after the timeout: ${pinned.join(' ')}`);
});

t.test('an endpoint removed mid-connection keeps its connection; new ones go elsewhere', async (t) => {
  const cluster = new TestCluster(nodes + service('web', nodePort()) + slice('web', ['10.244.0.5@node-a']));
  const pods = new FakePods();
  pods.addHttp('web-1', '10.244.0.5', 8080);
  pods.addHttp('web-2', '10.244.1.6', 8080);
  const { base, close } = await startDataplane(cluster, pods);
  t.teardown(close);
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  t.teardown(() => agent.destroy());
  t.match(await fetchJSON(`http://${base}.1:30080/`, agent), { pod: 'web-1' });
  cluster.update(slice('web', ['10.244.1.6@node-b']));
  t.match(await fetchJSON(`http://${base}.1:30080/`, agent), { pod: 'web-1' }, 'the open connection stays');
  t.match(await fetchJSON(`http://${base}.1:30080/`), { pod: 'web-2' }, 'a new connection follows the rules');
});

t.test('a pod dials a ClusterIP: the server sees the pod address; refusals as socket errors', async (t) => {
  const cluster = new TestCluster(
    nodes +
      service('web', nodePort()) +
      slice('web', ['10.244.1.6@node-b']) +
      service('empty', '{clusterIP: 10.96.0.30, ports: [{name: p, port: 80}]}') +
      slice('empty', []),
  );
  const pods = new FakePods();
  pods.addHttp('web-2', '10.244.1.6', 8080);
  const { dp, close } = await startDataplane(cluster, pods, { dropTimeoutMs: 50 });
  t.teardown(close);
  const client = { node: 'node-a', ip: '10.244.0.9' };
  const body = await new Promise<string>((resolve, reject) => {
    const req = request(
      {
        host: '10.96.0.20',
        port: 80,
        path: '/',
        createConnection: () => dp.dial(client, '10.96.0.20', 80) as Socket,
      },
      (res) => {
        let b = '';
        res.on('data', (c: Buffer) => {
          b += c.toString();
        });
        res.on('end', () => resolve(b));
      },
    );
    req.on('error', reject);
    req.end();
  });
  t.match(JSON.parse(body), { pod: 'web-2', clientip: /^10\.244\.0\.9:\d+$/ });
  const errorOf = (ip: string, port: number) =>
    new Promise<string>((resolve) => {
      const s = dp.dial(client, ip, port);
      s.on('connect', () => resolve('connected'));
      s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? ''));
    });
  t.equal(await errorOf('10.96.0.30', 80), 'ECONNREFUSED', 'no endpoints: REJECT');
  t.equal(await errorOf('10.244.1.6', 9999), 'ECONNREFUSED', 'a pod address where nothing listens');
  t.equal(await errorOf('93.184.215.14', 80), 'ENETUNREACH', 'outside the cluster');
});

t.test('LoadBalancer ingress IPs listen on loopback; loadBalancerSourceRanges are enforced', async (t) => {
  const lbService = (name: string, clusterIP: string, ip: string, ranges: string) => `---
apiVersion: v1
kind: Service
metadata: {name: ${name}, namespace: default}
spec: {type: LoadBalancer, clusterIP: ${clusterIP}, loadBalancerSourceRanges: [${ranges}], ports: [{name: p, port: 80, protocol: TCP, targetPort: 8080, nodePort: ${name === 'open' ? 30081 : 30082}}]}
status: {loadBalancer: {ingress: [{ip: ${ip}}]}}
`;
  const cluster = new TestCluster(
    nodes +
      lbService('open', '10.96.0.40', '172.18.255.200', '203.0.113.0/24') +
      slice('open', ['10.244.0.5@node-a']) +
      lbService('closed', '10.96.0.41', '172.18.255.201', '198.51.100.0/24') +
      slice('closed', ['10.244.0.5@node-a']),
  );
  const pods = new FakePods();
  pods.addHttp('web-1', '10.244.0.5', 8080);
  const { base, entry, close } = await startDataplane(cluster, pods, { dropTimeoutMs: 50 });
  t.teardown(close);
  t.same(
    entry
      .listeners()
      .filter((l) => l.kind === 'loadbalancer')
      .map((l) => `${l.target.ip}:${l.target.port} ${l.address}:${l.port} ${l.node}`)
      .sort(),
    [`172.18.255.200:80 ${base}.200:80 node-a`, `172.18.255.201:80 ${base}.201:80 node-a`],
  );
  t.match(await fetchJSON(`http://${base}.200/`), { pod: 'web-1', clientip: /^192\.168\.49\.2:/ });
  t.equal(
    await failure(`http://${base}.201/`),
    'ECONNRESET',
    'the external client is outside the ranges: DROP',
  );
});
