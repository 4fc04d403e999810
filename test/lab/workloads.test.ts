import t from 'tap';
import { type Deployment, loadManifestFiles, type ReplicaSet } from '../../api/index.js';
import { boot, endpointsText, node } from './workload-fixture.js';

const kubectlDeployment = new URL('./fixtures/kubectl-create-deployment-web.yaml', import.meta.url).pathname;

t.test(
  'kubectl create deployment + Service: pods placed, addressed in their podCIDR, a complete slice',
  async (t) => {
    const { store, cm, kubelets } = boot(t);
    for (const n of [node('node-1', 'zone-a'), node('node-2', 'zone-b'), node('node-3', 'zone-a')])
      store.create(n);
    const [manifest] = loadManifestFiles([kubectlDeployment]);
    const d = manifest!.object as Deployment;
    store.create({ ...d, spec: { ...d.spec, replicas: 3 } });
    store.create({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', namespace: 'default' },
      spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] },
    });
    cm.start();
    await cm.settled();
    kubelets.start();
    kubelets.ready();
    await cm.settled();
    const pods = store.list('Pod').items;
    t.same(
      pods.map((p) => `${p.metadata.name} ${p.spec.nodeName} ${p.status?.podIP}`),
      [
        'web-6bf87f67d4-6skm6 node-2 10.244.2.2',
        'web-6bf87f67d4-bs98q node-1 10.244.1.2',
        'web-6bf87f67d4-g9vkr node-3 10.244.3.2',
      ],
      'one pod per node, the zones spread, each address in its node podCIDR',
    );
    t.same(
      pods.map((p) => p.metadata.ownerReferences?.[0]?.name),
      ['web-6bf87f67d4', 'web-6bf87f67d4', 'web-6bf87f67d4'],
    );
    t.equal(
      endpointsText(store, 'web'),
      'web-6bf87f67d4-6skm6=RS- web-6bf87f67d4-bs98q=RS- web-6bf87f67d4-g9vkr=RS-',
    );
    const got = store.get('Deployment', 'web');
    t.same(got.metadata.annotations, { 'deployment.kubernetes.io/revision': '1' });
    t.same(
      {
        ...got.status,
        conditions: (
          got.status as { conditions: { type: string; status: string; reason: string }[] }
        ).conditions.map((c) => `${c.type}=${c.status} ${c.reason}`),
      },
      {
        observedGeneration: 1,
        replicas: 3,
        updatedReplicas: 3,
        readyReplicas: 3,
        availableReplicas: 3,
        conditions: ['Available=True MinimumReplicasAvailable', 'Progressing=True NewReplicaSetAvailable'],
      },
    );

    // A deleted Pod is replaced; a scale-down removes the newest first.
    store.delete('Pod', 'web-6bf87f67d4-6skm6', { gracePeriodSeconds: 0 });
    await cm.settled();
    t.equal(store.list('Pod').items.length, 3, 'replaced');
  },
);

t.test(
  'EndpointSlice conditions at every step of a rolling update (maxSurge 1, maxUnavailable 0)',
  async (t) => {
    const { store, cm, kubelets } = boot(t);
    store.create(node('node-1', 'zone-a'));
    store.create({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'default' },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'web' } },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: { containers: [{ name: 'web', image: 'registry.k8s.io/e2e-test-images/agnhost:2.53' }] },
        },
      },
    });
    store.create({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', namespace: 'default' },
      spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] },
    });
    cm.start();
    const step = async () => {
      await cm.settled();
      kubelets.start();
      await cm.settled();
    };
    await step();
    kubelets.ready();
    await step();
    // The new template: `kubectl rollout restart` sets this annotation.
    const d = store.get('Deployment', 'web');
    store.update({
      ...d,
      spec: {
        ...d.spec,
        template: {
          ...d.spec.template,
          metadata: {
            ...d.spec.template.metadata,
            annotations: { 'kubectl.kubernetes.io/restartedAt': '2026-01-01T00:00:00Z' },
          },
        },
      },
    });
    const rows: string[] = [];
    const row = (what: string) => {
      const sets = store
        .list('ReplicaSet')
        .items.map((rs) => `${rs.metadata.name}:${rs.spec.replicas}`)
        .join(' ');
      rows.push(`${what} | ${sets} | ${endpointsText(store, 'web')}`);
    };
    await step();
    row('new template');
    for (let i = 0; i < 2; i++) {
      kubelets.ready();
      await step();
      row('ready');
      kubelets.finishDeletions();
      await step();
      row('deleted');
    }
    // R ready, S serving, T terminating. A new Pod is an endpoint as soon as it has an address, not
    // ready; once it is Ready the old ReplicaSet gives up one Pod, which serves while it terminates.
    t.same(rows, [
      'new template | web-6b555f8494:1 web-9bc7f9f94:2 | web-6b555f8494-q9qkh=--- web-9bc7f9f94-l72kv=RS- web-9bc7f9f94-r86ws=RS-',
      'ready | web-6b555f8494:2 web-9bc7f9f94:1 | web-6b555f8494-q9qkh=RS- web-6b555f8494-wsf2f=--- web-9bc7f9f94-l72kv=RS- web-9bc7f9f94-r86ws=-ST',
      'deleted | web-6b555f8494:2 web-9bc7f9f94:1 | web-6b555f8494-q9qkh=RS- web-6b555f8494-wsf2f=--- web-9bc7f9f94-l72kv=RS-',
      'ready | web-6b555f8494:2 web-9bc7f9f94:0 | web-6b555f8494-q9qkh=RS- web-6b555f8494-wsf2f=RS- web-9bc7f9f94-l72kv=-ST',
      'deleted | web-6b555f8494:2 web-9bc7f9f94:0 | web-6b555f8494-q9qkh=RS- web-6b555f8494-wsf2f=RS-',
    ]);
    const done = store.get('Deployment', 'web');
    t.equal(done.metadata.annotations?.['deployment.kubernetes.io/revision'], '2');
    t.same(
      (done.status as { conditions: { type: string; reason: string }[] }).conditions.map(
        (c) => `${c.type} ${c.reason}`,
      ),
      ['Available MinimumReplicasAvailable', 'Progressing NewReplicaSetAvailable'],
      'kubectl rollout status: successfully rolled out',
    );
  },
);

t.test(
  'node failure: Lease not renewed -> Ready Unknown, endpoints not ready; eviction -> replaced elsewhere',
  async (t) => {
    const { store, cm, clock, kubelets } = boot(t);
    store.create(node('node-1', 'zone-a'));
    store.create(node('node-2', 'zone-b'));
    const lease = (name: string) => {
      const at = new Date(clock.now()).toISOString().replace('Z', '000Z');
      const have = store.find('Lease', name, 'kube-node-lease');
      const spec = { holderIdentity: name, leaseDurationSeconds: 40, renewTime: at };
      if (have) store.update({ ...have, spec });
      else
        store.create({
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { name, namespace: 'kube-node-lease' },
          spec,
        });
    };
    lease('node-1');
    lease('node-2');
    store.create({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'default' },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: { containers: [{ name: 'web', image: 'agnhost' }] },
        },
      },
    });
    store.create({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', namespace: 'default' },
      spec: { selector: { app: 'web' }, ports: [{ port: 80 }] },
    });
    cm.start();
    await cm.settled();
    kubelets.start();
    kubelets.ready();
    await cm.settled();
    const where = () =>
      store
        .list('Pod')
        .items.map((p) => `${p.spec.nodeName}${p.metadata.deletionTimestamp ? ' terminating' : ''}`)
        .sort()
        .join(', ');
    const rows: string[] = [];
    const row = (what: string) => {
      const ready =
        store.get('Node', 'node-1', '').status?.conditions?.find((c) => c.type === 'Ready')?.status ?? '';
      rows.push(
        `${what} | node-1 Ready=${ready} | ${where()} | ${endpointsText(store, 'web').replace(/web-\w+-/g, '')}`,
      );
    };
    row('both heart-beating');
    // node-2 renews; node-1 has stopped.
    for (let i = 0; i < 4; i++) {
      clock.step(10_000);
      lease('node-2');
    }
    await cm.settled();
    row('40 s without node-1 renewing');
    for (let i = 0; i < 30; i++) {
      clock.step(10_000);
      lease('node-2');
    }
    await cm.settled();
    kubelets.start();
    kubelets.ready();
    await cm.settled();
    row('300 s later');
    t.same(rows, [
      'both heart-beating | node-1 Ready= | node-1, node-2 | 4g7fw=RS- 7674c=RS-',
      '40 s without node-1 renewing | node-1 Ready=Unknown | node-1, node-2 | 4g7fw=RS- 7674c=---',
      '300 s later | node-1 Ready=Unknown | node-1 terminating, node-2, node-2 | 4g7fw=RS- 7674c=--T t7q8w=RS-',
    ]);
    t.same(
      (store.get('Node', 'node-1', '').spec as { taints?: unknown[] }).taints?.length,
      2,
      'unreachable NoSchedule and NoExecute',
    );
  },
);

t.test('a deleted Node: its Pods are collected after the quarantine and replaced elsewhere', async (t) => {
  const { store, cm, clock, kubelets } = boot(t);
  store.create(node('node-1', 'zone-a'));
  store.create(node('node-2', 'zone-b'));
  store.create({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default' },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: { containers: [{ name: 'web', image: 'agnhost' }] },
      },
    },
  });
  cm.start();
  await cm.settled();
  kubelets.start();
  kubelets.ready();
  await cm.settled();
  const where = () =>
    store
      .list('Pod')
      .items.map((p) => `${p.metadata.name?.slice(-5)}@${p.spec.nodeName}`)
      .sort()
      .join(' ');
  const rows = [`running | ${where()}`];
  store.delete('Node', 'node-1');
  await cm.settled();
  clock.step(39_000);
  await cm.settled();
  rows.push(`39 s after node-1 is deleted | ${where()}`);
  clock.step(1_000);
  await cm.settled();
  rows.push(`40 s | ${where()}`);
  t.same(rows, [
    'running | 2jg58@node-2 wlrt6@node-1',
    '39 s after node-1 is deleted | 2jg58@node-2 wlrt6@node-1',
    '40 s | 2jg58@node-2 r52bs@node-2',
  ]);
});

t.test(
  'a rollout whose Pods never get ready: Progressing=False ProgressDeadlineExceeded once the deadline passes',
  async (t) => {
    const { store, cm, clock, kubelets } = boot(t);
    store.create(node('node-1', 'zone-a'));
    store.create({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'stuck', namespace: 'default' },
      spec: {
        replicas: 2,
        progressDeadlineSeconds: 60,
        selector: { matchLabels: { app: 'stuck' } },
        template: {
          metadata: { labels: { app: 'stuck' } },
          spec: { containers: [{ name: 'web', image: 'agnhost' }] },
        },
      },
    } as Deployment);
    cm.start();
    await cm.settled();
    kubelets.start();
    await cm.settled();
    const progressing = () => {
      const conds = (store.get('Deployment', 'stuck').status as { conditions?: Record<string, string>[] })
        .conditions;
      const c = conds?.find((x) => x.type === 'Progressing');
      return `${c?.status} ${c?.reason}: ${c?.message}`;
    };
    const rows = [`running, not ready | ${progressing()}`];
    clock.step(59_000);
    await cm.settled();
    rows.push(`59 s | ${progressing()}`);
    clock.step(3_000);
    await cm.settled();
    rows.push(`62 s | ${progressing()}`);
    t.same(rows, [
      'running, not ready | True ReplicaSetUpdated: ReplicaSet "stuck-5b96f7887c" is progressing.',
      '59 s | True ReplicaSetUpdated: ReplicaSet "stuck-5b96f7887c" is progressing.',
      '62 s | False ProgressDeadlineExceeded: ReplicaSet "stuck-5b96f7887c" has timed out progressing.',
    ]);
  },
);

t.test('a ReplicaSet adopts an orphan its selector matches, with a controller ownerReference', async (t) => {
  const { store, cm } = boot(t);
  store.create(node('node-1', 'zone-a'));
  store.create({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'stray', namespace: 'default', labels: { app: 'db' } },
    spec: { containers: [{ name: 'c', image: 'registry.k8s.io/pause:3.10' }] },
  });
  const rs = store.create({
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name: 'db', namespace: 'default' },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: 'db' } },
      template: {
        metadata: { labels: { app: 'db' } },
        spec: { containers: [{ name: 'c', image: 'registry.k8s.io/pause:3.10' }] },
      },
    },
  });
  cm.start();
  await cm.settled();
  t.same(
    store.list('Pod').items.map((p) => ({ name: p.metadata.name, owners: p.metadata.ownerReferences })),
    [
      {
        name: 'stray',
        owners: [
          {
            apiVersion: 'apps/v1',
            kind: 'ReplicaSet',
            name: 'db',
            uid: (rs as ReplicaSet).metadata.uid,
            controller: true,
            blockOwnerDeletion: true,
          },
        ],
      },
    ],
    'adopted, and no Pod created: the orphan makes the one replica',
  );
});
