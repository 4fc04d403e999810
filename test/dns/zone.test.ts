// The zone, without the wire: answers as zone-file text for a small cluster, option by option, and
// the sources that feed it (objects directly, a WatchableStore by list + watch).
import t from 'tap';
import {
  type AnyObject,
  type Endpoint,
  type EndpointSlice,
  type KindMap,
  type Pod,
  type Service,
  Store,
  type WatchableStore,
  type WatchEvent,
} from '../../api/index.js';
import type { Namespace, ObjectList } from '../../api/types.js';
import {
  DnsAddressError,
  DnsError,
  DnsListenError,
  InvalidNameserverError,
  InvalidQueryNameError,
  NoNameserverError,
} from '../../dns/errors.js';
import { DnsConfigError, parseZoneConfig, StoreSource, Zone } from '../../dns/index.js';
import { formatRR } from '../../dns/server/dig.js';
import type { ZoneConfigInput } from '../../dns/zone/config.js';
import { buildIndex } from '../../dns/zone/index-model.js';
import { ObjectSource } from '../../dns/zone/source.js';
import { QTYPE, RCODE, type ZoneAnswer } from '../../dns/zone/zone.js';

const svc = (ns: string, name: string, spec: Service['spec']): Service => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: ns },
  spec,
});
const slice = (
  ns: string,
  name: string,
  service: string,
  endpoints: Endpoint[],
  family: 'IPv4' | 'IPv6' = 'IPv4',
): EndpointSlice => ({
  apiVersion: 'discovery.k8s.io/v1',
  kind: 'EndpointSlice',
  metadata: { name, namespace: ns, labels: { 'kubernetes.io/service-name': service } },
  addressType: family,
  endpoints,
  ports: [{ name: 'pg', protocol: 'TCP', port: 5432 }],
});
const pod = (ns: string, name: string, ip: string): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: ns },
  spec: { containers: [{ name: 'c' }] },
  status: { podIP: ip },
});
const ns = (name: string): Namespace => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
const ports = [
  { name: 'http', protocol: 'TCP' as const, port: 80 },
  { name: 'https', protocol: 'TCP' as const, port: 443 },
  { port: 8080 },
];

const cluster: AnyObject[] = [
  ns('prod'),
  svc('kube-system', 'kube-dns', {
    clusterIPs: ['10.96.0.10'],
    ports: [{ name: 'dns', protocol: 'UDP', port: 53 }],
  }),
  slice('kube-system', 'kube-dns-x', 'kube-dns', [
    { addresses: ['10.244.0.2'], conditions: { ready: true } },
  ]),
  svc('default', 'web', { clusterIPs: ['10.96.0.20', 'fd00:96::20'], ports }),
  svc('default', 'db', { clusterIP: 'None' }),
  slice('default', 'db-a', 'db', [
    { addresses: ['10.244.1.5'], hostname: 'db-0', conditions: { ready: true } },
    { addresses: ['10.244.1.6'], hostname: 'db-1', conditions: { ready: false } },
    { addresses: ['10.244.1.7'], targetRef: { kind: 'Pod', name: 'db-2' } },
  ]),
  slice(
    'default',
    'db-b',
    'db',
    [{ addresses: ['fd00:244::7'], targetRef: { kind: 'Pod', name: 'db-2' } }],
    'IPv6',
  ),
  svc('default', 'cache', { clusterIP: 'None' }),
  slice('default', 'cache-a', 'cache', [
    { addresses: ['10.244.1.5'], hostname: 'db-0', conditions: { ready: true } },
  ]),
  svc('default', 'unready', { clusterIP: 'None' }),
  slice('default', 'unready-a', 'unready', [{ addresses: ['10.244.1.9'], conditions: { ready: false } }]),
  svc('default', 'ext1', { type: 'ExternalName', externalName: 'ext2.default.svc.cluster.local' }),
  svc('default', 'ext2', { type: 'ExternalName', externalName: 'web.default.svc.cluster.local' }),
  svc('default', 'loop1', { type: 'ExternalName', externalName: 'loop2.default.svc.cluster.local' }),
  svc('default', 'loop2', { type: 'ExternalName', externalName: 'loop1.default.svc.cluster.local' }),
  svc('default', 'byip', { type: 'ExternalName', externalName: '192.0.2.7' }),
  svc('default', 'outside', { type: 'ExternalName', externalName: 'www.example.com' }),
  pod('prod', 'api-0', '10.244.2.9'),
];

function show(a: ZoneAnswer): string[] {
  const rc = Object.entries(RCODE).find(([, v]) => v === a.rcode)?.[0] ?? String(a.rcode);
  const line = (prefix: string) => (rr: Parameters<typeof formatRR>[0]) =>
    prefix + formatRR(rr).replaceAll('\t', ' ');
  return [
    rc + (a.aa ? ' aa' : '') + (a.chase ? ` chase ${a.chase.name}` : '') + (a.forward ? ' forward' : ''),
    ...a.answers.map(line('')),
    ...a.authorities.map(line('ns: ')),
    ...a.additionals.map(line('extra: ')),
  ];
}

function zoneWith(cfg: ZoneConfigInput = {}, objects = cluster): Zone {
  return new Zone(new ObjectSource(objects, { now: () => 3 }), parseZoneConfig(cfg));
}

const SOA = 'ns: cluster.local. 5 IN SOA ns.dns.cluster.local. hostmaster.cluster.local. 3 7200 1800 86400 5';

interface Row {
  q: string;
  type: keyof typeof QTYPE | 'HINFO' | 'MX';
  cfg?: ZoneConfigInput;
  want: string[];
}

const rows: Row[] = [
  // ClusterIP: one record per family; SRV for named ports, bare name = every port.
  {
    q: 'web.default.svc.cluster.local',
    type: 'A',
    want: ['NOERROR aa', 'web.default.svc.cluster.local. 5 IN A 10.96.0.20'],
  },
  {
    q: 'web.default.svc.cluster.local',
    type: 'AAAA',
    want: ['NOERROR aa', 'web.default.svc.cluster.local. 5 IN AAAA fd00:96::20'],
  },
  { q: 'web.default.svc.cluster.local', type: 'TXT', want: ['NOERROR aa', SOA] },
  {
    q: '_https._tcp.web.default.svc.cluster.local',
    type: 'SRV',
    want: [
      'NOERROR aa',
      '_https._tcp.web.default.svc.cluster.local. 5 IN SRV 0 50 443 web.default.svc.cluster.local.',
      'extra: web.default.svc.cluster.local. 5 IN A 10.96.0.20',
      'extra: web.default.svc.cluster.local. 5 IN AAAA fd00:96::20',
    ],
  },
  {
    q: 'web.default.svc.cluster.local',
    type: 'SRV',
    want: [
      'NOERROR aa',
      'web.default.svc.cluster.local. 5 IN SRV 0 16 80 web.default.svc.cluster.local.',
      'web.default.svc.cluster.local. 5 IN SRV 0 16 443 web.default.svc.cluster.local.',
      'web.default.svc.cluster.local. 5 IN SRV 0 16 8080 web.default.svc.cluster.local.',
      'extra: web.default.svc.cluster.local. 5 IN A 10.96.0.20',
      'extra: web.default.svc.cluster.local. 5 IN AAAA fd00:96::20',
    ],
  },
  { q: '_ftp._tcp.web.default.svc.cluster.local', type: 'SRV', want: ['NXDOMAIN aa', SOA] },
  // Headless: ready endpoints only; hostname, else the dashed IP, else (endpoint_pod_names) the pod.
  {
    q: 'db.default.svc.cluster.local',
    type: 'A',
    want: [
      'NOERROR aa',
      'db.default.svc.cluster.local. 5 IN A 10.244.1.5',
      'db.default.svc.cluster.local. 5 IN A 10.244.1.7',
    ],
  },
  {
    q: 'db-0.db.default.svc.cluster.local',
    type: 'A',
    want: ['NOERROR aa', 'db-0.db.default.svc.cluster.local. 5 IN A 10.244.1.5'],
  },
  { q: 'db-1.db.default.svc.cluster.local', type: 'A', want: ['NXDOMAIN aa', SOA] },
  {
    q: '10-244-1-7.db.default.svc.cluster.local',
    type: 'A',
    want: ['NOERROR aa', '10-244-1-7.db.default.svc.cluster.local. 5 IN A 10.244.1.7'],
  },
  {
    q: 'fd00-244--7.db.default.svc.cluster.local',
    type: 'AAAA',
    want: ['NOERROR aa', 'fd00-244--7.db.default.svc.cluster.local. 5 IN AAAA fd00:244::7'],
  },
  {
    q: 'db-2.db.default.svc.cluster.local',
    type: 'A',
    cfg: { endpointPodNames: true },
    want: ['NOERROR aa', 'db-2.db.default.svc.cluster.local. 5 IN A 10.244.1.7'],
  },
  {
    q: '_pg._tcp.db.default.svc.cluster.local',
    type: 'SRV',
    want: [
      'NOERROR aa',
      '_pg._tcp.db.default.svc.cluster.local. 5 IN SRV 0 33 5432 db-0.db.default.svc.cluster.local.',
      '_pg._tcp.db.default.svc.cluster.local. 5 IN SRV 0 33 5432 10-244-1-7.db.default.svc.cluster.local.',
      '_pg._tcp.db.default.svc.cluster.local. 5 IN SRV 0 33 5432 fd00-244--7.db.default.svc.cluster.local.',
      'extra: db-0.db.default.svc.cluster.local. 5 IN A 10.244.1.5',
      'extra: 10-244-1-7.db.default.svc.cluster.local. 5 IN A 10.244.1.7',
      'extra: fd00-244--7.db.default.svc.cluster.local. 5 IN AAAA fd00:244::7',
    ],
  },
  // Endpoint names work on ClusterIP Services too (CoreDNS), returning the endpoint address.
  {
    q: '10-244-0-2.kube-dns.kube-system.svc.cluster.local',
    type: 'A',
    want: ['NOERROR aa', '10-244-0-2.kube-dns.kube-system.svc.cluster.local. 5 IN A 10.244.0.2'],
  },
  { q: 'unready.default.svc.cluster.local', type: 'A', want: ['NXDOMAIN aa', SOA] },
  // ExternalName: CNAME, chased inside the zone; a loop ends; an IP is not a name; outside = chase.
  {
    q: 'ext1.default.svc.cluster.local',
    type: 'A',
    want: [
      'NOERROR aa',
      'ext1.default.svc.cluster.local. 5 IN CNAME ext2.default.svc.cluster.local.',
      'ext2.default.svc.cluster.local. 5 IN CNAME web.default.svc.cluster.local.',
      'web.default.svc.cluster.local. 5 IN A 10.96.0.20',
    ],
  },
  { q: 'loop1.default.svc.cluster.local', type: 'A', want: ['NOERROR aa', SOA] },
  { q: 'byip.default.svc.cluster.local', type: 'A', want: ['NXDOMAIN aa', SOA] },
  {
    q: 'outside.default.svc.cluster.local',
    type: 'AAAA',
    want: [
      'NOERROR aa chase www.example.com',
      'outside.default.svc.cluster.local. 5 IN CNAME www.example.com.',
    ],
  },
  { q: 'outside.default.svc.cluster.local', type: 'SRV', want: ['NOERROR aa', SOA] },
  // PTR: ClusterIP; an endpoint of two Services gets one PTR per Service; unknown address NXDOMAIN.
  {
    q: '20.0.96.10.in-addr.arpa',
    type: 'PTR',
    want: ['NOERROR aa', '20.0.96.10.in-addr.arpa. 5 IN PTR web.default.svc.cluster.local.'],
  },
  {
    q: '0.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.6.9.0.0.0.0.d.f.ip6.arpa',
    type: 'PTR',
    want: [
      'NOERROR aa',
      '0.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.6.9.0.0.0.0.d.f.ip6.arpa. 5 IN PTR web.default.svc.cluster.local.',
    ],
  },
  {
    q: '5.1.244.10.in-addr.arpa',
    type: 'PTR',
    want: [
      'NOERROR aa',
      '5.1.244.10.in-addr.arpa. 5 IN PTR db-0.db.default.svc.cluster.local.',
      '5.1.244.10.in-addr.arpa. 5 IN PTR db-0.cache.default.svc.cluster.local.',
    ],
  },
  {
    q: '6.1.244.10.in-addr.arpa',
    type: 'PTR',
    want: [
      'NXDOMAIN aa',
      'ns: in-addr.arpa. 5 IN SOA ns.dns.in-addr.arpa. hostmaster.in-addr.arpa. 3 7200 1800 86400 5',
    ],
  },
  // Schema version, apex, empty non-terminals, namespaces.
  {
    q: 'dns-version.cluster.local',
    type: 'TXT',
    want: ['NOERROR aa', 'dns-version.cluster.local. 28800 IN TXT "1.1.0"'],
  },
  { q: 'cluster.local', type: 'TXT', want: ['NOERROR aa', SOA] },
  {
    q: 'cluster.local',
    type: 'NS',
    want: [
      'NOERROR aa',
      'cluster.local. 5 IN NS ns.dns.cluster.local.',
      'extra: ns.dns.cluster.local. 5 IN A 127.0.0.1',
    ],
  },
  {
    q: 'cluster.local',
    type: 'NS',
    cfg: { localIPs: ['10.244.0.2'] },
    want: [
      'NOERROR aa',
      'cluster.local. 5 IN NS kube-dns.kube-system.svc.cluster.local.',
      'extra: kube-dns.kube-system.svc.cluster.local. 5 IN A 10.96.0.10',
    ],
  },
  { q: 'ns.dns.cluster.local', type: 'A', want: ['NOERROR aa', 'ns.dns.cluster.local. 5 IN A 127.0.0.1'] },
  { q: 'prod.svc.cluster.local', type: 'A', want: ['NOERROR aa', SOA] },
  { q: 'staging.svc.cluster.local', type: 'A', want: ['NXDOMAIN aa', SOA] },
  {
    q: 'web.default.svc.cluster.local',
    type: 'A',
    cfg: { namespaces: ['prod'] },
    want: ['NXDOMAIN aa', SOA],
  },
  { q: 'web.default.svc.cluster.local', type: 'MX', want: ['NOERROR aa', SOA] },
  { q: 'a.b.c.d.e.svc.cluster.local', type: 'A', want: ['NXDOMAIN aa', SOA] },
  { q: 'cluster.local', type: 'AXFR', want: ['REFUSED'] },
  { q: 'www.example.com', type: 'A', want: ['REFUSED forward'] },
  // Pods: disabled (default), insecure (any IP-shaped label), verified (a pod with that IP in that ns).
  { q: '10-244-2-9.prod.pod.cluster.local', type: 'A', want: ['NXDOMAIN aa', SOA] },
  {
    q: '10-244-2-9.prod.pod.cluster.local',
    type: 'A',
    cfg: { pods: 'verified' },
    want: ['NOERROR aa', '10-244-2-9.prod.pod.cluster.local. 5 IN A 10.244.2.9'],
  },
  {
    q: '10-244-2-9.default.pod.cluster.local',
    type: 'A',
    cfg: { pods: 'verified' },
    want: ['NXDOMAIN aa', SOA],
  },
  {
    q: '10-1-2-3.default.pod.cluster.local',
    type: 'A',
    cfg: { pods: 'insecure' },
    want: ['NOERROR aa', '10-1-2-3.default.pod.cluster.local. 5 IN A 10.1.2.3'],
  },
  {
    q: 'fd00--1.default.pod.cluster.local',
    type: 'AAAA',
    cfg: { pods: 'insecure' },
    want: ['NOERROR aa', 'fd00--1.default.pod.cluster.local. 5 IN AAAA fd00::1'],
  },
  // ttl: every record, SOA TTL capped at 300 with MINIMUM = ttl; the query's case is kept.
  {
    q: 'WEB.Default.svc.Cluster.Local',
    type: 'A',
    cfg: { ttl: 600 },
    want: ['NOERROR aa', 'WEB.Default.svc.Cluster.Local. 600 IN A 10.96.0.20'],
  },
  {
    q: 'nope.default.svc.Cluster.Local',
    type: 'A',
    cfg: { ttl: 600 },
    want: [
      'NXDOMAIN aa',
      'ns: Cluster.Local. 300 IN SOA ns.dns.Cluster.Local. hostmaster.Cluster.Local. 3 7200 1800 86400 600',
    ],
  },
  // fallthrough: NXDOMAIN in those zones goes to the upstream (if any).
  {
    q: '6.1.244.10.in-addr.arpa',
    type: 'PTR',
    cfg: { fallthrough: ['in-addr.arpa'] },
    want: [
      'NXDOMAIN aa forward',
      'ns: in-addr.arpa. 5 IN SOA ns.dns.in-addr.arpa. hostmaster.in-addr.arpa. 3 7200 1800 86400 5',
    ],
  },
];

const typeNumber = (ty: Row['type']): number => (ty === 'HINFO' ? 13 : ty === 'MX' ? 15 : QTYPE[ty]);

t.test('answers', async (t) => {
  for (const r of rows) {
    const z = zoneWith(r.cfg);
    t.same(
      show(z.lookup(r.q, typeNumber(r.type))),
      r.want,
      `${r.q} ${r.type}${r.cfg ? ' ' + JSON.stringify(r.cfg) : ''}`,
    );
    z.close();
  }
});

t.test('config validation names the option', async (t) => {
  const bad: [ZoneConfigInput, string][] = [
    [{ ttl: 3601 }, 'ttl: "3601" must be an integer between 0 and 3600'],
    [{ ttl: 'x' }, 'ttl: "x" must be an integer between 0 and 3600'],
    [{ pods: 'sometimes' }, 'pods: "sometimes" must be one of disabled, insecure, verified'],
    [{ zones: ['in-addr.arpa'] }, 'zones: one zone must be a forward zone (e.g. cluster.local)'],
    [{ zones: ['bad..zone'] }, 'zones: "bad..zone" is not a domain name'],
    [{ localIPs: ['localhost'] }, 'localIPs: "localhost" is not an IP address'],
  ];
  for (const [input, msg] of bad) {
    t.throws(() => parseZoneConfig(input), new DnsConfigError('x', '').constructor, JSON.stringify(input));
    try {
      parseZoneConfig(input);
    } catch (e) {
      t.same([(e as DnsConfigError).code, (e as Error).message], ['NETLAB_DNS_CONFIG', msg]);
    }
  }
});

t.test('ObjectSource: changes bump the version and show in the next answer', async (t) => {
  const source = new ObjectSource(cluster);
  const z = new Zone(source, parseZoneConfig());
  let changes = 0;
  z.onChange(() => changes++);
  const a = () => show(z.lookup('new.default.svc.cluster.local', QTYPE.A));
  t.same(a()[0], 'NXDOMAIN aa');
  source.apply(svc('default', 'new', { clusterIPs: ['10.96.0.77'], ports }));
  t.same(a(), ['NOERROR aa', 'new.default.svc.cluster.local. 5 IN A 10.96.0.77']);
  source.delete(svc('default', 'new', {}));
  t.same(a()[0], 'NXDOMAIN aa');
  t.same([changes, z.version], [2, 2]);
  z.close();
});

t.test(
  'ObjectSource: the index kept up to date is, after every change, the index built from scratch',
  async (t) => {
    const source = new ObjectSource(cluster);
    const first = source.index();
    const ep = (ip: string, ready = true): Endpoint => ({ addresses: [ip], conditions: { ready } });
    // Each step, then the namespaces asked about: whether each exists, as a scan of the objects says.
    const steps: [string, () => void, string][] = [
      ['as listed', () => {}, 'prod:yes web:no team:no'],
      [
        'a Service and its slice in a new namespace',
        () => {
          source.apply(svc('web', 'front', { clusterIPs: ['10.96.5.1'], ports }));
          source.apply(slice('web', 'front-a', 'front', [ep('10.244.5.1'), ep('10.244.5.2', false)]));
        },
        'prod:yes web:yes team:no',
      ],
      [
        'a second slice, then the first one updated (keeps its place)',
        () => {
          source.apply(slice('web', 'front-b', 'front', [ep('10.244.5.3')]));
          source.apply(slice('web', 'front-a', 'front', [ep('10.244.5.1'), ep('10.244.5.9')]));
        },
        'prod:yes web:yes team:no',
      ],
      [
        'the first slice deleted and made again (now last)',
        () => {
          source.delete(slice('web', 'front-a', 'front', []));
          source.apply(slice('web', 'front-a', 'front', [ep('10.244.5.3')]));
        },
        'prod:yes web:yes team:no',
      ],
      [
        'two Services on one ClusterIP, a pod IP shared by two namespaces',
        () => {
          source.apply(svc('team', 'a', { clusterIPs: ['10.96.5.1'], ports }));
          source.apply(pod('team', 'p1', '10.244.5.3'));
          source.apply(pod('web', 'p2', '10.244.5.3'));
        },
        'prod:yes web:yes team:yes',
      ],
      [
        'a pod loses its IP, a Service changes its ClusterIP',
        () => {
          source.apply({ ...pod('web', 'p2', ''), status: {} });
          source.apply(svc('web', 'front', { clusterIPs: ['10.96.5.2'], ports }));
        },
        'prod:yes web:yes team:yes',
      ],
      [
        'everything of team deleted; the Namespace prod too (its pods still prove it)',
        () => {
          source.delete(svc('team', 'a', {}));
          source.delete(pod('team', 'p1', ''));
          source.delete(ns('prod'));
        },
        'prod:yes web:yes team:no',
      ],
      [
        'a relist in one batch (every object deleted and applied again)',
        () => {
          const all = [...source.snapshot().services, ...source.snapshot().endpointSlices];
          source.batch(() => {
            for (const o of all) source.delete(o);
            for (const o of all.reverse()) source.apply(o);
          });
        },
        'prod:yes web:yes team:no',
      ],
    ];
    for (const [name, change, namespaces] of steps) {
      change();
      t.same(source.index(), buildIndex(source.snapshot()), `${name}: the index`);
      t.equal(
        ['prod', 'web', 'team'].map((n) => `${n}:${source.namespaceExists(n) ? 'yes' : 'no'}`).join(' '),
        namespaces,
        `${name}: namespaces`,
      );
    }
    t.equal(source.index(), first, 'one index, kept up to date');
  },
);

// A WatchableStore with a list and a watch stream the test pushes events into.
class FakeStore implements WatchableStore {
  readonly objects = new Map<string, AnyObject[]>();
  /** The kinds listed, in order. */
  readonly listed: string[] = [];
  readonly #waiters = new Map<string, ((e: WatchEvent<AnyObject>) => void)[]>();
  list<K extends keyof KindMap>(kind: K): ObjectList<KindMap[K]> {
    this.listed.push(kind);
    return { items: (this.objects.get(kind) ?? []) as KindMap[K][], resourceVersion: '1' };
  }
  watch<K extends keyof KindMap>(
    kind: K,
    opts: { signal?: AbortSignal } = {},
  ): AsyncIterable<WatchEvent<KindMap[K]>> {
    const queue: WatchEvent<AnyObject>[] = [];
    let wake: (() => void) | null = null;
    const subs = this.#waiters.get(kind) ?? [];
    subs.push((e) => {
      queue.push(e);
      wake?.();
    });
    this.#waiters.set(kind, subs);
    return {
      async *[Symbol.asyncIterator]() {
        while (!opts.signal?.aborted) {
          if (queue.length === 0) {
            await new Promise<void>((r) => {
              wake = r;
              opts.signal?.addEventListener('abort', () => r(), { once: true });
            });
            wake = null;
            continue;
          }
          yield queue.shift() as WatchEvent<KindMap[K]>;
        }
      },
    };
  }
  emit(kind: string, e: WatchEvent<AnyObject>): void {
    for (const s of this.#waiters.get(kind) ?? []) s(e);
  }
}

t.test('StoreSource: list, synced, then watch events', async (t) => {
  const store = new FakeStore();
  store.objects.set('Service', [svc('default', 'web', { clusterIPs: ['10.96.0.20'], ports })]);
  const ac = new AbortController();
  const source = new StoreSource(store, { signal: ac.signal });
  t.teardown(() => ac.abort());
  const z = new Zone(source, parseZoneConfig());
  const tick = () => new Promise((r) => setTimeout(r, 10));
  await tick();
  t.equal(source.hasSynced(), true);
  t.same(show(z.lookup('web.default.svc.cluster.local', QTYPE.A)), [
    'NOERROR aa',
    'web.default.svc.cluster.local. 5 IN A 10.96.0.20',
  ]);
  store.emit('Service', {
    type: 'ADDED',
    object: svc('default', 'api', { clusterIPs: ['10.96.0.30'], ports }),
  });
  store.emit('Service', { type: 'DELETED', object: svc('default', 'web', {}) });
  await tick();
  t.same(show(z.lookup('api.default.svc.cluster.local', QTYPE.A)), [
    'NOERROR aa',
    'api.default.svc.cluster.local. 5 IN A 10.96.0.30',
  ]);
  t.same(show(z.lookup('web.default.svc.cluster.local', QTYPE.A))[0], 'NXDOMAIN aa');
  z.close();
});

t.test('StoreSource keeps Pods only for pods verified, as CoreDNS starts its pod informer', async (t) => {
  const cases: { pods: 'disabled' | 'insecure' | 'verified' | undefined; kinds: string }[] = [
    { pods: 'disabled', kinds: 'Namespace Service EndpointSlice' },
    { pods: 'insecure', kinds: 'Namespace Service EndpointSlice' },
    { pods: 'verified', kinds: 'Namespace Service EndpointSlice Pod' },
    { pods: undefined, kinds: 'Namespace Service EndpointSlice Pod' },
  ];
  for (const c of cases) {
    const store = new FakeStore();
    const ac = new AbortController();
    const source = new StoreSource(store, { signal: ac.signal, ...(c.pods ? { pods: c.pods } : {}) });
    t.equal(store.listed.join(' '), c.kinds, `pods ${c.pods ?? '(not given)'}`);
    t.equal(source.hasSynced(), true, `pods ${c.pods ?? '(not given)'}: synced once those are listed`);
    ac.abort();
  }
});

t.test('StoreSource over the api Store: allocated ClusterIPs, then updates and deletes', async (t) => {
  const store = new Store({ seed: 3, bookmarkIntervalMs: 0 });
  const ac = new AbortController();
  t.teardown(() => {
    ac.abort();
    store.close();
  });
  const source = new StoreSource(store, { signal: ac.signal });
  const z = new Zone(source, parseZoneConfig());
  const tick = () => new Promise((r) => setTimeout(r, 20));
  await tick();
  // The store's own `kubernetes` Service, with the first address of the service CIDR.
  t.same(show(z.lookup('kubernetes.default.svc.cluster.local', QTYPE.A)), [
    'NOERROR aa',
    'kubernetes.default.svc.cluster.local. 5 IN A 10.96.0.1',
  ]);
  const created = store.create(
    svc('default', 'api', { ports: [{ name: 'http', protocol: 'TCP', port: 80 }] }),
  );
  await tick();
  t.same(show(z.lookup('api.default.svc.cluster.local', QTYPE.A)), [
    'NOERROR aa',
    `api.default.svc.cluster.local. 5 IN A ${created.spec.clusterIP}`,
  ]);
  store.delete('Service', 'api', { namespace: 'default' });
  await tick();
  t.same(show(z.lookup('api.default.svc.cluster.local', QTYPE.A))[0], 'NXDOMAIN aa');
  z.close();
});

t.test('every error class of dns/ carries its code and name', async (t) => {
  const errors: [Error & { code: string }, string, string, string][] = [
    [new DnsConfigError('ttl', 'bad'), 'DnsConfigError', 'NETLAB_DNS_CONFIG', 'ttl: bad'],
    [
      new DnsListenError('127.0.0.1:53', 'EACCES'),
      'DnsListenError',
      'NETLAB_DNS_LISTEN',
      'cannot listen on 127.0.0.1:53: EACCES',
    ],
    [
      new DnsAddressError('--upstream', 'x'),
      'DnsAddressError',
      'NETLAB_DNS_ADDRESS',
      '--upstream: "x" is not IP:PORT (IPv6 as [addr]:port)',
    ],
    [
      new InvalidNameserverError('--server', 'x'),
      'InvalidNameserverError',
      'NETLAB_DNS_RESOLVER_NAMESERVER',
      '--server: invalid nameserver "x": want IP, IP:PORT or [IPv6]:PORT',
    ],
    [
      new InvalidQueryNameError('a..b', 'empty label'),
      'InvalidQueryNameError',
      'NETLAB_DNS_RESOLVER_NAME',
      'invalid name "a..b": empty label',
    ],
    [
      new NoNameserverError('pod.conf'),
      'NoNameserverError',
      'NETLAB_DNS_RESOLVER_NO_NAMESERVER',
      'pod.conf: no nameserver configured',
    ],
  ];
  for (const [e, name, code, message] of errors) {
    t.same([e.name, e.code, e.message], [name, code, message]);
    t.ok(e instanceof DnsError, `${name} is a DnsError`);
  }
});

// An EndpointSlice port whose name is omitted is the unnamed port (kube-apiserver defaults it to "",
// discovery/v1 SetDefaults_EndpointPort, before CoreDNS reads it): the same SRV answers as "".
t.test('SRV of a headless Service: slice port name omitted, "" or named', async (t) => {
  const headless = (portName: string | undefined): AnyObject[] => [
    svc('default', 'hl', { clusterIP: 'None', ports: [{ port: 80, targetPort: 8080 }] }),
    {
      ...slice('default', 'hl-a', 'hl', [{ addresses: ['10.244.1.5'], hostname: 'hl-0' }]),
      ports: [portName === undefined ? { port: 8080 } : { name: portName, port: 8080 }],
    },
  ];
  const bare = 'hl.default.svc.cluster.local. 5 IN SRV 0 100 8080 hl-0.hl.default.svc.cluster.local.';
  const named =
    '_http._tcp.hl.default.svc.cluster.local. 5 IN SRV 0 100 8080 hl-0.hl.default.svc.cluster.local.';
  const extra = 'extra: hl-0.hl.default.svc.cluster.local. 5 IN A 10.244.1.5';
  const cases: [portName: string | undefined, q: string, want: string[]][] = [
    [undefined, 'hl.default.svc.cluster.local', ['NOERROR aa', bare, extra]],
    ['', 'hl.default.svc.cluster.local', ['NOERROR aa', bare, extra]],
    ['http', 'hl.default.svc.cluster.local', ['NOERROR aa', bare, extra]],
    [undefined, '_http._tcp.hl.default.svc.cluster.local', ['NXDOMAIN aa', SOA]],
    ['', '_http._tcp.hl.default.svc.cluster.local', ['NXDOMAIN aa', SOA]],
    ['http', '_http._tcp.hl.default.svc.cluster.local', ['NOERROR aa', named, extra]],
  ];
  for (const [portName, q, want] of cases) {
    const zone = zoneWith({}, headless(portName));
    t.teardown(() => zone.close());
    t.same(
      show(zone.lookup(q, QTYPE.SRV)),
      want,
      `${q} SRV, slice port name ${portName === undefined ? 'omitted' : JSON.stringify(portName)}`,
    );
  }
});
