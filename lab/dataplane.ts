// The data plane as the cluster runs it: the nodes' kube-proxies (the cluster's ClusterProxier), the
// Dataplane over the kubelet's pod sockets, the NodePort / LoadBalancer entry listeners, the HTTP
// forward proxy acting as the client pod default/netlab-client, and the LoadBalancer controller that
// gives Services their ingress IPs. lab/cluster.ts hands it the kube-proxies and starts it once
// they run.
import type { Pod, Store } from '../api/index.js';
import {
  Dataplane,
  type DataplaneNodes,
  type DataplaneOptions,
  type EntryListener,
  EntryPoints,
  ForwardProxy,
  loadBalancerLoopback,
  type PodPorts,
  type PodRef,
} from '../proxy/index.js';
import { defaultLoadBalancerPool, LoadBalancerPool, runLoadBalancerController } from './controllers/index.js';

/** The client pod the forward proxy acts as. */
export const proxyClientPod = { namespace: 'default', name: 'netlab-client' } as const;

export interface LabDataplaneOptions {
  /** The forward proxy's address; port 0 picks one; false: no proxy. Default 127.0.0.1:8080. */
  readonly proxyListen?: { host: string; port: number } | false;
  /** Bind NodePort and LoadBalancer listeners on loopback (default true). */
  readonly entryListeners?: boolean;
  /** The loopback address of the n-th node (default 127.0.10.<n+1>). */
  readonly nodeAddress?: (index: number, node: string) => string | undefined;
  /** The loopback address an ingress IP listens on (default 127.b.c.d for a.b.c.d). */
  readonly loadBalancerAddress?: (ip: string) => string | undefined;
  /** LoadBalancer ingress pool, `FIRST-LAST` (default 172.18.255.200-172.18.255.250). */
  readonly loadBalancerPool?: string;
  /** How the forward proxy's client pod resolves names (its resolv.conf against cluster DNS). */
  readonly resolve?: (pod: PodRef, name: string) => Promise<readonly string[]>;
  readonly externalClientIP?: string;
  readonly dropTimeoutMs?: number;
  readonly seed?: number;
  readonly clusterCIDRs?: readonly string[];
  /** kube-proxy's stale-UDP conntrack clean-up (default on; the udp-conntrack scenario turns it off). */
  readonly conntrackCleanup?: boolean;
}

export class LabDataplane {
  #nodes: DataplaneNodes | undefined;
  #dp: Dataplane | undefined;
  #entry: EntryPoints | undefined;
  #proxy: ForwardProxy | undefined;
  #proxyAddress: { host: string; port: number } | undefined;
  #loops: Promise<unknown>[] = [];
  readonly #ac = new AbortController();

  /** The nodes' kube-proxies (the cluster's shared one tells it after every sync); before start. */
  useNodes(nodes: DataplaneNodes): void {
    this.#nodes = nodes;
  }

  get nodes(): DataplaneNodes {
    if (this.#nodes === undefined) throw new Error('the data plane has no nodes');
    return this.#nodes;
  }

  get dataplane(): Dataplane {
    if (this.#dp === undefined) throw new Error('the data plane has not started');
    return this.#dp;
  }

  /** Where the forward proxy listens (undefined when off). */
  get proxyAddress(): { host: string; port: number } | undefined {
    return this.#proxyAddress;
  }

  /** NodePort and LoadBalancer listeners bound now. */
  listeners(): EntryListener[] {
    return this.#entry?.listeners() ?? [];
  }

  /**
   * Brings the entry listeners in line with the rules now; resolves with the ones that could not be
   * bound (their address taken by another program).
   */
  async entryFailures(): Promise<{ listener: EntryListener; error: string }[]> {
    if (this.#entry === undefined) return [];
    await this.#entry.reconcile();
    return this.#entry.failed();
  }

  /** The entry address of each node, in node order. */
  nodeAddresses(): { node: string; address: string }[] {
    const entry = this.#entry;
    if (entry === undefined) return [];
    const out: { node: string; address: string }[] = [];
    this.nodes.list().forEach((n) => {
      const address = entry.nodeAddress(entry.indexOf(n.name), n.name);
      if (address !== undefined) out.push({ node: n.name, address });
    });
    return out;
  }

  /**
   * Starts the data plane over the pods' sockets, creates the proxy's client pod, runs the
   * LoadBalancer controller. A proxy port already taken rejects (EADDRINUSE) with nothing left bound.
   */
  async start(
    store: Store,
    pods: PodPorts,
    opts: LabDataplaneOptions,
    signal: AbortSignal,
    log: (line: string) => void,
  ): Promise<void> {
    const dpOpts: DataplaneOptions = {
      nodes: this.nodes,
      pods,
      ...(opts.externalClientIP !== undefined ? { externalClientIP: opts.externalClientIP } : {}),
      ...(opts.dropTimeoutMs !== undefined ? { dropTimeoutMs: opts.dropTimeoutMs } : {}),
      ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
      ...(opts.clusterCIDRs !== undefined ? { clusterCIDRs: opts.clusterCIDRs } : {}),
      ...(opts.conntrackCleanup !== undefined ? { conntrackCleanup: opts.conntrackCleanup } : {}),
    };
    // Its own controller loop stops with stop(), whatever the cluster's order of stopping.
    signal.addEventListener('abort', () => this.#ac.abort(), { once: true });
    const dp = new Dataplane(dpOpts);
    this.#dp = dp;
    await dp.start();
    if (opts.proxyListen !== false) {
      const listen = opts.proxyListen ?? { host: '127.0.0.1', port: 8080 };
      const resolve = opts.resolve;
      this.#proxy = new ForwardProxy({
        dataplane: dp,
        client: () => clientOf(store),
        ...(resolve !== undefined
          ? {
              resolve: async (name: string) => {
                const c = clientOf(store);
                return c === undefined ? [] : resolve(c, name);
              },
            }
          : {}),
        host: listen.host,
        port: listen.port,
      });
      try {
        this.#proxyAddress = await this.#proxy.listen();
      } catch (e) {
        await dp.close();
        throw e;
      }
      ensureClientPod(store, log);
    }
    if (opts.entryListeners !== false) {
      this.#entry = new EntryPoints(dp, {
        ...(opts.nodeAddress !== undefined ? { nodeAddress: opts.nodeAddress } : {}),
        ...(opts.loadBalancerAddress !== undefined ? { loadBalancerAddress: opts.loadBalancerAddress } : {}),
        log,
      });
      await this.#entry.start();
    }
    const pool = new LoadBalancerPool(opts.loadBalancerPool ?? defaultLoadBalancerPool);
    this.#loops.push(
      runLoadBalancerController(
        store,
        pool,
        this.#ac.signal,
        log,
        opts.loadBalancerAddress ?? loadBalancerLoopback,
      ),
    );
  }

  async stop(): Promise<void> {
    this.#ac.abort();
    await this.#proxy?.close();
    await this.#entry?.close();
    await this.#dp?.close();
    await Promise.allSettled(this.#loops);
  }
}

function clientOf(store: Store): PodRef | undefined {
  const p = store.find('Pod', proxyClientPod.name, proxyClientPod.namespace);
  const ip = p?.status?.podIP;
  const node = p?.spec.nodeName;
  return ip !== undefined && ip !== '' && node !== undefined && node !== '' ? { node, ip } : undefined;
}

// The proxy's client pod: an ordinary pause pod, placed and started like any other.
function ensureClientPod(store: Store, log: (line: string) => void): void {
  if (store.find('Pod', proxyClientPod.name, proxyClientPod.namespace) !== undefined) return;
  const pod: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: proxyClientPod.name,
      namespace: proxyClientPod.namespace,
      labels: { 'app.kubernetes.io/name': 'netlab-client' },
    },
    spec: { containers: [{ name: 'pause', image: 'registry.k8s.io/pause:3.10' }] },
  };
  // On the first node, as `kubectl run --overrides` with a nodeName would put it: the proxy is this
  // machine's door into the cluster and should not move.
  const first = store
    .list('Node')
    .items.map((n) => n.metadata.name ?? '')
    .sort()[0];
  if (first !== undefined) pod.spec.nodeName = first;
  try {
    store.create(pod);
  } catch (e) {
    log(`dataplane: creating Pod default/netlab-client: ${(e as Error).message}`);
  }
}
