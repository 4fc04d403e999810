import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { Cluster, ClusterBootError } from '../../lab/cluster.js';
import { interopTest, missingCommand, missingExecutable, netlab, netlabArgv } from '../index.js';

// Each case boots a whole lab in a child process (kubelets, probes, data plane): minutes, not
// seconds, on a loaded 2-core machine.
t.setTimeout(600_000);

const snapshot = new URL('../../examples/snapshot.yaml', import.meta.url).pathname;

t.test(
  'Cluster.boot without kubelets: the store feeds the EndpointSlice controller, kube-proxy and DNS',
  async (t) => {
    const cluster = await Cluster.boot({ manifests: [snapshot], dnsListen: { host: '127.0.0.1', port: 0 } });
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
  },
);

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
  const dir = mkdtempSync(join(tmpdir(), 'netlab-up-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const { config, nodes } = isolatedConfig(dir);
  const { stdout, stderr, code } = await netlab(['up', '--once', '-f', config]);
  t.equal(code, 0, 'exit 0');
  t.match(stderr, /^booting netlab: 3 nodes, 10 objects \(the default workload\)$/m);
  const lines = stdout.split('\n');
  t.equal(lines[0], 'netlab ready', 'the first line is what scripts wait for');
  t.match(lines[1], /^dns: 127\.\d+\.\d+\.\d+:\d+$/);
  t.equal(
    lines[2],
    `nodeports: node-1 ${nodes}.1, node-2 ${nodes}.2, node-3 ${nodes}.3; ports 30080/TCP`,
    'each node on its loopback address, then the NodePorts',
  );
  t.equal(lines[3], 'loadbalancers: <none>');
  t.match(lines[4], /^proxy: http:\/\/127\.\d+\.\d+\.\d+:\d+$/);
  t.match(stdout, /^ {2}dig @127\.\d+\.\d+\.\d+ -p \d+ web\.default\.svc\.cluster\.local \+short$/m);
});

/** A random 127.x.y.z, so tests running at the same time never share an address. */
function randomLoopback(): string {
  const b = () => 1 + Math.floor(Math.random() * 250);
  return `127.${b()}.${b()}.${b()}`;
}

/**
 * cluster.yaml on addresses of this test's own (a random loopback address, port 0 for every
 * listener, the nodes on a random 127.x.y block), host-local's files under the state directory.
 */
function isolatedConfig(dir: string, extra = ''): { config: string; address: string; nodes: string } {
  const address = randomLoopback();
  const nodes = randomLoopback().split('.').slice(0, 3).join('.');
  const config = join(dir, 'cluster.yaml');
  writeFileSync(
    config,
    `apiVersion: netlab.dev/v1alpha1\nkind: Cluster\nloopback: {address: ${address}, nodes: ${nodes}.1}\n` +
      `ports: {dns: 0, api: 0, proxy: 0}\n${extra}`,
  );
  return { config, address, nodes };
}

interface Running {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  ready: Promise<string>;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function startUp(args: string[]): Running {
  const child = spawn(process.execPath, [...netlabArgv, 'up', ...args], {
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

/** Runs a `try:` line of the ready block as pasted into a shell; `npx netlab` runs this checkout's source. */
function paste(line: string, opts: { timeoutMs?: number } = {}): Promise<{ stdout: string; code: number }> {
  const command = line.replace(/^npx netlab /, `${process.execPath} ${netlabArgv.join(' ')} `);
  return new Promise((resolve) => {
    execFile('/bin/sh', ['-c', command], { timeout: opts.timeoutMs ?? 20_000 }, (err, stdout) =>
      resolve({ stdout, code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1 }),
    );
  });
}

/** host-local's address files (one per pod IP) under a state directory, as `node/networks/pods/IP`. */
function hostLocalIPs(stateDir: string): string[] {
  const out: string[] = [];
  for (const node of readdirSync(stateDir)) {
    const dir = join(stateDir, node, 'networks', 'pods');
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const f of names) if (/^[0-9.]+$/.test(f)) out.push(`${node}/networks/pods/${f}`);
  }
  return out.sort();
}

const curlAndDig = missingExecutable('/usr/bin/curl', 'curl') || missingCommand('dig', 'bind9-dnsutils');

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  interopTest(
    t,
    `netlab up: curl, dig and trace as the ready block says; ${signal} stops it cleanly`,
    curlAndDig,
    async (t) => {
      const dir = mkdtempSync(join(tmpdir(), 'netlab-up-'));
      t.teardown(() => rmSync(dir, { recursive: true, force: true }));
      const stateDir = join(dir, 'state');
      const { config, address, nodes } = isolatedConfig(dir, `stateDir: ${stateDir}\n`);
      const kubeconfig = join(dir, 'kubeconfig');
      const up = startUp(['-f', config, '--kubeconfig', kubeconfig]);
      t.teardown(() => {
        up.child.kill('SIGKILL');
      });
      const block = await up.ready;
      const [head, tries] = block.split('\ntry:\n') as [string, string];
      const a = address.replace(/\./g, '\\.');
      const n = nodes.replace(/\./g, '\\.');
      const expected: [string, RegExp][] = [
        ['netlab ready', /^netlab ready$/],
        ['dns', new RegExp(`^dns: ${a}:\\d+$`)],
        [
          'nodeports',
          new RegExp(`^nodeports: node-1 ${n}\\.1, node-2 ${n}\\.2, node-3 ${n}\\.3; ports 30080/TCP$`),
        ],
        ['loadbalancers', /^loadbalancers: <none>$/],
        ['proxy', new RegExp(`^proxy: http://${a}:\\d+$`)],
        ['api', new RegExp(`^api: https?://${a}:\\d+$`)],
        ['kubeconfig', new RegExp(`^kubeconfig: ${kubeconfig}$`)],
      ];
      const lines = head.split('\n');
      t.equal(lines.length, expected.length, 'one line per name');
      for (const [i, [name, re]] of expected.entries()) t.match(lines[i], re, name);
      const served = new Map(
        lines.slice(1).map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(': ') + 2)]),
      );
      t.match(
        readFileSync(kubeconfig, 'utf8'),
        `server: ${served.get('api')}`,
        'the kubeconfig names the API',
      );

      const [curlLine, digLine, traceLine] = tries
        .trimEnd()
        .split('\n')
        .map((l) => l.trim()) as [string, string, string];
      t.equal(curlLine, `curl -s http://${nodes}.1:30080/hostname`);
      const podName = /^web-[a-z0-9]+-[a-z0-9]{5}$/;
      t.match((await paste(curlLine)).stdout, podName, 'curl through the NodePort: agnhost names its pod');
      const viaProxy = await paste(`curl -s -x ${served.get('proxy')} http://web.default/hostname`);
      t.match(viaProxy.stdout, podName, 'curl -x through the forward proxy, by Service name');

      t.match(digLine, /^dig @\S+ -p \d+ web\.default\.svc\.cluster\.local \+short$/);
      t.match(
        (await paste(digLine)).stdout.trim(),
        /^10\.(9[6-9]|10\d|11[01])\.\d+\.\d+$/,
        'dig: the web ClusterIP',
      );

      t.equal(traceLine, `npx netlab trace --live --proxy ${served.get('proxy')!.replace('http://', '')}`);
      const live = spawn(
        '/bin/sh',
        ['-c', traceLine.replace(/^npx netlab /, `exec ${process.execPath} ${netlabArgv.join(' ')} `)],
        {
          stdio: ['ignore', 'pipe', 'inherit'],
        },
      );
      t.teardown(() => live.kill('SIGKILL'));
      let traced = '';
      const seen = new Promise<void>((resolve) =>
        live.stdout.on('data', (d: Buffer) => {
          traced += d.toString();
          if (traced.includes('\n')) resolve();
        }),
      );
      // The stream starts when trace --live has connected: curl until its first line shows.
      // Bounded: if trace --live exits or never connects, the test fails instead of looping on.
      let stop = false;
      void seen.then(() => {
        stop = true;
      });
      live.on('exit', () => {
        stop = true;
      });
      for (let tries = 0; !stop && tries < 300; tries++) {
        await paste(curlLine);
        await Promise.race([seen, new Promise((r) => setTimeout(r, 200))]);
      }
      t.match(traced, /^\S+ node-1 nodeport TCP 203\.0\.113\.10:\d+ -> \S+:30080 DNAT 10\.244\./m);
      live.kill('SIGINT');

      const before = hostLocalIPs(stateDir);
      t.ok(before.length >= 6, `host-local holds the pods' addresses (${before.length})`);
      up.child.kill(signal);
      const { code } = await up.exit;
      t.equal(code, 0, 'exit 0');
      t.match(up.stdout(), /\nnetlab stopped\n$/);
      t.same(hostLocalIPs(stateDir), [], 'every pod went through CNI DEL: host-local released its address');
    },
  );
}

interopTest(
  t,
  'netlab up -f app.yaml: a plain Deployment and NodePort Service from kubectl create run on the default nodes',
  curlAndDig,
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'netlab-up-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const { config, nodes } = isolatedConfig(dir);
    const app = new URL('./fixtures/kubectl-create-web-nodeport.yaml', import.meta.url).pathname;
    const up = startUp(['-f', config, '-f', app, '--kubeconfig', join(dir, 'kubeconfig')]);
    t.teardown(() => {
      up.child.kill('SIGKILL');
    });
    const block = await up.ready;
    t.match(up.stderr(), /^booting netlab: 3 nodes, 7 objects$/m, "the config's nodes, the add-ons, the app");
    t.match(block, `\nnodeports: node-1 ${nodes}.1, node-2 ${nodes}.2, node-3 ${nodes}.3; ports 30080/TCP\n`);
    const curlLine = /^ {2}(curl .*)$/m.exec(block)?.[1] ?? '';
    t.equal(curlLine, `curl -s http://${nodes}.1:30080/`);
    // agnhost netexec's / answers with the time, as Go formats it.
    t.match((await paste(curlLine)).stdout, /^NOW: \d{4}-\d\d-\d\d /, 'the pod answers through the NodePort');
    up.child.kill('SIGTERM');
    t.equal((await up.exit).code, 0, 'exit 0');
  },
);

t.test('netlab up: a port already taken is one line naming it and the flag', async (t) => {
  // Each case takes one address first; `{port}` is the port taken, `{nodes}` the nodes' 127.x.y block.
  const cases: {
    name: string;
    flag: (at: string) => string[];
    taken: (c: { address: string; nodes: string }) => [string, number];
    error: string;
  }[] = [
    {
      name: 'cluster DNS',
      taken: ({ address }) => [address, 0],
      flag: (at) => ['--once', '--dns-listen', at],
      error:
        'error: {at} is already in use (cluster DNS): choose another with --dns-listen or ports.dns in cluster.yaml',
    },
    {
      name: 'forward proxy',
      taken: ({ address }) => [address, 0],
      flag: (at) => ['--once', '--proxy-listen', at],
      error:
        'error: {at} is already in use (forward proxy): choose another with --proxy-listen or ports.proxy in cluster.yaml',
    },
    {
      name: 'kube-API',
      taken: ({ address }) => [address, 0],
      flag: (at) => ['--api-listen', at],
      error:
        'error: {at} is already in use (kube-API): choose another with --api-listen or ports.api in cluster.yaml',
    },
    {
      name: 'a NodePort on the second node',
      taken: ({ nodes }) => [`${nodes}.2`, 30080],
      flag: () => ['--once'],
      error:
        'error: {at} is already in use (NodePort 30080/TCP of node-2): choose another with --node-loopback or loopback.nodes in cluster.yaml',
    },
  ];
  for (const c of cases) {
    const dir = mkdtempSync(join(tmpdir(), 'netlab-up-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const cfg = isolatedConfig(dir);
    const [host, want] = c.taken(cfg);
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(want, host, r));
    t.teardown(() => taken.close());
    const at = `${host}:${(taken.address() as AddressInfo).port}`;
    const { stderr, code } = await netlab([
      'up',
      '-f',
      cfg.config,
      '--kubeconfig',
      join(dir, 'kubeconfig'),
      ...c.flag(at),
    ]);
    t.equal(code, 1, `${c.name}: exit 1`);
    t.equal(
      stderr
        .split('\n')
        .filter((l) => l.startsWith('error'))
        .join('\n'),
      c.error.replace('{at}', at),
      c.name,
    );
  }
});
