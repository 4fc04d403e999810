// The door of test/: what tests of several areas share. Tests are test/**/*.test.ts (tap, via tsx);
// this file is not one of them.
import { execFile } from 'node:child_process';

/** Vectors copied from upstream test suites, each named in its README (test/fixtures/upstream/). */
export const upstreamDir = new URL('./fixtures/upstream/', import.meta.url).pathname;

const cli = new URL('../lab/cli.ts', import.meta.url).pathname;

/** Runs `netlab ARGS...` from source in a child process; never throws for a non-zero exit. */
export function netlab(
  args: readonly string[],
  opts: { input?: string } = {},
): Promise<{ stdout: string; stderr: string; code: number }> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      ['--import=tsx', cli, ...args],
      { maxBuffer: 1 << 26 },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === 'number' ? err.code : 1;
        resolve({ stdout, stderr, code });
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}
