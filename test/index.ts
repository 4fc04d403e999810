// The door of test/: what tests of several areas share. Tests are test/**/*.test.ts (tap, via tsx);
// this file is not one of them.
import { execFile, spawnSync } from 'node:child_process';
import { accessSync, constants, readdirSync, statSync } from 'node:fs';
import type { Test, TestOpts } from 'tap';

/** Vectors copied from upstream test suites, each named in its README (test/fixtures/upstream/). */
export const upstreamDir = new URL('./fixtures/upstream/', import.meta.url).pathname;

const root = new URL('../', import.meta.url).pathname;

/** The newest modification time of the TypeScript sources the build compiles. */
function newestSource(): number {
  let newest = 0;
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) walk(`${dir}/${e.name}`);
      else if (e.name.endsWith('.ts')) newest = Math.max(newest, statSync(`${dir}/${e.name}`).mtimeMs);
    }
  };
  for (const folder of ['api', 'ipam', 'cni', 'proxy', 'dns', 'lab', 'std']) walk(`${root}${folder}`);
  return newest;
}

/**
 * How a test starts `netlab`: `node ...netlabArgv ARGS`. `npm test` builds dist/ before tap runs,
 * and the built command line starts in a third of the time tsx needs to compile the sources, which
 * is most of what the command-line tests cost; when a source is newer than the build (a test run
 * by hand after an edit), the sources themselves run through tsx.
 */
export const netlabArgv: readonly string[] = (() => {
  const built = `${root}dist/lab/cli.js`;
  try {
    if (statSync(built).mtimeMs >= newestSource()) return [built];
  } catch {}
  return ['--import=tsx', `${root}lab/cli.ts`];
})();

/** Runs `netlab ARGS...` from source in a child process; never throws for a non-zero exit. */
export function netlab(
  args: readonly string[],
  opts: { input?: string } = {},
): Promise<{ stdout: string; stderr: string; code: number }> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [...netlabArgv, ...args],
      { maxBuffer: 1 << 26 },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === 'number' ? err.code : 1;
        resolve({ stdout, stderr, code });
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

/**
 * `netlab ARGS...` in this process, built and run as lab/cli.ts does (buildProgram, runProgram):
 * what it wrote on stdout and stderr and the exit status it set. For what is not about the process
 * itself; a child (`netlab`) costs a Node start and the program's load, a second or more on a busy
 * machine. Never throws for a non-zero status.
 */
export async function netlabInProcess(
  args: readonly string[],
): Promise<{ stdout: string; stderr: string; code: number }> {
  const { buildProgram } = await import('../lab/program.js');
  const { runProgram } = await import('../lab/run/errors.js');
  const program = await buildProgram(['node', 'netlab', ...args]);
  // A usage error (or --help) ends in commander's process.exit; here it throws its status instead.
  const override = (c: typeof program): void => {
    c.exitOverride();
    for (const sub of c.commands) override(sub);
  };
  override(program);
  let stdout = '';
  let stderr = '';
  const write = { out: process.stdout.write, err: process.stderr.write };
  process.stdout.write = ((s: string | Uint8Array) => {
    stdout += String(s);
    return true;
  }) as typeof process.stdout.write;
  process.stderr.write = ((s: string | Uint8Array) => {
    stderr += String(s);
    return true;
  }) as typeof process.stderr.write;
  const exitCode = process.exitCode;
  process.exitCode = undefined;
  let code: number;
  try {
    await runProgram(program, args, { from: 'user' });
  } catch (e) {
    const { CommanderError } = await import('commander');
    if (!(e instanceof CommanderError)) throw e;
    process.exitCode = e.exitCode;
  } finally {
    process.stdout.write = write.out;
    process.stderr.write = write.err;
    code = Number(process.exitCode ?? 0);
    process.exitCode = exitCode;
  }
  return { stdout, stderr, code };
}

/**
 * Set by .ci/run: on a machine that is meant to have every tool, an interop test that cannot run is
 * a failure that says why, never a quiet skip.
 */
export const requireInterop = process.env.NETLAB_REQUIRE_INTEROP === '1';

/**
 * A test that drives a real tool or needs the machine's privileges. `missing` is why it cannot run
 * here (false when it can): the test is skipped with that reason, or fails with it under
 * NETLAB_REQUIRE_INTEROP=1. Every interop test goes through this one door.
 */
export function interopTest(
  parent: Test,
  name: string,
  missing: string | false,
  body: (t: Test) => unknown,
  opts: TestOpts = {},
): Promise<unknown> {
  if (missing !== false && requireInterop) {
    return parent.test(name, opts, async (t) => {
      t.fail(`${missing} (NETLAB_REQUIRE_INTEROP=1: interop tests may not skip)`);
    });
  }
  return parent.test(name, { ...opts, skip: missing }, async (t) => {
    await body(t);
  });
}

/** Why an executable is missing (false when `path` can be run), naming the Debian package. */
export function missingExecutable(path: string, debianPackage: string): string | false {
  try {
    accessSync(path, constants.X_OK);
    return false;
  } catch {
    return `no ${path}: apt-get install ${debianPackage}`;
  }
}

/** Why `command` is not on PATH (false when it is), naming the Debian package. */
export function missingCommand(command: string, debianPackage: string): string | false {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (dir !== '' && missingExecutable(`${dir}/${command}`, debianPackage) === false) return false;
  }
  return `no ${command} on PATH: apt-get install ${debianPackage}`;
}

/** Why `unshare FLAGS... true` does not run here (false when it does), with unshare's own words. */
export function unshareDenied(...flags: string[]): string | false {
  const r = spawnSync('unshare', [...flags, 'true']);
  const cmd = ['unshare', ...flags].join(' ');
  if (r.error !== undefined) return `${cmd}: ${r.error.message}: apt-get install util-linux`;
  if (r.status !== 0) {
    const why = r.stderr.toString().trim() || `exit ${r.status}`;
    return `${cmd} is not permitted here (${why}); run as root or with CAP_SYS_ADMIN`;
  }
  return false;
}

/** Why a test that needs root cannot run (false when this process is root). */
export function missingRoot(why: string): string | false {
  return process.getuid?.() === 0 ? false : `needs root (${why})`;
}
