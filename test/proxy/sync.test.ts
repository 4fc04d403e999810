import t from 'tap';
import type {
  EndpointSlice,
  Kind,
  KindMap,
  Node,
  Service,
  WatchableStore,
  WatchEvent,
} from '../../api/index.js';
import { Store } from '../../api/index.js';
import type { ObjectList } from '../../api/types.js';
import { Proxier, type ProxierOptions, RuleTable, watchStore } from '../../proxy/index.js';
import { ServiceChangeTracker } from '../../proxy/iptables/changetracker.js';
import { EndpointSliceCache, sameJSON } from '../../proxy/iptables/endpoints.js';
import { SyncRunner } from '../../proxy/iptables/runner.js';
import { applyRestore } from '../../proxy/ruletable/restore.js';
import { sortIPTablesRules } from '../../proxy/ruletable/sort.js';

function svc(ns: string, name: string, spec: Partial<Service['spec']>): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { namespace: ns, name },
    spec: { type: 'ClusterIP', ports: [{ name: 'p80', port: 80, protocol: 'TCP' }], ...spec },
  };
}

function slice(ns: string, svcName: string, ips: string[], name = `${svcName}-abcde`): EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { namespace: ns, name, labels: { 'kubernetes.io/service-name': svcName } },
    addressType: 'IPv4',
    endpoints: ips.map((ip) => ({
      addresses: [ip],
      nodeName: ip.endsWith('.1') ? 'test-node' : 'other-node',
    })),
    ports: [{ name: 'p80', port: 80, protocol: 'TCP' }],
  };
}

function node(labels: Record<string, string>): Node {
  return { apiVersion: 'v1', kind: 'Node', metadata: { name: 'test-node', labels } };
}

const options: ProxierOptions = {
  nodeName: 'test-node',
  nodeIPs: ['192.168.0.2'],
  clusterCIDRs: ['10.0.0.0/8'],
  minSyncPeriod: 0,
};

/** The objects the cluster holds now, keyed like the API: what a from-scratch proxier would list. */
class World {
  readonly objects = new Map<string, Service | EndpointSlice | Node>();
  put(o: Service | EndpointSlice | Node): void {
    this.objects.set(`${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`, o);
  }
  remove(o: Service | EndpointSlice | Node): void {
    this.objects.delete(`${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`);
  }
  /** The first (full) sync payload of a new proxier that sees everything at once. */
  fromScratch(): string {
    const p = new Proxier(options);
    for (const o of this.objects.values()) {
      if (o.kind === 'Service') p.onServiceAdd(o);
      else if (o.kind === 'EndpointSlice') p.onEndpointSliceAdd(o);
      else p.onNodeAdd(o);
    }
    p.markSynced();
    return p.syncProxyRules().payload;
  }
}

const applied = (payload: string) =>
  sortIPTablesRules(applyRestore(new RuleTable(), RuleTable.parse(payload)).render());
const declared = (payload: string) =>
  payload
    .split('\n')
    .filter((l) => /^:KUBE-(SVC|SVL|EXT|FW|SEP)-/.test(l))
    .map((l) => l.slice(1, l.indexOf(' ')))
    .sort();

t.test('partial sync: after every step the node equals a from-scratch sync', async (t) => {
  const world = new World();
  // The node's nat and filter tables, changed only by restores that were accepted (iptables-restore
  // --noflush semantics), so partial payloads are checked for what they leave behind.
  let kernel = new RuleTable();
  let failNext = false;
  const p = new Proxier({
    ...options,
    restore: (payload) => {
      if (failNext) {
        failNext = false;
        throw new Error('iptables-restore: line 42 failed');
      }
      kernel = applyRestore(kernel, RuleTable.parse(payload));
    },
  });
  t.teardown(() => p.stop());
  const check = (step: string) => {
    const scratch = world.fromScratch();
    t.equal(sortIPTablesRules(kernel.render()), applied(scratch), `${step}: node tables`);
    t.equal(sortIPTablesRules(p.fullPayload()), sortIPTablesRules(scratch), `${step}: full payload`);
  };
  const add = (o: Service | EndpointSlice | Node) => {
    const prev = world.objects.get(`${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`);
    world.put(o);
    if (o.kind === 'Service') p.onServiceUpdate(prev as Service | undefined, o);
    else if (o.kind === 'EndpointSlice') p.onEndpointSliceUpdate(prev as EndpointSlice | undefined, o);
    else p.onNodeUpdate(prev as Node | undefined, o);
  };
  const del = (o: Service | EndpointSlice) => {
    world.remove(o);
    if (o.kind === 'Service') p.onServiceDelete(o);
    else p.onEndpointSliceDelete(o);
  };

  const svc1 = svc('ns1', 'svc1', { clusterIP: '172.30.0.41' });
  const svc2 = svc('ns2', 'svc2', { clusterIP: '172.30.0.42' });
  const svc3 = svc('ns3', 'svc3', {
    type: 'NodePort',
    clusterIP: '172.30.0.43',
    externalTrafficPolicy: 'Local',
    ports: [{ name: 'p80', port: 80, protocol: 'TCP', nodePort: 3003 }],
  });
  for (const o of [
    svc1,
    svc2,
    svc3,
    slice('ns1', 'svc1', ['10.180.0.1', '10.180.0.2']),
    slice('ns2', 'svc2', ['10.180.1.1']),
    slice('ns3', 'svc3', ['10.180.2.1', '10.180.2.2']),
  ]) {
    add(o);
  }
  t.equal(p.lastSync, null, 'nothing syncs before the initial lists are in');
  p.onServicesSynced();
  p.onEndpointSlicesSynced();
  let r = p.lastSync!;
  t.same([r.full, r.ok, r.writtenServicePorts], [true, true, 3], 'initial sync is full');
  check('initial');

  add(slice('ns1', 'svc1', ['10.180.0.1', '10.180.0.2', '10.180.0.3']));
  r = p.lastSync!;
  t.same(
    [r.full, r.updatedServices, r.writtenServicePorts],
    [false, ['ns1/svc1'], 1],
    'endpoint added: partial',
  );
  t.same(
    declared(r.payload),
    [
      'KUBE-SEP-ICDUIKC33SFI6ZPR',
      'KUBE-SEP-LXVODXWDISEETFEF',
      'KUBE-SEP-SXIVWICOYRO3J4NJ',
      'KUBE-SVC-XPGD46QRK7WJZT7O',
    ],
    'only svc1 chains are written',
  );
  t.match(
    r.payload,
    '-A KUBE-SERVICES -m comment --comment "ns2/svc2:p80 cluster IP"',
    'KUBE-SERVICES is whole',
  );
  check('endpoint added');

  add(slice('ns1', 'svc1', ['10.180.0.1', '10.180.0.3']));
  r = p.lastSync!;
  t.same(r.deletedChains, ['KUBE-SEP-LXVODXWDISEETFEF'], 'endpoint removed: its chain deleted');
  t.match(r.payload, ':KUBE-SEP-LXVODXWDISEETFEF - [0:0]\n', 'flushed');
  t.match(r.payload, '\n-X KUBE-SEP-LXVODXWDISEETFEF\n', 'and deleted');
  check('endpoint removed');

  del(svc2);
  r = p.lastSync!;
  t.same(r.deletedChains, ['KUBE-SEP-LAQF32EYUEX3U33M', 'KUBE-SVC-GNZBNJ2PO5MGZ6GT'], 'service deleted');
  check('service deleted');

  del(slice('ns2', 'svc2', []));
  r = p.lastSync!;
  t.same(
    [r.updatedServices, r.deletedChains, r.writtenServicePorts],
    [['ns2/svc2'], [], 0],
    'its slice deleted',
  );
  check('slice of a deleted service deleted');

  add(svc('ns4', 'svc4', { clusterIP: '172.30.0.44' }));
  r = p.lastSync!;
  t.match(r.payload, '"ns4/svc4:p80 has no endpoints"', 'service without endpoints: REJECT');
  check('service without endpoints added');

  const before = p.lastSync;
  p.onServiceUpdate(svc1, { ...svc1, metadata: { ...svc1.metadata, resourceVersion: '99' } });
  t.equal(p.lastSync, before, 'an update that changes nothing kube-proxy reads is dropped: no sync');

  add(slice('ns3', 'svc3', ['10.180.2.2']));
  r = p.lastSync!;
  t.same(
    r.deletedChains,
    ['KUBE-SEP-WXTZ7ZTTUWLIRRXY', 'KUBE-SVL-X27LE4BHSL4DOUIK'],
    'last local endpoint gone',
  );
  t.match(r.payload, '"ns3/svc3:p80 has no local endpoints"', 'eTP Local NodePort now DROPs');
  check('last local endpoint removed');

  failNext = true;
  add(slice('ns1', 'svc1', ['10.180.0.1']));
  r = p.lastSync!;
  t.same(
    [r.ok, r.full, r.error],
    [false, false, 'iptables-restore: line 42 failed'],
    'a partial restore fails',
  );
  t.equal(
    sortIPTablesRules(p.fullPayload()),
    sortIPTablesRules(world.fromScratch()),
    'full payload still right',
  );
  r = p.syncProxyRules();
  t.same([r.ok, r.full], [true, true], 'the next sync is full');
  t.same(r.deletedChains, ['KUBE-SEP-ICDUIKC33SFI6ZPR'], 'and deletes what the failed one could not');
  check('failed sync followed by a full one');

  add(node({ 'topology.kubernetes.io/zone': 'zone-a' }));
  r = p.lastSync!;
  t.equal(r.full, true, 'node labels changed: full sync');
  check('node labels changed');

  add(
    svc('ns1', 'svc1', {
      clusterIP: '172.30.0.41',
      type: 'NodePort',
      ports: [{ name: 'p80', port: 80, nodePort: 3001 }],
    }),
  );
  r = p.lastSync!;
  t.same([r.full, r.updatedServices], [false, ['ns1/svc1']], 'service changed type');
  check('service changed type');
});

t.test('UDP endpoints going away ask for the conntrack clean-up', async (t) => {
  const p = new Proxier(options);
  t.teardown(() => p.stop());
  const dns = svc('kube-system', 'kube-dns', {
    clusterIP: '10.96.0.10',
    externalIPs: ['192.168.99.10'],
    ports: [
      { name: 'dns', port: 53, protocol: 'UDP' },
      { name: 'dns-tcp', port: 53, protocol: 'TCP' },
    ],
  });
  const dnsSlice = (ips: string[]): EndpointSlice => ({
    ...slice('kube-system', 'kube-dns', ips),
    ports: [
      { name: 'dns', port: 53, protocol: 'UDP' },
      { name: 'dns-tcp', port: 53, protocol: 'TCP' },
    ],
  });
  p.onServiceAdd(dns);
  p.onEndpointSliceAdd(dnsSlice(['10.180.0.1', '10.180.0.2']));
  p.onServicesSynced();
  p.onEndpointSlicesSynced();
  t.equal(p.lastSync!.conntrackCleanupRequired, false, 'first sync: nothing went away');
  p.onEndpointSliceUpdate(undefined, dnsSlice(['10.180.0.1', '10.180.0.2', '10.180.0.3']));
  t.equal(p.lastSync!.conntrackCleanupRequired, false, 'an endpoint added');
  p.onEndpointSliceUpdate(undefined, dnsSlice(['10.180.0.1', '10.180.0.3']));
  t.equal(p.lastSync!.conntrackCleanupRequired, true, 'a UDP endpoint removed');
  t.same(p.udpServicePorts(), [
    {
      ips: ['10.96.0.10', '192.168.99.10'],
      port: 53,
      nodePort: 0,
      endpoints: ['10.180.0.1:53', '10.180.0.3:53'],
    },
  ]);
  p.onServiceDelete(dns);
  t.equal(p.lastSync!.conntrackCleanupRequired, true, 'the UDP service deleted');
  t.same(p.udpServicePorts(), []);
});

t.test('change trackers drop changes that end where they started', async (t) => {
  const st = new ServiceChangeTracker('IPv4');
  const a = svc('ns1', 'svc1', { clusterIP: '172.30.0.41' });
  const b = svc('ns1', 'svc1', { clusterIP: '172.30.0.42' });
  t.equal(st.update(undefined, a), true, 'add pending');
  t.equal(st.update(a, undefined), false, 'add then delete: nothing');
  st.update(undefined, a);
  st.checkout();
  t.equal(st.update(a, b), true, 'update pending');
  t.equal(st.update(b, a), false, 'and back: nothing');
  t.equal(
    st.update(undefined, svc('ns1', 'headless', { clusterIP: 'None' })),
    false,
    'headless: nothing to track',
  );

  const cache = new EndpointSliceCache('test-node', 'IPv4');
  cache.updatePending(slice('ns1', 'svc1', ['10.180.0.1', '10.180.0.2'], 'a'), false);
  cache.updatePending(slice('ns1', 'svc1', ['10.180.0.3'], 'b'), false);
  const first = cache.checkoutChanges().get('ns1/svc1')!;
  t.same(
    first.current.get('ns1/svc1:p80/TCP')!.map((e) => e.endpoint),
    ['10.180.0.1:80', '10.180.0.2:80', '10.180.0.3:80'],
    'merged per service port',
  );
  // 10.180.0.2 moves from slice a to slice b: two slice updates, the same endpoints.
  t.equal(cache.updatePending(slice('ns1', 'svc1', ['10.180.0.1'], 'a'), false), true);
  t.equal(cache.updatePending(slice('ns1', 'svc1', ['10.180.0.2', '10.180.0.3'], 'b'), false), true);
  t.same([...cache.checkoutChanges().keys()], [], 'endpoint moved between slices: no change');
  t.equal(
    cache.updatePending(slice('ns1', 'svc1', ['10.180.0.1'], 'a'), false),
    false,
    'same slice again: no-op',
  );
  t.equal(
    cache.updatePending(slice('ns9', 'gone', [], 'x'), true),
    false,
    'deleting an unknown slice: no-op',
  );
  const v6: EndpointSlice = { ...slice('ns1', 'svc1', ['fd00::1'], 'c'), addressType: 'IPv6' };
  t.equal(cache.updatePending(v6, false), false, 'a slice of the other family is not this proxier’s');
});

t.test('slice records compare as their JSON texts would (no texts built)', async (t) => {
  const cases: [string, unknown, unknown, boolean][] = [
    ['same object', { a: 1 }, { a: 1 }, true],
    ['a value differs', { a: 1 }, { a: 2 }, false],
    ['key order differs (texts differ)', { a: 1, b: 2 }, { b: 2, a: 1 }, false],
    ['an undefined property is left out', { a: 1, b: undefined }, { a: 1 }, true],
    ['undefined in an array is null', [undefined], [null], true],
    ['null is not missing', { a: null }, {}, false],
    ['nested arrays', [[1, 2], { x: ['y'] }], [[1, 2], { x: ['y'] }], true],
    ['array length', [1], [1, 1], false],
    ['array vs object', [], {}, false],
    ['NaN and Infinity are null', [Number.NaN, Number.POSITIVE_INFINITY], [null, null], true],
    ['number vs string', { a: 1 }, { a: '1' }, false],
    ['true vs 1', [true], [1], false],
  ];
  for (const [name, a, b, want] of cases) {
    t.equal(JSON.stringify(a) === JSON.stringify(b), want, `${name}: the texts agree with the table`);
    t.equal(sameJSON(a, b), want, name);
  }
});

t.test(
  'an endpoint moving between two other nodes: no change for a node, a change for every node',
  async (t) => {
    const moved = (nodeName: string): EndpointSlice => ({
      ...slice('ns1', 'svc1', ['10.180.0.2']),
      endpoints: [{ addresses: ['10.180.0.2'], nodeName }],
    });
    const cases: [string, string, string[]][] = [
      ['the cache of test-node (kube-proxy compares isLocal)', 'test-node', []],
      ['the cache of no node in particular (the shared proxier)', '', ['ns1/svc1']],
    ];
    for (const [name, nodeName, want] of cases) {
      const cache = new EndpointSliceCache(nodeName, 'IPv4');
      cache.updatePending(moved('node-b'), false);
      cache.checkoutChanges();
      t.equal(cache.updatePending(moved('node-c'), false), true, `${name}: the slice changed`);
      t.same([...cache.checkoutChanges().keys()], want, name);
    }
  },
);

t.test('rate-limited sync: requests within the minimum interval coalesce', async (t) => {
  let clock = 0;
  let runs = 0;
  const r = new SyncRunner(() => runs++, { minInterval: 1000, now: () => clock });
  t.teardown(() => r.stop());
  r.run();
  t.equal(runs, 1, 'the first request runs at once');
  clock = 10;
  r.run();
  r.run();
  r.run();
  t.equal(runs, 1, 'the next ones wait');
  const immediate = new SyncRunner(() => runs++, { minInterval: 0 });
  immediate.run();
  immediate.run();
  t.equal(runs, 3, 'minInterval 0: every request runs at once');
  const quick = new SyncRunner(() => runs++, { minInterval: 5 });
  t.teardown(() => quick.stop());
  quick.run();
  quick.run();
  quick.run();
  await new Promise((res) => setTimeout(res, 50));
  t.equal(runs, 5, 'a burst becomes one run now and one run after the interval');
});

/** A WatchableStore over plain arrays, with watch events pushed by the test. */
class FakeStore implements WatchableStore {
  readonly items: { [K in Kind]?: KindMap[K][] } = {};
  readonly #waiters = new Map<Kind, ((ev: WatchEvent<KindMap[Kind]>) => void)[]>();
  readonly #queues = new Map<Kind, WatchEvent<KindMap[Kind]>[]>();
  list<K extends Kind>(kind: K): ObjectList<KindMap[K]> {
    return { items: [...((this.items[kind] as KindMap[K][] | undefined) ?? [])], resourceVersion: '1' };
  }
  push<K extends Kind>(kind: K, ev: WatchEvent<KindMap[K]>): void {
    const w = this.#waiters.get(kind)?.shift();
    if (w) w(ev as WatchEvent<KindMap[Kind]>);
    else this.#queues.set(kind, [...(this.#queues.get(kind) ?? []), ev as WatchEvent<KindMap[Kind]>]);
  }
  watch<K extends Kind>(kind: K, opts: { signal?: AbortSignal } = {}): AsyncIterable<WatchEvent<KindMap[K]>> {
    const self = this;
    return {
      async *[Symbol.asyncIterator]() {
        while (!opts.signal?.aborted) {
          const q = self.#queues.get(kind);
          if (q && q.length > 0) {
            yield q.shift() as WatchEvent<KindMap[K]>;
            continue;
          }
          const ev = await new Promise<WatchEvent<KindMap[Kind]> | null>((res) => {
            const list = self.#waiters.get(kind) ?? [];
            list.push(res);
            self.#waiters.set(kind, list);
            opts.signal?.addEventListener('abort', () => res(null), { once: true });
          });
          if (ev === null) return;
          yield ev as WatchEvent<KindMap[K]>;
        }
      },
    };
  }
}

t.test('store feed: list, first sync, then watch events', async (t) => {
  const store = new FakeStore();
  const s1 = svc('ns1', 'svc1', { clusterIP: '172.30.0.41' });
  store.items.Service = [s1];
  store.items.EndpointSlice = [slice('ns1', 'svc1', ['10.180.0.1'])];
  const results: string[][] = [];
  const p = new Proxier({ ...options, onSync: (r) => results.push(r.updatedServices) });
  const ac = new AbortController();
  const done = watchStore(store, p, { signal: ac.signal });
  t.same(results, [['ns1/svc1']], 'the initial lists make one full sync');
  store.push('EndpointSlice', {
    type: 'MODIFIED',
    object: slice('ns1', 'svc1', ['10.180.0.1', '10.180.0.2']),
  });
  store.push('Service', { type: 'ADDED', object: svc('ns2', 'svc2', { clusterIP: '172.30.0.42' }) });
  store.push('Service', { type: 'DELETED', object: s1 });
  await new Promise((res) => setTimeout(res, 20));
  t.same(results, [['ns1/svc1'], ['ns1/svc1'], ['ns2/svc2'], ['ns1/svc1']], 'each event one partial sync');
  t.match(p.lastSync!.deletedChains, [
    'KUBE-SEP-LXVODXWDISEETFEF',
    'KUBE-SEP-SXIVWICOYRO3J4NJ',
    'KUBE-SVC-XPGD46QRK7WJZT7O',
  ]);
  ac.abort();
  await done;
  p.stop();
});

t.test('store feed from the api Store: allocation and watch, each change one partial sync', async (t) => {
  const store = new Store({ bookmarkIntervalMs: 0 });
  t.teardown(() => store.close());
  store.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ns1' } });
  const created = store.create(svc('ns1', 'web', { clusterIP: '10.96.0.50' }));
  t.equal(created.spec.clusterIP, '10.96.0.50');
  store.create(slice('ns1', 'web', ['10.180.0.1']));
  const p = new Proxier(options);
  const ac = new AbortController();
  const done = watchStore(store, p, { signal: ac.signal });
  t.teardown(() => p.stop());
  t.match(
    p.lastSync!.payload,
    '-A KUBE-SVC-PPBSTXGMF4OXFMWK -m comment --comment "ns1/web:p80 -> 10.180.0.1:80" -j',
  );
  t.match(
    p.lastSync!.payload,
    '"default/kubernetes:https has no endpoints"',
    'the bootstrap kubernetes Service',
  );
  const current = store.get('EndpointSlice', 'web-abcde', 'ns1');
  store.update({ ...current, endpoints: [{ addresses: ['10.180.0.2'] }] });
  await new Promise((res) => setTimeout(res, 20));
  const r = p.lastSync!;
  t.same([r.full, r.updatedServices, r.deletedChains], [false, ['ns1/web'], ['KUBE-SEP-5M3UK7KXO4MOBXUS']]);
  ac.abort();
  await done;
});
