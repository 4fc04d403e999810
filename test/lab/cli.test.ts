import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import t from 'tap';

const run = promisify(execFile);
const cli = new URL('../../lab/cli.ts', import.meta.url).pathname;

t.test('netlab version and --help', async (t) => {
  const cases: { args: string[]; expect: RegExp }[] = [
    { args: ['version'], expect: /^kube-netlab \d+\.\d+\.\d+ \(node v\d+/ },
    { args: ['--help'], expect: /Usage: netlab \[options\] \[command\]/ },
  ];
  for (const c of cases) {
    const { stdout } = await run(process.execPath, ['--import=tsx', cli, ...c.args]);
    t.match(stdout, c.expect, c.args.join(' '));
  }
});
