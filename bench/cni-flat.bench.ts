// bench/cni-flat: pod network set-up and tear-down (CNI ADD + DEL of one pod) through flat, the way
// a runtime pays for it, against the baseline of exec'ing Debian's host-local alone (the cheapest
// thing a real runtime could do for a pod: IPAM only, no interface at all) in the same run.
// Figures are ADD+DEL pairs per second, the median of RUNS runs; exec runs are bounded to PAIRS pairs.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  builtinPluginDir,
  createPluginRegistry,
  Fabric,
  Invoker,
  MemoryFabricStore,
  parseConfList,
} from '../cni/index.js';
import { type HostLocalStore, MemoryStore } from '../ipam/index.js';
import { median } from './median.js';

const RUNS = Number(process.env.CNI_BENCH_RUNS ?? 3);
const PAIRS = Number(process.env.CNI_BENCH_PAIRS ?? 20);
const IN_PROCESS_MS = 1500;
const realHostLocal = '/usr/lib/cni/host-local';
const root = new URL('../', import.meta.url).pathname;

if (!existsSync(join(root, 'dist/cni/plugins/index.js')))
  execFileSync(process.execPath, [
    join(root, 'node_modules/typescript/bin/tsc'),
    '-p',
    join(root, 'tsconfig.build.json'),
  ]);

function exec(bin: string, env: Record<string, string>, stdin: string): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, [], {
      env: { PATH: '/usr/bin:/bin', ...env },
      stdio: ['pipe', 'ignore', 'inherit'],
    });
    child.on('error', reject);
    child.on('close', resolve);
    child.stdin.end(stdin);
  });
}

async function execPairs(bin: string, cniPath: string, kind: 'ipam' | 'flat'): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'netlab-bench-cni-'));
  try {
    const ipam = { type: 'host-local', dataDir: join(dir, 'ipam'), ranges: [[{ subnet: '10.244.0.0/16' }]] };
    const stdin = JSON.stringify(
      kind === 'ipam'
        ? { cniVersion: '1.0.0', name: 'bench', ipam }
        : {
            cniVersion: '1.0.0',
            name: 'bench',
            type: 'flat',
            node: 'node-a',
            dataDir: join(dir, 'fabric'),
            ipam,
          },
    );
    const start = performance.now();
    for (let i = 0; i < PAIRS; i++) {
      const env = {
        CNI_CONTAINERID: `c${i}`,
        CNI_NETNS: `/run/netns/c${i}`,
        CNI_IFNAME: 'eth0',
        CNI_PATH: cniPath,
      };
      if ((await exec(bin, { ...env, CNI_COMMAND: 'ADD' }, stdin)) !== 0)
        throw new Error(`${bin} ADD failed`);
      if ((await exec(bin, { ...env, CNI_COMMAND: 'DEL' }, stdin)) !== 0)
        throw new Error(`${bin} DEL failed`);
    }
    return PAIRS / ((performance.now() - start) / 1000);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function inProcessPairs(memoryIpam: boolean): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'netlab-bench-cni-'));
  try {
    const fabric = new Fabric();
    fabric.addNode({ name: 'node-a', nodeIPs: ['192.168.49.2'], podCIDRs: ['10.244.0.0/16'] });
    const stores = new Map<string, HostLocalStore>();
    const registry = createPluginRegistry({
      store: new MemoryFabricStore(fabric),
      ...(memoryIpam
        ? {
            hostLocal: {
              openStore: (network: string) => {
                let s = stores.get(network);
                if (s === undefined) {
                  s = new MemoryStore();
                  stores.set(network, s);
                }
                return s;
              },
            },
          }
        : {}),
    });
    const invoker = new Invoker({
      cniPath: [builtinPluginDir],
      cacheDir: join(dir, 'cache'),
      env: {},
      inProcess: registry.resolver,
    });
    const list = parseConfList(
      JSON.stringify({
        cniVersion: '1.0.0',
        name: 'bench',
        plugins: [
          {
            type: 'flat',
            node: 'node-a',
            ipam: { type: 'host-local', dataDir: join(dir, 'ipam'), ranges: [[{ subnet: '10.244.0.0/16' }]] },
          },
        ],
      }),
    );
    let n = 0;
    const start = performance.now();
    while (performance.now() - start < IN_PROCESS_MS) {
      const rt = { containerID: `c${n}`, netns: `/run/netns/c${n}`, ifName: 'eth0' };
      await invoker.addNetworkList(list, rt);
      await invoker.delNetworkList(list, rt);
      n++;
    }
    return n / ((performance.now() - start) / 1000);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (!existsSync(realHostLocal)) {
  process.stdout.write(`skipped: no ${realHostLocal} (apt-get install containernetworking-plugins)\n`);
  process.exit(0);
}

const rows: { name: string; runs: number[] }[] = [
  { name: 'baseline: exec Debian host-local (IPAM only)', runs: [] },
  { name: 'exec cni/bin/flat -> exec Debian host-local', runs: [] },
  { name: 'exec cni/bin/flat -> our host-local in-process', runs: [] },
  { name: 'in-process invoker: flat + host-local (disk store)', runs: [] },
  { name: 'in-process invoker: flat + host-local (memory store)', runs: [] },
];
for (let r = 0; r < RUNS; r++) {
  rows[0]!.runs.push(await execPairs(realHostLocal, '/usr/lib/cni', 'ipam'));
  rows[1]!.runs.push(await execPairs(join(builtinPluginDir, 'flat'), '/usr/lib/cni', 'flat'));
  rows[2]!.runs.push(await execPairs(join(builtinPluginDir, 'flat'), builtinPluginDir, 'flat'));
  rows[3]!.runs.push(await inProcessPairs(false));
  rows[4]!.runs.push(await inProcessPairs(true));
}
const base = median(rows[0]!.runs);
process.stdout.write(`pod ADD+DEL pairs per second, median of ${RUNS} runs\n`);
for (const row of rows) {
  const m = median(row.runs);
  process.stdout.write(`${row.name.padEnd(56)} ${m.toFixed(1).padStart(9)} /s  x${(m / base).toFixed(2)}\n`);
}
