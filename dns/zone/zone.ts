// The cluster zone: answers one question from the index, the way CoreDNS's kubernetes plugin does
// (handler.go ServeDNS -> plugin/backend_lookup.go A/AAAA/SRV/TXT/CNAME/PTR/NS/SOA -> kubernetes.go
// Services/Records/findServices/findPods -> reverse.go). The result is data (ZoneAnswer); the server
// turns it into wire format, asks the upstream where the answer says so, and caches it.

import type { Answer } from 'dns-packet';
import { parseGoIPNetip } from '../../std/index.js';
import { primaryZone, type ZoneConfig } from './config.js';
import {
  buildIndex,
  type EndpointsRecord,
  type ServiceRecord,
  serviceNameKey,
  type ZoneIndex,
} from './index-model.js';
import { addressFromReverse, endpointHostname, ipKey, isSubdomain, reverseKind } from './names.js';
import type { ZoneSource } from './source.js';

/** DNS type and rcode numbers the zone uses (RFC 1035, 3596, 2782, 1995, 5936). */
export const QTYPE = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  PTR: 12,
  MX: 15,
  TXT: 16,
  AAAA: 28,
  SRV: 33,
  IXFR: 251,
  AXFR: 252,
} as const;

export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;

/** The schema version of the Kubernetes DNS-Based Service Discovery spec served at dns-version.<zone>. */
export const DNS_SCHEMA_VERSION = '1.1.0';
const DNS_VERSION_TTL = 28800;
const MAX_CNAME_CHAIN = 10;

export interface ZoneAnswer {
  rcode: number;
  aa: boolean;
  tc: boolean;
  answers: Answer[];
  authorities: Answer[];
  additionals: Answer[];
  /**
   * Ask the upstream instead: the name is outside every zone (this answer is then REFUSED), or it is
   * NXDOMAIN in a `fallthrough` zone. Without an upstream this answer stands.
   */
  forward?: true;
  /**
   * An ExternalName outside the zone: append the upstream's answers for (name, qtype) after
   * `answers` (its TC bit carries over); if the upstream fails, answer `orElse`.
   */
  chase?: { name: string; qtype: number; orElse: ZoneAnswer };
}

/** One service entry (CoreDNS msg.Service): an address or a CNAME target, a port, its SRV target. */
interface Entry {
  kind: 'A' | 'AAAA' | 'CNAME';
  host: string;
  port: number;
  /** The name this entry lives at: SRV target, NS name. */
  domain: string;
  text?: string;
}

// CoreDNS's errNoItems / errNsNotExposed / errInvalidRequest: "the name does not exist".
const NAME_ERROR = Symbol('name error');
type Found = Entry[] | typeof NAME_ERROR;

interface Query {
  /** The name as received (case kept), no trailing dot. */
  qname: string;
  /** Lower case. */
  name: string;
  qtype: number;
  /** The matched zone, lower case, and as the query spelled it. */
  zone: string;
  zoneQ: string;
}

interface Records {
  records: Answer[];
  extra: Answer[];
  tc: boolean;
  chase?: { name: string; qtype: number };
}

function entryKind(ip: string): 'A' | 'AAAA' {
  return ip.includes(':') ? 'AAAA' : 'A';
}

function eq(a: string, b: string): boolean {
  return a === b || a.toLowerCase() === b.toLowerCase();
}

function matchPortAndProtocol(aPort: string, bPort: string, aProto: string, bProto: string): boolean {
  return (aPort === '' || eq(aPort, bPort)) && (aProto === '' || eq(aProto, bProto));
}

function stripUnderscore(s: string): string {
  return s.startsWith('_') ? s.slice(1) : s;
}

interface RecordRequest {
  port: string;
  protocol: string;
  endpoint: string;
  service: string;
  namespace: string;
  podOrSvc: string;
}

/** parse.go parseRequest: the labels left of the zone, right to left. */
function parseRequest(name: string, zone: string): RecordRequest | typeof NAME_ERROR {
  const r: RecordRequest = { port: '', protocol: '', endpoint: '', service: '', namespace: '', podOrSvc: '' };
  const base = name === zone ? '' : name.slice(0, name.length - zone.length - 1);
  if (base === '' || base === 'svc' || base === 'pod') return r;
  const segs = base.split('.');
  let last = segs.length - 1;
  r.podOrSvc = segs[last]!;
  if (r.podOrSvc !== 'pod' && r.podOrSvc !== 'svc') return NAME_ERROR;
  if (--last < 0) return r;
  r.namespace = segs[last]!;
  if (--last < 0) return r;
  r.service = segs[last]!;
  if (--last < 0) return r;
  if (last === 0) r.endpoint = segs[0]!;
  else if (last === 1) {
    r.protocol = stripUnderscore(segs[1]!);
    r.port = stripUnderscore(segs[0]!);
  } else return NAME_ERROR;
  return r;
}

export class Zone {
  readonly config: ZoneConfig;
  readonly #source: ZoneSource;
  readonly #primary: string;
  readonly #unsubscribe: () => void;
  #index: ZoneIndex | null = null;
  #version = 0;
  readonly #listeners = new Set<() => void>();

  constructor(source: ZoneSource, config: ZoneConfig) {
    this.#source = source;
    this.config = config;
    this.#primary = primaryZone(config);
    this.#unsubscribe = source.onChange(() => {
      this.#index = null;
      this.#version++;
      for (const l of this.#listeners) l();
    });
  }

  /** Bumped on every change of the source: answers computed before are stale. */
  get version(): number {
    return this.#version;
  }

  /** Called after every change of the source (the server drops its cache). */
  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  close(): void {
    this.#unsubscribe();
    this.#listeners.clear();
  }

  /** The zone that `name` (any case, no trailing dot) falls in, lower case, or '' if none. */
  matchZone(name: string): string {
    const lower = name.toLowerCase();
    let best = '';
    for (const z of this.config.zones) if (z.length > best.length && isSubdomain(lower, z)) best = z;
    return best;
  }

  /** Answers one question. `qname` as received (case kept), with or without the trailing dot. */
  lookup(qnameIn: string, qtype: number): ZoneAnswer {
    const qname = qnameIn.endsWith('.') ? qnameIn.slice(0, -1) : qnameIn;
    const name = qname.toLowerCase();
    const zone = this.matchZone(name);
    if (zone === '') return { ...empty(RCODE.REFUSED, false), forward: true };
    if (qtype === QTYPE.AXFR || qtype === QTYPE.IXFR) return empty(RCODE.REFUSED, false);
    const q: Query = { qname, name, qtype, zone, zoneQ: qname.slice(qname.length - zone.length) };

    let found: Records | typeof NAME_ERROR;
    switch (qtype) {
      case QTYPE.A:
      case QTYPE.AAAA:
        found = this.#address(q, []);
        break;
      case QTYPE.TXT:
        found = this.#txt(q);
        break;
      case QTYPE.CNAME:
        found = this.#cname(q);
        break;
      case QTYPE.PTR:
        found = this.#ptr(q);
        break;
      case QTYPE.SRV:
        found = this.#srv(q);
        break;
      case QTYPE.SOA:
        found = { records: name === zone ? [this.#soa(q)] : [], extra: [], tc: false };
        break;
      case QTYPE.NS:
        if (name === zone) {
          found = this.#ns(q);
          break;
        }
        found = this.#fakeA(q);
        break;
      default:
        // MX and every other type: the name exists or not as for A (CoreDNS's "fake A lookup").
        found = this.#fakeA(q);
    }

    if (found === NAME_ERROR) {
      const nx = this.#negative(q, RCODE.NXDOMAIN);
      if (this.config.fallthrough.some((z) => isSubdomain(name, z))) return { ...nx, forward: true };
      if (!this.#source.hasSynced()) return this.#negative(q, RCODE.SERVFAIL);
      return nx;
    }
    if (found.records.length === 0) return this.#negative(q, RCODE.NOERROR);
    const answer: ZoneAnswer = {
      rcode: RCODE.NOERROR,
      aa: true,
      tc: found.tc,
      answers: found.records,
      authorities: [],
      additionals: found.extra,
    };
    if (found.chase) answer.chase = { ...found.chase, orElse: this.#negative(q, RCODE.NOERROR) };
    return answer;
  }

  get #idx(): ZoneIndex {
    // A source that keeps the index up to date hands it over; else it is built after each change.
    this.#index ??= this.#source.index?.() ?? buildIndex(this.#source.snapshot());
    return this.#index;
  }

  #negative(q: Query, rcode: number): ZoneAnswer {
    return { rcode, aa: true, tc: false, answers: [], authorities: [this.#soa(q)], additionals: [] };
  }

  /** `<zone> min(ttl,300) IN SOA ns.dns.<zone>. hostmaster.<zone>. <serial> 7200 1800 86400 <ttl>`. */
  #soa(q: Query): Answer {
    const ttl = this.config.ttl;
    return {
      name: q.zoneQ,
      type: 'SOA',
      class: 'IN',
      ttl: Math.min(ttl, 300),
      data: {
        mname: `ns.dns.${q.zoneQ}`,
        rname: `hostmaster.${q.zoneQ}`,
        serial: this.#source.modified() >>> 0,
        refresh: 7200,
        retry: 1800,
        expire: 86400,
        minimum: ttl,
      },
    };
  }

  #namespaceExposed(ns: string): boolean {
    const only = this.config.namespaces;
    if (only.length > 0 && !only.includes(ns)) return false;
    return this.#source.namespaceExists(ns);
  }

  // kubernetes.go Services: dns-version TXT, the NS addresses, ns.dns.<zone>, then Records.
  #services(q: Query, qtype: number): Found {
    if (qtype === QTYPE.NS) return this.#nsAddrs(q.zoneQ);
    if (q.name === `ns.dns.${q.zone}`) {
      const want = qtype === QTYPE.A ? 'A' : qtype === QTYPE.AAAA ? 'AAAA' : '';
      return this.#nsAddrs(q.zoneQ)
        .filter((e) => e.kind === want)
        .map((e) => ({ ...e, domain: q.qname }));
    }
    const found = this.#records(q);
    if (qtype !== QTYPE.SRV || found === NAME_ERROR) return found;
    return found.filter((e) => e.kind !== 'CNAME');
  }

  // kubernetes.go Records.
  #records(q: Query): Found {
    const r = parseRequest(q.name, q.zone);
    if (r === NAME_ERROR) return NAME_ERROR;
    if (r.podOrSvc === '') return [];
    if (reverseKind(q.name) !== 0) return NAME_ERROR;
    if (!this.#namespaceExposed(r.namespace)) return NAME_ERROR;
    return r.podOrSvc === 'pod' ? this.#findPods(r, q) : this.#findServices(r, q);
  }

  // kubernetes.go findPods.
  #findPods(r: RecordRequest, q: Query): Found {
    const mode = this.config.pods;
    if (mode === 'disabled') return NAME_ERROR;
    const podname = r.service;
    if (podname === '') return [];
    const dashes = podname.split('-').length - 1;
    const ip =
      dashes === 3 && !podname.includes('--') ? podname.replaceAll('-', '.') : podname.replaceAll('-', ':');
    const domain = `${podname}.${r.namespace}.pod.${q.zoneQ}`;
    if (mode === 'insecure') {
      if (parseGoIPNetip(ip) === null) return NAME_ERROR;
      return [{ kind: entryKind(ip), host: ip, port: 0, domain }];
    }
    const key = ipKey(ip);
    const out: Entry[] = [];
    if (key !== '') {
      for (const ns of this.#idx.podsByIP.get(key) ?? []) {
        if (eq(ns, r.namespace)) out.push({ kind: entryKind(ip), host: ip, port: 0, domain });
      }
    }
    return out.length > 0 ? out : NAME_ERROR;
  }

  // kubernetes.go findServices.
  #findServices(r: RecordRequest, q: Query): Found {
    if (r.service === '') return [];
    const key = serviceNameKey(r.service, r.namespace);
    const idx = this.#idx;
    const services = idx.services.get(key) ?? [];
    const endpoints = idx.endpoints.get(key) ?? [];
    const out: Entry[] = [];
    let exists = false;
    for (const svc of services) {
      if (this.config.ignoreEmptyService && svc.type !== 'ExternalName' && !svc.headless) {
        if (!endpoints.some((e) => e.addresses.length > 0)) continue;
      }
      const svcDomain = `${svc.name}.${svc.namespace}.svc.${q.zoneQ}`;
      if (svc.type === 'ExternalName') {
        if (r.endpoint !== '' || r.port !== '' || r.protocol !== '') continue;
        // An IP-valued externalName is not a CNAME target: nothing to answer.
        if (svc.externalName === '' || parseGoIPNetip(svc.externalName) !== null) continue;
        out.push({ kind: 'CNAME', host: svc.externalName, port: 0, domain: svcDomain });
        exists = true;
        continue;
      }
      if (svc.headless || r.endpoint !== '') {
        for (const eps of endpoints) {
          for (const addr of eps.addresses) {
            const host = endpointHostname(addr, this.config.endpointPodNames);
            if (r.endpoint !== '' && !eq(r.endpoint, host)) continue;
            for (const p of eps.ports) {
              if (!matchPortAndProtocol(r.port, p.name, r.protocol, p.protocol)) continue;
              out.push({
                kind: entryKind(addr.ip),
                host: addr.ip,
                port: p.port,
                domain: `${host}.${svcDomain}`,
              });
              exists = true;
            }
          }
        }
        continue;
      }
      for (const p of svc.ports) {
        if (!matchPortAndProtocol(r.port, p.name, r.protocol, p.protocol)) continue;
        exists = true;
        for (const ip of svc.clusterIPs)
          out.push({ kind: entryKind(ip), host: ip, port: p.port, domain: svcDomain });
      }
    }
    return exists ? out : NAME_ERROR;
  }

  // ns.go nsAddrs: the server's own names. If one of its addresses is an endpoint of a Service (the
  // DNS pod behind kube-dns), the names are that Service's; otherwise ns.dns.<zone>.
  #nsAddrs(zoneQ: string): Entry[] {
    const out: Entry[] = [];
    let foundEndpoint = false;
    const idx = this.#idx;
    for (const local of this.config.localIPs) {
      for (const eps of idx.endpointsByIP.get(ipKey(local)) ?? []) {
        foundEndpoint = true;
        for (const svc of idx.services.get(serviceNameKey(eps.serviceName, eps.namespace)) ?? []) {
          const svcName = `${svc.name}.${svc.namespace}.svc.${zoneQ}`;
          if (svc.headless) {
            for (const a of eps.addresses) {
              const domain = `${endpointHostname(a, this.config.endpointPodNames)}.${svcName}`;
              out.push({ kind: entryKind(a.ip), host: a.ip, port: 0, domain });
            }
          } else {
            for (const ip of svc.clusterIPs)
              out.push({ kind: entryKind(ip), host: ip, port: 0, domain: svcName });
          }
        }
      }
    }
    if (!foundEndpoint) {
      for (const ip of this.config.localIPs) {
        out.push({ kind: entryKind(ip), host: ip, port: 0, domain: `ns.dns.${zoneQ}` });
      }
    }
    return out;
  }

  // backend_lookup.go A / AAAA: addresses of the family asked, CNAMEs chased inside the zone.
  #address(q: Query, previous: Answer[]): Records | typeof NAME_ERROR {
    const services = this.#services(q, q.qtype);
    if (services === NAME_ERROR) return NAME_ERROR;
    const want = q.qtype === QTYPE.AAAA ? 'AAAA' : 'A';
    const out: Records = { records: [], extra: [], tc: false };
    const dup = new Set<string>();
    for (const s of services) {
      if (s.kind === 'CNAME') {
        const target = s.host.endsWith('.') ? s.host.slice(0, -1) : s.host;
        const targetLower = target.toLowerCase();
        if (isSubdomain(targetLower, q.name)) continue;
        const cname: Answer = {
          name: q.qname,
          type: 'CNAME',
          class: 'IN',
          ttl: this.config.ttl,
          data: target,
        };
        if (previous.length > MAX_CNAME_CHAIN) continue;
        if (
          previous.some(
            (p) =>
              p.type === 'CNAME' && p.name.toLowerCase() === q.name && p.data.toLowerCase() === targetLower,
          )
        ) {
          continue;
        }
        if (isSubdomain(targetLower, q.zone)) {
          const next = this.#address({ ...q, qname: target, name: targetLower, zoneQ: q.zoneQ }, [
            ...previous,
            cname,
          ]);
          if (next !== NAME_ERROR && next.records.length > 0) {
            out.records.push(cname, ...next.records);
            if (next.chase) out.chase = next.chase;
          }
          if (next !== NAME_ERROR && next.tc) out.tc = true;
          continue;
        }
        out.records.push(cname);
        out.chase = { name: target, qtype: q.qtype };
        continue;
      }
      if (s.kind === want && !dup.has(s.host)) {
        dup.add(s.host);
        out.records.push({ name: q.qname, type: want, class: 'IN', ttl: this.config.ttl, data: s.host });
      }
    }
    return out;
  }

  // Any type CoreDNS has no records for: exists -> NODATA, else NXDOMAIN.
  #fakeA(q: Query): Records | typeof NAME_ERROR {
    const found = this.#address({ ...q, qtype: QTYPE.A }, []);
    if (found === NAME_ERROR) return NAME_ERROR;
    return { records: [], extra: [], tc: false };
  }

  // kubernetes.go Services TXT branch. One deliberate difference: a name that exists without records
  // (the apex, svc.<zone>, <ns>.svc.<zone>) is NODATA, as for every other type (RFC 8020: a name
  // that exists has no NXDOMAIN), where CoreDNS answers NXDOMAIN for TXT only.
  #txt(q: Query): Records | typeof NAME_ERROR {
    if (q.name === `dns-version.${q.zone}`) {
      const txt: Answer = {
        name: q.qname,
        type: 'TXT',
        class: 'IN',
        ttl: DNS_VERSION_TTL,
        data: DNS_SCHEMA_VERSION,
      };
      return { records: [txt], extra: [], tc: false };
    }
    const found = this.#records(q);
    if (found === NAME_ERROR) return NAME_ERROR;
    return { records: [], extra: [], tc: false };
  }

  // backend_lookup.go CNAME: only the first service, only if it is a name.
  #cname(q: Query): Records | typeof NAME_ERROR {
    const services = this.#services(q, QTYPE.CNAME);
    if (services === NAME_ERROR) return NAME_ERROR;
    const first = services[0];
    const records: Answer[] = [];
    if (first && first.kind === 'CNAME') {
      records.push({ name: q.qname, type: 'CNAME', class: 'IN', ttl: this.config.ttl, data: first.host });
    }
    return { records, extra: [], tc: false };
  }

  // backend_lookup.go SRV: priority 0, weight floor(100/n) over all entries, one SRV per (target,
  // port), one additional address per (target, address).
  #srv(q: Query): Records | typeof NAME_ERROR {
    const services = this.#services(q, QTYPE.SRV);
    if (services === NAME_ERROR) return NAME_ERROR;
    const out: Records = { records: [], extra: [], tc: false };
    const total = services.length * 100;
    const dup = new Set<string>();
    for (const s of services) {
      if (s.port === -1 || s.kind === 'CNAME') continue;
      // The same float arithmetic as Go's math.Floor(100.0 / w * 100).
      const weight = Math.floor((100 / total) * 100) || 1;
      const portKey = `${s.domain}\u0000${s.port}`;
      if (!dup.has(portKey)) {
        dup.add(portKey);
        out.records.push({
          name: q.qname,
          type: 'SRV',
          class: 'IN',
          ttl: this.config.ttl,
          data: { priority: 0, weight, port: s.port, target: s.domain },
        });
      }
      const addrKey = `${s.domain}\u0000\u0000${s.host}`;
      if (!dup.has(addrKey)) {
        dup.add(addrKey);
        out.extra.push({ name: s.domain, type: s.kind, class: 'IN', ttl: this.config.ttl, data: s.host });
      }
    }
    return out;
  }

  // backend_lookup.go NS at the apex: one NS per name, its addresses in additional.
  #ns(q: Query): Records {
    const out: Records = { records: [], extra: [], tc: false };
    const seen = new Set<string>();
    for (const e of this.#nsAddrs(q.zoneQ)) {
      if (e.kind === 'CNAME') continue;
      out.extra.push({ name: e.domain, type: e.kind, class: 'IN', ttl: this.config.ttl, data: e.host });
      if (seen.has(e.domain)) continue;
      seen.add(e.domain);
      out.records.push({ name: q.qname, type: 'NS', class: 'IN', ttl: this.config.ttl, data: e.domain });
    }
    return out;
  }

  // reverse.go Reverse + backend_lookup.go PTR.
  #ptr(q: Query): Records | typeof NAME_ERROR {
    const ip = addressFromReverse(q.name);
    if (ip === '') {
      const found = this.#records(q);
      if (found === NAME_ERROR) return NAME_ERROR;
      return { records: [], extra: [], tc: false };
    }
    const targets = this.#serviceRecordForIP(ip);
    if (targets.length === 0) return NAME_ERROR;
    const records: Answer[] = [];
    const dup = new Set<string>();
    for (const t of targets) {
      if (dup.has(t)) continue;
      dup.add(t);
      records.push({ name: q.qname, type: 'PTR', class: 'IN', ttl: this.config.ttl, data: t });
    }
    return { records, extra: [], tc: false };
  }

  // reverse.go serviceRecordForIP: the first Service with that ClusterIP, else every endpoint with
  // that address (one name per Service it belongs to).
  #serviceRecordForIP(ip: string): string[] {
    const idx = this.#idx;
    const restricted = this.config.namespaces.length > 0;
    const svc = (idx.servicesByIP.get(ip) ?? []).find(
      (s: ServiceRecord) => !restricted || this.#namespaceExposed(s.namespace),
    );
    if (svc) return [`${svc.name}.${svc.namespace}.svc.${this.#primary}`];
    const out: string[] = [];
    for (const eps of idx.endpointsByIP.get(ip) ?? ([] as EndpointsRecord[])) {
      if (restricted && !this.#namespaceExposed(eps.namespace)) continue;
      for (const a of eps.addresses) {
        if (ipKey(a.ip) !== ip) continue;
        const host = endpointHostname(a, this.config.endpointPodNames);
        out.push(`${host}.${eps.serviceName}.${eps.namespace}.svc.${this.#primary}`);
      }
    }
    return out;
  }
}

function empty(rcode: number, aa: boolean): ZoneAnswer {
  return { rcode, aa, tc: false, answers: [], authorities: [], additionals: [] };
}
