// The store: the emulator's kube-apiserver + etcd, in memory. Every write goes through a
// transaction that records how to undo it and which watch events it makes; a single create is a
// transaction of one, a batch apply is one transaction for all its objects, so watchers see all of
// a batch or none of it. One resourceVersion counter across kinds, strictly increasing; a ring of
// recent events serves watches that resume from a resourceVersion, and older ones get 410 Expired.

import { fnv1a, seededRandom } from '../std/index.js';
import { applyDefaults, convertSingularPlural } from './defaults.js';
import { BatchError, StatusError } from './errors.js';
import {
  newAlreadyExists,
  newBadRequest,
  newConflict,
  newForbidden,
  newInvalid,
  newNotFound,
  newResourceExpired,
} from './fielderrors.js';
import { cloneFrozenBelow, cloneJSON, cloneShared, deepEqual, deepFreeze, mergePatch } from './json.js';
import { kindInfo } from './kinds.js';
import type { ManifestObject } from './manifest.js';
import { decodeProblems } from './schema.js';
import { ServiceAllocators, type UndoLog } from './services.js';
import {
  type AnyObject,
  apiVersionOf,
  type Kind,
  type KindMap,
  type ObjectList,
  type PageOptions,
  type Service,
  type WatchableStore,
  type WatchEvent,
  type WatchEventType,
  type WatchOptions,
} from './types.js';
import { validateObject, validateObjectUpdate, validatePodBind } from './validation.js';
import {
  compileFilter,
  filterEvent,
  type HistoryEvent,
  matchesFilter,
  Watcher,
  WatcherSet,
} from './watch.js';

export interface StoreOptions {
  /** --service-cluster-ip-range: one CIDR or a dual-stack pair. Default 10.96.0.0/12. */
  serviceCIDRs?: string[];
  /** --service-node-port-range. Default 30000-32767. */
  nodePortRange?: string;
  /** Seed for uids, generated names and allocation starts. Default 1. */
  seed?: number;
  /**
   * How uids and generateName suffixes are drawn from the seed. `shared` (default): one stream for
   * the whole store, in the order of creation, so the names depend on how the writers interleave.
   * `perName`: a stream per generateName prefix (kind, namespace, prefix) and per object name, so
   * the names a controller gives depend only on its own creates (scenarios: the same seed gives the
   * same pod names whatever the machine's load).
   */
  generatedNames?: 'shared' | 'perName';
  /** Events kept for watch resumption; older resourceVersions get 410 Expired. Default 10000. */
  historySize?: number;
  /** Clock for creationTimestamp/deletionTimestamp. */
  now?: () => Date;
  /** Period of BOOKMARK events to watchers that ask for them; 0 turns the timer off. Default 60000. */
  bookmarkIntervalMs?: number;
  /** Create the namespaces and the `kubernetes` Service a fresh apiserver has. Default true. */
  bootstrap?: boolean;
}

export interface WriteOptions {
  /** Validate, default and allocate, then throw it all away (kubectl --dry-run=server). */
  dryRun?: boolean;
}

export interface DeleteOptions extends WriteOptions {
  namespace?: string;
  /** Pods: seconds until the kubelet must have stopped it; 0 removes at once. */
  gracePeriodSeconds?: number;
  /** What happens to dependents (ownerReferences): Background (default) deletes them, Orphan keeps them. */
  propagationPolicy?: 'Background' | 'Foreground' | 'Orphan';
  /** Only delete this exact version. */
  preconditions?: { uid?: string; resourceVersion?: string };
}

/** What a batch apply takes: objects, or objects read from manifests (kept for error positions). */
export type ApplyItem = AnyObject | ManifestObject;

/** ObjectMeta fields only the server sets; a create ignores what the client sent. */
const serverSetFields = [
  'uid',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'generation',
  'selfLink',
];

/**
 * Stored Pods (frozen) not yet bound whose write validated without an error, after defaulting and
 * conversion: a bind that changes nothing else in one needs only its node's name checked (bindIn).
 * Bound Pods are left out: no bind follows, and the set holds none of a converged cluster's Pods.
 */
const validPods = new WeakSet<object>();

/** The namespaces a cluster cannot delete. */
const immortalNamespaces = new Set(['default', 'kube-system', 'kube-public']);

/** Kinds whose spec changes bump metadata.generation. */
const generationKinds = new Set<Kind>(['Deployment', 'ReplicaSet', 'StatefulSet']);

/** Kinds with a status subresource: a plain update keeps the stored status. */
const statusKinds = new Set<Kind>([
  'Namespace',
  'Node',
  'Pod',
  'Service',
  'Deployment',
  'ReplicaSet',
  'StatefulSet',
]);

function isManifestObject(i: ApplyItem): i is ManifestObject {
  return 'object' in i && 'source' in i;
}

function keyOf(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}

/** Each byte's two hex digits, and the 20 parts of a uid (16 bytes, 4 dashes) a uid is joined from. */
const hexBytes = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));
const uidParts: string[] = new Array(20).fill('');

let lastStampSecond = Number.NaN;
let lastStamp = '';
/** RFC 3339 to the second, as metav1.Time marshals; the string is reused within a second. */
function timestamp(d: Date): string {
  const sec = Math.floor(d.getTime() / 1000);
  if (sec !== lastStampSecond) {
    lastStampSecond = sec;
    lastStamp = `${d.toISOString().slice(0, 19)}Z`;
  }
  return lastStamp;
}

class Txn {
  readonly undo: UndoLog = [];
  readonly events: HistoryEvent[] = [];
}

/**
 * The in-memory apiserver. Objects handed out are frozen: copy before changing them
 * (`structuredClone` or `cloneJSON`), as with objects from an informer cache.
 */
export class Store implements WatchableStore {
  readonly allocators: ServiceAllocators;
  private readonly objects = new Map<Kind, Map<string, AnyObject>>();
  /** Each kind's keys in order, for lists and pages; dropped when a key comes or goes. */
  private readonly sorted = new Map<Kind, string[]>();
  private readonly watchers = new Map<Kind, WatcherSet>();
  private rv = 0;
  private readonly history: (HistoryEvent | undefined)[];
  private historyStart = 0;
  private historyLen = 0;
  /** Highest resourceVersion no longer in the history. */
  private compactedRV = 0;
  private readonly rand: () => number;
  private readonly seed: number;
  /** The `perName` streams, by key; undefined for `shared`. */
  private readonly nameStreams: Map<string, () => number> | undefined;
  private readonly now: () => Date;
  private bookmarkTimer: NodeJS.Timeout | undefined;

  constructor(opts: StoreOptions = {}) {
    const seed = opts.seed ?? 1;
    this.allocators = new ServiceAllocators({
      serviceCIDRs: opts.serviceCIDRs ?? ['10.96.0.0/12'],
      nodePortRange: opts.nodePortRange ?? '30000-32767',
      seed,
    });
    this.rand = seededRandom(seed ^ 0x5bd1e995);
    this.seed = seed;
    if (opts.generatedNames === 'perName') this.nameStreams = new Map();
    this.now = opts.now ?? (() => new Date());
    this.history = new Array(Math.max(1, opts.historySize ?? 10000));
    for (const k of Object.keys(kindInfo) as Kind[]) {
      this.objects.set(k, new Map());
      this.watchers.set(k, new WatcherSet(k));
    }
    if (opts.bootstrap !== false) this.bootstrap();
    const every = opts.bookmarkIntervalMs ?? 60000;
    if (every > 0) {
      this.bookmarkTimer = setInterval(() => this.bookmark(), every);
      this.bookmarkTimer.unref();
    }
  }

  /** The current resourceVersion (of the last write). */
  get resourceVersion(): string {
    return String(this.rv);
  }

  private bootstrap(): void {
    const txn = new Txn();
    for (const name of ['default', 'kube-system', 'kube-public', 'kube-node-lease'])
      this.createIn(txn, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    const first = this.allocators.byFamily.get(this.allocators.defaultFamily)!.firstAddress();
    const kubernetes: Service = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {
        name: 'kubernetes',
        namespace: 'default',
        labels: { component: 'apiserver', provider: 'kubernetes' },
      },
      spec: {
        type: 'ClusterIP',
        clusterIP: first,
        ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 6443 }],
        sessionAffinity: 'None',
        ipFamilyPolicy: 'SingleStack',
      },
    };
    this.createIn(txn, kubernetes);
    this.commit(txn);
  }

  // --- reads -----------------------------------------------------------------------------------

  /** The object, or a NotFound StatusError. */
  get<K extends Kind>(kind: K, name: string, namespace = 'default'): KindMap[K] {
    const o = this.find(kind, name, namespace);
    if (!o) throw newNotFound(kind, name);
    return o;
  }

  find<K extends Kind>(kind: K, name: string, namespace = 'default'): KindMap[K] | undefined {
    const ns = kindInfo[kind].namespaced ? namespace : undefined;
    return this.objects.get(kind)!.get(keyOf(ns, name)) as KindMap[K] | undefined;
  }

  list<K extends Kind>(kind: K, opts?: PageOptions): ObjectList<KindMap[K]> {
    const f = compileFilter(kind, opts);
    const items: AnyObject[] = [];
    const m = this.objects.get(kind)!;
    // `metadata.name=N` (a kubelet's watch of its own Node) names at most one object where the key
    // is known: found, not searched for among all of them.
    const named =
      opts?.after === undefined &&
      (f.namespace !== undefined || !kindInfo[kind].namespaced) &&
      f.fields.find((r) => r.field === 'metadata.name' && r.operator === '=');
    if (named) {
      const o = m.get(keyOf(f.namespace, named.value));
      if (o !== undefined && matchesFilter(f, o)) items.push(o);
      return { items: items as KindMap[K][], resourceVersion: this.resourceVersion };
    }
    const keys = this.sortedKeys(kind);
    let i = 0;
    if (opts?.after !== undefined) {
      // The first key after the previous page's last one (binary search: pages cost their size).
      let hi = keys.length;
      const after = opts.after;
      while (i < hi) {
        const mid = (i + hi) >>> 1;
        if (keys[mid]! <= after) i = mid + 1;
        else hi = mid;
      }
    }
    const limit = opts?.limit && opts.limit > 0 ? opts.limit : Number.POSITIVE_INFINITY;
    for (; i < keys.length; i++) {
      const o = m.get(keys[i]!)!;
      if (!matchesFilter(f, o)) continue;
      if (items.length === limit) {
        const out: ObjectList<KindMap[K]> = {
          items: items as KindMap[K][],
          resourceVersion: this.resourceVersion,
          continueAfter: keys[i - 1]!,
        };
        if (!opts?.labelSelector && !opts?.fieldSelector) {
          // Keys sort by namespace first, so a namespace's keys are one run: count to its end.
          let end = keys.length;
          if (f.namespace !== undefined) {
            const stop = `${f.namespace}/\uffff`;
            let lo = i;
            while (lo < end) {
              const mid = (lo + end) >>> 1;
              if (keys[mid]! < stop) lo = mid + 1;
              else end = mid;
            }
          }
          out.remainingItemCount = end - i;
        }
        return out;
      }
      items.push(o);
    }
    return { items: items as KindMap[K][], resourceVersion: this.resourceVersion };
  }

  /** Keys of a kind in order, kept until a key is added or removed (updates keep the order). */
  private sortedKeys(kind: Kind): string[] {
    let keys = this.sorted.get(kind);
    if (!keys) {
      keys = [...this.objects.get(kind)!.keys()].sort();
      this.sorted.set(kind, keys);
    }
    return keys;
  }

  /** How many times watch filters were evaluated for changes (the dispatch's work; a diagnostic). */
  get watchFilterEvaluations(): number {
    let n = 0;
    for (const set of this.watchers.values()) n += set.evaluations;
    return n;
  }

  // --- watch -----------------------------------------------------------------------------------

  /**
   * Events for one kind. Without a resourceVersion (or with "0") the current objects come first as
   * ADDED; with one, every change after it. Throws a 410 Expired StatusError when that
   * resourceVersion is older than the kept history: relist, then watch from the list's version.
   */
  watch<K extends Kind>(kind: K, opts: WatchOptions = {}): AsyncIterable<WatchEvent<KindMap[K]>> {
    const f = compileFilter(kind, opts);
    const from = opts.resourceVersion;
    let replay: WatchEvent<AnyObject>[] = [];
    if (from === undefined || from === '' || from === '0') {
      replay = this.list(kind, opts).items.map((object) => ({ type: 'ADDED' as const, object }));
    } else {
      const rv = Number(from);
      if (!Number.isInteger(rv) || rv < 0) throw newBadRequest(`invalid resource version: ${from}`);
      // The watch cache's words and numbers: the second one is the oldest kept version minus one.
      if (rv < this.compactedRV)
        throw newResourceExpired(`too old resource version: ${rv} (${this.compactedRV})`);
      for (let i = 0; i < this.historyLen; i++) {
        const ev = this.history[(this.historyStart + i) % this.history.length]!;
        if (ev.rv <= rv || ev.kind !== kind) continue;
        const out = filterEvent(f, ev);
        if (out) replay.push(out);
      }
    }
    const set = this.watchers.get(kind)!;
    const signal = opts.signal;
    const onAbort = () => w.close();
    const w = new Watcher<AnyObject>(kind, f, opts.allowWatchBookmarks === true, (x) => {
      set.delete(x);
      // A long-lived signal must not keep every ended watch reachable.
      signal?.removeEventListener('abort', onAbort);
    });
    for (const ev of replay) w.push(ev);
    set.add(w);
    if (signal) {
      if (signal.aborted) w.close();
      else signal.addEventListener('abort', onAbort, { once: true });
    }
    return w as unknown as AsyncIterable<WatchEvent<KindMap[K]>>;
  }

  /** Sends a BOOKMARK (the current resourceVersion) to every watcher that allowed them. */
  bookmark(): void {
    for (const [kind, set] of this.watchers)
      for (const w of set.values())
        if (w.bookmarks)
          w.push({
            type: 'BOOKMARK' as WatchEventType,
            object: {
              apiVersion: apiVersionOf[kind],
              kind,
              metadata: { resourceVersion: this.resourceVersion },
            } as AnyObject,
          });
  }

  /** Ends every watch and stops the bookmark timer. */
  close(): void {
    if (this.bookmarkTimer) clearInterval(this.bookmarkTimer);
    for (const set of this.watchers.values()) for (const w of [...set.values()]) w.close();
  }

  // --- transactions ----------------------------------------------------------------------------

  private put(
    txn: Txn,
    kind: Kind,
    type: HistoryEvent['type'],
    obj: AnyObject,
    prev: AnyObject | undefined,
    key = keyOf(obj.metadata.namespace, obj.metadata.name!),
  ): AnyObject {
    const m = this.objects.get(kind)!;
    const before = m.get(key);
    const rvBefore = this.rv;
    this.rv++;
    obj.metadata.resourceVersion = String(this.rv);
    deepFreeze(obj);
    if (type === 'DELETED') m.delete(key);
    else m.set(key, obj);
    if (type === 'DELETED' || before === undefined) this.sorted.delete(kind);
    txn.undo.push(() => {
      if (before === undefined) m.delete(key);
      else m.set(key, before);
      if (type === 'DELETED' || before === undefined) this.sorted.delete(kind);
      this.rv = rvBefore;
    });
    txn.events.push({ rv: this.rv, kind, type, object: obj, prev });
    return obj;
  }

  private commit(txn: Txn): void {
    for (const ev of txn.events) {
      const cap = this.history.length;
      if (this.historyLen === cap) {
        this.compactedRV = this.history[this.historyStart]!.rv;
        this.history[this.historyStart] = ev;
        this.historyStart = (this.historyStart + 1) % cap;
      } else {
        this.history[(this.historyStart + this.historyLen) % cap] = ev;
        this.historyLen++;
      }
      this.watchers.get(ev.kind)!.dispatch(ev);
    }
  }

  private rollback(txn: Txn): void {
    for (let i = txn.undo.length - 1; i >= 0; i--) txn.undo[i]!();
  }

  private run<T>(opts: WriteOptions | undefined, body: (txn: Txn) => T): T {
    const txn = new Txn();
    let out: T;
    try {
      out = body(txn);
    } catch (e) {
      this.rollback(txn);
      throw e;
    }
    if (opts?.dryRun) this.rollback(txn);
    else this.commit(txn);
    return out;
  }

  // --- writes ----------------------------------------------------------------------------------

  /** Creates an object as kube-apiserver does: decode, default, allocate, validate, store. */
  create<T extends AnyObject>(obj: T, opts?: WriteOptions): T {
    return this.run(opts, (txn) => this.createIn(txn, obj)) as T;
  }

  /** Replaces an object (PUT). A set resourceVersion must be the stored one (else Conflict). */
  update<T extends AnyObject>(obj: T, opts?: WriteOptions): T {
    return this.run(opts, (txn) => this.updateIn(txn, obj, false)) as T;
  }

  /** Replaces an object's status only (the /status subresource: kubelet, controllers). */
  updateStatus<T extends AnyObject>(obj: T, opts?: WriteOptions): T {
    return this.run(opts, (txn) => this.updateIn(txn, obj, true)) as T;
  }

  /** JSON merge patch (RFC 7386). A resourceVersion in the patch is a precondition. */
  patch<K extends Kind>(
    kind: K,
    name: string,
    patch: unknown,
    opts: WriteOptions & { namespace?: string } = {},
  ): KindMap[K] {
    return this.run(opts, (txn) => {
      const cur = this.find(kind, name, opts.namespace);
      if (!cur) throw newNotFound(kind, name);
      const want = (patch as { metadata?: { resourceVersion?: string } } | null)?.metadata?.resourceVersion;
      if (want !== undefined && want !== cur.metadata.resourceVersion)
        throw newConflict(
          kind,
          name,
          'the object has been modified; please apply your changes to the latest version and try again',
        );
      const next = mergePatch(cloneJSON(cur), patch) as AnyObject;
      next.metadata.resourceVersion = cur.metadata.resourceVersion!;
      return this.updateIn(txn, next, false);
    }) as KindMap[K];
  }

  /** Deletes an object; Pods go through graceful deletion, dependents are collected in the background. */
  delete<K extends Kind>(kind: K, name: string, opts: DeleteOptions = {}): KindMap[K] {
    return this.run(opts, (txn) => this.deleteIn(txn, kind, name, opts)) as KindMap[K];
  }

  /**
   * Applies objects as one transaction (create, or replace when the object exists). Every object is
   * tried, in order, against the state the ones before it left; if any fails, nothing is applied and
   * a BatchError lists every failure.
   */
  apply(items: readonly ApplyItem[], opts?: WriteOptions): AnyObject[] {
    const txn = new Txn();
    const out: AnyObject[] = [];
    const failures: { index: number; error: StatusError }[] = [];
    items.forEach((item, index) => {
      const obj = isManifestObject(item) ? item.object : item;
      const mark = txn.undo.length;
      const eventMark = txn.events.length;
      try {
        out.push(this.applyIn(txn, obj));
      } catch (e) {
        // Undo this object's partial work (allocations) so later objects see a clean state.
        for (let i = txn.undo.length - 1; i >= mark; i--) txn.undo[i]!();
        txn.undo.length = mark;
        txn.events.length = eventMark;
        if (e instanceof StatusError) failures.push({ index, error: e });
        else throw e;
      }
    });
    if (failures.length > 0) {
      this.rollback(txn);
      throw new BatchError(failures);
    }
    if (opts?.dryRun) this.rollback(txn);
    else this.commit(txn);
    return out;
  }

  /**
   * Makes the stored objects of `kinds` exactly `objects`, held as given: no decoding, defaulting,
   * allocation or validation, as a client's informer cache holds what it listed (client-go's
   * Store.Replace). For objects admitted elsewhere: a real cluster's lists, or manifests read the
   * way kube-proxy and CoreDNS read objects. One transaction, so watchers see only the difference
   * (ADDED, MODIFIED, DELETED), all at once.
   */
  replace(kinds: readonly Kind[], objects: readonly AnyObject[]): void {
    const want = new Map<Kind, Map<string, AnyObject>>(kinds.map((k) => [k, new Map()]));
    for (const input of objects) {
      const m = want.get(input.kind);
      if (!m || !input.metadata?.name) continue;
      const obj = cloneJSON(input) as AnyObject;
      if (kindInfo[obj.kind].namespaced) obj.metadata.namespace ||= 'default';
      else delete obj.metadata.namespace;
      m.set(keyOf(obj.metadata.namespace, obj.metadata.name!), obj);
    }
    this.run(undefined, (txn) => {
      for (const [kind, m] of want) {
        const held = this.objects.get(kind)!;
        for (const [key, old] of [...held])
          if (!m.has(key)) this.put(txn, kind, 'DELETED', cloneJSON(old) as AnyObject, undefined);
        for (const [key, obj] of m) {
          const old = held.get(key);
          if (old === undefined) {
            delete obj.metadata.resourceVersion;
            this.put(txn, kind, 'ADDED', obj, undefined);
            continue;
          }
          obj.metadata.resourceVersion = old.metadata.resourceVersion!;
          if (!deepEqual(obj, old)) this.put(txn, kind, 'MODIFIED', obj, old);
        }
      }
    });
  }

  private applyIn(txn: Txn, obj: AnyObject): AnyObject {
    const kind = this.kindOf(obj);
    const name = obj.metadata?.name;
    if (name) {
      const ns = kindInfo[kind].namespaced ? obj.metadata.namespace || 'default' : undefined;
      if (this.objects.get(kind)!.has(keyOf(ns, name))) {
        const next = cloneJSON(obj);
        delete next.metadata.resourceVersion;
        return this.updateIn(txn, next, false);
      }
    }
    return this.createIn(txn, obj);
  }

  private kindOf(obj: AnyObject): Kind {
    const kind = (obj as { kind?: unknown }).kind;
    if (typeof kind !== 'string' || !(kind in kindInfo))
      throw newBadRequest(
        `no kind "${String(kind)}" is registered for version "${String((obj as { apiVersion?: unknown }).apiVersion)}"`,
      );
    const want = apiVersionOf[kind as Kind];
    if (obj.apiVersion !== want)
      throw newBadRequest(`no kind "${kind}" is registered for version "${String(obj.apiVersion)}"`);
    return kind as Kind;
  }

  private decode(kind: Kind, obj: AnyObject): void {
    const problems = decodeProblems(kind, obj);
    if (problems.length === 0) return;
    const head = `${kind} in version "${apiVersionOf[kind].split('/').pop()}" cannot be handled as a ${kind}: `;
    const typeProblem = problems.find((p) => !p.message.startsWith('unknown field'));
    const message = typeProblem
      ? head + typeProblem.message
      : `${head}strict decoding error: ${problems.map((p) => p.message).join(', ')}`;
    throw new StatusError('BadRequest', message, {
      causes: problems.map((p) => ({
        reason: p.message.startsWith('unknown field') ? 'FieldValueUnknown' : 'FieldValueTypeInvalid',
        message: p.message,
        field: p.field,
      })),
    });
  }

  /** The store's stream, or with `perName` the one of `key`. */
  private streamOf(key: string): () => number {
    if (this.nameStreams === undefined) return this.rand;
    let r = this.nameStreams.get(key);
    if (r === undefined) {
      r = seededRandom((fnv1a(key) ^ this.seed ^ 0x5bd1e995) >>> 0);
      this.nameStreams.set(key, r);
    }
    return r;
  }

  private uid(kind: Kind, namespace: string | undefined, name: string): string {
    const rand = this.streamOf(`uid ${kind} ${namespace ?? ''}/${name}`);
    // Version 4, variant 10: the version nibble of byte 6 and the variant bits of byte 8.
    for (let i = 0, at = 0; i < 16; i++, at++) {
      let b = Math.floor(rand() * 256);
      if (i === 6) b = (b & 0x0f) | 0x40;
      else if (i === 8) b = (b & 0x3f) | 0x80;
      if (i === 4 || i === 6 || i === 8 || i === 10) uidParts[at++] = '-';
      uidParts[at] = hexBytes[b]!;
    }
    // One join, so the uid is one flat string (concatenated slices keep a tree of small strings
    // alive for every object: ~300 bytes).
    return uidParts.join('');
  }

  /** utilrand.String: the 5 characters after a generateName prefix. */
  private randomSuffix(kind: Kind, namespace: string | undefined, prefix: string): string {
    const rand = this.streamOf(`name ${kind} ${namespace ?? ''}/${prefix}`);
    const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
    let s = '';
    for (let i = 0; i < 5; i++) s += alphabet[Math.floor(rand() * alphabet.length)];
    return s;
  }

  private createIn(txn: Txn, input: AnyObject): AnyObject {
    const kind = this.kindOf(input);
    this.decode(kind, input);
    const first = copyForWrite(kind, input);
    let obj: AnyObject;
    try {
      obj = this.prepareCreate(txn, kind, first);
    } catch (e) {
      // Defaulting tried to write into a shared (frozen) part: do it again on a whole copy, with
      // the name already drawn for a generateName (a second draw would change the names after it).
      if (!sharedWriteFailed(kind, e)) throw e;
      const again = cloneJSON(input);
      const drawn = first.metadata?.name;
      if (drawn && !again.metadata?.name) {
        again.metadata ??= {};
        again.metadata.name = drawn;
      }
      obj = this.prepareCreate(txn, kind, again);
    }
    return this.put(txn, kind, 'ADDED', obj, undefined);
  }

  /** A create up to storing: defaulted, allocated, validated, given its uid. */
  private prepareCreate(txn: Txn, kind: Kind, obj: AnyObject): AnyObject {
    obj.metadata ??= {};
    const md = obj.metadata;
    if (md.resourceVersion) throw newBadRequest('resourceVersion should not be set on objects to be created');
    const namespaced = kindInfo[kind].namespaced;
    if (namespaced) md.namespace ||= 'default';
    else delete md.namespace;
    if (!md.name && md.generateName)
      md.name = md.generateName + this.randomSuffix(kind, md.namespace, md.generateName);
    // Deleting only what is there keeps the object out of V8's slow dictionary mode.
    for (const f of serverSetFields)
      if ((md as Record<string, unknown>)[f] !== undefined) delete (md as Record<string, unknown>)[f];
    if (namespaced && md.namespace && md.name) {
      const ns = this.objects.get('Namespace')!.get(md.namespace);
      if (!ns) throw newNotFound('Namespace', md.namespace);
      if (ns.metadata.deletionTimestamp)
        throw newForbidden(
          kind,
          md.name,
          `unable to create new content in namespace ${md.namespace} because it is being terminated`,
        );
    }
    convertSingularPlural(obj);
    applyDefaults(obj);
    prepareForCreate(obj);
    if (obj.kind === 'Service') this.allocators.allocateCreate(obj, txn.undo);
    const errs = validateObject(obj);
    if (errs.length > 0) throw newInvalid(kind, md.name ?? '', errs);
    if (obj.kind === 'Pod' && !obj.spec?.nodeName) validPods.add(obj);
    const key = keyOf(md.namespace, md.name!);
    if (this.objects.get(kind)!.has(key)) throw newAlreadyExists(kind, md.name!);
    md.uid = this.uid(kind, md.namespace, md.name!);
    md.creationTimestamp = timestamp(this.now());
    if (generationKinds.has(kind)) md.generation = 1;
    return obj;
  }

  private updateIn(txn: Txn, input: AnyObject, status: boolean): AnyObject {
    const kind = this.kindOf(input);
    // What the client sends back unchanged (the very objects the store handed out: frozen, decoded
    // when they were written) needs no second decode; the rest is decoded as a whole.
    const namespaced = kindInfo[kind].namespaced;
    // The object's key, made once for the whole write (the lookups hash it once: it is one string).
    const key = keyOf(
      namespaced ? input.metadata?.namespace || 'default' : undefined,
      input.metadata?.name ?? '',
    );
    const stored = this.objects.get(kind)!.get(key);
    this.decode(kind, stored ? changedFields(input, stored) : input);
    if (status && stored) return this.updateStatusIn(txn, kind, input, stored, key);
    if (kind === 'Pod' && stored) {
      const bound = this.bindIn(txn, input, stored, key);
      if (bound !== undefined) return bound;
    }
    let next: [AnyObject, AnyObject];
    try {
      next = this.prepareUpdate(txn, kind, copyForWrite(kind, input), key);
    } catch (e) {
      if (!sharedWriteFailed(kind, e)) throw e;
      next = this.prepareUpdate(txn, kind, cloneJSON(input), key);
    }
    return this.finishUpdate(txn, kind, next[0], next[1], key);
  }

  /**
   * The scheduler's bind (an update that sets a Pod's spec.nodeName and nothing else) without the
   * whole Pod's copy, defaulting, conversion, validation and comparison, when what those give is
   * known: `input` holds the stored Pod's very parts (its frozen metadata, status and other
   * top-level values, and in a spec of its own the stored spec's very members) and a node's name
   * where the stored spec had none, and the stored Pod validated clean after its defaulting and
   * conversion (validPods). Defaulting and conversion then write nothing new, validation has only
   * the name left to check, and the version differs from the stored one: it is the stored Pod with
   * that name at the end of its spec, keys in the order the whole path gives them. Undefined for
   * anything else, which takes the whole path.
   */
  private bindIn(txn: Txn, input: AnyObject, old: AnyObject, key: string): AnyObject | undefined {
    const sent = input as unknown as Record<string, unknown>;
    const have = old as unknown as Record<string, unknown>;
    if (sent.metadata !== have.metadata || !validPods.has(old) || old.metadata.deletionTimestamp)
      return undefined;
    const specIn = sent.spec;
    const specHave = have.spec as Record<string, unknown> | undefined;
    if (
      specIn === null ||
      typeof specIn !== 'object' ||
      Array.isArray(specIn) ||
      Object.isFrozen(specIn) ||
      specHave === undefined ||
      specHave.nodeName !== undefined
    )
      return undefined;
    const si = specIn as Record<string, unknown>;
    const nodeName = si.nodeName;
    if (typeof nodeName !== 'string' || nodeName === '') return undefined;
    // The spec: the stored one's members (every one of them, and nothing else) and the name.
    const spec: Record<string, unknown> = {};
    let members = 0;
    for (const k in si) {
      if (!Object.hasOwn(si, k)) continue;
      const v = si[k];
      if (k !== 'nodeName') {
        if (v !== specHave[k] || !Object.hasOwn(specHave, k)) return undefined;
        members++;
      }
      spec[k] = v;
    }
    for (const k in specHave) if (Object.hasOwn(specHave, k)) members--;
    if (members !== 0) return undefined;
    // The top: the stored values (every one, nothing else), the metadata copied for its version.
    const next: Record<string, unknown> = {};
    let fields = 0;
    for (const k in sent) {
      if (!Object.hasOwn(sent, k)) continue;
      if (k === 'spec') next.spec = spec;
      else if (k === 'metadata') next.metadata = { ...old.metadata };
      else if (sent[k] !== have[k] || !Object.hasOwn(have, k)) return undefined;
      else next[k] = sent[k];
      fields++;
    }
    for (const k in have) if (Object.hasOwn(have, k)) fields--;
    if (fields !== 0) return undefined;
    const errs = validatePodBind(nodeName);
    if (errs.length > 0) throw newInvalid('Pod', old.metadata.name ?? '', errs);
    // Its members are frozen: the store's freeze then stops at the spec instead of walking it.
    Object.freeze(spec);
    return this.finishUpdate(txn, 'Pod', next as unknown as AnyObject, old, key, false);
  }

  /**
   * An update up to storing: the new version and the stored one it replaces. `key` is the key of
   * the object's namespace (defaulted) and name.
   */
  private prepareUpdate(txn: Txn, kind: Kind, obj: AnyObject, key: string): [AnyObject, AnyObject] {
    const namespaced = kindInfo[kind].namespaced;
    obj.metadata ??= {};
    const md = obj.metadata;
    if (namespaced) md.namespace ||= 'default';
    else delete md.namespace;
    const name = md.name ?? '';
    const old = this.objects.get(kind)!.get(key);
    if (!old) throw newNotFound(kind, name);
    if (md.resourceVersion && md.resourceVersion !== old.metadata.resourceVersion)
      throw newConflict(
        kind,
        name,
        'the object has been modified; please apply your changes to the latest version and try again',
      );
    // System fields are the server's.
    md.uid = old.metadata.uid!;
    md.creationTimestamp = old.metadata.creationTimestamp!;
    for (const f of ['deletionTimestamp', 'deletionGracePeriodSeconds', 'generation'] as const) {
      if (old.metadata[f] !== undefined) (md as Record<string, unknown>)[f] = old.metadata[f];
      else delete md[f];
    }
    const loose = obj as unknown as Record<string, unknown>;
    const oldLoose = old as unknown as Record<string, unknown>;
    if (statusKinds.has(kind)) {
      // The stored status, shared (a Pod's is copied at its top: conversion writes podIP there).
      if (oldLoose.status === undefined) delete loose.status;
      else loose.status = kind === 'Pod' ? { ...(oldLoose.status as object) } : oldLoose.status;
    }
    convertSingularPlural(obj);
    applyDefaults(obj);
    if (obj.kind === 'Service' && old.kind === 'Service') this.allocators.allocateUpdate(obj, old, txn.undo);
    const errs = validateObjectUpdate(obj, old);
    if (errs.length > 0) throw newInvalid(kind, name, errs);
    if (obj.kind === 'Pod' && !obj.spec?.nodeName) validPods.add(obj);
    if (generationKinds.has(kind) && !deepEqual(loose.spec, oldLoose.spec))
      md.generation = (old.metadata.generation ?? 0) + 1;
    return [obj, old];
  }

  /**
   * The /status subresource: only status changes, so the stored object's other parts are kept as
   * they are (frozen, shared by the new version) and only the sent status is copied.
   */
  private updateStatusIn(txn: Txn, kind: Kind, input: AnyObject, old: AnyObject, key: string): AnyObject {
    const want = input.metadata?.resourceVersion;
    if (want && want !== old.metadata.resourceVersion)
      throw newConflict(
        kind,
        old.metadata.name ?? '',
        'the object has been modified; please apply your changes to the latest version and try again',
      );
    const next = { ...old, metadata: { ...old.metadata } } as unknown as Record<string, unknown>;
    const sent = (input as unknown as Record<string, unknown>).status;
    if (sent === undefined) delete next.status;
    // Only the status's top is written below (the singular/plural mirror): what is under it is
    // frozen as it is copied.
    else next.status = cloneFrozenBelow(sent);
    // The singular/plural mirror of what changed (a Pod's podIP/podIPs); the rest was mirrored when stored.
    if (next.status !== undefined)
      convertSingularPlural({ kind, status: next.status } as unknown as AnyObject);
    // The rest is the stored version's own values (its metadata copied as it is), so the version
    // equals the stored one exactly when its status does: compare only that.
    return this.finishUpdate(
      txn,
      kind,
      next as unknown as AnyObject,
      old,
      key,
      deepEqual(next.status, (old as unknown as Record<string, unknown>).status),
    );
  }

  /** `same`: whether `obj` equals `old`, when the caller knows (else compared here). */
  private finishUpdate(
    txn: Txn,
    kind: Kind,
    obj: AnyObject,
    old: AnyObject,
    key: string,
    same?: boolean,
  ): AnyObject {
    obj.metadata.resourceVersion = old.metadata.resourceVersion!;
    // A no-op update writes nothing and wakes no watcher, as with etcd.
    if (same ?? deepEqual(obj, old)) return old;
    // The last finalizer gone: the object goes, unless it is a Pod a kubelet still has to stop.
    const md = obj.metadata;
    if (
      md.deletionTimestamp &&
      (md.finalizers?.length ?? 0) === 0 &&
      (kind !== 'Pod' || md.deletionGracePeriodSeconds === 0)
    )
      return this.remove(txn, kind, obj, key);
    return this.put(txn, kind, 'MODIFIED', obj, old, key);
  }

  private remove(txn: Txn, kind: Kind, obj: AnyObject, key: string): AnyObject {
    if (obj.kind === 'Service') this.allocators.release(obj, txn.undo);
    const gone = this.put(txn, kind, 'DELETED', cloneJSON(obj) as AnyObject, undefined, key);
    this.collectDependents(txn, gone, 'Background');
    return gone;
  }

  private deleteIn(txn: Txn, kind: Kind, name: string, opts: DeleteOptions): AnyObject {
    const cur = this.find(kind, name, opts.namespace ?? 'default');
    if (!cur) throw newNotFound(kind, name);
    const pre = opts.preconditions;
    if (pre?.uid !== undefined && pre.uid !== cur.metadata.uid)
      throw newConflict(
        kind,
        name,
        `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${cur.metadata.uid}`,
      );
    if (pre?.resourceVersion !== undefined && pre.resourceVersion !== cur.metadata.resourceVersion)
      throw newConflict(
        kind,
        name,
        `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${cur.metadata.resourceVersion}`,
      );
    if (kind === 'Namespace') return this.deleteNamespace(txn, cur);
    const policy = opts.propagationPolicy ?? 'Background';
    if (kind === 'Pod' && cur.kind === 'Pod') {
      let grace = opts.gracePeriodSeconds ?? cur.spec.terminationGracePeriodSeconds ?? 30;
      // Unscheduled and finished pods have nothing for a kubelet to stop.
      const phase = cur.status?.phase;
      if (!cur.spec.nodeName || phase === 'Succeeded' || phase === 'Failed') grace = 0;
      const already = cur.metadata.deletionGracePeriodSeconds;
      const held = (cur.metadata.finalizers?.length ?? 0) > 0;
      const shorter = already === undefined || grace < already;
      // Graceful (or held by a finalizer): mark it terminating; a later, shorter grace wins.
      if (grace > 0 || held) {
        if (!shorter) return cur;
        const next = cloneJSON(cur) as AnyObject;
        next.metadata.deletionTimestamp = timestamp(new Date(this.now().getTime() + grace * 1000));
        next.metadata.deletionGracePeriodSeconds = grace;
        return this.put(txn, kind, 'MODIFIED', next, cur);
      }
    }
    if ((cur.metadata.finalizers?.length ?? 0) > 0) {
      if (cur.metadata.deletionTimestamp) return cur;
      const next = cloneJSON(cur) as AnyObject;
      next.metadata.deletionTimestamp = timestamp(this.now());
      next.metadata.deletionGracePeriodSeconds = 0;
      return this.put(txn, kind, 'MODIFIED', next, cur);
    }
    if (cur.kind === 'Service') this.allocators.release(cur, txn.undo);
    const gone = this.put(txn, kind, 'DELETED', cloneJSON(cur) as AnyObject, undefined);
    this.collectDependents(txn, gone, policy);
    return gone;
  }

  private deleteNamespace(txn: Txn, ns: AnyObject): AnyObject {
    const name = ns.metadata.name!;
    if (immortalNamespaces.has(name))
      throw newForbidden('Namespace', name, 'this namespace may not be deleted');
    if (!ns.metadata.deletionTimestamp) {
      const next = cloneJSON(ns) as AnyObject;
      next.metadata.deletionTimestamp = timestamp(this.now());
      next.metadata.deletionGracePeriodSeconds = 0;
      (next as { status?: unknown }).status = { phase: 'Terminating' };
      ns = this.put(txn, 'Namespace', 'MODIFIED', next, ns);
    }
    // The namespace controller's job, done at once: delete the content, then the namespace.
    for (const [kind, m] of this.objects) {
      if (!kindInfo[kind].namespaced) continue;
      for (const o of [...m.values()])
        if (o.metadata.namespace === name) {
          if (o.kind === 'Service') this.allocators.release(o, txn.undo);
          this.put(txn, kind, 'DELETED', cloneJSON(o) as AnyObject, undefined);
        }
    }
    return this.put(txn, 'Namespace', 'DELETED', cloneJSON(ns) as AnyObject, undefined);
  }

  /** The garbage collector: dependents of a deleted owner are deleted (or orphaned). */
  private collectDependents(
    txn: Txn,
    owner: AnyObject,
    policy: NonNullable<DeleteOptions['propagationPolicy']>,
  ): void {
    const uid = owner.metadata.uid;
    if (!uid) return;
    for (const [kind, m] of this.objects) {
      for (const o of [...m.values()]) {
        const refs = o.metadata.ownerReferences;
        if (!refs?.some((r) => r.uid === uid)) continue;
        if (owner.metadata.namespace && o.metadata.namespace !== owner.metadata.namespace) continue;
        const rest = refs.filter((r) => r.uid !== uid);
        if (policy === 'Orphan' || rest.length > 0) {
          const next = cloneJSON(o) as AnyObject;
          if (rest.length > 0) next.metadata.ownerReferences = rest;
          else delete next.metadata.ownerReferences;
          this.put(txn, kind, 'MODIFIED', next, o);
        } else {
          this.deleteIn(txn, kind, o.metadata.name!, { namespace: o.metadata.namespace ?? 'default' });
        }
      }
    }
  }
}

/** The top-level fields of `input` that are not the stored object's own (same object or value). */
function changedFields(input: AnyObject, stored: AnyObject): AnyObject {
  const a = input as unknown as Record<string, unknown>;
  const b = stored as unknown as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k in a) if (a[k] !== b[k]) out[k] = a[k];
  return out as unknown as AnyObject;
}

/** The strategies' PrepareForCreate: status is the server's to write. */
function prepareForCreate(obj: AnyObject): void {
  const loose = obj as unknown as Record<string, unknown>;
  switch (obj.kind) {
    case 'Service':
      loose.status = { loadBalancer: {} };
      break;
    case 'Pod':
      loose.status = { phase: 'Pending', qosClass: 'BestEffort' };
      break;
    case 'Deployment':
    case 'ReplicaSet':
    case 'StatefulSet':
      loose.status = obj.kind === 'Deployment' ? {} : { replicas: 0 };
      break;
    default:
      break;
  }
}

/** Whether `e` is a write into a shared (frozen) part of a copy from copyForWrite. */
function sharedWriteFailed(kind: Kind, e: unknown): boolean {
  return kind !== 'Service' && e instanceof TypeError;
}

/** A frozen object's top copied (its values still shared); anything else as it is. */
function ownTop<T>(v: T): T {
  if (v === null || typeof v !== 'object' || !Object.isFrozen(v)) return v;
  return (Array.isArray(v) ? [...v] : { ...v }) as T;
}

/**
 * The private copy a write defaults, converts and stores: what the client made is copied, what it
 * passed on from the store (frozen) is shared, except where the write path itself writes: the
 * object's top and metadata, a Pod's status and a Node's spec (singular/plural conversion). A
 * Service is copied whole: allocation writes deep into its spec. Defaulting a shared part that
 * was stored defaulted writes nothing; should it write, the TypeError sends the write back to a
 * whole copy (sharedWriteFailed).
 */
function copyForWrite(kind: Kind, input: AnyObject): AnyObject {
  if (kind === 'Service') return cloneJSON(input);
  const src = input as unknown as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k in src) if (Object.hasOwn(src, k)) out[k] = cloneShared(src[k]);
  if (out.metadata !== undefined) out.metadata = ownTop(out.metadata);
  if (kind === 'Pod' && out.status !== undefined) out.status = ownTop(out.status);
  if (kind === 'Node' && out.spec !== undefined) out.spec = ownTop(out.spec);
  return out as unknown as AnyObject;
}
