// What every controller is given (kube-controller-manager's ControllerContext): the store it writes
// to, the shared informers it reads from, its clock and its log; and the indexes several
// controllers share, so that "which Services select this Pod" or "which Pods run on this Node" costs
// what the answer holds, never a scan of the cluster.
import type { AnyObject, Pod, Service, Store } from '../../api/index.js';
import type { Clock } from './clock.js';
import { type Informer, objectKey, type SharedInformers } from './informer.js';
import { WorkQueue } from './workqueue.js';

export interface ControllerContext {
  store: Store;
  informers: SharedInformers;
  clock: Clock;
  log: (line: string) => void;
}

/** A work queue for one controller, draining only once the caches hold its own writes. */
export function newQueue(ctx: ControllerContext, name: string, sync: (key: string) => void): WorkQueue {
  return new WorkQueue({ name, clock: ctx.clock, informers: ctx.informers, log: ctx.log }, sync);
}

/** Records a write so the queues wait for the caches to see it; returns what the store returned. */
export function wrote<T extends AnyObject>(ctx: ControllerContext, obj: T): T {
  ctx.informers.wrote(obj);
  return obj;
}

/**
 * record.EventRecorder: a core/v1 Event about `involved` from `component` (`kubectl describe` lists
 * them). An Event that cannot be written is dropped, as client-go's recorder drops it.
 */
export function recordEvent(
  ctx: ControllerContext,
  component: string,
  involved: AnyObject,
  type: 'Normal' | 'Warning',
  reason: string,
  message: string,
): void {
  const now = `${new Date(ctx.clock.now()).toISOString().slice(0, 19)}Z`;
  const name = involved.metadata.name ?? '';
  const namespace = involved.metadata.namespace ?? 'default';
  try {
    ctx.store.create({
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { generateName: `${name}.`, namespace },
      involvedObject: {
        kind: involved.kind,
        namespace,
        name,
        ...(involved.metadata.uid ? { uid: involved.metadata.uid } : {}),
        apiVersion: involved.apiVersion,
        ...(involved.metadata.resourceVersion ? { resourceVersion: involved.metadata.resourceVersion } : {}),
      },
      reason,
      message,
      source: { component },
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
      type,
    });
  } catch {
    // Dropped, as the recorder drops what it cannot write.
  }
}

// Index names. Label pairs are filed as `namespace\0key=value`.
export const indexPodLabels = 'labels';
export const indexPodNode = 'spec.nodeName';
export const indexServiceSelector = 'selector';
export const indexControllerUID = 'controllerUID';

export function labelPairKey(namespace: string, key: string, value: string): string {
  return `${namespace}\u0000${key}=${value}`;
}

/** The label pair a set selector is filed under: its smallest key (any one pair finds its Pods). */
export function selectorPairKey(
  namespace: string,
  selector: Readonly<Record<string, string>>,
): string | undefined {
  let first: string | undefined;
  for (const k in selector) if (first === undefined || k < first) first = k;
  return first === undefined ? undefined : labelPairKey(namespace, first, selector[first]!);
}

/** The Pod informer with its label and node indexes. */
export function podInformer(ctx: ControllerContext): Informer<'Pod'> {
  const pods = ctx.informers.informer('Pod');
  pods.addIndexer(
    indexPodLabels,
    (p) => {
      const ns = p.metadata.namespace ?? 'default';
      const out: string[] = [];
      for (const k in p.metadata.labels) out.push(labelPairKey(ns, k, p.metadata.labels[k]!));
      return out;
    },
    (o, p) => o.metadata.labels === p.metadata.labels && o.metadata.namespace === p.metadata.namespace,
  );
  pods.addIndexer(
    indexPodNode,
    (p) => (p.spec.nodeName ? [p.spec.nodeName] : []),
    (o, p) => o.spec.nodeName === p.spec.nodeName,
  );
  pods.addIndexer(
    indexControllerUID,
    (p) => {
      const ref = p.metadata.ownerReferences?.find((r) => r.controller);
      return ref ? [ref.uid] : [];
    },
    (o, p) => o.metadata.ownerReferences === p.metadata.ownerReferences,
  );
  return pods;
}

/** The Service informer with its selector index. */
export function serviceInformer(ctx: ControllerContext): Informer<'Service'> {
  const services = ctx.informers.informer('Service');
  services.addIndexer(indexServiceSelector, (s) => {
    const sel = s.spec.selector;
    if (!sel) return [];
    const key = selectorPairKey(s.metadata.namespace ?? 'default', sel);
    return key ? [key] : [];
  });
  return services;
}

/**
 * The keys of the Services whose selector matches `pod` (the controller's serviceSelectorCache):
 * only Services filed under one of the Pod's label pairs are tested.
 */
export function servicesSelecting(
  services: Informer<'Service'>,
  pod: Pod,
  out = new Set<string>(),
): Set<string> {
  const ns = pod.metadata.namespace ?? 'default';
  const labels = pod.metadata.labels;
  for (const k in labels) {
    for (const key of services.indexKeys(indexServiceSelector, labelPairKey(ns, k, labels[k]!))) {
      if (out.has(key)) continue;
      const svc = services.get(key);
      if (svc?.spec.selector && matchesSet(svc.spec.selector, labels)) out.add(key);
    }
  }
  return out;
}

/** labels.SelectorFromSet(selector).Matches(labels), without building the selector. */
export function matchesSet(
  selector: Readonly<Record<string, string>>,
  labels: Readonly<Record<string, string>> | undefined,
): boolean {
  for (const k in selector) if (labels?.[k] !== selector[k]) return false;
  return true;
}

/** The Pods that may match a set selector: those carrying its first label pair. */
export function podsForSelectorSet(pods: Informer<'Pod'>, service: Service): Pod[] {
  const sel = service.spec.selector;
  if (!sel) return [];
  const key = selectorPairKey(service.metadata.namespace ?? 'default', sel);
  return key ? pods.byIndex(indexPodLabels, key) : [];
}

export { objectKey };
