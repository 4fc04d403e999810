// The informers of kube-proxy: list then watch Services, EndpointSlices and Nodes from a
// WatchableStore and hand every event to the proxier's handlers, which only record changes. The
// last object seen per key stands in for the informer cache, so updates arrive as {previous, current}.
import type { EndpointSlice, Node, Service, WatchableStore, WatchEvent } from '../../api/index.js';
import type { Proxier } from './proxier.js';

/** What the feed calls: a Proxier, or a ClusterProxier serving every node. */
export type ProxierHandlers = Pick<
  Proxier,
  | 'onServiceAdd'
  | 'onServiceUpdate'
  | 'onServiceDelete'
  | 'onServicesSynced'
  | 'onEndpointSliceAdd'
  | 'onEndpointSliceUpdate'
  | 'onEndpointSliceDelete'
  | 'onEndpointSlicesSynced'
  | 'onNodeAdd'
  | 'onNodeUpdate'
  | 'onNodeDelete'
>;

export interface WatchStoreOptions {
  /** Stops the watches; the returned promise then settles. */
  signal?: AbortSignal;
}

function keyOf(o: { metadata: { namespace?: string; name?: string } }): string {
  return `${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;
}

interface Handlers<T> {
  add(o: T): void;
  update(prev: T, cur: T): void;
  del(o: T): void;
}

async function consume<T extends { metadata: { namespace?: string; name?: string } }>(
  events: AsyncIterable<WatchEvent<T>>,
  cache: Map<string, T>,
  h: Handlers<T>,
): Promise<void> {
  for await (const ev of events) {
    if (ev.type === 'BOOKMARK') continue;
    const key = keyOf(ev.object);
    const prev = cache.get(key);
    if (ev.type === 'DELETED') {
      cache.delete(key);
      h.del(prev ?? ev.object);
    } else {
      cache.set(key, ev.object);
      if (prev) h.update(prev, ev.object);
      else h.add(ev.object);
    }
  }
}

/**
 * Feeds `proxier` from `store` until the signal aborts (or a watch ends). The initial lists are
 * delivered first and trigger the first (full) sync, as kube-proxy does once its caches are synced.
 * @example
 * const ac = new AbortController();
 * const done = watchStore(store, new Proxier({ nodeName: 'node-1', minSyncPeriod: 1000 }), { signal: ac.signal });
 */
export async function watchStore(
  store: WatchableStore,
  proxier: ProxierHandlers,
  opts: WatchStoreOptions = {},
): Promise<void> {
  const services = store.list('Service');
  const slices = store.list('EndpointSlice');
  const nodes = store.list('Node');
  const svcCache = new Map<string, Service>();
  const sliceCache = new Map<string, EndpointSlice>();
  const nodeCache = new Map<string, Node>();
  for (const n of nodes.items) {
    nodeCache.set(keyOf(n), n);
    proxier.onNodeAdd(n);
  }
  for (const s of services.items) {
    svcCache.set(keyOf(s), s);
    proxier.onServiceAdd(s);
  }
  for (const s of slices.items) {
    sliceCache.set(keyOf(s), s);
    proxier.onEndpointSliceAdd(s);
  }
  proxier.onServicesSynced();
  proxier.onEndpointSlicesSynced();
  const base = opts.signal ? { signal: opts.signal } : {};
  try {
    await Promise.all([
      consume<Service>(
        store.watch('Service', { ...base, resourceVersion: services.resourceVersion }),
        svcCache,
        {
          add: (o) => proxier.onServiceAdd(o),
          update: (p, c) => proxier.onServiceUpdate(p, c),
          del: (o) => proxier.onServiceDelete(o),
        },
      ),
      consume<EndpointSlice>(
        store.watch('EndpointSlice', { ...base, resourceVersion: slices.resourceVersion }),
        sliceCache,
        {
          add: (o) => proxier.onEndpointSliceAdd(o),
          update: (p, c) => proxier.onEndpointSliceUpdate(p, c),
          del: (o) => proxier.onEndpointSliceDelete(o),
        },
      ),
      consume<Node>(store.watch('Node', { ...base, resourceVersion: nodes.resourceVersion }), nodeCache, {
        add: (o) => proxier.onNodeAdd(o),
        update: (p, c) => proxier.onNodeUpdate(p, c),
        del: (o) => proxier.onNodeDelete(o),
      }),
    ]);
  } catch (e) {
    if (opts.signal?.aborted) return;
    throw e;
  }
}
