// Each controller waits for its own writes only (its expectations), and the scheduler not even for
// those: it assumes its binds, as kube-scheduler's cache does, so a flood of another controller's
// Pod creates never holds back placement.
import t from 'tap';
import { type Pod, Store } from '../../api/index.js';
import { FakeClock } from '../../lab/controllers/clock.js';
import { ControllerManager } from '../../lab/controllers/index.js';
import { SharedInformers } from '../../lab/controllers/informer.js';
import { Scheduler } from '../../lab/controllers/scheduler.js';
import { node } from './workload-fixture.js';

const pod = (name: string): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default' },
  spec: { containers: [{ name: 'c', image: 'registry.k8s.io/e2e-test-images/agnhost:2.53' }] },
});

/** A store on a FakeClock, closed (and its watches ended) when the test ends. */
function fakeStore(t: { teardown(fn: () => void): void }) {
  const clock = new FakeClock();
  const store = new Store({ bookmarkIntervalMs: 0, now: () => new Date(clock.now()) });
  const ac = new AbortController();
  t.teardown(() => {
    ac.abort();
    store.close();
  });
  return { clock, store, signal: ac.signal };
}

t.test("a writer's caughtUp waits for its own writes, not another's", async (t) => {
  const { store, signal } = fakeStore(t);
  const informers = new SharedInformers(store, signal);
  const pods = informers.informer('Pod');
  informers.start();
  const a = informers.writer();
  const b = informers.writer();
  const state = () => `a ${informers.caughtUp(a)}, b ${informers.caughtUp(b)}, all ${informers.caughtUp()}`;
  const rows: string[] = [];
  rows.push(`before any write: ${state()}`);
  informers.as(a, () => informers.wrote(store.create(pod('p1'))));
  rows.push(`a wrote, not yet seen: ${state()}`);
  await new Promise<void>((resolve) => informers.whenCaughtUp(resolve, a));
  rows.push(`the watch delivered it: ${state()} (cache holds ${pods.size})`);
  // A write outside any writer's sync: every writer waits for it.
  informers.wrote(store.create(pod('p2')));
  rows.push(`written outside a queue: ${state()}`);
  await new Promise<void>((resolve) => informers.whenCaughtUp(resolve));
  rows.push(`delivered: ${state()} (cache holds ${pods.size})`);
  t.equal(
    rows.join('\n'),
    [
      'before any write: a true, b true, all true',
      'a wrote, not yet seen: a false, b true, all false',
      'the watch delivered it: a true, b true, all true (cache holds 1)',
      'written outside a queue: a false, b false, all false',
      'delivered: a true, b true, all true (cache holds 2)',
    ].join('\n'),
  );
});

t.test('the scheduler assumes its binds: six Pods placed in one drain, spread 2/2/2', async (t) => {
  const { clock, store, signal } = fakeStore(t);
  const cm = new ControllerManager(store, { signal, clock });
  for (const n of ['node-1', 'node-2', 'node-3']) store.create(node(n, 'zone-a'));
  cm.start();
  await cm.settled();
  const podInformer = cm.context.informers.informer('Pod');
  // Each bind, with how far the scheduler's Pod cache had got when it was made.
  const binds: string[] = [];
  const update = store.update.bind(store);
  store.update = ((obj: Pod) => {
    const out = update(obj);
    if (obj.kind === 'Pod' && obj.spec.nodeName)
      binds.push(
        `${obj.metadata.name} -> ${obj.spec.nodeName}, cache at rv ${podInformer.rv}, assumed before it ${cm.scheduler.assumed}`,
      );
    return out;
  }) as typeof store.update;
  let last = '';
  for (const n of ['a', 'b', 'c', 'd', 'e', 'f']) last = store.create(pod(n)).metadata.resourceVersion ?? '';
  await cm.settled();
  t.equal(
    binds.join('\n'),
    ['a', 'b', 'c', 'd', 'e', 'f']
      .map((n, i) => `${n} -> node-${(i % 3) + 1}, cache at rv ${last}, assumed before it ${i}`)
      .join('\n'),
    'every bind made before the cache saw the first: none waited for its own',
  );
  const perNode = new Map<string, number>();
  for (const p of store.list('Pod').items)
    perNode.set(p.spec.nodeName ?? '', (perNode.get(p.spec.nodeName ?? '') ?? 0) + 1);
  t.same(Object.fromEntries(perNode), { 'node-1': 2, 'node-2': 2, 'node-3': 2 });
  t.equal(cm.scheduler.assumed, 0, 'settled: the cache brought every bind back');
});

t.test(
  'an assumed bind of a Pod made again under its name before the bind came back (a relist)',
  async (t) => {
    const { clock, store, signal } = fakeStore(t);
    // The informers are fed by hand (relists only), so the order of what the scheduler sees is the test's.
    const informers = new SharedInformers(store, signal);
    const scheduler = new Scheduler({ store, informers, clock, log: () => {} });
    for (const n of ['node-1', 'node-2']) store.create(node(n, 'zone-a'));
    const relist = () => {
      for (const kind of ['Node', 'Pod'] as const) {
        const list = store.list(kind);
        informers.informer(kind).replace(list.items, Number(list.resourceVersion));
      }
    };
    const drained = () => new Promise((resolve) => setImmediate(resolve));
    const placed = () => store.get('Pod', 'p', 'default').spec.nodeName ?? '-';
    const rows: string[] = [];
    store.create(pod('p'));
    relist();
    await drained();
    rows.push(`first p -> ${placed()}, assumed ${scheduler.assumed}`);
    store.delete('Pod', 'p', { namespace: 'default', gracePeriodSeconds: 0 });
    store.create(pod('p'));
    relist();
    rows.push(`p deleted and made again, relisted before the bind came back: assumed ${scheduler.assumed}`);
    await drained();
    rows.push(`second p -> ${placed()}, assumed ${scheduler.assumed}`);
    relist();
    rows.push(`relisted with its bind: assumed ${scheduler.assumed}`);
    t.equal(
      rows.join('\n'),
      [
        'first p -> node-1, assumed 1',
        'p deleted and made again, relisted before the bind came back: assumed 0',
        'second p -> node-2, assumed 1',
        'relisted with its bind: assumed 0',
      ].join('\n'),
    );
  },
);
