// netlab as a read-only client of any cluster (a real one, or a running lab): the objects kube-proxy
// and CoreDNS read (Services, EndpointSlices, Nodes; Namespaces and Pods for DNS) listed through the
// cluster's API into a Store as an informer cache holds them (Store.replace), and the lab/tools
// functions called on it: kube-proxy's rules for a node (`iptables-save --kubeconfig`), a packet's
// walk through them (`trace --kubeconfig`), and cluster DNS kept current by list and watch
// (@kubernetes/client-node's ListWatch and Watch) for `dns serve --kubeconfig`.
import type { KubeConfig, KubernetesObject, ListWatch } from '@kubernetes/client-node';
import type { AnyObject, Kind, Store } from '../../api/index.js';
import {
  type NodeFlags,
  objectStore,
  type PacketFlags,
  type ServedZone,
  serveZone,
  syncNode,
  type TraceOutput,
  traceOnNode,
  traceRequest,
  type ZoneFlags,
} from '../tools/index.js';
import { collectionPath, resourceFor } from './resources.js';
import { ApiStatusError, type KubeClient, type WireStatus } from './rest.js';

/** What kube-proxy lists and watches. */
export const proxyKinds: readonly Kind[] = ['Service', 'EndpointSlice', 'Node'];

/** What CoreDNS's kubernetes plugin lists and watches (Pods only for `pods verified`). */
export function zoneKindsFor(podsMode: string): Kind[] {
  return ['Namespace', 'Service', 'EndpointSlice', ...(podsMode === 'verified' ? (['Pod'] as const) : [])];
}

interface ListPage {
  items: AnyObject[];
  metadata?: { resourceVersion?: string; continue?: string };
}

/**
 * Every object of `kind` in the cluster, in pages of 500 as client-go's reflector lists, each with
 * its kind and apiVersion (list items carry neither on the wire), and the list's resourceVersion.
 */
export async function listKind(
  client: KubeClient,
  kind: Kind,
): Promise<{ items: AnyObject[]; metadata: { resourceVersion: string } }> {
  const r = resourceFor(kind);
  const items: AnyObject[] = [];
  let cont = '';
  let resourceVersion = '';
  do {
    const q = new URLSearchParams({ limit: '500', ...(cont ? { continue: cont } : {}) });
    const page = await client.json<ListPage>('GET', `${collectionPath(r, undefined)}?${q}`);
    for (const o of page.items ?? [])
      items.push({ ...o, kind: r.kind, apiVersion: r.groupVersion } as AnyObject);
    if (resourceVersion === '') resourceVersion = page.metadata?.resourceVersion ?? '';
    cont = page.metadata?.continue ?? '';
  } while (cont !== '');
  return { items, metadata: { resourceVersion } };
}

/** The cluster's objects of `kinds`, listed once, in a store as an informer cache holds them. */
export async function readCluster(client: KubeClient, kinds: readonly Kind[]): Promise<Store> {
  const lists = await Promise.all(kinds.map((k) => listKind(client, k)));
  const store = objectStore();
  store.replace(
    kinds,
    lists.flatMap((l) => l.items),
  );
  return store;
}

/** `netlab iptables-save --kubeconfig K --node N`: kube-proxy's first sync on N from the cluster's objects. */
export async function iptablesSaveCluster(
  client: KubeClient,
  flags: NodeFlags,
): Promise<{ payload: string; warnings: string[] }> {
  const store = await readCluster(client, proxyKinds);
  try {
    const sync = syncNode(store, flags);
    return { payload: sync.result.payload, warnings: sync.warnings };
  } finally {
    store.close();
  }
}

/** `netlab trace --kubeconfig K ...`: the packet flags checked first, then the cluster read. */
export async function traceCluster(client: KubeClient, flags: PacketFlags & NodeFlags): Promise<TraceOutput> {
  const req = traceRequest(flags);
  const store = await readCluster(client, proxyKinds);
  try {
    return traceOnNode(store, req);
  } finally {
    store.close();
  }
}

/** A watch that failed: the Status the server sent, or the connection's error. */
function watchErrorText(kind: Kind, e: unknown): string {
  const err = e as { statusCode?: number; code?: number | string; message?: string };
  const status = err.statusCode ?? (typeof err.code === 'number' ? err.code : undefined);
  return `watch ${resourceFor(kind).resource}: ${status !== undefined ? `${status} ` : ''}${err.message ?? String(e)}`;
}

/** The config client-node's Watch needs: it refuses plain HTTP unless TLS checks are off (there are none). */
function watchConfig(client: KubeClient): KubeConfig {
  const kc = client.config;
  const cluster = kc.getCurrentCluster();
  if (!cluster?.server.startsWith('http:') || cluster.skipTLSVerify) return kc;
  // The class of the loaded config: client-node is imported when a kubeconfig is loaded, not before.
  const copy = new (kc.constructor as typeof KubeConfig)();
  copy.loadFromOptions({
    clusters: kc.clusters.map((c) => (c.name === cluster.name ? { ...c, skipTLSVerify: true } : c)),
    users: kc.users,
    contexts: kc.contexts,
    currentContext: kc.currentContext,
  });
  return copy;
}

export interface MirrorOptions {
  /** A watch that failed after the first list (it is started again, resuming where it was). */
  onError?: (line: string) => void;
  /** Wait before a failed watch starts again; doubles up to 30 s. Default 1000 ms. */
  retryMs?: number;
}

/**
 * The cluster's objects of `kinds` kept current in a store: client-node's ListWatch per kind (list,
 * then watch from the list's resourceVersion; 410 Gone lists again), each change put into the store
 * as the kind's whole cache (Store.replace, coalesced per event-loop turn), so the store's watchers
 * see only the differences, as from an informer.
 */
export class ClusterMirror {
  readonly store: Store;
  readonly #watches: ListWatch<KubernetesObject>[] = [];
  readonly #timers = new Set<NodeJS.Timeout>();
  #stopped = false;

  private constructor() {
    this.store = objectStore();
  }

  /**
   * Lists every kind and starts its watch. The first list failing rejects (the server's Status as
   * ApiStatusError, an unreachable server as ClientError); nothing keeps running then.
   */
  static async start(
    client: KubeClient,
    kinds: readonly Kind[],
    opts: MirrorOptions = {},
  ): Promise<ClusterMirror> {
    const m = new ClusterMirror();
    try {
      await Promise.all(kinds.map((k) => m.#startKind(client, k, opts)));
    } catch (e) {
      await m.stop();
      throw e;
    }
    return m;
  }

  async #startKind(client: KubeClient, kind: Kind, opts: MirrorOptions): Promise<void> {
    const { ListWatch, Watch } = await import('@kubernetes/client-node');
    const r = resourceFor(kind);
    let firstError: unknown;
    // Only the first list is fatal; a watch that fails, even the first, is retried.
    let listed = false;
    const lw = new ListWatch<KubernetesObject>(
      collectionPath(r, undefined),
      new Watch(watchConfig(client)),
      async () => {
        const list = await listKind(client, kind);
        listed = true;
        return list as never;
      },
      false,
    );
    this.#watches.push(lw);
    let pending = false;
    const flush = () => {
      pending = false;
      if (this.#stopped) return;
      this.store.replace(
        [kind],
        lw.list().map((o) => ({ ...o, kind: r.kind, apiVersion: r.groupVersion }) as unknown as AnyObject),
      );
    };
    const changed = () => {
      if (pending) return;
      pending = true;
      setImmediate(flush);
    };
    lw.on('add', changed);
    lw.on('update', changed);
    lw.on('delete', changed);
    let retry = opts.retryMs ?? 1000;
    lw.on('error', (e: unknown) => {
      if (!listed) {
        firstError = e;
        return;
      }
      if (this.#stopped) return;
      opts.onError?.(e instanceof ApiStatusError ? e.message : watchErrorText(kind, e));
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        if (!this.#stopped) void lw.start();
      }, retry);
      this.#timers.add(timer);
      retry = Math.min(retry * 2, 30_000);
    });
    lw.on('connect', () => {
      if (listed) retry = opts.retryMs ?? 1000;
    });
    await lw.start();
    if (firstError !== undefined) throw asClientFailure(kind, firstError);
    flush();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    await Promise.all(this.#watches.map((w) => w.stop()));
    this.store.close();
  }
}

/** The first list's failure as the client's own errors (the list went through KubeClient). */
function asClientFailure(kind: Kind, e: unknown): unknown {
  if (e instanceof Error && typeof (e as { code?: unknown }).code === 'string') return e;
  const err = e as { statusCode?: number; message?: string };
  return new ApiStatusError({
    code: err.statusCode ?? 0,
    message: watchErrorText(kind, e),
  } satisfies WireStatus);
}

/** `netlab dns serve --kubeconfig K`: cluster DNS for the cluster's names, kept current by watches. */
export async function serveClusterZone(
  client: KubeClient,
  flags: ZoneFlags,
  opts: MirrorOptions = {},
): Promise<ServedZone & { mirror: ClusterMirror }> {
  const mirror = await ClusterMirror.start(client, zoneKindsFor(flags.pods), opts);
  let served: ServedZone;
  try {
    served = await serveZone(mirror.store, flags);
  } catch (e) {
    await mirror.stop();
    throw e;
  }
  return {
    ...served,
    mirror,
    close: async () => {
      await served.close();
      await mirror.stop();
    },
  };
}
