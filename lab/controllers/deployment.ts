// The Deployment controller (pkg/controller/deployment): one ReplicaSet per pod template, named
// `<deployment>-<pod-template-hash>` with the hash in its labels and selector; revisions in the
// `deployment.kubernetes.io/revision` annotation; RollingUpdate within maxSurge/maxUnavailable gated
// on the ReplicaSets' available Pods (readiness held for minReadySeconds), Recreate (old Pods gone
// before new ones start), pause, and the status and conditions `kubectl rollout status` reads.
import {
  cloneJSON,
  type Deployment,
  deepEqual,
  type IntOrString,
  labelSelectorAsSelector,
  type OwnerReference,
  type PodTemplateSpec,
  type ReplicaSet,
} from '../../api/index.js';
import { fnv1a } from '../../std/index.js';
import {
  type ControllerContext,
  controllerUIDs,
  indexControllerUID,
  newQueue,
  podInformer,
  sameNamespace,
  sameOwners,
  wrote,
} from './context.js';
import { type Informer, objectKey } from './informer.js';
import { controllerRef } from './replicaset.js';
import type { WorkQueue } from './workqueue.js';

export const labelPodTemplateHash = 'pod-template-hash';
/** Index of ReplicaSets without a controller, by namespace. */
const indexOrphanNamespace = 'orphan-namespace';
export const annotationRevision = 'deployment.kubernetes.io/revision';
export const annotationDesiredReplicas = 'deployment.kubernetes.io/desired-replicas';
export const annotationMaxReplicas = 'deployment.kubernetes.io/max-replicas';

export interface DeploymentCondition {
  type: 'Available' | 'Progressing' | 'ReplicaFailure';
  status: 'True' | 'False' | 'Unknown';
  lastUpdateTime?: string;
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

type DeploymentStatus = NonNullable<Deployment['status']> & {
  conditions?: DeploymentCondition[];
  collisionCount?: number;
};

/**
 * JSON with sorted keys: the same template always hashes the same. Appended to one string (no
 * array of parts per object and array): every new ReplicaSet hashes its whole template.
 */
function canonical(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) {
    let out = '[';
    for (let i = 0; i < v.length; i++) out += (i > 0 ? ',' : '') + canonical(v[i]);
    return `${out}]`;
  }
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o).sort();
  let out = '{';
  let first = true;
  for (const k of keys) {
    const x = o[k];
    if (x === undefined) continue;
    out += `${first ? '' : ','}${JSON.stringify(k)}:${canonical(x)}`;
    first = false;
  }
  return `${out}}`;
}

const alphanums = 'bcdfghjklmnpqrstvwxz2456789';

/**
 * controller.ComputeHash: a 32-bit FNV-1a of the template (and the collision count), printed in
 * decimal and passed through rand.SafeEncodeString, so it reads like the real ones (`7d4b9c8f5`).
 * The real one hashes Go's printing of the struct; this hashes canonical JSON.
 */
export function podTemplateHash(template: PodTemplateSpec, collisionCount?: number): string {
  const text = canonical(template) + (collisionCount ? `#${collisionCount}` : '');
  const decimal = String(fnv1a(text));
  let out = '';
  for (let i = 0; i < decimal.length; i++) out += alphanums[decimal.charCodeAt(i) % alphanums.length];
  return out;
}

/** A template without the pod-template-hash label (a copy). */
function stripHash(t: PodTemplateSpec | undefined): PodTemplateSpec {
  const c = cloneJSON(t ?? { spec: { containers: [] } });
  if (c.metadata?.labels) {
    delete c.metadata.labels[labelPodTemplateHash];
    if (Object.keys(c.metadata.labels).length === 0) delete c.metadata.labels;
  }
  return c;
}

/**
 * equalIgnoreHash's answers for pairs of stored (frozen, so unchanging) templates: a Deployment's
 * sync compares its template with each of its ReplicaSets', and most syncs compare the same pair.
 */
const equalTemplates = new WeakMap<object, WeakMap<object, boolean>>();

/** EqualIgnoreHash: the templates without the pod-template-hash label. */
function equalIgnoreHash(a: PodTemplateSpec | undefined, b: PodTemplateSpec | undefined): boolean {
  if (!a || !b || !Object.isFrozen(a) || !Object.isFrozen(b)) return deepEqual(stripHash(a), stripHash(b));
  let known = equalTemplates.get(a);
  let same = known?.get(b);
  if (same === undefined) {
    same = deepEqual(stripHash(a), stripHash(b));
    if (!known) {
      known = new WeakMap();
      equalTemplates.set(a, known);
    }
    known.set(b, same);
  }
  return same;
}

/**
 * The percent of an IntOrString text (`25%` is 25), or NaN for a text that is not one, by text:
 * every sync resolves its Deployment's fenceposts, and nearly all say the same few texts.
 */
const percents = new Map<string, number>();

function percentOf(v: string): number {
  let n = percents.get(v);
  if (n === undefined) {
    const m = /^(\d+)%$/.exec(v);
    n = m ? Number(m[1]) : Number.NaN;
    if (percents.size >= 1000) percents.clear();
    percents.set(v, n);
  }
  return n;
}

/** intstr.GetScaledValueFromIntOrPercent. */
function scaled(v: IntOrString | undefined, total: number, roundUp: boolean): number {
  if (v === undefined) return 0;
  if (typeof v === 'number') return v;
  const pct = percentOf(v);
  if (Number.isNaN(pct)) return Number.parseInt(v, 10) || 0;
  const x = (pct * total) / 100;
  return roundUp ? Math.ceil(x) : Math.floor(x);
}

let lastNowSecond = Number.NaN;
let lastNow = '';
/** A condition's time: RFC 3339 to the second, the string reused within a second (every sync makes one). */
function conditionTime(ms: number): string {
  const sec = Math.floor(ms / 1000);
  if (sec !== lastNowSecond) {
    lastNowSecond = sec;
    lastNow = new Date(sec * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  }
  return lastNow;
}

/** ResolveFenceposts: maxSurge rounds up, maxUnavailable down; both 0 means one unavailable. */
export function resolveFenceposts(d: Deployment): { maxSurge: number; maxUnavailable: number } {
  const ru = d.spec.strategy?.rollingUpdate;
  const replicas = d.spec.replicas ?? 1;
  const maxSurge = scaled(ru?.maxSurge ?? '25%', replicas, true);
  let maxUnavailable = scaled(ru?.maxUnavailable ?? '25%', replicas, false);
  if (maxSurge === 0 && maxUnavailable === 0) maxUnavailable = 1;
  return { maxSurge, maxUnavailable };
}

function revisionOf(rs: ReplicaSet): number {
  return Number(rs.metadata.annotations?.[annotationRevision] ?? 0) || 0;
}

const specReplicas = (rs: ReplicaSet) => rs.spec.replicas ?? 0;
const sum = (list: readonly ReplicaSet[], f: (rs: ReplicaSet) => number) =>
  list.reduce((n, rs) => n + f(rs), 0);
const byCreation = (a: ReplicaSet, b: ReplicaSet) => {
  const x = a.metadata.creationTimestamp ?? '';
  const y = b.metadata.creationTimestamp ?? '';
  return x !== y ? (x < y ? -1 : 1) : (a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : 1;
};

/** The order status.conditions lists them in. */
const conditionOrder: readonly DeploymentCondition['type'][] = ['Available', 'Progressing', 'ReplicaFailure'];

/** SetDeploymentCondition: a condition that changes gets now as its update (and transition) time. */
function setCondition(
  conds: Map<DeploymentCondition['type'], DeploymentCondition>,
  now: string,
  c: DeploymentCondition,
): void {
  const have = conds.get(c.type);
  if (have && have.status === c.status && have.reason === c.reason && have.message === c.message) return;
  conds.set(c.type, {
    ...c,
    lastUpdateTime: now,
    lastTransitionTime: have && have.status === c.status ? (have.lastTransitionTime ?? now) : now,
  });
}

export class DeploymentController {
  readonly name = 'deployment-controller';
  readonly queue: WorkQueue;
  readonly #ctx: ControllerContext;
  readonly #deployments: Informer<'Deployment'>;
  readonly #sets: Informer<'ReplicaSet'>;

  constructor(ctx: ControllerContext) {
    this.#ctx = ctx;
    this.queue = newQueue(ctx, this.name, (key) => this.sync(key));
    this.#deployments = ctx.informers.informer('Deployment');
    this.#deployments.addIndexer('namespace', (d) => [d.metadata.namespace ?? 'default'], sameNamespace);
    this.#sets = ctx.informers.informer('ReplicaSet');
    this.#sets.addIndexer(indexControllerUID, controllerUIDs, sameOwners);
    // ReplicaSets without a controller, by namespace: the only ones a Deployment may adopt, found
    // without a scan of every ReplicaSet.
    this.#sets.addIndexer(
      indexOrphanNamespace,
      (rs) => (controllerRef(rs) ? [] : [rs.metadata.namespace ?? 'default']),
      (o, rs) => sameOwners(o, rs) && sameNamespace(o, rs),
    );
    const pods = podInformer(ctx);
    this.#deployments.addEventHandler({
      onAdd: (d) => this.queue.add(objectKey(d)),
      onUpdate: (_o, d) => this.queue.add(objectKey(d)),
    });
    const rsEvent = (rs: ReplicaSet) => {
      const ns = rs.metadata.namespace ?? 'default';
      const ref = controllerRef(rs);
      if (ref) {
        if (ref.kind === 'Deployment') this.queue.add(`${ns}/${ref.name}`);
        return;
      }
      for (const d of this.#deployments.byIndex('namespace', ns))
        if (labelSelectorAsSelector(d.spec.selector).matches(rs.metadata.labels))
          this.queue.add(objectKey(d));
    };
    this.#sets.addEventHandler({
      onAdd: rsEvent,
      onUpdate: (o, rs) => {
        if (controllerRef(o)?.uid !== controllerRef(rs)?.uid) rsEvent(o);
        rsEvent(rs);
      },
      onDelete: rsEvent,
    });
    // Recreate waits for the old Pods to be gone: their deletion brings the Deployment back.
    pods.addEventHandler({
      onDelete: (p) => {
        const ref = controllerRef(p);
        if (ref?.kind !== 'ReplicaSet') return;
        const rs = this.#sets.get(`${p.metadata.namespace ?? 'default'}/${ref.name}`);
        if (rs) rsEvent(rs);
      },
    });
    this.#pods = pods;
  }

  readonly #pods: Informer<'Pod'>;

  sync(key: string): void {
    const d = this.#deployments.get(key);
    if (!d || d.metadata.deletionTimestamp) return;
    const all = this.#claimReplicaSets(d);
    // The oldest ReplicaSet whose template is the Deployment's (FindNewReplicaSet).
    let newRS: ReplicaSet | undefined;
    for (const rs of all)
      if (
        equalIgnoreHash(rs.spec.template, d.spec.template) &&
        (newRS === undefined || byCreation(rs, newRS) < 0)
      )
        newRS = rs;
    const old = all.filter((rs) => rs !== newRS);
    if (d.spec.paused) {
      // A paused Deployment only scales: the current ReplicaSet follows spec.replicas.
      const only = all.filter((rs) => specReplicas(rs) > 0);
      if (newRS && only.length <= 1 && specReplicas(newRS) !== (d.spec.replicas ?? 1))
        this.#scale(newRS, d.spec.replicas ?? 1, d);
      this.#syncStatus(d, all, newRS, undefined);
      return;
    }
    if (d.spec.strategy?.type === 'Recreate') this.#recreate(d, all, newRS, old);
    else this.#rolling(d, all, newRS, old);
  }

  /** ClaimReplicaSets: owned ones that still match, plus matching orphans adopted. */
  #claimReplicaSets(d: Deployment): ReplicaSet[] {
    const uid = d.metadata.uid ?? '';
    const ns = d.metadata.namespace ?? 'default';
    const selector = labelSelectorAsSelector(d.spec.selector);
    const out = this.#sets
      .byIndex(indexControllerUID, uid)
      .filter((rs) => selector.matches(rs.metadata.labels));
    for (const rs of this.#sets.byIndex(indexOrphanNamespace, ns)) {
      if (rs.metadata.deletionTimestamp) continue;
      if (!selector.matches(rs.metadata.labels)) continue;
      const ref: OwnerReference = {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        name: d.metadata.name ?? '',
        uid,
        controller: true,
        blockOwnerDeletion: true,
      };
      out.push(
        wrote(
          this.#ctx,
          this.#ctx.store.update({
            ...rs,
            metadata: { ...rs.metadata, ownerReferences: [...(rs.metadata.ownerReferences ?? []), ref] },
          }),
        ),
      );
    }
    return out;
  }

  /** getNewReplicaSet(createIfNotExisted): creates it, or bumps an old one's revision back to the top. */
  #ensureNewRS(
    d: Deployment,
    newRS: ReplicaSet | undefined,
    old: ReplicaSet[],
    replicas: number,
  ): ReplicaSet {
    const maxOld = old.reduce((m, rs) => Math.max(m, revisionOf(rs)), 0);
    const revision = String(maxOld + 1);
    const { maxSurge } = resolveFenceposts(d);
    const want = d.spec.replicas ?? 1;
    if (newRS) {
      if (revisionOf(newRS) > maxOld) return newRS;
      const annotations = { ...(newRS.metadata.annotations ?? {}), [annotationRevision]: revision };
      return wrote(
        this.#ctx,
        this.#ctx.store.update({ ...newRS, metadata: { ...newRS.metadata, annotations } }),
      );
    }
    const status = (d.status ?? {}) as DeploymentStatus;
    const hash = podTemplateHash(d.spec.template, status.collisionCount);
    // A stored Deployment's template (frozen) lends the new ReplicaSet its parts, spec included:
    // the store keeps frozen parts shared, so they are neither copied nor walked again. Only the
    // metadata, which gets the hash label, is the ReplicaSet's own.
    const template = Object.isFrozen(d.spec.template) ? { ...d.spec.template } : cloneJSON(d.spec.template);
    template.metadata = { ...(template.metadata ?? {}) };
    template.metadata.labels = { ...(template.metadata.labels ?? {}), [labelPodTemplateHash]: hash };
    const rs: ReplicaSet = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name: `${d.metadata.name}-${hash}`,
        namespace: d.metadata.namespace ?? 'default',
        labels: { ...template.metadata.labels },
        annotations: {
          [annotationDesiredReplicas]: String(want),
          [annotationMaxReplicas]: String(want + (d.spec.strategy?.type === 'Recreate' ? 0 : maxSurge)),
          [annotationRevision]: revision,
        },
        ownerReferences: [
          {
            apiVersion: 'apps/v1',
            kind: 'Deployment',
            name: d.metadata.name ?? '',
            uid: d.metadata.uid ?? '',
            controller: true,
            blockOwnerDeletion: true,
          },
        ],
      },
      spec: {
        replicas,
        minReadySeconds: d.spec.minReadySeconds ?? 0,
        selector: {
          ...d.spec.selector,
          matchLabels: { ...(d.spec.selector.matchLabels ?? {}), [labelPodTemplateHash]: hash },
        },
        template,
      },
    };
    return wrote(this.#ctx, this.#ctx.store.create(rs));
  }

  #scale(rs: ReplicaSet, replicas: number, d: Deployment): ReplicaSet {
    const { maxSurge } = resolveFenceposts(d);
    const want = d.spec.replicas ?? 1;
    const annotations = {
      ...(rs.metadata.annotations ?? {}),
      [annotationDesiredReplicas]: String(want),
      [annotationMaxReplicas]: String(want + (d.spec.strategy?.type === 'Recreate' ? 0 : maxSurge)),
    };
    const minReadySeconds = d.spec.minReadySeconds ?? 0;
    if (
      specReplicas(rs) === replicas &&
      deepEqual(annotations, rs.metadata.annotations) &&
      (rs.spec.minReadySeconds ?? 0) === minReadySeconds
    )
      return rs;
    return wrote(
      this.#ctx,
      this.#ctx.store.update({
        ...rs,
        metadata: { ...rs.metadata, annotations },
        spec: { ...rs.spec, replicas, minReadySeconds },
      }),
    );
  }

  #rolling(d: Deployment, all: ReplicaSet[], newRS: ReplicaSet | undefined, old: ReplicaSet[]): void {
    const want = d.spec.replicas ?? 1;
    const { maxSurge, maxUnavailable } = resolveFenceposts(d);
    // NewRSNewReplicas: up to replicas + maxSurge Pods in all.
    const current = sum(all, specReplicas);
    const newCount = newRS ? specReplicas(newRS) : 0;
    let target = newCount;
    if (newCount > want) target = want;
    else if (newCount < want) {
      const room = want + maxSurge - current;
      if (room > 0) target = newCount + Math.min(room, want - newCount);
    }
    let created = false;
    if (!newRS) {
      newRS = this.#ensureNewRS(d, undefined, old, target);
      created = true;
    } else {
      newRS = this.#ensureNewRS(d, newRS, old, target);
      newRS = this.#scale(newRS, target, d);
    }
    // reconcileOldReplicaSets: scale old ones down while minAvailable Pods stay available.
    const oldLive = old.filter((rs) => specReplicas(rs) > 0).sort(byCreation);
    if (oldLive.length > 0) {
      const allPods = specReplicas(newRS) + sum(old, specReplicas);
      const minAvailable = want - maxUnavailable;
      const newUnavailable = specReplicas(newRS) - (newRS.status?.availableReplicas ?? 0);
      const maxScaledDown = allPods - minAvailable - newUnavailable;
      if (maxScaledDown > 0) {
        // cleanupUnhealthyReplicas: first the old Pods that are not available anyway.
        let cleaned = 0;
        const after = new Map<ReplicaSet, number>();
        for (const rs of oldLive) {
          if (cleaned >= maxScaledDown) break;
          const unhealthy = specReplicas(rs) - (rs.status?.availableReplicas ?? 0);
          if (unhealthy <= 0) continue;
          const n = Math.min(maxScaledDown - cleaned, unhealthy);
          after.set(rs, specReplicas(rs) - n);
          cleaned += n;
        }
        // scaleDownOldReplicaSetsForRollingUpdate: then available ones beyond minAvailable.
        const available = sum(all, (rs) => rs.status?.availableReplicas ?? 0);
        let budget = available - minAvailable;
        for (const rs of oldLive) {
          if (budget <= 0) break;
          const now = after.get(rs) ?? specReplicas(rs);
          if (now === 0) continue;
          const n = Math.min(now, budget);
          after.set(rs, now - n);
          budget -= n;
        }
        for (const [rs, n] of after) this.#scale(rs, n, d);
      }
    }
    this.#cleanup(d, old);
    this.#syncStatus(d, all, newRS, created);
  }

  #recreate(d: Deployment, all: ReplicaSet[], newRS: ReplicaSet | undefined, old: ReplicaSet[]): void {
    let scaledDown = false;
    for (const rs of old)
      if (specReplicas(rs) > 0) {
        this.#scale(rs, 0, d);
        scaledDown = true;
      }
    // Old Pods still exist (terminating included): wait for them to be gone.
    const oldPodsRunning = old.some((rs) =>
      this.#pods.byIndex(indexControllerUID, rs.metadata.uid ?? '').some((p) => {
        const phase = p.status?.phase;
        return phase !== 'Succeeded' && phase !== 'Failed';
      }),
    );
    if (scaledDown || oldPodsRunning) {
      this.#syncStatus(d, all, newRS, false);
      return;
    }
    const want = d.spec.replicas ?? 1;
    const created = !newRS;
    newRS = this.#ensureNewRS(d, newRS, old, want);
    newRS = this.#scale(newRS, want, d);
    this.#cleanup(d, old);
    this.#syncStatus(d, all, newRS, created);
  }

  /** cleanupDeployment: old ReplicaSets with no Pods beyond revisionHistoryLimit go, oldest first. */
  #cleanup(d: Deployment, old: ReplicaSet[]): void {
    const limit = d.spec.revisionHistoryLimit ?? 10;
    const idle = old
      .filter((rs) => specReplicas(rs) === 0 && (rs.status?.replicas ?? 0) === 0)
      .sort(byCreation);
    for (const rs of idle.slice(0, Math.max(0, idle.length - limit))) {
      const ns = rs.metadata.namespace ?? 'default';
      if (this.#ctx.store.find('ReplicaSet', rs.metadata.name ?? '', ns))
        wrote(this.#ctx, this.#ctx.store.delete('ReplicaSet', rs.metadata.name ?? '', { namespace: ns }));
    }
  }

  #syncStatus(
    d: Deployment,
    all: ReplicaSet[],
    newRS: ReplicaSet | undefined,
    created: boolean | undefined,
  ): void {
    const { store, clock } = this.#ctx;
    const key = objectKey(d);
    const want = d.spec.replicas ?? 1;
    const { maxUnavailable } = resolveFenceposts(d);
    const prev = (d.status ?? {}) as DeploymentStatus;
    // The ReplicaSets' counts, summed in one pass.
    let replicas = 0;
    let ready = 0;
    let available = 0;
    let total = 0;
    for (const rs of all) {
      replicas += rs.status?.replicas ?? 0;
      ready += rs.status?.readyReplicas ?? 0;
      available += rs.status?.availableReplicas ?? 0;
      total += specReplicas(rs);
    }
    const updated = newRS ? (newRS.status?.replicas ?? 0) : 0;
    const status: DeploymentStatus = {
      observedGeneration: d.metadata.generation ?? 1,
      replicas,
      updatedReplicas: updated,
      readyReplicas: ready,
      availableReplicas: available,
    };
    if (total - available > 0) status.unavailableReplicas = total - available;
    if (prev.collisionCount !== undefined) status.collisionCount = prev.collisionCount;
    const now = conditionTime(clock.now());
    const conds = new Map<DeploymentCondition['type'], DeploymentCondition>();
    for (const c of prev.conditions ?? []) conds.set(c.type, c);
    setCondition(
      conds,
      now,
      available >= want - maxUnavailable
        ? {
            type: 'Available',
            status: 'True',
            reason: 'MinimumReplicasAvailable',
            message: 'Deployment has minimum availability.',
          }
        : {
            type: 'Available',
            status: 'False',
            reason: 'MinimumReplicasUnavailable',
            message: 'Deployment does not have minimum availability.',
          },
    );
    const rsName = newRS?.metadata.name ?? '';
    const complete = updated === want && replicas === want && available === want;
    const progressing = conds.get('Progressing');
    if (d.spec.paused) {
      setCondition(conds, now, {
        type: 'Progressing',
        status: 'Unknown',
        reason: 'DeploymentPaused',
        message: 'Deployment is paused',
      });
    } else if (progressing?.reason === 'DeploymentPaused') {
      setCondition(conds, now, {
        type: 'Progressing',
        status: 'Unknown',
        reason: 'DeploymentResumed',
        message: 'Deployment is resumed',
      });
    } else if (complete && newRS) {
      setCondition(conds, now, {
        type: 'Progressing',
        status: 'True',
        reason: 'NewReplicaSetAvailable',
        message: `ReplicaSet "${rsName}" has successfully progressed.`,
      });
    } else if (created) {
      setCondition(conds, now, {
        type: 'Progressing',
        status: 'True',
        reason: 'NewReplicaSetCreated',
        message: `Created new replica set "${rsName}"`,
      });
    } else if (newRS) {
      const moved =
        prev.updatedReplicas !== status.updatedReplicas ||
        prev.availableReplicas !== status.availableReplicas ||
        prev.replicas !== status.replicas ||
        prev.readyReplicas !== status.readyReplicas;
      const deadline = (d.spec.progressDeadlineSeconds ?? 600) * 1000;
      if (
        moved ||
        !progressing ||
        progressing.status !== 'True' ||
        progressing.reason === 'NewReplicaSetAvailable'
      ) {
        if (progressing?.reason !== 'ProgressDeadlineExceeded' || moved) {
          // Progress: the condition's lastUpdateTime moves, which restarts the deadline.
          conds.set('Progressing', {
            type: 'Progressing',
            status: 'True',
            reason: 'ReplicaSetUpdated',
            message: `ReplicaSet "${rsName}" is progressing.`,
            lastUpdateTime: now,
            lastTransitionTime:
              progressing?.status === 'True' ? (progressing.lastTransitionTime ?? now) : now,
          });
          this.queue.addAfter(key, deadline + 1000);
        }
      } else {
        // No progress: the deadline runs from the condition's last update (parsed only here).
        const last = progressing?.lastUpdateTime ? Date.parse(progressing.lastUpdateTime) : clock.now();
        if (clock.now() - last > deadline)
          setCondition(conds, now, {
            type: 'Progressing',
            status: 'False',
            reason: 'ProgressDeadlineExceeded',
            message: `ReplicaSet "${rsName}" has timed out progressing.`,
          });
        else this.queue.addAfter(key, last + deadline + 1000 - clock.now());
      }
    }
    const conditions: DeploymentCondition[] = [];
    for (const t of conditionOrder) {
      const c = conds.get(t);
      if (c !== undefined) conditions.push(c);
    }
    status.conditions = conditions;
    let cur = d;
    const revision = newRS?.metadata.annotations?.[annotationRevision];
    if (revision && d.metadata.annotations?.[annotationRevision] !== revision) {
      cur = wrote(
        this.#ctx,
        store.update({
          ...d,
          metadata: {
            ...d.metadata,
            annotations: { ...(d.metadata.annotations ?? {}), [annotationRevision]: revision },
          },
        }),
      );
    }
    if (!deepEqual(prev, status)) wrote(this.#ctx, store.updateStatus({ ...cur, status }));
  }
}
