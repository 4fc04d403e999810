import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { type ScriptedDnsServer, startScriptedDnsServer } from '../../dns/resolver/scripted.js';
import { netlabInProcess } from '../index.js';

// The command in this process (netlabInProcess: the same program, its streams and exit status).
const run = netlabInProcess;

let server: ScriptedDnsServer;
t.before(async () => {
  server = await startScriptedDnsServer({
    records: [
      { name: 'web.shop.svc.cluster.local', type: 'A', data: '10.96.0.20' },
      { name: 'api.example.com', type: 'A', data: '192.0.2.10', ttl: 300 },
    ],
    exists: ['cluster.local', 'svc.cluster.local', 'shop.svc.cluster.local'],
  });
});
t.teardown(() => server.close());

// The TIME column (the last) is the only thing that varies: replaced by "-".
function untimed(s: string): string {
  return s.replace(/\d+\.\dms$/gm, '-');
}

t.test('netlab resolve', async (t) => {
  const addr = `127.0.0.1:${server.port}`;
  const pad = ' '.repeat(addr.length - 'SERVER'.length);
  const cases: { args: string[]; code: number; stdout: string; stderr?: string }[] = [
    {
      args: ['resolve', 'web', '--namespace', 'shop', '--server', addr],
      code: 0,
      stdout: `;; resolv.conf of a pod in namespace shop, glibc (port ${server.port})
search shop.svc.cluster.local svc.cluster.local cluster.local
nameserver 127.0.0.1
options ndots:5

#  NAME                         TYPE  SERVER${pad}  VIA  RCODE    ANSWERS  FLAGS  TIME
1  web.shop.svc.cluster.local.  A     ${addr}  udp  NOERROR  1               -
2  web.shop.svc.cluster.local.  AAAA  ${addr}  udp  NOERROR  0               -

;; web -> web.shop.svc.cluster.local. (glibc: 2 queries, 1 name tried)
web.shop.svc.cluster.local. 5 IN A 10.96.0.20
`,
    },
    {
      args: ['resolve', 'api.example.com', '-n', 'shop', '--server', addr, '--libc', 'musl', '--family', '4'],
      code: 0,
      stdout: `;; resolv.conf of a pod in namespace shop, musl (port ${server.port})
search shop.svc.cluster.local svc.cluster.local cluster.local
nameserver 127.0.0.1
options ndots:5

#  NAME                                     TYPE  SERVER${pad}  VIA  RCODE     ANSWERS  FLAGS  TIME
1  api.example.com.shop.svc.cluster.local.  A     ${addr}  udp  NXDOMAIN  0               -
2  api.example.com.svc.cluster.local.       A     ${addr}  udp  NXDOMAIN  0               -
3  api.example.com.cluster.local.           A     ${addr}  udp  NXDOMAIN  0               -
4  api.example.com.                         A     ${addr}  udp  NOERROR   1               -

;; api.example.com -> api.example.com. (musl: 4 queries, 4 names tried)
api.example.com. 300 IN A 192.0.2.10
`,
    },
    {
      // A NODATA on the first search name stops musl: exit status 2, like `getent hosts`.
      args: ['resolve', 'shop', '-n', 'shop', '--server', addr, '--libc', 'musl', '--ndots', '1'],
      code: 2,
      stdout: `;; resolv.conf of a pod in namespace shop, musl (port ${server.port})
search shop.svc.cluster.local svc.cluster.local cluster.local
nameserver 127.0.0.1
options ndots:1

#  NAME                          TYPE  SERVER${pad}  VIA  RCODE     ANSWERS  FLAGS  TIME
1  shop.shop.svc.cluster.local.  A     ${addr}  udp  NXDOMAIN  0               -
2  shop.shop.svc.cluster.local.  AAAA  ${addr}  udp  NXDOMAIN  0               -
3  shop.svc.cluster.local.       A     ${addr}  udp  NOERROR   0               -
4  shop.svc.cluster.local.       AAAA  ${addr}  udp  NOERROR   0               -

;; shop: NODATA (musl: 4 queries, 2 names tried): getaddrinfo: Name does not resolve (EAI_NONAME)
`,
    },
    {
      args: ['resolve', 'web', '--server', 'not-an-ip'],
      code: 1,
      stdout: '',
      stderr: 'netlab resolve: --server: invalid nameserver "not-an-ip": want IP, IP:PORT or [IPv6]:PORT\n',
    },
    {
      args: ['resolve', 'web', '--server', addr, '--ndots', '16'],
      code: 1,
      stdout: '',
      stderr: 'netlab resolve: --ndots: invalid value "16": want an integer from 0 to 15\n',
    },
    // Search domains and names that are no names are refused, never sent.
    {
      args: ['resolve', 'web', '--namespace', '', '--server', addr],
      code: 1,
      stdout: '',
      stderr: 'netlab resolve: --namespace: invalid value "": must not be empty\n',
    },
    {
      args: ['resolve', 'web', '--zone', 'cluster..local', '--server', addr],
      code: 1,
      stdout: '',
      stderr: 'netlab resolve: --zone: invalid value "cluster..local": a domain has no empty labels\n',
    },
    {
      args: ['resolve', 'web..shop', '--server', addr],
      code: 1,
      stdout: '',
      stderr: 'netlab resolve: invalid name "web..shop": empty label\n',
    },
  ];
  for (const c of cases) {
    const r = await run(c.args);
    t.equal(untimed(r.stdout), c.stdout, `${c.args.join(' ')}: stdout`);
    t.equal(r.code, c.code, `${c.args.join(' ')}: exit status`);
    if (c.stderr !== undefined) t.equal(r.stderr, c.stderr, `${c.args.join(' ')}: stderr`);
  }
});

t.test("netlab resolve --pod: the pod's own dnsPolicy and dnsConfig", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'netlab-resolve-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const manifest = join(dir, 'pods.yaml');
  writeFileSync(
    manifest,
    `apiVersion: v1
kind: Pod
metadata: {name: app, namespace: shop}
spec:
  containers: [{name: c, image: busybox}]
  dnsConfig:
    searches: [corp.example]
    options: [{name: ndots, value: "2"}, {name: single-request-reopen}]
`,
  );
  const node = join(dir, 'node-resolv.conf');
  writeFileSync(node, 'nameserver 192.0.2.53\nsearch eu-west-1.compute.internal\n');
  const addr = `127.0.0.1:${server.port}`;
  const pad = ' '.repeat(addr.length - 'SERVER'.length);
  const cases: { args: string[]; code: number; stdout: string; stderr?: string }[] = [
    {
      args: [
        'resolve',
        'web',
        '-n',
        'shop',
        '--server',
        addr,
        '-f',
        manifest,
        '--pod',
        'app',
        '--node-resolv-conf',
        node,
      ],
      code: 0,
      stdout: `;; resolv.conf of Pod shop/app (dnsPolicy ClusterFirst), glibc (port ${server.port})
search shop.svc.cluster.local svc.cluster.local cluster.local eu-west-1.compute.internal corp.example
nameserver 127.0.0.1
options ndots:2 single-request-reopen

#  NAME                         TYPE  SERVER${pad}  VIA  RCODE    ANSWERS  FLAGS  TIME
1  web.shop.svc.cluster.local.  A     ${addr}  udp  NOERROR  1               -
2  web.shop.svc.cluster.local.  AAAA  ${addr}  udp  NOERROR  0               -

;; web -> web.shop.svc.cluster.local. (glibc: 2 queries, 1 name tried)
web.shop.svc.cluster.local. 5 IN A 10.96.0.20
`,
    },
    {
      args: ['resolve', 'web', '-n', 'shop', '--server', addr, '-f', manifest, '--pod', 'nope'],
      code: 1,
      stdout: '',
      stderr: `netlab resolve: --pod: no Pod shop/nope in ${manifest}\n`,
    },
    {
      args: ['resolve', 'web', '--pod', 'app'],
      code: 1,
      stdout: '',
      stderr: 'netlab resolve: --pod: needs -f FILE with the Pod in it\n',
    },
  ];
  for (const c of cases) {
    const r = await run(c.args);
    t.equal(untimed(r.stdout), c.stdout, `${c.args.join(' ')}: stdout`);
    t.equal(r.code, c.code, `${c.args.join(' ')}: exit status`);
    if (c.stderr !== undefined) t.equal(r.stderr, c.stderr, `${c.args.join(' ')}: stderr`);
  }
});
