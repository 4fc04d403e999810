// The StatefulSet controller on a store with a stand-in for the kubelets: ordinal names and DNS
// hostnames, OrderedReady vs Parallel, names kept across deletion, scale-down in reverse order, and
// RollingUpdate from the highest ordinal down to the partition, as tables.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import type { Service, StatefulSet, Store } from '../../api/index.js';
import { parseZoneConfig, Zone } from '../../dns/index.js';
import { ObjectSource } from '../../dns/zone/source.js';
import { QTYPE } from '../../dns/zone/zone.js';
import { Cluster } from '../../lab/cluster.js';
import { ControllerManager } from '../../lab/controllers/index.js';
import { ready, waitPod } from './kubelet-fixture.js';
import { boot, endpointsText, node } from './workload-fixture.js';

function statefulSet(extra: Partial<StatefulSet['spec']> = {}): StatefulSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: 'db', namespace: 'default' },
    spec: {
      replicas: 3,
      serviceName: 'db',
      selector: { matchLabels: { app: 'db' } },
      template: {
        metadata: { labels: { app: 'db' } },
        spec: { containers: [{ name: 'db', image: 'registry.k8s.io/e2e-test-images/agnhost:2.53' }] },
      },
      ...extra,
    },
  };
}

const headless: Service = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'db', namespace: 'default' },
  spec: { clusterIP: 'None', selector: { app: 'db' }, ports: [{ name: 'pg', port: 5432 }] },
};

/** `db-0 Running R rev1` per Pod, revisions numbered in the order they appear. */
function podsText(store: Store, revs: Map<string, string>): string {
  return store
    .list('Pod')
    .items.map((p) => {
      const hash = p.metadata.labels?.['controller-revision-hash'] ?? '';
      if (!revs.has(hash)) revs.set(hash, `rev${revs.size + 1}`);
      const ready = p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
      const phase = p.metadata.deletionTimestamp ? 'Terminating' : (p.status?.phase ?? '');
      return `${p.metadata.name} ${phase}${ready ? ' R' : ''} ${revs.get(hash)}`;
    })
    .join(', ');
}

function statusText(store: Store, revs: Map<string, string>): string {
  const s = store.get('StatefulSet', 'db').status ?? { replicas: 0 };
  const rev = (h: string | undefined) => {
    if (!h) return '-';
    if (!revs.has(h)) revs.set(h, `rev${revs.size + 1}`);
    return revs.get(h);
  };
  return `replicas=${s.replicas} ready=${s.readyReplicas} current=${s.currentReplicas} updated=${s.updatedReplicas} available=${s.availableReplicas} current=${rev(s.currentRevision)} update=${rev(s.updateRevision)}`;
}

t.test('OrderedReady: one ordinal at a time, names, labels, hostnames and DNS names', async (t) => {
  const { store, cm, kubelets } = boot(t);
  store.create(node('node-1', 'zone-a'));
  store.create(node('node-2', 'zone-b'));
  store.create(headless);
  store.create(statefulSet());
  cm.start();
  const revs = new Map<string, string>();
  const rows: string[] = [];
  const step = async (what: string, act: () => void) => {
    act();
    await cm.settled();
    rows.push(`${what} | ${podsText(store, revs)}`);
  };
  await step('created', () => {});
  await step('db-0 starts', () => kubelets.start());
  await step('db-0 ready', () => kubelets.ready());
  await step('db-1 starts', () => kubelets.start());
  await step('db-1 ready', () => kubelets.ready());
  await step('db-2 starts, ready', () => {
    kubelets.start();
    kubelets.ready();
  });
  t.same(rows, [
    'created | db-0 Pending rev1',
    'db-0 starts | db-0 Running rev1',
    'db-0 ready | db-0 Running R rev1, db-1 Pending rev1',
    'db-1 starts | db-0 Running R rev1, db-1 Running rev1',
    'db-1 ready | db-0 Running R rev1, db-1 Running R rev1, db-2 Pending rev1',
    'db-2 starts, ready | db-0 Running R rev1, db-1 Running R rev1, db-2 Running R rev1',
  ]);
  t.equal(
    statusText(store, revs),
    'replicas=3 ready=3 current=3 updated=3 available=3 current=rev1 update=rev1',
  );
  const db1 = store.get('Pod', 'db-1');
  const hash = db1.metadata.labels?.['controller-revision-hash'] ?? '';
  t.match(hash, /^db-[bcdfghjklmnpqrstvwxz2456789]+$/, 'the revision hash label names a ControllerRevision');
  t.same(
    {
      labels: db1.metadata.labels,
      hostname: db1.spec.hostname,
      subdomain: db1.spec.subdomain,
      owner: db1.metadata.ownerReferences?.map((r) => `${r.kind}/${r.name} controller=${r.controller}`),
    },
    {
      labels: {
        app: 'db',
        'statefulset.kubernetes.io/pod-name': 'db-1',
        'apps.kubernetes.io/pod-index': '1',
        'controller-revision-hash': hash,
      },
      hostname: 'db-1',
      subdomain: 'db',
      owner: ['StatefulSet/db controller=true'],
    },
  );
  const rev = store.get('ControllerRevision', hash);
  t.same(
    { revision: rev.revision, labels: rev.metadata.labels, owner: rev.metadata.ownerReferences?.[0]?.name },
    { revision: 1, labels: { app: 'db' }, owner: 'db' },
  );

  // The headless Service's slice carries each Pod's hostname, so cluster DNS names each ordinal.
  const slices = store.list('EndpointSlice', { labelSelector: 'kubernetes.io/service-name=db' }).items;
  t.same(
    slices
      .flatMap((s) => s.endpoints ?? [])
      .map((e) => `${e.hostname} ${e.addresses[0]} ${e.targetRef?.name}`),
    ['db-0 10.244.1.2 db-0', 'db-1 10.244.2.2 db-1', 'db-2 10.244.1.3 db-2'],
  );
  const objects = [
    ...store.list('Service').items,
    ...store.list('EndpointSlice').items,
    ...store.list('Pod').items,
    ...store.list('Namespace').items,
  ];
  const dns = new Zone(new ObjectSource(objects), parseZoneConfig());
  t.teardown(() => dns.close());
  const answer = (name: string, type: number) =>
    dns
      .lookup(name, type)
      .answers.map((a) => `${a.name} ${a.type} ${JSON.stringify((a as { data?: unknown }).data)}`)
      .sort();
  t.same(answer('db-0.db.default.svc.cluster.local', QTYPE.A), [
    'db-0.db.default.svc.cluster.local A "10.244.1.2"',
  ]);
  t.same(answer('db-2.db.default.svc.cluster.local', QTYPE.A), [
    'db-2.db.default.svc.cluster.local A "10.244.1.3"',
  ]);
  t.same(answer('_pg._tcp.db.default.svc.cluster.local', QTYPE.SRV), [
    '_pg._tcp.db.default.svc.cluster.local SRV {"priority":0,"weight":33,"port":5432,"target":"db-0.db.default.svc.cluster.local"}',
    '_pg._tcp.db.default.svc.cluster.local SRV {"priority":0,"weight":33,"port":5432,"target":"db-1.db.default.svc.cluster.local"}',
    '_pg._tcp.db.default.svc.cluster.local SRV {"priority":0,"weight":33,"port":5432,"target":"db-2.db.default.svc.cluster.local"}',
  ]);
});

t.test('a deleted Pod comes back under its name; scale-down from the highest ordinal', async (t) => {
  const { store, cm, kubelets } = boot(t);
  store.create(node('node-1', 'zone-a'));
  store.create(headless);
  store.create(statefulSet());
  cm.start();
  for (let i = 0; i < 3; i++) {
    await cm.settled();
    kubelets.start();
    kubelets.ready();
  }
  await cm.settled();
  const revs = new Map<string, string>();
  const rows: string[] = [];
  const step = async (what: string, act: () => void) => {
    act();
    await cm.settled();
    rows.push(`${what} | ${podsText(store, revs)} | ${endpointsText(store, 'db')}`);
  };
  await step('running', () => {});
  await step('delete db-1', () => store.delete('Pod', 'db-1'));
  await step('db-1 gone', () => kubelets.finishDeletions());
  await step('db-1 ready', () => {
    kubelets.start();
    kubelets.ready();
  });
  await step('scale to 1', () => {
    const s = store.get('StatefulSet', 'db');
    store.update({ ...s, spec: { ...s.spec, replicas: 1 } });
  });
  await step('db-2 gone', () => kubelets.finishDeletions());
  await step('db-1 gone', () => kubelets.finishDeletions());
  t.same(rows, [
    'running | db-0 Running R rev1, db-1 Running R rev1, db-2 Running R rev1 | db-0=RS- db-1=RS- db-2=RS-',
    'delete db-1 | db-0 Running R rev1, db-1 Terminating R rev1, db-2 Running R rev1 | db-0=RS- db-1=-ST db-2=RS-',
    'db-1 gone | db-0 Running R rev1, db-1 Pending rev1, db-2 Running R rev1 | db-0=RS- db-2=RS-',
    'db-1 ready | db-0 Running R rev1, db-1 Running R rev1, db-2 Running R rev1 | db-0=RS- db-1=RS- db-2=RS-',
    'scale to 1 | db-0 Running R rev1, db-1 Running R rev1, db-2 Terminating R rev1 | db-0=RS- db-1=RS- db-2=-ST',
    'db-2 gone | db-0 Running R rev1, db-1 Terminating R rev1 | db-0=RS- db-1=-ST',
    'db-1 gone | db-0 Running R rev1 | db-0=RS-',
  ]);
  t.equal(
    statusText(store, revs),
    'replicas=1 ready=1 current=1 updated=1 available=1 current=rev1 update=rev1',
  );
  t.same(
    store
      .list('Event')
      .items.sort((a, b) => Number(a.metadata.resourceVersion) - Number(b.metadata.resourceVersion))
      .map((e) => `${e.type} ${e.reason} ${e.involvedObject.kind}/${e.involvedObject.name}: ${e.message}`),
    [
      'Normal SuccessfulCreate StatefulSet/db: create Pod db-0 in StatefulSet db successful',
      'Normal SuccessfulCreate StatefulSet/db: create Pod db-1 in StatefulSet db successful',
      'Normal SuccessfulCreate StatefulSet/db: create Pod db-2 in StatefulSet db successful',
      'Normal SuccessfulCreate StatefulSet/db: create Pod db-1 in StatefulSet db successful',
      'Normal SuccessfulDelete StatefulSet/db: delete Pod db-2 in StatefulSet db successful',
      'Normal SuccessfulDelete StatefulSet/db: delete Pod db-1 in StatefulSet db successful',
    ],
    'the Events kubectl describe statefulset lists',
  );
});

t.test('Parallel: every ordinal at once, and every condemned one at once', async (t) => {
  const { store, cm, kubelets } = boot(t);
  store.create(node('node-1', 'zone-a'));
  store.create(statefulSet({ podManagementPolicy: 'Parallel' }));
  cm.start();
  const revs = new Map<string, string>();
  const rows: string[] = [];
  const step = async (what: string, act: () => void) => {
    act();
    await cm.settled();
    rows.push(`${what} | ${podsText(store, revs)}`);
  };
  await step('created', () => {});
  await step('scale to 1 before any is ready', () => {
    const s = store.get('StatefulSet', 'db');
    store.update({ ...s, spec: { ...s.spec, replicas: 1 } });
  });
  t.same(rows, [
    'created | db-0 Pending rev1, db-1 Pending rev1, db-2 Pending rev1',
    'scale to 1 before any is ready | db-0 Pending rev1, db-1 Terminating rev1, db-2 Terminating rev1',
  ]);
  kubelets.finishDeletions();
  await cm.settled();
});

t.test('RollingUpdate: highest ordinal first, down to the partition, then the rest', async (t) => {
  const { store, cm, kubelets } = boot(t);
  store.create(node('node-1', 'zone-a'));
  store.create(headless);
  store.create(statefulSet({ updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 1 } } }));
  cm.start();
  for (let i = 0; i < 3; i++) {
    await cm.settled();
    kubelets.start();
    kubelets.ready();
  }
  await cm.settled();
  const revs = new Map<string, string>();
  const rows: string[] = [];
  const step = async (what: string, act: () => void) => {
    act();
    await cm.settled();
    rows.push(`${what} | ${podsText(store, revs)} | ${statusText(store, revs)}`);
  };
  const bringUp = () => {
    kubelets.finishDeletions();
  };
  await step('rev1 running', () => {});
  await step('new template', () => {
    const s = store.get('StatefulSet', 'db');
    const template = {
      ...s.spec.template,
      metadata: { ...s.spec.template.metadata, annotations: { v: '2' } },
    };
    store.update({ ...s, spec: { ...s.spec, template } });
  });
  await step('db-2 gone', bringUp);
  await step('db-2 ready', () => {
    kubelets.start();
    kubelets.ready();
  });
  await step('db-1 gone', bringUp);
  await step('db-1 ready', () => {
    kubelets.start();
    kubelets.ready();
  });
  await step('db-0 deleted by hand', () => store.delete('Pod', 'db-0', { gracePeriodSeconds: 0 }));
  await step('db-0 ready', () => {
    kubelets.start();
    kubelets.ready();
  });
  await step('partition 0', () => {
    const s = store.get('StatefulSet', 'db');
    store.update({
      ...s,
      spec: { ...s.spec, updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } } },
    });
  });
  await step('db-0 gone', bringUp);
  await step('db-0 ready', () => {
    kubelets.start();
    kubelets.ready();
  });
  t.same(rows, [
    'rev1 running | db-0 Running R rev1, db-1 Running R rev1, db-2 Running R rev1 | replicas=3 ready=3 current=3 updated=3 available=3 current=rev1 update=rev1',
    'new template | db-0 Running R rev1, db-1 Running R rev1, db-2 Terminating R rev1 | replicas=3 ready=3 current=2 updated=0 available=3 current=rev1 update=rev2',
    'db-2 gone | db-0 Running R rev1, db-1 Running R rev1, db-2 Pending rev2 | replicas=3 ready=2 current=2 updated=1 available=2 current=rev1 update=rev2',
    'db-2 ready | db-0 Running R rev1, db-1 Terminating R rev1, db-2 Running R rev2 | replicas=3 ready=3 current=1 updated=1 available=3 current=rev1 update=rev2',
    'db-1 gone | db-0 Running R rev1, db-1 Pending rev2, db-2 Running R rev2 | replicas=3 ready=2 current=1 updated=2 available=2 current=rev1 update=rev2',
    'db-1 ready | db-0 Running R rev1, db-1 Running R rev2, db-2 Running R rev2 | replicas=3 ready=3 current=1 updated=2 available=3 current=rev1 update=rev2',
    'db-0 deleted by hand | db-0 Pending rev1, db-1 Running R rev2, db-2 Running R rev2 | replicas=3 ready=2 current=1 updated=2 available=2 current=rev1 update=rev2',
    'db-0 ready | db-0 Running R rev1, db-1 Running R rev2, db-2 Running R rev2 | replicas=3 ready=3 current=1 updated=2 available=3 current=rev1 update=rev2',
    'partition 0 | db-0 Terminating R rev1, db-1 Running R rev2, db-2 Running R rev2 | replicas=3 ready=3 current=0 updated=2 available=3 current=rev1 update=rev2',
    'db-0 gone | db-0 Pending rev2, db-1 Running R rev2, db-2 Running R rev2 | replicas=3 ready=2 current=0 updated=3 available=2 current=rev1 update=rev2',
    'db-0 ready | db-0 Running R rev2, db-1 Running R rev2, db-2 Running R rev2 | replicas=3 ready=3 current=3 updated=3 available=3 current=rev2 update=rev2',
  ]);
  t.same(
    store
      .list('ControllerRevision')
      .items.map((r) => `${revs.get(r.metadata.name ?? '')} revision=${r.revision}`)
      .sort(),
    ['rev1 revision=1', 'rev2 revision=2'],
  );
});

t.test('with kubelets: db-0..2 start in order and resolve by their DNS names from a pod', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'netlab-sts-'));
  writeFileSync(
    join(dir, 'db.yaml'),
    `apiVersion: v1
kind: Node
metadata: {name: node-a}
status: {addresses: [{type: InternalIP, address: 192.168.49.2}]}
---
apiVersion: v1
kind: Service
metadata: {name: db, namespace: default}
spec: {clusterIP: None, selector: {app: db}, ports: [{name: pg, port: 5432}]}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: default}
spec:
  serviceName: db
  replicas: 3
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      containers: [{name: agnhost, image: registry.k8s.io/e2e-test-images/agnhost:2.53, args: [netexec, --http-port=5432], readinessProbe: {tcpSocket: {port: 5432}, periodSeconds: 1}}]
`,
  );
  const cluster = await Cluster.boot({
    manifests: [join(dir, 'db.yaml')],
    dnsListen: { host: '127.0.0.1', port: 0 },
    kubelets: { second: 20, realSockets: false },
    dataplane: false,
  });
  t.teardown(async () => {
    await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const { store } = cluster;
  // Each ordinal is created only once the one before it is Ready: record the Pods at each creation.
  const seen: string[] = [];
  const ac = new AbortController();
  for await (const ev of store.watch('Pod', { signal: ac.signal, resourceVersion: '0' })) {
    if (ev.type !== 'ADDED') continue;
    const before = store
      .list('Pod')
      .items.filter((p) => p.metadata.name !== ev.object.metadata.name)
      .map((p) => `${p.metadata.name}${ready(p) ? ' Ready' : ''}`);
    seen.push(`${ev.object.metadata.name} created; before it: ${before.join(', ') || 'none'}`);
    if (ev.object.metadata.name === 'db-2') ac.abort();
  }
  t.same(seen, [
    'db-0 created; before it: none',
    'db-1 created; before it: db-0 Ready',
    'db-2 created; before it: db-0 Ready, db-1 Ready',
  ]);
  const db2 = await waitPod(store, 'db-2', ready);
  await cluster.settled();
  const kubelet = cluster.kubelets!.get('node-a')!;
  const db0 = store.get('Pod', 'db-0');
  // From db-2: its search list (default.svc.cluster.local ...) finds db-0.db.
  t.same(await kubelet.lookup(db2, 'db-0.db', 4), [db0.status?.podIP]);
  t.same(
    (await kubelet.lookup(db2, 'db.default.svc.cluster.local', 4)).sort(),
    store
      .list('Pod')
      .items.map((p) => p.status?.podIP)
      .sort(),
    'the headless Service name: every ready Pod',
  );
});

t.test('a restarted controller manager picks the set up as it was: same Pods, same revision', async (t) => {
  const { store, cm, clock, kubelets, stopControllers } = boot(t);
  store.create(node('node-1', 'zone-a'));
  store.create(statefulSet({ replicas: 2 }));
  cm.start();
  for (let i = 0; i < 2; i++) {
    await cm.settled();
    kubelets.start();
    kubelets.ready();
  }
  await cm.settled();
  const before = store.resourceVersion;
  const snapshot = () => ({
    pods: store
      .list('Pod')
      .items.map((p) => `${p.metadata.uid} ${p.metadata.labels?.['controller-revision-hash']}`),
    revisions: store.list('ControllerRevision').items.map((r) => `${r.metadata.name} ${r.revision}`),
  });
  const was = snapshot();
  stopControllers();
  await cm.stopped();
  const ac = new AbortController();
  t.teardown(() => ac.abort());
  const again = new ControllerManager(store, { signal: ac.signal, clock });
  again.start();
  await again.settled();
  t.same(snapshot(), was);
  t.equal(store.resourceVersion, before, 'nothing written');
});
