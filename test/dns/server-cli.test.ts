// The command-line contracts: `netlab dig` (+short, +tcp, exit status) and `netlab dns serve` (user
// errors name the option or file, no stack trace), and dig's layout as pure functions. The commands
// run in this process (netlabInProcess: the same program, its streams and exit status); `dns serve`'s
// signals in a child process of its own.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Answer } from 'dns-packet';
import t from 'tap';
import type { AnyObject, EndpointSlice } from '../../api/index.js';
import { DnsServer, parseQType, parseZoneConfig, Zone } from '../../dns/index.js';
import { digWhen, formatRRDig } from '../../dns/server/dig.js';
import { ObjectSource } from '../../dns/zone/source.js';
import { withDerivedEndpointSlices } from '../../lab/controllers/index.js';
import { netlabArgv, netlabInProcess } from '../index.js';

t.test('dig layout', async (t) => {
  const rrs: [Answer, string][] = [
    [
      {
        name: 'cluster.local',
        type: 'SOA',
        ttl: 5,
        data: {
          mname: 'ns.dns.cluster.local',
          rname: 'hostmaster.cluster.local',
          serial: 3,
          refresh: 7200,
          retry: 1800,
          expire: 86400,
          minimum: 5,
        },
      },
      'cluster.local.\t\t5\tIN\tSOA\tns.dns.cluster.local. hostmaster.cluster.local. 3 7200 1800 86400 5',
    ],
    [
      { name: 'web.default.svc.cluster.local', type: 'A', ttl: 5, data: '10.96.0.20' },
      'web.default.svc.cluster.local. 5 IN\tA\t10.96.0.20',
    ],
    [
      { name: 'dns-version.cluster.local', type: 'TXT', ttl: 28800, data: '1.1.0' },
      'dns-version.cluster.local. 28800 IN\tTXT\t"1.1.0"',
    ],
    [
      {
        name: '_http._tcp.web.default.svc.cluster.local',
        type: 'SRV',
        ttl: 5,
        data: { priority: 0, weight: 100, port: 80, target: 'web.default.svc.cluster.local' },
      },
      '_http._tcp.web.default.svc.cluster.local. 5 IN SRV 0 100 80 web.default.svc.cluster.local.',
    ],
  ];
  for (const [rr, want] of rrs) t.equal(formatRRDig(rr), want, rr.type);
  t.equal(digWhen(new Date(Date.UTC(2026, 10, 2, 3, 4, 5))), 'Mon Nov 02 03:04:05 UTC 2026');
  t.same(['a', 'AAAA', 'srv', 'TYPE65', 'BOGUS', 'TYPE70000'].map(parseQType), [1, 28, 33, 65, null, null]);
});

t.test('netlab dig against a server', async (t) => {
  const zone = new Zone(
    new ObjectSource([
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'web', namespace: 'default' },
        spec: { clusterIPs: ['10.96.0.20'], ports: [{ name: 'http', protocol: 'TCP', port: 80 }] },
      },
    ]),
    parseZoneConfig(),
  );
  const server = new DnsServer({ zone, listen: { host: '127.0.0.1', port: 0 } });
  const { port } = await server.listen();
  t.teardown(async () => {
    await server.close();
    zone.close();
  });
  const at = `@127.0.0.1:${port}`;
  const cases: { args: string[]; code: number; stdout: string | RegExp }[] = [
    { args: ['web.default.svc.cluster.local', at, '+short'], code: 0, stdout: '10.96.0.20\n' },
    {
      args: ['_http._tcp.web.default.svc.cluster.local', 'SRV', at, '+short', '+tcp'],
      code: 0,
      stdout: '0 100 80 web.default.svc.cluster.local.\n',
    },
    { args: ['nope.default.svc.cluster.local', at, '+short'], code: 0, stdout: '' },
    {
      args: ['web.default.svc.cluster.local', 'AAAA', at],
      code: 0,
      stdout: /status: NOERROR.*\n;; flags: qr aa rd; QUERY: 1, ANSWER: 0, AUTHORITY: 1, ADDITIONAL: 1\n/,
    },
    {
      args: ['nope.default.svc.cluster.local', at, '+tcp'],
      code: 0,
      stdout: /status: NXDOMAIN[\s\S]*;; SERVER: 127\.0\.0\.1#\d+\(127\.0\.0\.1\) \(TCP\)/,
    },
  ];
  for (const c of cases) {
    const r = await netlabInProcess(['dig', ...c.args]);
    t.equal(r.code, c.code, c.args.join(' '));
    if (typeof c.stdout === 'string') t.equal(r.stdout, c.stdout, c.args.join(' '));
    else t.match(r.stdout, c.stdout, c.args.join(' '));
  }
});

t.test('netlab dig and dns serve: user errors', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'netlab-dns-cli-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const good = join(dir, 'ok.yaml');
  writeFileSync(
    good,
    'apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {clusterIP: 10.96.0.20}\n',
  );
  const cases: { args: string[]; code: number; stderr: RegExp }[] = [
    {
      args: ['dig', 'web.default.svc.cluster.local', 'BOGUS'],
      code: 1,
      stderr: /^error: BOGUS: unknown record type\n$/,
    },
    { args: ['dig', 'x', '@nowhere:abc'], code: 1, stderr: /^error: @SERVER: "nowhere:abc" is not IP:PORT/ },
    // Nothing listens there: dig's exit status 9.
    { args: ['dig', 'x', '@127.0.0.1:9', '+tcp'], code: 9, stderr: /^$/ },
    {
      args: ['dns', 'serve', '-f', good, '--ttl', '4000'],
      code: 1,
      stderr: /^error: --ttl: "4000" must be an integer between 0 and 3600\n$/,
    },
    {
      args: ['dns', 'serve', '-f', good, '--pods', 'maybe'],
      code: 1,
      stderr: /^error: --pods: "maybe" must be one of disabled, insecure, verified\n$/,
    },
    {
      args: ['dns', 'serve', '-f', good, '--listen', 'localhost'],
      code: 1,
      stderr: /^error: --listen: "localhost" is not IP:PORT/,
    },
    { args: ['dns', 'serve', '-f', join(dir, 'missing.yaml')], code: 1, stderr: /missing\.yaml/ },
  ];
  for (const c of cases) {
    const r = await netlabInProcess(c.args);
    t.equal(r.code, c.code, c.args.join(' '));
    t.match(r.stderr, c.stderr, c.args.join(' '));
    t.notMatch(r.stderr, /\n\s+at /, 'no stack trace');
  }
});

t.test('dns serve: Services with a selector get the EndpointSlices the controller would write', async (t) => {
  const objects: AnyObject[] = [
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', namespace: 'default' },
      spec: {
        clusterIP: '10.96.0.20',
        selector: { app: 'web' },
        ports: [{ name: 'http', port: 80, protocol: 'TCP' }],
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'manual', namespace: 'default' },
      spec: { clusterIP: '10.96.0.21', selector: { app: 'web' }, ports: [{ port: 81 }] },
    },
    {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: {
        name: 'manual-1',
        namespace: 'default',
        labels: { 'kubernetes.io/service-name': 'manual' },
      },
      addressType: 'IPv4',
      endpoints: [{ addresses: ['10.244.9.9'] }],
    },
    ...['web-0', 'web-1'].map(
      (name, i): AnyObject => ({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name, namespace: 'default', labels: { app: 'web' } },
        spec: { nodeName: 'node-1', containers: [{ name: 'app' }] },
        status: {
          phase: 'Running',
          podIP: `10.244.1.${i + 5}`,
          conditions: [{ type: 'Ready', status: i === 0 ? 'True' : 'False' }],
        },
      }),
    ),
  ];
  const slices = withDerivedEndpointSlices(objects).objects.filter(
    (o): o is EndpointSlice => o.kind === 'EndpointSlice',
  );
  t.same(
    slices.map((s) => ({
      service: s.metadata.labels?.['kubernetes.io/service-name'],
      endpoints: (s.endpoints ?? []).map((e) => `${e.addresses.join(',')} ready=${e.conditions?.ready}`),
    })),
    [
      { service: 'manual', endpoints: ['10.244.9.9 ready=undefined'] },
      { service: 'web', endpoints: ['10.244.1.5 ready=true', '10.244.1.6 ready=false'] },
    ],
  );
});

t.test('dns serve: "listening on", SIGHUP re-reads the manifests, SIGTERM prints the counters', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'netlab-dns-serve-'));
  const file = join(dir, 'cluster.yaml');
  const manifest = (ip: string) =>
    `apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: default}\nspec: {clusterIP: ${ip}, ports: [{port: 80}]}\n` +
    // Not allocated: said on every load.
    '---\napiVersion: v1\nkind: Service\nmetadata: {name: api}\nspec: {ports: [{port: 80}]}\n';
  writeFileSync(file, manifest('10.96.0.20'));
  const child: ChildProcess = spawn(
    process.execPath,
    [...netlabArgv, 'dns', 'serve', '-f', file, '--listen', '127.0.0.1:0'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (b: Buffer) => {
    stdout += b.toString();
  });
  child.stderr!.on('data', (b: Buffer) => {
    stderr += b.toString();
  });
  const exited = new Promise<number | null>((r) => child.once('exit', r));
  t.teardown(() => {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });
  // Polls what the child printed (bounded: 30 s).
  const printed = async (re: RegExp, of: () => string): Promise<RegExpExecArray> => {
    for (let i = 0; i < 300; i++) {
      const m = re.exec(of());
      if (m) return m;
      if (child.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`no ${re} in stdout ${JSON.stringify(stdout)} stderr ${JSON.stringify(stderr)}`);
  };
  const port = Number((await printed(/^listening on 127\.0\.0\.1:(\d+)\n$/, () => stdout))[1]);
  const short = async () =>
    (await netlabInProcess(['dig', 'web.default.svc.cluster.local', `@127.0.0.1:${port}`, '+short'])).stdout;
  t.equal(await short(), '10.96.0.20\n', 'served');
  t.equal(await short(), '10.96.0.20\n', 'again, from the cache');
  writeFileSync(file, manifest('10.96.0.99'));
  child.kill('SIGHUP');
  await printed(/^reloaded /m, () => stderr);
  t.equal(await short(), '10.96.0.99\n', 'after SIGHUP: the new zone, not the cached answer');
  child.kill('SIGTERM');
  t.equal(await exited, 0, 'SIGTERM: exit 0');
  t.equal(stdout, `listening on 127.0.0.1:${port}\n`, 'stdout: the one line');
  const unallocated =
    'warning: Service default/api has no spec.clusterIP: it gets no A/AAAA record (give it the allocated IP, or None)\n';
  t.equal(
    stderr,
    `${unallocated}${unallocated}reloaded ${file}\n` +
      'queries 3 (udp 3, tcp 0), cache hit ratio 33.3%, truncated 0, forwarded 0, dropped 0\n' +
      'by rcode: NOERROR 3\nby type: A 3\n',
    'stderr: the warning on each load, the reload, then the counters',
  );
});
