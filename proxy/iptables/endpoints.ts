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
  readonly signature: string;
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
  /** What kube-proxy reads of the slice; equal signatures are the same slice to it. */
  signature: string;
}

function sliceSignature(slice: EndpointSlice, remove: boolean): string {
  return JSON.stringify([remove, slice.addressType, slice.ports ?? null, slice.endpoints ?? null]);
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
  /** SEP chain names are a sha256 each: keep them across syncs (kube-proxy builds them once too). */
  readonly #chainNames = new Map<string, string>();

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
    const data: SliceData = { slice, remove, signature: sliceSignature(slice, remove) };
    const pending = tracker.pending.get(keys.slice);
    const applied = tracker.applied.get(keys.slice);
    let changed: boolean;
    if (pending) changed = pending.signature !== data.signature;
    else if (applied) changed = applied.signature !== data.signature;
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
      const previous = this.#endpointsMap(service, tracker.applied);
      for (const [name, data] of tracker.pending) {
        if (data.remove) tracker.applied.delete(name);
        else tracker.applied.set(name, data);
      }
      tracker.pending.clear();
      if (tracker.applied.size === 0) this.#trackers.delete(service);
      const current = this.#endpointsMap(service, tracker.applied);
      // Slices can change in ways kube-proxy does not read (a moved endpoint, reordering): no-op.
      if (!endpointsMapsEqual(previous, current)) changes.set(service, { previous, current });
    }
    return changes;
  }

  #endpointsMap(service: string, slices: Map<string, SliceData>): EndpointsMap {
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
        this.#addEndpoints(set, nameString, protocol.toLowerCase(), port.port, slice);
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
      const chainKey = `${nameString}\u0000${proto}\u0000${endpoint}`;
      let chainName = this.#chainNames.get(chainKey);
      if (chainName === undefined) {
        chainName = servicePortEndpointChainName(nameString, proto, endpoint);
        this.#chainNames.set(chainKey, chainName);
      }
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
        signature: [
          endpoint,
          // kube-proxy compares isLocal only; a cache for no node in particular must see a move.
          this.#nodeName === '' ? (ep.nodeName ?? '') : isLocal ? 1 : 0,
          ready ? 1 : 0,
          serving ? 1 : 0,
          terminating ? 1 : 0,
          zoneHints ? [...zoneHints].sort().join(',') : '',
          nodeHints ? [...nodeHints].sort().join(',') : '',
        ].join('|'),
      };
      // The same address in two slices (moving between slices, or a reused pod IP): keep one,
      // preferring the copy that is not terminating.
      if (!set.has(endpoint) || !terminating) set.set(endpoint, info);
    }
  }
}

export function endpointListsEqual(
  a: readonly EndpointInfo[] | undefined,
  b: readonly EndpointInfo[] | undefined,
) {
  if (a === b) return true;
  if (!a || !b || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i]!.signature !== b[i]!.signature) return false;
  return true;
}

function endpointsMapsEqual(a: EndpointsMap, b: EndpointsMap): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (!endpointListsEqual(v, b.get(k))) return false;
  return true;
}
