// The zone's index: Services and their ready endpoints reduced to what DNS needs, keyed the way the
// lookups ask (CoreDNS's SvcIndex, EpIndex, SvcIndexReverse, EpIndexReverse, PodIndex). Built in one
// pass from a source snapshot; rebuilt whole after a change (cheap at emulator sizes, and it keeps
// one obvious path for data).
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
