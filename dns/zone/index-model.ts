// The zone's index: Services and their ready endpoints reduced to what DNS needs, keyed the way the
// lookups ask (CoreDNS's SvcIndex, EpIndex, SvcIndexReverse, EpIndexReverse, PodIndex). Built in one
// pass from a source snapshot (buildIndex), or kept up to date object by object (LiveIndex: the
// same maps, lists in the same order), so a question after a change costs the change, not the
// cluster (at 10k Services and 100k pods a rebuild is most of a second).
import { type EndpointSlice, labelServiceName, type Pod, type Service } from '../../api/index.js';
import { ipKey } from './names.js';
import type { ZoneObjects } from './source.js';

export interface PortRecord {
  name: string;
  protocol: string;
  /** -1 is CoreDNS's sentinel for a portless EndpointSlice: it answers A/AAAA but never SRV. */
  port: number;
}

export interface ServiceRecord {
  name: string;
  namespace: string;
  type: string;
  headless: boolean;
  clusterIPs: string[];
  ports: PortRecord[];
  externalName: string;
  externalIPs: string[];
}

export interface AddressRecord {
  ip: string;
  hostname: string | undefined;
  targetRefName: string | undefined;
}

/** One EndpointSlice, ready endpoints only: CoreDNS's object.Endpoints with a single subset. */
export interface EndpointsRecord {
  /** `<service>.<namespace>` as stored (the service-name label). */
  serviceName: string;
  namespace: string;
  addresses: AddressRecord[];
  ports: PortRecord[];
}

export interface ZoneIndex {
  /** Key: lower-case `<service>.<namespace>`. */
  services: Map<string, ServiceRecord[]>;
  endpoints: Map<string, EndpointsRecord[]>;
  /** Key: ipKey of a ClusterIP. */
  servicesByIP: Map<string, ServiceRecord[]>;
  /** Key: ipKey of an endpoint address. */
  endpointsByIP: Map<string, EndpointsRecord[]>;
  /** Key: ipKey of status.podIP -> namespaces of the pods with it. */
  podsByIP: Map<string, string[]>;
}

export function serviceNameKey(name: string, namespace: string): string {
  return `${name}.${namespace}`.toLowerCase();
}

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const list = m.get(k);
  if (list) list.push(v);
  else m.set(k, [v]);
}

function serviceRecord(svc: Service): ServiceRecord {
  const spec = svc.spec ?? {};
  const ips = spec.clusterIPs?.length ? spec.clusterIPs : spec.clusterIP ? [spec.clusterIP] : [];
  const headless = ips[0] === 'None';
  return {
    name: svc.metadata.name ?? '',
    namespace: svc.metadata.namespace ?? 'default',
    type: spec.type ?? 'ClusterIP',
    headless,
    clusterIPs: headless ? [] : ips.filter((ip) => ipKey(ip) !== ''),
    ports: (spec.ports ?? []).map((p) => ({
      name: p.name ?? '',
      protocol: p.protocol ?? 'TCP',
      port: p.port,
    })),
    externalName: spec.externalName ?? '',
    externalIPs: spec.externalIPs ?? [],
  };
}

// CoreDNS object/endpoint.go endpointSliceToEndpoints: not-ready endpoints are dropped (nil = ready),
// a slice without ports gets the sentinel port -1.
function endpointsRecord(slice: EndpointSlice): EndpointsRecord | null {
  const serviceName = slice.metadata.labels?.[labelServiceName];
  if (!serviceName || slice.addressType === 'FQDN') return null;
  const ports: PortRecord[] = slice.ports?.length
    ? slice.ports.map((p) => ({ name: p.name ?? '', protocol: p.protocol ?? 'TCP', port: p.port ?? -1 }))
    : [{ name: '', protocol: '', port: -1 }];
  const addresses: AddressRecord[] = [];
  for (const ep of slice.endpoints ?? []) {
    if (ep.conditions?.ready === false) continue;
    for (const ip of ep.addresses ?? []) {
      addresses.push({ ip, hostname: ep.hostname, targetRefName: ep.targetRef?.name });
    }
  }
  return { serviceName, namespace: slice.metadata.namespace ?? 'default', addresses, ports };
}

function podIPs(pod: Pod): string[] {
  // CoreDNS indexes pods by status.podIP only.
  const ip = pod.status?.podIP;
  return ip ? [ip] : [];
}

export function buildIndex(objects: ZoneObjects): ZoneIndex {
  const idx: ZoneIndex = {
    services: new Map(),
    endpoints: new Map(),
    servicesByIP: new Map(),
    endpointsByIP: new Map(),
    podsByIP: new Map(),
  };
  for (const svc of objects.services) {
    const rec = serviceRecord(svc);
    push(idx.services, serviceNameKey(rec.name, rec.namespace), rec);
    for (const ip of rec.clusterIPs) push(idx.servicesByIP, ipKey(ip), rec);
  }
  for (const slice of objects.endpointSlices) {
    const rec = endpointsRecord(slice);
    if (!rec) continue;
    push(idx.endpoints, serviceNameKey(rec.serviceName, rec.namespace), rec);
    const seen = new Set<string>();
    for (const a of rec.addresses) {
      const k = ipKey(a.ip);
      if (k === '' || seen.has(k)) continue;
      seen.add(k);
      push(idx.endpointsByIP, k, rec);
    }
  }
  for (const pod of objects.pods) {
    for (const ip of podIPs(pod)) push(idx.podsByIP, ipKey(ip), pod.metadata.namespace ?? 'default');
  }
  return idx;
}

/** Where one object's records sit in a LiveIndex: which list of which map. */
type Place = readonly [map: Map<string, unknown[]>, key: string];

/**
 * A ZoneIndex kept up to date object by object: `put` adds or replaces an object, `remove` takes it
 * out. Each list holds its records in the order of `seq` (the object's position in its source, as
 * the source's snapshot lists it), so the index is at every moment what buildIndex would build from
 * the source's snapshot: the same maps, keys and lists in the same order.
 */
export class LiveIndex {
  readonly index: ZoneIndex = {
    services: new Map(),
    endpoints: new Map(),
    servicesByIP: new Map(),
    endpointsByIP: new Map(),
    podsByIP: new Map(),
  };
  /** Per list, the seq of each of its items (parallel arrays, ascending). */
  readonly #seqs = new Map<unknown[], number[]>();
  /** Per object (`kind` NUL `key`): its seq and the lists it was put in. */
  readonly #placed = new Map<string, { seq: number; places: Place[] }>();

  put(kind: string, key: string, obj: AnyObjectLike, seq: number): void {
    this.remove(kind, key);
    const places: Place[] = [];
    const add = <V>(m: Map<string, V[]>, k: string, v: V) => {
      places.push([m as Map<string, unknown[]>, k]);
      let list = m.get(k);
      let seqs: number[];
      if (!list) {
        list = [];
        m.set(k, list);
        seqs = [];
        this.#seqs.set(list, seqs);
      } else seqs = this.#seqs.get(list)!;
      // After every item of a lower or equal seq: an object's own pushes keep their order.
      let lo = 0;
      let hi = seqs.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (seqs[mid]! <= seq) lo = mid + 1;
        else hi = mid;
      }
      list.splice(lo, 0, v);
      seqs.splice(lo, 0, seq);
    };
    const idx = this.index;
    if (kind === 'Service') {
      const rec = serviceRecord(obj as Service);
      add(idx.services, serviceNameKey(rec.name, rec.namespace), rec);
      for (const ip of rec.clusterIPs) add(idx.servicesByIP, ipKey(ip), rec);
    } else if (kind === 'EndpointSlice') {
      const rec = endpointsRecord(obj as EndpointSlice);
      if (rec) {
        add(idx.endpoints, serviceNameKey(rec.serviceName, rec.namespace), rec);
        const seen = new Set<string>();
        for (const a of rec.addresses) {
          const k = ipKey(a.ip);
          if (k === '' || seen.has(k)) continue;
          seen.add(k);
          add(idx.endpointsByIP, k, rec);
        }
      }
    } else if (kind === 'Pod') {
      const pod = obj as Pod;
      for (const ip of podIPs(pod)) add(idx.podsByIP, ipKey(ip), pod.metadata.namespace ?? 'default');
    }
    if (places.length > 0) this.#placed.set(`${kind}\u0000${key}`, { seq, places });
  }

  remove(kind: string, key: string): void {
    const id = `${kind}\u0000${key}`;
    const placed = this.#placed.get(id);
    if (!placed) return;
    this.#placed.delete(id);
    const { seq } = placed;
    for (const [m, k] of placed.places) {
      const list = m.get(k);
      if (!list) continue;
      const seqs = this.#seqs.get(list)!;
      // Every item of this seq (an object may sit twice in one list, as buildIndex would push it).
      let lo = 0;
      let hi = seqs.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (seqs[mid]! < seq) lo = mid + 1;
        else hi = mid;
      }
      let n = 0;
      while (lo + n < seqs.length && seqs[lo + n] === seq) n++;
      list.splice(lo, n);
      seqs.splice(lo, n);
      if (list.length === 0) {
        m.delete(k);
        this.#seqs.delete(list);
      }
    }
  }
}

/** The objects a LiveIndex reads (Services, EndpointSlices, Pods; other kinds add nothing). */
type AnyObjectLike = Service | EndpointSlice | Pod | { kind: string; metadata: object };
