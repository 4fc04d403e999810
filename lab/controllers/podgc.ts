// The pod garbage collector's orphan pass (pkg/controller/podgc gcOrphaned): a Pod bound to a Node
// that no longer exists is, after a quarantine (40 s upstream, for a Node that is only slow to show
// up in the informer), marked Failed with the DisruptionTarget condition (reason DeletionByPodGC) and
// deleted at once (grace 0: no kubelet is left to stop it), so its controller replaces it on a Node
// that exists. Upstream scans every 20 s; here a Node's deletion, or a Pod bound to an unknown Node,
// queues that Node name, and its Pods are found through the node index.
import type { Pod } from '../../api/index.js';
import { type ControllerContext, indexPodNode, newQueue, podInformer, wrote } from './context.js';
import type { Informer } from './informer.js';
import type { WorkQueue } from './workqueue.js';

export interface PodGCOptions {
  /** How long a Node must be missing before its Pods are collected. Default 40 s. */
  orphanQuarantineMs?: number;
}

function stamp(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export class PodGCController {
  readonly name = 'pod-garbage-collector';
  readonly queue: WorkQueue;
  readonly #ctx: ControllerContext;
  readonly #nodes: Informer<'Node'>;
  readonly #pods: Informer<'Pod'>;
  readonly #quarantine: number;

  constructor(ctx: ControllerContext, opts: PodGCOptions = {}) {
    this.#ctx = ctx;
    this.#quarantine = opts.orphanQuarantineMs ?? 40_000;
    this.queue = newQueue(ctx, this.name, (key) => this.sync(key));
    this.#nodes = ctx.informers.informer('Node');
    this.#pods = podInformer(ctx);
    this.#nodes.addEventHandler({
      onDelete: (n) => this.queue.addAfter(n.metadata.name ?? '', this.#quarantine),
    });
    const bound = (p: Pod) => {
      const node = p.spec.nodeName;
      if (node && !this.#nodes.get(node)) this.queue.addAfter(node, this.#quarantine);
    };
    this.#pods.addEventHandler({
      onAdd: bound,
      onUpdate: (o, p) => {
        if (o.spec.nodeName !== p.spec.nodeName) bound(p);
      },
    });
  }

  sync(node: string): void {
    if (this.#nodes.get(node)) return;
    const { store, clock } = this.#ctx;
    // The informer may lag: ask the store, as the controller asks the API server before deleting.
    if (store.find('Node', node, '')) return;
    const at = stamp(clock.now());
    for (const p of this.#pods.byIndex(indexPodNode, node)) {
      const ns = p.metadata.namespace ?? 'default';
      const name = p.metadata.name ?? '';
      const phase = p.status?.phase;
      const conditions = (p.status?.conditions ?? []).filter((c) => c.type !== 'DisruptionTarget');
      conditions.push({
        type: 'DisruptionTarget',
        status: 'True',
        reason: 'DeletionByPodGC',
        message: 'PodGC: node no longer exists',
        lastTransitionTime: at,
      });
      wrote(
        this.#ctx,
        store.updateStatus({
          ...p,
          status: {
            ...p.status,
            ...(phase === 'Succeeded' || phase === 'Failed' ? {} : { phase: 'Failed' }),
            conditions,
          },
        }),
      );
      this.#ctx.log(`${this.name}: deleting orphaned Pod ${ns}/${name}: node ${node} no longer exists`);
      wrote(this.#ctx, store.delete('Pod', name, { namespace: ns, gracePeriodSeconds: 0 }));
    }
  }
}
