import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import t from 'tap';
import {
  createPluginRegistry,
  Fabric,
  formatResult,
  Invoker,
  MemoryFabricStore,
  parseConfList,
  renderNetnsRoutes,
  renderNodeAddrBrief,
  renderNodeRoutes,
  renderPodAddrBrief,
  renderRouteGet,
} from '../../cni/index.js';
import { ensureBuilt } from '../cni/built.js';
import { interopTest, missingExecutable, unshareDenied } from '../index.js';

// flat, run as the executable cni/bin/flat, delegating IPAM to `host-local` found on CNI_PATH:
// Debian's real binary (/usr/lib/cni) or ours (cni/bin). Every run is under an empty environment
// plus the CNI variables (and PATH, for the #! line).
// Some 300 node processes in all: on a busy 2-core machine that can outlast tap's default limit.
t.setTimeout(300_000);

const realHostLocal = '/usr/lib/cni/host-local';
const skip = missingExecutable(realHostLocal, 'containernetworking-plugins');
const root = new URL('../../', import.meta.url).pathname;
const ourBin = join(root, 'cni/bin');
const flat = join(ourBin, 'flat');

// The executables import the built module: build it when a source is newer.
ensureBuilt();

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runFlat(command: string, stdin: string, env: Record<string, string>): Promise<Run> {
  return new Promise((resolve, reject) => {
    // `env -i` for real: tap's process tracking adds NODE_OPTIONS to every child it sees spawned,
    // and its require hook cannot load an extensionless ES module such as cni/bin/flat.
    const vars = { PATH: dirname(process.execPath), CNI_COMMAND: command, ...env };
    const child = spawn('/usr/bin/env', ['-i', ...Object.entries(vars).map(([k, v]) => `${k}=${v}`), flat], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b) => {
      stdout += b;
    });
    child.stderr.on('data', (b) => {
      stderr += b;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

// dataDir as a canonical listing: name, mode, bytes (CR shown as \r).
function dump(dir: string): string {
  if (!existsSync(dir)) return '(none)';
  return readdirSync(dir)
    .sort()
    .map((f) => {
      const p = join(dir, f);
      const mode = (statSync(p).mode & 0o777).toString(8);
      return `${f} ${mode} ${JSON.stringify(readFileSync(p, 'utf8'))}`;
    })
    .join('\n');
}

function conf(version: string, dir: string): string {
  return JSON.stringify({
    cniVersion: version,
    name: 'cbr0',
    type: 'flat',
    node: 'node-a',
    nodeIPs: ['192.168.49.2'],
    dataDir: join(dir, 'fabric'),
    ipam: {
      type: 'host-local',
      dataDir: join(dir, 'ipam'),
      ranges: [[{ subnet: '10.244.0.0/24' }], [{ subnet: 'fd00:10:244::/64' }]],
      routes: [{ dst: '10.244.0.0/16' }],
    },
  });
}

const attach = (id: string) => ({ CNI_CONTAINERID: id, CNI_NETNS: `/run/netns/${id}`, CNI_IFNAME: 'eth0' });

interopTest(t, 'flat with ipam.type host-local resolved on CNI_PATH to the real binary', skip, async (t) => {
  const cases: { version: string; want: string }[] = [
    {
      version: '1.0.0',
      want: `{
    "cniVersion": "1.0.0",
    "interfaces": [
        {
            "name": "cni0",
            "mac": "2a:ad:48:0b:30:72"
        },
        {
            "name": "veth40e3da9f",
            "mac": "7e:e7:7d:4c:fe:c2"
        },
        {
            "name": "eth0",
            "mac": "8e:c1:68:47:7c:05",
            "sandbox": "/run/netns/c1"
        }
    ],
    "ips": [
        {
            "interface": 2,
            "address": "10.244.0.2/24",
            "gateway": "10.244.0.1"
        },
        {
            "interface": 2,
            "address": "fd00:10:244::2/64",
            "gateway": "fd00:10:244::1"
        }
    ],
    "routes": [
        {
            "dst": "10.244.0.0/16"
        }
    ],
    "dns": {}
}`,
    },
    {
      version: '0.4.0',
      want: `{
    "cniVersion": "0.4.0",
    "interfaces": [
        {
            "name": "cni0",
            "mac": "2a:ad:48:0b:30:72"
        },
        {
            "name": "veth40e3da9f",
            "mac": "7e:e7:7d:4c:fe:c2"
        },
        {
            "name": "eth0",
            "mac": "8e:c1:68:47:7c:05",
            "sandbox": "/run/netns/c1"
        }
    ],
    "ips": [
        {
            "version": "4",
            "interface": 2,
            "address": "10.244.0.2/24",
            "gateway": "10.244.0.1"
        },
        {
            "version": "6",
            "interface": 2,
            "address": "fd00:10:244::2/64",
            "gateway": "fd00:10:244::1"
        }
    ],
    "routes": [
        {
            "dst": "10.244.0.0/16"
        }
    ],
    "dns": {}
}`,
    },
    {
      version: '0.2.0',
      want: `{
    "cniVersion": "0.2.0",
    "ip4": {
        "ip": "10.244.0.2/24",
        "gateway": "10.244.0.1",
        "routes": [
            {
                "dst": "10.244.0.0/16"
            }
        ]
    },
    "ip6": {
        "ip": "fd00:10:244::2/64",
        "gateway": "fd00:10:244::1"
    },
    "dns": {}
}`,
    },
  ];
  // Each (version, host-local) pair runs its steps in order on its own dirs; the six pairs run side
  // by side (most of the time is process start-up).
  const byVersion = cases.map(async (c) => {
    const sides = ['/usr/lib/cni', ourBin].map(async (cniPath) => {
      const dir = mkdtempSync(join(tmpdir(), 'netlab-flat-'));
      t.teardown(() => rmSync(dir, { recursive: true, force: true }));
      const env = { ...attach('c1'), CNI_PATH: cniPath };
      const add = await runFlat('ADD', conf(c.version, dir), env);
      t.same(add, { code: 0, stdout: c.want, stderr: '' }, `${c.version} ADD via ${cniPath}`);
      const afterAdd = dump(join(dir, 'ipam', 'cbr0'));
      const fabric = JSON.parse(readFileSync(join(dir, 'fabric', 'fabric.json'), 'utf8'));
      t.same(
        fabric.attachments.map((a: { containerID: string; ips: { address: string }[] }) => [
          a.containerID,
          a.ips.map((i) => i.address),
        ]),
        [['c1', ['10.244.0.2/24', 'fd00:10:244::2/64']]],
        `${c.version} fabric attachment via ${cniPath}`,
      );
      const withPrev = JSON.stringify({
        ...JSON.parse(conf(c.version, dir)),
        prevResult: JSON.parse(add.stdout),
      });
      if (c.version !== '0.2.0') {
        t.same(
          await runFlat('CHECK', withPrev, env),
          { code: 0, stdout: '', stderr: '' },
          `${c.version} CHECK`,
        );
        // Take the reservations away behind host-local's back: CHECK fails with the delegate's error.
        unlinkSync(join(dir, 'ipam', 'cbr0', '10.244.0.2'));
        unlinkSync(join(dir, 'ipam', 'cbr0', 'fd00:10:244::2'));
        t.same(
          await runFlat('CHECK', withPrev, env),
          {
            code: 1,
            stdout:
              '{\n    "code": 999,\n    "msg": "host-local: Failed to find address added by container c1"\n}',
            stderr: '',
          },
          `${c.version} CHECK without the reservation`,
        );
      }
      for (const round of [1, 2])
        t.same(
          await runFlat('DEL', conf(c.version, dir), env),
          { code: 0, stdout: '', stderr: '' },
          `DEL #${round}`,
        );
      t.equal(
        dump(join(dir, 'ipam', 'cbr0'))
          .split('\n')
          .map((l) => l.split(' ')[0])
          .join(' '),
        'last_reserved_ip.0 last_reserved_ip.1 lock',
      );
      t.same(JSON.parse(readFileSync(join(dir, 'fabric', 'fabric.json'), 'utf8')).attachments, []);
      return afterAdd;
    });
    const dumps = await Promise.all(sides);
    t.equal(dumps[1], dumps[0], `${c.version}: our host-local leaves the same dataDir as the real one`);
    t.equal(
      dumps[0],
      [
        'fd00:10:244::2 644 "c1\\r\\neth0"',
        '10.244.0.2 644 "c1\\r\\neth0"',
        'last_reserved_ip.0 644 "10.244.0.2"',
        'last_reserved_ip.1 644 "fd00:10:244::2"',
        'lock 750 ""',
      ]
        .sort()
        .join('\n'),
      `${c.version}: dataDir`,
    );
  });
  await Promise.all(byVersion);
});

/**
 * Runs `f` over `items` with at most 25 processes alive at once, results in order. A hundred Node.js
 * processes starting together on two cores take long enough that a writer can wait out the fabric
 * lock's 30 s (CNI code 11, try again), which is the plugin's answer to overload, not a race lost.
 */
async function inWaves<T, R>(items: readonly T[], f: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await f(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: 25 }, worker));
  return out;
}

interopTest(
  t,
  '100 ADDs, 25 at a time, 50 through our host-local and 50 through the real one, on one dataDir',
  skip,
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'netlab-flat-race-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const stdin = JSON.stringify({
      cniVersion: '1.0.0',
      name: 'cbr0',
      type: 'flat',
      node: 'node-a',
      dataDir: join(dir, 'fabric'),
      ipam: { type: 'host-local', dataDir: join(dir, 'ipam'), ranges: [[{ subnet: '10.244.0.0/24' }]] },
    });
    const ids = Array.from({ length: 100 }, (_, i) => `pod${i}`);
    const runs = await inWaves(ids, (id, i) =>
      runFlat('ADD', stdin, { ...attach(id), CNI_PATH: i % 2 === 0 ? ourBin : '/usr/lib/cni' }),
    );
    const failed = runs.filter((r) => r.code !== 0);
    t.same(failed, [], 'every ADD succeeded');
    const addrs = runs.map((r) => JSON.parse(r.stdout).ips[0].address as string);
    t.equal(new Set(addrs).size, 100, '100 distinct addresses');
    // Both take host-local's flock on <dataDir>/cbr0/lock around each allocation, so the round-robin
    // stays exact across processes, as host-local's disk store locks it: .2 to .101, no gap. O_EXCL alone would only
    // keep them distinct.
    t.same(
      [...addrs].sort(
        (a, b) => Number(a.split('.')[3]!.split('/')[0]) - Number(b.split('.')[3]!.split('/')[0]),
      ),
      Array.from({ length: 100 }, (_, i) => `10.244.0.${i + 2}/24`),
      'consecutive addresses: the flock is honoured by both',
    );
    const ipamFiles = readdirSync(join(dir, 'ipam', 'cbr0')).sort();
    const want = [...addrs.map((a) => a.split('/')[0]!), 'last_reserved_ip.0', 'lock'].sort();
    t.same(
      ipamFiles,
      want,
      'the ipam dataDir holds the 100 reservations, last_reserved_ip.0 and lock, nothing else',
    );
    for (const [i, id] of ids.entries())
      t.equal(
        readFileSync(join(dir, 'ipam', 'cbr0', addrs[i]!.split('/')[0]!), 'utf8'),
        `${id}\r\neth0`,
        `${id} reservation`,
      );
    t.same(
      readdirSync(join(dir, 'fabric')),
      ['fabric.json'],
      'the fabric dataDir holds only fabric.json (no lock, no temp file)',
    );
    const fabric = JSON.parse(readFileSync(join(dir, 'fabric', 'fabric.json'), 'utf8'));
    t.same(
      fabric.attachments
        .map(
          (a: { containerID: string; ips: { address: string }[] }) => `${a.containerID} ${a.ips[0]!.address}`,
        )
        .sort(),
      ids.map((id, i) => `${id} ${addrs[i]}`).sort(),
      'the fabric has every attachment with its address',
    );
    const dels = await inWaves(ids, (id, i) =>
      runFlat('DEL', stdin, { ...attach(id), CNI_PATH: i % 2 === 1 ? ourBin : '/usr/lib/cni' }),
    );
    t.same(
      dels.filter((r) => r.code !== 0 || r.stdout !== ''),
      [],
      'every DEL succeeded',
    );
    t.same(readdirSync(join(dir, 'ipam', 'cbr0')).sort(), ['last_reserved_ip.0', 'lock'], 'all released');
  },
);

// The fabric's listings against a real node: Debian's bridge + host-local + loopback run inside
// `unshare --net --mount` (eth0 is one end of a veth pair there, its peer `uplink0` is dropped from
// the comparison), and the same pod attached in the fabric through flat. MACs, veth names, interface
// indexes and EUI-64 link-locals are random on the real side, so they are masked on both. flat's
// result is compared with the bridge plugin's the same way.
const unshareProbe =
  unshareDenied('--net', '--mount') ||
  missingExecutable('/usr/lib/cni/bridge', 'containernetworking-plugins');

const routeGets = [
  '10.244.1.7',
  '10.244.0.2',
  '192.168.49.3',
  '192.168.49.2',
  '10.244.0.1',
  '8.8.8.8',
  'fd00:10:244:1::7',
  'fd00:10:244::2',
  'fd00:49::2',
];

const realNodeScript = (dir: string) => `set -e
mkdir -p /run/netns; mount -t tmpfs none /run/netns
ip link set lo up
ip link add eth0 type veth peer name uplink0; ip link set uplink0 up
ip addr add 192.168.49.2/24 dev eth0; ip -6 addr add fd00:49::2/64 dev eth0 nodad; ip link set eth0 up
ip route add 10.244.1.0/24 via 192.168.49.3
ip -6 route add fd00:10:244:1::/64 via fd00:49::3
ip netns add pod1
export CNI_CONTAINERID=c1 CNI_NETNS=/run/netns/pod1 CNI_PATH=/usr/lib/cni
echo '{"cniVersion":"1.0.0","name":"cbr0","type":"bridge","bridge":"cni0","isGateway":true,"ipam":{"type":"host-local","dataDir":"${dir}/ipam","ranges":[[{"subnet":"10.244.0.0/24"}],[{"subnet":"fd00:10:244::/64"}]],"routes":[{"dst":"10.244.0.0/16"}]}}' | CNI_COMMAND=ADD CNI_IFNAME=eth0 /usr/lib/cni/bridge > ${dir}/bridge.json
echo '{"cniVersion":"1.0.0","name":"cbr0","type":"loopback"}' | CNI_COMMAND=ADD CNI_IFNAME=lo /usr/lib/cni/loopback >/dev/null
ip -6 addr show | grep -q tentative && sleep 2
echo '### bridge result'; cat ${dir}/bridge.json; echo
echo '### node addr'; ip -br addr
echo '### node route'; ip route
echo '### node route6'; ip -6 route
echo '### pod addr'; ip netns exec pod1 ip -br addr
echo '### pod route'; ip netns exec pod1 ip route
echo '### pod route6'; ip netns exec pod1 ip -6 route
for a in ${routeGets.join(' ')}; do echo "### get $a"; ip route get $a 2>&1 || true; done
`;

function mask(text: string): string {
  return text
    .split('\n')
    .filter((l) => !l.startsWith('uplink0') && !l.includes('dev uplink0'))
    .map((l) => l.replace(/^eth0@uplink0 */, 'eth0'.padEnd(17)))
    .join('\n')
    .replace(/fe80::[0-9a-f:]+\/64/g, 'fe80::EUI64/64')
    .replace(/veth[0-9a-f]{8}/g, 'vethXXXXXXXX')
    .replace(/@if\d+/g, '@ifN')
    .replace(/"([0-9a-f]{2}:){5}[0-9a-f]{2}"/g, '"MAC"');
}

interopTest(
  t,
  'the fabric lists a node and a pod as a real bridge + host-local node does',
  unshareProbe || skip,
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'netlab-flat-realnode-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const out = execFileSync('unshare', ['--net', '--mount', 'sh', '-c', realNodeScript(dir)], {
      encoding: 'utf8',
    });
    const real = new Map<string, string>();
    for (const part of out.split('### ').slice(1)) {
      const nl = part.indexOf('\n');
      real.set(part.slice(0, nl), part.slice(nl + 1));
    }
    // Our side: the same two nodes, the same pod through flat (our host-local, a fresh dataDir).
    const fabric = new Fabric();
    fabric.addNode({
      name: 'node-a',
      nodeIPs: ['192.168.49.2', 'fd00:49::2'],
      podCIDRs: ['10.244.0.0/24', 'fd00:10:244::/64'],
    });
    fabric.addNode({
      name: 'node-b',
      nodeIPs: ['192.168.49.3', 'fd00:49::3'],
      podCIDRs: ['10.244.1.0/24', 'fd00:10:244:1::/64'],
    });
    const registry = createPluginRegistry({ store: new MemoryFabricStore(fabric) });
    const invoker = new Invoker({
      cniPath: [ourBin],
      cacheDir: join(dir, 'cache'),
      env: {},
      inProcess: registry.resolver,
    });
    const list = parseConfList(
      JSON.stringify({
        cniVersion: '1.0.0',
        name: 'cbr0',
        plugins: [
          {
            type: 'flat',
            node: 'node-a',
            ipam: {
              type: 'host-local',
              dataDir: join(dir, 'ours'),
              ranges: [[{ subnet: '10.244.0.0/24' }], [{ subnet: 'fd00:10:244::/64' }]],
              routes: [{ dst: '10.244.0.0/16' }],
            },
          },
          { type: 'loopback' },
        ],
      }),
    );
    const result = await invoker.addNetworkList(list, {
      containerID: 'c1',
      netns: '/run/netns/pod1',
      ifName: 'eth0',
    });
    const ours = new Map<string, string>([
      ['bridge result', `${formatResult(result!)}\n`],
      ['node addr', renderNodeAddrBrief(fabric, 'node-a')],
      ['node route', renderNodeRoutes(fabric, 'node-a', 4)],
      ['node route6', renderNodeRoutes(fabric, 'node-a', 6)],
      ['pod addr', renderPodAddrBrief(fabric, '/run/netns/pod1')],
      ['pod route', renderNetnsRoutes(fabric, '/run/netns/pod1', 4)],
      ['pod route6', renderNetnsRoutes(fabric, '/run/netns/pod1', 6)],
    ]);
    for (const ip of routeGets) ours.set(`get ${ip}`, renderRouteGet(fabric, 'node-a', ip));
    for (const [name, text] of ours) t.equal(mask(text), mask(real.get(name) ?? '(missing)'), name);
  },
);
