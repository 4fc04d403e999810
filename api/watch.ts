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

function readPath(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const p of path.split('.')) {
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
      // Drop consumed entries now and then so a long watch does not hold them all.
      if (this.head > 1024 && this.head * 2 > this.queue.length) {
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
