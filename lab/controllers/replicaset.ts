// The ReplicaSet controller (pkg/controller/replicaset): keeps spec.replicas active Pods made from
// the template, each owned through a controller ownerReference; adopts orphans its selector matches
// and releases owned Pods it no longer matches; replaces Pods that are deleted or fail; scales down
// the least valuable Pods first (ActivePodsWithRanks); writes status as kubectl reads it. Pod events
// enqueue only their owner (orphans: the ReplicaSets of their namespace that select them).
import {
  cloneJSON,
  type LabelSelector,
  labelSelectorAsSelector,
  type OwnerReference,
  type Pod,
  type ReplicaSet,
} from '../../api/index.js';
import {
  type ControllerContext,
  indexControllerUID,
  indexPodLabels,
  labelPairKey,
  matchesSet,
  newQueue,
  podInformer,
  sameNamespace,
  wrote,
} from './context.js';
import { isPodReady } from './endpointslice.js';
import { type Informer, objectKey } from './informer.js';
import type { WorkQueue } from './workqueue.js';

/** burstReplicas: at most this many creates or deletes per sync. */
const burstReplicas = 500;

export function controllerRef(obj: {
  metadata: { ownerReferences?: OwnerReference[] };
}): OwnerReference | undefined {
  const refs = obj.metadata.ownerReferences;
  if (refs === undefined) return undefined;
  for (const r of refs) if (r.controller === true) return r;
  return undefined;
}

/** FilterActivePods: not finished, not being deleted. */
export function isPodActive(p: Pod): boolean {
  const phase = p.status?.phase;
  return phase !== 'Succeeded' && phase !== 'Failed' && !p.metadata.deletionTimestamp;
}

function readySince(p: Pod): number | undefined {
  const c = p.status?.conditions?.find((x) => x.type === 'Ready' && x.status === 'True');
  if (!c) return undefined;
  return c.lastTransitionTime ? Date.parse(c.lastTransitionTime) : 0;
}

/** podAvailability's answers without a wait (read-only: every sync asks it of each Pod). */
const notAvailable: { available: boolean; inMs?: number } = Object.freeze({ available: false });
const availableNow: { available: boolean; inMs?: number } = Object.freeze({ available: true });

/**
 * IsPodAvailable: Ready for at least minReadySeconds. Returns also how long until it will be, for a
 * requeue (undefined when it is not ready at all).
 */
export function podAvailability(
  p: Pod,
  minReadySeconds: number,
  now: number,
): { available: boolean; inMs?: number } {
  // Ready is all it takes without minReadySeconds: the transition time is not parsed.
  if (minReadySeconds <= 0) return isPodReady(p) ? availableNow : notAvailable;
  const since = readySince(p);
  if (since === undefined) return notAvailable;
  const at = since + minReadySeconds * 1000;
  return at <= now ? { available: true } : { available: false, inMs: at - now };
}

/** The candidate Pods of a selector: by its first matchLabels pair, else every Pod in the namespace. */
export function candidatePods(pods: Informer<'Pod'>, namespace: string, selector: LabelSelector): Pod[] {
  const keys = candidateKeys(pods, namespace, selector);
  const out: Pod[] = [];
  if (keys !== undefined) {
    for (const k of keys) {
      const p = pods.get(k);
      if (p) out.push(p);
    }
  } else for (const p of pods.values()) if ((p.metadata.namespace ?? 'default') === namespace) out.push(p);
  return out;
}

/**
 * The keys of a selector's candidate Pods, filed under its first matchLabels pair (live: read
 * before writing); undefined for a selector without matchLabels (every Pod of the namespace).
 */
function candidateKeys(
  pods: Informer<'Pod'>,
  namespace: string,
  selector: LabelSelector,
): ReadonlySet<string> | undefined {
  const ml = selector.matchLabels ?? {};
  let first: string | undefined;
  for (const k in ml) if (first === undefined || k < first) first = k;
  if (first === undefined) return undefined;
  return pods.indexKeys(indexPodLabels, labelPairKey(namespace, first, ml[first]!));
}

/** ActivePodsWithRanks' order: the Pods to delete first come first. */
function deletionOrder(a: Pod, b: Pod): number {
  const assigned = (p: Pod) => (p.spec.nodeName ? 1 : 0);
  if (assigned(a) !== assigned(b)) return assigned(a) - assigned(b);
  const phaseRank = (p: Pod) => ({ Pending: 0, Unknown: 1, Running: 2 })[p.status?.phase as string] ?? 0;
  if (phaseRank(a) !== phaseRank(b)) return phaseRank(a) - phaseRank(b);
  const ready = (p: Pod) => (isPodReady(p) ? 1 : 0);
  if (ready(a) !== ready(b)) return ready(a) - ready(b);
  const ra = readySince(a) ?? 0;
  const rb = readySince(b) ?? 0;
  if (ra !== rb) return rb - ra;
  const restarts = (p: Pod) =>
    (
      (p.status as { containerStatuses?: { restartCount?: number }[] } | undefined)?.containerStatuses ?? []
    ).reduce((n, c) => n + (c.restartCount ?? 0), 0);
  if (restarts(a) !== restarts(b)) return restarts(b) - restarts(a);
  const ca = a.metadata.creationTimestamp ?? '';
  const cb = b.metadata.creationTimestamp ?? '';
  if (ca !== cb) return ca < cb ? 1 : -1;
  return (a.metadata.name ?? '') < (b.metadata.name ?? '') ? 1 : -1;
}

type Owner = {
  apiVersion: string;
  kind: string;
  metadata: { name?: string; namespace?: string; uid?: string };
};

function controllerRefOf(owner: Owner): OwnerReference {
  return {
    apiVersion: owner.apiVersion,
    kind: owner.kind,
    name: owner.metadata.name ?? '',
    uid: owner.metadata.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}

/**
 * One frozen ownerReferences list per owner, found by its (stored, frozen) template: the Pods of
 * a ReplicaSet share it. Checked against the owner, as two owners may be given one template.
 */
const sharedRefs = new WeakMap<object, readonly OwnerReference[]>();

function sharedOwnerRefs(owner: Owner, template: object): OwnerReference[] {
  const have = sharedRefs.get(template)?.[0];
  if (
    have &&
    have.name === (owner.metadata.name ?? '') &&
    have.uid === (owner.metadata.uid ?? '') &&
    have.kind === owner.kind &&
    have.apiVersion === owner.apiVersion
  )
    return sharedRefs.get(template) as OwnerReference[];
  const refs = Object.freeze([Object.freeze(controllerRefOf(owner))]);
  sharedRefs.set(template, refs);
  return refs as OwnerReference[];
}

/**
 * A Pod from a template, owned by `owner` (controller.GetPodFromTemplate). With `share`, and a
 * template that is the store's (frozen), the Pod's spec and labels are the template's own and its
 * ownerReferences one list for all the owner's Pods: the store keeps them shared, so a
 * ReplicaSet's Pods hold one of each. The caller must then not change the Pod before creating it.
 */
export function podFromTemplate(
  owner: Owner,
  template: NonNullable<ReplicaSet['spec']['template']>,
  meta: { name?: string; generateName?: string },
  share = false,
): Pod {
  const tm = template.metadata ?? {};
  const shared = share && Object.isFrozen(template);
  const pod: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      ...meta,
      namespace: owner.metadata.namespace ?? 'default',
      ownerReferences: shared ? sharedOwnerRefs(owner, template) : [controllerRefOf(owner)],
    },
    spec: shared ? template.spec : cloneJSON(template.spec),
  };
  if (tm.labels) pod.metadata.labels = shared ? tm.labels : { ...tm.labels };
  if (tm.annotations) pod.metadata.annotations = { ...tm.annotations };
  if (tm.finalizers) pod.metadata.finalizers = [...tm.finalizers];
  return pod;
}

export class ReplicaSetController {
  readonly name = 'replicaset-controller';
  readonly queue: WorkQueue;
  readonly #ctx: ControllerContext;
  readonly #sets: Informer<'ReplicaSet'>;
  readonly #pods: Informer<'Pod'>;

  constructor(ctx: ControllerContext) {
    this.#ctx = ctx;
    this.queue = newQueue(ctx, this.name, (key) => this.sync(key));
    this.#sets = ctx.informers.informer('ReplicaSet');
    this.#sets.addIndexer('namespace', (rs) => [rs.metadata.namespace ?? 'default'], sameNamespace);
    this.#pods = podInformer(ctx);
    this.#sets.addEventHandler({
      onAdd: (rs) => this.queue.add(objectKey(rs)),
      onUpdate: (_o, rs) => this.queue.add(objectKey(rs)),
    });
    this.#pods.addEventHandler({
      onAdd: (p) => this.#podEvent(p),
      onUpdate: (o, p) => {
        const a = controllerRef(o);
        if (a && a.uid !== controllerRef(p)?.uid) this.#podEvent(o);
        this.#podEvent(p);
      },
      onDelete: (p) => this.#podEvent(p),
    });
  }

  #podEvent(p: Pod): void {
    const ns = p.metadata.namespace ?? 'default';
    const ref = controllerRef(p);
    if (ref) {
      if (ref.kind !== 'ReplicaSet') return;
      // The cache's key of the ReplicaSet it finds is this very key (one string, hashed once).
      const key = `${ns}/${ref.name}`;
      const rs = this.#sets.get(key);
      if (rs && rs.metadata.uid === ref.uid) this.queue.add(key);
      return;
    }
    if (p.metadata.deletionTimestamp) return;
    // An orphan: the ReplicaSets of its namespace whose selector matches it may adopt it.
    for (const rs of this.#sets.byIndex('namespace', ns))
      if (labelSelectorAsSelector(rs.spec.selector).matches(p.metadata.labels)) this.queue.add(objectKey(rs));
  }

  /** Adopts `p` if it is an orphan `selector` matches (ClaimPods), adding it to `active` if it is. */
  #adopt(rs: ReplicaSet, p: Pod, selector: ReturnType<typeof labelSelectorAsSelector>, active: Pod[]): void {
    if (controllerRef(p) || p.metadata.deletionTimestamp || !selector.matches(p.metadata.labels)) return;
    const ref = controllerRefOf(rs);
    const adopted = wrote(
      this.#ctx,
      this.#ctx.store.update({
        ...p,
        metadata: { ...p.metadata, ownerReferences: [...(p.metadata.ownerReferences ?? []), ref] },
      }),
    );
    if (isPodActive(adopted)) active.push(adopted);
  }

  sync(key: string): void {
    const rs = this.#sets.get(key);
    if (!rs || rs.metadata.deletionTimestamp) return;
    const { store, clock } = this.#ctx;
    const ns = rs.metadata.namespace ?? 'default';
    const selector = labelSelectorAsSelector(rs.spec.selector);
    const uid = rs.metadata.uid ?? '';
    // The owned Pods that are active (FilterActivePods of what ClaimPods returns), gathered as they
    // are claimed. The index sets are read live: the caches change only when a watch delivers.
    const active: Pod[] = [];
    // ClaimPods: release what no longer matches, adopt matching orphans.
    const ownedKeys = this.#pods.indexKeys(indexControllerUID, uid);
    for (const k of ownedKeys) {
      const p = this.#pods.get(k);
      if (!p) continue;
      if (selector.matches(p.metadata.labels)) {
        if (isPodActive(p)) active.push(p);
      } else if (!p.metadata.deletionTimestamp) {
        const refs = (p.metadata.ownerReferences ?? []).filter((r) => r.uid !== uid);
        wrote(this.#ctx, store.update({ ...p, metadata: { ...p.metadata, ownerReferences: refs } }));
      }
    }
    const candidates = candidateKeys(this.#pods, ns, rs.spec.selector);
    if (candidates !== undefined) {
      for (const k of candidates) {
        // A Pod filed under this ReplicaSet's uid has it as its controller: no orphan to adopt.
        if (ownedKeys.has(k)) continue;
        const p = this.#pods.get(k);
        if (p) this.#adopt(rs, p, selector, active);
      }
    } else
      for (const p of candidatePods(this.#pods, ns, rs.spec.selector)) this.#adopt(rs, p, selector, active);
    const want = rs.spec.replicas ?? 1;
    const diff = active.length - want;
    if (diff < 0 && rs.spec.template) {
      const n = Math.min(-diff, burstReplicas);
      for (let i = 0; i < n; i++)
        wrote(
          this.#ctx,
          store.create(podFromTemplate(rs, rs.spec.template, { generateName: `${rs.metadata.name}-` }, true)),
        );
    } else if (diff > 0) {
      const victims = [...active].sort(deletionOrder).slice(0, Math.min(diff, burstReplicas));
      for (const p of victims)
        wrote(this.#ctx, store.delete('Pod', p.metadata.name ?? '', { namespace: ns }));
    }
    // Status from what the caches held at the start, as the controller does (the next sync counts
    // what this one created).
    const now = clock.now();
    const minReady = rs.spec.minReadySeconds ?? 0;
    let ready = 0;
    let available = 0;
    let fullyLabeled = 0;
    let soonest: number | undefined;
    const templateLabels = rs.spec.template?.metadata?.labels ?? {};
    for (const p of active) {
      // A Pod made from the stored template holds the template's very labels.
      const labels = p.metadata.labels;
      if (labels === templateLabels || matchesSet(templateLabels, labels)) fullyLabeled++;
      const isReady = isPodReady(p);
      if (isReady) ready++;
      // Without minReadySeconds a ready Pod is available at once (no transition time to read).
      if (minReady <= 0) {
        if (isReady) available++;
        continue;
      }
      const a = podAvailability(p, minReady, now);
      if (a.available) available++;
      else if (a.inMs !== undefined) soonest = Math.min(soonest ?? a.inMs, a.inMs);
    }
    if (soonest !== undefined) this.queue.addAfter(key, soonest);
    const status: NonNullable<ReplicaSet['status']> = {
      replicas: active.length,
      fullyLabeledReplicas: fullyLabeled,
      readyReplicas: ready,
      availableReplicas: available,
      observedGeneration: rs.metadata.generation ?? 1,
    };
    const cur = rs.status ?? { replicas: 0 };
    if (
      cur.replicas !== status.replicas ||
      cur.fullyLabeledReplicas !== status.fullyLabeledReplicas ||
      cur.readyReplicas !== status.readyReplicas ||
      cur.availableReplicas !== status.availableReplicas ||
      cur.observedGeneration !== status.observedGeneration
    )
      wrote(this.#ctx, store.updateStatus({ ...rs, status: { ...cur, ...status } }));
  }
}
