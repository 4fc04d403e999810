// Every built-in scenario passes: each is a demo people come for, so CI runs each in full and lists
// each expect's verdict here.
import t from 'tap';
import { builtinScenarios, scenarioPath } from '../../../lab/scenarios/builtin.js';
import { readScenarioFile } from '../../../lab/scenarios/file.js';
import { runScenario } from '../../../lab/scenarios/run.js';
import { summaryLines } from '../../../lab/scenarios/summary.js';
import { randomLoopbackBase } from './fixture.js';

const cases: { name: string; expects: string[] }[] = [
  {
    name: 'load-balancing',
    expects: [
      'new connection per request: errors',
      'new connection per request: responders',
      'new connection per request: uniform',
      'keep-alive: errors',
      'keep-alive: responders',
      'clientip affinity: errors',
      'clientip affinity: responders',
    ],
  },
];

t.test('the table lists every built-in', async (t) => {
  t.strictSame(
    cases.map((c) => c.name),
    builtinScenarios(),
  );
});

for (const c of cases) {
  t.test(`built-in scenario ${c.name}`, async (t) => {
    const result = await runScenario(readScenarioFile(scenarioPath(c.name)), {
      loopbackBase: randomLoopbackBase(),
    });
    const summary = summaryLines(result).join('\n');
    t.strictSame(
      result.steps.flatMap((s) => s.expects.map((e) => `${s.name}: ${e.check}`)),
      c.expects,
      'the expects checked',
    );
    t.strictSame(
      result.steps.flatMap((s) => s.expects.filter((e) => !e.passed).map((e) => `${s.name}: ${e.check}`)),
      [],
      summary,
    );
  });
}
