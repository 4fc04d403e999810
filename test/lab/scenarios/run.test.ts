// The scenario engine on a small scenario: what each step measured, each expect's verdict, the same
// figures for the same seed, and the summary's text.
import t from 'tap';
import { runScenario, type ScenarioResult } from '../../../lab/scenarios/run.js';
import { summaryLines } from '../../../lab/scenarios/summary.js';
import { randomLoopbackBase, small } from './fixture.js';

// What does not depend on the wall clock: answers, counts, queries and verdicts.
function deterministic(r: ScenarioResult) {
  return r.steps.map((s) => ({
    name: s.name,
    detail: s.detail,
    responders: s.traffic?.responders,
    errors: s.traffic?.errors,
    dns: s.dns,
    expects: s.expects,
  }));
}

t.test('a small scenario, twice with the same seed', async (t) => {
  const first = await runScenario(small(), { loopbackBase: randomLoopbackBase() });
  const lines = summaryLines(first);
  t.equal(first.passed, true, lines.join('\n'));
  t.strictSame(
    first.steps.flatMap((s) =>
      s.expects.map((e) => `${s.name}: ${e.passed ? 'PASS' : 'FAIL'} ${e.check} ${e.actual}`),
    ),
    [
      'spread: PASS errors 0',
      'spread: PASS responders 2',
      'sources: PASS sourceSeen every answer 172.18.0.2',
      'names: PASS queries 1',
      'names: PASS status NOERROR',
    ],
  );
  t.strictSame(first.steps[3]!.dns, {
    from: 'a pod in namespace default',
    name: 'web',
    type: 'A',
    libc: 'musl',
    ndots: 5,
    status: 'NOERROR',
    addresses: first.steps[3]!.dns!.addresses,
    queries: ['web.default.svc.cluster.local. A NOERROR'],
  });
  t.equal(first.steps[1]!.traffic!.requests, 60);
  t.equal(
    first.steps[1]!.traffic!.responders.reduce((s, r) => s + r.count, 0),
    60,
    'every request answered by a pod',
  );
  t.match(
    lines.join('\n'),
    /spread: external -> service\/web via nodePort on node-1\n {2}60 requests on 60 connections, 0 failed/,
  );
  t.match(lines[lines.length - 1], /^5 expects passed, 0 failed: PASS$/);
  const second = await runScenario(small(), { loopbackBase: randomLoopbackBase() });
  t.strictSame(deterministic(second), deterministic(first), 'the same seed gives the same figures');
});
