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

/**
 * IndexUnchanged predicates for the indexes below: an update that keeps the part an index reads
 * (the store shares what a write leaves alone, so the same object) is not filed again.
 */
export const sameNamespace = (o: AnyObject, c: AnyObject): boolean =>
  o.metadata.namespace === c.metadata.namespace;
export const sameOwners = (o: AnyObject, c: AnyObject): boolean =>
  o.metadata.ownerReferences === c.metadata.ownerReferences;

/** The uid of an object's controller ownerReference, as the controller-UID index files it. */
export function controllerUIDs(o: AnyObject): string[] {
  const ref = o.metadata.ownerReferences?.find((r) => r.controller === true);
  return ref ? [ref.uid] : [];
}

// Index names. Label pairs are filed as `namespace\0key=value`.
export const indexPodLabels = 'labels';
export const indexPodNode = 'spec.nodeName';
export const indexServiceSelector = 'selector';
export const indexControllerUID = 'controllerUID';

export function labelPairKey(namespace: string, key: string, value: string): string {
  return `${namespace}\u0000${key}=${value}`;
}

/**
 * A stored (frozen) labels object's pairs as filed, with the namespace they were made for: a
 * ReplicaSet's Pods share their template's labels, so every event of every one of them reads the
 * same strings (made and hashed once) instead of making new ones.
 */
const pairKeysOf = new WeakMap<object, { namespace: string; keys: readonly string[] }>();
const noPairs: readonly string[] = Object.freeze([]);

/** The label pairs of `labels` in `namespace`, in the labels' order (read-only). */
export function labelPairKeys(
  namespace: string,
  labels: Readonly<Record<string, string>> | undefined,
): readonly string[] {
  if (labels === undefined || labels === null) return noPairs;
  const frozen = Object.isFrozen(labels);
  if (frozen) {
    const have = pairKeysOf.get(labels);
    if (have !== undefined && have.namespace === namespace) return have.keys;
  }
  const keys: string[] = [];
  for (const k in labels) keys.push(labelPairKey(namespace, k, labels[k]!));
  if (frozen) pairKeysOf.set(labels, { namespace, keys });
  return keys;
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
    (p) => labelPairKeys(p.metadata.namespace ?? 'default', p.metadata.labels),
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
  services.addIndexer(
    indexServiceSelector,
    (s) => {
      const sel = s.spec.selector;
      if (!sel) return [];
      const key = selectorPairKey(s.metadata.namespace ?? 'default', sel);
      return key ? [key] : [];
    },
    (o, s) => o.spec.selector === s.spec.selector && sameNamespace(o, s),
  );
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
  forEachServiceSelecting(services, pod, (key) => out.add(key));
  return out;
}

/**
 * servicesSelecting's keys handed to `fn` in the same order, without a set: a Service is filed
 * under one label pair and a Pod's pairs differ, so no key comes twice (a Pod event's handlers).
 */
export function forEachServiceSelecting(
  services: Informer<'Service'>,
  pod: Pod,
  fn: (key: string) => void,
): void {
  const labels = pod.metadata.labels;
  for (const pair of labelPairKeys(pod.metadata.namespace ?? 'default', labels)) {
    for (const key of services.indexKeys(indexServiceSelector, pair)) {
      const svc = services.get(key);
      if (svc?.spec.selector && matchesSet(svc.spec.selector, labels)) fn(key);
    }
  }
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
