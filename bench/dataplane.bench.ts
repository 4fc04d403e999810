// The data plane against a direct connection, with wrk (keep-alive unless said): (a) straight to the
// pod's own listening socket (what `netlab.dev/listen` gives), (b) the pod's NodePort (the accepted
// socket handed to the pod's server), (c) through the forward proxy (head read once, then the same
// hand-off; later requests on the connection go through the request hook), (d) new connections per
// second (`Connection: close`) for (a) and (b). req/s, p99 and the ratios to (a) of the same run.
// Goals: (b)/(a) >= 0.9, new connections (b)/(a) >= 0.7, (c)/(a) >= 0.45.
import { execFileSync, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EndpointSlice, Service } from '../api/index.js';
import { parseManifests } from '../api/manifest.js';
import { ProxierNodes } from '../proxy/dataplane/nodes.js';
import { Dataplane, EntryPoints, ForwardProxy, Proxier } from '../proxy/index.js';
import { median } from './median.js';

const DURATION = process.env.DURATION ?? '5s';
const CONNECTIONS = process.env.CONNECTIONS ?? '32';
const RUNS = Number(process.env.RUNS ?? 3);

try {
  execFileSync('wrk', ['--version'], { stdio: 'ignore' });
} catch (e) {
  // wrk --version exits 1 after printing; only a missing binary is fatal.
  if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
    console.log('wrk not found (Debian package wrk): skipped');
    process.exit(0);
  }
}

const objects = parseManifests(
  `apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec: {type: NodePort, clusterIP: 10.96.0.20, ports: [{name: http, port: 80, protocol: TCP, targetPort: 8080, nodePort: 30080}]}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: web-x, namespace: default, labels: {kubernetes.io/service-name: web}}
addressType: IPv4
ports: [{name: http, port: 8080, protocol: TCP}]
endpoints: [{addresses: [10.244.0.5], nodeName: node-a, conditions: {ready: true}}]
`,
  'bench.yaml',
).map((o) => o.object);
const nodes = new ProxierNodes();
const proxier = new Proxier({
  nodeName: 'node-a',
  nodeIPs: ['192.168.49.2'],
  clusterCIDRs: ['10.244.0.0/16'],
  minSyncPeriod: 0,
  onSync: (r) => nodes.synced('node-a', r.conntrackCleanupRequired),
});
nodes.add(proxier, ['192.168.49.2']);
for (const o of objects) {
  if (o.kind === 'Service') proxier.onServiceAdd(o as Service);
  else proxier.onEndpointSliceAdd(o as EndpointSlice);
}
proxier.markSynced();
proxier.syncProxyRules();

// The pod: an HTTP server listening on its own real socket, as the kubelet starts it.
const body = 'NOW: 2026-12-05 hello from web-1\n';
const pod = createServer((_req, res) => {
  res.setHeader('content-type', 'text/plain');
  res.end(body);
});
await new Promise<void>((r) => pod.listen(0, '127.0.0.1', r));
const podPort = (pod.address() as { port: number }).port;

const r = () => 1 + Math.floor(Math.random() * 250);
const base = `127.${r()}.${r()}`;
const dp = new Dataplane({
  nodes,
  pods: { tcp: (ip, port) => (ip === '10.244.0.5' && port === 8080 ? pod : undefined), udp: () => undefined },
});
const entry = new EntryPoints(dp, { nodeAddress: (i) => `${base}.${i + 1}` });
await dp.start();
await entry.start();
const proxy = new ForwardProxy({
  dataplane: dp,
  client: () => ({ node: 'node-a', ip: '10.244.0.100' }),
  resolve: async (n) => (n === 'web' ? ['10.96.0.20'] : []),
  port: 0,
});
const proxyAddr = await proxy.listen();
const script = join(tmpdir(), `netlab-dataplane-bench-${process.pid}.lua`);
writeFileSync(script, 'wrk.path = "http://web/"\n');

interface Figures {
  rps: number;
  p99: number;
}

function wrk(url: string, extra: string[] = []): Promise<Figures> {
  return new Promise((resolve, reject) => {
    const child = spawn('wrk', ['-t1', `-c${CONNECTIONS}`, `-d${DURATION}`, '--latency', ...extra, url]);
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    child.on('error', reject);
    child.on('close', () => {
      const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? Number.NaN);
      const m = /\s99%\s+([\d.]+)(us|ms|s)/.exec(out);
      const p99 = m === null ? Number.NaN : Number(m[1]) * ({ us: 0.001, ms: 1, s: 1000 }[m[2]!] ?? 1);
      const errors = /Non-2xx or 3xx responses: (\d+)|Socket errors: (.*)/.exec(out);
      if (errors !== null) process.stderr.write(`  ${url}: ${errors[0]}\n`);
      resolve({ rps, p99 });
    });
  });
}

const medianOf = (runs: Figures[]): Figures => ({
  rps: median(runs.map((f) => f.rps)),
  p99: median(runs.map((f) => f.p99)),
});

const close = ['-H', 'Connection: close'];
const direct = `http://127.0.0.1:${podPort}/`;
const nodePort = `http://${base}.1:30080/`;
const viaProxy = `http://${proxyAddr.host}:${proxyAddr.port}/`;
// Rounds of every path in turn, so drift on the shared machine hits every path alike.
const paths: [string, string[]][] = [
  [direct, []],
  [nodePort, []],
  [viaProxy, ['-s', script]],
  [direct, close],
  [nodePort, close],
];
const runs: Figures[][] = paths.map(() => []);
for (let i = 0; i < RUNS; i++) {
  for (let p = 0; p < paths.length; p++) runs[p]!.push(await wrk(paths[p]![0], paths[p]![1]));
}
const [a, b, c, an, bn] = runs.map(medianOf) as [Figures, Figures, Figures, Figures, Figures];
const row = (name: string, f: Figures, base: Figures, goal: string, of = '(a)') =>
  `${name.padEnd(34)} ${f.rps.toFixed(0).padStart(8)} req/s  p99 ${f.p99.toFixed(2).padStart(7)} ms  ${(f.rps / base.rps).toFixed(2)}x of ${of}${goal}`;
console.log(
  `wrk -t1 -c${CONNECTIONS} -d${DURATION}, median of ${RUNS}; the pod answers ${body.length} bytes`,
);
console.log(row('(a) direct to the pod socket', a, a, ''));
console.log(row('(b) NodePort', b, a, '  (goal >= 0.9)'));
console.log(row('(c) forward proxy', c, a, '  (goal >= 0.45)'));
console.log(row('(d) new connections, direct', an, an, '', '(d) direct'));
console.log(row('(d) new connections, NodePort', bn, an, '  (goal >= 0.7)', '(d) direct'));
console.log(
  `conntrack entries on node-a after the run: ${dp.conntrack('node-a').size}; RSS ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MB`,
);

await proxy.close();
await entry.close();
await dp.close();
pod.closeAllConnections();
await new Promise<void>((r) => pod.close(() => r()));
