// Where the zone's data comes from. The zone reads a ZoneSource the way CoreDNS's kubernetes plugin
// reads its APIConn: a snapshot of the objects it cares about, a namespace lookup, "has synced" and
// the time of the last change (the SOA serial). ObjectSource is fed objects directly (tests, `netlab
// dns serve -f`); StoreSource keeps one up to date from a WatchableStore by list + watch.
import type {
  AnyObject,
  EndpointSlice,
  Kind,
  KindMap,
  Pod,
  Service,
  WatchableStore,
  WatchEvent,
} from '../../api/index.js';
import type { PodMode } from './config.js';
import { LiveIndex, type ZoneIndex } from './index-model.js';

/** The objects the zone is built from. */
export interface ZoneObjects {
  services: readonly Service[];
  endpointSlices: readonly EndpointSlice[];
  pods: readonly Pod[];
}

export interface ZoneSource {
  /** The current objects; read again after every change notification. */
  snapshot(): ZoneObjects;
  /** Whether the namespace exists (CoreDNS GetNamespaceByName). */
  namespaceExists(name: string): boolean;
  /** False until the first full list has arrived; misses answer SERVFAIL until then. */
  hasSynced(): boolean;
  /** Unix seconds of the last change: the SOA serial. */
  modified(): number;
  /** Called after every change; returns the unsubscribe function. */
  onChange(listener: () => void): () => void;
  /**
   * The zone index of the current objects, kept up to date by the source (optional: without it the
   * zone builds one from `snapshot()` after every change). Equal to `buildIndex(snapshot())`.
   */
  index?(): ZoneIndex;
}

/** The kinds the zone watches. */
export const zoneKinds = ['Namespace', 'Service', 'EndpointSlice', 'Pod'] as const;
export type ZoneKind = (typeof zoneKinds)[number];

// Namespaces every cluster has, whether or not a manifest names them.
const builtinNamespaces = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

function objectKey(obj: AnyObject): string {
  return `${obj.metadata.namespace ?? ''}/${obj.metadata.name ?? ''}`;
}

/**
 * An in-memory source fed object by object. A namespace exists when a Namespace object names it, when
 * it is one every cluster has, or when any object lives in it (kube-apiserver refuses objects in a
 * namespace that does not exist, so an object is proof of its namespace). The namespaces are counted
 * as objects come and go; the zone index, once asked for, is kept up to date object by object.
 */
export class ObjectSource implements ZoneSource {
  readonly #byKind = new Map<ZoneKind, Map<string, AnyObject>>(zoneKinds.map((k) => [k, new Map()]));
  /**
   * With the index: each object's position in the order its kind's map lists it (a new key: the next
   * number), which orders the index's lists.
   */
  readonly #seqs = new Map<ZoneKind, Map<string, number>>(zoneKinds.map((k) => [k, new Map()]));
  #seq = 0;
  readonly #listeners = new Set<() => void>();
  #synced: boolean;
  #modified: number;
  #snapshot: ZoneObjects | null = null;
  /** Objects naming each namespace (a Namespace by its name, the others by their namespace). */
  readonly #namespaces = new Map<string, number>();
  /** The zone index, from the first time it is asked for. */
  #live: LiveIndex | null = null;

  constructor(objects: Iterable<AnyObject> = [], opts: { synced?: boolean; now?: () => number } = {}) {
    this.#now = opts.now ?? (() => Math.floor(Date.now() / 1000));
    for (const obj of objects) this.#put(obj);
    this.#synced = opts.synced ?? true;
    this.#modified = this.#now();
  }

  readonly #now: () => number;

  /** Adds or replaces an object (by kind, namespace and name). Kinds the zone does not use are ignored. */
  apply(obj: AnyObject): void {
    if (this.#put(obj)) this.#changed();
  }

  /** Removes an object. */
  delete(obj: AnyObject): void {
    const kind = obj.kind as ZoneKind;
    const m = this.#byKind.get(kind);
    const key = objectKey(obj);
    const old = m?.get(key);
    if (!m || old === undefined) return;
    m.delete(key);
    this.#countNamespace(kind, old, -1);
    if (this.#live) {
      this.#seqs.get(kind)!.delete(key);
      this.#live.remove(kind, key);
    }
    this.#changed();
  }

  /** Marks the first full list as arrived. */
  markSynced(): void {
    if (this.#synced) return;
    this.#synced = true;
    this.#changed();
  }

  /** Applies several changes with one change notification. */
  batch(fn: () => void): void {
    const listeners = [...this.#listeners];
    this.#listeners.clear();
    try {
      fn();
    } finally {
      for (const l of listeners) this.#listeners.add(l);
    }
    this.#changed();
  }

  snapshot(): ZoneObjects {
    this.#snapshot ??= {
      services: [...this.#values('Service')] as Service[],
      endpointSlices: [...this.#values('EndpointSlice')] as EndpointSlice[],
      pods: [...this.#values('Pod')] as Pod[],
    };
    return this.#snapshot;
  }

  namespaceExists(name: string): boolean {
    return builtinNamespaces.includes(name) || this.#namespaces.has(name);
  }

  index(): ZoneIndex {
    if (this.#live === null) {
      // Built once, in the maps' order; from then on kept up to date object by object.
      const live = new LiveIndex();
      for (const [kind, m] of this.#byKind) {
        const seqs = this.#seqs.get(kind)!;
        for (const [key, obj] of m) {
          seqs.set(key, ++this.#seq);
          live.put(kind, key, obj as never, this.#seq);
        }
      }
      this.#live = live;
    }
    return this.#live.index;
  }

  /** The objects of one kind currently held. */
  objectsOf(kind: ZoneKind): AnyObject[] {
    return [...this.#values(kind)];
  }

  hasSynced(): boolean {
    return this.#synced;
  }

  modified(): number {
    return this.#modified;
  }

  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #values(kind: ZoneKind): IterableIterator<AnyObject> {
    return this.#byKind.get(kind)!.values();
  }

  #put(obj: AnyObject): boolean {
    const kind = obj.kind as ZoneKind;
    const m = this.#byKind.get(kind);
    if (!m) return false;
    const key = objectKey(obj);
    const old = m.get(key);
    m.set(key, obj);
    if (old === undefined) this.#countNamespace(kind, obj, 1);
    if (this.#live) {
      // A key already held keeps its place in the map's order (and so in the index's lists).
      const seqs = this.#seqs.get(kind)!;
      if (old === undefined) seqs.set(key, ++this.#seq);
      this.#live.put(kind, key, obj as never, seqs.get(key)!);
    }
    return true;
  }

  /** The namespace an object proves exists (a key names it too, so a replacement names the same). */
  #countNamespace(kind: ZoneKind, obj: AnyObject, by: 1 | -1): void {
    const ns = kind === 'Namespace' ? obj.metadata.name : obj.metadata.namespace;
    if (!ns) return;
    const n = (this.#namespaces.get(ns) ?? 0) + by;
    if (n > 0) this.#namespaces.set(ns, n);
    else this.#namespaces.delete(ns);
  }

  #changed(): void {
    this.#snapshot = null;
    this.#modified = this.#now();
    for (const l of this.#listeners) l();
  }
}

/**
 * Keeps an ObjectSource up to date from a WatchableStore: list every kind, mark synced, then watch each
 * kind from the list's resourceVersion. A watch that ends or fails (410 Gone: history compacted) lists
 * again and resumes, as an informer's reflector does. Stop it with the AbortSignal.
 */
export class StoreSource extends ObjectSource {
  readonly #store: WatchableStore;
  readonly #signal: AbortSignal | undefined;

  readonly #kinds: readonly ZoneKind[];

  /**
   * With `pods` (the zone's pod mode), Pods are listed and watched only for `verified`, as CoreDNS
   * starts its pod informer only then: the other modes never read them (at 100,000 pods the watch
   * was a copy of every pod's writes for nothing). Without it, every kind is kept.
   */
  constructor(store: WatchableStore, opts: { signal?: AbortSignal; pods?: PodMode } = {}) {
    super([], { synced: false });
    this.#store = store;
    this.#signal = opts.signal;
    this.#kinds =
      opts.pods === undefined || opts.pods === 'verified' ? zoneKinds : zoneKinds.filter((k) => k !== 'Pod');
    for (const kind of this.#kinds) void this.#run(kind);
  }

  #listed = new Set<ZoneKind>();

  async #run<K extends ZoneKind>(kind: K): Promise<void> {
    let backoff = 50;
    while (!this.#signal?.aborted) {
      try {
        const list = this.#store.list(kind);
        this.batch(() => {
          for (const old of this.objectsOf(kind)) this.delete(old);
          for (const obj of list.items) this.apply(obj as AnyObject);
        });
        this.#listed.add(kind);
        if (this.#listed.size === this.#kinds.length) this.markSynced();
        const events = this.#store.watch(kind, {
          resourceVersion: list.resourceVersion,
          ...(this.#signal ? { signal: this.#signal } : {}),
        });
        for await (const ev of events) {
          this.#onEvent(ev as WatchEvent<KindMap[Kind]>);
          backoff = 50;
        }
      } catch {
        if (this.#signal?.aborted) return;
        await new Promise((r) => setTimeout(r, backoff));
        backoff = Math.min(backoff * 2, 2000);
      }
    }
  }

  #onEvent(ev: WatchEvent<KindMap[Kind]>): void {
    if (ev.type === 'ADDED' || ev.type === 'MODIFIED') this.apply(ev.object);
    else if (ev.type === 'DELETED') this.delete(ev.object);
  }
}
