import t from 'tap';
import { netlab } from '../index.js';

t.test('netlab version and --help', async (t) => {
  const cases: { args: string[]; expect: RegExp }[] = [
    { args: ['version'], expect: /^kube-netlab \d+\.\d+\.\d+ \(node v\d+/ },
    { args: ['--help'], expect: /Usage: netlab \[options\] \[command\]/ },
  ];
  for (const c of cases) {
    const { stdout, code } = await netlab(c.args);
    t.equal(code, 0, `${c.args.join(' ')}: exit 0`);
    t.match(stdout, c.expect, c.args.join(' '));
  }
});
