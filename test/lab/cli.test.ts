import { Command } from 'commander';
import t from 'tap';
import { commandModules } from '../../lab/program.js';
import { netlab } from '../index.js';

t.test('each module registers exactly the top-level commands it is loaded for', async (t) => {
  for (const m of commandModules) {
    const program = new Command('netlab');
    (await m.load())(program);
    t.same(program.commands.map((c) => c.name()).sort(), [...m.names].sort(), m.names.join(' '));
  }
});

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
