import t from 'tap';
import type { Pod } from '../../api/index.js';
import type { PodSpec } from '../../api/types.js';
import { parseResolvConf, podDNS } from '../../dns/index.js';
import type { KubeletDNS } from '../../dns/resolver/poddns.js';

t.test('parseResolvConf', async (t) => {
  const cases: { name: string; text: string; expect: object }[] = [
    {
      name: 'kubelet ClusterFirst file',
      text: 'search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n',
      expect: {
        nameservers: ['10.96.0.10'],
        search: ['default.svc.cluster.local', 'svc.cluster.local', 'cluster.local'],
        ndots: 5,
        timeout: 5,
        attempts: 2,
        warnings: [],
      },
    },
    {
      name: 'last search/domain line wins; comments; options accumulate',
      text: '# node file\nsearch a.example b.example\n; old\ndomain corp.example\nnameserver 192.0.2.1\noptions timeout:2\noptions attempts:3 edns0 use-vc\n',
      expect: {
        nameservers: ['192.0.2.1'],
        search: ['corp.example'],
        ndots: 1,
        timeout: 2,
        attempts: 3,
        edns0: true,
        useVc: true,
        optionWords: ['timeout:2', 'attempts:3', 'edns0', 'use-vc'],
        warnings: [],
      },
    },
    {
      name: 'what a libc skips is reported with file and line',
      text: 'nameserver 192.0.2.1\nnameserver 192.0.2.2\nnameserver 192.0.2.3\nnameserver 192.0.2.4\nnameserver\noptions ndots:x frobnicate\nlookup file bind\n',
      expect: {
        nameservers: ['192.0.2.1', '192.0.2.2', '192.0.2.3', '192.0.2.4'],
        warnings: [
          'node.conf:4: more than 3 nameservers; only the first 3 are used',
          'node.conf:5: nameserver without an address',
          'node.conf:6: option "ndots:x": not a number',
          'node.conf:6: unknown option "frobnicate"',
          'node.conf:7: unknown keyword "lookup"',
        ],
      },
    },
  ];
  for (const c of cases) {
    const p = parseResolvConf(c.text, 'node.conf');
    t.match({ ...p, ...p.options }, c.expect, c.name);
  }
});

// --- pod resolv.conf from dnsPolicy + dnsConfig (kubelet GetPodDNS) ----------------------------

const nodeFile =
  'nameserver 192.0.2.53\nnameserver 192.0.2.54\nsearch eu-west-1.compute.internal.\noptions timeout:2 attempts:3\n';
const kubelet: KubeletDNS = {
  clusterDNS: ['10.96.0.10'],
  clusterDomain: 'cluster.local',
  hostResolvConf: nodeFile,
};

function pod(spec: Partial<PodSpec>, namespace = 'default'): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web-1', namespace, uid: 'u-1' },
    spec: { containers: [{ name: 'c' }], ...spec },
  };
}

interface GenCase {
  name: string;
  spec: Partial<PodSpec>;
  namespace?: string;
  kubelet?: KubeletDNS;
  resolvConf: string;
  events?: string[];
  logs?: string[];
}

const longDomain = (i: number) => `d${String(i).padStart(2, '0')}.${'x'.repeat(200)}.example`; // 212 chars

const genCases: GenCase[] = [
  {
    name: 'ClusterFirst (default): cluster search first, then the node search; cluster DNS only; ndots:5',
    spec: {},
    namespace: 'shop',
    resolvConf: `search shop.svc.cluster.local svc.cluster.local cluster.local eu-west-1.compute.internal
nameserver 10.96.0.10
options ndots:5
`,
  },
  {
    name: 'ClusterFirst on the host network falls back to Default',
    spec: { hostNetwork: true, dnsPolicy: 'ClusterFirst' },
    resolvConf: `search eu-west-1.compute.internal
nameserver 192.0.2.53
nameserver 192.0.2.54
options timeout:2 attempts:3
`,
  },
  {
    name: 'ClusterFirstWithHostNet keeps cluster DNS on the host network',
    spec: { hostNetwork: true, dnsPolicy: 'ClusterFirstWithHostNet' },
    resolvConf: `search default.svc.cluster.local svc.cluster.local cluster.local eu-west-1.compute.internal
nameserver 10.96.0.10
options ndots:5
`,
  },
  {
    name: "Default: the node's file (as kubelet parses it)",
    spec: { dnsPolicy: 'Default' },
    resolvConf: `search eu-west-1.compute.internal
nameserver 192.0.2.53
nameserver 192.0.2.54
options timeout:2 attempts:3
`,
  },
  {
    name: 'None: only dnsConfig (the documentation example)',
    spec: {
      dnsPolicy: 'None',
      dnsConfig: {
        nameservers: ['192.0.2.1'],
        searches: ['ns1.svc.cluster-domain.example', 'my.dns.search.suffix'],
        options: [{ name: 'ndots', value: '2' }, { name: 'edns0' }],
      },
    },
    resolvConf: `search ns1.svc.cluster-domain.example my.dns.search.suffix
nameserver 192.0.2.1
options ndots:2 edns0
`,
  },
  {
    name: 'None without dnsConfig: an empty file',
    spec: { dnsPolicy: 'None' },
    resolvConf: '',
  },
  {
    name: 'ClusterFirst + dnsConfig: appended, duplicates dropped, same-named options replaced',
    spec: {
      dnsConfig: {
        nameservers: ['10.96.0.10', '192.0.2.1'],
        searches: ['cluster.local', 'corp.example'],
        options: [{ name: 'ndots', value: '2' }, { name: 'single-request-reopen' }],
      },
    },
    resolvConf: `search default.svc.cluster.local svc.cluster.local cluster.local eu-west-1.compute.internal corp.example
nameserver 10.96.0.10
nameserver 192.0.2.1
options ndots:2 single-request-reopen
`,
  },
  {
    name: 'no --cluster-dns: ClusterFirst falls back to Default, with events on the Node and the Pod',
    spec: {},
    kubelet: { clusterDNS: [], clusterDomain: 'cluster.local', hostResolvConf: nodeFile },
    resolvConf: `search eu-west-1.compute.internal
nameserver 192.0.2.53
nameserver 192.0.2.54
options timeout:2 attempts:3
`,
    events: [
      'Node Warning MissingClusterDNS: kubelet does not have ClusterDNS IP configured and cannot create Pod using "ClusterFirst" policy. Falling back to "Default" policy.',
      'Pod Warning MissingClusterDNS: pod: "web-1_default(u-1)". kubelet does not have ClusterDNS IP configured and cannot create Pod using "ClusterFirst" policy. Falling back to "Default" policy.',
    ],
  },
  {
    name: '--resolv-conf="": Default pods get the node itself, one loopback per node IP family',
    spec: { dnsPolicy: 'Default' },
    kubelet: {
      clusterDNS: ['10.96.0.10'],
      clusterDomain: 'cluster.local',
      nodeIPs: ['192.168.1.10', 'fd00::10'],
    },
    resolvConf: `search .
nameserver 127.0.0.1
nameserver ::1
`,
  },
  {
    name: 'no --cluster-domain: ClusterFirst gets only the node search list',
    spec: {},
    kubelet: { clusterDNS: ['10.96.0.10'], clusterDomain: '', hostResolvConf: nodeFile },
    resolvConf: `search eu-west-1.compute.internal
nameserver 10.96.0.10
options ndots:5
`,
  },
  {
    name: 'more than 3 nameservers: the first 3, and an event',
    spec: { dnsPolicy: 'Default', dnsConfig: { nameservers: ['192.0.2.1', '192.0.2.2'] } },
    resolvConf: `search eu-west-1.compute.internal
nameserver 192.0.2.53
nameserver 192.0.2.54
nameserver 192.0.2.1
options timeout:2 attempts:3
`,
    events: [
      'Pod Warning DNSConfigForming: Nameserver limits were exceeded, some nameservers have been omitted, the applied nameserver line is: 192.0.2.53 192.0.2.54 192.0.2.1',
    ],
  },
  {
    name: 'more than 32 search domains: the first 32, and an event',
    spec: { dnsConfig: { searches: Array.from({ length: 30 }, (_, i) => `s${i + 1}.example`) } },
    resolvConf: `search default.svc.cluster.local svc.cluster.local cluster.local eu-west-1.compute.internal ${Array.from({ length: 28 }, (_, i) => `s${i + 1}.example`).join(' ')}
nameserver 10.96.0.10
options ndots:5
`,
    events: [
      `Pod Warning DNSConfigForming: Search Line limits were exceeded, some search paths have been omitted, the applied search line is: default.svc.cluster.local svc.cluster.local cluster.local eu-west-1.compute.internal ${Array.from({ length: 28 }, (_, i) => `s${i + 1}.example`).join(' ')}`,
    ],
  },
  {
    name: 'over 2048 characters: whole domains cut from the end until the line fits',
    // 4 cluster/node domains (84 chars with spaces) + 10 x (1 + 212) = 2214 > 2048: drop 1 -> 2001.
    spec: { dnsConfig: { searches: Array.from({ length: 10 }, (_, i) => longDomain(i)) } },
    resolvConf: `search default.svc.cluster.local svc.cluster.local cluster.local eu-west-1.compute.internal ${Array.from({ length: 9 }, (_, i) => longDomain(i)).join(' ')}
nameserver 10.96.0.10
options ndots:5
`,
    events: [
      `Pod Warning DNSConfigForming: Search Line limits were exceeded, some search paths have been omitted, the applied search line is: default.svc.cluster.local svc.cluster.local cluster.local eu-west-1.compute.internal ${Array.from({ length: 9 }, (_, i) => longDomain(i)).join(' ')}`,
    ],
  },
  {
    name: 'a search domain over 253 characters is dropped (some glibc abort() on it)',
    spec: { dnsConfig: { searches: [`${'y'.repeat(250)}.example`, 'ok.example'] } },
    resolvConf: `search default.svc.cluster.local svc.cluster.local cluster.local eu-west-1.compute.internal ok.example
nameserver 10.96.0.10
options ndots:5
`,
    events: [
      'Pod Warning DNSConfigForming: Search Line limits were exceeded, some search paths have been omitted, the applied search line is: default.svc.cluster.local svc.cluster.local cluster.local eu-west-1.compute.internal ok.example',
    ],
  },
  {
    name: 'an unknown dnsPolicy is logged and treated as ClusterFirst',
    spec: { dnsPolicy: 'Nope' as NonNullable<PodSpec['dnsPolicy']> },
    resolvConf: `search default.svc.cluster.local svc.cluster.local cluster.local eu-west-1.compute.internal
nameserver 10.96.0.10
options ndots:5
`,
    logs: [
      '"Failed to get DNS type for pod. Falling back to DNSClusterFirst policy." err="invalid DNSPolicy=Nope" pod="default/web-1"',
    ],
  },
];

t.test('pod resolv.conf per dnsPolicy and dnsConfig', async (t) => {
  for (const c of genCases) {
    const r = podDNS(pod(c.spec, c.namespace), c.kubelet ?? kubelet);
    t.equal(r.resolvConf, c.resolvConf, c.name);
    t.same(
      r.events.map((e) => `${e.object} ${e.type} ${e.reason}: ${e.message}`),
      c.events ?? [],
      `${c.name}: events`,
    );
    t.same(r.logs, c.logs ?? [], `${c.name}: logs`);
  }
});

t.test('the limits are exactly 32 domains and 2048 characters', async (t) => {
  // 29 domains + the 3 cluster ones = 32: no event.
  const at32 = podDNS(pod({ dnsConfig: { searches: Array.from({ length: 29 }, (_, i) => `s${i}.e`) } }), {
    ...kubelet,
    hostResolvConf: 'nameserver 192.0.2.53\n',
  });
  t.equal(at32.searches.length, 32);
  t.same(at32.events, []);
  // A line of exactly 2048 characters passes.
  // 57 (cluster domains) + 7 x (1 + 253) + (1 + 212) = 2048.
  const searches = [
    ...Array.from({ length: 7 }, (_, i) => `${i}`.padEnd(251, 'f') + '.e'),
    'h'.repeat(210) + '.e',
  ];
  const exact = podDNS(pod({ dnsConfig: { searches } }), {
    ...kubelet,
    hostResolvConf: 'nameserver 192.0.2.53\n',
  });
  t.equal(exact.searches.join(' ').length, 2048);
  t.same(exact.events, []);
});
