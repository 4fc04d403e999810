// The LoadBalancer service controller: ingress IPs from the pool, lowest first, status and the
// listen annotation written, released on delete or type change, the pool's end.
import t from 'tap';
import { type Service, Store } from '../../api/index.js';
import { LoadBalancerPool, runLoadBalancerController } from '../../lab/controllers/index.js';

const lb = (name: string, extra = '') =>
  ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: 'default' },
    spec: { type: 'LoadBalancer', ports: [{ port: 80, protocol: 'TCP' }], ...JSON.parse(`{${extra}}`) },
  }) as Service;

async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((r) => setImmediate(r));
}

t.test('ingress IPs from the pool, the listen annotation, release and reuse', async (t) => {
  const store = new Store({ bookmarkIntervalMs: 0 });
  const ac = new AbortController();
  const log: string[] = [];
  const loop = runLoadBalancerController(
    store,
    new LoadBalancerPool('172.18.255.200-172.18.255.201'),
    ac.signal,
    (l) => log.push(l),
  );
  t.teardown(async () => {
    ac.abort();
    await loop;
    store.close();
  });
  store.create(lb('a'));
  store.create(lb('b'));
  store.create(lb('c'));
  store.create(lb('classy', '"loadBalancerClass": "example.com/other"'));
  const get = (n: string) => store.get('Service', n, 'default');
  await until(() => get('b').metadata.annotations?.['netlab.dev/loadbalancer-listen'] !== undefined);
  t.same(get('a').status?.loadBalancer?.ingress, [{ ip: '172.18.255.200', ipMode: 'VIP' }]);
  t.equal(
    get('a').metadata.annotations?.['netlab.dev/loadbalancer-listen'],
    '172.18.255.200:80/TCP=127.18.255.200:80',
  );
  t.same(get('b').status?.loadBalancer?.ingress, [{ ip: '172.18.255.201', ipMode: 'VIP' }]);
  t.same(get('c').status, { loadBalancer: {} }, 'the pool is exhausted');
  t.same(get('classy').status, { loadBalancer: {} }, 'another class is not ours');
  t.ok(log.includes('service-controller: Service default/c: no free address in the loadBalancer pool'));
  store.delete('Service', 'a', { namespace: 'default' });
  store.update({ ...get('c'), metadata: { ...get('c').metadata, labels: { again: 'yes' } } });
  await until(() => get('c').status?.loadBalancer?.ingress !== undefined);
  t.same(
    get('c').status?.loadBalancer?.ingress,
    [{ ip: '172.18.255.200', ipMode: 'VIP' }],
    'a released IP is reused',
  );
});

t.test('a pool that is not a range is one clear error', async (t) => {
  t.throws(() => new LoadBalancerPool('172.18.255.250-172.18.255.200'), {
    message:
      'loadBalancer pool "172.18.255.250-172.18.255.200": want FIRST-LAST, two IPv4 addresses in order',
  });
});
