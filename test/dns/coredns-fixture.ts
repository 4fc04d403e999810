// The CoreDNS unit-test fixtures as Kubernetes objects (reference cluster-dns.md §2.5): APIConnServeTest
// (handler_test.go) and APIConnReverseTest (reverse_test.go), plus the comparison of §2.4
// (plugin/test/helpers.go SortAndCheck). Test-side only: the data is the reference's, the answers
// come from the zone.
import type { Answer, DecodedPacket } from 'dns-packet';
import type { AnyObject, Endpoint, EndpointPort, EndpointSlice, Pod, Service } from '../../api/index.js';
import type { ZoneConfigInput } from '../../dns/zone/config.js';
import { ipFromKey, ipKey } from '../../dns/zone/names.js';
import { ObjectSource } from '../../dns/zone/source.js';

function service(ns: string, name: string, spec: Service['spec']): Service {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: ns }, spec };
}

function slice(
  ns: string,
  name: string,
  svc: string,
  endpoints: Endpoint[],
  ports: EndpointPort[],
  addressType: 'IPv4' | 'IPv6' = 'IPv4',
): EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name, namespace: ns, labels: { 'kubernetes.io/service-name': svc } },
    addressType,
    endpoints,
    ports,
  };
}

const http = { name: 'http', protocol: 'TCP' as const, port: 80 };
const ep = (ip: string, hostname?: string): Endpoint => ({
  addresses: [ip],
  conditions: { ready: true },
  ...(hostname ? { hostname } : {}),
});

/** APIConnServeTest: the services and endpoints of handler_test.go. */
export function serveTestObjects(): AnyObject[] {
  const pod: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'foo', namespace: 'podns', labels: { 'app.kubernetes.io/name': 'foo', bar: 'baz' } },
    spec: { containers: [{ name: 'foo' }] },
    status: { podIP: '10.240.0.1', podIPs: [{ ip: '10.240.0.1' }] },
  };
  return [
    service('kube-system', 'kubedns', {
      type: 'ClusterIP',
      clusterIPs: ['10.0.0.10'],
      ports: [{ name: 'dns', protocol: 'UDP', port: 53 }],
    }),
    slice(
      'kube-system',
      'kubedns',
      'kubedns',
      [ep('172.0.0.100')],
      [{ name: 'dns', protocol: 'UDP', port: 53 }],
    ),
    service('testns', 'svc1', { type: 'ClusterIP', clusterIPs: ['10.0.0.1'], ports: [http] }),
    slice('testns', 'svc1-slice1', 'svc1', [ep('172.0.0.1', 'ep1a')], [http]),
    service('testns', 'svcempty', { type: 'ClusterIP', clusterIPs: ['10.0.0.1'], ports: [http] }),
    slice('testns', 'svcempty-slice1', 'svcempty', [], [http]),
    service('testns', 'svc6', { type: 'ClusterIP', clusterIPs: ['1234:abcd::1'], ports: [http] }),
    service('testns', 'hdls1', { type: 'ClusterIP', clusterIP: 'None' }),
    slice(
      'testns',
      'hdls1-slice1',
      'hdls1',
      [
        ep('172.0.0.2'),
        ep('172.0.0.3'),
        ep('172.0.0.4', 'dup-name'),
        ep('172.0.0.5', 'dup-name'),
        ep('5678:abcd::1'),
        ep('5678:abcd::2'),
      ],
      [http],
    ),
    service('testns', 'hdlsprtls', { type: 'ClusterIP', clusterIP: 'None' }),
    slice('testns', 'hdlsprtls-slice1', 'hdlsprtls', [ep('172.0.0.20')], []),
    service('testns', 'external', {
      type: 'ExternalName',
      externalName: 'ext.interwebs.test',
      ports: [http],
    }),
    service('testns', 'external-to-service', {
      type: 'ExternalName',
      externalName: 'svc1.testns.svc.cluster.local.',
      ports: [http],
    }),
    service('unexposedns', 'svc1', { type: 'ClusterIP', clusterIPs: ['10.0.0.2'], ports: [http] }),
    service('testns', 'svc-dual-stack', {
      type: 'ClusterIP',
      clusterIPs: ['10.0.0.3', '10::3'],
      ports: [http],
    }),
    pod,
  ];
}

/** APIConnReverseTest: the services and endpoints of reverse_test.go. */
export function reverseTestObjects(): AnyObject[] {
  return [
    service('testns', 'svc1', { type: 'ClusterIP', clusterIPs: ['192.168.1.100'], ports: [http] }),
    slice('testns', 'svc1-slice1', 'svc1', [ep('10.0.0.100', 'ep1a'), ep('10.0.0.99', 'double-ep')], [http]),
    slice(
      'testns',
      'svc1-slice2',
      'svc1',
      [ep('1234:abcd::1', 'ep1b'), ep('fd00:77:30::a', 'ip6svc1ex'), ep('fd00:77:30::2:9ba6', 'ip6svc1in')],
      [http],
      'IPv6',
    ),
    slice('testns', 'svc1-ccccc', 'svc1', [ep('10.0.0.100', 'ep1a')], [http]),
    service('testns', 'svc2', { type: 'ClusterIP', clusterIPs: ['192.168.1.200'], ports: [http] }),
    slice('testns', 'svc2-slice1', 'svc2', [ep('10.0.0.99', 'double-ep')], [http]),
  ];
}

/**
 * CoreDNS's canned APIConn answers GetNamespaceByName for every name except "pod-nons" and
 * "nsnoexist"; the zone asks its source the same question.
 */
export class CannedSource extends ObjectSource {
  override namespaceExists(name: string): boolean {
    return name !== 'pod-nons' && name !== 'nsnoexist';
  }
}

export interface SuiteConfig {
  zones: string[];
  namespaces?: string[];
  pods?: string;
  ttl: number;
  fixture: string;
  ignore_empty_service?: boolean;
  localIPs?: string[];
  multicluster?: string[];
  note?: string;
}

export interface CaseRR {
  type: string;
  text: string;
}

export interface Case {
  qname: string;
  qtype: string;
  rcode: string;
  answer: CaseRR[];
  ns: CaseRR[];
  extra: CaseRR[];
}

export interface Suite {
  name: string;
  file: string;
  config: SuiteConfig;
  cases: Case[];
}

/** The suite's fixture and zone options. */
export function suiteSetup(cfg: SuiteConfig): { source: CannedSource; zone: ZoneConfigInput } {
  const reverse = cfg.fixture.startsWith('APIConnReverseTest');
  const synced = !cfg.fixture.includes('notSynced:true');
  const source = new CannedSource(reverse ? reverseTestObjects() : serveTestObjects(), {
    synced,
    now: () => 3,
  });
  return {
    source,
    zone: {
      zones: cfg.zones,
      namespaces: cfg.namespaces ?? [],
      pods: cfg.pods ?? 'disabled',
      ttl: cfg.ttl,
      ignoreEmptyService: cfg.ignore_empty_service ?? false,
      localIPs: cfg.localIPs ?? ['127.0.0.1'],
    },
  };
}

// --- SortAndCheck (CoreDNS plugin/test: sections sorted, then compared RR by RR) --------------

/** One RR parsed from the zone-file text of a case, or from a decoded response. */
export interface RR {
  name: string;
  ttl: number;
  type: string;
  rdata: string;
}

function canonIP(ip: string): string {
  const k = ipKey(ip);
  return k === '' ? ip : ipFromKey(k);
}

function withDot(n: string): string {
  return n.endsWith('.') ? n : n + '.';
}

/** `name ttl IN TYPE rdata...` -> RR; rdata reduced to the fields SortAndCheck compares. */
export function parseRR(text: string): RR {
  const f = text.trim().split(/\s+/);
  const [name, ttl, , type, ...rdata] = f as [string, string, string, string, ...string[]];
  return { name: withDot(name), ttl: Number(ttl), type, rdata: rdataKey(type, rdata) };
}

function rdataKey(type: string, f: string[]): string {
  switch (type) {
    case 'A':
    case 'AAAA':
      return canonIP(f[0]!);
    case 'SRV':
      return `${f[0]} ${f[1]} ${f[2]} ${withDot(f[3]!)}`;
    case 'CNAME':
    case 'PTR':
    case 'NS':
      return withDot(f[0]!);
    case 'TXT':
      return f.join('').replaceAll('"', '');
    case 'SOA':
      return withDot(f[0]!); // MNAME only
    default:
      return f.join(' ');
  }
}

/** A decoded answer as the same RR shape. */
export function answerRR(a: Answer): RR {
  const name = withDot(a.name);
  const ttl = 'ttl' in a && typeof a.ttl === 'number' ? a.ttl : 0;
  switch (a.type) {
    case 'A':
    case 'AAAA':
      return { name, ttl, type: a.type, rdata: canonIP(a.data) };
    case 'SRV':
      return {
        name,
        ttl,
        type: a.type,
        rdata: `${a.data.priority ?? 0} ${a.data.weight ?? 0} ${a.data.port} ${withDot(a.data.target)}`,
      };
    case 'CNAME':
    case 'PTR':
    case 'NS':
      return { name, ttl, type: a.type, rdata: withDot(a.data) };
    case 'TXT': {
      const d = a.data;
      const parts = Array.isArray(d) ? d : [d];
      return { name, ttl, type: a.type, rdata: parts.map((p) => p.toString()).join('') };
    }
    case 'SOA':
      return { name, ttl, type: a.type, rdata: withDot(a.data.mname) };
    default:
      return { name, ttl, type: a.type, rdata: JSON.stringify('data' in a ? a.data : null) };
  }
}

function rrString(r: RR): string {
  return `${r.name}\t${r.ttl}\tIN\t${r.type}\t${r.rdata}`;
}

/**
 * SortAndCheck: rcode, exact section counts, then per RR (sorted) owner name exactly, TTL (303 = any),
 * type, rdata; SOA by MNAME only; a CNAME never after its target. `ignoreSoaTtl` is for the suite whose
 * note says its SOA TTLs are stale and not enforced upstream. Returns the differences, [] when equal.
 */
export function sortAndCheck(
  resp: DecodedPacket & { rcode?: string },
  c: Case,
  opts: { ignoreSoaTtl?: boolean } = {},
): string[] {
  const diffs: string[] = [];
  if (resp.rcode !== c.rcode) diffs.push(`rcode: got ${resp.rcode}, want ${c.rcode}`);
  const sections: [string, Answer[], CaseRR[]][] = [
    ['answer', resp.answers ?? [], c.answer],
    ['ns', resp.authorities ?? [], c.ns],
    ['extra', (resp.additionals ?? []).filter((a) => a.type !== 'OPT'), c.extra],
  ];
  for (const [section, got, want] of sections) {
    const g = got.map(answerRR).sort((a, b) => rrString(a).localeCompare(rrString(b)));
    const w = want.map((x) => parseRR(x.text)).sort((a, b) => rrString(a).localeCompare(rrString(b)));
    if (g.length !== w.length) {
      diffs.push(
        `${section}: got ${g.length} RRs, want ${w.length}\n  got  ${g.map(rrString).join('\n       ')}`,
      );
      continue;
    }
    for (let i = 0; i < g.length; i++) {
      const a = g[i]!;
      const b = w[i]!;
      const ttlOk = b.ttl === 303 || a.ttl === b.ttl || (opts.ignoreSoaTtl === true && b.type === 'SOA');
      if (a.name !== b.name || !ttlOk || a.type !== b.type || a.rdata !== b.rdata) {
        diffs.push(`${section}[${i}]: got ${rrString(a)}, want ${rrString(b)}`);
      }
    }
  }
  // CNAMEOrder: a CNAME must come before the record it points at.
  const answers = resp.answers ?? [];
  answers.forEach((a, i) => {
    if (a.type !== 'CNAME') return;
    const target = a.data.toLowerCase();
    const before = answers.slice(0, i).findIndex((b) => b.name.toLowerCase() === target);
    if (before !== -1) diffs.push(`CNAME ${a.name} -> ${a.data} after its target`);
  });
  return diffs;
}
