import t from 'tap';
import { type EndpointPort, type EndpointSlice, type Pod, Store } from '../../api/index.js';
import { FakeClock } from '../../lab/controllers/clock.js';
import { reconcileEndpointSlices } from '../../lab/controllers/endpointslice.js';
import { ControllerManager } from '../../lab/controllers/index.js';
import { planEndpointSliceChanges } from '../../lab/controllers/sliceupdates.js';

function pod(name: string, app: string, node: string): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', labels: { app } },
    spec: { nodeName: node, containers: [{ name: 'c', image: 'pause', ports: [{ containerPort: 8080 }] }] },
  };
}

/** What a kubelet reports: the address and the Ready condition. */
function running(store: Store, name: string, ip: string, ready = true): void {
  const p = store.get('Pod', name);
  store.updateStatus({
    ...p,
    status: {
      phase: 'Running',
      podIP: ip,
      podIPs: [{ ip }],
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
    },
  });
}

function sliceText(s: EndpointSlice): string {
  const eps = (s.endpoints ?? []).map(
    (e) =>
      `${e.addresses.join(',')}${e.conditions?.ready ? '' : ' not-ready'}${e.conditions?.terminating ? ' terminating' : ''}`,
  );
  return `${s.metadata.name}: ${eps.join(' ') || '(placeholder)'}`;
}

function slicesOf(store: Store, svc: string): string[] {
  return store
    .list('EndpointSlice', { labelSelector: `kubernetes.io/service-name=${svc}` })
    .items.map(sliceText)
    .sort();
}

function boot(
  t: { teardown(fn: () => void): void },
  maxEndpointsPerSlice?: number,
): { store: Store; cm: ControllerManager } {
  const store = new Store({ bookmarkIntervalMs: 0 });
  const ac = new AbortController();
  const cm = new ControllerManager(store, {
    signal: ac.signal,
    ...(maxEndpointsPerSlice ? { maxEndpointsPerSlice } : {}),
  });
  t.teardown(() => {
    ac.abort();
    store.close();
  });
  return { store, cm };
}

t.test('an event reconciles only the Services it affects, and slices keep their names', async (t) => {
  const { store, cm } = boot(t);
  for (const app of ['a', 'b', 'c'])
    store.create({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: app, namespace: 'default' },
      spec: { selector: { app }, ports: [{ port: 80, targetPort: 8080 }] },
    });
  store.create({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' } });
  for (const [name, app, ip] of [
    ['a-1', 'a', '10.244.0.2'],
    ['a-2', 'a', '10.244.0.3'],
    ['b-1', 'b', '10.244.0.4'],
    ['c-1', 'c', '10.244.0.5'],
  ] as const) {
    store.create(pod(name, app, 'n1'));
    running(store, name, ip);
  }
  cm.start();
  await cm.settled();
  const first = slicesOf(store, 'a');
  t.same(first, ['a-kxzwb: 10.244.0.2 10.244.0.3']);
  const bBefore = store.list('EndpointSlice', { labelSelector: 'kubernetes.io/service-name=b' }).items[0]!;

  // One Pod of Service a turns not-ready: only a is reconciled, its slice updated in place.
  const syncs = cm.endpointSlice.queue.syncs;
  running(store, 'a-2', '10.244.0.3', false);
  await cm.settled();
  t.equal(cm.endpointSlice.queue.syncs - syncs, 1, 'one Service reconciled');
  t.same(slicesOf(store, 'a'), ['a-kxzwb: 10.244.0.2 10.244.0.3 not-ready']);
  const bAfter = store.list('EndpointSlice', { labelSelector: 'kubernetes.io/service-name=b' }).items[0]!;
  t.equal(bAfter.metadata.resourceVersion, bBefore.metadata.resourceVersion, 'b untouched');

  // A status change that no endpoint shows (a restart count) reconciles nothing.
  const syncs2 = cm.endpointSlice.queue.syncs;
  const p = store.get('Pod', 'c-1');
  store.updateStatus({ ...p, status: { ...p.status, startTime: '2026-01-01T00:00:00Z' } });
  await cm.settled();
  t.equal(cm.endpointSlice.queue.syncs - syncs2, 0, 'nothing reconciled');

  // Relabelling a Pod from b to c touches exactly b and c.
  const syncs3 = cm.endpointSlice.queue.syncs;
  const b1 = store.get('Pod', 'b-1');
  store.update({ ...b1, metadata: { ...b1.metadata, labels: { app: 'c' } } });
  await cm.settled();
  t.equal(cm.endpointSlice.queue.syncs - syncs3, 2, 'b and c reconciled');
  t.same(
    slicesOf(store, 'b'),
    [`${bBefore.metadata.name}: (placeholder)`],
    'b keeps its slice as placeholder',
  );
  t.same(slicesOf(store, 'c'), ['c-gv9jn: 10.244.0.5 10.244.0.4']);

  // The core/v1 Endpoints, as the endpoints controller writes them.
  t.same(store.get('Endpoints', 'a').subsets, [
    {
      addresses: [
        {
          ip: '10.244.0.2',
          nodeName: 'n1',
          targetRef: {
            kind: 'Pod',
            namespace: 'default',
            name: 'a-1',
            uid: store.get('Pod', 'a-1').metadata.uid,
          },
        },
      ],
      notReadyAddresses: [
        {
          ip: '10.244.0.3',
          nodeName: 'n1',
          targetRef: {
            kind: 'Pod',
            namespace: 'default',
            name: 'a-2',
            uid: store.get('Pod', 'a-2').metadata.uid,
          },
        },
      ],
      ports: [{ name: '', port: 8080, protocol: 'TCP' }],
    },
  ]);
  t.same(store.get('Endpoints', 'b').subsets, []);

  // A Service deleted takes its Endpoints along.
  store.delete('Service', 'a');
  await cm.settled();
  t.equal(store.find('Endpoints', 'a'), undefined);
  t.same(slicesOf(store, 'a'), []);
});

t.test('slices are filled before new ones are created, and emptied ones are reused', async (t) => {
  const { store, cm } = boot(t, 2);
  store.create({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'web', namespace: 'default' },
    spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] },
  });
  store.create({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' } });
  cm.start();
  await cm.settled();
  const steps: [string, () => void][] = [
    ['placeholder', () => {}],
    [
      'one pod: the placeholder becomes its slice',
      () => {
        store.create(pod('w1', 'web', 'n1'));
        running(store, 'w1', '10.244.0.2');
      },
    ],
    [
      'w2: fits in the slice that has room',
      () => {
        store.create(pod('w2', 'web', 'n1'));
        running(store, 'w2', '10.244.0.3');
      },
    ],
    [
      'w3: the slice is full, a new one',
      () => {
        store.create(pod('w3', 'web', 'n1'));
        running(store, 'w3', '10.244.0.4');
      },
    ],
    ['w2 deleted: updated in place', () => store.delete('Pod', 'w2', { gracePeriodSeconds: 0 })],
    [
      'w4: fills the free place',
      () => {
        store.create(pod('w4', 'web', 'n1'));
        running(store, 'w4', '10.244.0.5');
      },
    ],
    ['w3 deleted: its emptied slice goes', () => store.delete('Pod', 'w3', { gracePeriodSeconds: 0 })],
  ];
  const got: string[] = [];
  for (const [name, step] of steps) {
    step();
    await cm.settled();
    got.push(`${name}: ${slicesOf(store, 'web').join(' | ')}`);
  }
  t.same(got, [
    'placeholder: web-bmbtf: (placeholder)',
    'one pod: the placeholder becomes its slice: web-bmbtf: 10.244.0.2',
    'w2: fits in the slice that has room: web-bmbtf: 10.244.0.2 10.244.0.3',
    'w3: the slice is full, a new one: web-bmbtf: 10.244.0.2 10.244.0.3 | web-dbvq4: 10.244.0.4',
    'w2 deleted: updated in place: web-bmbtf: 10.244.0.2 | web-dbvq4: 10.244.0.4',
    'w4: fills the free place: web-bmbtf: 10.244.0.2 10.244.0.5 | web-dbvq4: 10.244.0.4',
    'w3 deleted: its emptied slice goes: web-bmbtf: 10.244.0.2 10.244.0.5',
  ]);
});

t.test('planEndpointSliceChanges writes nothing when nothing changed', async (t) => {
  const svc = {
    apiVersion: 'v1' as const,
    kind: 'Service' as const,
    metadata: { name: 'web', namespace: 'default', uid: 'u1' },
    spec: { clusterIP: '10.96.0.20', selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] },
  };
  const p: Pod = {
    ...pod('w1', 'web', 'n1'),
    status: {
      phase: 'Running',
      podIP: '10.244.0.2',
      podIPs: [{ ip: '10.244.0.2' }],
      conditions: [{ type: 'Ready', status: 'True' }],
    },
  };
  const { slices } = reconcileEndpointSlices(
    svc,
    [p],
    [{ apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' } }],
  );
  const again = planEndpointSliceChanges(svc, slices, slices, 100);
  t.same([again.create.length, again.update.length, again.delete.length], [0, 0, 0]);
  const first = planEndpointSliceChanges(svc, [], slices, 100);
  t.same(
    first.create.map((s) => s.metadata.name),
    [slices[0]!.metadata.name],
  );
});

// A slice port whose name or protocol is omitted carries kube-apiserver's defaults ("" and TCP), so
// the controller keeps that slice for a Service's unnamed port; a named port is another port set.
t.test('planEndpointSliceChanges: existing slice port name omitted, "" or named', async (t) => {
  const svc = {
    apiVersion: 'v1' as const,
    kind: 'Service' as const,
    metadata: { name: 'web', namespace: 'default', uid: 'u1' },
    spec: { clusterIP: '10.96.0.20', selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] },
  };
  const p: Pod = {
    ...pod('w1', 'web', 'n1'),
    status: {
      phase: 'Running',
      podIP: '10.244.0.2',
      podIPs: [{ ip: '10.244.0.2' }],
      conditions: [{ type: 'Ready', status: 'True' }],
    },
  };
  const { slices } = reconcileEndpointSlices(
    svc,
    [p],
    [{ apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' } }],
  );
  const cases: [name: string, ports: EndpointPort[], want: [number, number, number]][] = [
    ['omitted', [{ port: 8080 }], [0, 0, 0]],
    ['""', [{ name: '', port: 8080 }], [0, 0, 0]],
    ['"" with protocol TCP', [{ name: '', protocol: 'TCP', port: 8080 }], [0, 0, 0]],
    // finalize: a create and a delete of the same address type become one update (upstream).
    ['http', [{ name: 'http', protocol: 'TCP', port: 8080 }], [0, 1, 0]],
  ];
  for (const [name, ports, want] of cases) {
    const existing = slices.map((s) => ({ ...s, ports }));
    const plan = planEndpointSliceChanges(svc, existing, slices, 100);
    t.same(
      [plan.create.length, plan.update.length, plan.delete.length],
      want,
      `slice port name ${name}: creates, updates, deletes`,
    );
  }
});

t.test(
  'with a batch period, Pods of one Service that change within it meet in one sync and one write',
  async (t) => {
    const store = new Store({ bookmarkIntervalMs: 0 });
    const ac = new AbortController();
    const clock = new FakeClock();
    const cm = new ControllerManager(store, { signal: ac.signal, clock, endpointUpdatesBatchPeriodMs: 1000 });
    t.teardown(() => {
      ac.abort();
      store.close();
    });
    store.create({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'a', namespace: 'default' },
      spec: { selector: { app: 'a' }, ports: [{ port: 80, targetPort: 8080 }] },
    });
    store.create({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' } });
    cm.start();
    await cm.settled();
    const rows: string[] = [];
    const row = (what: string) =>
      rows.push(
        `${what}: slice syncs ${cm.endpointSlice.queue.syncs}, endpoints syncs ${cm.endpoints.queue.syncs} | ${slicesOf(store, 'a').join(' ')}`,
      );
    row('the Service alone');
    for (let i = 1; i <= 5; i++) {
      store.create(pod(`a-${i}`, 'a', 'n1'));
      running(store, `a-${i}`, `10.244.0.${i + 1}`);
      await cm.settled();
    }
    row('five Pods Ready, within the period');
    clock.step(1000);
    await cm.settled();
    row('the period over');
    t.same(rows, [
      'the Service alone: slice syncs 2, endpoints syncs 2 | a-kxzwb: (placeholder)',
      'five Pods Ready, within the period: slice syncs 2, endpoints syncs 2 | a-kxzwb: (placeholder)',
      'the period over: slice syncs 3, endpoints syncs 3 | a-kxzwb: 10.244.0.2 10.244.0.3 10.244.0.4 10.244.0.5 10.244.0.6',
    ]);
  },
);
