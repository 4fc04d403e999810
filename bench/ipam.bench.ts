// host-local allocation rate: in-process ADDs (the plugin object through the skel, as the invoker
// runs it) filling a /16 with each store, against the baseline of exec'ing Debian's real host-local
// once per ADD, measured in the same run. Medians of 3 runs; every loop is bounded.
//
// The disk store, like the real plugin, walks every reservation file on each ADD (the duplicate
// check), so one ADD costs O(addresses already taken): filling all of a /16 on disk is quadratic
// for both. The disk figures therefore cover the same workload as the baseline: the first EXECS
// addresses of a /16 on a fresh dataDir.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hostLocalPlugin } from '../cni/plugins/host-local.js';
import { runPlugin } from '../cni/skel/skel.js';
import { DiskStore } from '../ipam/hostlocal/disk.js';
import { type HostLocalStore, MemoryStore } from '../ipam/index.js';
import { median } from './median.js';

const REAL = '/usr/lib/cni/host-local';
const OURS = new URL('../cni/bin/host-local', import.meta.url).pathname;
const SLASH16 = 65533; // 10.200.0.2 .. 10.200.255.254 (.1 is the gateway, .255.255 the broadcast)
const EXECS = 200;
const RUNS = 3;

const stdinFor = (dataDir: string) =>
  Buffer.from(
    JSON.stringify({
      cniVersion: '1.0.0',
      name: 'bench',
      ipam: { type: 'host-local', dataDir, ranges: [[{ subnet: '10.200.0.0/16' }]] },
    }),
  );
const env = (id: number) => ({
  CNI_COMMAND: 'ADD',
  CNI_CONTAINERID: `c${id}`,
  CNI_NETNS: '/x',
  CNI_IFNAME: 'eth0',
  CNI_PATH: '/usr/lib/cni',
});

/** ADDs per second of `n` in-process ADDs on a fresh store. */
async function inProcess(
  n: number,
  open: (dataDir: string) => (name: string, dir: string) => HostLocalStore,
): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'netlab-bench-ipam-'));
  try {
    const plugin = hostLocalPlugin({ openStore: open(dir) });
    const stdin = stdinFor(dir);
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      const out = await runPlugin(plugin, { env: env(i), stdin });
      if (out.exitCode !== 0) throw new Error(`ADD ${i} failed: ${out.stdout}`);
    }
    return n / ((performance.now() - t0) / 1000);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** ADDs per second exec'ing a plugin binary once per ADD. */
function execs(bin: string, n: number): number {
  const dir = mkdtempSync(join(tmpdir(), 'netlab-bench-ipam-'));
  try {
    const stdin = stdinFor(dir);
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      const vars = Object.entries(env(i)).map(([k, v]) => `${k}=${v}`);
      const r = spawnSync('/usr/bin/env', ['-i', ...vars, bin], { input: stdin });
      if (r.status !== 0) throw new Error(`exec ADD ${i} failed: ${String(r.stdout)}`);
    }
    return n / ((performance.now() - t0) / 1000);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const memory = () => {
  const s = new MemoryStore();
  return () => s;
};
const disk = (lock: 'flock' | 'none') => () => (name: string, dir: string) =>
  new DiskStore(name, dir, { lock });

const fmt = (x: number) => x.toFixed(0).padStart(9);
const rows: Array<[string, number]> = [];

if (!existsSync(REAL)) {
  console.log(
    `baseline unavailable: no ${REAL} (apt-get install containernetworking-plugins); in-process figures only`,
  );
}
const baseline = existsSync(REAL)
  ? median(Array.from({ length: RUNS }, () => execs(REAL, EXECS)))
  : Number.NaN;

const mem: number[] = [];
for (let r = 0; r < RUNS; r++) mem.push(await inProcess(SLASH16, memory));
rows.push([`in-process, memory store, fill a /16 (${SLASH16} ADDs)`, median(mem)]);
const diskNone: number[] = [];
const diskFlock: number[] = [];
for (let r = 0; r < RUNS; r++) {
  diskNone.push(await inProcess(EXECS, disk('none')));
  diskFlock.push(await inProcess(EXECS, disk('flock')));
}
rows.push([`in-process, disk store (O_EXCL only), first ${EXECS} of a /16`, median(diskNone)]);
rows.push([`in-process, disk store + flock(1), first ${EXECS} of a /16`, median(diskFlock)]);
if (existsSync(OURS))
  rows.push([`exec cni/bin/host-local per ADD (${EXECS} ADDs)`, median([execs(OURS, EXECS)])]);

console.log(`baseline: exec ${REAL} per ADD (${EXECS} ADDs, median of ${RUNS}): ${fmt(baseline)} ADD/s`);
for (const [name, rate] of rows) {
  const ratio = Number.isNaN(baseline) ? 'n/a' : `${(rate / baseline).toFixed(1)}x`;
  console.log(`${name.padEnd(62)} ${fmt(rate)} ADD/s   ${ratio} the baseline`);
}
