// The forward proxy as the client pod: by name, by ClusterIP, CONNECT, 403 for outside hosts, one
// emulated connection per client connection and destination, another destination later on the same
// connection; malformed, oversized and slow heads on the proxy and on a NodePort; the live log; and
// the real curl through HTTP_PROXY and a NodePort.
import { execFile } from 'node:child_process';
import { connect } from 'node:net';
import t from 'tap';
import { ForwardProxy } from '../../proxy/index.js';
import { FakePods, node, service, slice, startDataplane, TestCluster } from './fixtures/dataplane.js';

const manifests =
  node('node-a', '192.168.49.2') +
  node('node-b', '192.168.49.3') +
  service(
    'web',
    '{type: NodePort, clusterIP: 10.96.0.20, ports: [{name: p, port: 80, protocol: TCP, targetPort: 8080, nodePort: 30080}]}',
  ) +
  slice('web', ['10.244.1.6@node-b']) +
  service('api', '{clusterIP: 10.96.0.21, ports: [{name: p, port: 80, protocol: TCP, targetPort: 8080}]}') +
  slice('api', ['10.244.0.7@node-a']);

const names: Record<string, string> = {
  web: '10.96.0.20',
  'web.default.svc.cluster.local': '10.96.0.20',
  api: '10.96.0.21',
  'example.com': '93.184.215.14',
};

async function setup(t: { teardown: (f: () => Promise<void>) => void }) {
  const cluster = new TestCluster(manifests);
  const pods = new FakePods();
  pods.addHttp('web-1', '10.244.1.6', 8080);
  pods.addHttp('api-1', '10.244.0.7', 8080);
  const d = await startDataplane(cluster, pods, { dropTimeoutMs: 100 });
  const proxy = new ForwardProxy({
    dataplane: d.dp,
    client: () => ({ node: 'node-a', ip: '10.244.0.100' }),
    resolve: async (n) => (names[n] === undefined ? [] : [names[n]!]),
    port: 0,
    headersTimeoutMs: 150,
    maxHeaderBytes: 4096,
  });
  const addr = await proxy.listen();
  t.teardown(async () => {
    await proxy.close();
    await d.close();
  });
  return { ...d, proxy, addr };
}

/** Sends raw bytes, returns everything the server wrote until it closed (or `until` matched). */
function raw(host: string, port: number, chunks: readonly string[], until?: RegExp): Promise<string> {
  return new Promise((resolve) => {
    const s = connect(port, host);
    let got = '';
    s.on('data', (c) => {
      got += c.toString('latin1');
      if (until?.test(got)) {
        s.destroy();
        resolve(got);
      }
    });
    s.on('error', (e: NodeJS.ErrnoException) => resolve(got || (e.code ?? '')));
    s.on('close', () => resolve(got));
    for (const c of chunks) s.write(c);
  });
}

const bodies = (s: string) =>
  [...s.matchAll(/\{[^}]*\}/g)].map((m) => JSON.parse(m[0]!) as Record<string, string>);

t.test(
  'forward proxy: by name, by ClusterIP, keep-alive on one connection, another destination later',
  async (t) => {
    const { addr } = await setup(t);
    const out = await raw(addr.host, addr.port, [
      'GET http://web/a HTTP/1.1\r\nHost: web\r\n\r\n' +
        'GET http://web/b HTTP/1.1\r\nHost: web\r\n\r\n' +
        'GET http://10.96.0.21/c HTTP/1.1\r\nHost: 10.96.0.21\r\n\r\n' +
        'GET http://web.default.svc.cluster.local/d HTTP/1.1\r\nHost: web.default.svc.cluster.local\r\nConnection: close\r\n\r\n',
    ]);
    const b = bodies(out);
    t.same(
      b.map((x) => `${x.pod} ${x.url}`),
      ['web-1 /a', 'web-1 /b', 'api-1 /c', 'web-1 /d'],
    );
    t.match(b[0]!.clientip, /^10\.244\.0\.100:\d+$/, 'the pod sees the client pod');
    t.equal(b[0]!.clientip, b[1]!.clientip, 'one emulated connection for one destination');
  },
);

t.test('forward proxy: CONNECT, 403 outside, 400, 431, 408, the live log', async (t) => {
  const { addr, base } = await setup(t);
  const lines: string[] = [];
  const live = connect(addr.port, addr.host);
  live.write('GET /netlab/connections HTTP/1.1\r\nHost: x\r\n\r\n');
  live.on('data', (c) => lines.push(...c.toString().split('\n')));
  t.teardown(() => live.destroy());
  await new Promise((r) => live.once('data', r));
  const tunnel = await raw(addr.host, addr.port, [
    'CONNECT api:80 HTTP/1.1\r\nHost: api:80\r\n\r\nGET /x HTTP/1.1\r\nHost: api\r\nConnection: close\r\n\r\n',
  ]);
  t.match(tunnel, /^HTTP\/1\.1 200 Connection Established\r\n\r\nHTTP\/1\.1 200 OK/);
  t.match(bodies(tunnel)[0], { pod: 'api-1', url: '/x' });
  const cases: [string, string[], RegExp][] = [
    [
      'outside by name',
      ['GET http://example.com/ HTTP/1.1\r\nHost: example.com\r\n\r\n'],
      /^HTTP\/1\.1 403 /,
    ],
    ['unknown name', ['GET http://nope/ HTTP/1.1\r\nHost: nope\r\n\r\n'], /^HTTP\/1\.1 403 /],
    ['outside by IP', ['CONNECT 1.1.1.1:443 HTTP/1.1\r\n\r\n'], /^HTTP\/1\.1 403 /],
    ['malformed line', ['HELLO\r\n\r\n'], /^HTTP\/1\.1 400 /],
    ['malformed header', ['GET http://web/ HTTP/1.1\r\nno colon\r\n\r\n'], /^HTTP\/1\.1 400 /],
    ['https absolute-form', ['GET https://web/ HTTP/1.1\r\n\r\n'], /^HTTP\/1\.1 400 /],
    ['oversized head', [`GET http://web/ HTTP/1.1\r\nX: ${'a'.repeat(5000)}\r\n\r\n`], /^HTTP\/1\.1 431 /],
    ['slowloris', ['GET http://web/ HTTP/1.1\r\nX-a: b\r\n'], /^HTTP\/1\.1 408 /],
  ];
  for (const [name, chunks, want] of cases) t.match(await raw(addr.host, addr.port, chunks), want, name);
  // The pod's own server limits apply on a NodePort: Node's parser answers 400 and 431.
  t.match(await raw(`${base}.1`, 30080, ['HELLO\r\n\r\n']), /^HTTP\/1\.1 400 /, 'NodePort: malformed');
  t.match(
    await raw(`${base}.1`, 30080, [`GET / HTTP/1.1\r\nX: ${'a'.repeat(20000)}\r\n\r\n`]),
    /^HTTP\/1\.1 431 /,
    'NodePort: oversized',
  );
  t.match(
    await raw(`${base}.1`, 30080, ['GET / HTTP/1.1\r\nX-a: b\r\n']),
    /^HTTP\/1\.1 408 /,
    "NodePort: slowloris meets the pod server's headersTimeout",
  );
  // Many slow clients at once: each costs at most one bounded head; all end in 408.
  const slow = await Promise.all(
    Array.from({ length: 100 }, () =>
      raw(addr.host, addr.port, [`GET http://web/ HTTP/1.1\r\nX: ${'a'.repeat(3000)}`]),
    ),
  );
  t.equal(slow.filter((s) => s.startsWith('HTTP/1.1 408 ')).length, 100, '100 slow clients: 408 each');
  t.ok(
    lines.some((l) =>
      / node-a proxy TCP 10\.244\.0\.100:\d+ -> 10\.96\.0\.21:80 DNAT 10\.244\.0\.7:8080 seen-from 10\.244\.0\.100:\d+ rules /.test(
        l,
      ),
    ),
    `live log: ${lines.find((l) => l.includes('10.96.0.21'))}`,
  );
  t.ok(
    lines.some((l) => / -> 1\.1\.1\.1:443 ACCEPT 1\.1\.1\.1:443 not delivered/.test(l)),
    'refused outside destinations are logged',
  );
});

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

t.test('the real curl through a NodePort and through HTTP_PROXY', async (t) => {
  const { addr, base } = await setup(t);
  t.match(JSON.parse(await curl([`http://${base}.2:30080/hello`])), { pod: 'web-1', url: '/hello' });
  const env = { http_proxy: `http://${addr.host}:${addr.port}`, no_proxy: '' };
  t.match(JSON.parse(await curl(['http://web/x'], env)), {
    pod: 'web-1',
    url: '/x',
    clientip: /^10\.244\.0\.100:/,
  });
  t.match(await curl(['-o', '/dev/null', '-w', '%{http_code}', 'http://example.com/'], env), '403');
  t.match(JSON.parse(await curl(['-p', 'http://api:80/tunnel'], env)), { pod: 'api-1', url: '/tunnel' });
});
