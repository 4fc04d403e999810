import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { netlabInProcess } from '../index.js';
import { builtCli, ensureBuilt } from './built.js';

const run = promisify(execFile);
ensureBuilt();
const bin = new URL('../../cni/bin', import.meta.url).pathname;
// flat's ADD result for web-1 on node-a as test/cni/flat.test.ts has it; here the config adds dns.
const web1Result = readFileSync(new URL('./fixtures/web-1.add.json', import.meta.url), 'utf8');

type Ran = { code: number; stdout: string; stderr: string };

/** A `netlab` process from dist/ with plain node: what the process itself prints and exits with. */
async function netlabProcess(args: string[]): Promise<Ran> {
  try {
    const { stdout, stderr } = await run(process.execPath, [builtCli, ...args], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', CNI_PATH: bin },
    });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

/** The same command line in this process (its output captured): a process start saved per case. */
async function netlab(args: string[]): Promise<Ran> {
  const saved = process.env.CNI_PATH;
  process.env.CNI_PATH = bin;
  try {
    return await netlabInProcess(args);
  } finally {
    if (saved === undefined) delete process.env.CNI_PATH;
    else process.env.CNI_PATH = saved;
  }
}

// `netlab cni` as cnitool: ADD prints the result (4-space JSON, no trailing newline), the others print
// nothing on success; failures go to stderr with exit status 1. flat + loopback with our host-local,
// each run in-process from the binaries on CNI_PATH.
t.test('netlab cni add|check|del|gc|status', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'netlab-cni-cli-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const conflist = join(dir, 'pods.conflist');
  writeFileSync(
    conflist,
    JSON.stringify({
      cniVersion: '1.1.0',
      name: 'pods',
      plugins: [
        {
          type: 'flat',
          node: 'node-a',
          nodeIPs: ['192.168.49.2'],
          dataDir: join(dir, 'fabric'),
          ipam: {
            type: 'host-local',
            dataDir: join(dir, 'ipam'),
            ranges: [[{ subnet: '10.244.0.0/24' }]],
            routes: [{ dst: '0.0.0.0/0' }],
          },
          dns: { nameservers: ['10.96.0.10'], search: ['default.svc.cluster.local'] },
        },
        // No dataDir, as in examples/pods.conflist: loopback finds the fabric flat used.
        { type: 'loopback' },
      ],
    }),
  );
  const common = ['--conflist', conflist, '--cache-dir', join(dir, 'cache')];
  const cases: { args: string[]; code: number; stdout: string; stderr: string | RegExp }[] = [
    {
      args: ['cni', 'add', ...common, '--container-id', 'web-1'],
      code: 0,
      stdout: web1Result.replace(
        '"dns": {}',
        `"dns": {
        "nameservers": [
            "10.96.0.10"
        ],
        "search": [
            "default.svc.cluster.local"
        ]
    }`,
      ),
      stderr: '',
    },
    { args: ['cni', 'check', ...common, '--container-id', 'web-1'], code: 0, stdout: '', stderr: '' },
    {
      args: ['cni', 'ip', 'addr', '--data-dir', join(dir, 'fabric'), '--node', 'node-a'],
      code: 0,
      stdout: [
        'lo               UNKNOWN        127.0.0.1/8 ::1/128 ',
        'eth0             UP             192.168.49.2/24 fe80::3c51:5aff:fec7:3e27/64 ',
        'cni0             UP             10.244.0.1/24 fe80::28ad:48ff:fe0b:3072/64 ',
        'veth33e7b5a6@if2 UP             fe80::7059:66ff:fe7f:1777/64 ',
        '',
      ].join('\n'),
      stderr: '',
    },
    {
      args: ['cni', 'ip', 'addr', '--data-dir', join(dir, 'fabric'), '--netns', '/run/netns/web-1'],
      code: 0,
      stdout: [
        'lo               UNKNOWN        127.0.0.1/8 ::1/128 ',
        'eth0@if4         UP             10.244.0.2/24 fe80::e87e:c3ff:fe71:a950/64 ',
        '',
      ].join('\n'),
      stderr: '',
    },
    {
      args: ['cni', 'ip', 'route', '--data-dir', join(dir, 'fabric'), '--netns', '/run/netns/web-1'],
      code: 0,
      stdout:
        'default via 10.244.0.1 dev eth0 \n10.244.0.0/24 dev eth0 proto kernel scope link src 10.244.0.2 \n',
      stderr: '',
    },
    {
      args: [
        'cni',
        'ip',
        'route',
        'get',
        '10.244.0.2',
        '--data-dir',
        join(dir, 'fabric'),
        '--node',
        'node-a',
      ],
      code: 0,
      stdout: '10.244.0.2 dev cni0 src 10.244.0.1 uid 0 \n    cache \n',
      stderr: '',
    },
    {
      args: ['cni', 'ip', 'route', 'get', '8.8.8.8', '--data-dir', join(dir, 'fabric'), '--node', 'node-a'],
      code: 2,
      stdout: '',
      stderr: 'RTNETLINK answers: Network is unreachable\n',
    },
    {
      args: ['cni', 'add', ...common, '--container-id', 'web-1'],
      code: 1,
      stdout: '',
      stderr: 'plugin type="flat" failed (add): container veth name provided (eth0) already exists\n',
    },
    {
      args: ['cni', 'check', ...common, '--container-id', 'web-2'],
      code: 1,
      stdout: '',
      stderr: 'Required prevResult missing\n',
    },
    { args: ['cni', 'status', ...common], code: 0, stdout: '', stderr: '' },
    { args: ['cni', 'gc', ...common, '--valid-attachment', 'web-1/eth0'], code: 0, stdout: '', stderr: '' },
    { args: ['cni', 'del', ...common, '--container-id', 'web-1'], code: 0, stdout: '', stderr: '' },
    { args: ['cni', 'del', ...common, '--container-id', 'web-1'], code: 0, stdout: '', stderr: '' },
    {
      args: ['cni', 'add', ...common],
      code: 1,
      stdout: '',
      stderr: 'netlab cni add: --container-id is required\n',
    },
    {
      args: ['cni', 'add', '--conflist', join(dir, 'missing.conflist'), '--container-id', 'x'],
      code: 1,
      stdout: '',
      stderr: `error reading ${dir}/missing.conflist: open ${dir}/missing.conflist: no such file or directory\n`,
    },
  ];
  // In order, in this process: add (and the usage errors), what only reads the result, the cache and
  // the fabric, then gc, del, del again. The first and the last case also run as processes of their
  // own, so exit statuses and streams are the process's.
  const order = [0, 13, 14, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
  t.same(
    [...order].sort((a, b) => a - b),
    cases.map((_, i) => i),
    'every case once',
  );
  for (const i of order) {
    const c = cases[i]!;
    t.same(
      await netlab(c.args),
      { code: c.code, stdout: c.stdout, stderr: c.stderr },
      `${c.args.slice(0, 2).join(' ')} #${i}`,
    );
  }
  for (const i of [14, 12]) {
    const c = cases[i]!;
    t.same(
      await netlabProcess(c.args),
      { code: c.code, stdout: c.stdout, stderr: c.stderr },
      `${c.args.slice(0, 2).join(' ')} #${i} as a process`,
    );
  }
  t.same(readdirSync(join(dir, 'ipam', 'pods')).sort(), ['last_reserved_ip.0', 'lock'], 'address released');
  t.same(readdirSync(join(dir, 'cache', 'results')), [], 'cache emptied');
  t.same(
    JSON.parse(readFileSync(join(dir, 'fabric', 'fabric.json'), 'utf8')).attachments,
    [],
    'fabric emptied',
  );
});
