// The kube-API's HTTP surface without kubectl: strategic merge patch by merge keys and directives,
// list pages (limit/continue), watch resumption and 410 as an ERROR event, Status errors, the
// token, and an @kubernetes/client-node informer listing and watching Services and EndpointSlices.
import * as k8s from '@kubernetes/client-node';
import t from 'tap';
import { type AnyObject, Store } from '../../../api/index.js';
import { ApiServer } from '../../../lab/apiserver/index.js';
import { kubeconfigText } from '../../../lab/apiserver/kubeconfig.js';
import { strategicMerge } from '../../../lab/apiserver/strategic.js';

async function serve(
  t: { teardown(fn: () => unknown): void },
  opts: { token?: string; historySize?: number } = {},
) {
  const store = new Store({
    bookmarkIntervalMs: 0,
    ...(opts.historySize ? { historySize: opts.historySize } : {}),
  });
  const server = new ApiServer({ store, ...(opts.token ? { token: opts.token } : {}) });
  await server.listen();
  t.teardown(async () => {
    await server.close();
    store.close();
  });
  const get = async (path: string, init: RequestInit = {}) => {
    const r = await fetch(server.url + path, init);
    return { code: r.status, body: (await r.text()).trim() };
  };
  return { store, server, get };
}

const service = (name: string) =>
  ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: 'default' },
    spec: { selector: { app: name }, ports: [{ name: 'http', port: 80 }] },
  }) as AnyObject;

t.test('strategic merge patch: merge keys and directives', async (t) => {
  const pod = {
    spec: {
      containers: [
        { name: 'a', image: 'a:1', ports: [{ containerPort: 80 }], env: [{ name: 'X', value: '1' }] },
        { name: 'b', image: 'b:1' },
      ],
    },
    metadata: { finalizers: ['f1'], labels: { x: '1' } },
  };
  const cases: { name: string; patch: unknown; want: unknown }[] = [
    {
      name: 'containers merge by name, ports by containerPort',
      patch: { spec: { containers: [{ name: 'a', image: 'a:2', ports: [{ containerPort: 81 }] }] } },
      want: [
        {
          name: 'a',
          image: 'a:2',
          ports: [{ containerPort: 80 }, { containerPort: 81 }],
          env: [{ name: 'X', value: '1' }],
        },
        { name: 'b', image: 'b:1' },
      ],
    },
    {
      name: '$patch: delete removes one element',
      patch: { spec: { containers: [{ name: 'b', $patch: 'delete' }] } },
      want: [pod.spec.containers[0]],
    },
    {
      name: '$patch: replace replaces the list',
      patch: { spec: { containers: [{ name: 'c' }, { $patch: 'replace' }] } },
      want: [{ name: 'c' }],
    },
    {
      name: '$setElementOrder orders the list',
      patch: {
        spec: { $setElementOrder: undefined, '$setElementOrder/containers': [{ name: 'b' }, { name: 'a' }] },
      },
      want: [pod.spec.containers[1], pod.spec.containers[0]],
    },
  ];
  for (const c of cases)
    t.same((strategicMerge('Pod', pod, c.patch) as typeof pod).spec.containers, c.want, c.name);
  const meta = strategicMerge('Pod', pod, {
    metadata: {
      finalizers: ['f2'],
      labels: { x: null, y: '2' },
      '$deleteFromPrimitiveList/finalizers': ['f1'],
    },
  }) as typeof pod;
  t.same(
    meta.metadata,
    { finalizers: ['f2'], labels: { y: '2' } },
    'finalizers merge as a set; null deletes',
  );
  t.same(
    (
      strategicMerge(
        'Service',
        { spec: { ports: [{ port: 80, name: 'a' }] } },
        { spec: { ports: [{ port: 443, name: 'b' }] } },
      ) as {
        spec: unknown;
      }
    ).spec,
    {
      ports: [
        { port: 80, name: 'a' },
        { port: 443, name: 'b' },
      ],
    },
    'Service ports merge by port',
  );
});

t.test('lists in pages, watches resume, 410 Gone, Status errors, the token', async (t) => {
  const { store, get } = await serve(t, { historySize: 5 });
  for (let i = 0; i < 7; i++) store.create(service(`s${i}`));
  const first = JSON.parse((await get('/api/v1/namespaces/default/services?limit=3')).body);
  t.same(
    first.items.map((s: AnyObject) => s.metadata.name),
    ['kubernetes', 's0', 's1'],
  );
  t.equal(first.metadata.remainingItemCount, 5);
  const names: string[] = [];
  let cont = first.metadata.continue as string | undefined;
  while (cont) {
    const page = JSON.parse((await get(`/api/v1/namespaces/default/services?limit=3&continue=${cont}`)).body);
    names.push(...page.items.map((s: AnyObject) => s.metadata.name));
    cont = page.metadata.continue;
  }
  t.same(names, ['s2', 's3', 's4', 's5', 's6'], 'the rest, in order, once');
  t.same(JSON.parse((await get('/api/v1/services?labelSelector=x%20in')).body).code, 400);
  const gone = await get('/api/v1/services?watch=true&resourceVersion=2');
  t.equal(gone.code, 200);
  t.same(JSON.parse(gone.body), {
    type: 'ERROR',
    object: {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: JSON.parse(gone.body).object.message,
      reason: 'Expired',
      code: 410,
    },
  });
  const rv = store.resourceVersion;
  store.create(service('late'));
  const resumed = await get(`/api/v1/services?watch=true&resourceVersion=${rv}&timeoutSeconds=1`);
  t.same(
    resumed.body.split('\n').map((l) => `${JSON.parse(l).type} ${JSON.parse(l).object.metadata.name}`),
    ['ADDED late'],
  );
  const missing = JSON.parse((await get('/api/v1/namespaces/default/services/nope')).body);
  t.same([missing.code, missing.reason, missing.message], [404, 'NotFound', 'services "nope" not found']);
  const table = JSON.parse(
    (
      await get('/api/v1/namespaces/default/services/s0', {
        headers: { Accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' },
      })
    ).body,
  );
  t.same(
    table.columnDefinitions.map((c: { name: string }) => c.name),
    ['Name', 'Type', 'Cluster-IP', 'External-IP', 'Port(s)', 'Age', 'Selector'],
  );
  const secured = await serve(t, { token: 's3cret' });
  t.equal((await secured.get('/api/v1/services')).code, 401);
  t.equal((await secured.get('/api/v1/services', { headers: { Authorization: 'Bearer s3cret' } })).code, 200);
  t.throws(
    () => new ApiServer({ store, host: '0.0.0.0' }),
    { code: 'NETLAB_APISERVER' },
    'off loopback without a token',
  );
});

t.test('a @kubernetes/client-node informer lists and watches Services and EndpointSlices', async (t) => {
  const { store, server } = await serve(t);
  store.create(service('web'));
  const kc = new k8s.KubeConfig();
  kc.loadFromString(kubeconfigText({ server: server.url }));
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const discovery = kc.makeApiClient(k8s.DiscoveryV1Api);
  const seen: string[] = [];
  const waitFor = (line: string) =>
    new Promise<void>((resolve) => {
      const tick = () => (seen.includes(line) ? resolve() : setTimeout(tick, 10));
      tick();
    });
  const services = k8s.makeInformer(kc, '/api/v1/services', () => core.listServiceForAllNamespaces());
  const slices = k8s.makeInformer(kc, '/apis/discovery.k8s.io/v1/endpointslices', () =>
    discovery.listEndpointSliceForAllNamespaces(),
  );
  services.on('add', (o) => seen.push(`add svc ${o.metadata?.name}`));
  services.on('update', (o) => seen.push(`update svc ${o.metadata?.name}`));
  services.on('delete', (o) => seen.push(`delete svc ${o.metadata?.name}`));
  slices.on('add', (o) => seen.push(`add slice ${o.metadata?.name}`));
  await services.start();
  await slices.start();
  t.teardown(async () => {
    await services.stop();
    await slices.stop();
  });
  await waitFor('add svc web');
  store.create({
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: 'web-1', namespace: 'default', labels: { 'kubernetes.io/service-name': 'web' } },
    addressType: 'IPv4',
    endpoints: [{ addresses: ['10.244.0.5'] }],
    ports: [{ name: 'http', port: 8080 }],
  } as AnyObject);
  await waitFor('add slice web-1');
  const s = structuredClone(store.get('Service', 'web'));
  s.metadata.labels = { tier: 'front' };
  store.update(s);
  await waitFor('update svc web');
  store.delete('Service', 'web');
  await waitFor('delete svc web');
  t.same(
    services.list().map((o) => o.metadata?.name),
    ['kubernetes'],
  );
  t.same(
    slices.list().map((o) => o.metadata?.name),
    ['web-1'],
  );
});
