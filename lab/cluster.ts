// The cluster that puts the areas together, as far as they exist: the api store (kube-apiserver),
// the EndpointSlice controller loop, one kube-proxy per Node fed by store watches, and cluster DNS
// fed by the same store. Every component talks to the others only through the store, as in
// Kubernetes, so the kubelet and the data plane can join later as more watchers.

import { setMaxListeners } from 'node:events';
import {
  BatchError,
  formatIssue,
  type ManifestIssue,
  type ManifestObject,
  readManifestFiles,
  Store,
  statusIssues,
} from '../api/index.js';
import { DnsServer, type HostPort, parseZoneConfig, StoreSource, Zone } from '../dns/index.js';
import { defaultClusterCIDR, PodCIDRAllocator } from '../ipam/index.js';
import { ClusterProxier, type NodeProxy, type SyncResult, watchStore } from '../proxy/index.js';
import { NetlabError } from '../std/index.js';
import { ApiServer, PodLogs } from './apiserver/index.js';
import {
  ControllerManager,
  type ControllerManagerOptions,
  runNodeIpamController,
} from './controllers/index.js';
import { LabDataplane, type LabDataplaneOptions, proxyClientPod } from './dataplane.js';
import { builtinImages } from './images/index.js';
import { ClusterIntrospection } from './introspect.js';
import { Kubelets, type KubeletsOptions } from './kubelet/index.js';
import { followNodes } from './node-proxies.js';

export interface ClusterOptions {
  /** Manifest files or directories. */
  manifests: readonly string[];
  /** Objects already read (cluster.yaml's Nodes, the add-ons), applied with the manifests' ones. */
  objects?: readonly ManifestObject[];
  /** --service-cluster-ip-range. */
  serviceCIDRs?: readonly string[];
  /** Seed of every random choice (uids, names, allocations). */
  seed?: number;
  /** The store's `generatedNames` (default `shared`). */
  generatedNames?: 'shared' | 'perName';
  /** Cluster DNS: `ttl`, `pods` mode, and the upstream for names outside the zone. */
  dns?: { ttl?: number; pods?: string; upstream?: HostPort };
  /** Pod network (`--cluster-cidr` of every kube-proxy). */
  clusterCIDRs?: readonly string[];
  /** Where cluster DNS listens; port 0 picks one. */
  dnsListen?: HostPort;
  zone?: string;
  /**
   * Run the Pods: a kubelet per Node (CNI, in-process images, probes, graceful deletion). Off, the
   * status written in a manifest is what "the kubelet" reports (the demo's hand-written pods).
   */
  kubelets?: false | Omit<KubeletsOptions, 'images'>;
  /** The data plane over the kubelets' pods (NodePorts, LoadBalancers, the forward proxy); false: none. */
  dataplane?: false | LabDataplaneOptions;
  /** Serve the kube-API (kubectl, client-go) here; absent: no API server. */
  api?: { host: string; port: number; token?: string | undefined };
  /**
   * kube-proxy's --iptables-min-sync-period in ms (default 100): changes that arrive closer together
   * are applied in one sync, which every node's kube-proxy shares.
   */
  proxyMinSyncPeriodMs?: number;
  /** kube-controller-manager's durations (node monitor grace period, eviction, pod GC quarantine), seed. */
  controllers?: Omit<ControllerManagerOptions, 'signal' | 'log'>;
}

/** The manifests could not be applied; nothing was. */
export class ClusterBootError extends NetlabError {
  override readonly name = 'ClusterBootError';
  readonly code = 'NETLAB_LAB_BOOT';
  constructor(readonly issues: readonly ManifestIssue[]) {
    super(issues.map((i) => formatIssue(i)).join('\n'));
  }
}

export class Cluster {
  readonly store: Store;
  /** kube-proxy of each Node, by node name: its sync reports, payload, rules and fast path. */
  readonly proxiers: ReadonlyMap<string, NodeProxy>;
  /** The state every node's kube-proxy shares (Services, slices, rendered service ports). */
  readonly kubeProxy: ClusterProxier;
  readonly dns: DnsServer;
  readonly dnsAddress: HostPort;
  /** What the controllers logged (failed writes, skipped Pods, exhausted ranges), oldest first. */
  readonly log: readonly string[];
  /** The Nodes' kubelets (when the cluster runs pods); `kubelets.ports` is proxy's PodPorts. */
  kubelets: Kubelets | undefined;
  /** The data plane (when the kubelets run pods). */
  dataplane: LabDataplane | undefined;
  readonly #ac: AbortController;
  readonly #loops: Promise<unknown>[];
  /** The kube-API, when booted with `api`. */
  api: ApiServer | undefined;
  /** Where pods write their app and access logs; `kubectl logs` reads them through the kube-API. */
  readonly podLogs = new PodLogs();

  private constructor(
    store: Store,
    kubeProxy: ClusterProxier,
    proxiers: ReadonlyMap<string, NodeProxy>,
    dns: DnsServer,
    dnsAddress: HostPort,
    log: readonly string[],
    ac: AbortController,
    loops: Promise<unknown>[],
  ) {
    this.log = log;
    this.store = store;
    this.kubeProxy = kubeProxy;
    this.proxiers = proxiers;
    this.dns = dns;
    this.dnsAddress = dnsAddress;
    this.#ac = ac;
    this.#loops = loops;
  }

  /** Applies the manifests as kube-apiserver would (all or nothing), then starts every component. */
  static async boot(opts: ClusterOptions): Promise<Cluster> {
    const podCIDRs = new PodCIDRAllocator({ clusterCIDRs: opts.clusterCIDRs ?? [defaultClusterCIDR] });
    const store = new Store({
      bookmarkIntervalMs: 0,
      ...(opts.serviceCIDRs ? { serviceCIDRs: [...opts.serviceCIDRs] } : {}),
      ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
      ...(opts.generatedNames !== undefined ? { generatedNames: opts.generatedNames } : {}),
    });
    const read = readManifestFiles([...opts.manifests]);
    if (read.issues.length > 0) throw new ClusterBootError(read.issues);
    read.objects.unshift(...(opts.objects ?? []));
    try {
      store.apply(read.objects);
    } catch (e) {
      store.close();
      if (!(e instanceof BatchError)) throw e;
      throw new ClusterBootError(e.failures.flatMap((f) => statusIssues(read.objects[f.index]!, f.error)));
    }
    // kube-apiserver drops a Pod's status on create; the kubelet reports it afterwards. A cluster
    // run without kubelets has no one to report it, so the status written in the manifest stands in.
    for (const { object } of read.objects) {
      if (opts.kubelets || object.kind !== 'Pod' || !object.status) continue;
      const stored = store.get('Pod', object.metadata.name ?? '', object.metadata.namespace ?? 'default');
      store.updateStatus({ ...stored, status: { ...stored.status, ...object.status } });
    }
    const ac = new AbortController();
    // One signal stops every watch of every component: more than the default ten listeners.
    setMaxListeners(0, ac.signal);
    const log: string[] = [];
    const logLine = (line: string) => {
      if (log[log.length - 1] !== line) log.push(line);
    };
    const controllers = new ControllerManager(store, {
      ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
      ...opts.controllers,
      signal: ac.signal,
      log: logLine,
    });
    controllers.start();
    const loops: Promise<unknown>[] = [
      runNodeIpamController(store, podCIDRs, ac.signal, logLine),
      controllers.stopped(),
    ];
    const dataplane = opts.kubelets && opts.dataplane !== false ? new LabDataplane() : undefined;
    const kubeProxy = new ClusterProxier({
      clusterCIDRs: opts.clusterCIDRs ?? [defaultClusterCIDR],
      minSyncPeriod: opts.proxyMinSyncPeriodMs ?? 100,
    });
    // Every Node, now and later, gets a kube-proxy; a deleted Node loses it.
    const proxiers = new Map<string, NodeProxy>();
    loops.push(watchStore(store, followNodes(kubeProxy, proxiers, logLine), { signal: ac.signal }));
    const zoneConfig = parseZoneConfig({
      zones: [opts.zone ?? 'cluster.local', 'in-addr.arpa', 'ip6.arpa'],
      ...(opts.dns?.ttl !== undefined ? { ttl: opts.dns.ttl } : {}),
      ...(opts.dns?.pods !== undefined ? { pods: opts.dns.pods } : {}),
    });
    const zone = new Zone(new StoreSource(store, { signal: ac.signal, pods: zoneConfig.pods }), zoneConfig);
    const dns = new DnsServer({
      zone,
      listen: opts.dnsListen ?? { host: '127.0.0.1', port: 10053 },
      ...(opts.dns?.upstream ? { upstream: opts.dns.upstream } : {}),
    });
    let addr: HostPort;
    try {
      addr = await dns.listen();
    } catch (e) {
      ac.abort();
      store.close();
      throw e;
    }
    const cluster = new Cluster(store, kubeProxy, proxiers, dns, addr, log, ac, loops);
    if (opts.kubelets) {
      const dnsIPs = new Set(
        store.find('Service', 'kube-dns', 'kube-system')?.spec.clusterIPs ?? ['10.96.0.10'],
      );
      const kubeletOpts = opts.kubelets;
      cluster.kubelets = new Kubelets(store, {
        clusterDNS: [...dnsIPs],
        // Pods ask the lab's DNS listener directly, unless pods serve kube-dns (a CoreDNS Deployment
        // behind its selector) and the data plane carries their queries there, as in a cluster.
        dnsAddress: (ip) =>
          dnsIPs.has(ip) &&
          !(cluster.dataplane && store.find('Service', 'kube-dns', 'kube-system')?.spec.selector)
            ? addr
            : undefined,
        // Container output is what `kubectl logs` reads through the kube-API, kept by the pod's uid
        // (a pod made again under its name has lines of its own) until its kubelet is done with it.
        onLog: (pod, container, line) =>
          cluster.podLogs.write(
            pod.metadata.namespace ?? 'default',
            pod.metadata.name ?? '',
            container,
            line,
            undefined,
            pod.metadata.uid ?? '',
          ),
        ...opts.kubelets,
        // The pod's logs go with it, whatever else is told of its removal.
        onRemoved: (pod) => {
          cluster.podLogs.remove(
            pod.metadata.namespace ?? 'default',
            pod.metadata.name ?? '',
            pod.metadata.uid ?? '',
          );
          kubeletOpts.onRemoved?.(pod);
        },
        images: builtinImages({ zone, ...(opts.dns?.upstream ? { upstream: opts.dns.upstream } : {}) }),
      });
      if (dataplane) {
        dataplane.useNodes(kubeProxy);
        const kubelets = cluster.kubelets;
        const dpOpts: LabDataplaneOptions = {
          clusterCIDRs: opts.clusterCIDRs ?? [defaultClusterCIDR],
          // The proxy's client pod resolves names as its kubelet set it up (resolv.conf, cluster DNS).
          resolve: async (ref, name) => {
            const pod = store.find('Pod', proxyClientPod.name, proxyClientPod.namespace);
            const k = kubelets.get(ref.node);
            return pod && k ? k.lookup(pod, name, 4) : [];
          },
          ...opts.dataplane,
        };
        try {
          await dataplane.start(store, kubelets.ports, dpOpts, ac.signal, logLine);
        } catch (e) {
          await cluster.stop();
          throw e;
        }
        cluster.dataplane = dataplane;
        kubelets.useDataplane(dataplane.dataplane);
      }
      cluster.kubelets.start();
    }
    if (opts.api) {
      const api = new ApiServer({
        store,
        logs: cluster.podLogs,
        lab: new ClusterIntrospection(cluster, opts.zone ?? 'cluster.local'),
        ...opts.api,
      });
      try {
        await api.listen();
      } catch (e) {
        await cluster.stop();
        throw e;
      }
      cluster.api = api;
    }
    return cluster;
  }

  /**
   * Resolves once the store has been quiet for `quietMs` and every kube-proxy has synced since: the
   * controllers and proxiers have caught up with what was applied.
   */
  async settled(quietMs = 100, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let rv = this.store.resourceVersion;
    let since = Date.now();
    while (Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 10));
      if (this.store.resourceVersion !== rv) {
        rv = this.store.resourceVersion;
        since = Date.now();
      } else if (
        Date.now() - since >= quietMs &&
        !this.kubeProxy.pending &&
        [...this.proxiers.values()].every((p) => p.lastSync)
      ) {
        return;
      }
    }
  }

  /** The last sync of each node's kube-proxy. */
  syncs(): Map<string, SyncResult | null> {
    return new Map([...this.proxiers].map(([n, p]) => [n, p.lastSync]));
  }

  async stop(): Promise<void> {
    await this.dataplane?.stop();
    // The control plane first (controllers, kube-proxy, DNS's watches): the kubelets' teardown is
    // then only theirs (every pod's containers stopped, its CNI DEL), not a cluster reconciling the
    // end of every pod (at 100,000 pods that churn took minutes: new Pods, slices, every node's sync).
    this.#ac.abort();
    this.kubeProxy.stop();
    await this.kubelets?.stop();
    await this.api?.close();
    await this.dns.close();
    this.store.close();
    await Promise.allSettled(this.#loops);
  }
}
