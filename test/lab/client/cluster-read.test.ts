// netlab as a read-only client of a cluster: `iptables-save`, `trace` and `dns serve` with
// --kubeconfig list Services, EndpointSlices and Nodes (Namespaces for DNS) through the cluster's
// API into a store and call lab/tools on it. Against a lab booted in this process (its kube-proxy's
// own payload is the expected text), against responses in the shape of a real kube-apiserver v1.32
// (test/fixtures/kube-apiserver, written, not recorded: see its README), and the errors a user meets
// (unreachable, 401, 403, a missing context), one line each.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import t from 'tap';
import type { AnyObject, Service } from '../../../api/index.js';
import { dig, parseQType } from '../../../dns/index.js';
import { writeKubeconfig } from '../../../lab/apiserver/index.js';
import {
  iptablesSaveCluster,
  KubeClient,
  serveClusterZone,
  traceCluster,
} from '../../../lab/client/index.js';
import { ClientError } from '../../../lab/client/rest.js';
import { Cluster } from '../../../lab/cluster.js';
import { clientErrorText } from '../../../lab/commands/client.js';
import { registerIptablesSave } from '../../../lab/commands/iptables-save.js';
import { runProgram } from '../../../lab/run/errors.js';
import { iptablesSaveManifests } from '../../../lab/tools/index.js';

const A = parseQType('A')!;
const SRV = parseQType('SRV')!;
const fixtures = new URL('../../fixtures/kube-apiserver/', import.meta.url).pathname;

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
spec:
  type: NodePort
  selector: {app: web}
  clusterIP: 10.96.10.80
  ports: [{name: http, port: 80, targetPort: 8080, nodePort: 30080}]
---
apiVersion: v1
kind: Pod
metadata: {name: web-1, namespace: default, labels: {app: web}}
spec: {nodeName: node-a, containers: [{name: agnhost, image: registry.k8s.io/e2e-test-images/agnhost:2.53}]}
status: {phase: Running, podIP: 10.244.0.5, podIPs: [{ip: 10.244.0.5}], conditions: [{type: Ready, status: "True"}]}
---
apiVersion: v1
kind: Pod
metadata: {name: web-2, namespace: default, labels: {app: web}}
spec: {nodeName: node-b, containers: [{name: agnhost, image: registry.k8s.io/e2e-test-images/agnhost:2.53}]}
status: {phase: Running, podIP: 10.244.1.7, podIPs: [{ip: 10.244.1.7}], conditions: [{type: Ready, status: "True"}]}
`;

const tmp = mkdtempSync(join(tmpdir(), 'netlab-cluster-read-'));
t.teardown(() => rmSync(tmp, { recursive: true, force: true }));

/** One lab for the file: controllers, kube-proxy and the kube-API, no kubelets (the manifests' status stands). */
async function bootLab() {
  const file = join(tmp, 'lab.yaml');
  writeFileSync(file, manifests);
  const cluster = await Cluster.boot({
    manifests: [file],
    dnsListen: { host: '127.0.0.1', port: 0 },
    api: { host: '127.0.0.1', port: 0 },
  });
  t.teardown(() => cluster.stop());
  await cluster.settled();
  const kubeconfig = join(tmp, 'lab.kubeconfig');
  writeKubeconfig(kubeconfig, { server: cluster.api!.url });
  return { cluster, kubeconfig, client: await KubeClient.load(kubeconfig) };
}

const labReady = bootLab();

t.test('iptables-save and trace --kubeconfig: the rules the lab kube-proxy wrote on that node', async (t) => {
  const { cluster, client } = await labReady;
  for (const node of ['node-a', 'node-b']) {
    const r = await iptablesSaveCluster(client, { hostnameOverride: node, clusterCidr: '10.244.0.0/16' });
    t.same(r.warnings, [], node);
    t.equal(r.payload, cluster.proxiers.get(node)!.fullPayload(), `${node}: the lab's own payload`);
  }
  const out = await traceCluster(client, {
    hostnameOverride: 'node-b',
    clusterCidr: '10.244.0.0/16',
    src: '203.0.113.9',
    dst: '192.168.49.3',
    dport: '30080',
    proto: 'tcp',
    seed: '1',
  });
  t.match(
    out.output,
    /\nendpoints: 10\.244\.0\.5:8080, 10\.244\.1\.7:8080\nverdict: DNAT\nmasquerade: true\n$/,
  );
});

t.test('dns serve --kubeconfig answers for the lab and follows its changes', async (t) => {
  const { cluster, client } = await labReady;
  const served = await serveClusterZone(client, {
    listen: { host: '127.0.0.1', port: 0 },
    zone: 'cluster.local',
    ttl: '5',
    pods: 'disabled',
  });
  t.teardown(() => served.close());
  const short = async (name: string) =>
    (await dig(name, A, { server: served.address, short: true, timeoutMs: 2000 })).text;
  t.equal(await short('web.default.svc.cluster.local'), '10.96.10.80\n');
  // A change in the cluster reaches the zone through the watch: awaited on the zone's change.
  const changed = (want: (a: string) => boolean) =>
    new Promise<void>((resolve) => {
      const check = () => {
        const a = served.zone.lookup('api.default.svc.cluster.local.', A);
        if (want(a.answers.map((x) => String((x as { data?: unknown }).data)).join(','))) {
          off();
          resolve();
        }
      };
      const off = served.zone.onChange(check);
      check();
    });
  cluster.store.create({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'api', namespace: 'default' },
    spec: { clusterIP: '10.96.20.20', ports: [{ port: 443 }] },
  } as Service);
  await changed((a) => a === '10.96.20.20');
  t.equal(await short('api.default.svc.cluster.local'), '10.96.20.20\n', 'a new Service answers');
  cluster.store.delete('Service', 'api');
  await changed((a) => a === '');
  t.equal(await short('api.default.svc.cluster.local'), '', 'a deleted one no longer does');

  // --pods verified lists and watches Pods too: a pod name answers only for a pod with that address.
  const verified = await serveClusterZone(client, {
    listen: { host: '127.0.0.1', port: 0 },
    zone: 'cluster.local',
    ttl: '5',
    pods: 'verified',
  });
  t.teardown(() => verified.close());
  const pod = async (name: string) =>
    (await dig(name, A, { server: verified.address, short: true, timeoutMs: 2000 })).text;
  t.equal(await pod('10-244-1-7.default.pod.cluster.local'), '10.244.1.7\n', 'web-2');
  t.equal(await pod('10-244-1-8.default.pod.cluster.local'), '', 'no pod there');
});

/** A server answering as kube-apiserver v1.32 with the fixtures' lists, in pages of two. */
async function fixtureServer(
  t: { teardown(fn: () => unknown): void },
  refuse: Record<string, string> = {},
  /** What the next watches of a path get, in turn: a 500, a 410 event (history compacted), then open streams. */
  watchPlan: Record<string, ('500' | '410')[]> = {},
) {
  const lists: Record<string, string> = {
    '/api/v1/nodes': 'nodes.json',
    '/api/v1/services': 'services.json',
    '/apis/discovery.k8s.io/v1/endpointslices': 'endpointslices.json',
    '/api/v1/namespaces': 'namespaces.json',
  };
  const seen: string[] = [];
  const onRequest = new Set<() => void>();
  /** Resolves once the requests seen so far satisfy `check` (tested on each request). */
  const requestsUntil = (check: () => boolean) =>
    new Promise<void>((resolve) => {
      const test = () => {
        if (!check()) return;
        onRequest.delete(test);
        resolve();
      };
      onRequest.add(test);
      test();
    });
  const watches = new Set<import('node:http').ServerResponse>();
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    seen.push(`${req.method} ${url.pathname}${url.search}`);
    for (const f of [...onRequest]) f();
    const send = (code: number, body: unknown) => {
      res.writeHead(code, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (refuse[url.pathname])
      return send(Number(refuse[url.pathname]!.match(/\d{3}/)![0]), read(refuse[url.pathname]!));
    const file = lists[url.pathname];
    if (!file) return send(404, { kind: 'Status', code: 404 });
    if (url.searchParams.get('watch') === 'true') {
      const next = watchPlan[url.pathname]?.shift();
      if (next === '500')
        return send(500, {
          kind: 'Status',
          apiVersion: 'v1',
          metadata: {},
          status: 'Failure',
          message: 'etcdserver: request timed out',
          reason: 'InternalError',
          code: 500,
        });
      if (next === '410') {
        // As kube-apiserver ends a watch from a compacted resourceVersion: one ERROR event, then EOF.
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(
          `${JSON.stringify({
            type: 'ERROR',
            object: {
              kind: 'Status',
              apiVersion: 'v1',
              metadata: {},
              status: 'Failure',
              message: 'too old resource version: 1523 (1600)',
              reason: 'Expired',
              code: 410,
            },
          })}\n`,
        );
        return;
      }
      // Nothing changes in a recorded cluster: the stream stays open until the client leaves.
      res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
      res.flushHeaders();
      watches.add(res);
      res.on('close', () => watches.delete(res));
      return;
    }
    const list = read(file) as { metadata: Record<string, unknown>; items: unknown[] };
    const start = Number(
      url.searchParams.get('continue')
        ? JSON.parse(Buffer.from(url.searchParams.get('continue')!, 'base64').toString()).start
        : 0,
    );
    const page = list.items.slice(start, start + 2);
    const rest = list.items.length - start - page.length;
    const metadata: Record<string, unknown> = { resourceVersion: list.metadata.resourceVersion };
    if (rest > 0) {
      metadata.continue = Buffer.from(
        JSON.stringify({ v: 'meta.k8s.io/v1', rv: 1523, start: start + 2 }),
      ).toString('base64');
      metadata.remainingItemCount = rest;
    }
    send(200, { ...list, metadata, items: page });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(
    () =>
      new Promise((r) => {
        for (const w of watches) w.end();
        server.close(r);
      }),
  );
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const kubeconfig = join(tmp, `fixture-${(server.address() as AddressInfo).port}.kubeconfig`);
  writeFileSync(
    kubeconfig,
    `apiVersion: v1
kind: Config
clusters:
- name: kind-kind
  cluster: {server: "${url}"}
contexts:
- name: kind-kind
  context: {cluster: kind-kind, user: kind-kind}
users:
- name: kind-kind
  user: {token: "abc"}
current-context: kind-kind
`,
  );
  return { url, kubeconfig, seen, requestsUntil };
}

function read(file: string): unknown {
  return JSON.parse(readFileSync(join(fixtures, file), 'utf8'));
}

t.test(
  "a real kube-apiserver's lists (fixtures): the same rules as the same objects read from a file",
  async (t) => {
    const { kubeconfig, seen } = await fixtureServer(t);
    const r = await iptablesSaveCluster(await KubeClient.load(kubeconfig), {
      hostnameOverride: 'kind-worker',
      clusterCidr: '10.244.0.0/16',
    });
    t.same(r.warnings, []);
    t.same(seen.sort(), [
      'GET /api/v1/nodes?limit=500',
      'GET /api/v1/services?limit=500',
      'GET /api/v1/services?limit=500&continue=eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6MTUyMywic3RhcnQiOjJ9',
      'GET /apis/discovery.k8s.io/v1/endpointslices?limit=500',
      'GET /apis/discovery.k8s.io/v1/endpointslices?limit=500&continue=eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6MTUyMywic3RhcnQiOjJ9',
    ]);
    // The same objects as manifests (a List of each file's items with kind and apiVersion).
    const items: AnyObject[] = [];
    for (const [file, kind, apiVersion] of [
      ['nodes.json', 'Node', 'v1'],
      ['services.json', 'Service', 'v1'],
      ['endpointslices.json', 'EndpointSlice', 'discovery.k8s.io/v1'],
    ] as const) {
      for (const o of (read(file) as { items: AnyObject[] }).items)
        items.push({ ...o, kind, apiVersion } as AnyObject);
    }
    const asFile = join(tmp, 'fixture-objects.json');
    writeFileSync(asFile, JSON.stringify({ apiVersion: 'v1', kind: 'List', items }));
    const offline = iptablesSaveManifests([asFile], {
      hostnameOverride: 'kind-worker',
      clusterCidr: '10.244.0.0/16',
    });
    t.equal(r.payload, offline.payload, 'the cluster path and the -f path write the same payload');
    for (const line of [
      '-A KUBE-SERVICES -m comment --comment "kube-system/kube-dns:dns cluster IP" -m udp -p udp -d 10.96.0.10 --dport 53 -j KUBE-SVC-TCOU7JCQXEZGVUNU',
      '-A KUBE-NODEPORTS -m comment --comment default/web:http -m tcp -p tcp --dport 30080 -j KUBE-EXT-CDGGSHYLG3RE2FKL',
      '-A KUBE-SVC-CDGGSHYLG3RE2FKL -m comment --comment "default/web:http -> 10.244.1.2:8080" -m statistic --mode random --probability 0.5000000000 -j KUBE-SEP-UIQK3OSOSTRHRPBX',
    ])
      t.ok(r.payload.includes(`${line}\n`), line);
    // The not-ready pod (10.244.0.5) is no endpoint.
    t.notMatch(r.payload, /10\.244\.0\.5/);
    t.match(
      r.payload,
      /-A KUBE-SEP-\w+ -m comment --comment default\/web:http -m tcp -p tcp -j DNAT --to-destination 10\.244\.1\.2:8080\n/,
    );
  },
);

t.test("dns serve --kubeconfig on a real kube-apiserver's lists", async (t) => {
  const { kubeconfig } = await fixtureServer(t);
  const errors: string[] = [];
  const served = await serveClusterZone(
    await KubeClient.load(kubeconfig),
    { listen: { host: '127.0.0.1', port: 0 }, zone: 'cluster.local', ttl: '5', pods: 'disabled' },
    { onError: (l) => errors.push(l), retryMs: 60_000 },
  );
  t.teardown(() => served.close());
  const short = async (name: string, type = A) =>
    (await dig(name, type, { server: served.address, short: true, timeoutMs: 2000 })).text;
  t.equal(await short('kube-dns.kube-system.svc.cluster.local'), '10.96.0.10\n');
  t.equal(await short('web.default.svc.cluster.local'), '10.96.142.7\n');
  t.equal(
    await short('_http._tcp.web.default.svc.cluster.local', SRV),
    '0 100 80 web.default.svc.cluster.local.\n',
  );
});

t.test('errors: one line each, no stack', async (t) => {
  const { url, kubeconfig } = await fixtureServer(t, {
    '/api/v1/nodes': 'status-403-forbidden.json',
  });
  const fail = async (p: Promise<unknown>) => {
    try {
      await p;
    } catch (e) {
      return clientErrorText(e);
    }
    return 'no error';
  };
  t.equal(
    await fail(iptablesSaveCluster(await KubeClient.load(kubeconfig), {})),
    'Error from server (Forbidden): nodes is forbidden: User "system:serviceaccount:default:viewer" cannot list resource "nodes" in API group "" at the cluster scope\n',
    '403',
  );
  const { cluster } = await labReady;
  const tokenKubeconfig = join(tmp, 'token.kubeconfig');
  const { ApiServer } = await import('../../../lab/apiserver/index.js');
  const guarded = new ApiServer({ store: cluster.store, token: 'right' });
  await guarded.listen();
  t.teardown(() => guarded.close());
  writeKubeconfig(tokenKubeconfig, { server: guarded.url, token: 'wrong' });
  t.equal(
    await fail(iptablesSaveCluster(await KubeClient.load(tokenKubeconfig), {})),
    'error: You must be logged in to the server (Unauthorized)\n',
    '401',
  );
  const down = join(tmp, 'down.kubeconfig');
  writeFileSync(down, readFileSync(kubeconfig, 'utf8').replace(url, 'http://127.0.0.1:1'));
  t.equal(
    await fail(iptablesSaveCluster(await KubeClient.load(down), {})),
    `error: the kube-API at http://127.0.0.1:1 does not answer (ECONNREFUSED) (kubeconfig ${down})\n`,
    'unreachable',
  );
  const noContext = join(tmp, 'nocontext.kubeconfig');
  writeFileSync(
    noContext,
    readFileSync(kubeconfig, 'utf8').replace('current-context: kind-kind', 'current-context: prod'),
  );
  await t.rejects(KubeClient.load(noContext), ClientError);
  t.equal(
    await fail(KubeClient.load(noContext)),
    `error: ${noContext}: context was not found for specified context: prod\n`,
    'missing context',
  );
  // KUBECONFIG as kubectl reads it: files that do not exist are skipped, the first current context wins.
  const client = await KubeClient.load(undefined, `${join(tmp, 'absent')}:${kubeconfig}:${noContext}`);
  t.equal(client.server, url);
  t.equal(client.source, `${kubeconfig}:${noContext}`);

  // The command itself (in this process): one line on stderr, nothing on stdout, exit 1.
  t.same(await iptablesSaveCommand(['--kubeconfig', kubeconfig, '--node', 'kind-worker']), {
    code: 1,
    stdout: '',
    stderr:
      'Error from server (Forbidden): nodes is forbidden: User "system:serviceaccount:default:viewer" cannot list resource "nodes" in API group "" at the cluster scope\n',
  });
});

/** `netlab iptables-save ARGS` run in this process, its stdout, stderr and exit code captured. */
async function iptablesSaveCommand(
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const program = new Command('netlab').exitOverride();
  registerIptablesSave(program);
  let stdout = '';
  let stderr = '';
  const out = process.stdout.write;
  const err = process.stderr.write;
  const code = process.exitCode;
  process.stdout.write = ((s: string) => {
    stdout += s;
    return true;
  }) as typeof process.stdout.write;
  process.stderr.write = ((s: string) => {
    stderr += s;
    return true;
  }) as typeof process.stderr.write;
  let exit: number | string | undefined;
  try {
    await runProgram(program, ['iptables-save', ...args], { from: 'user' });
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
    exit = process.exitCode;
    process.exitCode = code;
  }
  return { code: Number(exit ?? 0), stdout, stderr };
}

t.test(
  'dns serve --kubeconfig: a failed watch is one warning and starts again; 410 Gone lists again',
  async (t) => {
    const { kubeconfig, seen, requestsUntil } = await fixtureServer(
      t,
      {},
      { '/api/v1/services': ['500'], '/apis/discovery.k8s.io/v1/endpointslices': ['410'] },
    );
    const errors: string[] = [];
    const served = await serveClusterZone(
      await KubeClient.load(kubeconfig),
      { listen: { host: '127.0.0.1', port: 0 }, zone: 'cluster.local', ttl: '5', pods: 'disabled' },
      { onError: (l) => errors.push(l), retryMs: 5 },
    );
    t.teardown(() => served.close());
    const watches = (path: string) =>
      seen.filter((s) => s.startsWith(`GET ${path}?`) && s.includes('watch=true')).length;
    const lists = (path: string) => seen.filter((s) => s === `GET ${path}?limit=500`).length;
    // Awaited on the requests the server sees, not on time: services watched again after the 500,
    // slices watched again after listing again on the 410.
    await requestsUntil(
      () => watches('/api/v1/services') >= 2 && watches('/apis/discovery.k8s.io/v1/endpointslices') >= 2,
    );
    t.same(errors, ['watch services: 500 Internal Server Error'], 'one line for the failed watch');
    t.equal(lists('/api/v1/services'), 1, 'a failed watch resumes from its resourceVersion: no new list');
    t.equal(lists('/apis/discovery.k8s.io/v1/endpointslices'), 2, '410: listed again');
    t.equal(
      (
        await dig('web.default.svc.cluster.local', A, {
          server: served.address,
          short: true,
          timeoutMs: 2000,
        })
      ).text,
      '10.96.142.7\n',
      'still answering',
    );
  },
);
