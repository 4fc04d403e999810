// kube-controller-manager in one object: the shared informers, then each controller on them, all
// started at once so every cache is filled before the first reconcile.
import { setMaxListeners } from 'node:events';
import type { Store } from '../../api/index.js';
import { type Clock, realClock } from './clock.js';
import type { ControllerContext } from './context.js';
import { DeploymentController } from './deployment.js';
import { EndpointsController } from './endpoints-controller.js';
import { EndpointSliceController } from './endpointslice-controller.js';
import { SharedInformers } from './informer.js';
import { NodeLifecycleController } from './nodelifecycle.js';
import { PodGCController } from './podgc.js';
import { ReplicaSetController } from './replicaset.js';
import { Scheduler } from './scheduler.js';
import { StatefulSetController } from './statefulset.js';
import type { WorkQueue } from './workqueue.js';

export interface ControllerManagerOptions {
  signal: AbortSignal;
  log?: (line: string) => void;
  clock?: Clock;
  /** --max-endpoints-per-slice (1..1000, default 100). */
  maxEndpointsPerSlice?: number;
  /**
   * --endpointslice-updates-batch-period and --endpoint-updates-batch-period in ms (default 0):
   * Pod changes reach a Service's slices and Endpoints at most this late, many Pods in one write.
   */
  endpointUpdatesBatchPeriodMs?: number;
  /** Seeds placement among equally loaded Nodes. Default 1. */
  seed?: number;
  /** --node-monitor-grace-period in ms. Default 40 s. */
  nodeMonitorGracePeriodMs?: number;
  /** --pod-eviction-timeout in ms. Default 300 s. */
  podEvictionTimeoutMs?: number;
  /** How long the pod GC waits before deleting the Pods of a Node that is gone. Default 40 s. */
  orphanQuarantineMs?: number;
}

export class ControllerManager {
  readonly context: ControllerContext;
  readonly endpointSlice: EndpointSliceController;
  readonly endpoints: EndpointsController;
  readonly scheduler: Scheduler;
  readonly replicaSet: ReplicaSetController;
  readonly deployment: DeploymentController;
  readonly nodeLifecycle: NodeLifecycleController;
  readonly statefulSet: StatefulSetController;
  readonly podGC: PodGCController;

  constructor(store: Store, opts: ControllerManagerOptions) {
    const log = opts.log ?? (() => {});
    // Every informer's watch listens on the one signal: more than the default ten listeners.
    setMaxListeners(0, opts.signal);
    const informers = new SharedInformers(store, opts.signal, log);
    this.context = { store, informers, clock: opts.clock ?? realClock, log };
    const batch =
      opts.endpointUpdatesBatchPeriodMs === undefined
        ? {}
        : { updatesBatchPeriodMs: opts.endpointUpdatesBatchPeriodMs };
    this.endpointSlice = new EndpointSliceController(this.context, {
      ...(opts.maxEndpointsPerSlice === undefined ? {} : { maxEndpointsPerSlice: opts.maxEndpointsPerSlice }),
      ...batch,
    });
    this.endpoints = new EndpointsController(this.context, batch);
    this.scheduler = new Scheduler(this.context, opts.seed === undefined ? {} : { seed: opts.seed });
    this.replicaSet = new ReplicaSetController(this.context);
    this.deployment = new DeploymentController(this.context);
    this.statefulSet = new StatefulSetController(this.context);
    this.podGC = new PodGCController(
      this.context,
      opts.orphanQuarantineMs === undefined ? {} : { orphanQuarantineMs: opts.orphanQuarantineMs },
    );
    this.nodeLifecycle = new NodeLifecycleController(this.context, {
      ...(opts.nodeMonitorGracePeriodMs === undefined
        ? {}
        : { nodeMonitorGracePeriodMs: opts.nodeMonitorGracePeriodMs }),
      ...(opts.podEvictionTimeoutMs === undefined ? {} : { podEvictionTimeoutMs: opts.podEvictionTimeoutMs }),
    });
    opts.signal.addEventListener('abort', () => {
      for (const q of this.queues()) q.shutDown();
    });
  }

  /** Every controller's work queue. */
  queues(): WorkQueue[] {
    return [
      this.endpointSlice.queue,
      this.endpoints.queue,
      this.scheduler.queue,
      this.replicaSet.queue,
      this.deployment.queue,
      this.nodeLifecycle.queue,
      this.statefulSet.queue,
      this.podGC.queue,
    ];
  }

  start(): void {
    this.context.informers.start();
  }

  /** Nothing queued and every cache holds every controller write, the scheduler's binds too. */
  idle(): boolean {
    return (
      this.context.informers.caughtUp() &&
      this.scheduler.assumed === 0 &&
      this.queues().every((q) => q.length === 0)
    );
  }

  /**
   * Resolves once the controllers are idle across two turns of the event loop: every event the
   * store has sent is handled, every queued key reconciled, and nothing new came of it.
   */
  async settled(): Promise<void> {
    let quiet = 0;
    while (quiet < 2) {
      await new Promise((r) => setImmediate(r));
      quiet = this.idle() ? quiet + 1 : 0;
    }
  }

  async stopped(): Promise<void> {
    await this.context.informers.stopped();
  }
}
