// The scenario engine on a small scenario: what each step measured, each expect's verdict, the same
// figures for the same seed, and the summary's text.
import t from 'tap';
import { drainBudget } from '../../../lab/controllers/workqueue.js';
import { parseScenario } from '../../../lab/scenarios/file.js';
import { runScenario, type ScenarioResult } from '../../../lab/scenarios/run.js';
import { summaryLines } from '../../../lab/scenarios/summary.js';
import { randomLoopbackBase, small, smallScenario } from './fixture.js';

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
  t.strictSame(first.steps[1]!.traffic!.decisions, { DNAT: 60 }, 'the data plane decided each connection');
  // The endpoints timeline starts with the slices' state when the lab time starts, then follows them.
  const points = first.endpoints.find((e) => e.service === 'default/web')?.points ?? [];
  t.equal(points[0]?.t, 0, 'the boot is the state at 0');
  t.ok(
    points.every((p, i) => i === 0 || p.t >= points[i - 1]!.t),
    `in time order: ${JSON.stringify(points)}`,
  );
  t.equal(points[points.length - 1]?.ready, 2, 'ready endpoints at the end');
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

// The controllers' work queues yield after 20 ms of wall time, so on a loaded machine their creates
// interleave elsewhere. Moving the yield (after every key, or never) must not rename a pod.
const twoPods = smallScenario.replace('connections: 60,', 'connections: 20,');

t.test('the same seed names the same pods wherever the work queues yield', async (t) => {
  const saved = drainBudget.ms;
  t.teardown(() => {
    drainBudget.ms = saved;
  });
  const pods = async (budgetMs: number) => {
    drainBudget.ms = budgetMs;
    const r = await runScenario(parseScenario(twoPods, 'names.yaml'), { loopbackBase: randomLoopbackBase() });
    return r.steps[1]!.traffic!.responders.map((a) => `${a.response} ${a.node}`).sort();
  };
  const never = await pods(Number.POSITIVE_INFINITY);
  t.equal(never.length, 2, never.join(', '));
  t.strictSame(await pods(0), never, 'a yield after every key');
});

// From this machine a NodePort whose rules REJECT has no listener: connect() is refused by the host
// and the data plane sees nothing. The summary says so instead of leaving ECONNREFUSED next to zero
// REJECT decisions.
const noEndpoints = `apiVersion: netlab.dev/v1alpha1
kind: Scenario
metadata: {name: refused}
spec:
  seed: 1
  cluster: {nodes: 1, second: 50ms}
  steps:
  - wait: {endpoints: web, ready: 1}
  - setReady: {selector: app=web, count: 1, ready: false, port: 8080}
  - wait: {endpoints: web, ready: 0}
  - name: no ready endpoint
    traffic: {to: {service: web}, connections: 5}
  - setReady: {selector: app=web, count: 1, ready: true, port: 8080}
  - wait: {endpoints: web, ready: 1}
  - name: ready again
    traffic: {to: {service: web}, connections: 5}
---
apiVersion: v1
kind: Pod
metadata: {name: web, labels: {app: web}}
spec:
  containers:
  - name: agnhost
    image: registry.k8s.io/e2e-test-images/agnhost:2.53
    args: [netexec, --http-port=8080]
    ports: [{containerPort: 8080}]
    readinessProbe: {httpGet: {path: /readyz, port: 8080}, periodSeconds: 1, timeoutSeconds: 20}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {type: NodePort, selector: {app: web}, ports: [{port: 80, targetPort: 8080}]}
`;

t.test(
  'ECONNREFUSED from outside with no ready endpoint: refused before the data plane, and said so',
  async (t) => {
    const r = await runScenario(parseScenario(noEndpoints, 'refused.yaml'), {
      loopbackBase: randomLoopbackBase(),
    });
    const rows = r.steps.flatMap((s) =>
      s.traffic
        ? [
            `${s.name} | ${JSON.stringify(s.traffic.errorKinds)} | ${JSON.stringify(s.traffic.decisions)} | ${s.traffic.notes.join(' ')}`,
          ]
        : [],
    );
    t.strictSame(rows, [
      'no ready endpoint | {"ECONNREFUSED":5} | {} | 5 ECONNREFUSED: connections this machine refused while the NodePort\'s rules REJECT it (no ready endpoint): its listener is not bound then, so they never reached the data plane, which recorded 0 REJECT (connections accepted just before a sync took the endpoints away; those are reset: ECONNRESET)',
      'ready again | {} | {"DNAT":5} | ',
    ]);
    t.match(summaryLines(r).join('\n'), /\n {2}note: 5 ECONNREFUSED: connections this machine refused/);
  },
);
