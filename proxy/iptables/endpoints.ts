// EndpointSlices -> endpoints per service port, as kube-proxy's EndpointSliceCache: slices are kept
// per Service and per slice name (an endpoint may move between slices), merged per service port
// (`ns/svc:port` + protocol), an address that appears in two slices counted once with the
// non-terminating copy preferred, and sorted by the `ip:port` string.
import { type EndpointSlice, type IPFamily, labelServiceName } from '../../api/index.js';
import { joinHostPort } from '../../std/index.js';
import { parseIPSloppy } from '../ruletable/index.js';
import { servicePortEndpointChainName, servicePortNameString } from './naming.js';

export interface EndpointInfo {
  readonly ip: string;
  readonly port: number;
  /** `ip:port` (`[ip]:port` for IPv6): the DNAT target, the sort key and the SEP hash input. */
  readonly endpoint: string;
  readonly isLocal: boolean;
  /** The endpoint's `nodeName` ('' when unset): a cache shared by every node decides locality per node. */
  readonly nodeName: string;
  readonly ready: boolean;
  readonly serving: boolean;
  readonly terminating: boolean;
  readonly zoneHints: ReadonlySet<string> | null;
  readonly nodeHints: ReadonlySet<string> | null;
  /** KUBE-SEP-… for this endpoint of this service port. */
  readonly chainName: string;
}

/** Endpoints per service port key (`ServicePortInfo.key`), each list sorted by `endpoint`. */
export type EndpointsMap = Map<string, EndpointInfo[]>;

export interface EndpointsChange {
  previous: EndpointsMap;
  current: EndpointsMap;
}

interface SliceTracker {
  applied: Map<string, SliceData>;
  pending: Map<string, SliceData>;
}

interface SliceData {
  slice: EndpointSlice;
  remove: boolean;
}

/**
 * Whether two slice records are the same to kube-proxy: the same `remove` flag, address type, ports
 * and endpoints, compared as their JSON texts would compare (`JSON.stringify` of each, equal), without
 * building the texts: a 10-endpoint slice's text is ~5 KB, and a cache holds every slice.
 */
function sameSliceData(a: SliceData, b: SliceData): boolean {
  if (a.remove !== b.remove) return false;
  if (a.slice === b.slice) return true;
  return (
    a.slice.addressType === b.slice.addressType &&
    sameJSON(a.slice.ports ?? null, b.slice.ports ?? null) &&
    sameJSON(a.slice.endpoints ?? null, b.slice.endpoints ?? null)
  );
}

/** What JSON.stringify would write for a property value: undefined, functions and symbols are left out. */
const skipped = (v: unknown) => v === undefined || typeof v === 'function' || typeof v === 'symbol';

/** `JSON.stringify(a) === JSON.stringify(b)` for JSON data (as the store holds), without the texts. */
export function sameJSON(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) {
    // NaN and ±Infinity are all written as null.
    if (typeof a === 'number' && !Number.isFinite(a))
      return b === null || (typeof b === 'number' && !Number.isFinite(b));
    if (typeof b === 'number' && !Number.isFinite(b)) return a === null;
    return false;
  }
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    if (a.length !== bb.length) return false;
    for (let i = 0; i < a.length; i++) {
      // An array writes undefined and functions as null.
      const x = skipped(a[i]) ? null : a[i];
      const y = skipped(bb[i]) ? null : bb[i];
      if (!sameJSON(x, y)) return false;
    }
    return true;
  }
  const ka = Object.keys(a).filter((k) => !skipped((a as Record<string, unknown>)[k]));
  const kb = Object.keys(b).filter((k) => !skipped((b as Record<string, unknown>)[k]));
  if (ka.length !== kb.length) return false;
  for (let i = 0; i < ka.length; i++) {
    const k = ka[i]!;
    if (k !== kb[i]) return false;
    if (!sameJSON((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
  }
  return true;
}

/** Namespaced Service name and slice name; null when the slice names no Service. */
export function endpointSliceCacheKeys(slice: EndpointSlice): { service: string; slice: string } | null {
  const svc = slice.metadata.labels?.[labelServiceName];
  // A manifest without a namespace means "default", as for the Service (kubectl apply does the same).
  const ns = slice.metadata.namespace || 'default';
  const name = slice.metadata.name ?? '';
  if (!svc || ns === '' || name === '') return null;
  return { service: `${ns}/${svc}`, slice: name };
}

export class EndpointSliceCache {
  readonly #trackers = new Map<string, SliceTracker>();
  /** Services with pending slices: a sync looks at these only, not at every Service. */
  readonly #dirty = new Set<string>();
  readonly #nodeName: string;
  readonly #family: IPFamily;
  /**
   * Each Service's endpoints as of the applied slices (what the last checkout returned as current):
   * the next change's `previous`, and where SEP chain names (a sha256 each) are found again.
   */
  readonly #current = new Map<string, EndpointsMap>();

  constructor(nodeName: string, family: IPFamily) {
    this.#nodeName = nodeName;
    this.#family = family;
  }

  /** Records a slice add/update (`remove` false) or delete; false when it changes nothing. */
  updatePending(slice: EndpointSlice, remove: boolean): boolean {
    if (slice.addressType !== this.#family) return false;
    const keys = endpointSliceCacheKeys(slice);
    if (!keys) return false;
    let tracker = this.#trackers.get(keys.service);
    if (!tracker) {
      tracker = { applied: new Map(), pending: new Map() };
      this.#trackers.set(keys.service, tracker);
    }
    const data: SliceData = { slice, remove };
    const pending = tracker.pending.get(keys.slice);
    const applied = tracker.applied.get(keys.slice);
    let changed: boolean;
    if (pending) changed = !sameSliceData(pending, data);
    else if (applied) changed = !sameSliceData(applied, data);
    else changed = !remove;
    if (changed) {
      tracker.pending.set(keys.slice, data);
      this.#dirty.add(keys.service);
    }
    if (tracker.applied.size === 0 && tracker.pending.size === 0) this.#trackers.delete(keys.service);
    return changed;
  }

  hasPending(): boolean {
    return this.#dirty.size > 0;
  }

  /** Applies pending slices; returns previous/current endpoints per Service that really changed. */
  checkoutChanges(): Map<string, EndpointsChange> {
    const changes = new Map<string, EndpointsChange>();
    const dirty = [...this.#dirty].sort();
    this.#dirty.clear();
    for (const service of dirty) {
      const tracker = this.#trackers.get(service);
      if (!tracker || tracker.pending.size === 0) continue;
      const previous = this.#current.get(service) ?? new Map();
      for (const [name, data] of tracker.pending) {
        if (data.remove) tracker.applied.delete(name);
        else tracker.applied.set(name, data);
      }
      tracker.pending.clear();
      if (tracker.applied.size === 0) this.#trackers.delete(service);
      const current = this.#endpointsMap(service, tracker.applied, previous);
      if (current.size > 0) this.#current.set(service, current);
      else this.#current.delete(service);
      // Slices can change in ways kube-proxy does not read (a moved endpoint, reordering): no-op.
      if (!endpointsMapsEqual(previous, current, this.#nodeName === ''))
        changes.set(service, { previous, current });
    }
    return changes;
  }

  #endpointsMap(service: string, slices: Map<string, SliceData>, previous: EndpointsMap): EndpointsMap {
    const bySP = new Map<string, Map<string, EndpointInfo>>();
    const slash = service.indexOf('/');
    const ns = service.slice(0, slash);
    const name = service.slice(slash + 1);
    for (const { slice } of slices.values()) {
      for (const port of slice.ports ?? []) {
        // An omitted name is the unnamed port: kube-apiserver defaults it to "" (discovery/v1
        // SetDefaults_EndpointPort) before kube-proxy reads the slice, so a slice read here without
        // the apiserver must match a Service's unnamed port the same way. A nil/zero port is skipped.
        if (!port.port) continue;
        const protocol = port.protocol ?? 'TCP';
        const nameString = servicePortNameString(ns, name, port.name ?? '');
        const key = `${nameString}/${protocol}`;
        let set = bySP.get(key);
        if (!set) {
          set = new Map();
          bySP.set(key, set);
        }
        this.#addEndpoints(set, nameString, protocol.toLowerCase(), port.port, slice, previous.get(key));
      }
    }
    const out: EndpointsMap = new Map();
    for (const [key, set] of bySP) {
      if (set.size === 0) continue;
      const list = [...set.values()];
      list.sort((a, b) => (a.endpoint < b.endpoint ? -1 : a.endpoint > b.endpoint ? 1 : 0));
      out.set(key, list);
    }
    return out;
  }

  #addEndpoints(
    set: Map<string, EndpointInfo>,
    nameString: string,
    proto: string,
    portNum: number,
    slice: EndpointSlice,
    before: readonly EndpointInfo[] | undefined,
  ): void {
    for (const ep of slice.endpoints ?? []) {
      if (!ep.addresses || ep.addresses.length === 0) continue;
      const parsed = parseIPSloppy(ep.addresses[0]!);
      if (!parsed) continue;
      const isLocal = ep.nodeName !== undefined && this.#nodeName !== '' && ep.nodeName === this.#nodeName;
      const c = ep.conditions ?? {};
      const ready = c.ready === undefined || c.ready === null || c.ready;
      const serving = c.serving === undefined || c.serving === null || c.serving;
      const terminating = c.terminating === true;
      const zoneHints = ep.hints?.forZones?.length ? new Set(ep.hints.forZones.map((z) => z.name)) : null;
      const nodeHints = ep.hints?.forNodes?.length ? new Set(ep.hints.forNodes.map((n) => n.name)) : null;
      const endpoint = joinHostPort(parsed.text, portNum);
      // The chain name depends on the service port and the endpoint only: the last list has it.
      const chainName =
        (before && findEndpoint(before, endpoint)?.chainName) ??
        servicePortEndpointChainName(nameString, proto, endpoint);
      const info: EndpointInfo = {
        ip: parsed.text,
        port: portNum,
        endpoint,
        isLocal,
        nodeName: ep.nodeName ?? '',
        ready,
        serving,
        terminating,
        zoneHints,
        nodeHints,
        chainName,
      };
      // The same address in two slices (moving between slices, or a reused pod IP): keep one,
      // preferring the copy that is not terminating.
      if (!set.has(endpoint) || !terminating) set.set(endpoint, info);
    }
  }
}

/** The endpoint `endpoint` (`ip:port`) of a list sorted by it, by binary search. */
function findEndpoint(list: readonly EndpointInfo[], endpoint: string): EndpointInfo | undefined {
  let lo = 0;
  let hi = list.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const e = list[mid]!.endpoint;
    if (e === endpoint) return list[mid];
    if (e < endpoint) lo = mid + 1;
    else hi = mid - 1;
  }
  return undefined;
}

function sameHints(a: ReadonlySet<string> | null, b: ReadonlySet<string> | null): boolean {
  if (a === b) return true;
  if (!a || !b || a.size !== b.size) return false;
  for (const h of a) if (!b.has(h)) return false;
  return true;
}

/**
 * Whether kube-proxy sees the two endpoints as the same: address, locality (isLocal; with `byNode`,
 * for a cache of no node in particular, the nodeName, so a move is seen), conditions and hints.
 */
function sameEndpoint(a: EndpointInfo, b: EndpointInfo, byNode: boolean): boolean {
  return (
    a.endpoint === b.endpoint &&
    a.isLocal === b.isLocal &&
    (!byNode || a.nodeName === b.nodeName) &&
    a.ready === b.ready &&
    a.serving === b.serving &&
    a.terminating === b.terminating &&
    sameHints(a.zoneHints, b.zoneHints) &&
    sameHints(a.nodeHints, b.nodeHints)
  );
}

/** Whether two endpoint lists are the same to kube-proxy; `byNode`: a move to another node counts. */
export function endpointListsEqual(
  a: readonly EndpointInfo[] | undefined,
  b: readonly EndpointInfo[] | undefined,
  byNode = false,
) {
  if (a === b) return true;
  if (!a || !b || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!sameEndpoint(a[i]!, b[i]!, byNode)) return false;
  return true;
}

function endpointsMapsEqual(a: EndpointsMap, b: EndpointsMap, byNode: boolean): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (!endpointListsEqual(v, b.get(k), byNode)) return false;
  return true;
}
