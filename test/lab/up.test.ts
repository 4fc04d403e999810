import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { Cluster, ClusterBootError } from '../../lab/cluster.js';
import { netlab } from '../index.js';

const demo = new URL('../../examples/demo.yaml', import.meta.url).pathname;
const cli = new URL('../../lab/cli.ts', import.meta.url).pathname;

t.test('Cluster.boot: the store feeds the EndpointSlice controller, kube-proxy and DNS', async (t) => {
  const cluster = await Cluster.boot({ manifests: [demo], dnsListen: { host: '127.0.0.1', port: 0 } });
  t.teardown(() => cluster.stop());
  await cluster.settled();
  const slices = cluster.store
    .list('EndpointSlice')
    .items.map(
      (s) =>
        `${s.metadata.labels?.['kubernetes.io/service-name']}: ${(s.endpoints ?? []).map((e) => e.addresses.join()).join(' ')}`,
    )
    .sort();
  t.same(slices, ['db: 10.244.1.9', 'web: 10.244.0.5 10.244.1.7']);
  t.same([...cluster.proxiers.keys()].sort(), ['node-a', 'node-b']);
  const payload = cluster.proxiers.get('node-a')!.fullPayload();
  const expected = [
    '-A KUBE-SERVICES -m comment --comment "default/web:http cluster IP" -m tcp -p tcp -d 10.96.10.80 --dport 80 -j KUBE-SVC-CDGGSHYLG3RE2FKL',
    '-A KUBE-NODEPORTS -m comment --comment default/web:http -m tcp -p tcp --dport 30080 -j KUBE-EXT-CDGGSHYLG3RE2FKL',
    '-A KUBE-SEP-A4JCWMD6AMIS43DD -m comment --comment default/web:http -m tcp -p tcp -j DNAT --to-destination 10.244.1.7:8080',
  ];
  for (const line of expected) t.ok(payload.split('\n').includes(line), line);

  // A Pod going away is seen by the controller, then by kube-proxy, through the store alone.
  cluster.store.delete('Pod', 'web-7d4b9-fghij', { namespace: 'default', gracePeriodSeconds: 0 });
  await cluster.settled();
  const after = cluster.proxiers.get('node-a')!.fullPayload().split('\n');
  t.notOk(
    after.some((l) => l.includes('10.244.1.7')),
    'the deleted Pod is no endpoint any more',
  );
  t.ok(
    after.includes(
      '-A KUBE-SEP-7U6MWNJWR3SADOJA -m comment --comment default/web:http -m tcp -p tcp -j DNAT --to-destination 10.244.0.5:8080',
    ),
  );
});

t.test(
  'Cluster.boot: an invalid manifest applies nothing and names file, line, object and field',
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'netlab-up-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'bad.yaml');
    writeFileSync(
      file,
      'apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  ports:\n  - port: 70000\n',
    );
    const err = await Cluster.boot({ manifests: [file], dnsListen: { host: '127.0.0.1', port: 0 } }).catch(
      (e) => e,
    );
    t.type(err, ClusterBootError);
    t.equal(
      (err as Error).message,
      `${file}:6: Service default/web: spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive\n` +
        // kube-apiserver defaults targetPort to port before it validates, so it reports both.
        `${file}:6: Service default/web: spec.ports[0].targetPort: Invalid value: 70000: must be between 1 and 65535, inclusive`,
    );
  },
);

t.test(
  'Cluster.boot: Nodes without podCIDRs get the next /24 of the cluster CIDR, as the range allocator',
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'netlab-up-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'nodes.yaml');
    writeFileSync(
      file,
      [
        'apiVersion: v1\nkind: Node\nmetadata: {name: n1}',
        'apiVersion: v1\nkind: Node\nmetadata: {name: n2}\nspec: {podCIDR: 10.244.0.0/24, podCIDRs: [10.244.0.0/24]}',
        'apiVersion: v1\nkind: Node\nmetadata: {name: n3}',
      ].join('\n---\n'),
    );
    const cluster = await Cluster.boot({ manifests: [file], dnsListen: { host: '127.0.0.1', port: 0 } });
    t.teardown(() => cluster.stop());
    await cluster.settled();
    const got = cluster.store
      .list('Node')
      .items.map((n) => `${n.metadata.name} ${n.spec?.podCIDR} ${(n.spec?.podCIDRs ?? []).join(',')}`)
      .sort();
    t.same(got, [
      'n1 10.244.1.0/24 10.244.1.0/24',
      'n2 10.244.0.0/24 10.244.0.0/24',
      'n3 10.244.2.0/24 10.244.2.0/24',
    ]);
    cluster.store.create({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'n4' } });
    await cluster.settled();
    t.equal(cluster.store.get('Node', 'n4', '').spec?.podCIDR, '10.244.3.0/24', 'a Node that joins later');
  },
);

t.test('netlab up --once: the default cluster, then the netlab ready block', async (t) => {
  const { stdout, stderr, code } = await netlab(['up', '--once', '--dns-listen', '127.0.0.1:0']);
  t.equal(code, 0, 'exit 0');
  t.match(stderr, /^booting netlab: 3 nodes, 10 objects \(the default workload\)$/m);
  const lines = stdout.split('\n');
  t.equal(lines[0], 'netlab ready', 'the first line is what scripts wait for');
  t.match(lines[1], /^dns: 127\.0\.0\.1:\d+$/);
  t.match(stdout, /^ {2}dig @127\.0\.0\.1 -p \d+ web\.default\.svc\.cluster\.local \+short$/m);
});

/** A random 127.x.y.z, so tests running at the same time never share an address. */
function randomLoopback(): string {
  const b = () => 1 + Math.floor(Math.random() * 250);
  return `127.${b()}.${b()}.${b()}`;
}

interface Running {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  ready: Promise<string>;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function startUp(args: string[]): Running {
  const child = spawn(process.execPath, ['--import=tsx', cli, 'up', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  const ready = new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const end = out.indexOf('\ntry:');
      if (out.startsWith('netlab ready\n') && end > 0) resolve(out);
    });
    void exit.then(() => reject(new Error(`netlab up exited before it was ready:\n${err}`)));
  });
  return { child, stdout: () => out, stderr: () => err, ready, exit };
}

function dig(args: string[]): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile('dig', args, (e, stdout) => (e ? reject(e) : resolve(stdout))),
  );
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  t.test(`netlab up serves until ${signal}, answers dig, then stops cleanly`, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'netlab-up-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const address = randomLoopback();
    const cfg = join(dir, 'cluster.yaml');
    writeFileSync(
      cfg,
      `apiVersion: netlab.dev/v1alpha1\nkind: Cluster\nloopback: {address: ${address}}\nports: {dns: 0, api: 0, proxy: 0}\n`,
    );
    const kubeconfig = join(dir, 'kubeconfig');
    const up = startUp(['-f', cfg, '--kubeconfig', kubeconfig]);
    t.teardown(() => {
      up.child.kill('SIGKILL');
    });
    const block = await up.ready;
    const dns = /^dns: (\S+):(\d+)$/m.exec(block);
    t.ok(dns, 'dns line');
    t.equal(dns![1], address, 'on the configured loopback address');
    const api = /^api: (\S+)$/m.exec(block)?.[1];
    t.match(
      api,
      new RegExp(`^https?://${address.replace(/\./g, '\\.')}:\\d+$`),
      'api on the loopback address',
    );
    t.match(block, new RegExp(`^kubeconfig: ${kubeconfig}$`, 'm'));
    t.match(readFileSync(kubeconfig, 'utf8'), `server: ${api}`, 'the kubeconfig names the API');
    const answer = await dig([`@${dns![1]}`, '-p', dns![2]!, 'web.default.svc.cluster.local', '+short']);
    t.match(answer.trim(), /^10\.(9[6-9]|10\d|11[01])\.\d+\.\d+$/, 'the web Service ClusterIP');
    up.child.kill(signal);
    const { code } = await up.exit;
    t.equal(code, 0, 'exit 0');
    t.match(up.stdout(), /\nnetlab stopped\n$/);
  });
}

t.test('netlab up: a port already taken is one line naming it and the flag', async (t) => {
  const address = randomLoopback();
  const taken = createServer();
  await new Promise<void>((r) => taken.listen(0, address, r));
  t.teardown(() => taken.close());
  const port = (taken.address() as AddressInfo).port;
  const { stderr, code } = await netlab(['up', '--once', '--dns-listen', `${address}:${port}`]);
  t.equal(code, 1);
  t.equal(
    stderr
      .split('\n')
      .filter((l) => l.startsWith('error'))
      .join('\n'),
    `error: ${address}:${port} is already in use (cluster DNS): choose another with --dns-listen or ports.dns in cluster.yaml`,
  );
});
