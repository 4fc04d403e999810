// The EndpointSlice controller (pkg/controller/endpointslice endpointslice_controller.go): a work
// queue keyed by Service. Pod events enqueue only the Services selecting the Pod (before and after
// the change), Node events only the Services of the Pods on that Node, and events on slices the
// controller did not write itself bring their Service back. syncService reads one Service and its
// candidate Pods from the caches, asks the policy (reconcileEndpointSlices) what the slices should
// be, and writes only the difference (planEndpointSliceChanges).
import {
  deepEqual,
  type EndpointSlice,
  labelManagedBy,
  labelServiceName,
  labelTopologyZone,
  type Node,
  type Pod,
  StatusError,
} from '../../api/index.js';
import {
  type ControllerContext,
  forEachServiceSelecting,
  indexPodNode,
  newQueue,
  podInformer,
  podsForSelectorSet,
  sameNamespace,
  serviceInformer,
  servicesSelecting,
  wrote,
} from './context.js';
import {
  defaultMaxEndpointsPerSlice,
  endpointSliceControllerName,
  reconcileEndpointSlices,
} from './endpointslice.js';
import { InvalidMaxEndpointsPerSliceError } from './errors.js';
import { type Informer, objectKey, splitKey } from './informer.js';
import { planEndpointSliceChanges } from './sliceupdates.js';
import type { WorkQueue } from './workqueue.js';

export interface EndpointSliceControllerOptions {
  /** --max-endpoints-per-slice (1..1000, default 100). */
  maxEndpointsPerSlice?: number;
  /**
   * --endpointslice-updates-batch-period in ms (default 0): a Pod event brings its Services back
   * this much later, so the changes of many Pods of one Service meet in one sync and one write.
   */
  updatesBatchPeriodMs?: number;
}

const indexSliceService = 'service';

/** The Pod fields that decide a Pod's endpoints (podEndpointsChanged, plus labels). */
export function podEndpointsChanged(a: Pod, b: Pod): boolean {
  return (
    a.metadata.deletionTimestamp !== b.metadata.deletionTimestamp ||
    a.status?.phase !== b.status?.phase ||
    a.spec.nodeName !== b.spec.nodeName ||
    a.spec.hostname !== b.spec.hostname ||
    a.spec.subdomain !== b.spec.subdomain ||
    a.status?.podIP !== b.status?.podIP ||
    !deepEqual(a.status?.podIPs, b.status?.podIPs) ||
    readyOf(a) !== readyOf(b) ||
    !deepEqual(a.metadata.labels, b.metadata.labels)
  );
}

function readyOf(p: Pod): string | undefined {
  return p.status?.conditions?.find((c) => c.type === 'Ready')?.status;
}

function isManaged(s: EndpointSlice): boolean {
  return s.metadata.labels?.[labelManagedBy] === endpointSliceControllerName;
}

export class EndpointSliceController {
  readonly name = 'endpointslice-controller';
  readonly queue: WorkQueue;
  readonly #ctx: ControllerContext;
  readonly #services: Informer<'Service'>;
  readonly #pods: Informer<'Pod'>;
  readonly #nodes: Informer<'Node'>;
  readonly #slices: Informer<'EndpointSlice'>;
  readonly #max: number;
  /** resourceVersions this controller wrote, by slice key: their events need no sync. */
  readonly #ownWrites = new Map<string, string>();

  constructor(ctx: ControllerContext, opts: EndpointSliceControllerOptions = {}) {
    this.#max = opts.maxEndpointsPerSlice ?? defaultMaxEndpointsPerSlice;
    if (!Number.isInteger(this.#max) || this.#max < 1 || this.#max > 1000)
      throw new InvalidMaxEndpointsPerSliceError(this.#max);
    this.#ctx = ctx;
    this.queue = newQueue(ctx, this.name, (key) => this.syncService(key));
    this.#services = serviceInformer(ctx);
    this.#pods = podInformer(ctx);
    this.#nodes = ctx.informers.informer('Node');
    this.#slices = ctx.informers.informer('EndpointSlice');
    this.#slices.addIndexer(
      indexSliceService,
      (s) => {
        const svc = s.metadata.labels?.[labelServiceName];
        return svc !== undefined && isManaged(s) ? [`${s.metadata.namespace}/${svc}`] : [];
      },
      (o, s) => o.metadata.labels === s.metadata.labels && sameNamespace(o, s),
    );

    const enqueue = (key: string) => this.queue.add(key);
    // Pod events wait out the batch period (the controller's AddAfter); the rest go at once.
    const batch = opts.updatesBatchPeriodMs ?? 0;
    const enqueuePod = (key: string) => this.queue.addAfter(key, batch);
    this.#services.addEventHandler({
      onAdd: (s) => enqueue(objectKey(s)),
      onUpdate: (_o, s) => enqueue(objectKey(s)),
      onDelete: (s) => enqueue(objectKey(s)),
    });
    this.#pods.addEventHandler({
      onAdd: (p) => forEachServiceSelecting(this.#services, p, enqueuePod),
      onUpdate: (old, cur) => {
        if (!podEndpointsChanged(old, cur)) return;
        if (old.metadata.labels === cur.metadata.labels) {
          forEachServiceSelecting(this.#services, cur, enqueuePod);
          return;
        }
        const keys = servicesSelecting(this.#services, cur);
        servicesSelecting(this.#services, old, keys);
        for (const k of keys) enqueuePod(k);
      },
      onDelete: (p) => forEachServiceSelecting(this.#services, p, enqueuePod),
    });
    // A Node matters to the slices of the Pods on it: through its existence and its zone.
    const nodeChanged = (n: Node) => {
      const keys = new Set<string>();
      for (const p of this.#pods.byIndex(indexPodNode, n.metadata.name ?? ''))
        servicesSelecting(this.#services, p, keys);
      for (const k of keys) enqueue(k);
    };
    this.#nodes.addEventHandler({
      onAdd: nodeChanged,
      onUpdate: (old, cur) => {
        if (old.metadata.labels?.[labelTopologyZone] !== cur.metadata.labels?.[labelTopologyZone])
          nodeChanged(cur);
      },
      onDelete: nodeChanged,
    });
    const sliceChanged = (s: EndpointSlice) => {
      if (!isManaged(s)) return;
      const key = objectKey(s);
      if (this.#ownWrites.get(key) === s.metadata.resourceVersion) return;
      const svc = s.metadata.labels?.[labelServiceName];
      if (svc !== undefined) enqueue(`${s.metadata.namespace}/${svc}`);
    };
    this.#slices.addEventHandler({
      onAdd: sliceChanged,
      onUpdate: (_o, s) => sliceChanged(s),
      onDelete: (s) => {
        const key = objectKey(s);
        if (this.#ownWrites.get(key) === s.metadata.resourceVersion) {
          this.#ownWrites.delete(key);
          return;
        }
        this.#ownWrites.delete(key);
        sliceChanged(s);
      },
    });
  }

  /** Reconciles one Service's slices: `namespace/name`. */
  syncService(key: string): void {
    const svc = this.#services.get(key);
    // A deleted Service's slices go with it: the garbage collector follows their ownerReferences.
    if (!svc) return;
    const selector = svc.spec.selector;
    if (svc.spec.type === 'ExternalName' || !selector || Object.keys(selector).length === 0) return;
    if (svc.metadata.deletionTimestamp) return;
    const pods = podsForSelectorSet(this.#pods, svc);
    const { slices, errors } = reconcileEndpointSlices(svc, pods, this.#nodes, {
      maxEndpointsPerSlice: this.#max,
    });
    for (const e of errors) this.#ctx.log(`${this.name}: ${e}`);
    const existing = this.#slices.byIndex(indexSliceService, key);
    const changes = planEndpointSliceChanges(svc, existing, slices, this.#max);
    const { store } = this.#ctx;
    const { namespace } = splitKey(key);
    for (const s of changes.create) {
      let made: EndpointSlice;
      try {
        made = store.create(s);
      } catch (e) {
        // The policy's name is taken by some other slice: let the API server draw one.
        if (!(e instanceof StatusError && e.reason === 'AlreadyExists' && s.metadata.name)) throw e;
        const { name: _n, ...meta } = s.metadata;
        made = store.create({ ...s, metadata: meta });
      }
      this.#record(made);
    }
    for (const s of changes.update) this.#record(store.update(s));
    for (const s of changes.delete) {
      if (!store.find('EndpointSlice', s.metadata.name ?? '', namespace)) continue;
      this.#record(store.delete('EndpointSlice', s.metadata.name ?? '', { namespace }));
    }
  }

  #record(s: EndpointSlice): void {
    wrote(this.#ctx, s);
    this.#ownWrites.set(objectKey(s), s.metadata.resourceVersion ?? '');
  }
}
