// The store as kube-apiserver + etcd: resourceVersions, optimistic concurrency, watch order and
// resumption, 410 Expired, selectors, atomic batches, graceful deletion and garbage collection.
import t from 'tap';
import {
  type AnyObject,
  BatchError,
  type Kind,
  type Node,
  type Pod,
  type Service,
  type StatusError,
  Store,
  type WatchEvent,
} from '../../api/index.js';
import { newStore, pod, service as svc, workload } from './objects.js';

/** Reads n events (or fewer if the watch ends); never waits on an event that is not there. */
async function take<T extends AnyObject>(w: AsyncIterable<WatchEvent<T>>, n: number): Promise<string[]> {
  const it = w[Symbol.asyncIterator]();
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = await it.next();
    if (r.done) break;
    const o = r.value.object;
    out.push(`${r.value.type} ${o.metadata.name ?? ''} ${o.metadata.resourceVersion}`);
  }
  return out;
}

t.test('a fresh store holds what a fresh apiserver holds', async (t) => {
  const s = newStore();
  t.same(
    s.list('Namespace').items.map((n) => n.metadata.name),
    ['default', 'kube-node-lease', 'kube-public', 'kube-system'],
  );
  const k = s.get('Service', 'kubernetes');
  t.same(k.spec.clusterIPs, ['10.96.0.1']);
  t.same(k.spec.ports, [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 6443 }]);
  t.equal(s.resourceVersion, '5');
  const six = newStore({ serviceCIDRs: ['fd00:10:96::/108'] });
  t.same(
    six.get('Service', 'kubernetes').spec.clusterIPs,
    ['fd00:10:96::1'],
    'first address of an IPv6 range',
  );
  s.close();
  six.close();
});

t.test('resourceVersion, conflicts, no-op updates, merge patch, not found, already exists', async (t) => {
  const s = newStore();
  const a = s.create(svc('web'));
  t.equal(a.metadata.resourceVersion, '6');
  t.ok(Object.isFrozen(a), 'stored objects are frozen');
  const stale = structuredClone(a);
  const b = s.update({ ...structuredClone(a), metadata: { ...a.metadata, labels: { tier: 'front' } } });
  t.equal(b.metadata.resourceVersion, '7');
  t.equal(b.spec.clusterIP, a.spec.clusterIP, 'the ClusterIP stays');
  const conflict = t.throws(() =>
    s.update({ ...stale, metadata: { ...stale.metadata, labels: { x: 'y' } } }),
  ) as StatusError;
  t.equal(
    conflict.message,
    'Operation cannot be fulfilled on services "web": the object has been modified; please apply your changes to the latest version and try again',
  );
  t.equal(conflict.status.code, 409);
  t.equal(conflict.reason, 'Conflict');
  const same = s.update(structuredClone(b));
  t.equal(same.metadata.resourceVersion, '7', 'a no-op update writes nothing');
  const patched = s.patch('Service', 'web', {
    metadata: { labels: { tier: null, team: 'a' } },
    spec: { sessionAffinity: 'ClientIP' },
  });
  t.same(patched.metadata.labels, { team: 'a' });
  t.same(
    patched.spec.sessionAffinityConfig,
    { clientIP: { timeoutSeconds: 10800 } },
    'defaults apply to patches',
  );
  t.equal(patched.metadata.resourceVersion, '8');
  t.throws(() => s.patch('Service', 'web', { metadata: { resourceVersion: '7' } }), {
    name: 'StatusError',
    reason: 'Conflict',
  });
  t.throws(() => s.create(svc('web')), { message: 'services "web" already exists', reason: 'AlreadyExists' });
  t.throws(() => s.get('Service', 'nope'), { message: 'services "nope" not found', reason: 'NotFound' });
  t.throws(() => s.get('Deployment', 'nope'), { message: 'deployments.apps "nope" not found' });
  t.throws(() => s.delete('Service', 'nope'), { message: 'services "nope" not found' });
  const gone = s.delete('Service', 'web');
  t.equal(gone.metadata.resourceVersion, '9', 'a delete has its own resourceVersion');
  t.equal(s.find('Service', 'web'), undefined);
  s.close();
});

t.test('watch: initial state, order, strictly increasing resourceVersions', async (t) => {
  const s = newStore();
  s.create(svc('a'));
  const ac = new AbortController();
  const w = s.watch('Service', { signal: ac.signal });
  s.create(svc('b'));
  s.patch('Service', 'a', { metadata: { labels: { x: 'y' } } });
  s.delete('Service', 'b');
  t.same(await take(w, 5), ['ADDED a 6', 'ADDED kubernetes 5', 'ADDED b 7', 'MODIFIED a 8', 'DELETED b 9']);
  ac.abort();
  t.same(await take(w, 1), [], 'abort ends the watch');
  s.close();
});

t.test('watch resumes from a resourceVersion; older than the history is 410 Expired', async (t) => {
  const s = newStore({ historySize: 4 });
  const listed = s.list('Service');
  s.create(svc('a'));
  s.create(pod('p', {}));
  s.create(svc('b'));
  const w = s.watch('Service', { resourceVersion: listed.resourceVersion });
  t.same(await take(w, 2), ['ADDED a 6', 'ADDED b 8'], 'only what happened after the list, only Services');
  for (let i = 0; i < 4; i++) s.create(svc(`c${i}`));
  // History holds 9..12. kube-apiserver's watch cache answers 410 with reason Expired (not Gone),
  // naming the oldest kept version minus one; clients relist on either.
  const err = t.throws(() => s.watch('Service', { resourceVersion: '5' })) as StatusError;
  t.same(err.status, {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: 'too old resource version: 5 (8)',
    reason: 'Expired',
    code: 410,
  });
  t.equal(err.code, 'NETLAB_API_EXPIRED');
  t.doesNotThrow(() => s.watch('Service', { resourceVersion: '8' }), 'the oldest kept version still resumes');
  s.close();
});

t.test('bookmarks only for watchers that ask', async (t) => {
  const s = newStore();
  const ac = new AbortController();
  const withBm = s.watch('Pod', {
    resourceVersion: s.resourceVersion,
    allowWatchBookmarks: true,
    signal: ac.signal,
  });
  const without = s.watch('Pod', { resourceVersion: s.resourceVersion, signal: ac.signal });
  s.bookmark();
  s.create(pod('p', {}));
  t.same(await take(withBm, 2), ['BOOKMARK  5', 'ADDED p 6']);
  t.same(await take(without, 1), ['ADDED p 6']);
  ac.abort();
  s.close();
});

t.test('selector watches see objects move in and out', async (t) => {
  const s = newStore();
  const ac = new AbortController();
  const w = s.watch('Pod', { labelSelector: 'app=web', signal: ac.signal });
  const onNode = s.watch('Pod', { fieldSelector: 'spec.nodeName=n1', signal: ac.signal });
  s.create(pod('p1', { app: 'web' }, 'n1'));
  s.create(pod('p2', { app: 'db' }, 'n2'));
  s.patch('Pod', 'p1', { metadata: { labels: { app: 'db' } } });
  s.patch('Pod', 'p2', { metadata: { labels: { app: 'web' } } });
  t.same(await take(w, 3), ['ADDED p1 6', 'DELETED p1 8', 'ADDED p2 9']);
  t.same(await take(onNode, 2), ['ADDED p1 6', 'MODIFIED p1 8']);
  ac.abort();
  s.close();
});

t.test('list with label and field selectors', async (t) => {
  const s = newStore();
  s.create(pod('a', { app: 'web', tier: 'front' }, 'n1'));
  s.create(pod('b', { app: 'web', tier: 'back' }, 'n2'));
  s.create(pod('c', { app: 'db' }, 'n1'));
  s.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'other' } } as AnyObject);
  s.create(pod('d', { app: 'web' }, 'n1', { namespace: 'other' }));
  const cases: { opts: Record<string, string>; names: string[] }[] = [
    { opts: {}, names: ['a', 'b', 'c', 'd'] },
    { opts: { namespace: 'default' }, names: ['a', 'b', 'c'] },
    { opts: { labelSelector: 'app=web' }, names: ['a', 'b', 'd'] },
    { opts: { labelSelector: 'app==web,tier!=front' }, names: ['b', 'd'] },
    { opts: { labelSelector: 'tier in (front,back)' }, names: ['a', 'b'] },
    { opts: { labelSelector: 'tier notin (front)' }, names: ['b', 'c', 'd'] },
    { opts: { labelSelector: 'tier' }, names: ['a', 'b'] },
    { opts: { labelSelector: '!tier' }, names: ['c', 'd'] },
    { opts: { fieldSelector: 'spec.nodeName=n1' }, names: ['a', 'c', 'd'] },
    { opts: { fieldSelector: 'metadata.name=b' }, names: ['b'] },
    { opts: { fieldSelector: 'metadata.name=d' }, names: ['d'] },
    { opts: { namespace: 'other', fieldSelector: 'metadata.name=d' }, names: ['d'] },
    { opts: { namespace: 'default', fieldSelector: 'metadata.name=d' }, names: [] },
    {
      opts: { namespace: 'default', fieldSelector: 'metadata.name=a', labelSelector: 'tier=back' },
      names: [],
    },
    { opts: { namespace: 'default', fieldSelector: 'metadata.name=a,spec.nodeName=n1' }, names: ['a'] },
    { opts: { namespace: 'default', fieldSelector: 'metadata.name!=a' }, names: ['b', 'c'] },
    { opts: { fieldSelector: 'metadata.namespace!=default', labelSelector: 'app=web' }, names: ['d'] },
  ];
  for (const c of cases)
    t.same(
      s.list('Pod', c.opts).items.map((p) => p.metadata.name),
      c.names,
      JSON.stringify(c.opts),
    );
  s.create({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' } } as AnyObject);
  s.create({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'n2' } } as AnyObject);
  for (const [sel, names] of [
    ['metadata.name=n2', ['n2']],
    ['metadata.name=n3', []],
    ['metadata.name=n1,spec.unschedulable=false', ['n1']],
    ['metadata.name=n1,spec.unschedulable=true', []],
  ] as const)
    t.same(
      s.list('Node', { fieldSelector: sel }).items.map((n) => n.metadata.name),
      names,
      `Nodes ${sel}`,
    );
  t.throws(() => s.list('Service', { fieldSelector: 'spec.nodeName=n1' }), {
    message: 'field label not supported: spec.nodeName',
    reason: 'BadRequest',
  });
  t.throws(() => s.list('Pod', { labelSelector: 'a in b' }), { name: 'StatusError', reason: 'BadRequest' });
  s.close();
});

t.test('batch apply is atomic', async (t) => {
  const s = newStore();
  const ac = new AbortController();
  const w = s.watch('Service', { resourceVersion: s.resourceVersion, signal: ac.signal });
  const rv = s.resourceVersion;
  const freeIPs = s.allocators.byFamily.get('IPv4')!.free();
  const freePorts = s.allocators.nodePorts.free();
  const batch: AnyObject[] = [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } } as AnyObject,
    svc('a', { type: 'NodePort' }),
    svc('b', { ports: [{ port: 70000, targetPort: 80 }] }),
    svc('c', { clusterIP: '10.96.0.1' }),
    { ...svc('d'), metadata: { name: 'd', namespace: 'shop' } } as AnyObject,
  ];
  const err = t.throws(() => s.apply(batch)) as BatchError;
  t.ok(err instanceof BatchError);
  t.same(
    err.failures.map((f) => `${f.index}: ${f.error.message}`),
    [
      '2: Service "b" is invalid: spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive',
      '3: Service "c" is invalid: spec.clusterIPs: Invalid value: []string{"10.96.0.1"}: failed to allocate IP 10.96.0.1: provided IP is already allocated',
    ],
  );
  t.equal(s.resourceVersion, rv, 'nothing written');
  t.equal(s.find('Namespace', 'shop'), undefined);
  t.equal(s.find('Service', 'a'), undefined);
  t.equal(s.allocators.byFamily.get('IPv4')!.free(), freeIPs, 'no address kept');
  t.equal(s.allocators.nodePorts.free(), freePorts, 'no port kept');
  const dry = s.apply([batch[0]!, batch[1]!, batch[4]!], { dryRun: true });
  t.equal(dry.length, 3);
  t.equal(s.resourceVersion, rv, 'a dry run writes nothing');
  const applied = s.apply([
    batch[0]!,
    batch[1]!,
    batch[4]!,
    svc('a', { type: 'NodePort', sessionAffinity: 'ClientIP' }),
  ]);
  t.same(
    applied.map(
      (o) => `${o.kind} ${o.metadata.namespace ?? ''}/${o.metadata.name} ${o.metadata.resourceVersion}`,
    ),
    ['Namespace /shop 6', 'Service default/a 7', 'Service shop/d 8', 'Service default/a 9'],
    'a name seen twice is created, then updated',
  );
  t.same(
    await take(w, 3),
    ['ADDED a 7', 'ADDED d 8', 'MODIFIED a 9'],
    'watchers see the batch once it is applied',
  );
  ac.abort();
  s.close();
});

t.test('graceful deletion of Pods', async (t) => {
  const s = newStore();
  s.create(pod('bound', {}, 'n1'));
  s.create(pod('pending', {}));
  const first = s.delete('Pod', 'bound');
  t.equal(first.metadata.deletionTimestamp, '2026-01-01T00:00:30Z');
  t.equal(first.metadata.deletionGracePeriodSeconds, 30);
  t.ok(s.find('Pod', 'bound'), 'still there until the kubelet confirms');
  t.equal(
    s.delete('Pod', 'bound', { gracePeriodSeconds: 10 }).metadata.deletionGracePeriodSeconds,
    10,
    'a shorter grace wins',
  );
  s.delete('Pod', 'bound', { gracePeriodSeconds: 0 });
  t.equal(s.find('Pod', 'bound'), undefined, 'grace 0 removes it');
  s.delete('Pod', 'pending');
  t.equal(s.find('Pod', 'pending'), undefined, 'an unscheduled pod goes at once');
  s.close();
});

t.test('ownerReferences: dependents are collected in the background, or orphaned', async (t) => {
  const s = newStore();
  const rs = s.create(workload('ReplicaSet', 'web-1'));
  const owner = [
    { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-1', uid: rs.metadata.uid!, controller: true },
  ];
  s.create(pod('web-1-a', { app: 'web' }, undefined, { ownerReferences: owner }));
  s.create(pod('web-1-b', { app: 'web' }, 'n1', { ownerReferences: owner }));
  s.create(pod('other', { app: 'web' }));
  s.delete('ReplicaSet', 'web-1');
  t.same(
    s.list('Pod').items.map((p) => `${p.metadata.name} ${p.metadata.deletionTimestamp ?? '-'}`),
    ['other -', 'web-1-b 2026-01-01T00:00:30Z'],
    'the unscheduled pod is gone, the running one terminating',
  );
  const rs2 = s.create({ ...rs, metadata: { name: 'web-2' } } as AnyObject);
  s.create(
    pod('web-2-a', { app: 'web' }, undefined, {
      ownerReferences: [{ ...owner[0]!, name: 'web-2', uid: rs2.metadata.uid! }],
    }),
  );
  s.delete('ReplicaSet', 'web-2', { propagationPolicy: 'Orphan' });
  t.same(s.get('Pod', 'web-2-a').metadata.ownerReferences, undefined, 'orphaned');
  s.close();
});

t.test('namespaces: deletion takes the content; the built-in ones stay', async (t) => {
  const s = newStore();
  s.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } } as AnyObject);
  const a = s.create({
    ...svc('a', { type: 'NodePort' }),
    metadata: { name: 'a', namespace: 'shop' },
  } as AnyObject) as Service;
  s.delete('Namespace', 'shop');
  t.equal(s.find('Service', 'a', 'shop'), undefined);
  t.notOk(s.allocators.nodePorts.has(a.spec.ports![0]!.nodePort!), 'the nodePort went back');
  t.throws(() => s.create({ ...svc('b'), metadata: { name: 'b', namespace: 'shop' } } as AnyObject), {
    message: 'namespaces "shop" not found',
  });
  for (const ns of ['default', 'kube-system', 'kube-public'])
    t.throws(() => s.delete('Namespace', ns), {
      message: `namespaces "${ns}" is forbidden: this namespace may not be deleted`,
    });
  s.close();
});

t.test('status, finalizers, generation', async (t) => {
  const s = newStore();
  s.create(pod('p', {}, 'n1'));
  const running = s.updateStatus({
    ...structuredClone(s.get('Pod', 'p')),
    status: { phase: 'Running', podIP: '10.244.1.5', podIPs: [{ ip: '10.244.1.5' }] },
    spec: { containers: [] },
  } as Pod);
  t.equal(running.status?.podIP, '10.244.1.5');
  t.equal(running.spec.containers.length, 1, '/status leaves spec alone');
  const keep = s.update({ ...structuredClone(running), status: { phase: 'Failed' } } as Pod);
  t.equal(keep.status?.phase, 'Running', 'a plain update leaves status alone');
  s.create({
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: 'n9', finalizers: ['example.com/keep'] },
  } as AnyObject);
  s.delete('Node', 'n9');
  t.ok(s.get('Node', 'n9').metadata.deletionTimestamp, 'a finalizer holds the object');
  s.patch('Node', 'n9', { metadata: { finalizers: null } });
  t.equal(s.find('Node', 'n9'), undefined, 'and it goes when the finalizer does');
  const d = s.create(workload('Deployment', 'web'));
  t.equal(d.metadata.generation, 1);
  t.equal(
    s.patch('Deployment', 'web', { metadata: { labels: { a: 'b' } } }).metadata.generation,
    1,
    'metadata only',
  );
  t.equal(s.patch('Deployment', 'web', { spec: { replicas: 3 } }).metadata.generation, 2, 'spec change');
  const kinds: Kind[] = ['Namespace', 'Node', 'Pod', 'Service', 'Endpoints', 'EndpointSlice', 'Deployment'];
  let last = 0;
  for (const k of kinds)
    for (const o of s.list(k).items) {
      const rv = Number(o.metadata.resourceVersion);
      t.ok(rv > 0);
      last = Math.max(last, rv);
    }
  t.equal(String(last), s.resourceVersion, 'one counter across kinds');
  s.close();
});

t.test('applying the same manifest twice changes nothing', async (t) => {
  const s = newStore();
  const manifest = svc('web', { type: 'NodePort', ports: [{ name: 'http', port: 80 }] });
  const [first] = s.apply([manifest]);
  const [second] = s.apply([manifest]);
  t.equal(second!.metadata.resourceVersion, first!.metadata.resourceVersion, 'no new resourceVersion');
  t.same((second as Service).spec.ports, (first as Service).spec.ports, 'the nodePort is kept');
  s.close();
});

t.test('namespaces carry their name as a label', async (t) => {
  const s = newStore();
  const ns = s.create({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: 'shop', labels: { team: 'a' } },
  } as AnyObject);
  t.same(ns.metadata.labels, { team: 'a', 'kubernetes.io/metadata.name': 'shop' });
  t.same(
    s
      .list('Namespace', { labelSelector: 'kubernetes.io/metadata.name in (default,shop)' })
      .items.map((n) => n.metadata.name),
    ['default', 'shop'],
  );
  s.close();
});

t.test('a Pod with a finalizer waits for it even after grace 0', async (t) => {
  const s = newStore();
  s.create(pod('p', {}, 'n1', { finalizers: ['example.com/hold'] }));
  s.delete('Pod', 'p', { gracePeriodSeconds: 0 });
  t.equal(s.get('Pod', 'p').metadata.deletionGracePeriodSeconds, 0, 'terminating, held by the finalizer');
  s.patch('Pod', 'p', { metadata: { finalizers: null } });
  t.equal(s.find('Pod', 'p'), undefined, 'gone with its finalizer');
  s.create(pod('q', {}, 'n1', { finalizers: ['example.com/hold'] }));
  s.delete('Pod', 'q');
  s.patch('Pod', 'q', { metadata: { finalizers: null } });
  t.ok(s.find('Pod', 'q'), 'still waits for the kubelet to confirm');
  s.delete('Pod', 'q', { gracePeriodSeconds: 0 });
  t.equal(s.find('Pod', 'q'), undefined);
  s.close();
});

t.test('the kubelet confirming a held Pod shortens its grace to 0', async (t) => {
  const s = newStore();
  s.create(pod('p', {}, 'n1', { finalizers: ['example.com/hold'] }));
  s.delete('Pod', 'p');
  s.delete('Pod', 'p', { gracePeriodSeconds: 0 });
  t.equal(s.get('Pod', 'p').metadata.deletionGracePeriodSeconds, 0);
  s.patch('Pod', 'p', { metadata: { finalizers: null } });
  t.equal(s.find('Pod', 'p'), undefined);
  s.close();
});

t.test('singular and plural fields come back as kube-apiserver stores them', async (t) => {
  const s = newStore();
  const node = (spec: Record<string, unknown>) =>
    ({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' }, spec }) as AnyObject;
  const nodes: { name: string; spec: Record<string, unknown>; want: Record<string, unknown> }[] = [
    {
      name: 'podCIDR alone fills podCIDRs',
      spec: { podCIDR: '10.244.1.0/24' },
      want: { podCIDR: '10.244.1.0/24', podCIDRs: ['10.244.1.0/24'] },
    },
    {
      name: 'podCIDRs alone fills podCIDR',
      spec: { podCIDRs: ['10.244.2.0/24', 'fd00:10:244:2::/64'] },
      want: { podCIDR: '10.244.2.0/24', podCIDRs: ['10.244.2.0/24', 'fd00:10:244:2::/64'] },
    },
    {
      name: 'a podCIDR that disagrees wins (older clients)',
      spec: { podCIDR: '10.244.3.0/24', podCIDRs: ['10.244.9.0/24'] },
      want: { podCIDR: '10.244.3.0/24', podCIDRs: ['10.244.3.0/24'] },
    },
  ];
  for (const c of nodes) {
    t.same((s.create(node(c.spec)) as Node).spec, c.want, c.name);
    s.delete('Node', 'n1');
  }
  s.create(pod('p', {}, 'n1'));
  const statuses: { name: string; status: Record<string, unknown>; want: Record<string, unknown> }[] = [
    {
      name: 'podIP and hostIP alone fill the lists',
      status: { podIP: '10.244.1.5', hostIP: '192.168.0.2' },
      want: {
        podIP: '10.244.1.5',
        podIPs: [{ ip: '10.244.1.5' }],
        hostIP: '192.168.0.2',
        hostIPs: [{ ip: '192.168.0.2' }],
      },
    },
    {
      name: 'podIPs alone fill podIP',
      status: { podIPs: [{ ip: '10.244.1.6' }, { ip: 'fd00:10:244:1::6' }] },
      want: { podIP: '10.244.1.6', podIPs: [{ ip: '10.244.1.6' }, { ip: 'fd00:10:244:1::6' }] },
    },
  ];
  for (const c of statuses) {
    const cur = s.get('Pod', 'p');
    t.same((s.updateStatus({ ...cur, status: c.status } as AnyObject) as Pod).status, c.want, c.name);
  }
  s.close();
});

t.test('a status write copies only the status; what the client changed is still decoded', async (t) => {
  const s = newStore();
  const before = s.create(pod('p', {}, 'n1'));
  const after = s.updateStatus({ ...before, status: { phase: 'Running' } } as Pod);
  t.same(
    [after.spec === before.spec, after.metadata.labels === before.metadata.labels, after.status?.phase],
    [true, true, 'Running'],
    'spec and labels are the stored objects, shared by the new version',
  );
  t.throws(() => s.updateStatus({ ...after, spec: { containers: 'c' } } as unknown as Pod), {
    message:
      /^Pod in version "v1" cannot be handled as a Pod: json: cannot unmarshal string into Go struct field/,
  });
  t.throws(() => s.updateStatus({ ...after, metadata: { ...after.metadata, resourceVersion: '1' } }), {
    message:
      'Operation cannot be fulfilled on pods "p": the object has been modified; please apply your changes to the latest version and try again',
  });
  s.close();
});

t.test(
  'stored parts a client passes on are shared; defaulting that would change one gets a copy',
  async (t) => {
    const s = newStore();
    const rs = s.create(workload('ReplicaSet', 'web'));
    const template = (rs as { spec: { template: { spec: Pod['spec'] } } }).spec.template.spec;
    const a = s.create({ ...pod('a', { app: 'web' }), spec: template });
    const bound = s.update({ ...a, spec: { ...a.spec, nodeName: 'n1' } });
    // A hostNetwork Pod's ports default their hostPort: the template's containers cannot take it.
    const host = s.create({
      ...pod('h'),
      spec: {
        ...template,
        hostNetwork: true,
        containers: [{ ...template.containers[0]!, ports: [{ containerPort: 8080 }] }],
      },
    });
    const sharedPorts = s.create({
      ...pod('h2'),
      spec: { ...template, containers: host.spec.containers, hostNetwork: false },
    });
    const hostPorts = s.create({
      ...pod('h3'),
      spec: { ...template, hostNetwork: true, containers: a.spec.containers },
    });
    t.same(
      {
        podSpecIsTemplate: a.spec === template,
        boundContainersShared: bound.spec.containers === template.containers,
        bound: JSON.stringify(bound.spec),
        hostPorts: JSON.stringify(host.spec.containers[0]!.ports),
        sharedPorts: sharedPorts.spec.containers === host.spec.containers,
        noPortsToDefault: hostPorts.spec.containers === a.spec.containers,
        templateAfter: JSON.stringify(s.get('ReplicaSet', 'web').spec.template),
      },
      {
        podSpecIsTemplate: true,
        boundContainersShared: true,
        bound:
          '{"containers":[{"name":"c","image":"agnhost","terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File","imagePullPolicy":"Always","resources":{}}],"restartPolicy":"Always","dnsPolicy":"ClusterFirst","terminationGracePeriodSeconds":30,"schedulerName":"default-scheduler","securityContext":{},"enableServiceLinks":true,"nodeName":"n1"}',
        hostPorts: '[{"containerPort":8080,"protocol":"TCP","hostPort":8080}]',
        sharedPorts: true,
        noPortsToDefault: true,
        templateAfter:
          '{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"name":"c","image":"agnhost","terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File","imagePullPolicy":"Always","resources":{}}],"restartPolicy":"Always","dnsPolicy":"ClusterFirst","terminationGracePeriodSeconds":30,"schedulerName":"default-scheduler","securityContext":{},"enableServiceLinks":true}}',
      },
    );
    // A non-hostNetwork Pod given a hostNetwork Pod's frozen port list whose hostPort is unset: none here.
    const plain = s.create({
      ...pod('p2'),
      spec: { ...template, containers: [{ ...template.containers[0]!, ports: [{ containerPort: 9090 }] }] },
    });
    const hostFromPlain = s.create({
      ...pod('h4'),
      spec: { ...template, hostNetwork: true, containers: plain.spec.containers },
    });
    t.same(
      [
        JSON.stringify(plain.spec.containers[0]!.ports),
        JSON.stringify(hostFromPlain.spec.containers[0]!.ports),
        hostFromPlain.metadata.name,
      ],
      [
        '[{"containerPort":9090,"protocol":"TCP"}]',
        '[{"containerPort":9090,"protocol":"TCP","hostPort":9090}]',
        'h4',
      ],
      'defaulting a shared part falls back to a whole copy; the stored original is unchanged',
    );
    // The fallback keeps the name drawn for a generateName: the names after it are those of a store
    // that copies everything.
    const g = newStore();
    const ports = g.create({
      ...pod('p2'),
      spec: { containers: [{ name: 'c', image: 'agnhost', ports: [{ containerPort: 9090 }] }] },
    }).spec.containers;
    const generated = (spec: Record<string, unknown>) =>
      g.create({ apiVersion: 'v1', kind: 'Pod', metadata: { generateName: 'g-' }, spec } as unknown as Pod)
        .metadata.name;
    t.same(
      [generated({ hostNetwork: true, containers: ports }), generated({ containers: ports })],
      ['g-546gf', 'g-kkqtm'],
    );
    g.close();
    s.close();
  },
);

t.test('a bind that passes on the stored Pod gives what a bind of a copied Pod gives', async (t) => {
  // Each row runs in two stores given the same writes: one binds with the stored Pod's own parts (the
  // scheduler's spread), the other with a copy of them, which takes the whole write path.
  type Row = { name: string; from: 'template' | 'own' | 'status'; bind: (p: Pod) => Pod };
  const bindTo =
    (nodeName: string) =>
    (p: Pod): Pod => ({ ...p, spec: { ...p.spec, nodeName } });
  const rows: Row[] = [
    { name: 'from a template', from: 'template', bind: bindTo('n1') },
    { name: 'own spec', from: 'own', bind: bindTo('node-1.zone-a') },
    { name: 'after a status write', from: 'status', bind: bindTo('n1') },
    { name: 'name first', from: 'template', bind: (p) => ({ ...p, spec: { nodeName: 'n1', ...p.spec } }) },
    { name: 'invalid node name', from: 'template', bind: bindTo('n_1') },
    { name: 'empty node name', from: 'template', bind: bindTo('') },
    {
      name: 'with a label change',
      from: 'template',
      bind: (p) => ({ ...bindTo('n1')(p), metadata: { ...p.metadata, labels: { app: 'x' } } }),
    },
    {
      name: 'with a spec change',
      from: 'own',
      bind: (p) => ({ ...p, spec: { ...p.spec, hostname: 'h', nodeName: 'n1' } }),
    },
    {
      name: 'stale version',
      from: 'template',
      bind: (p) => ({ ...bindTo('n1')(p), metadata: { ...p.metadata, resourceVersion: '1' } }),
    },
    { name: 'bound again', from: 'template', bind: (p) => bindTo('n2')(bindTo('n1')(p)) },
  ];
  const run = (row: Row, copy: boolean) => {
    const s = newStore();
    const rs = s.create(workload('ReplicaSet', 'web'));
    const template = (rs as { spec: { template: { spec: Pod['spec'] } } }).spec.template.spec;
    let p = s.create(row.from === 'template' ? { ...pod('a', { app: 'web' }), spec: template } : pod('a'));
    if (row.from === 'status') p = s.updateStatus({ ...p, status: { ...p.status, hostIP: '10.0.0.1' } });
    if (row.name === 'bound again') p = s.update(bindTo('n1')(p));
    const from = s.resourceVersion;
    const input = row.bind(copy ? (JSON.parse(JSON.stringify(p)) as Pod) : p);
    let out: unknown;
    try {
      const got = s.update(input);
      out = { json: JSON.stringify(got), statusShared: got.status === p.status };
    } catch (e) {
      out = (e as Error).message;
    }
    // What a watcher from before the bind sees: one event a write since.
    const it = s.watch('Pod', { resourceVersion: from })[Symbol.asyncIterator]();
    const events: Promise<string>[] = [];
    for (let i = Number(from); i < Number(s.resourceVersion); i++)
      events.push(it.next().then((r) => `${r.value.type} ${JSON.stringify(r.value.object)}`));
    const stored = JSON.stringify(s.get('Pod', 'a'));
    return { out, stored, rv: s.resourceVersion, events: Promise.all(events), close: () => s.close() };
  };
  const strip = (o: unknown) =>
    typeof o === 'string' ? o : { ...(o as { json: string }), statusShared: undefined };
  const taken: unknown[] = [];
  for (const row of rows) {
    const fast = run(row, false);
    const whole = run(row, true);
    t.same(
      { out: strip(fast.out), stored: fast.stored, rv: fast.rv, events: await fast.events },
      { out: strip(whole.out), stored: whole.stored, rv: whole.rv, events: await whole.events },
      row.name,
    );
    fast.close();
    whole.close();
    // The short path keeps the stored status as it is, where the whole path copies it.
    taken.push(
      typeof fast.out === 'string' ? 'refused' : (fast.out as { statusShared: boolean }).statusShared,
    );
  }
  t.same(taken, [true, true, false, true, 'refused', false, false, false, 'refused', 'refused']);
  const first = run(rows[0]!, false);
  t.match(
    await first.events,
    [
      /^MODIFIED \{"apiVersion":"v1","kind":"Pod","metadata":\{.*"resourceVersion":"8"\},"spec":\{.*"nodeName":"n1"\},"status":/,
    ],
    'the bind is the one event',
  );
  first.close();
});

t.test('stored parts checked once are still checked against what is new around them', async (t) => {
  const s = newStore();
  const a = s.create(pod('a'));
  s.create(pod('b', {}, 'n1')); // a's containers, spec and labels are now known valid
  const refused = (p: Pod) => {
    try {
      s.create(p);
      return 'created';
    } catch (e) {
      return (e as Error).message;
    }
  };
  t.same(
    [
      refused({
        ...pod('c'),
        spec: { initContainers: [{ name: 'c', image: 'x' }], containers: a.spec.containers },
      }),
      refused({ ...pod('d'), spec: { ...a.spec, nodeName: 'n_1' } }),
      refused({ ...pod('e'), spec: a.spec }),
    ],
    [
      'Pod "c" is invalid: spec.containers[0].name: Duplicate value: "c"',
      `Pod "d" is invalid: spec.nodeName: Invalid value: "n_1": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
      'created',
    ],
  );
  s.close();
});

t.test('replace holds objects as an informer cache does, and watchers see only the difference', async (t) => {
  const s = new Store({ bootstrap: false, bookmarkIntervalMs: 0 });
  // Read as given: a ClusterIP outside any service CIDR, no defaults, no namespace in the manifest.
  const raw = (name: string, ip: string) =>
    ({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name },
      spec: { clusterIP: ip, ports: [{ port: 80 }] },
    }) as Service;
  s.replace(['Service', 'Node'], [raw('a', '172.30.0.41'), raw('b', '172.30.0.42')]);
  const a = s.get('Service', 'a');
  t.same(a.spec, { clusterIP: '172.30.0.41', ports: [{ port: 80 }] }, 'no defaulting or allocation');
  t.equal(a.metadata.namespace, 'default', 'the namespace kubectl would give it');
  const ac = new AbortController();
  const w = s.watch('Service', { signal: ac.signal, resourceVersion: s.resourceVersion });
  s.replace(['Service', 'Node'], [raw('a', '172.30.0.41'), raw('c', '172.30.0.43'), raw('b', '172.30.0.9')]);
  s.replace(['Service', 'Node'], [raw('c', '172.30.0.43')]);
  t.same(
    await take(w, 4),
    ['ADDED c 3', 'MODIFIED b 4', 'DELETED a 5', 'DELETED b 6'],
    'a unchanged: no event; then what went away',
  );
  ac.abort();
  s.close();
});
