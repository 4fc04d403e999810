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
    name: 'blue-green',
    expects: [
      'before the switch: errors',
      'before the switch: responders',
      'no failed request: errors',
      'no failed request: responders',
      'after the switch: errors',
      'after the switch: responders',
    ],
  },
  {
    name: 'dns-ndots',
    expects: [
      'glibc, ndots 5: queries',
      'glibc, ndots 5: status',
      'glibc, ndots 5: answer',
      'musl, ndots 5: queries',
      'musl, ndots 5: status',
      'musl, ndots 5: answer',
      'glibc, ndots 1: queries',
      'glibc, ndots 1: status',
      'glibc, ndots 1: answer',
      'musl, ndots 1: queries',
      'musl, ndots 1: status',
      'musl, ndots 1: answer',
      'glibc, trailing dot: queries',
      'glibc, trailing dot: status',
      'glibc, trailing dot: answer',
      'musl, trailing dot: queries',
      'musl, trailing dot: status',
      'musl, trailing dot: answer',
      "a Service's short name: queries",
      "a Service's short name: status",
      'a name that does not exist: queries',
      'a name that does not exist: status',
    ],
  },
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
  {
    name: 'node-failure',
    expects: [
      'before: errors',
      'before: responders',
      'node-2 NotReady: errors',
      'node-2 NotReady: responders',
      'node-2 NotReady: avoidsNode',
      'after eviction: errors',
      'after eviction: responders',
      'after eviction: avoidsNode',
      'node-2 back: errors',
      'node-2 back: responders',
    ],
  },
  {
    name: 'rolling-update',
    expects: ['graceful: errors', 'graceful: responders', 'abrupt: errors'],
  },
  {
    name: 'source-ip',
    expects: [
      'Cluster policy through node-2: errors',
      'Cluster policy through node-2: sourceSeen',
      'Local policy through node-1: errors',
      'Local policy through node-1: sourceSeen',
      'Local policy through node-2: errors',
      'Local policy through node-2: requests',
      'pod to ClusterIP: errors',
      'pod to ClusterIP: sourceSeen',
    ],
  },
  {
    name: 'statefulset-dns',
    expects: [
      'a peer by its stable name: queries',
      'a peer by its stable name: status',
      'a peer by its stable name: answer',
      'fully qualified: queries',
      'fully qualified: status',
      'fully qualified: answer',
      'the headless Service: status',
      'the headless Service: answer',
      'SRV of the named port: status',
      'SRV of the named port: answer',
      'SRV of the Service: status',
      'SRV of the Service: answer',
      'no such port: status',
      'db-1 replaced: status',
      'db-1 replaced: answer',
      'SRV after the scale-down: status',
      'SRV after the scale-down: answer',
      'db-2 gone: status',
    ],
  },
  {
    name: 'udp-conntrack',
    expects: [
      'lookup from port 41000: status',
      'lookup from port 41000: conntrack',
      'lookup from port 41000: answer',
      'same port, stale entry: queries',
      'same port, stale entry: status',
      'same port, stale entry: conntrack',
      'another port: status',
      'another port: conntrack',
      'another port: answer',
      'port 41001 after the clean-up: status',
      'port 41001 after the clean-up: conntrack',
      'port 41001 after the clean-up: answer',
      'port 41000 after the clean-up: status',
      'port 41000 after the clean-up: conntrack',
      'port 41000 after the clean-up: answer',
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
