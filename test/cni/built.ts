// Tests that spawn the executables (cni/bin/*) or the `netlab` CLI run the built dist/ with plain
// `node`: no TypeScript compile per process, which is most of a spawn's cost. `npm test` builds
// before tap; a lone `npx tap` after an edit would run a stale dist/, so this builds first when any
// source is newer than its output (under a lock, so test files starting together build in turn).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('../../', import.meta.url));
/** The `netlab` CLI as built. */
export const builtCli = join(root, 'dist/lab/cli.js');

// The folders tsconfig.build.json compiles, and std/, which it compiles as their import.
const sourceDirs = ['api', 'ipam', 'cni', 'proxy', 'dns', 'lab', 'std'];

function mtime(path: string): number | undefined {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return undefined;
  }
}

function stale(dir: string): boolean {
  for (const e of readdirSync(join(root, dir), { withFileTypes: true })) {
    const rel = `${dir}/${e.name}`;
    if (e.isDirectory()) {
      if (stale(rel)) return true;
    } else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) {
      const out = mtime(join(root, 'dist', rel.replace(/\.ts$/, '.js')));
      if (out === undefined || out < mtime(join(root, rel))!) return true;
    }
  }
  return false;
}

// One lock per checkout: a build in another checkout on the machine leaves this dist/ as stale as it was.
const lock = `/tmp/netlab-build-${createHash('sha256').update(root).digest('hex').slice(0, 16)}.lock`;
const conflict = 200;

/** Builds dist/ unless every source file's output is at least as new as the source. */
export function ensureBuilt(): void {
  if (!sourceDirs.some(stale)) return;
  // `env -u NODE_OPTIONS`: under tap every child gets its process-info loader in NODE_OPTIONS (set on
  // the spawn, whatever env is passed), and tsc does not load under it.
  const tsc = [
    'env',
    '-u',
    'NODE_OPTIONS',
    process.execPath,
    join(root, 'node_modules/typescript/bin/tsc'),
    '-p',
    join(root, 'tsconfig.build.json'),
  ];
  // One builder at a time; a test file that finds another one building waits for it and builds
  // nothing itself (rewriting dist/ under a running test could show it a half-written module).
  // tsc exits non-zero for type errors in others' work in progress but still writes every file.
  const r = spawnSync('flock', ['-n', '-E', String(conflict), lock, ...tsc], { stdio: 'ignore' });
  if (r.status === conflict) spawnSync('flock', [lock, 'true'], { stdio: 'ignore' });
}
