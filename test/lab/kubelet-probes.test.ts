// Probe thresholds and restarts, with one cluster "second" = 20 ms. Orders are read from the store's
// resourceVersions (Events and Pod writes are both store objects), never from wall-clock time.
import t from 'tap';
import { request } from 'undici';
import type { ContainerStatus, Pod } from '../../api/index.js';
import { agnhostPod, ready, realAddress, startLab, waitPod } from './kubelet-fixture.js';

const rv = (o: { metadata: { resourceVersion?: string } }) => Number(o.metadata.resourceVersion);
const cs = (p: Pod): ContainerStatus => {
  const c = p.status?.containerStatuses?.[0];
  if (!c) throw new Error(`pod ${p.metadata.name}: no container status`);
  return c;
};

t.test(
  'readiness: NotReady after exactly failureThreshold failures, Ready again after successThreshold',
  async (t) => {
    const lab = startLab();
    t.teardown(() => lab.stop());
    const probe = {
      httpGet: { path: '/readyz', port: 8080 },
      periodSeconds: 1,
      timeoutSeconds: 100,
      failureThreshold: 3,
      successThreshold: 2,
    };
    lab.store.create(agnhostPod('web-0', {}, { readinessProbe: probe }));
    const up = await waitPod(
      lab.store,
      'web-0',
      (p) => ready(p) && !!p.metadata.annotations?.['netlab.dev/listen'],
    );
    const base = `http://${realAddress(up, '8080/TCP')}`;
    t.equal(await (await request(`${base}/set-ready?ready=false`)).body.text(), 'ready=false');
    const down = await waitPod(lab.store, 'web-0', (p) => !ready(p));
    const failures = lab.store
      .list('Event')
      .items.filter((e) => e.reason === 'Unhealthy' && rv(e) < rv(down));
    t.equal(failures.length, 3, `three failures, then the status: ${JSON.stringify(lab.events())}`);
    t.equal(failures[0]?.message, 'Readiness probe failed: HTTP probe failed with statuscode: 503');
    t.match(
      down.status?.conditions?.find((c) => c.type === 'Ready'),
      {
        status: 'False',
        reason: 'ContainersNotReady',
        message: 'containers with unready status: [agnhost]',
      },
    );
    t.equal(cs(down).ready, false);
    t.equal(cs(down).restartCount, 0, 'readiness never restarts');
    await request(`${base}/set-ready?ready=true`);
    await waitPod(lab.store, 'web-0', ready);
  },
);

t.test('liveness: failureThreshold failures kill the container, which restarts with lastState', async (t) => {
  const lab = startLab();
  t.teardown(() => lab.stop());
  const probe = {
    httpGet: { path: '/healthz', port: 8080 },
    periodSeconds: 1,
    timeoutSeconds: 100,
    failureThreshold: 2,
  };
  lab.store.create(agnhostPod('web-0', { terminationGracePeriodSeconds: 2 }, { livenessProbe: probe }));
  const up = await waitPod(
    lab.store,
    'web-0',
    (p) => ready(p) && !!p.metadata.annotations?.['netlab.dev/listen'],
  );
  await request(`http://${realAddress(up, '8080/TCP')}/set-healthy?healthy=false`);
  const again = await waitPod(lab.store, 'web-0', (p) => cs(p).restartCount === 1 && ready(p));
  t.match(cs(again).lastState, { terminated: { exitCode: 143, reason: 'Error' } });
  t.same(lab.events().slice(0, 3), [
    'Unhealthy: Liveness probe failed: HTTP probe failed with statuscode: 412',
    'Unhealthy: Liveness probe failed: HTTP probe failed with statuscode: 412',
    'Killing: Container agnhost failed liveness probe, will be restarted',
  ]);
  t.not(realAddress(again, '8080/TCP'), realAddress(up, '8080/TCP'), 'a new process, a new socket');
  t.equal(await (await request(`http://${realAddress(again, '8080/TCP')}/healthz`)).statusCode, 200);
});

t.test('startup probe gates liveness; tcpSocket and exec probes', async (t) => {
  const lab = startLab();
  t.teardown(() => lab.stop());
  lab.store.create(
    agnhostPod(
      'web-0',
      {},
      {
        startupProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1, timeoutSeconds: 100 },
        livenessProbe: { exec: { command: ['netlab-healthy'] }, periodSeconds: 1, timeoutSeconds: 100 },
        readinessProbe: { exec: { command: ['sh', '-c', 'exit 0'] }, periodSeconds: 1, timeoutSeconds: 100 },
      },
    ),
  );
  const p = await waitPod(lab.store, 'web-0', ready);
  t.match(cs(p), { started: true, ready: true, restartCount: 0 });
});

t.test('a crashing container: restarts at once, then back-off doubling to the maximum', async (t) => {
  const lab = startLab();
  t.teardown(() => lab.stop());
  // agnhost without a known subcommand exits 1.
  lab.store.create(agnhostPod('crash', {}, { args: ['no-such-command'], ports: [] }));
  // The back-off message after each crash, by restart count.
  const messages = new Map<number, string>();
  await waitPod(lab.store, 'crash', (p) => {
    const s = p.status?.containerStatuses?.[0];
    const w = s?.state?.waiting;
    if (s && w?.message && w.reason === 'CrashLoopBackOff') messages.set(s.restartCount, w.message);
    return messages.size === 4;
  });
  const uid = lab.store.get('Pod', 'crash').metadata.uid;
  t.same(
    [...messages.values()],
    ['1s', '2s', '4s', '4s'].map(
      (d) => `back-off ${d} restarting failed container=agnhost pod=crash_default(${uid})`,
    ),
  );
  const p = lab.store.get('Pod', 'crash');
  t.ok(cs(p).restartCount >= 4);
  t.match(cs(p).lastState, { terminated: { exitCode: 1, reason: 'Error' } });
  t.equal(p.status?.phase, 'Running', 'a restarting pod is Running');
});

t.test('restartPolicy Never and OnFailure: the pod ends Failed or Succeeded', async (t) => {
  const lab = startLab();
  t.teardown(() => lab.stop());
  lab.store.create(agnhostPod('never', { restartPolicy: 'Never' }, { args: ['no-such-command'], ports: [] }));
  const failed = await waitPod(lab.store, 'never', (p) => p.status?.phase === 'Failed');
  t.match(cs(failed), {
    restartCount: 0,
    ready: false,
    state: { terminated: { exitCode: 1, reason: 'Error' } },
  });
  lab.store.create(agnhostPod('once', { restartPolicy: 'OnFailure' }));
  const up = await waitPod(
    lab.store,
    'once',
    (p) => ready(p) && !!p.metadata.annotations?.['netlab.dev/listen'],
  );
  await request(`http://${realAddress(up, '8080/TCP')}/exit?code=0`).catch(() => undefined);
  const done = await waitPod(lab.store, 'once', (p) => p.status?.phase === 'Succeeded');
  t.match(cs(done), { restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } });
  t.match(
    done.status?.conditions?.find((c) => c.type === 'Ready'),
    { status: 'False', reason: 'PodCompleted' },
  );
});
