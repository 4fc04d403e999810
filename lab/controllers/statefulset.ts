// The StatefulSet controller (pkg/controller/statefulset): Pods with stable identities `<set>-<i>`,
// each with hostname `<set>-<i>` and subdomain spec.serviceName, so the governing headless Service's
// DNS names (`db-0.db.default.svc.cluster.local`) point at the same ordinal whatever Pod carries it;
// a deleted Pod comes back under its own name. OrderedReady creates ordinal i+1 only once 0..i are
// Running and Ready (and available for minReadySeconds) and scales down from the highest ordinal,
// one at a time; Parallel creates and deletes at once. Each template is kept as a
// ControllerRevision named `<set>-<hash>`; a Pod's `controller-revision-hash` label names its
// revision. RollingUpdate replaces Pods from the highest ordinal down to the partition, one at a
// time, each only once the one before it is healthy again. Pod events enqueue only their owner.
import {
  type ControllerRevision,
  cloneJSON,
  deepEqual,
  labelSelectorAsSelector,
  type OwnerReference,
  type Pod,
  type PodTemplateSpec,
  type StatefulSet,
} from '../../api/index.js';
import {
  type ControllerContext,
  controllerUIDs,
  indexControllerUID,
  newQueue,
  podInformer,
  recordEvent,
  sameNamespace,
  sameOwners,
  wrote,
} from './context.js';
import { podTemplateHash } from './deployment.js';
import { isPodReady } from './endpointslice.js';
import { type Informer, objectKey } from './informer.js';
import { controllerRef, podAvailability, podFromTemplate } from './replicaset.js';
import type { WorkQueue } from './workqueue.js';

export const labelControllerRevisionHash = 'controller-revision-hash';
export const labelStatefulSetPodName = 'statefulset.kubernetes.io/pod-name';
export const labelPodIndex = 'apps.kubernetes.io/pod-index';

type StatefulSetStatus = NonNullable<StatefulSet['status']>;

/** getParentNameAndOrdinal: `web-3` -> {parent: 'web', ordinal: 3}; no ordinal -> -1. */
export function parentAndOrdinal(name: string): { parent: string; ordinal: number } {
  const m = /^(.*)-([0-9]+)$/.exec(name);
  if (!m) return { parent: '', ordinal: -1 };
  const n = Number(m[2]);
  return { parent: m[1]!, ordinal: Number.isSafeInteger(n) ? n : -1 };
}

const isFailed = (p: Pod) => p.status?.phase === 'Failed';
const isSucceeded = (p: Pod) => p.status?.phase === 'Succeeded';
const isTerminating = (p: Pod) => p.metadata.deletionTimestamp !== undefined;
const isRunningAndReady = (p: Pod) => p.status?.phase === 'Running' && isPodReady(p);
const isHealthy = (p: Pod) => isRunningAndReady(p) && !isTerminating(p);
const revisionOf = (p: Pod) => p.metadata.labels?.[labelControllerRevisionHash] ?? '';

/** The revision's data: a patch that puts this template back (`$patch: replace`), as upstream's getPatch. */
function revisionData(template: PodTemplateSpec): unknown {
  return { spec: { template: { ...cloneJSON(template), $patch: 'replace' } } };
}

/** ApplyRevision: the template a revision holds. */
function templateOf(rev: ControllerRevision): PodTemplateSpec | undefined {
  const t = (rev.data as { spec?: { template?: PodTemplateSpec & { $patch?: string } } } | undefined)?.spec
    ?.template;
  if (!t) return undefined;
  const { $patch: _patch, ...template } = t;
  return template as PodTemplateSpec;
}

function ownerRef(set: StatefulSet): OwnerReference {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    name: set.metadata.name ?? '',
    uid: set.metadata.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** What one reconcile of a set decides; status is written from it. */
interface Round {
  status: StatefulSetStatus;
  /** The soonest a Pod becomes available (minReadySeconds), for a requeue. */
  availableInMs?: number;
}

export class StatefulSetController {
  readonly name = 'statefulset-controller';
  readonly queue: WorkQueue;
  readonly #ctx: ControllerContext;
  readonly #sets: Informer<'StatefulSet'>;
  readonly #pods: Informer<'Pod'>;
  readonly #revisions: Informer<'ControllerRevision'>;

  constructor(ctx: ControllerContext) {
    this.#ctx = ctx;
    this.queue = newQueue(ctx, this.name, (key) => this.sync(key));
    this.#sets = ctx.informers.informer('StatefulSet');
    this.#sets.addIndexer('namespace', (s) => [s.metadata.namespace ?? 'default'], sameNamespace);
    this.#pods = podInformer(ctx);
    this.#revisions = ctx.informers.informer('ControllerRevision');
    this.#revisions.addIndexer(indexControllerUID, controllerUIDs, sameOwners);
    this.#sets.addEventHandler({
      onAdd: (s) => this.queue.add(objectKey(s)),
      onUpdate: (_o, s) => this.queue.add(objectKey(s)),
    });
    this.#pods.addEventHandler({
      onAdd: (p) => this.#podEvent(p),
      onUpdate: (o, p) => {
        if (controllerRef(o)?.uid !== controllerRef(p)?.uid) this.#podEvent(o);
        this.#podEvent(p);
      },
      onDelete: (p) => this.#podEvent(p),
    });
  }

  #podEvent(p: Pod): void {
    const ns = p.metadata.namespace ?? 'default';
    const ref = controllerRef(p);
    if (ref) {
      if (ref.kind !== 'StatefulSet') return;
      const set = this.#sets.get(`${ns}/${ref.name}`);
      if (set && set.metadata.uid === ref.uid) this.queue.add(objectKey(set));
      return;
    }
    if (p.metadata.deletionTimestamp) return;
    // An orphan named like one of a set's ordinals, which the set's selector matches, is adopted.
    const { parent } = parentAndOrdinal(p.metadata.name ?? '');
    const set = this.#sets.get(`${ns}/${parent}`);
    if (set && labelSelectorAsSelector(set.spec.selector).matches(p.metadata.labels))
      this.queue.add(objectKey(set));
  }

  sync(key: string): void {
    const set = this.#sets.get(key);
    if (!set) return;
    const pods = this.#claimPods(set);
    const { current, update, collisionCount } = this.#revisionsOf(set);
    const round = this.#update(set, current, update, collisionCount, pods);
    this.#truncateHistory(set, pods, current, update);
    if (round.availableInMs !== undefined) this.queue.addAfter(key, round.availableInMs);
    this.#writeStatus(set, round.status);
  }

  /** ClaimPods: owned Pods that still match and are named for this set; matching orphans adopted. */
  #claimPods(set: StatefulSet): Pod[] {
    const { store } = this.#ctx;
    const uid = set.metadata.uid ?? '';
    const ns = set.metadata.namespace ?? 'default';
    const name = set.metadata.name ?? '';
    const selector = labelSelectorAsSelector(set.spec.selector);
    const isMember = (p: Pod) => parentAndOrdinal(p.metadata.name ?? '').parent === name;
    const out: Pod[] = [];
    for (const p of this.#pods.byIndex(indexControllerUID, uid)) {
      if (selector.matches(p.metadata.labels) && isMember(p)) out.push(p);
      else if (!isTerminating(p)) {
        const refs = (p.metadata.ownerReferences ?? []).filter((r) => r.uid !== uid);
        wrote(this.#ctx, store.update({ ...p, metadata: { ...p.metadata, ownerReferences: refs } }));
      }
    }
    // Orphans can only be this set's if they carry one of its names: look those up, no scan.
    const replicas = set.spec.replicas ?? 1;
    const start = set.spec.ordinals?.start ?? 0;
    for (let ord = start; ord < start + replicas; ord++) {
      const p = this.#pods.get(`${ns}/${name}-${ord}`);
      if (!p || controllerRef(p) || isTerminating(p) || !selector.matches(p.metadata.labels)) continue;
      const adopted = wrote(
        this.#ctx,
        store.update({
          ...p,
          metadata: {
            ...p.metadata,
            ownerReferences: [...(p.metadata.ownerReferences ?? []), ownerRef(set)],
          },
        }),
      );
      out.push(adopted);
    }
    return out;
  }

  /**
   * getStatefulSetRevisions: the revision of the set's template now (created if new; an older equal
   * one is brought forward with the next revision number, a rollback) and the revision the set's
   * status names as current (the update revision when there is none yet).
   */
  #revisionsOf(set: StatefulSet): {
    current: ControllerRevision;
    update: ControllerRevision;
    collisionCount: number;
  } {
    const { store } = this.#ctx;
    const ns = set.metadata.namespace ?? 'default';
    const revisions = this.#revisions
      .byIndex(indexControllerUID, set.metadata.uid ?? '')
      .sort(
        (a, b) => a.revision - b.revision || ((a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : 1),
      );
    const data = revisionData(set.spec.template);
    const next = (revisions[revisions.length - 1]?.revision ?? 0) + 1;
    let collisionCount = set.status?.collisionCount ?? 0;
    let update: ControllerRevision | undefined;
    const equal = revisions.filter((r) => deepEqual(r.data, data));
    const last = revisions[revisions.length - 1];
    if (equal.length > 0 && last && equal[equal.length - 1] === last) update = last;
    else if (equal.length > 0) {
      const r = equal[equal.length - 1]!;
      update = wrote(this.#ctx, store.update({ ...r, revision: next }));
    } else {
      for (;;) {
        const name = `${set.metadata.name}-${podTemplateHash(set.spec.template, collisionCount)}`;
        const taken = this.#revisions.get(`${ns}/${name}`) ?? store.find('ControllerRevision', name, ns);
        if (taken && !deepEqual(taken.data, data)) {
          // A hash collision with another template: the collision count changes the name.
          collisionCount++;
          continue;
        }
        if (taken) {
          update = taken;
          break;
        }
        update = wrote(
          this.#ctx,
          store.create<ControllerRevision>({
            apiVersion: 'apps/v1',
            kind: 'ControllerRevision',
            metadata: {
              name,
              namespace: ns,
              ...(set.spec.template.metadata?.labels
                ? { labels: { ...set.spec.template.metadata.labels } }
                : {}),
              ...(set.metadata.annotations ? { annotations: { ...set.metadata.annotations } } : {}),
              ownerReferences: [ownerRef(set)],
            },
            data,
            revision: next,
          }),
        );
        break;
      }
    }
    const current = revisions.find((r) => r.metadata.name === set.status?.currentRevision) ?? update;
    return { current, update, collisionCount };
  }

  /** newVersionedStatefulSetPod: below the partition a missing Pod comes back at the current revision. */
  #newPod(set: StatefulSet, current: ControllerRevision, update: ControllerRevision, ordinal: number): Pod {
    const start = set.spec.ordinals?.start ?? 0;
    const strategy = set.spec.updateStrategy;
    const partition = strategy?.rollingUpdate?.partition ?? 0;
    const atCurrent =
      current.metadata.name !== update.metadata.name &&
      (strategy?.type ?? 'RollingUpdate') === 'RollingUpdate' &&
      ordinal < start + partition;
    const rev = atCurrent ? current : update;
    const template = templateOf(rev) ?? set.spec.template;
    const name = `${set.metadata.name}-${ordinal}`;
    const pod = podFromTemplate(set, template, { name });
    pod.metadata.labels = {
      ...pod.metadata.labels,
      [labelStatefulSetPodName]: name,
      [labelPodIndex]: String(ordinal),
      [labelControllerRevisionHash]: rev.metadata.name ?? '',
    };
    // updateIdentity: the stable network identity under the governing Service.
    pod.spec.hostname = name;
    pod.spec.subdomain = set.spec.serviceName ?? '';
    if (!pod.spec.subdomain) delete pod.spec.subdomain;
    return pod;
  }

  /** updateStatefulSet: one step towards spec.replicas healthy Pods at the right revisions. */
  #update(
    set: StatefulSet,
    current: ControllerRevision,
    update: ControllerRevision,
    collisionCount: number,
    pods: Pod[],
  ): Round {
    const { store, clock } = this.#ctx;
    const ns = set.metadata.namespace ?? 'default';
    const now = clock.now();
    const minReady = set.spec.minReadySeconds ?? 0;
    const currentName = current.metadata.name ?? '';
    const updateName = update.metadata.name ?? '';
    const status: StatefulSetStatus = {
      observedGeneration: set.metadata.generation ?? 1,
      replicas: 0,
      readyReplicas: 0,
      currentReplicas: 0,
      updatedReplicas: 0,
      availableReplicas: 0,
      currentRevision: currentName,
      updateRevision: updateName,
      collisionCount,
    };
    const round: Round = { status };
    const count = (p: Pod, by: 1 | -1) => {
      if (revisionOf(p) === currentName) status.currentReplicas! += by;
      if (revisionOf(p) === updateName) status.updatedReplicas! += by;
    };
    const available = (p: Pod) => {
      if (!isRunningAndReady(p)) return false;
      const a = podAvailability(p, minReady, now);
      if (!a.available && a.inMs !== undefined)
        round.availableInMs = Math.min(round.availableInMs ?? a.inMs, a.inMs);
      return a.available;
    };

    const start = set.spec.ordinals?.start ?? 0;
    const replicaCount = set.spec.replicas ?? 1;
    const replicas: (Pod | undefined)[] = new Array(replicaCount).fill(undefined);
    const condemned: Pod[] = [];
    for (const p of pods) {
      status.replicas++;
      if (isRunningAndReady(p)) {
        status.readyReplicas!++;
        if (available(p)) status.availableReplicas!++;
      }
      if (!isTerminating(p)) count(p, 1);
      const { ordinal } = parentAndOrdinal(p.metadata.name ?? '');
      if (ordinal >= start && ordinal < start + replicaCount) replicas[ordinal - start] = p;
      else if (ordinal >= 0) condemned.push(p);
    }
    condemned.sort(
      (a, b) =>
        parentAndOrdinal(a.metadata.name ?? '').ordinal - parentAndOrdinal(b.metadata.name ?? '').ordinal,
    );
    let firstUnhealthy: Pod | undefined;
    for (const p of [...replicas, ...condemned]) {
      if (!p || isHealthy(p)) continue;
      if (
        !firstUnhealthy ||
        parentAndOrdinal(p.metadata.name ?? '').ordinal <
          parentAndOrdinal(firstUnhealthy.metadata.name ?? '').ordinal
      )
        firstUnhealthy = p;
    }
    if (set.metadata.deletionTimestamp) return round;
    const monotonic = (set.spec.podManagementPolicy ?? 'OrderedReady') !== 'Parallel';
    // StatefulPodControl: each create and delete recorded as an Event on the set.
    const event = (verb: 'Create' | 'Delete', pod: Pod, err?: unknown) =>
      err === undefined
        ? recordEvent(
            this.#ctx,
            this.name,
            set,
            'Normal',
            `Successful${verb}`,
            `${verb.toLowerCase()} Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} successful`,
          )
        : recordEvent(
            this.#ctx,
            this.name,
            set,
            'Warning',
            `Failed${verb}`,
            `${verb.toLowerCase()} Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} failed error: ${(err as Error).message}`,
          );
    const del = (p: Pod) => {
      try {
        wrote(this.#ctx, store.delete('Pod', p.metadata.name ?? '', { namespace: ns }));
      } catch (e) {
        event('Delete', p, e);
        throw e;
      }
      event('Delete', p);
    };
    const create = (p: Pod) => {
      try {
        const out = wrote(this.#ctx, store.create(p));
        event('Create', out);
        return out;
      } catch (e) {
        event('Create', p, e);
        throw e;
      }
    };

    for (let i = 0; i < replicaCount; i++) {
      let p = replicas[i];
      // A finished Pod (Failed, or Succeeded: a set's Pods are meant to run) is deleted and made anew.
      if (p && (isFailed(p) || isSucceeded(p)) && !isTerminating(p)) {
        recordEvent(
          this.#ctx,
          this.name,
          set,
          'Warning',
          'RecreatingFailedPod',
          `StatefulSet ${ns}/${set.metadata.name} is recreating ${isFailed(p) ? 'failed' : 'succeeded'} Pod ${p.metadata.name}`,
        );
        del(p);
        count(p, -1);
        status.replicas--;
        p = undefined;
        replicas[i] = undefined;
      }
      if (!p) {
        const pod = create(this.#newPod(set, current, update, start + i));
        replicas[i] = pod;
        status.replicas++;
        count(pod, 1);
        if (monotonic) return round;
        continue;
      }
      // Graceful deletion must end before the ordinal is used again.
      if (isTerminating(p) && monotonic) return round;
      // Every predecessor Running, Ready and available before the next ordinal.
      if (monotonic && !(isRunningAndReady(p) && available(p))) return round;
      // identityMatches: the pod-name label the per-Pod Service selectors use.
      if (p.metadata.labels?.[labelStatefulSetPodName] !== p.metadata.name && !isTerminating(p)) {
        wrote(
          this.#ctx,
          store.update({
            ...p,
            metadata: {
              ...p.metadata,
              labels: {
                ...p.metadata.labels,
                [labelStatefulSetPodName]: p.metadata.name ?? '',
                [labelPodIndex]: String(start + i),
              },
            },
          }),
        );
      }
    }

    // Scale down from the highest ordinal; in OrderedReady one at a time, after the rest are healthy.
    for (let t = condemned.length - 1; t >= 0; t--) {
      const p = condemned[t]!;
      if (isTerminating(p)) {
        if (monotonic) return round;
        continue;
      }
      if (monotonic && !isRunningAndReady(p) && p !== firstUnhealthy) return round;
      del(p);
      count(p, -1);
      if (monotonic) return round;
    }

    if (set.spec.updateStrategy?.type === 'OnDelete') return round;
    // RollingUpdate: the highest ordinal not at the update revision goes first, down to the partition,
    // each only after the Pods above it are healthy at the new revision.
    const partition = set.spec.updateStrategy?.rollingUpdate?.partition ?? 0;
    for (let t = replicaCount - 1; t >= partition; t--) {
      const p = replicas[t]!;
      if (revisionOf(p) !== updateName && !isTerminating(p)) {
        del(p);
        status.currentReplicas!--;
        return round;
      }
      if (!isHealthy(p)) return round;
    }
    return round;
  }

  /** truncateHistory: revisions no Pod uses, beyond revisionHistoryLimit, oldest first, are deleted. */
  #truncateHistory(
    set: StatefulSet,
    pods: Pod[],
    current: ControllerRevision,
    update: ControllerRevision,
  ): void {
    const live = new Set([current.metadata.name, update.metadata.name]);
    for (const p of pods) live.add(revisionOf(p));
    const old = this.#revisions
      .byIndex(indexControllerUID, set.metadata.uid ?? '')
      .filter((r) => !live.has(r.metadata.name))
      .sort((a, b) => a.revision - b.revision);
    const limit = set.spec.revisionHistoryLimit ?? 10;
    const ns = set.metadata.namespace ?? 'default';
    for (const r of old.slice(0, Math.max(0, old.length - limit)))
      wrote(
        this.#ctx,
        this.#ctx.store.delete('ControllerRevision', r.metadata.name ?? '', { namespace: ns }),
      );
  }

  /** updateStatefulSetStatus: a finished rolling update makes the update revision current. */
  #writeStatus(set: StatefulSet, status: StatefulSetStatus): void {
    const replicas = set.spec.replicas ?? 1;
    if (
      (set.spec.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate' &&
      status.updatedReplicas === replicas &&
      status.readyReplicas === replicas &&
      status.replicas === replicas
    ) {
      status.currentReplicas = status.updatedReplicas;
      status.currentRevision = status.updateRevision!;
    }
    const cur = set.status ?? { replicas: 0 };
    const keys = Object.keys(status) as (keyof StatefulSetStatus)[];
    if (keys.every((k) => cur[k] === status[k])) return;
    wrote(this.#ctx, this.#ctx.store.updateStatus({ ...set, status: { ...cur, ...status } }));
  }
}
