// The skel contract per command and version, in-process (no processes): required env variables,
// validation order, version gating, result conversion down to 0.1.0, and output bytes. A plugin
// that declares only libcni 1.1.2's versions gets exactly Debian's skel; that is checked live
// against the real host-local where it is installed.
import { spawnSync } from 'node:child_process';
import t from 'tap';
import { formatResult } from '../../cni/index.js';
import { CniError } from '../../cni/skel/errors.js';
import { goJSONValueOf, notPlain, unmarshal } from '../../cni/skel/gojson.js';
import { type CmdArgs, envTable, type Plugin, runPlugin, runPluginInProcess } from '../../cni/skel/skel.js';
import type { Result } from '../../cni/skel/types.js';
import { libcni112Versions, supportedVersions } from '../../cni/skel/version.js';
import { type GoEncodable, marshalGo, parseGoJSON } from '../../std/index.js';
import { interopTest, missingExecutable } from '../index.js';

const rich: Omit<Result, 'cniVersion'> = {
  interfaces: [
    { name: 'cni0', mac: '00:11:22:33:44:55', mtu: 1500 },
    { name: 'eth0', mac: '99:88:77:66:55:44', sandbox: '/var/run/netns/blue', pciID: '0000:00:01.0' },
  ],
  ips: [
    { interface: 1, address: '10.1.0.5/16', gateway: '10.1.0.1' },
    { interface: 1, address: '2001:db8::5/64', gateway: '2001:db8::1' },
    { interface: 1, address: '10.2.0.5/16' },
  ],
  routes: [
    { dst: '0.0.0.0/0', mtu: 1400 },
    { dst: '::/0', gw: '2001:db8::1' },
    { dst: '192.168.0.0/16', gw: '10.1.0.254' },
  ],
  dns: { nameservers: ['10.1.0.1'], search: ['a<b'] },
};

/** A plugin that records what it was given and answers with `rich` in the config's version. */
function recorder(versions: readonly string[]) {
  const calls: Array<{ cmd: string; args: CmdArgs }> = [];
  const version = (a: CmdArgs) =>
    (JSON.parse(Buffer.from(a.stdinData).toString()) as { cniVersion?: string }).cniVersion ?? '';
  const plugin: Plugin = {
    about: 'CNI test plugin version unknown',
    supportedVersions: versions,
    async add(a) {
      calls.push({ cmd: 'add', args: a });
      a.stderr('log line\n');
      return { cniVersion: version(a), ...rich };
    },
    async del(a) {
      calls.push({ cmd: 'del', args: a });
    },
    async check(a) {
      calls.push({ cmd: 'check', args: a });
      if (a.containerID === 'typed') throw new CniError(11, 'try again', 'busy & <later>');
      if (a.containerID === 'plain') throw new Error('plain failure');
    },
    async gc(a) {
      calls.push({ cmd: 'gc', args: a });
    },
  };
  return { plugin, calls };
}

const full = { CNI_CONTAINERID: 'c1', CNI_NETNS: '/x', CNI_IFNAME: 'eth0', CNI_PATH: '/opt/cni/bin' };
const conf = (v?: string) =>
  Buffer.from(JSON.stringify({ ...(v === undefined ? {} : { cniVersion: v }), name: 'net1' }));
const errOut = (code: number, msg: string, details?: string) =>
  `{\n    "code": ${code},\n    "msg": ${JSON.stringify(msg)}${details === undefined ? '' : `,\n    "details": ${JSON.stringify(details)}`}\n}`;

t.test('env table: which variables each command requires', async (t) => {
  t.same(
    envTable.map((v) => `${v.name}: ${v.requiredFor.join(' ')}`),
    [
      'CNI_COMMAND: ADD DEL CHECK GC STATUS VERSION',
      'CNI_CONTAINERID: ADD DEL CHECK',
      'CNI_NETNS: ADD CHECK',
      'CNI_IFNAME: ADD DEL CHECK',
      'CNI_ARGS: ',
      'CNI_PATH: ADD DEL CHECK GC STATUS',
    ],
  );
  const { plugin } = recorder(supportedVersions);
  const rows: Array<[string, string]> = [
    ['ADD', errOut(4, 'required env variables [CNI_CONTAINERID,CNI_NETNS,CNI_IFNAME,CNI_PATH] missing')],
    ['DEL', errOut(4, 'required env variables [CNI_CONTAINERID,CNI_IFNAME,CNI_PATH] missing')],
    ['CHECK', errOut(4, 'required env variables [CNI_CONTAINERID,CNI_NETNS,CNI_IFNAME,CNI_PATH] missing')],
    ['GC', errOut(4, 'required env variables [CNI_PATH] missing')],
    ['STATUS', errOut(4, 'required env variables [CNI_PATH] missing')],
    [
      'VERSION',
      '{"cniVersion":"1.1.0","supportedVersions":["0.1.0","0.2.0","0.3.0","0.3.1","0.4.0","1.0.0","1.1.0"]}\n',
    ],
  ];
  for (const [cmd, want] of rows) {
    const out = await runPlugin(plugin, {
      env: { CNI_COMMAND: cmd },
      stdin: () => {
        throw new Error('stdin must not be read before the env check');
      },
    });
    t.equal(out.stdout, want, `${cmd} with only CNI_COMMAND`);
    t.equal(out.exitCode, cmd === 'VERSION' ? 0 : 1, `${cmd} exit code`);
  }
});

t.test('version gating per command and config version', async (t) => {
  const { plugin } = recorder(supportedVersions);
  const accepted = '';
  const rows: Array<{ cmd: string; v: string | undefined; want: string; env?: Record<string, string> }> = [
    { cmd: 'DEL', v: undefined, want: accepted },
    { cmd: 'DEL', v: '0.1.0', want: accepted },
    { cmd: 'DEL', v: '1.1.0', want: accepted },
    {
      cmd: 'DEL',
      v: '1.2.0',
      want: errOut(
        1,
        'incompatible CNI versions',
        `config is "1.2.0", plugin supports ["0.1.0" "0.2.0" "0.3.0" "0.3.1" "0.4.0" "1.0.0" "1.1.0"]`,
      ),
    },
    { cmd: 'CHECK', v: '0.3.1', want: errOut(1, 'config version does not allow CHECK') },
    { cmd: 'CHECK', v: '0.4.0', want: accepted },
    { cmd: 'CHECK', v: '1.1.0', want: accepted },
    { cmd: 'CHECK', v: '2.0.0', want: errOut(1, 'plugin version does not allow CHECK') },
    {
      cmd: 'CHECK',
      v: 'x.1',
      want: errOut(6, 'failed to convert major version part "x": strconv.Atoi: parsing "x": invalid syntax'),
    },
    { cmd: 'CHECK', v: '1.0.0.0', want: errOut(6, 'invalid version "1.0.0.0": too many parts') },
    { cmd: 'GC', v: '1.0.0', want: errOut(1, 'config version does not allow GC'), env: { CNI_PATH: '/p' } },
    { cmd: 'GC', v: '1.1.0', want: accepted, env: { CNI_PATH: '/p' } },
    { cmd: 'STATUS', v: '1.1.0', want: accepted, env: { CNI_PATH: '/p' } },
    {
      cmd: 'STATUS',
      v: '0.4.0',
      want: errOut(1, 'config version does not allow STATUS'),
      env: { CNI_PATH: '/p' },
    },
  ];
  for (const r of rows) {
    const out = await runPlugin(plugin, {
      env: { ...(r.env ?? full), CNI_COMMAND: r.cmd },
      stdin: conf(r.v),
    });
    t.equal(out.stdout, r.want, `${r.cmd} cniVersion ${r.v ?? '(none)'}`);
    t.equal(out.exitCode, r.want === accepted ? 0 : 1);
  }
});

t.test('result conversion to every version', async (t) => {
  const rows: Array<[string, string]> = [
    [
      '1.1.0',
      '{\n    "cniVersion": "1.1.0",\n    "interfaces": [\n        {\n            "name": "cni0",\n            "mac": "00:11:22:33:44:55",\n            "mtu": 1500\n        },\n        {\n            "name": "eth0",\n            "mac": "99:88:77:66:55:44",\n            "sandbox": "/var/run/netns/blue",\n            "pciID": "0000:00:01.0"\n        }\n    ],\n    "ips": [\n        {\n            "interface": 1,\n            "address": "10.1.0.5/16",\n            "gateway": "10.1.0.1"\n        },\n        {\n            "interface": 1,\n            "address": "2001:db8::5/64",\n            "gateway": "2001:db8::1"\n        },\n        {\n            "interface": 1,\n            "address": "10.2.0.5/16"\n        }\n    ],\n    "routes": [\n        {\n            "dst": "0.0.0.0/0",\n            "mtu": 1400\n        },\n        {\n            "dst": "::/0",\n            "gw": "2001:db8::1"\n        },\n        {\n            "dst": "192.168.0.0/16",\n            "gw": "10.1.0.254"\n        }\n    ],\n    "dns": {\n        "nameservers": [\n            "10.1.0.1"\n        ],\n        "search": [\n            "a\\u003cb"\n        ]\n    }\n}',
    ],
    [
      '1.0.0',
      '{"cniVersion":"1.0.0","interfaces":[{"name":"cni0","mac":"00:11:22:33:44:55"},{"name":"eth0","mac":"99:88:77:66:55:44","sandbox":"/var/run/netns/blue"}],"ips":[{"interface":1,"address":"10.1.0.5/16","gateway":"10.1.0.1"},{"interface":1,"address":"2001:db8::5/64","gateway":"2001:db8::1"},{"interface":1,"address":"10.2.0.5/16"}],"routes":[{"dst":"0.0.0.0/0"},{"dst":"::/0","gw":"2001:db8::1"},{"dst":"192.168.0.0/16","gw":"10.1.0.254"}],"dns":{"nameservers":["10.1.0.1"],"search":["a\\u003cb"]}}',
    ],
    [
      '0.4.0',
      '{"cniVersion":"0.4.0","interfaces":[{"name":"cni0","mac":"00:11:22:33:44:55"},{"name":"eth0","mac":"99:88:77:66:55:44","sandbox":"/var/run/netns/blue"}],"ips":[{"version":"4","interface":1,"address":"10.1.0.5/16","gateway":"10.1.0.1"},{"version":"6","interface":1,"address":"2001:db8::5/64","gateway":"2001:db8::1"},{"version":"4","interface":1,"address":"10.2.0.5/16"}],"routes":[{"dst":"0.0.0.0/0"},{"dst":"::/0","gw":"2001:db8::1"},{"dst":"192.168.0.0/16","gw":"10.1.0.254"}],"dns":{"nameservers":["10.1.0.1"],"search":["a\\u003cb"]}}',
    ],
    [
      '0.3.1',
      '{"cniVersion":"0.3.1","interfaces":[{"name":"cni0","mac":"00:11:22:33:44:55"},{"name":"eth0","mac":"99:88:77:66:55:44","sandbox":"/var/run/netns/blue"}],"ips":[{"version":"4","interface":1,"address":"10.1.0.5/16","gateway":"10.1.0.1"},{"version":"6","interface":1,"address":"2001:db8::5/64","gateway":"2001:db8::1"},{"version":"4","interface":1,"address":"10.2.0.5/16"}],"routes":[{"dst":"0.0.0.0/0"},{"dst":"::/0","gw":"2001:db8::1"},{"dst":"192.168.0.0/16","gw":"10.1.0.254"}],"dns":{"nameservers":["10.1.0.1"],"search":["a\\u003cb"]}}',
    ],
    [
      '0.3.0',
      '{"cniVersion":"0.3.0","interfaces":[{"name":"cni0","mac":"00:11:22:33:44:55"},{"name":"eth0","mac":"99:88:77:66:55:44","sandbox":"/var/run/netns/blue"}],"ips":[{"version":"4","interface":1,"address":"10.1.0.5/16","gateway":"10.1.0.1"},{"version":"6","interface":1,"address":"2001:db8::5/64","gateway":"2001:db8::1"},{"version":"4","interface":1,"address":"10.2.0.5/16"}],"routes":[{"dst":"0.0.0.0/0"},{"dst":"::/0","gw":"2001:db8::1"},{"dst":"192.168.0.0/16","gw":"10.1.0.254"}],"dns":{"nameservers":["10.1.0.1"],"search":["a\\u003cb"]}}',
    ],
    [
      '0.2.0',
      '{"cniVersion":"0.2.0","ip4":{"ip":"10.1.0.5/16","gateway":"10.1.0.1","routes":[{"dst":"0.0.0.0/0"},{"dst":"192.168.0.0/16","gw":"10.1.0.254"}]},"ip6":{"ip":"2001:db8::5/64","gateway":"2001:db8::1","routes":[{"dst":"::/0","gw":"2001:db8::1"}]},"dns":{"nameservers":["10.1.0.1"],"search":["a\\u003cb"]}}',
    ],
    [
      '0.1.0',
      '{"cniVersion":"0.1.0","ip4":{"ip":"10.1.0.5/16","gateway":"10.1.0.1","routes":[{"dst":"0.0.0.0/0"},{"dst":"192.168.0.0/16","gw":"10.1.0.254"}]},"ip6":{"ip":"2001:db8::5/64","gateway":"2001:db8::1","routes":[{"dst":"::/0","gw":"2001:db8::1"}]},"dns":{"nameservers":["10.1.0.1"],"search":["a\\u003cb"]}}',
    ],
  ];
  const compact = (s: string) => JSON.stringify(JSON.parse(s)).replaceAll('<', '\\u003c');
  for (const [v, want] of rows) {
    const printed = formatResult({ cniVersion: v, ...rich });
    t.equal(v === '1.1.0' ? printed : compact(printed), want, `ADD result printed for ${v}`);
    t.notOk(printed.endsWith('\n'), `${v}: no trailing newline`);
  }
  t.equal(
    JSON.parse(formatResult({ cniVersion: '', ...rich })).cniVersion,
    '0.1.0',
    'a config without cniVersion gets a 0.1.0 result',
  );
  t.throws(() => formatResult({ cniVersion: '0.2.0', interfaces: [{ name: 'lo' }] }), {
    message: 'cannot convert: no valid IP addresses',
  });
});

t.test('validation order, errors, stderr and the about text', async (t) => {
  const { plugin, calls } = recorder(supportedVersions);
  const run = (env: Record<string, string>, stdin: Buffer | string = conf('1.0.0')) =>
    runPlugin(plugin, { env: { ...full, ...env }, stdin: Buffer.from(stdin) });
  const rows: Array<{
    name: string;
    env: Record<string, string>;
    stdin?: string;
    code: number;
    stdout: string;
    stderr?: string;
  }> = [
    {
      name: 'unset CNI_COMMAND prints the about text',
      env: { CNI_COMMAND: '' },
      code: 0,
      stdout: '',
      stderr:
        'CNI test plugin version unknown\nCNI protocol versions supported: 0.1.0, 0.2.0, 0.3.0, 0.3.1, 0.4.0, 1.0.0, 1.1.0\n',
    },
    {
      name: 'JSON error first',
      env: { CNI_COMMAND: 'ADD', CNI_CONTAINERID: 'bad id' },
      stdin: '{',
      code: 1,
      stdout: errOut(6, 'error unmarshall network config: unexpected end of JSON input'),
    },
    {
      name: 'then the network name',
      env: { CNI_COMMAND: 'ADD' },
      stdin: '{"name":"a/b"}',
      code: 1,
      stdout: errOut(7, 'invalid characters found in network name', 'a/b'),
    },
    {
      name: 'then the container ID',
      env: { CNI_COMMAND: 'ADD', CNI_CONTAINERID: '.abc' },
      code: 1,
      stdout: errOut(4, 'invalid characters in containerID', '.abc'),
    },
    {
      name: 'then the ifname',
      env: { CNI_COMMAND: 'ADD', CNI_IFNAME: 'a b' },
      code: 1,
      stdout: errOut(4, 'interface name contains / or : or whitespace characters'),
    },
    {
      name: 'unknown command',
      env: { CNI_COMMAND: 'add' },
      code: 1,
      stdout: errOut(4, 'unknown CNI_COMMAND: add'),
    },
    {
      name: 'typed plugin error keeps its code; <>& escaped',
      env: { CNI_COMMAND: 'CHECK', CNI_CONTAINERID: 'typed' },
      code: 1,
      stdout: errOut(11, 'try again', 'busy \\u0026 \\u003clater\\u003e').replaceAll('\\\\u', '\\u'),
    },
    {
      name: 'plain error is 999',
      env: { CNI_COMMAND: 'CHECK', CNI_CONTAINERID: 'plain' },
      code: 1,
      stdout: errOut(999, 'plain failure'),
    },
    {
      name: 'the plugin’s log goes to stderr',
      env: { CNI_COMMAND: 'ADD' },
      stdin: '{"cniVersion":"0.1.0","name":"n"}',
      code: 0,
      stdout: formatResult({ cniVersion: '0.1.0', ...rich }),
      stderr: 'log line\n',
    },
  ];
  for (const r of rows) {
    const out = await run(r.env, r.stdin);
    t.same(out, { exitCode: r.code, stdout: r.stdout, stderr: r.stderr ?? '' }, r.name);
  }
  const gc = calls.filter((c) => c.cmd === 'add').at(-1)!;
  t.same(
    [gc.args.containerID, gc.args.netns, gc.args.ifName, gc.args.path],
    ['c1', '/x', 'eth0', '/opt/cni/bin'],
    'CmdArgs carry the env',
  );
});

const REAL = '/usr/lib/cni/host-local';
interopTest(
  t,
  'with only libcni 1.1.2 versions the skel answers as Debian’s does',
  missingExecutable(REAL, 'containernetworking-plugins'),
  async (t) => {
    const { plugin } = recorder(libcni112Versions);
    const hostLocal112: Plugin = { ...plugin, about: 'CNI host-local plugin version unknown' };
    const rows: Array<{ name: string; env: Record<string, string>; stdin: string }> = [
      { name: 'VERSION', env: { CNI_COMMAND: 'VERSION' }, stdin: '' },
      { name: 'about text', env: {}, stdin: '' },
      {
        name: 'GC as a runtime sends it',
        env: { CNI_COMMAND: 'GC', CNI_PATH: '/p' },
        stdin: '{"cniVersion":"1.1.0","name":"n"}',
      },
      {
        name: 'GC with every variable',
        env: { ...full, CNI_COMMAND: 'GC' },
        stdin: '{"cniVersion":"1.1.0","name":"n"}',
      },
      {
        name: 'STATUS with every variable',
        env: { ...full, CNI_COMMAND: 'STATUS' },
        stdin: '{"cniVersion":"1.1.0","name":"n"}',
      },
      { name: '1.1.0 ADD', env: { ...full, CNI_COMMAND: 'ADD' }, stdin: '{"cniVersion":"1.1.0","name":"n"}' },
      {
        name: '1.1.0 CHECK',
        env: { ...full, CNI_COMMAND: 'CHECK' },
        stdin: '{"cniVersion":"1.1.0","name":"n"}',
      },
      { name: 'missing variables', env: { CNI_COMMAND: 'DEL' }, stdin: '' },
    ];
    for (const r of rows) {
      const vars = Object.entries(r.env).map(([k, v]) => `${k}=${v}`);
      const real = spawnSync('/usr/bin/env', ['-i', ...vars, REAL], { input: r.stdin });
      const ours = await runPlugin(hostLocal112, { env: r.env, stdin: Buffer.from(r.stdin) });
      t.same(
        ours,
        { exitCode: real.status, stdout: String(real.stdout), stderr: String(real.stderr) },
        `${r.name}: same as the real 1.1.1 binary`,
      );
    }
  },
);

t.test('in-process ADD: the result as its printed stdout reads back, printed only when asked', async (t) => {
  const answer = (r: Result): Plugin => ({
    about: 'CNI test plugin version unknown',
    supportedVersions,
    add: async () => r,
    del: async () => {},
    check: async () => {},
  });
  const rows: Array<{ name: string; result: Result; value: 'read back' | 'printed' }> = [
    { name: 'rich, 1.1.0', result: { cniVersion: '1.1.0', ...rich }, value: 'read back' },
    { name: 'rich, 0.3.1 (ips with version)', result: { cniVersion: '0.3.1', ...rich }, value: 'read back' },
    { name: 'rich, 0.2.0 (ip4/ip6)', result: { cniVersion: '0.2.0', ...rich }, value: 'read back' },
    {
      name: 'escapes, a lone surrogate, -0 and a large number',
      result: {
        cniVersion: '1.1.0',
        interfaces: [{ name: 'a\u2028<b>&\u00e9\ud83d\ude00', mtu: -0, sandbox: 'x\ud800y' }],
        routes: [{ dst: '0.0.0.0/0', priority: 1e21, table: 0.5 }],
        dns: { search: ['\u0001\t"\\'] },
      },
      value: 'read back',
    },
    {
      name: 'NaN does not read back: printed as before',
      result: { cniVersion: '1.1.0', interfaces: [{ name: 'eth0', mtu: Number.NaN }] },
      value: 'printed',
    },
  ];
  for (const r of rows) {
    const io = { env: { ...full, CNI_COMMAND: 'ADD' }, stdin: conf(r.result.cniVersion) };
    const out = await runPluginInProcess(answer(r.result), io);
    const printed = await runPlugin(answer(r.result), io);
    t.equal(out.stdout(), printed.stdout, `${r.name}: stdout`);
    t.equal(out.value === notPlain ? 'printed' : 'read back', r.value, `${r.name}: value`);
    if (out.value !== notPlain) t.strictSame(out.value, unmarshal(out.stdout()), `${r.name}: reads back`);
  }
});

t.test('goJSONValueOf: the parse of what marshalGo prints, without printing', async (t) => {
  const rows: Array<{ name: string; value: GoEncodable; same: boolean }> = [
    {
      name: 'a conf with a prevResult',
      value: { cniVersion: '1.0.0', name: 'pods', prevResult: rich as GoEncodable, type: 'loopback' },
      same: true,
    },
    {
      name: 'escapes and a lone surrogate in a key and a value',
      value: { 'k\ud800': 'a<b>&\u2028\udc00', n: -0, big: 1e21, f: 0.1, t: true, z: null, e: [], o: {} },
      same: true,
    },
    { name: 'undefined members left out', value: { a: undefined, b: [1, { c: undefined }] }, same: true },
    { name: 'Infinity does not read back', value: { mtu: Number.POSITIVE_INFINITY }, same: false },
  ];
  for (const r of rows) {
    const got = goJSONValueOf(r.value);
    if (r.same) t.strictSame(got, parseGoJSON(marshalGo(r.value)), r.name);
    else t.equal(got, undefined, r.name);
  }
});
