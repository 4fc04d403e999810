// The endpoints controller (pkg/controller/endpoint endpoints_controller.go): the core/v1 Endpoints
// of every Service with a selector, named as the Service, as older clients still read them. Same
// queue and indexes as the EndpointSlice controller; the object is rebuilt from the Service's Pods
// and written only when it differs.
import {
  deepEqual,
  type EndpointAddress,
  type EndpointPort,
  type Endpoints,
  labelHeadlessService,
  type Pod,
  type Service,
} from '../../api/index.js';
import { isIPv6String } from '../../std/index.js';
import {
  type ControllerContext,
  forEachServiceSelecting,
  matchesSet,
  newQueue,
  podInformer,
  podsForSelectorSet,
  serviceInformer,
  servicesSelecting,
  wrote,
} from './context.js';
import { findPort, isPodReady, isServiceIPSet } from './endpointslice.js';
import { podEndpointsChanged } from './endpointslice-controller.js';
import { type Informer, objectKey, splitKey } from './informer.js';
import type { WorkQueue } from './workqueue.js';

/** maxCapacity: more addresses than this are truncated and the Endpoints annotated. */
export const maxEndpointsCapacity = 1000;
export const annotationOverCapacity = 'endpoints.kubernetes.io/over-capacity';

/** ShouldPodBeInEndpoints(pod, includeTerminating): terminal Pods never; terminating only if asked. */
function shouldPodBeInEndpoints(pod: Pod, includeTerminating: boolean): boolean {
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return false;
  if (!pod.status?.podIP && !(pod.status?.podIPs?.length ?? 0)) return false;
  if (!includeTerminating && pod.metadata.deletionTimestamp) return false;
  return true;
}

/** podToEndpointAddressForService: the Pod IP of the Service's (first) family. */
function endpointAddress(svc: Service, pod: Pod): EndpointAddress | undefined {
  let v6: boolean;
  if (svc.spec.ipFamilies?.length) v6 = svc.spec.ipFamilies[0] === 'IPv6';
  else if (isServiceIPSet(svc)) v6 = isIPv6String(svc.spec.clusterIP ?? '');
  else v6 = isIPv6String(pod.status?.podIP ?? '');
  const ips = pod.status?.podIPs?.map((p) => p.ip) ?? (pod.status?.podIP ? [pod.status.podIP] : []);
  const ip = ips.find((i) => isIPv6String(i) === v6);
  if (!ip) return undefined;
  const addr: EndpointAddress = { ip };
  if (
    pod.spec.hostname &&
    pod.spec.subdomain === svc.metadata.name &&
    (pod.metadata.namespace ?? 'default') === (svc.metadata.namespace ?? 'default')
  )
    addr.hostname = pod.spec.hostname;
  addr.nodeName = pod.spec.nodeName ?? '';
  addr.targetRef = {
    kind: 'Pod',
    namespace: pod.metadata.namespace ?? 'default',
    name: pod.metadata.name ?? '',
  };
  if (pod.metadata.uid) addr.targetRef.uid = pod.metadata.uid;
  return addr;
}

type Subset = NonNullable<Endpoints['subsets']>[number];

/**
 * The subsets the controller writes for `svc` from `pods` (already the selected ones), repacked as
 * RepackSubsets does: hosts grouped by the ports they offer, then ports by the hosts offering them;
 * addresses sorted by IP. Also says whether it had to truncate at {@link maxEndpointsCapacity}.
 */
export function endpointsSubsets(
  svc: Service,
  pods: readonly Pod[],
): { subsets: Subset[]; truncated: boolean } {
  const tolerateUnready = svc.spec.publishNotReadyAddresses === true;
  // port key -> port, then address key -> [address, ready]
  const byPort = new Map<
    string,
    { port: EndpointPort | undefined; addrs: Map<string, [EndpointAddress, boolean]> }
  >();
  const offer = (port: EndpointPort | undefined, addr: EndpointAddress, ready: boolean) => {
    const key = port
      ? `${port.name ?? ''}\u0000${port.port}\u0000${port.protocol}\u0000${port.appProtocol ?? ''}`
      : '';
    let e = byPort.get(key);
    if (!e) {
      e = { port, addrs: new Map() };
      byPort.set(key, e);
    }
    e.addrs.set(`${addr.ip}\u0000${addr.targetRef?.uid ?? ''}`, [addr, ready]);
  };
  for (const pod of pods) {
    if (!shouldPodBeInEndpoints(pod, tolerateUnready)) continue;
    const addr = endpointAddress(svc, pod);
    if (!addr) continue;
    const ready = tolerateUnready || isPodReady(pod);
    const ports = svc.spec.ports ?? [];
    if (ports.length === 0) {
      if (svc.spec.clusterIP === 'None') offer(undefined, addr, ready);
      continue;
    }
    for (const sp of ports) {
      const num = findPort(pod, sp);
      if (num === undefined) continue;
      const ep: EndpointPort = { name: sp.name ?? '', port: num, protocol: sp.protocol ?? 'TCP' };
      if (sp.appProtocol !== undefined) ep.appProtocol = sp.appProtocol;
      offer(ep, addr, ready);
    }
  }
  // Hosts sets -> the ports they share.
  const byHosts = new Map<string, { addrs: [EndpointAddress, boolean][]; ports: EndpointPort[] }>();
  for (const { port, addrs } of byPort.values()) {
    const list = [...addrs.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const key = list.map(([k, [, r]]) => `${k}\u0000${r}`).join('\u0001');
    let e = byHosts.get(key);
    if (!e) {
      e = { addrs: list.map(([, v]) => v), ports: [] };
      byHosts.set(key, e);
    }
    if (port) e.ports.push(port);
  }
  let total = 0;
  let truncated = false;
  const subsets: Subset[] = [];
  for (const { addrs, ports } of byHosts.values()) {
    const ready = addrs
      .filter(([, r]) => r)
      .map(([a]) => a)
      .sort(lessAddress);
    const notReady = addrs
      .filter(([, r]) => !r)
      .map(([a]) => a)
      .sort(lessAddress);
    const subset: Subset = {};
    const room = Math.max(0, maxEndpointsCapacity - total);
    const keptReady = ready.slice(0, room);
    const keptNotReady = notReady.slice(0, Math.max(0, room - keptReady.length));
    if (keptReady.length + keptNotReady.length < ready.length + notReady.length) truncated = true;
    total += keptReady.length + keptNotReady.length;
    if (keptReady.length > 0) subset.addresses = keptReady;
    if (keptNotReady.length > 0) subset.notReadyAddresses = keptNotReady;
    if (ports.length > 0)
      subset.ports = ports.sort((a, b) =>
        (a.name ?? '') < (b.name ?? '') ? -1 : (a.name ?? '') > (b.name ?? '') ? 1 : a.port - b.port,
      );
    if (subset.addresses || subset.notReadyAddresses) subsets.push(subset);
  }
  subsets.sort((a, b) => {
    const x = (a.addresses ?? a.notReadyAddresses)![0]!.ip;
    const y = (b.addresses ?? b.notReadyAddresses)![0]!.ip;
    return x < y ? -1 : x > y ? 1 : 0;
  });
  return { subsets, truncated };
}

/** LessEndpointAddress: by IP, then by the target's uid. */
function lessAddress(a: EndpointAddress, b: EndpointAddress): number {
  if (a.ip !== b.ip) return a.ip < b.ip ? -1 : 1;
  const x = a.targetRef?.uid ?? '';
  const y = b.targetRef?.uid ?? '';
  return x < y ? -1 : x > y ? 1 : 0;
}

export class EndpointsController {
  readonly name = 'endpoint-controller';
  readonly queue: WorkQueue;
  readonly #ctx: ControllerContext;
  readonly #services: Informer<'Service'>;
  readonly #pods: Informer<'Pod'>;
  readonly #endpoints: Informer<'Endpoints'>;

  /**
   * `opts.updatesBatchPeriodMs`: --endpoint-updates-batch-period in ms (default 0); a Pod event
   * brings its Services back this much later, so many Pods' changes meet in one sync.
   */
  constructor(ctx: ControllerContext, opts: { updatesBatchPeriodMs?: number } = {}) {
    this.#ctx = ctx;
    this.queue = newQueue(ctx, this.name, (key) => this.syncService(key));
    this.#services = serviceInformer(ctx);
    this.#pods = podInformer(ctx);
    this.#endpoints = ctx.informers.informer('Endpoints');
    const enqueue = (key: string) => this.queue.add(key);
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
    // Someone else changed or deleted an Endpoints of a Service with a selector: put it back.
    this.#endpoints.addEventHandler({
      onDelete: (e) => {
        if (this.#services.get(objectKey(e))?.spec.selector) enqueue(objectKey(e));
      },
    });
  }

  syncService(key: string): void {
    const { store } = this.#ctx;
    const { namespace, name } = splitKey(key);
    const svc = this.#services.get(key);
    const current = this.#endpoints.get(key);
    if (!svc) {
      // The Service is gone: so are its Endpoints.
      if (current && store.find('Endpoints', name, namespace))
        wrote(this.#ctx, store.delete('Endpoints', name, { namespace }));
      return;
    }
    const selector = svc.spec.selector;
    if (!selector || svc.spec.type === 'ExternalName') return;
    if (svc.metadata.deletionTimestamp) return;
    const pods = podsForSelectorSet(this.#pods, svc).filter((p) => matchesSet(selector, p.metadata.labels));
    const { subsets, truncated } = endpointsSubsets(svc, pods);
    const labels: Record<string, string> = { ...(svc.metadata.labels ?? {}) };
    if (!isServiceIPSet(svc)) labels[labelHeadlessService] = '';
    else delete labels[labelHeadlessService];
    const annotations: Record<string, string> = { ...(current?.metadata.annotations ?? {}) };
    if (truncated) annotations[annotationOverCapacity] = 'truncated';
    else delete annotations[annotationOverCapacity];
    if (
      current &&
      deepEqual(current.subsets ?? [], subsets) &&
      deepEqual(current.metadata.labels ?? {}, labels) &&
      deepEqual(current.metadata.annotations ?? {}, annotations)
    )
      return;
    const metadata: Endpoints['metadata'] = { ...(current?.metadata ?? { name, namespace }), labels };
    if (Object.keys(annotations).length > 0) metadata.annotations = annotations;
    else delete metadata.annotations;
    const next: Endpoints = { apiVersion: 'v1', kind: 'Endpoints', metadata, subsets };
    wrote(this.#ctx, current ? store.update(next) : store.create(next));
  }
}
