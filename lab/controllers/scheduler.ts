// Placement without a full scheduler: kube-scheduler's filters that matter to a network lab
// (nodeName, nodeSelector, required node affinity on labels and fields, NoSchedule/NoExecute taints
// against tolerations, unschedulable and NotReady Nodes), then the least-loaded feasible Node with
// the Pod's siblings (same controller) spread over zones. It binds by writing spec.nodeName.
//
// Per-Node Pod counts are kept from Pod events; Pods with no placement constraint (the usual case)
// are placed from per-zone buckets of Nodes by load, so placing one costs the number of zones, not
// the number of Nodes. Ties go to the Node that entered its bucket first, starting from a seeded
// order of Node names: the same seed and inputs place the same way.
import { labelTopologyZone, type Node, type Pod, type Taint } from '../../api/index.js';
import { fnv1a, seededRandom } from '../../std/index.js';
import { type ControllerContext, newQueue, podInformer, wrote } from './context.js';
import { type Informer, objectKey } from './informer.js';
import type { WorkQueue } from './workqueue.js';

export interface Toleration {
  key?: string;
  operator?: 'Exists' | 'Equal';
  value?: string;
  effect?: string;
  tolerationSeconds?: number;
}

interface NodeSelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | 'Gt' | 'Lt';
  values?: string[];
}

interface NodeSelectorTerm {
  matchExpressions?: NodeSelectorRequirement[];
  matchFields?: NodeSelectorRequirement[];
}

/** The spec fields placement reads that api/types does not spell out. */
interface PlacementSpec {
  schedulerName?: string;
  tolerations?: Toleration[];
  affinity?: {
    nodeAffinity?: {
      requiredDuringSchedulingIgnoredDuringExecution?: { nodeSelectorTerms?: NodeSelectorTerm[] };
    };
  };
}

export function nodeTaints(node: Node): Taint[] {
  return ((node.spec as { taints?: Taint[] } | undefined)?.taints ?? []) as Taint[];
}

/** v1helper.TolerationsTolerateTaint. */
export function tolerates(tolerations: readonly Toleration[], taint: Taint): boolean {
  return tolerations.some((t) => {
    if (t.effect && t.effect !== taint.effect) return false;
    if (t.key && t.key !== taint.key) return false;
    if (!t.key && t.operator !== 'Exists') return false;
    if (t.operator === 'Exists') return true;
    return (t.value ?? '') === (taint.value ?? '');
  });
}

function nodeReadyStatus(node: Node): string | undefined {
  return node.status?.conditions?.find((c) => c.type === 'Ready')?.status;
}

function requirementMatches(r: NodeSelectorRequirement, value: string | undefined): boolean {
  switch (r.operator) {
    case 'In':
      return value !== undefined && (r.values ?? []).includes(value);
    case 'NotIn':
      return value === undefined || !(r.values ?? []).includes(value);
    case 'Exists':
      return value !== undefined;
    case 'DoesNotExist':
      return value === undefined;
    case 'Gt':
    case 'Lt': {
      if (value === undefined || !/^-?\d+$/.test(value)) return false;
      const bound = Number(r.values?.[0]);
      return r.operator === 'Gt' ? Number(value) > bound : Number(value) < bound;
    }
    default:
      return false;
  }
}

/** nodeSelector and required node affinity (terms ORed, expressions ANDed). */
export function matchesNodeSelection(pod: Pod, node: Node): boolean {
  const labels = node.metadata.labels ?? {};
  for (const [k, v] of Object.entries(pod.spec.nodeSelector ?? {})) if (labels[k] !== v) return false;
  const terms = (pod.spec as PlacementSpec).affinity?.nodeAffinity
    ?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  if (!terms || terms.length === 0) return true;
  return terms.some((term) => {
    const exprs = term.matchExpressions ?? [];
    const fields = term.matchFields ?? [];
    if (exprs.length === 0 && fields.length === 0) return false;
    return (
      exprs.every((r) => requirementMatches(r, Object.hasOwn(labels, r.key) ? labels[r.key] : undefined)) &&
      fields.every((r) => r.key === 'metadata.name' && requirementMatches(r, node.metadata.name))
    );
  });
}

/** Why a Node does not fit a Pod (kube-scheduler's reason text), or undefined when it fits. */
export function unfitReason(pod: Pod, node: Node): string | undefined {
  const tolerations = (pod.spec as PlacementSpec).tolerations ?? [];
  if (node.spec?.unschedulable && !tolerates(tolerations, unschedulableTaint))
    return 'node(s) were unschedulable';
  const ready = nodeReadyStatus(node);
  if (ready === 'False' || ready === 'Unknown') {
    const taint = {
      key: ready === 'False' ? taintNotReady : taintUnreachable,
      effect: 'NoSchedule' as const,
    };
    if (!tolerates(tolerations, taint)) return `node(s) had untolerated taint {${taint.key}: }`;
  }
  if (!matchesNodeSelection(pod, node)) return "node(s) didn't match Pod's node affinity/selector";
  for (const taint of nodeTaints(node)) {
    if (taint.effect !== 'NoSchedule' && taint.effect !== 'NoExecute') continue;
    if (!tolerates(tolerations, taint))
      return `node(s) had untolerated taint {${taint.key}: ${taint.value ?? ''}}`;
  }
  return undefined;
}

export const taintNotReady = 'node.kubernetes.io/not-ready';
export const taintUnreachable = 'node.kubernetes.io/unreachable';
const unschedulableTaint: Taint = { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' };

/** A Pod that needs nothing of a Node: any open Node fits it. */
function unconstrained(pod: Pod): boolean {
  const spec = pod.spec as PlacementSpec & Pod['spec'];
  for (const _ in spec.nodeSelector) return false;
  if (spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution) return false;
  for (const t of spec.tolerations ?? []) if (t.effect !== 'NoExecute') return false;
  return true;
}

/** An open Node fits every unconstrained Pod: schedulable, not NotReady, no NoSchedule/NoExecute taint. */
function isOpen(node: Node): boolean {
  if (node.spec?.unschedulable) return false;
  const ready = nodeReadyStatus(node);
  if (ready === 'False' || ready === 'Unknown') return false;
  return !nodeTaints(node).some((t) => t.effect === 'NoSchedule' || t.effect === 'NoExecute');
}

/** Nodes of one zone bucketed by load; the least-loaded one in O(1) amortised. */
class LoadBuckets {
  readonly #buckets = new Map<number, Set<string>>();
  #min = 0;
  size = 0;

  add(node: string, load: number): void {
    let b = this.#buckets.get(load);
    if (!b) {
      b = new Set();
      this.#buckets.set(load, b);
    }
    b.add(node);
    if (this.size === 0 || load < this.#min) this.#min = load;
    this.size++;
  }

  remove(node: string, load: number): void {
    const b = this.#buckets.get(load);
    if (!b?.delete(node)) return;
    if (b.size === 0) this.#buckets.delete(load);
    this.size--;
  }

  /** The load of the least-loaded Node (-1 when there is none). */
  leastLoad(): number {
    if (this.size === 0) return -1;
    while (!this.#buckets.has(this.#min)) this.#min++;
    return this.#min;
  }

  /** The least-loaded Node (the first filed at that load); only when there is one. */
  leastNode(): string {
    return this.#buckets.get(this.leastLoad())!.values().next().value!;
  }
}

/** The controller (owner) a Pod's siblings share: spread is kept among them. */
function spreadGroup(pod: Pod): string | undefined {
  for (const r of pod.metadata.ownerReferences ?? []) if (r.controller) return r.uid;
  return undefined;
}

function boundNode(pod: Pod): string | undefined {
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return undefined;
  return pod.spec.nodeName || undefined;
}

export interface SchedulerOptions {
  /** Seeds the order in which equally loaded Nodes are chosen. Default 1. */
  seed?: number;
}

export class Scheduler {
  readonly name = 'default-scheduler';
  readonly queue: WorkQueue;
  readonly #ctx: ControllerContext;
  readonly #pods: Informer<'Pod'>;
  readonly #nodes: Informer<'Node'>;
  /** Pods (not terminal) bound to each Node. */
  readonly #load = new Map<string, number>();
  /** Pods of each spread group per zone. */
  readonly #groupZones = new Map<string, Map<string, number>>();
  /** Open Nodes by zone. */
  readonly #open = new Map<string, LoadBuckets>();
  /** The zone each open Node was filed under. */
  readonly #openZone = new Map<string, string>();
  /** Pods that fit nowhere; any Node change tries them again. */
  readonly #unschedulable = new Set<string>();
  /**
   * The scheduler cache's assumed Pods, by uid: bound by this scheduler and counted on their Node at
   * once, before the Pod informer brings the bind back (which then only confirms it). So the
   * scheduler never waits for its own binds, as kube-scheduler does not.
   */
  readonly #assumed = new Map<string, string>();
  readonly #rank: (name: string) => number;

  constructor(ctx: ControllerContext, opts: SchedulerOptions = {}) {
    this.#ctx = ctx;
    this.queue = newQueue(ctx, this.name, (key) => this.schedule(key));
    this.#pods = podInformer(ctx);
    this.#nodes = ctx.informers.informer('Node');
    const seed = opts.seed ?? 1;
    this.#rank = (name) => seededRandom((fnv1a(name) ^ seed) >>> 0)();

    this.#nodes.addEventHandler({
      onAdd: (n) => this.#nodeChanged(undefined, n),
      onUpdate: (o, n) => this.#nodeChanged(o, n),
      onDelete: (n) => this.#nodeChanged(n, undefined),
    });
    this.#pods.addEventHandler({
      onAdd: (p) => this.#podChanged(undefined, p),
      onUpdate: (o, p) => this.#podChanged(o, p),
      onDelete: (p) => this.#podChanged(p, undefined),
    });
  }

  /** Pods bound and assumed whose bind the Pod cache has not brought back yet. */
  get assumed(): number {
    return this.#assumed.size;
  }

  #zoneOf(nodeName: string): string {
    return this.#nodes.get(nodeName)?.metadata.labels?.[labelTopologyZone] ?? '';
  }

  #nodeChanged(old: Node | undefined, cur: Node | undefined): void {
    const name = (cur ?? old)!.metadata.name ?? '';
    const prevZone = this.#openZone.get(name);
    if (prevZone !== undefined) {
      this.#open.get(prevZone)?.remove(name, this.#load.get(name) ?? 0);
      this.#openZone.delete(name);
    }
    if (cur && isOpen(cur)) this.#file(name);
    // A Node came, went or changed: Pods that fit nowhere may fit now.
    for (const key of this.#unschedulable) this.queue.add(key);
    this.#unschedulable.clear();
  }

  #file(name: string): void {
    const zone = this.#zoneOf(name);
    let b = this.#open.get(zone);
    if (!b) {
      b = new LoadBuckets();
      this.#open.set(zone, b);
    }
    b.add(name, this.#load.get(name) ?? 0);
    this.#openZone.set(name, zone);
  }

  #podChanged(old: Pod | undefined, cur: Pod | undefined): void {
    if (old && cur && old.metadata.uid !== cur.metadata.uid) {
      // Another Pod of the same name (a relist's update after a delete and re-create): the old one
      // went, with whatever was assumed of it, and the new one came.
      this.#podChanged(old, undefined);
      this.#podChanged(undefined, cur);
      return;
    }
    let before = old ? boundNode(old) : undefined;
    const after = cur ? boundNode(cur) : undefined;
    const uid = (cur ?? old)!.metadata.uid ?? '';
    const assumed = this.#assumed.get(uid);
    if (assumed !== undefined && (!cur || cur.spec.nodeName)) {
      // The bind came back (or the Pod went first): the count made at the bind was for the Node it
      // was assumed on, as if the cache had seen the bind then.
      this.#assumed.delete(uid);
      if (!old?.spec.nodeName) before = assumed;
    }
    if (before !== after) {
      if (before) this.#count(before, old!, -1);
      if (after) this.#count(after, cur!, +1);
    }
    if (!cur) {
      this.#unschedulable.delete(objectKey(old!));
      return;
    }
    if (!cur.spec.nodeName && !cur.metadata.deletionTimestamp) {
      const scheduler = (cur.spec as PlacementSpec).schedulerName ?? 'default-scheduler';
      if (scheduler === 'default-scheduler') this.queue.add(objectKey(cur));
    }
  }

  #count(node: string, pod: Pod, delta: number): void {
    const load = this.#load.get(node) ?? 0;
    const zone = this.#openZone.get(node);
    if (zone !== undefined) {
      const b = this.#open.get(zone)!;
      b.remove(node, load);
      b.add(node, load + delta);
    }
    if (load + delta === 0) this.#load.delete(node);
    else this.#load.set(node, load + delta);
    const group = spreadGroup(pod);
    if (group) {
      let zones = this.#groupZones.get(group);
      if (!zones) {
        zones = new Map();
        this.#groupZones.set(group, zones);
      }
      const z = this.#zoneOf(node);
      const n = (zones.get(z) ?? 0) + delta;
      if (n === 0) zones.delete(z);
      else zones.set(z, n);
      if (zones.size === 0) this.#groupZones.delete(group);
    }
  }

  /** Places one Pod: `namespace/name`. */
  schedule(key: string): void {
    const pod = this.#pods.get(key);
    if (!pod || pod.spec.nodeName || pod.metadata.deletionTimestamp) return;
    // Bound already, the cache not there yet.
    if (this.#assumed.has(pod.metadata.uid ?? '')) return;
    const node = unconstrained(pod) ? this.#pickOpen(pod) : this.#pickAny(pod);
    if (typeof node !== 'string') {
      this.#unschedulable.add(key);
      this.#markUnschedulable(pod, node.message);
      return;
    }
    const bound = this.#ctx.store.update({ ...pod, spec: { ...pod.spec, nodeName: node } });
    // AssumePod: counted on its Node now; the bind's event confirms it (not waited for).
    this.#assumed.set(bound.metadata.uid ?? '', node);
    this.#count(node, bound, +1);
  }

  /** The zone with the fewest of the Pod's siblings, then its least-loaded open Node. */
  #pickOpen(pod: Pod): string | { message: string } {
    const zones = this.#groupZones.get(spreadGroup(pod) ?? '');
    // The best zone so far, by siblings, then load, then name (no tuple made per zone).
    let best: LoadBuckets | undefined;
    let bestZone = '';
    let bestSiblings = 0;
    let bestLoad = 0;
    for (const zone of this.#open.keys()) {
      const b = this.#open.get(zone)!;
      const load = b.leastLoad();
      if (load < 0) continue;
      const siblings = zones?.get(zone) ?? 0;
      if (
        !best ||
        siblings < bestSiblings ||
        (siblings === bestSiblings && (load < bestLoad || (load === bestLoad && zone < bestZone)))
      ) {
        best = b;
        bestZone = zone;
        bestSiblings = siblings;
        bestLoad = load;
      }
    }
    if (best) return best.leastNode();
    return this.#pickAny(pod);
  }

  /** Every Node filtered, then the same order: siblings in the zone, load, seeded rank. */
  #pickAny(pod: Pod): string | { message: string } {
    const zones = this.#groupZones.get(spreadGroup(pod) ?? '');
    const reasons = new Map<string, number>();
    let best: { name: string; siblings: number; load: number; rank: number } | undefined;
    let total = 0;
    for (const node of this.#nodes.values()) {
      total++;
      const why = unfitReason(pod, node);
      if (why) {
        reasons.set(why, (reasons.get(why) ?? 0) + 1);
        continue;
      }
      const name = node.metadata.name ?? '';
      const c = {
        name,
        siblings: zones?.get(node.metadata.labels?.[labelTopologyZone] ?? '') ?? 0,
        load: this.#load.get(name) ?? 0,
        rank: this.#rank(name),
      };
      if (
        !best ||
        c.siblings < best.siblings ||
        (c.siblings === best.siblings && (c.load < best.load || (c.load === best.load && c.rank < best.rank)))
      )
        best = c;
    }
    if (best) return best.name;
    const parts = [...reasons].map(([why, n]) => `${n} ${why}`).sort();
    const message =
      total === 0
        ? 'no nodes available to schedule pods'
        : `0/${total} nodes are available: ${parts.join(', ')}. preemption: 0/${total} nodes are available: ${total} Preemption is not helpful for scheduling.`;
    return { message };
  }

  /** PodScheduled False, reason Unschedulable, with the filters' tally (written once per change). */
  #markUnschedulable(pod: Pod, message: string): void {
    const conditions = pod.status?.conditions ?? [];
    const have = conditions.find((c) => c.type === 'PodScheduled');
    if (have?.status === 'False' && have.message === message) return;
    const cond = {
      type: 'PodScheduled',
      status: 'False' as const,
      lastProbeTime: null,
      lastTransitionTime: new Date(this.#ctx.clock.now()).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      reason: 'Unschedulable',
      message,
    };
    this.#ctx.log(`${this.name}: Pod ${objectKey(pod)}: ${message}`);
    wrote(
      this.#ctx,
      this.#ctx.store.updateStatus({
        ...pod,
        status: { ...pod.status, conditions: [...conditions.filter((c) => c.type !== 'PodScheduled'), cond] },
      }),
    );
  }
}
