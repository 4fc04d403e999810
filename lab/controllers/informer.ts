// Shared informers (client-go tools/cache): one list+watch per kind for every controller, a cache
// of the objects by key, indexes maintained on every event, and handlers that only enqueue keys.
// The factory also remembers the resourceVersion of each controller write, by the controller that
// made it, so a controller's work queue waits until the caches have seen its own writes before it
// reconciles again (the job client-go's expectations do for the ReplicaSet controller, here for
// every controller, each with its own, as each has its own in kube-controller-manager: the
// scheduler never waits for a ReplicaSet controller that keeps creating Pods).
import {
  type AnyObject,
  type Kind,
  type KindMap,
  kindInfo,
  StatusError,
  type Store,
  type WatchEvent,
} from '../../api/index.js';

export interface ResourceEventHandler<T> {
  onAdd?(obj: T): void;
  onUpdate?(old: T, cur: T): void;
  onDelete?(obj: T): void;
}

/** The values an object is filed under in one index (cache.IndexFunc). */
export type IndexFunc<T> = (obj: T) => readonly string[];

/**
 * Whether two versions of an object are filed alike in an index, told cheaply (the parts the
 * index reads are the same objects: the store shares what a write leaves alone).
 */
export type IndexUnchanged<T> = (old: T, cur: T) => boolean;

/** cache.MetaNamespaceKeyFunc: `namespace/name`, or `name` for cluster-scoped kinds. */
export function objectKey(obj: AnyObject): string {
  const name = obj.metadata.name ?? '';
  return obj.metadata.namespace ? `${obj.metadata.namespace}/${name}` : name;
}

/** cache.SplitMetaNamespaceKey. */
export function splitKey(key: string): { namespace: string; name: string } {
  const i = key.indexOf('/');
  return i < 0 ? { namespace: '', name: key } : { namespace: key.slice(0, i), name: key.slice(i + 1) };
}

const noKeys: ReadonlySet<string> = new Set();

export class Informer<K extends Kind> {
  readonly #items = new Map<string, KindMap[K]>();
  readonly #indexers = new Map<string, IndexFunc<KindMap[K]>>();
  readonly #unchanged = new Map<string, IndexUnchanged<KindMap[K]>>();
  readonly #indices = new Map<string, Map<string, Set<string>>>();
  readonly #handlers: ResourceEventHandler<KindMap[K]>[] = [];
  /** resourceVersion of the last event in the cache. */
  rv = 0;
  /** Called after every event (the factory's catch-up check). */
  onEvent: (() => void) | undefined;

  constructor(readonly kind: K) {}

  get size(): number {
    return this.#items.size;
  }

  get(key: string): KindMap[K] | undefined {
    return this.#items.get(key);
  }

  values(): IterableIterator<KindMap[K]> {
    return this.#items.values();
  }

  /**
   * Adds an index; objects already cached are filed at once. With `unchanged`, an update it says
   * files alike is not filed again (the index function is not run twice for it).
   */
  addIndexer(name: string, fn: IndexFunc<KindMap[K]>, unchanged?: IndexUnchanged<KindMap[K]>): void {
    if (this.#indexers.has(name)) return;
    this.#indexers.set(name, fn);
    if (unchanged) this.#unchanged.set(name, unchanged);
    const index = new Map<string, Set<string>>();
    this.#indices.set(name, index);
    for (const [key, obj] of this.#items) for (const v of fn(obj)) fileUnder(index, v, key);
  }

  /** Keys filed under `value` in index `name` (live: copy before writing while iterating). */
  indexKeys(name: string, value: string): ReadonlySet<string> {
    return this.#indices.get(name)?.get(value) ?? noKeys;
  }

  byIndex(name: string, value: string): KindMap[K][] {
    const out: KindMap[K][] = [];
    for (const k of this.indexKeys(name, value)) {
      const o = this.#items.get(k);
      if (o) out.push(o);
    }
    return out;
  }

  addEventHandler(h: ResourceEventHandler<KindMap[K]>): void {
    this.#handlers.push(h);
    // A handler added to a running informer hears about what is already there, as in client-go.
    if (h.onAdd) for (const o of this.#items.values()) h.onAdd(o);
  }

  /** Applies one watch event to the cache and the indexes, then tells the handlers. */
  apply(ev: WatchEvent<KindMap[K]>): void {
    const obj = ev.object;
    const rv = Number(obj.metadata.resourceVersion ?? 0);
    if (ev.type === 'BOOKMARK') {
      if (rv > this.rv) this.rv = rv;
      return;
    }
    const key = objectKey(obj);
    const old = this.#items.get(key);
    if (ev.type === 'DELETED') {
      if (old) {
        this.#items.delete(key);
        this.#reindex(key, old, undefined);
      }
    } else {
      this.#items.set(key, obj);
      this.#reindex(key, old, obj);
    }
    if (rv > this.rv) this.rv = rv;
    for (const h of this.#handlers) {
      if (ev.type === 'DELETED') {
        if (old) h.onDelete?.(old);
      } else if (old) h.onUpdate?.(old, obj);
      else h.onAdd?.(obj);
    }
    this.onEvent?.();
  }

  /** A relist (after 410 Gone): what vanished is deleted, the rest added or updated. */
  replace(items: readonly KindMap[K][], rv: number): void {
    const seen = new Set<string>();
    for (const o of items) seen.add(objectKey(o));
    for (const [key, old] of [...this.#items])
      if (!seen.has(key)) this.apply({ type: 'DELETED', object: old });
    for (const o of items) {
      const old = this.#items.get(objectKey(o));
      if (old?.metadata.resourceVersion !== o.metadata.resourceVersion)
        this.apply({ type: old ? 'MODIFIED' : 'ADDED', object: o });
    }
    if (rv > this.rv) this.rv = rv;
    this.onEvent?.();
  }

  #reindex(key: string, old: KindMap[K] | undefined, cur: KindMap[K] | undefined): void {
    for (const [name, fn] of this.#indexers) {
      if (old && cur && this.#unchanged.get(name)?.(old, cur)) continue;
      const index = this.#indices.get(name)!;
      const before = old ? fn(old) : [];
      const after = cur ? fn(cur) : [];
      if (before.length === after.length && before.every((v, i) => v === after[i])) continue;
      for (const v of before) if (!after.includes(v)) unfile(index, v, key);
      for (const v of after) fileUnder(index, v, key);
    }
  }
}

function fileUnder(index: Map<string, Set<string>>, value: string, key: string): void {
  let set = index.get(value);
  if (!set) {
    set = new Set();
    index.set(value, set);
  }
  set.add(key);
}

function unfile(index: Map<string, Set<string>>, value: string, key: string): void {
  const set = index.get(value);
  if (!set) return;
  set.delete(key);
  if (set.size === 0) index.delete(value);
}

/**
 * One writer's expectations: the highest resourceVersion it wrote, per kind, with that kind's
 * informer, so every drained key asks caughtUp() without a lookup or an entry array.
 */
export class Writes {
  readonly written = new Map<Kind, { informer: Informer<Kind>; rv: number }>();

  caughtUp(): boolean {
    for (const w of this.written.values()) if (w.informer.rv < w.rv) return false;
    return true;
  }
}

/**
 * One informer per kind, shared by every controller (informers.SharedInformerFactory). `start()`
 * lists every kind at one resourceVersion before any handler runs, so a handler of one kind finds
 * the other caches filled, then watches each kind from there.
 */
export class SharedInformers {
  readonly #informers = new Map<Kind, Informer<Kind>>();
  /** Writes made outside any queue's sync: every queue waits for these. */
  readonly #shared = new Writes();
  /** Every queue's own (the manager's idle() waits for all). */
  readonly #writers: Writes[] = [];
  /** The writer whose sync is running (`as`). */
  #current: Writes | undefined;
  readonly #waiting = new Map<() => void, Writes | undefined>();
  #loops: Promise<void>[] = [];

  constructor(
    readonly store: Store,
    readonly signal: AbortSignal,
    readonly log: (line: string) => void = () => {},
  ) {}

  informer<K extends Kind>(kind: K): Informer<K> {
    let inf = this.#informers.get(kind) as Informer<K> | undefined;
    if (!inf) {
      inf = new Informer(kind);
      inf.onEvent = () => this.#check();
      this.#informers.set(kind, inf as unknown as Informer<Kind>);
    }
    return inf;
  }

  /** Lists every kind asked for so far, fills the caches, tells the handlers, then watches. */
  start(): void {
    const lists = [...this.#informers.values()].map((inf) => {
      const list = this.store.list(inf.kind);
      return { inf, list };
    });
    for (const { inf, list } of lists) inf.replace(list.items, Number(list.resourceVersion));
    this.#loops = lists.map(({ inf, list }) => this.#watch(inf, list.resourceVersion));
  }

  async #watch(inf: Informer<Kind>, from: string): Promise<void> {
    let rv = from;
    while (!this.signal.aborted) {
      try {
        for await (const ev of this.store.watch(inf.kind, { signal: this.signal, resourceVersion: rv })) {
          inf.apply(ev);
        }
        return;
      } catch (e) {
        if (this.signal.aborted) return;
        // 410 Gone: the watch fell behind the store's history; relist and go on from there.
        if (e instanceof StatusError && e.status.reason === 'Expired') {
          const list = this.store.list(inf.kind);
          inf.replace(list.items, Number(list.resourceVersion));
          rv = list.resourceVersion;
          continue;
        }
        this.log(`informer ${kindInfo[inf.kind].resource}: ${(e as Error).message}`);
        return;
      }
    }
  }

  /** A new writer (one a work queue): its writes are what its own caughtUp waits for. */
  writer(): Writes {
    const w = new Writes();
    this.#writers.push(w);
    return w;
  }

  /** Runs `fn` as `writer`: the writes it makes are that writer's. */
  as<T>(writer: Writes, fn: () => T): T {
    const prev = this.#current;
    this.#current = writer;
    try {
      return fn();
    } finally {
      this.#current = prev;
    }
  }

  /** Remembers a controller's write, so `caughtUp()` is false until the cache has it. */
  wrote(obj: AnyObject): void {
    const rv = Number(obj.metadata.resourceVersion ?? 0);
    const kind = obj.kind as Kind;
    const written = (this.#current ?? this.#shared).written;
    const w = written.get(kind);
    if (w) {
      if (rv > w.rv) w.rv = rv;
      return;
    }
    const informer = this.#informers.get(kind);
    if (informer && rv > 0) written.set(kind, { informer, rv });
  }

  /**
   * The caches have seen every write `writer` made and every write made outside a queue; without
   * a writer, every write any controller made.
   */
  caughtUp(writer?: Writes): boolean {
    if (!this.#shared.caughtUp()) return false;
    if (writer) return writer.caughtUp();
    for (const w of this.#writers) if (!w.caughtUp()) return false;
    return true;
  }

  /** Runs `fn` once the caches have caught up for `writer` (at once if they have). */
  whenCaughtUp(fn: () => void, writer?: Writes): void {
    if (this.caughtUp(writer)) fn();
    else this.#waiting.set(fn, writer);
  }

  #check(): void {
    if (this.#waiting.size === 0) return;
    for (const [fn, writer] of this.#waiting)
      if (this.caughtUp(writer)) {
        this.#waiting.delete(fn);
        fn();
      }
  }

  /** Resolves when every watch has ended (after the signal aborts). */
  async stopped(): Promise<void> {
    await Promise.allSettled(this.#loops);
  }
}
