// `netlab scenario run NAME|FILE [-o json] [--report FILE.html]` and `netlab scenario list`: runs a
// scenario (lab/scenarios/) on a fresh lab of its own and prints what happened; exit code 1 when an
// expect failed or the scenario could not run.
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import { progressFor, silentProgress } from '../run/progress.js';
import { builtinScenarios, scenarioPath } from '../scenarios/builtin.js';
import { readScenarioFile } from '../scenarios/file.js';
import { renderReport } from '../scenarios/report.js';
import { runScenario } from '../scenarios/run.js';
import { summaryLines } from '../scenarios/summary.js';

interface RunFlags {
  output?: 'json';
  report?: string;
  quiet?: boolean;
}

/** Registers this area's subcommands on the `netlab` program. */
export function registerScenario(program: Command): void {
  const cmd = new Command('scenario').description(
    'run experiments: scenario files with traffic, DNS and expects',
  );
  cmd
    .command('run')
    .description(`run a built-in scenario (${builtinScenarios().join(', ')}) or a scenario file`)
    .argument('<name|file>', 'a built-in scenario name or a scenario file (kind: Scenario)')
    .addOption(
      new Option('-o, --output <format>', 'print the result as JSON instead of the summary').choices([
        'json',
      ]),
    )
    .option('--report <file.html>', 'also write a self-contained HTML report with charts')
    .option('-q, --quiet', 'no progress on stderr')
    .action(async (nameOrFile: string, flags: RunFlags) => {
      const scenario = readScenarioFile(scenarioPath(nameOrFile));
      const progress = flags.quiet ? silentProgress : progressFor(process.stderr);
      let result: Awaited<ReturnType<typeof runScenario>>;
      try {
        result = await runScenario(scenario, { progress });
      } finally {
        progress.stop();
      }
      if (flags.output === 'json') process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      else process.stdout.write(`${summaryLines(result, process.stdout.isTTY === true).join('\n')}\n`);
      if (flags.report !== undefined) {
        const path = resolve(flags.report);
        writeFileSync(path, renderReport(result));
        (flags.output === 'json' ? process.stderr : process.stdout).write(`report: ${path}\n`);
      }
      if (!result.passed) process.exitCode = 1;
    });
  cmd
    .command('list')
    .description('list the built-in scenarios')
    .action(() => {
      for (const name of builtinScenarios()) process.stdout.write(`${name}\n`);
    });
  program.addCommand(cmd);
}
