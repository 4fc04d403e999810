// The node lifecycle controller (pkg/controller/nodelifecycle): a Node whose kubelet stops renewing
// its Lease (kube-node-lease/<node>) for nodeMonitorGracePeriod gets Ready=Unknown and the
// unreachable taints, and its Pods' Ready condition false (MarkPodsNotReady), so their endpoints go
// not-ready; after podEvictionTimeout its Pods are deleted and their controllers replace them
// elsewhere. A renewed Lease lifts the taints. Each Node has a timer, not a periodic scan: the work
// is per Lease renewal. A Node that never had a Lease is left alone (no kubelet runs it).
import type { Node, NodeCondition, Pod, Taint } from '../../api/index.js';
import { type ControllerContext, indexPodNode, newQueue, podInformer, wrote } from './context.js';
import type { Informer } from './informer.js';
import { taintUnreachable } from './scheduler.js';
import type { WorkQueue } from './workqueue.js';

export interface NodeLifecycleOptions {
  /** --node-monitor-grace-period. Default 40 s. */
  nodeMonitorGracePeriodMs?: number;
  /** --pod-eviction-timeout (the default tolerationSeconds of the unreachable taint). Default 300 s. */
  podEvictionTimeoutMs?: number;
}

function stamp(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export class NodeLifecycleController {
  readonly name = 'node-lifecycle-controller';
  readonly queue: WorkQueue;
  readonly #ctx: ControllerContext;
  readonly #nodes: Informer<'Node'>;
  readonly #pods: Informer<'Pod'>;
  readonly #grace: number;
  readonly #eviction: number;
  /** When this controller last saw each Node's Lease renewed (its probeTimestamp). */
  readonly #renewed = new Map<string, number>();
  /** When each Node went Unknown. */
  readonly #unknownSince = new Map<string, number>();

  constructor(ctx: ControllerContext, opts: NodeLifecycleOptions = {}) {
    this.#ctx = ctx;
    this.#grace = opts.nodeMonitorGracePeriodMs ?? 40_000;
    this.#eviction = opts.podEvictionTimeoutMs ?? 300_000;
    this.queue = newQueue(ctx, this.name, (key) => this.sync(key));
    this.#nodes = ctx.informers.informer('Node');
    this.#pods = podInformer(ctx);
    const leases = ctx.informers.informer('Lease');
    const renewed = (l: { metadata: { namespace?: string; name?: string } }) => {
      if (l.metadata.namespace !== 'kube-node-lease') return;
      const node = l.metadata.name ?? '';
      this.#renewed.set(node, ctx.clock.now());
      this.queue.add(node);
      this.queue.addAfter(node, this.#grace);
    };
    leases.addEventHandler({ onAdd: renewed, onUpdate: (_o, l) => renewed(l) });
    this.#nodes.addEventHandler({
      onDelete: (n) => {
        this.#renewed.delete(n.metadata.name ?? '');
        this.#unknownSince.delete(n.metadata.name ?? '');
      },
    });
  }

  sync(name: string): void {
    const node = this.#nodes.get(name);
    const seen = this.#renewed.get(name);
    if (!node || seen === undefined) return;
    const now = this.#ctx.clock.now();
    const taints = ((node.spec as { taints?: Taint[] } | undefined)?.taints ?? []) as Taint[];
    const ours = taints.filter((t) => t.key === taintUnreachable);
    if (now - seen < this.#grace) {
      // Fresh: look again when this renewal goes stale. Each renewal asks for a check a grace period
      // on, but the queue keeps the earliest pending one, so the check itself carries the deadline
      // forward (else a kubelet that stops after renewing twice in a grace period is never noticed).
      this.queue.addAfter(name, seen + this.#grace - now);
      // Heart-beating again: lift the unreachable taints (the kubelet reports Ready itself).
      this.#unknownSince.delete(name);
      if (ours.length > 0)
        this.#setTaints(
          node,
          taints.filter((t) => t.key !== taintUnreachable),
        );
      return;
    }
    const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
    if (ready?.status !== 'Unknown') {
      const at = stamp(now);
      const conditions: NodeCondition[] = (node.status?.conditions ?? []).filter((c) => c.type !== 'Ready');
      conditions.push({
        type: 'Ready',
        status: 'Unknown',
        reason: 'NodeStatusUnknown',
        message: 'Kubelet stopped posting node status.',
        ...(ready?.lastHeartbeatTime ? { lastHeartbeatTime: ready.lastHeartbeatTime } : {}),
        lastTransitionTime: at,
      });
      const updated = wrote(
        this.#ctx,
        this.#ctx.store.updateStatus({ ...node, status: { ...node.status, conditions } }),
      );
      this.#setTaints(updated, [
        ...taints.filter((t) => t.key !== taintUnreachable),
        { key: taintUnreachable, effect: 'NoSchedule' },
        { key: taintUnreachable, effect: 'NoExecute', timeAdded: at },
      ]);
      this.#ctx.log(`${this.name}: Node ${name} is NotReady (Unknown): Kubelet stopped posting node status.`);
      for (const p of this.#pods.byIndex(indexPodNode, name)) this.#markNotReady(p, at);
    }
    if (!this.#unknownSince.has(name)) this.#unknownSince.set(name, now);
    const since = this.#unknownSince.get(name)!;
    if (now - since >= this.#eviction) {
      for (const p of this.#pods.byIndex(indexPodNode, name)) {
        if (p.metadata.deletionTimestamp) continue;
        const ns = p.metadata.namespace ?? 'default';
        if (this.#ctx.store.find('Pod', p.metadata.name ?? '', ns))
          wrote(this.#ctx, this.#ctx.store.delete('Pod', p.metadata.name ?? '', { namespace: ns }));
      }
    } else this.queue.addAfter(name, since + this.#eviction - now);
  }

  #setTaints(node: Node, taints: Taint[]): void {
    const spec = { ...(node.spec ?? {}) } as NonNullable<Node['spec']> & { taints?: Taint[] };
    if (taints.length > 0) spec.taints = taints;
    else delete spec.taints;
    wrote(this.#ctx, this.#ctx.store.update({ ...node, spec }));
  }

  /** MarkPodsNotReady: the Pod's Ready condition false, so its endpoints are not ready. */
  #markNotReady(p: Pod, at: string): void {
    const conds = p.status?.conditions ?? [];
    const ready = conds.find((c) => c.type === 'Ready');
    if (!ready || ready.status === 'False') return;
    const conditions = conds.map((c) =>
      c.type === 'Ready' ? { ...c, status: 'False' as const, lastTransitionTime: at } : c,
    );
    wrote(this.#ctx, this.#ctx.store.updateStatus({ ...p, status: { ...p.status, conditions } }));
  }
}
