import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { formatResult, Invoker, keptPluginFinder, parseConfList, type RuntimeConf } from '../../cni/index.js';
import { MemoryCacheFiles } from '../../cni/invoker/cache.js';
import { cniCodeOf } from '../../cni/invoker/errors.js';
import type { Env, InProcessResolver } from '../../cni/invoker/exec.js';
import { interopTest, missingExecutable } from '../index.js';

// Fake plugins record what the runtime handed them (command, the CNI_* env, stdin bytes) and answer
// with a canned result naming themselves. They run in-process through the resolver; the binaries on
// CNI_PATH are empty files, because libcni finds plugins on disk before it runs them.
interface Call {
  type: string;
  command: string;
  env: string;
  stdin: string;
}

type Answer = (command: string, stdin: string) => { code?: number; out: string } | undefined;

function lab(
  t: { teardown: (fn: () => void) => void },
  types: string[],
  answers: Record<string, Answer> = {},
  cacheFiles?: MemoryCacheFiles,
) {
  const dir = mkdtempSync(join(tmpdir(), 'netlab-invoker-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const bin = join(dir, 'bin');
  const cache = join(dir, 'cache');
  mkdirSync(bin);
  for (const type of types) writeFileSync(join(bin, type), '');
  const calls: Call[] = [];
  let n = 0;
  const resolver: InProcessResolver = (type) => async (stdin: Buffer, env: Env) => {
    const command = env.CNI_COMMAND ?? '';
    calls.push({
      type,
      command,
      env: ['CNI_CONTAINERID', 'CNI_NETNS', 'CNI_IFNAME', 'CNI_ARGS']
        .map((k) => `${k}=${env[k] ?? '<unset>'}`)
        .join(' '),
      stdin: stdin.toString(),
    });
    const answer = answers[type]?.(command, stdin.toString());
    if (answer !== undefined)
      return { exitCode: answer.code ?? 0, stdout: Buffer.from(answer.out), stderr: Buffer.alloc(0) };
    if (command === 'ADD') {
      const v = JSON.parse(stdin.toString()).cniVersion;
      n++;
      const out = `{"cniVersion":"${v}","interfaces":[{"name":"${type}0"}],"ips":[{"address":"10.0.0.${n}/24","interface":0}],"dns":{}}`;
      return { exitCode: 0, stdout: Buffer.from(out), stderr: Buffer.alloc(0) };
    }
    return { exitCode: 0, stdout: Buffer.alloc(0), stderr: Buffer.alloc(0) };
  };
  const invoker = new Invoker({
    cniPath: [bin],
    cacheDir: cache,
    env: { HOME: '/root' },
    inProcess: resolver,
    ...(cacheFiles ? { cacheFiles } : {}),
  });
  const cacheFile = (net: string, id: string, ifname = 'eth0') =>
    join(cache, 'results', `${net}-${id}-${ifname}`);
  return { dir, bin, cache, calls, invoker, cacheFile };
}

const conflist = (version: string, extra = '') =>
  `{"cniVersion":"${version}","name":"net"${extra},"plugins":[{"type":"a","foo":"x<y"},{"type":"b","capabilities":{"portMappings":true,"mac":false}},{"type":"c"}]}`;

const rt: RuntimeConf = {
  containerID: 'c1',
  netns: '/run/netns/p1',
  ifName: 'eth0',
  args: [['K8S_POD_NAME', 'web']],
  capabilityArgs: {
    portMappings: [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }],
    mac: 'aa:bb:cc:dd:ee:ff',
  },
};

const env1 = 'CNI_CONTAINERID=c1 CNI_NETNS=/run/netns/p1 CNI_IFNAME=eth0 CNI_ARGS=K8S_POD_NAME=web';

t.test(
  'ADD runs the plugins in order, each with the previous result; the final result is cached',
  async (t) => {
    const { calls, invoker, cacheFile, cache } = lab(t, ['a', 'b', 'c']);
    const list = parseConfList(conflist('1.0.0'));
    const result = await invoker.addNetworkList(list, rt);
    t.same(
      calls.map((c) => [c.type, c.command, c.env, c.stdin]),
      [
        // Keys sorted (libcni marshals a map); Go escaping of '<'.
        ['a', 'ADD', env1, '{"cniVersion":"1.0.0","foo":"x\\u003cy","name":"net","type":"a"}'],
        // runtimeConfig only for the enabled capability; the second injection re-sorts prevResult too.
        [
          'b',
          'ADD',
          env1,
          '{"capabilities":{"mac":false,"portMappings":true},"cniVersion":"1.0.0","name":"net","prevResult":{"cniVersion":"1.0.0","dns":{},"interfaces":[{"name":"a0"}],"ips":[{"address":"10.0.0.1/24","interface":0}]},"runtimeConfig":{"portMappings":[{"containerPort":80,"hostPort":8080,"protocol":"tcp"}]},"type":"b"}',
        ],
        // No runtimeConfig: prevResult keeps the result struct's field order.
        [
          'c',
          'ADD',
          env1,
          '{"cniVersion":"1.0.0","name":"net","prevResult":{"cniVersion":"1.0.0","interfaces":[{"name":"b0"}],"ips":[{"interface":0,"address":"10.0.0.2/24"}],"dns":{}},"type":"c"}',
        ],
      ],
    );
    t.equal(
      formatResult(result!),
      '{\n    "cniVersion": "1.0.0",\n    "interfaces": [\n        {\n            "name": "c0"\n        }\n    ],\n    "ips": [\n        {\n            "interface": 0,\n            "address": "10.0.0.3/24"\n        }\n    ],\n    "dns": {}\n}',
    );
    const config = Buffer.from(conflist('1.0.0')).toString('base64');
    t.equal(
      readFileSync(cacheFile('net', 'c1'), 'utf8'),
      `{"kind":"cniCacheV1","containerId":"c1","config":"${config}","ifName":"eth0","networkName":"net","netns":"/run/netns/p1","cniArgs":[["K8S_POD_NAME","web"]],"capabilityArgs":{"mac":"aa:bb:cc:dd:ee:ff","portMappings":[{"containerPort":80,"hostPort":8080,"protocol":"tcp"}]},"result":{"cniVersion":"1.0.0","dns":{},"interfaces":[{"name":"c0"}],"ips":[{"address":"10.0.0.3/24","interface":0}]}}`,
      'cache file bytes',
    );
    t.equal(statSync(cacheFile('net', 'c1')).mode & 0o777, 0o600, 'cache file mode');
    t.equal(statSync(join(cache, 'results')).mode & 0o777, 0o700, 'cache dir mode');
  },
);

t.test('ADD stops at the first failure, wraps it like libcni, and caches nothing', async (t) => {
  const { calls, invoker, cacheFile } = lab(t, ['a', 'b', 'c'], {
    b: (cmd) =>
      cmd === 'ADD'
        ? { code: 1, out: '{"code":7,"msg":"bad config","details":"foo \\u003e bar"}' }
        : undefined,
  });
  const err = await invoker.addNetworkList(parseConfList(conflist('1.0.0')), rt).catch((e) => e);
  t.equal(err.message, 'plugin type="b" failed (add): bad config; foo > bar');
  t.equal(err.code, 'NETLAB_CNI_INVOKER_PLUGIN_FAILED');
  t.equal(cniCodeOf(err), 7);
  t.same(
    calls.map((c) => c.type),
    ['a', 'b'],
  );
  t.throws(() => readFileSync(cacheFile('net', 'c1')), { code: 'ENOENT' });
});

t.test('DEL runs in reverse with the cached result, then drops the cache; again without one', async (t) => {
  const { calls, invoker, cacheFile } = lab(t, ['a', 'b', 'c']);
  const list = parseConfList(conflist('1.0.0'));
  await invoker.addNetworkList(list, rt);
  calls.length = 0;
  await invoker.delNetworkList(list, rt);
  const cached =
    '"prevResult":{"cniVersion":"1.0.0","interfaces":[{"name":"c0"}],"ips":[{"interface":0,"address":"10.0.0.3/24"}],"dns":{}}';
  t.same(
    calls.map((c) => [c.type, c.command, c.stdin]),
    [
      ['c', 'DEL', `{"cniVersion":"1.0.0","name":"net",${cached},"type":"c"}`],
      [
        'b',
        'DEL',
        '{"capabilities":{"mac":false,"portMappings":true},"cniVersion":"1.0.0","name":"net","prevResult":{"cniVersion":"1.0.0","dns":{},"interfaces":[{"name":"c0"}],"ips":[{"address":"10.0.0.3/24","interface":0}]},"runtimeConfig":{"portMappings":[{"containerPort":80,"hostPort":8080,"protocol":"tcp"}]},"type":"b"}',
      ],
      ['a', 'DEL', `{"cniVersion":"1.0.0","foo":"x\\u003cy","name":"net",${cached},"type":"a"}`],
    ],
  );
  t.throws(() => readFileSync(cacheFile('net', 'c1')), { code: 'ENOENT' }, 'cache removed');
  calls.length = 0;
  await invoker.delNetworkList(list, rt);
  t.same(
    calls.map((c) => [c.type, c.stdin.includes('prevResult')]),
    [
      ['c', false],
      ['b', false],
      ['a', false],
    ],
    'a repeated DEL has no prevResult',
  );
});

t.test('the result cache in memory: the same attachments and DEL stdin as on disk, no files', async (t) => {
  const runs = [];
  for (const memory of [false, true]) {
    const { calls, invoker, cache } = lab(
      t,
      ['a', 'b', 'c'],
      {},
      memory ? new MemoryCacheFiles() : undefined,
    );
    const list = parseConfList(conflist('1.0.0'));
    await invoker.addNetworkList(list, rt);
    const attachments = await invoker.getCachedAttachments('c1');
    const files = existsSync(cache) ? readdirSync(cache, { recursive: true }).length : 0;
    calls.length = 0;
    await invoker.delNetworkList(list, rt);
    runs.push({
      attachments: attachments.map((a) => ({ ...a, config: a.config.toString() })),
      del: calls.map((c) => c.stdin),
      after: (await invoker.getCachedAttachments('c1')).length,
      files,
    });
  }
  const [disk, memory] = runs;
  t.same(memory!.attachments, disk!.attachments, 'attachments');
  t.same(memory!.del, disk!.del, 'DEL stdin (prevResult from the cache)');
  t.same(
    [disk!.files, memory!.files],
    [2, 0],
    'files under cacheDir: results/ and its file on disk, none in memory',
  );
  t.same([disk!.after, memory!.after], [0, 0], 'DEL drops the entry');
});

t.test('cached result and version gates per list version', async (t) => {
  const cases: { version: string; delPrev: boolean; check: string }[] = [
    {
      version: '0.3.1',
      delPrev: false,
      check: 'configuration version "0.3.1" does not support the CHECK command',
    },
    { version: '0.4.0', delPrev: true, check: 'ok' },
    { version: '1.1.0', delPrev: true, check: 'ok' },
  ];
  for (const c of cases) {
    const { calls, invoker } = lab(t, ['a', 'b', 'c']);
    const list = parseConfList(conflist(c.version));
    await invoker.addNetworkList(list, rt);
    calls.length = 0;
    const check = await invoker.checkNetworkList(list, rt).then(
      () => 'ok',
      (e: Error) => e.message,
    );
    t.equal(check, c.check, `${c.version} CHECK`);
    if (check === 'ok')
      t.same(
        calls.map((x) => [x.type, x.command, x.stdin.includes('"prevResult":{"cniVersion":"')]),
        [
          ['a', 'CHECK', true],
          ['b', 'CHECK', true],
          ['c', 'CHECK', true],
        ],
        `${c.version} CHECK in order with the cached result`,
      );
    calls.length = 0;
    await invoker.delNetworkList(list, rt);
    t.same(
      calls.map((x) => x.stdin.includes('prevResult')),
      [c.delPrev, c.delPrev, c.delPrev],
      `${c.version} DEL prevResult`,
    );
  }
});

t.test('disableCheck and disableGC skip the plugins', async (t) => {
  const { calls, invoker } = lab(t, ['a', 'b', 'c']);
  const list = parseConfList(conflist('1.1.0', ',"disableCheck":true,"disableGC":"TRUE"'));
  await invoker.addNetworkList(list, rt);
  calls.length = 0;
  await invoker.checkNetworkList(list, rt);
  await invoker.gcNetworkList(list, []);
  t.same(calls, []);
});

t.test(
  'GC: DEL for every stale cached attachment, then GC to each plugin with the valid list (1.1.0)',
  async (t) => {
    const cases: { version: string; gc: boolean }[] = [
      { version: '1.1.0', gc: true },
      { version: '1.0.0', gc: false },
    ];
    for (const c of cases) {
      const { calls, invoker, cacheFile } = lab(t, ['a', 'b', 'c']);
      const list = parseConfList(conflist(c.version));
      const other = parseConfList(conflist(c.version).replace('"name":"net"', '"name":"other"'));
      await invoker.addNetworkList(list, rt);
      await invoker.addNetworkList(list, { containerID: 'c2', netns: '/run/netns/p2', ifName: 'eth0' });
      await invoker.addNetworkList(other, { containerID: 'c3', netns: '/run/netns/p3', ifName: 'eth0' });
      calls.length = 0;
      await invoker.gcNetworkList(list, [{ containerID: 'c1', ifname: 'eth0' }]);
      const want: [string, string, string][] = [
        ['c', 'DEL', 'CNI_CONTAINERID=c2 CNI_NETNS=/run/netns/p2 CNI_IFNAME=eth0 CNI_ARGS='],
        ['b', 'DEL', 'CNI_CONTAINERID=c2 CNI_NETNS=/run/netns/p2 CNI_IFNAME=eth0 CNI_ARGS='],
        ['a', 'DEL', 'CNI_CONTAINERID=c2 CNI_NETNS=/run/netns/p2 CNI_IFNAME=eth0 CNI_ARGS='],
      ];
      if (c.gc)
        for (const p of ['a', 'b', 'c'])
          want.push([p, 'GC', 'CNI_CONTAINERID= CNI_NETNS= CNI_IFNAME= CNI_ARGS=']);
      t.same(
        calls.map((x) => [x.type, x.command, x.env]),
        want,
        `${c.version}: calls`,
      );
      if (c.gc)
        t.equal(
          calls.find((x) => x.command === 'GC' && x.type === 'b')!.stdin,
          '{"capabilities":{"mac":false,"portMappings":true},"cni.dev/valid-attachments":[{"containerID":"c1","ifname":"eth0"}],"cniVersion":"1.1.0","name":"net","type":"b"}',
          'GC stdin',
        );
      t.ok(statSync(cacheFile('net', 'c1')).isFile(), `${c.version}: the valid attachment keeps its cache`);
      t.throws(
        () => statSync(cacheFile('net', 'c2')),
        { code: 'ENOENT' },
        `${c.version}: the stale one is gone`,
      );
      t.ok(statSync(cacheFile('other', 'c3')).isFile(), `${c.version}: other networks are left alone`);
    }
  },
);

t.test('GC carries on past errors and reports them all', async (t) => {
  const { invoker } = lab(t, ['a', 'b', 'c'], {
    a: (cmd) => (cmd === 'GC' ? { code: 1, out: '{"code":999,"msg":"a is broken"}' } : undefined),
    c: (cmd) => (cmd === 'GC' ? { code: 1, out: '{"code":11,"msg":"busy"}' } : undefined),
  });
  const err = await invoker.gcNetworkList(parseConfList(conflist('1.1.0')), []).catch((e) => e);
  t.equal(err.message, 'failed to GC plugin a: a is broken\nfailed to GC plugin c: busy');
});

t.test(
  'STATUS: every plugin in order for 1.1.0 lists, the first failure as is; nothing below 1.1.0',
  async (t) => {
    const { calls, invoker } = lab(t, ['a', 'b', 'c'], {
      b: (cmd) => (cmd === 'STATUS' ? { code: 1, out: '{"code":50,"msg":"no IPs left"}' } : undefined),
    });
    const err = await invoker.getStatusNetworkList(parseConfList(conflist('1.1.0'))).catch((e) => e);
    t.equal(err.message, 'no IPs left');
    t.equal(cniCodeOf(err), 50);
    t.same(
      calls.map((c) => [c.type, c.command, c.env, c.stdin]),
      [
        [
          'a',
          'STATUS',
          'CNI_CONTAINERID= CNI_NETNS= CNI_IFNAME= CNI_ARGS=',
          '{"cniVersion":"1.1.0","foo":"x\\u003cy","name":"net","type":"a"}',
        ],
        [
          'b',
          'STATUS',
          'CNI_CONTAINERID= CNI_NETNS= CNI_IFNAME= CNI_ARGS=',
          '{"capabilities":{"mac":false,"portMappings":true},"cniVersion":"1.1.0","name":"net","type":"b"}',
        ],
      ],
    );
    calls.length = 0;
    await invoker.getStatusNetworkList(parseConfList(conflist('1.0.0')));
    t.same(calls, []);
  },
);

t.test('VERSION checks', async (t) => {
  const versions: Record<string, string> = {
    a: '{"cniVersion":"1.1.0","supportedVersions":["0.4.0","1.0.0","1.1.0"]}\n',
    b: '{"cniVersion":"1.0.0","supportedVersions":["0.1.0","0.2.0","0.3.0","0.3.1","0.4.0","1.0.0"]}\n',
    c: '',
  };
  const { calls, invoker } = lab(t, ['a', 'b', 'c', 'd', 'e'], {
    a: (cmd) => (cmd === 'VERSION' ? { out: versions.a! } : undefined),
    b: (cmd) => (cmd === 'VERSION' ? { out: versions.b! } : undefined),
    // A 0.2.0-era answer without supportedVersions means 0.1.0 and 0.2.0.
    c: (cmd) => (cmd === 'VERSION' ? { out: '{"cniVersion":"0.2.0"}' } : undefined),
    // A plugin from before VERSION: libcni takes it as 0.1.0 only.
    d: (cmd) =>
      cmd === 'VERSION' ? { code: 1, out: '{"code":4,"msg":"unknown CNI_COMMAND: VERSION"}' } : undefined,
    e: (cmd) => (cmd === 'VERSION' ? { out: '{}' } : undefined),
  });
  t.same(await invoker.getVersionInfo('b'), {
    cniVersion: '1.0.0',
    supportedVersions: ['0.1.0', '0.2.0', '0.3.0', '0.3.1', '0.4.0', '1.0.0'],
  });
  t.same(
    [calls[0]!.stdin, calls[0]!.env],
    ['{"cniVersion":"1.1.0"}', 'CNI_CONTAINERID= CNI_NETNS=dummy CNI_IFNAME=dummy CNI_ARGS='],
    'VERSION stdin and env',
  );
  t.same(await invoker.getVersionInfo('c'), { cniVersion: '0.2.0', supportedVersions: ['0.1.0', '0.2.0'] });
  t.same(await invoker.getVersionInfo('d'), { cniVersion: '', supportedVersions: ['0.1.0'] });
  await t.rejects(invoker.getVersionInfo('e'), {
    message: 'decoding version info: missing field cniVersion',
  });
  const cases: { version: string; want: string }[] = [
    { version: '0.4.0', want: '[plugin c does not support config version "0.4.0"]' },
    {
      version: '1.1.0',
      want: '[plugin b does not support config version "1.1.0" plugin c does not support config version "1.1.0"]',
    },
    { version: '', want: '[plugin a does not support config version "0.1.0"]' },
  ];
  for (const c of cases) {
    const list = parseConfList(conflist(c.version).replace('"cniVersion":"",', ''));
    const got = await invoker.validateNetworkList(list).then(
      (caps) => `ok ${caps.join(',')}`,
      (e: Error) => e.message,
    );
    t.equal(got, c.want, `list ${c.version || '(none)'}`);
  }
  const ok = parseConfList(
    '{"cniVersion":"1.0.0","name":"net","plugins":[{"type":"b","capabilities":{"portMappings":true,"mac":false}}]}',
  );
  t.same(await invoker.validateNetworkList(ok), ['portMappings']);
});

t.test('conflist errors (libcni texts)', async (t) => {
  const cases: { input: string; want: string }[] = [
    { input: '', want: 'error parsing configuration list: unexpected end of JSON input' },
    {
      input: '{"cniVersion":"1.0.0","plugins":[{"type":"a"}]}',
      want: 'error parsing configuration list: no name',
    },
    { input: '{"name":7,"plugins":[]}', want: 'error parsing configuration list: invalid name type float64' },
    {
      input: '{"name":"n","cniVersion":1}',
      want: 'error parsing configuration list: invalid cniVersion type float64',
    },
    { input: '{"name":"n"}', want: "error parsing configuration list: no 'plugins' key" },
    {
      input: '{"name":"n","plugins":{}}',
      want: "error parsing configuration list: invalid 'plugins' type map[string]interface {}",
    },
    { input: '{"name":"n","plugins":[]}', want: 'error parsing configuration list: no plugins in list' },
    {
      input: '{"name":"n","disableCheck":"maybe","plugins":[{"type":"a"}]}',
      want: 'error parsing configuration list: invalid value "maybe" for disableCheck',
    },
    {
      input: '{"name":"n","plugins":[{"bridge":"cni0"}]}',
      want: `failed to parse plugin config 0: error parsing {"bridge":"cni0"}: missing 'type'`,
    },
    {
      input: '{"name":"n","cniVersions":["x.1"],"plugins":[{"type":"a"}]}',
      want: 'error parsing configuration list: invalid cniVersions entry x.1 at index 0: failed to convert major version part "x": strconv.Atoi: parsing "x": invalid syntax',
    },
  ];
  for (const c of cases) t.throws(() => parseConfList(c.input), { message: c.want }, c.input || '(empty)');
  const picked: { input: string; want: string }[] = [
    {
      input:
        '{"cniVersion":"0.4.0","cniVersions":["1.0.0","9.0.0","0.3.1"],"name":"n","plugins":[{"type":"a"}]}',
      want: '1.0.0',
    },
    {
      input: '{"cniVersion":"1.1.0","cniVersions":["0.3.1"],"name":"n","plugins":[{"type":"a"}]}',
      want: '1.1.0',
    },
    { input: '{"name":"n","plugins":[{"type":"a"}]}', want: '' },
  ];
  for (const c of picked) t.equal(parseConfList(c.input).cniVersion, c.want, `cniVersions: ${c.input}`);
});

t.test('exec: plugin binaries are forked; libcni texts for failures without a JSON error', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'netlab-invoker-exec-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const script = (name: string, body: string) =>
    writeFileSync(join(dir, name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  script(
    'echo',
    `cat > "${dir}/stdin.$CNI_COMMAND"; env | grep ^CNI_ | sort > "${dir}/env.$CNI_COMMAND"; [ "$CNI_COMMAND" = ADD ] && printf '{"cniVersion":"1.0.0","ips":[{"address":"10.9.0.2/24"}],"dns":{}}'; echo log >&2; exit 0`,
  );
  script('silent', 'exit 3');
  script('stderr', 'echo oops >&2; exit 1');
  script('garbage', 'echo not-json; exit 1');
  writeFileSync(join(dir, 'noexec'), '#!/bin/sh\n', { mode: 0o644 });
  const logged: string[] = [];
  const invoker = new Invoker({
    cniPath: ['/nonexistent', dir],
    cacheDir: join(dir, 'cache'),
    env: {},
    stderr: (b) => logged.push(b.toString()),
  });
  const one = (type: string) =>
    parseConfList(`{"cniVersion":"1.0.0","name":"n","plugins":[{"type":"${type}"}]}`);
  const result = await invoker.addNetworkList(one('echo'), { containerID: 'x', netns: '/n', ifName: 'eth0' });
  t.same(result, { cniVersion: '1.0.0', ips: [{ address: '10.9.0.2/24' }], dns: {} });
  t.equal(readFileSync(join(dir, 'stdin.ADD'), 'utf8'), '{"cniVersion":"1.0.0","name":"n","type":"echo"}');
  t.equal(
    readFileSync(join(dir, 'env.ADD'), 'utf8'),
    `CNI_ARGS=\nCNI_COMMAND=ADD\nCNI_CONTAINERID=x\nCNI_IFNAME=eth0\nCNI_NETNS=/n\nCNI_PATH=/nonexistent:${dir}\n`,
  );
  t.same(logged, ['log\n'], "a successful plugin's stderr is passed on");
  const cases: { type: string; want: string }[] = [
    {
      type: 'silent',
      want: 'plugin type="silent" failed (add): netplugin failed with no error message: exit status 3',
    },
    { type: 'stderr', want: 'plugin type="stderr" failed (add): netplugin failed: "oops\\n"' },
    {
      type: 'garbage',
      want: `plugin type="garbage" failed (add): netplugin failed but error parsing its diagnostic message "not-json\\n": invalid character 'o' in literal null (expecting 'u')`,
    },
    {
      type: 'noexec',
      want: `plugin type="noexec" failed (add): netplugin failed with no error message: fork/exec ${dir}/noexec: permission denied`,
    },
    {
      type: 'missing',
      want: `plugin type="missing" failed (add): failed to find plugin "missing" in path [/nonexistent ${dir}]`,
    },
  ];
  for (const c of cases) {
    const err = await invoker
      .addNetworkList(one(c.type), { containerID: 'x', netns: '/n', ifName: 'eth0' })
      .catch((e) => e);
    t.equal(err.message, c.want, c.type);
  }
  const bad: { rt: RuntimeConf; want: string }[] = [
    {
      rt: { containerID: '', netns: '/n', ifName: 'eth0' },
      want: 'plugin type="echo" failed (add): missing containerID',
    },
    {
      rt: { containerID: 'a b', netns: '/n', ifName: 'eth0' },
      want: 'plugin type="echo" failed (add): invalid characters in containerID; a b',
    },
    {
      rt: { containerID: 'x', netns: '/n', ifName: 'eth0123456789abc' },
      want: 'plugin type="echo" failed (add): interface name is too long; interface name should be less than 16 characters',
    },
  ];
  for (const c of bad) {
    const err = await invoker.addNetworkList(one('echo'), c.rt).catch((e) => e);
    t.equal(err.message, c.want, JSON.stringify(c.rt));
  }
});

interopTest(
  t,
  "the invoker driving Debian's plugins by exec",
  missingExecutable('/usr/lib/cni/host-local', 'containernetworking-plugins'),
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'netlab-invoker-debian-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const invoker = new Invoker({ cniPath: ['/usr/lib/cni'], cacheDir: join(dir, 'cache'), env: {} });
    const list = (version: string) =>
      parseConfList(
        JSON.stringify({
          cniVersion: version,
          name: 'net1',
          plugins: [
            { type: 'host-local', dataDir: join(dir, 'ipam'), ranges: [[{ subnet: '10.244.1.0/24' }]] },
          ],
        }),
      );
    // host-local reads its settings under "ipam" only (it expects a main plugin's whole config), so a
    // list whose plugin is host-local itself must nest them there; at the top level they are unseen.
    const wrapped = (version: string) =>
      parseConfList(
        JSON.stringify({
          cniVersion: version,
          name: 'net1',
          plugins: [
            {
              type: 'host-local',
              ipam: { dataDir: join(dir, 'ipam'), ranges: [[{ subnet: '10.244.1.0/24' }]] },
            },
          ],
        }),
      );
    t.equal(
      await invoker.addNetworkList(list('1.0.0'), pod('c0')).catch((e: Error) => e.message),
      `plugin type="host-local" failed (add): IPAM config missing 'ipam' key`,
    );
    const r = await invoker.addNetworkList(wrapped('1.0.0'), pod('c1'));
    t.equal(
      formatResult(r!),
      '{\n    "cniVersion": "1.0.0",\n    "ips": [\n        {\n            "address": "10.244.1.2/24",\n            "gateway": "10.244.1.1"\n        }\n    ],\n    "dns": {}\n}',
    );
    await invoker.checkNetworkList(wrapped('1.0.0'), pod('c1'));
    const dup = await invoker.addNetworkList(wrapped('1.0.0'), pod('c1')).catch((e) => e);
    t.equal(
      dup.message,
      'plugin type="host-local" failed (add): failed to allocate for range 0: 10.244.1.2 has been allocated to c1, duplicate allocation is not allowed',
    );
    t.equal(cniCodeOf(dup), 999);
    t.equal(
      await invoker.validateNetworkList(wrapped('1.1.0')).catch((e: Error) => e.message),
      '[plugin host-local does not support config version "1.1.0"]',
      "Debian's 1.1.1 plugins stop at 1.0.0",
    );
    t.same(await invoker.validateNetworkList(wrapped('0.3.1')), []);
    // GC on a 1.0.0 list: only the DEL of stale cached attachments (no GC verb below 1.1.0).
    await invoker.addNetworkList(wrapped('1.0.0'), pod('c2'));
    await invoker.gcNetworkList(wrapped('1.0.0'), [{ containerID: 'c2', ifname: 'eth0' }]);
    t.same(readdirSync(join(dir, 'ipam', 'net1')).sort(), ['10.244.1.3', 'last_reserved_ip.0', 'lock']);
    await invoker.delNetworkList(wrapped('1.0.0'), pod('c2'));
    await invoker.delNetworkList(wrapped('1.0.0'), pod('c2'));
    t.same(readdirSync(join(dir, 'ipam', 'net1')).sort(), ['last_reserved_ip.0', 'lock']);
    t.same(readdirSync(join(dir, 'cache', 'results')), []);
  },
);

function pod(id: string): RuntimeConf {
  return { containerID: id, netns: `/run/netns/${id}`, ifName: 'eth0' };
}

t.test('reading a plugin result as libcni does (fixupResultVersion)', async (t) => {
  const cases: { out: string; want: string }[] = [
    {
      out: '{"ips":[{"address":"10.0.0.9/24"}]}',
      want: 'ok {"cniVersion":"1.0.0","ips":[{"address":"10.0.0.9/24"}],"dns":{}}',
    },
    {
      out: '{"cniVersion":"0.4.0","ips":[{"version":"4","address":"10.0.0.9/24","interface":0}],"dns":{}}',
      want: 'ok {"cniVersion":"0.4.0","ips":[{"version":"4","interface":0,"address":"10.0.0.9/24"}],"dns":{}}',
    },
    { out: 'null', want: 'ok {"cniVersion":"1.0.0","dns":{}}' },
    {
      out: '',
      want: 'plugin type="a" failed (add): failed to unmarshal raw result: unexpected end of JSON input',
    },
    {
      out: '[1]',
      want: 'plugin type="a" failed (add): failed to unmarshal raw result: json: cannot unmarshal array into Go value of type map[string]interface {}',
    },
    {
      out: '{"cniVersion":"9.9.9"}',
      want: 'plugin type="a" failed (add): unsupported CNI result version "9.9.9"',
    },
  ];
  for (const c of cases) {
    const { invoker } = lab(t, ['a'], { a: (cmd) => (cmd === 'ADD' ? { out: c.out } : undefined) });
    const list = parseConfList('{"cniVersion":"1.0.0","name":"net","plugins":[{"type":"a"}]}');
    const got = await invoker.addNetworkList(list, rt).then(
      (r) => `ok ${formatResult(r!).replace(/\n\s*/g, '')}`,
      (e: Error) => e.message,
    );
    t.equal(got.replace(/": /g, '":'), c.want, c.out || '(empty)');
  }
});

t.test('keptPluginFinder: one lookup per type and path; a failed lookup is tried again', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'netlab-finder-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const find = keptPluginFinder();
  const steps: Array<{ step: () => void; type: string; want: string }> = [
    { step: () => {}, type: 'flat', want: `failed to find plugin "flat" in path [${dir}]` },
    { step: () => writeFileSync(join(dir, 'flat'), ''), type: 'flat', want: join(dir, 'flat') },
    // kept: the file is not looked at again
    { step: () => rmSync(join(dir, 'flat')), type: 'flat', want: join(dir, 'flat') },
    { step: () => {}, type: 'a/b', want: 'invalid plugin name: a/b' },
  ];
  for (const s of steps) {
    s.step();
    let got: string;
    try {
      got = find(s.type, [dir]);
    } catch (e) {
      got = (e as Error).message;
    }
    t.equal(got, s.want, s.type);
  }
});
