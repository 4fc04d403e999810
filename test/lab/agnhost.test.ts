// agnhost netexec as a contract: each path's status, body and content type as agnhost answers,
// checked against the pod's real loopback socket with undici (no data plane: /clientip shows the
// real peer).
import { createSocket } from 'node:dgram';
import t from 'tap';
import { request } from 'undici';
import { agnhostPod, ready, realAddress, startLab, waitPod } from './kubelet-fixture.js';

const textPlain = 'text/plain; charset=utf-8';

interface Case {
  path: string;
  headers?: Record<string, string>;
  status: number;
  body: string | RegExp;
  contentType?: string;
  location?: string;
}

const cases: Case[] = [
  {
    path: '/',
    status: 200,
    body: /^NOW: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)? \+0000 UTC m=\+\d+\.\d{9}$/,
    contentType: textPlain,
  },
  { path: '/hostname', status: 200, body: 'web-0', contentType: textPlain },
  { path: '/hostName', status: 200, body: 'web-0' },
  { path: '/clientip', status: 200, body: /^127\.0\.0\.1:\d+$/ },
  { path: '/echo?msg=hello', status: 200, body: 'hello' },
  { path: '/echo?msg=gone&code=404', status: 404, body: 'gone' },
  {
    path: '/echo?msg=x&code=abc',
    status: 200,
    body: `argument 'code' must be an integer or empty, got "abc"\n`,
  },
  { path: '/healthz', status: 200, body: '' },
  { path: '/readyz', status: 200, body: '' },
  { path: '/header?key=X-Test', headers: { 'x-test': 'abc' }, status: 200, body: 'abc' },
  {
    path: '/redirect?location=/echo%3Fmsg%3Dfoobar&code=307',
    status: 307,
    body: '<a href="/echo?msg=foobar">Temporary Redirect</a>.\n\n',
    contentType: 'text/html; charset=utf-8',
    location: '/echo?msg=foobar',
  },
  {
    path: '/redirect?location=http://example.com/',
    status: 302,
    body: '<a href="http://example.com/">Found</a>.\n\n',
  },
  { path: '/dial', status: 400, body: 'request parameter not specified. <nil>\n', contentType: textPlain },
  {
    path: '/dial?request=hostname&tries=x&host=10.244.0.2&port=8080',
    status: 400,
    body: /^tries parameter is invalid\. /,
  },
  {
    path: '/dial?request=hostname&host=10.244.0.2&port=8080&tries=2',
    status: 200,
    body: '{"responses":["web-0","web-0"]}',
  },
  {
    path: '/dial?request=hostname&protocol=udp&host=10.244.0.2&port=8081',
    status: 200,
    body: '{"responses":["web-0"]}',
  },
  {
    path: '/dial?request=hostname&host=10.244.0.2&port=9999',
    status: 200,
    body: '{"errors":["Get \\"http://10.244.0.2:9999/hostname\\": dial tcp 10.244.0.2:9999: connect: connection refused"]}',
  },
  { path: '/set-ready?ready=false', status: 200, body: 'ready=false' },
  { path: '/readyz', status: 503, body: '' },
  { path: '/set-ready?ready=true', status: 200, body: 'ready=true' },
];

t.test('netexec endpoints over the real socket', async (t) => {
  const lab = startLab();
  t.teardown(() => lab.stop());
  lab.store.create(agnhostPod('web-0'));
  const pod = await waitPod(
    lab.store,
    'web-0',
    (p) => ready(p) && !!p.metadata.annotations?.['netlab.dev/listen'],
  );
  const base = `http://${realAddress(pod, '8080/TCP')}`;
  for (const c of cases) {
    const res = await request(`${base}${c.path}`, { headers: c.headers ?? {} });
    const body = await res.body.text();
    t.equal(res.statusCode, c.status, `${c.path}: status`);
    if (typeof c.body === 'string') t.equal(body, c.body, `${c.path}: body`);
    else t.match(body, c.body, `${c.path}: body`);
    if (c.contentType) t.equal(res.headers['content-type'], c.contentType, `${c.path}: content-type`);
    if (c.location) t.equal(res.headers.location, c.location, `${c.path}: location`);
  }

  const [host, port] = realAddress(pod, '8081/UDP').split(':');
  const udp = createSocket('udp4');
  t.teardown(() => udp.close());
  const ask = (msg: string) =>
    new Promise<string>((resolve) => {
      udp.once('message', (m) => resolve(m.toString()));
      udp.send(msg, Number(port), host);
    });
  t.equal(await ask('hostname'), 'web-0');
  t.equal(await ask('echo Hello There'), 'hello there', 'agnhost lower-cases what it reads');
  t.match(await ask('clientip'), /^127\.0\.0\.1:\d+$/);

  // /exit ends the process before any reply; the kubelet restarts it with the exit code recorded.
  await request(`${base}/exit?code=3`).then(
    () => t.fail('no reply expected'),
    (e: Error) => t.ok(e, 'the connection closes without a reply'),
  );
  const again = await waitPod(
    lab.store,
    'web-0',
    (p) => p.status?.containerStatuses?.[0]?.restartCount === 1,
  );
  t.match(again.status?.containerStatuses?.[0]?.lastState, { terminated: { exitCode: 3, reason: 'Error' } });
});

t.test('serve-hostname and an unknown image', async (t) => {
  const lab = startLab();
  t.teardown(() => lab.stop());
  lab.store.create(
    agnhostPod('sh-0', {}, { args: ['serve-hostname', '--port=9376'], ports: [{ containerPort: 9376 }] }),
  );
  lab.store.create(
    agnhostPod('echo-0', {}, { image: 'nginx:1.27', args: [], ports: [{ containerPort: 80 }] }),
  );
  const sh = await waitPod(lab.store, 'sh-0', (p) => !!p.metadata.annotations?.['netlab.dev/listen']);
  t.equal(await (await request(`http://${realAddress(sh, '9376/TCP')}/anything`)).body.text(), 'sh-0');
  const echo = await waitPod(lab.store, 'echo-0', (p) => !!p.metadata.annotations?.['netlab.dev/listen']);
  const body = (await (await request(`http://${realAddress(echo, '80/TCP')}/x?y=1`)).body.json()) as Record<
    string,
    string
  >;
  t.match(body, { hostname: 'echo-0', image: 'nginx:1.27', method: 'GET', url: '/x?y=1' });
  t.ok(
    lab
      .events()
      .includes(
        'UnknownImage: Image "nginx:1.27" is not one netlab runs; container agnhost runs the default echo app',
      ),
  );
});
