import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import t from 'tap';
import { renderPodRoutes } from '../../cni/fabric/render.js';
import {
  builtinPluginDir,
  createPluginRegistry,
  Fabric,
  FileFabricStore,
  formatResult,
  Invoker,
  MemoryFabricStore,
  nodeConflist,
  parseConfList,
  type RuntimeConf,
  renderNodeAddrBrief,
  renderPodAddrBrief,
} from '../../cni/index.js';
import { cniCodeOf } from '../../cni/invoker/errors.js';
import { checkAttachment, flatResult, parseFlatConf } from '../../cni/plugins/flat.js';
import type { CniError } from '../../cni/skel/errors.js';
import { runPlugin } from '../../cni/skel/skel.js';
import { type HostLocalStore, MemoryStore } from '../../ipam/index.js';
import { ensureBuilt } from './built.js';

// flat + loopback + host-local all in-process (the lab's way): the fabric is an object, host-local
// keeps its reservations in memory, and the invoker routes the binaries it finds on CNI_PATH
// (cni/bin) to the same plugin objects.
function cluster(t: { teardown: (fn: () => void) => void }) {
  const fabric = new Fabric();
  fabric.addNode({ name: 'node-a', nodeIPs: ['192.168.49.2'], podCIDRs: ['10.244.0.0/24'] });
  fabric.addNode({ name: 'node-b', nodeIPs: ['192.168.49.3'], podCIDRs: ['10.244.1.0/24'] });
  const stores = new Map<string, HostLocalStore>();
  const registry = createPluginRegistry({
    store: new MemoryFabricStore(fabric),
    hostLocal: {
      openStore: (network) => {
        let s = stores.get(network);
        if (s === undefined) {
          s = new MemoryStore();
          stores.set(network, s);
        }
        return s;
      },
    },
  });
  const cache = mkdtempSync(join(tmpdir(), 'netlab-flat-cache-'));
  t.teardown(() => rmSync(cache, { recursive: true, force: true }));
  const invoker = new Invoker({
    cniPath: [builtinPluginDir],
    cacheDir: cache,
    env: {},
    inProcess: registry.resolver,
  });
  const list = (node: string, version = '1.1.0') =>
    parseConfList(
      JSON.stringify({
        cniVersion: version,
        name: 'pods',
        plugins: [
          {
            type: 'flat',
            node,
            ipam: {
              type: 'host-local',
              ranges: [[{ subnet: node === 'node-a' ? '10.244.0.0/24' : '10.244.1.0/24' }]],
              routes: [{ dst: '0.0.0.0/0' }],
            },
          },
          { type: 'loopback' },
        ],
      }),
    );
  return { fabric, registry, invoker, list };
}

// flat's ADD result for web-1 on node-a (cniVersion 1.1.0, no dns in the config), byte for byte:
// 4-space JSON, no trailing newline. test/cni/cli.test.ts expects the same bytes from `netlab cni add`.
const web1Result = readFileSync(new URL('./fixtures/web-1.add.json', import.meta.url), 'utf8');

const pod = (id: string): RuntimeConf => ({ containerID: id, netns: `/run/netns/${id}`, ifName: 'eth0' });

t.test('ADD attaches the pod to its node bridge; the fabric shows it as ip would', async (t) => {
  const { fabric, invoker, list } = cluster(t);
  const r1 = await invoker.addNetworkList(list('node-a'), pod('web-1'));
  await invoker.addNetworkList(list('node-b'), pod('web-2'));
  t.equal(formatResult(r1!), web1Result, 'the result the last plugin (loopback) passed through');
  t.equal(
    renderPodAddrBrief(fabric, '/run/netns/web-1'),
    'lo               UNKNOWN        127.0.0.1/8 ::1/128 \neth0@if4         UP             10.244.0.2/24 fe80::e87e:c3ff:fe71:a950/64 \n',
  );
  t.equal(
    renderPodRoutes(fabric, 'web-1', 'eth0', 4),
    'default via 10.244.0.1 dev eth0 \n10.244.0.0/24 dev eth0 proto kernel scope link src 10.244.0.2 \n',
  );
  t.equal(
    renderNodeAddrBrief(fabric, 'node-b'),
    [
      'lo               UNKNOWN        127.0.0.1/8 ::1/128 ',
      'eth0             UP             192.168.49.3/24 fe80::5c9f:d5ff:fec0:369/64 ',
      'cni0             UP             10.244.1.1/24 fe80::f89b:4dff:feb9:96f8/64 ',
      'veth969586f7@if2 UP             fe80::d4bb:dff:fef0:cd3d/64 ',
      '',
    ].join('\n'),
  );
  const hit = fabric.lookup('10.244.1.2');
  t.equal(
    hit?.kind === 'pod' ? `${hit.attachment.containerID} on ${hit.node.name}` : 'none',
    'web-2 on node-b',
  );
  t.equal(fabric.routeGet('node-a', '10.244.1.2')?.via, '192.168.49.3', 'node-a reaches web-2 via node-b');
});

t.test(
  'DEL releases the address and detaches, any number of times; CHECK sees what is missing',
  async (t) => {
    const { fabric, invoker, list } = cluster(t);
    await invoker.addNetworkList(list('node-a'), pod('web-1'));
    await invoker.checkNetworkList(list('node-a'), pod('web-1'));
    // Somebody pulls the interface out behind the runtime's back: CHECK says so.
    const a = fabric.detach('web-1', 'eth0')!;
    const err = await invoker.checkNetworkList(list('node-a'), pod('web-1')).catch((e) => e);
    t.equal(err.message, 'interface eth0 of container web-1 not found in /run/netns/web-1');
    t.equal(cniCodeOf(err), 999);
    fabric.attach('node-a', {
      network: a.network,
      containerID: a.containerID,
      ifname: a.ifname,
      netns: a.netns,
      ips: a.ips,
      routes: a.routes,
    });
    await invoker.delNetworkList(list('node-a'), pod('web-1'));
    await invoker.delNetworkList(list('node-a'), pod('web-1'));
    t.same(fabric.attachments(), []);
    t.equal(fabric.lookup('10.244.0.2'), undefined);
    t.equal(fabric.loopbackUp('/run/netns/web-1'), false, 'loopback DEL set lo down');
    // host-local continues after the last reserved address, as the real one does.
    const again = await invoker.addNetworkList(list('node-a'), pod('web-3'));
    t.equal(again?.ips?.[0]?.address, '10.244.0.3/24');
  },
);

t.test(
  'a second ADD for the same netns and ifname fails before IPAM; a failure after IPAM releases',
  async (t) => {
    const { fabric, invoker, list } = cluster(t);
    await invoker.addNetworkList(list('node-a'), pod('web-1'));
    const err = await invoker
      .addNetworkList(list('node-a'), { ...pod('web-9'), netns: '/run/netns/web-1' })
      .catch((e) => e);
    t.equal(
      err.message,
      'plugin type="flat" failed (add): container veth name provided (eth0) already exists',
    );
    // node-z is not in the fabric and has no node IPs: it is created from its first pod's addresses;
    // an overlap with node-a's podCIDR fails after IPAM ADD, and the address is given back.
    const overlap = parseConfList(
      JSON.stringify({
        cniVersion: '1.0.0',
        name: 'pods',
        plugins: [
          {
            type: 'flat',
            node: 'node-z',
            ipam: { type: 'host-local', ranges: [[{ subnet: '10.244.0.0/16' }]] },
          },
        ],
      }),
    );
    const err2 = await invoker.addNetworkList(overlap, pod('x1')).catch((e) => e);
    t.equal(
      err2.message,
      'plugin type="flat" failed (add): node node-z: podCIDR 10.244.0.0/16 overlaps node node-a\'s 10.244.0.0/24',
    );
    const next = await invoker.addNetworkList(overlap, pod('x2')).catch((e) => e);
    t.equal(next.message, err2.message.replace('x1', 'x2'));
    t.same(
      fabric.attachments().map((a) => a.containerID),
      ['web-1'],
    );
  },
);

t.test('GC detaches what is not valid and forwards GC to host-local; STATUS is delegated', async (t) => {
  const { fabric, invoker, list } = cluster(t);
  for (const id of ['web-1', 'web-2', 'web-3']) await invoker.addNetworkList(list('node-a'), pod(id));
  // web-3's cache entry is lost (the runtime crashed): only GC's plugin pass can find it.
  rmSync(join(invoker.cacheDir, 'results', 'pods-web-3-eth0'));
  await invoker.gcNetworkList(list('node-a'), [{ containerID: 'web-1', ifname: 'eth0' }]);
  t.same(
    fabric.attachments().map((a) => a.containerID),
    ['web-1'],
  );
  const r = await invoker.addNetworkList(list('node-a'), pod('web-4'));
  t.equal(
    r?.ips?.[0]?.address,
    '10.244.0.5/24',
    'host-local GC released .3 and .4; allocation goes on round-robin',
  );
  await invoker.getStatusNetworkList(list('node-a'));
  t.pass('STATUS ok');
});

t.test('flat speaks every version; below 1.1.0 GC and STATUS are refused by the skel', async (t) => {
  const { registry } = cluster(t);
  const flat = registry.plugins.get('flat')!;
  const base = {
    CNI_CONTAINERID: 'c1',
    CNI_NETNS: '/run/netns/c1',
    CNI_IFNAME: 'eth0',
    CNI_PATH: builtinPluginDir,
  };
  const conf = (v: string) =>
    JSON.stringify({
      cniVersion: v,
      name: 'pods',
      type: 'flat',
      node: 'node-a',
      ipam: { type: 'host-local', ranges: [[{ subnet: '10.244.0.0/24' }]] },
    });
  const cases: { cmd: string; version: string; code: number; stdout: string }[] = [
    {
      cmd: 'VERSION',
      version: '1.1.0',
      code: 0,
      stdout:
        '{"cniVersion":"1.1.0","supportedVersions":["0.1.0","0.2.0","0.3.0","0.3.1","0.4.0","1.0.0","1.1.0"]}\n',
    },
    {
      cmd: 'GC',
      version: '1.0.0',
      code: 1,
      stdout: '{\n    "code": 1,\n    "msg": "config version does not allow GC"\n}',
    },
    {
      cmd: 'STATUS',
      version: '0.4.0',
      code: 1,
      stdout: '{\n    "code": 1,\n    "msg": "config version does not allow STATUS"\n}',
    },
    {
      cmd: 'CHECK',
      version: '1.0.0',
      code: 1,
      stdout: '{\n    "code": 999,\n    "msg": "Required prevResult missing"\n}',
    },
    {
      cmd: 'ADD',
      version: '0.1.0',
      code: 0,
      stdout:
        '{\n    "cniVersion": "0.1.0",\n    "ip4": {\n        "ip": "10.244.0.2/24",\n        "gateway": "10.244.0.1"\n    },\n    "dns": {}\n}',
    },
  ];
  for (const c of cases) {
    const out = await runPlugin(flat, {
      env: { ...base, CNI_COMMAND: c.cmd },
      stdin: Buffer.from(conf(c.version)),
    });
    t.same(
      { code: out.exitCode, stdout: out.stdout },
      { code: c.code, stdout: c.stdout },
      `${c.cmd} ${c.version}`,
    );
  }
  const noIpam = await runPlugin(flat, {
    env: { ...base, CNI_COMMAND: 'ADD' },
    stdin: Buffer.from('{"cniVersion":"1.0.0","name":"pods","type":"flat"}'),
  });
  t.equal(noIpam.stdout, '{\n    "code": 7,\n    "msg": "flat: IPAM config missing \'ipam\' key"\n}');
  const missingIpam = await runPlugin(flat, {
    env: { ...base, CNI_COMMAND: 'ADD', CNI_CONTAINERID: 'c2', CNI_NETNS: '/run/netns/c2' },
    stdin: Buffer.from('{"cniVersion":"1.0.0","name":"pods","type":"flat","ipam":{"type":"dhcp-nope"}}'),
  });
  t.equal(
    missingIpam.stdout,
    `{\n    "code": 999,\n    "msg": "failed to find plugin \\"dhcp-nope\\" in path [${builtinPluginDir}]"\n}`,
  );
});

t.test('loopback result as the real plugin prints it; chained, it passes prevResult through', async (t) => {
  const { registry } = cluster(t);
  const lo = registry.plugins.get('loopback')!;
  const env = {
    CNI_COMMAND: 'ADD',
    CNI_CONTAINERID: 'c1',
    CNI_NETNS: '/run/netns/pod1',
    CNI_IFNAME: 'lo',
    CNI_PATH: '/x',
  };
  const alone = await runPlugin(lo, {
    env,
    stdin: Buffer.from('{"cniVersion":"1.0.0","name":"lo","type":"loopback"}'),
  });
  // The bytes Debian's loopback 1.1.1 printed under `unshare --net`.
  t.equal(
    alone.stdout,
    '{\n    "cniVersion": "1.0.0",\n    "interfaces": [\n        {\n            "name": "lo",\n            "mac": "00:00:00:00:00:00",\n            "sandbox": "/run/netns/pod1"\n        }\n    ],\n    "ips": [\n        {\n            "interface": 0,\n            "address": "127.0.0.1/8"\n        },\n        {\n            "interface": 0,\n            "address": "::1/128"\n        }\n    ],\n    "dns": {}\n}',
  );
  const chained = await runPlugin(lo, {
    env,
    stdin: Buffer.from(
      '{"cniVersion":"0.4.0","name":"lo","type":"loopback","prevResult":{"cniVersion":"0.4.0","ips":[{"version":"4","address":"10.1.0.5/16","gateway":"10.1.0.1"}],"dns":{}}}',
    ),
  });
  t.equal(
    chained.stdout,
    '{\n    "cniVersion": "0.4.0",\n    "ips": [\n        {\n            "version": "4",\n            "address": "10.1.0.5/16",\n            "gateway": "10.1.0.1"\n        }\n    ],\n    "dns": {}\n}',
  );
});

t.test('nodeConflist: the node recipe; a dual-stack node gives a pod one address per family', async (t) => {
  const text = nodeConflist({
    node: 'node-d',
    nodeIPs: ['192.168.49.9', 'fd00:49::9'],
    podCIDRs: ['10.244.9.0/24', 'fd00:10:244:9::/64'],
  });
  t.equal(
    text,
    '{"cniVersion":"1.0.0","name":"pods","plugins":[{"type":"flat","node":"node-d","nodeIPs":["192.168.49.9","fd00:49::9"],"ipam":{"type":"host-local","ranges":[[{"subnet":"10.244.9.0/24"}],[{"subnet":"fd00:10:244:9::/64"}]],"routes":[{"dst":"0.0.0.0/0"},{"dst":"::/0"}]}},{"type":"loopback"}]}',
  );
  const { fabric, invoker } = cluster(t);
  fabric.addNode({
    name: 'node-d',
    nodeIPs: ['192.168.49.9', 'fd00:49::9'],
    podCIDRs: ['10.244.9.0/24', 'fd00:10:244:9::/64'],
  });
  const r = await invoker.addNetworkList(parseConfList(text), pod('dual-1'));
  t.same(
    r?.ips?.map((i) => `${i.address} via ${i.gateway}`),
    ['10.244.9.2/24 via 10.244.9.1', 'fd00:10:244:9::2/64 via fd00:10:244:9::1'],
  );
  t.equal(
    renderPodRoutes(fabric, 'dual-1', 'eth0', 6),
    'default via fd00:10:244:9::1 dev eth0 metric 1024 pref medium\nfd00:10:244:9::/64 dev eth0 proto kernel metric 256 pref medium\nfe80::/64 dev eth0 proto kernel metric 256 pref medium\n',
  );
});

// Which fabric loopback brings `lo` up in when its config names none: the one flat attached the netns
// to earlier in this process (a conflist [flat, loopback] run in-process, as `netlab cni add` runs the
// README tour's examples/pods.conflist), else flat's default fabric if one exists. DEL and CHECK
// never create a fabric. Each row runs on fresh dirs; `lo` is the netns's line of `ip -br addr`.
t.test('loopback finds the fabric flat used; lo UP as the real plugin leaves it', async (t) => {
  const env = (cmd: string, id: string) => ({
    CNI_COMMAND: cmd,
    CNI_CONTAINERID: id,
    CNI_NETNS: `/run/netns/${id}`,
    CNI_IFNAME: cmd === 'ADD' || cmd === 'CHECK' || cmd === 'DEL' ? 'lo' : '',
    CNI_PATH: builtinPluginDir,
  });
  const flatConf = (dir: string) =>
    JSON.stringify({
      cniVersion: '1.0.0',
      name: 'pods',
      type: 'flat',
      node: 'node-a',
      dataDir: join(dir, 'flat'),
      ipam: { type: 'host-local', ranges: [[{ subnet: '10.244.0.0/24' }]] },
    });
  const loConf = (dataDir?: string) =>
    JSON.stringify({ cniVersion: '1.0.0', name: 'pods', type: 'loopback', ...(dataDir ? { dataDir } : {}) });
  const cases: {
    name: string;
    steps: (dir: string) => { plugin: 'flat' | 'loopback'; cmd: string; stdin: string }[];
    /** The fabric to look at, relative to the case's dir. */
    fabric: string;
    /** Last step's stdout (loopback answers the same whatever the fabric). */
    exit: number;
    msg?: string;
    lo: string;
  }[] = [
    {
      name: 'flat then loopback in one process, loopback config without dataDir',
      steps: (d) => [
        { plugin: 'flat', cmd: 'ADD', stdin: flatConf(d) },
        { plugin: 'loopback', cmd: 'ADD', stdin: loConf() },
      ],
      fabric: 'flat',
      exit: 0,
      lo: 'lo               UNKNOWN        127.0.0.1/8 ::1/128 \n',
    },
    {
      name: 'loopback config naming the dataDir (the executable case)',
      steps: (d) => [
        { plugin: 'flat', cmd: 'ADD', stdin: flatConf(d) },
        { plugin: 'loopback', cmd: 'ADD', stdin: loConf(join(d, 'flat')) },
      ],
      fabric: 'flat',
      exit: 0,
      lo: 'lo               UNKNOWN        127.0.0.1/8 ::1/128 \n',
    },
    {
      name: 'flat without loopback: lo DOWN, as in a fresh netns',
      steps: (d) => [{ plugin: 'flat', cmd: 'ADD', stdin: flatConf(d) }],
      fabric: 'flat',
      exit: 0,
      lo: 'lo               DOWN           \n',
    },
    {
      name: 'loopback DEL sets lo down; CHECK then says so',
      steps: (d) => [
        { plugin: 'flat', cmd: 'ADD', stdin: flatConf(d) },
        { plugin: 'loopback', cmd: 'ADD', stdin: loConf() },
        { plugin: 'loopback', cmd: 'DEL', stdin: loConf() },
        { plugin: 'loopback', cmd: 'CHECK', stdin: loConf() },
      ],
      fabric: 'flat',
      exit: 1,
      msg: 'loopback interface is down',
      lo: 'lo               DOWN           \n',
    },
    {
      name: 'no fabric anywhere: loopback answers and creates none',
      steps: () => [
        { plugin: 'loopback', cmd: 'ADD', stdin: loConf() },
        { plugin: 'loopback', cmd: 'CHECK', stdin: loConf() },
        { plugin: 'loopback', cmd: 'DEL', stdin: loConf() },
      ],
      fabric: 'default',
      exit: 0,
      lo: '(no fabric)',
    },
  ];
  for (const c of cases) {
    const dir = mkdtempSync(join(tmpdir(), 'netlab-loopback-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const registry = createPluginRegistry({
      hostLocal: { openStore: () => new MemoryStore() },
      loopbackDefaultDataDir: join(dir, 'default'),
    });
    let last = { exitCode: 0, stdout: '' };
    for (const s of c.steps(dir))
      last = await runPlugin(registry.plugins.get(s.plugin)!, {
        env: env(s.cmd, 'web-1'),
        stdin: Buffer.from(s.stdin),
      });
    t.equal(last.exitCode, c.exit, `${c.name}: exit code`);
    if (c.msg !== undefined) t.equal(JSON.parse(last.stdout).msg, c.msg, `${c.name}: error`);
    const file = join(dir, c.fabric, 'fabric.json');
    const lo = existsSync(file)
      ? await new FileFabricStore(join(dir, c.fabric)).read(
          (f) => renderPodAddrBrief(f, '/run/netns/web-1').split('\n')[0]! + '\n',
        )
      : '(no fabric)';
    t.equal(lo, c.lo, `${c.name}: ip -br addr`);
  }
});

// The same through the executable cni/bin/loopback (what a runtime forks): a separate process only
// knows the fabric its config names, so the config gives flat's dataDir.
t.test('cni/bin/loopback brings lo up in the fabric its dataDir names', async (t) => {
  ensureBuilt();
  const dir = mkdtempSync(join(tmpdir(), 'netlab-loopback-bin-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const registry = createPluginRegistry({ hostLocal: { openStore: () => new MemoryStore() } });
  const env = (cmd: string) => ({
    CNI_COMMAND: cmd,
    CNI_CONTAINERID: 'web-1',
    CNI_NETNS: '/run/netns/web-1',
    CNI_IFNAME: cmd === 'ADD' ? 'eth0' : 'lo',
    CNI_PATH: builtinPluginDir,
  });
  const flat = await runPlugin(registry.plugins.get('flat')!, {
    env: env('ADD'),
    stdin: Buffer.from(
      JSON.stringify({
        cniVersion: '1.0.0',
        name: 'pods',
        type: 'flat',
        node: 'node-a',
        dataDir: dir,
        ipam: { type: 'host-local', ranges: [[{ subnet: '10.244.0.0/24' }]] },
      }),
    ),
  });
  t.equal(flat.exitCode, 0, 'flat ADD');
  const lo = JSON.stringify({ cniVersion: '1.0.0', name: 'pods', type: 'loopback', dataDir: dir });
  const steps: { cmd: string; code: number; lo: string }[] = [
    { cmd: 'ADD', code: 0, lo: 'lo               UNKNOWN        127.0.0.1/8 ::1/128 \n' },
    { cmd: 'CHECK', code: 0, lo: 'lo               UNKNOWN        127.0.0.1/8 ::1/128 \n' },
    { cmd: 'DEL', code: 0, lo: 'lo               DOWN           \n' },
    { cmd: 'CHECK', code: 1, lo: 'lo               DOWN           \n' },
  ];
  for (const s of steps) {
    const vars = Object.entries({ PATH: dirname(process.execPath), ...env(s.cmd) }).map(
      ([k, v]) => `${k}=${v}`,
    );
    const r = spawnSync('/usr/bin/env', ['-i', ...vars, join(builtinPluginDir, 'loopback')], { input: lo });
    const shown = await new FileFabricStore(dir).read(
      (f) => `${renderPodAddrBrief(f, '/run/netns/web-1').split('\n')[0]!}\n`,
    );
    t.same({ code: r.status, lo: shown }, { code: s.code, lo: s.lo }, `${s.cmd}: exit code, ip -br addr`);
  }
});

// CHECK's mismatches are what the bridge plugin returns as plain Go errors: CniErrors with the wire
// code 999 (ErrInternal) kept as cniCode beside netlab's string code.
t.test('CHECK mismatches are CniErrors with code 999', async (t) => {
  const fabric = new Fabric();
  fabric.addNode({ name: 'node-a', nodeIPs: ['192.168.49.2'], podCIDRs: ['10.244.0.0/24'] });
  const a = fabric.attach('node-a', {
    network: 'pods',
    containerID: 'web-1',
    ifname: 'eth0',
    netns: '/run/netns/web-1',
    ips: [{ address: '10.244.0.2/24', gateway: '10.244.0.1' }],
    routes: [{ dst: '0.0.0.0/0', gw: '10.244.0.1' }],
  });
  const conf = parseFlatConf(
    new TextEncoder().encode(
      JSON.stringify({ cniVersion: '1.1.0', name: 'pods', ipam: { type: 'host-local' } }),
    ),
  );
  const ipam = {
    cniVersion: '1.1.0',
    ips: [{ address: '10.244.0.2/24', gateway: '10.244.0.1' }],
    routes: [{ dst: '0.0.0.0/0', gw: '10.244.0.1' }],
  };
  const good = flatResult(fabric, a, ipam, conf);
  const cases: { name: string; netns?: string; prev: (r: typeof good) => typeof good; msg: string }[] = [
    {
      name: 'another netns',
      netns: '/run/netns/other',
      prev: (r) => r,
      msg: 'interface eth0 of container web-1 not found in /run/netns/other',
    },
    {
      name: 'container MAC',
      prev: (r) => ({
        ...r,
        interfaces: r.interfaces!.map((i, n) => (n === 2 ? { ...i, mac: '02:00:00:00:00:01' } : i)),
      }),
      msg: "Interface eth0 Mac doesn't match: 02:00:00:00:00:01",
    },
    {
      name: 'an address not made',
      prev: (r) => ({ ...r, ips: [{ address: '10.244.0.9/24', interface: 2 }] }),
      msg: 'Failed to match addr 10.244.0.9/24 on interface eth0',
    },
    {
      name: 'a route not made',
      prev: (r) => ({ ...r, routes: [{ dst: '10.0.0.0/8' }] }),
      msg: 'Failed to match route {Dst:10.0.0.0/8 GW:<nil>}',
    },
  ];
  t.doesNotThrow(() => checkAttachment(fabric, conf, 'web-1', 'eth0', '/run/netns/web-1', good), 'as made');
  for (const c of cases) {
    const err = (() => {
      try {
        checkAttachment(fabric, conf, 'web-1', 'eth0', c.netns ?? '/run/netns/web-1', c.prev(good));
        return undefined;
      } catch (e) {
        return e as CniError;
      }
    })();
    t.same(
      err && { cls: err.constructor.name, cniCode: err.cniCode, code: err.code, msg: err.message },
      { cls: 'CniError', cniCode: 999, code: 'NETLAB_CNI_INTERNAL', msg: c.msg },
      c.name,
    );
  }
});
