// Watches on the store: which objects a watch's label and field selectors pick, what a watcher sees
// of one change (a MODIFIED that moves an object into or out of the selection is an ADDED or a
// DELETED for it, as kube-apiserver's watch cache sends), and the watcher, an async iterator with
// its own queue.
import { SelectorError } from './errors.js';
import { newBadRequest } from './fielderrors.js';
import { kindInfo } from './kinds.js';
import { type FieldRequirement, parseFieldSelector, parseSelector, type Selector } from './labels.js';
import type { AnyObject, Kind, ListOptions, WatchEvent } from './types.js';

/** One change as the store's history keeps it. */
export interface HistoryEvent {
  rv: number;
  kind: Kind;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: AnyObject;
  /** The object before a MODIFIED, so selector watches can turn it into ADDED or DELETED. */
  prev: AnyObject | undefined;
}

/** Field selectors kube-apiserver supports beyond metadata.name and metadata.namespace. */
const fieldLabels: { readonly [K in Kind]?: readonly string[] } = {
  Pod: [
    'spec.nodeName',
    'spec.restartPolicy',
    'spec.schedulerName',
    'spec.serviceAccountName',
    'spec.hostNetwork',
    'status.phase',
    'status.podIP',
    'status.nominatedNodeName',
  ],
  Node: ['spec.unschedulable'],
  Namespace: ['status.phase'],
  Service: ['spec.clusterIP', 'spec.type'],
  Event: [
    'involvedObject.kind',
    'involvedObject.namespace',
    'involvedObject.name',
    'involvedObject.uid',
    'involvedObject.apiVersion',
    'involvedObject.resourceVersion',
    'involvedObject.fieldPath',
    'reason',
    'reportingComponent',
    'source',
    'type',
  ],
};

/** Field labels that are not the JSON path of their value (the Event's `source` is its component). */
const fieldPaths: Readonly<Record<string, string>> = { source: 'source.component' };

/** Field paths split at their dots, by path: a watch's fields are read for every change it is offered. */
const pathParts = new Map<string, readonly string[]>();

function readPath(obj: unknown, path: string): unknown {
  let parts = pathParts.get(path);
  if (parts === undefined) {
    parts = path.split('.');
    if (pathParts.size >= 1000) pathParts.clear();
    pathParts.set(path, parts);
  }
  let cur: unknown = obj;
  for (const p of parts) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[p];
  }
  return cur;
}

function fieldValue(obj: AnyObject, f: string): string {
  const v = readPath(obj, fieldPaths[f] ?? f);
  if (v === undefined || v === null)
    return f === 'spec.hostNetwork' || f === 'spec.unschedulable' ? 'false' : '';
  return String(v);
}

export interface Filter {
  namespace: string | undefined;
  labels: Selector | undefined;
  fields: FieldRequirement[];
}

export class Watcher<T> implements AsyncIterableIterator<WatchEvent<T>> {
  private queue: WatchEvent<T>[] = [];
  private head = 0;
  private wake: ((r: IteratorResult<WatchEvent<T>>) => void) | undefined;
  done = false;
  /** Its order of arrival in its kind's WatcherSet (set there): events reach watchers in this order. */
  order = 0;
  constructor(
    readonly kind: Kind,
    readonly filter: Filter,
    readonly bookmarks: boolean,
    private readonly onClose: (w: Watcher<T>) => void,
  ) {}

  push(ev: WatchEvent<T>): void {
    if (this.done) return;
    if (this.wake) {
      const w = this.wake;
      this.wake = undefined;
      w({ value: ev, done: false });
    } else this.queue.push(ev);
  }

  next(): Promise<IteratorResult<WatchEvent<T>>> {
    if (this.head < this.queue.length) {
      const value = this.queue[this.head++]!;
      // Drop consumed entries: at once when the consumer has caught up (the usual case: a watch
      // with a few events now and then would otherwise keep every object version it was sent), now
      // and then while it lags, so a long watch does not hold them all.
      if (this.head === this.queue.length) {
        this.queue.length = 0;
        this.head = 0;
      } else if (this.head > 1024 && this.head * 2 > this.queue.length) {
        this.queue = this.queue.slice(this.head);
        this.head = 0;
      }
      return Promise.resolve({ value, done: false });
    }
    if (this.done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => {
      this.wake = resolve;
    });
  }

  return(): Promise<IteratorResult<WatchEvent<T>>> {
    this.close();
    return Promise.resolve({ value: undefined, done: true });
  }

  close(): void {
    if (this.done) return;
    this.done = true;
    this.queue = [];
    this.head = 0;
    this.onClose(this);
    if (this.wake) {
      const w = this.wake;
      this.wake = undefined;
      w({ value: undefined, done: true });
    }
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}

export function compileFilter(kind: Kind, opts: ListOptions | undefined): Filter {
  let labels: Selector | undefined;
  let fields: FieldRequirement[] = [];
  try {
    if (opts?.labelSelector) labels = parseSelector(opts.labelSelector);
    if (opts?.fieldSelector) fields = parseFieldSelector(opts.fieldSelector);
  } catch (e) {
    if (e instanceof SelectorError) throw newBadRequest(e.message);
    throw e;
  }
  const allowed = fieldLabels[kind] ?? [];
  for (const f of fields)
    if (f.field !== 'metadata.name' && f.field !== 'metadata.namespace' && !allowed.includes(f.field))
      throw newBadRequest(`field label not supported: ${f.field}`);
  const namespace = kindInfo[kind].namespaced && opts?.namespace ? opts.namespace : undefined;
  return { namespace, labels, fields };
}

export function matchesFilter(f: Filter, o: AnyObject): boolean {
  if (f.namespace !== undefined && o.metadata.namespace !== f.namespace) return false;
  if (f.labels && !f.labels.matches(o.metadata.labels)) return false;
  for (const r of f.fields) {
    const v = fieldValue(o, r.field);
    if ((v === r.value) !== (r.operator === '=')) return false;
  }
  return true;
}

/** Fields the store indexes watchers by, most selective first (an equality on one picks few objects). */
const indexedFields: { readonly [K in Kind]?: readonly string[] } = {
  Pod: ['metadata.name', 'spec.nodeName', 'metadata.namespace'],
};
const defaultIndexedFields = ['metadata.name', 'metadata.namespace'];

/**
 * The field and value a watcher can be found by: an equality on an indexed field (the namespace of
 * a namespaced watch counts as `metadata.namespace`). Undefined when the filter has no such term.
 */
export function filterIndexKey(kind: Kind, f: Filter): { field: string; value: string } | undefined {
  for (const field of indexedFields[kind] ?? defaultIndexedFields) {
    for (const r of f.fields) if (r.operator === '=' && r.field === field) return { field, value: r.value };
    if (field === 'metadata.namespace' && f.namespace !== undefined) return { field, value: f.namespace };
  }
  return undefined;
}

/** Whether the filter picks every object (no namespace, no label or field selector). */
export function filterIsEmpty(f: Filter): boolean {
  return f.namespace === undefined && f.labels === undefined && f.fields.length === 0;
}

/** The value an indexed field has on an object, as the index keys it. */
export function indexValue(o: AnyObject, field: string): string {
  return field === 'metadata.namespace' ? (o.metadata.namespace ?? '') : fieldValue(o, field);
}

/** What a watcher with this filter sees of an event (selector watches see moves in and out). */
export function filterEvent(f: Filter, ev: HistoryEvent): WatchEvent<AnyObject> | undefined {
  const cur = matchesFilter(f, ev.object);
  if (ev.type !== 'MODIFIED') return cur ? { type: ev.type, object: ev.object } : undefined;
  const before = ev.prev !== undefined && matchesFilter(f, ev.prev);
  if (cur && before) return { type: 'MODIFIED', object: ev.object };
  if (cur) return { type: 'ADDED', object: ev.object };
  if (before) return { type: 'DELETED', object: ev.object };
  return undefined;
}

/**
 * One kind's watchers, indexed so that a change is offered only to the watchers it can concern:
 * those whose filter picks everything, those without an indexed term, and those whose indexed term
 * equals the object's value (before or after the change). A change costs O(matching watchers), not
 * O(watchers): a thousand kubelets each watching `spec.nodeName=<node>` cost one lookup per pod change.
 */
export class WatcherSet {
  /** Every watcher with its order of arrival: events are pushed in that order, as a plain scan would. */
  readonly #seq = new Map<Watcher<AnyObject>, number>();
  #next = 0;
  /** Filters that pick every object: no evaluation needed. */
  readonly #all = new Set<Watcher<AnyObject>>();
  /** Filters without an indexed term: evaluated for every change. */
  readonly #rest = new Set<Watcher<AnyObject>>();
  /** field -> value -> watchers whose indexed term is field=value. */
  readonly #byField = new Map<string, Map<string, Set<Watcher<AnyObject>>>>();
  /** #byField's entries in its order, read by every dispatch without an entry array per field. */
  #fields: { field: string; byValue: Map<string, Set<Watcher<AnyObject>>> }[] = [];
  /** Filter evaluations so far (a measure of the dispatch's work). */
  evaluations = 0;

  constructor(readonly kind: Kind) {}

  get size(): number {
    return this.#seq.size;
  }

  add(w: Watcher<AnyObject>): void {
    w.order = this.#next;
    this.#seq.set(w, this.#next++);
    if (filterIsEmpty(w.filter)) {
      this.#all.add(w);
      return;
    }
    const key = filterIndexKey(this.kind, w.filter);
    if (key === undefined) {
      this.#rest.add(w);
      return;
    }
    let byValue = this.#byField.get(key.field);
    if (byValue === undefined) {
      byValue = new Map();
      this.#byField.set(key.field, byValue);
      this.#fields.push({ field: key.field, byValue });
    }
    let set = byValue.get(key.value);
    if (set === undefined) {
      set = new Set();
      byValue.set(key.value, set);
    }
    set.add(w);
  }

  delete(w: Watcher<AnyObject>): void {
    if (!this.#seq.delete(w)) return;
    if (this.#all.delete(w) || this.#rest.delete(w)) return;
    const key = filterIndexKey(this.kind, w.filter)!;
    const byValue = this.#byField.get(key.field)!;
    const set = byValue.get(key.value)!;
    set.delete(w);
    if (set.size === 0) byValue.delete(key.value);
    if (byValue.size === 0) {
      this.#byField.delete(key.field);
      this.#fields = this.#fields.filter((f) => f.byValue !== byValue);
    }
  }

  /** Every watcher, in order of arrival. */
  values(): IterableIterator<Watcher<AnyObject>> {
    return this.#seq.keys();
  }

  /** Pushes what each concerned watcher sees of the change, in the watchers' order of arrival. */
  dispatch(ev: HistoryEvent): void {
    if (this.#seq.size === 0) return;
    // The groups are disjoint (a watcher is filed once), and each is a Set, so in order of arrival:
    // one is pushed as it is, two are merged, more (rare) are gathered and sorted.
    const groups = this.#groups;
    groups.length = 0;
    if (this.#all.size > 0) groups.push(this.#all);
    if (this.#rest.size > 0) groups.push(this.#rest);
    for (const { field, byValue } of this.#fields) {
      const now = byValue.get(indexValue(ev.object, field));
      if (now !== undefined) groups.push(now);
      if (ev.prev !== undefined) {
        const before = byValue.get(indexValue(ev.prev, field));
        if (before !== undefined && before !== now) groups.push(before);
      }
    }
    if (groups.length === 0) return;
    if (groups.length === 1) {
      const only = groups[0]!;
      const all = only === this.#all;
      for (const w of only) this.#offer(w, ev, all);
      return;
    }
    if (groups.length === 2) {
      const first = groups[0]!;
      const second = groups[1]!;
      const firstAll = first === this.#all;
      const secondAll = second === this.#all;
      const it = second.values();
      let next = it.next();
      for (const w of first) {
        while (!next.done && next.value.order < w.order) {
          this.#offer(next.value, ev, secondAll);
          next = it.next();
        }
        this.#offer(w, ev, firstAll);
      }
      while (!next.done) {
        this.#offer(next.value, ev, secondAll);
        next = it.next();
      }
      return;
    }
    const list: Watcher<AnyObject>[] = [];
    for (const g of groups) for (const w of g) list.push(w);
    list.sort((a, b) => a.order - b.order);
    for (const w of list) this.#offer(w, ev, this.#all.has(w));
  }

  /** Scratch for dispatch's groups (a push never runs a consumer, so dispatch is never re-entered). */
  readonly #groups: Set<Watcher<AnyObject>>[] = [];

  /** What one watcher sees of the change; `all`: its filter picks every object. */
  #offer(w: Watcher<AnyObject>, ev: HistoryEvent, all: boolean): void {
    if (all) {
      // An empty filter picks the object before and after: the event as it is.
      const type = ev.type === 'MODIFIED' && ev.prev === undefined ? 'ADDED' : ev.type;
      w.push({ type, object: ev.object });
      return;
    }
    this.evaluations++;
    const out = filterEvent(w.filter, ev);
    if (out) w.push(out);
  }
}
