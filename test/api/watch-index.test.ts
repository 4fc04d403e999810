// The store's watch dispatch is indexed: a change is offered to the watchers its object can concern
// (by spec.nodeName, metadata.name or namespace), and filters are evaluated only for those. Counted
// as filter evaluations, never timed; what each watcher sees is the same as a scan of every watcher.
import { setMaxListeners } from 'node:events';
import t from 'tap';
import type { AnyObject, Pod, WatchEvent } from '../../api/index.js';
import { jsonOf } from '../../api/json.js';
import { newStore, pod } from './objects.js';

/** Drains what a watcher has queued now (never waits for an event that is not there). */
async function drain(w: AsyncIterable<WatchEvent<AnyObject>>, n: number): Promise<string[]> {
  const it = w[Symbol.asyncIterator]();
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = await it.next();
    if (r.done) break;
    out.push(`${r.value.type} ${r.value.object.metadata.name}`);
  }
  return out;
}

t.test('a thousand node watchers: one pod change evaluates only its node watchers', async (t) => {
  const s = newStore();
  const ac = new AbortController();
  setMaxListeners(0, ac.signal);
  const watchers = new Map<string, AsyncIterable<WatchEvent<AnyObject>>>();
  for (let i = 0; i < 1000; i++)
    watchers.set(
      `node-${i}`,
      s.watch('Pod', { fieldSelector: `spec.nodeName=node-${i}`, signal: ac.signal }) as AsyncIterable<
        WatchEvent<AnyObject>
      >,
    );
  const cases: { step: string; write: () => void; evaluations: number }[] = [
    { step: 'create on node-7', write: () => s.create(pod('a', {}, 'node-7')), evaluations: 1 },
    {
      step: 'label change on node-7',
      write: () => s.patch('Pod', 'a', { metadata: { labels: { app: 'web' } } }),
      evaluations: 1,
    },
    { step: 'create unscheduled', write: () => s.create(pod('b')), evaluations: 0 },
    {
      step: 'bind to node-9 (the index of the new value)',
      write: () => {
        const b = s.get('Pod', 'b') as Pod;
        s.update({ ...b, spec: { ...b.spec, nodeName: 'node-9' } } as Pod);
      },
      evaluations: 1,
    },
    {
      step: 'delete on node-9',
      write: () => s.delete('Pod', 'b', { gracePeriodSeconds: 0 }),
      evaluations: 1,
    },
  ];
  for (const c of cases) {
    const before = s.watchFilterEvaluations;
    c.write();
    t.equal(s.watchFilterEvaluations - before, c.evaluations, c.step);
  }
  t.same(await drain(watchers.get('node-7')!, 2), ['ADDED a', 'MODIFIED a']);
  t.same(await drain(watchers.get('node-9')!, 2), ['ADDED b', 'DELETED b']);
  ac.abort();
  s.close();
});

t.test('indexed and unindexed watchers see what a scan would give them, in order', async (t) => {
  const s = newStore();
  s.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'other' } } as AnyObject);
  const ac = new AbortController();
  const selectors: Record<string, { namespace?: string; labelSelector?: string; fieldSelector?: string }> = {
    all: {},
    'namespace other': { namespace: 'other' },
    'app=web': { labelSelector: 'app=web' },
    'spec.nodeName=n1': { fieldSelector: 'spec.nodeName=n1' },
    'spec.nodeName!=n1': { fieldSelector: 'spec.nodeName!=n1' },
    'metadata.name=p1': { fieldSelector: 'metadata.name=p1' },
    'metadata.namespace=default,spec.nodeName=n2': {
      fieldSelector: 'metadata.namespace=default,spec.nodeName=n2',
    },
    'namespace default, app=web': { namespace: 'default', labelSelector: 'app=web' },
  };
  const ws = Object.entries(selectors).map(([name, opts]) => ({
    name,
    w: s.watch('Pod', { ...opts, resourceVersion: s.resourceVersion, signal: ac.signal }) as AsyncIterable<
      WatchEvent<AnyObject>
    >,
  }));
  s.create(pod('p1', { app: 'web' }, 'n1'));
  s.create(pod('p2', { app: 'db' }, 'n2'));
  s.create(pod('p3', { app: 'web' }, 'n1', { namespace: 'other' }));
  s.create(pod('p4', { app: 'web' }));
  const p4 = s.get('Pod', 'p4') as Pod;
  s.update({ ...p4, spec: { ...p4.spec, nodeName: 'n2' } } as Pod);
  s.patch('Pod', 'p1', { metadata: { labels: { app: 'db' } } });
  s.delete('Pod', 'p2', { gracePeriodSeconds: 0 });
  s.delete('Pod', 'p3', { namespace: 'other', gracePeriodSeconds: 0 });
  const want: Record<string, string[]> = {
    all: [
      'ADDED p1',
      'ADDED p2',
      'ADDED p3',
      'ADDED p4',
      'MODIFIED p4',
      'MODIFIED p1',
      'DELETED p2',
      'DELETED p3',
    ],
    'namespace other': ['ADDED p3', 'DELETED p3'],
    'app=web': ['ADDED p1', 'ADDED p3', 'ADDED p4', 'MODIFIED p4', 'DELETED p1', 'DELETED p3'],
    'spec.nodeName=n1': ['ADDED p1', 'ADDED p3', 'MODIFIED p1', 'DELETED p3'],
    'spec.nodeName!=n1': ['ADDED p2', 'ADDED p4', 'MODIFIED p4', 'DELETED p2'],
    'metadata.name=p1': ['ADDED p1', 'MODIFIED p1'],
    'metadata.namespace=default,spec.nodeName=n2': ['ADDED p2', 'ADDED p4', 'DELETED p2'],
    'namespace default, app=web': ['ADDED p1', 'ADDED p4', 'MODIFIED p4', 'DELETED p1'],
  };
  for (const { name, w } of ws) t.same(await drain(w, want[name]!.length), want[name], name);
  ac.abort();
  s.close();
});

t.test("jsonOf: a stored object's JSON as JSON.stringify writes it, made once", async (t) => {
  const s = newStore();
  const stored = s.create(pod('a', { app: 'web' }, 'n1'));
  const text = jsonOf(stored);
  t.equal(text, JSON.stringify(stored));
  t.equal(jsonOf(stored), text, 'the same text again');
  const loose = { a: 1 };
  t.equal(jsonOf(loose), '{"a":1}');
  loose.a = 2;
  t.equal(jsonOf(loose), '{"a":2}', 'an object that is not frozen is serialized each time');
  s.close();
});
