// The kubelet of one Node: a store watch of the Pods bound to it, a worker per pod (pod.ts), the
// node's Lease heartbeat and Ready condition. Work is per pod and per event: nothing scans the
// cluster, and an idle pod without probes holds no timer.
import { connect, type Socket } from 'node:net';
import type { Node, Pod, Store } from '../../api/index.js';
import type { NetworkConfigList } from '../../cni/index.js';
import {
  type HostPort,
  type Libc,
  parseResolvConf,
  podDNS,
  type ResolverSockets,
  resolve,
} from '../../dns/index.js';
import type { Image } from '../images/index.js';
import { imageName } from '../images/index.js';
import type { ClusterNetwork } from './network.js';
import { frozenIPs, PodWorker, sameIPs } from './pod.js';
import type { PodPortTable } from './podports.js';

/** A pod as a source of traffic (the data plane's PodRef). */
export interface PodSource {
  node: string;
  ip: string;
}

/** How pods reach other addresses: the data plane provides it; the default is a direct connection. */
export type DialFn = (from: PodSource, ip: string, port: number) => Socket;
/** A pod's UDP socket through the data plane (from an ephemeral port, or `port`). */
export type UdpSocketFn = (
  from: PodSource,
  onMessage: (msg: Uint8Array) => void,
  port?: number,
) => { send(msg: Uint8Array, ip: string, port: number): boolean; close(): void };
export type UdpExchangeFn = (
  from: PodSource,
  ip: string,
  port: number,
  msg: Uint8Array,
  timeoutMs: number,
) => Promise<Buffer>;

export interface KubeletEvent {
  namespace: string;
  name: string;
  kind: 'Pod' | 'Node';
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

export interface KubeletOptions {
  store: Store;
  nodeName: string;
  network: ClusterNetwork;
  ports: PodPortTable;
  images: ReadonlyMap<string, Image>;
  /** Bind each container port on 127.0.0.1:<ephemeral> too (default true). */
  realSockets?: boolean;
  /** Milliseconds in one second: every duration in a Pod spec and below is scaled by it (tests). */
  second?: number;
  /** nodeLeaseRenewInterval in seconds (default 10); leaseDurationSeconds is 40. */
  nodeLeaseRenewIntervalSeconds?: number;
  /** Crash-loop back-off: first delay and maximum, in seconds (kubelet: 10 and 300). */
  backoffInitialSeconds?: number;
  backoffMaxSeconds?: number;
  /** --cluster-dns and --cluster-domain. */
  clusterDNS?: readonly string[];
  clusterDomain?: string;
  /** The real address of a cluster DNS server IP (the lab's DNS listener), for pods' lookups. */
  dnsAddress?: (ip: string) => HostPort | undefined;
  dial?: DialFn;
  udp?: UdpExchangeFn;
  /** Events (the store's Event kind when it has one). */
  onEvent?: (e: KubeletEvent) => void;
  /** A container is about to receive SIGTERM (tests observe the termination order). */
  onStopping?: (pod: Pod, container: string) => void;
  /** Container log lines. */
  onLog?: (pod: Pod, container: string, line: string) => void;
  /**
   * The kubelet is done with a pod (its containers stopped, its sandbox torn down): it writes no line
   * again, and a kubelet removes its containers and their logs now. Once per pod (per uid).
   */
  onRemoved?: (pod: Pod) => void;
  /** Clock for timestamps. */
  now?: () => Date;
}

let ephemeral = 32767;
/** Linux's ip_local_port_range (32768-60999), for pods' outgoing connections. */
function nextEphemeralPort(): number {
  ephemeral = ephemeral >= 60999 ? 32768 : ephemeral + 1;
  return ephemeral;
}

/** metav1.Time: RFC 3339 to the second (the text kept for the second it names: pods start by the thousand a second). */
let rfcSecond = Number.NaN;
let rfcText = '';
function rfc3339(ms: number): string {
  const second = Math.floor(ms / 1000);
  if (second !== rfcSecond) {
    rfcText = `${new Date(ms).toISOString().slice(0, 19)}Z`;
    rfcSecond = second;
  }
  return rfcText;
}

/** metav1.MicroTime: six fractional digits. */
function microTime(d: Date): string {
  return `${d.toISOString().slice(0, 23)}000Z`;
}

export class Kubelet {
  readonly store: Store;
  readonly nodeName: string;
  readonly network: ClusterNetwork;
  readonly ports: PodPortTable;
  readonly realSockets: boolean;
  readonly second: number;
  readonly backoffInitialSeconds: number;
  readonly backoffMaxSeconds: number;
  readonly onStopping: KubeletOptions['onStopping'];
  nodeIPs: string[] = [];
  /** nodeIPs as a pod's status lists them (hostIPs), shared by the node's pods. */
  #hostIPs: { ip: string }[] = [];
  #hostIPsOf: string[] | undefined;
  /** The data plane's way out for pods, once it runs (Kubelets.useDataplane). */
  dataplane: { dial: DialFn; udp: UdpExchangeFn; socket?: UdpSocketFn } | undefined;
  readonly #opts: KubeletOptions;
  readonly #workers = new Map<string, PodWorker>();
  readonly #ac = new AbortController();
  #loops: Promise<unknown>[] = [];
  #list: NetworkConfigList | undefined;
  #networkReady: Promise<NetworkConfigList>;
  #resolveNetwork!: (l: NetworkConfigList) => void;
  #leaseTimer: NodeJS.Timeout | undefined;
  /** imageName() of each image a pod named: every pod of a Deployment names the same one. */
  readonly #imageNames = new Map<string, string>();
  #heartbeat = true;

  constructor(opts: KubeletOptions) {
    this.#opts = opts;
    this.store = opts.store;
    this.nodeName = opts.nodeName;
    this.network = opts.network;
    this.ports = opts.ports;
    this.realSockets = opts.realSockets ?? true;
    this.second = opts.second ?? 1000;
    this.backoffInitialSeconds = opts.backoffInitialSeconds ?? 10;
    this.backoffMaxSeconds = opts.backoffMaxSeconds ?? 300;
    this.onStopping = opts.onStopping;
    this.#networkReady = new Promise((r) => {
      this.#resolveNetwork = r;
    });
  }

  /** Starts the node's heartbeat and its watches. */
  start(): void {
    const signal = this.#ac.signal;
    this.#loops.push(this.#watchNode(signal), this.#watchPods(signal));
    this.#renewLease();
    this.#setNodeReady();
  }

  async stop(): Promise<void> {
    this.#ac.abort();
    clearTimeout(this.#leaseTimer);
    await Promise.all([...this.#workers.values()].map((w) => w.terminate(0, false)));
    await Promise.allSettled(this.#loops);
  }

  /** The node "fails": its Lease is no longer renewed (the node lifecycle controller notices). */
  stopHeartbeat(): void {
    this.#heartbeat = false;
    clearTimeout(this.#leaseTimer);
  }

  /**
   * The node comes back: the Lease is renewed at once, the Node reports Ready again, and each pod's
   * status is written as this kubelet knows it (its status manager finds the API's copy differs:
   * the node lifecycle controller marked the pods not ready meanwhile), so their endpoints return.
   */
  resumeHeartbeat(): void {
    if (this.#heartbeat) return;
    this.#heartbeat = true;
    this.#renewLease();
    this.#setNodeReady();
    for (const w of this.#workers.values()) this.writeStatus(w);
  }

  get heartbeating(): boolean {
    return this.#heartbeat;
  }

  /** The running pods of this node, by namespace/name. */
  get pods(): ReadonlyMap<string, PodWorker> {
    return this.#workers;
  }

  get hostIPs(): { ip: string }[] {
    // Made again when nodeIPs is another list or holds other addresses (it is a public array).
    if (this.#hostIPsOf !== this.nodeIPs || !sameIPs(this.#hostIPs, this.nodeIPs)) {
      this.#hostIPs = frozenIPs(this.nodeIPs);
      this.#hostIPsOf = this.nodeIPs;
    }
    return this.#hostIPs;
  }

  timestamp(): string {
    // The clock's reading, no Date made for it unless a clock is given (several reads a pod).
    const now = this.#opts.now;
    return rfc3339(now ? now().getTime() : Date.now());
  }

  // --- watches --------------------------------------------------------------------------------

  async #watchNode(signal: AbortSignal): Promise<void> {
    try {
      for await (const ev of this.store.watch('Node', {
        fieldSelector: `metadata.name=${this.nodeName}`,
        signal,
      })) {
        if (ev.type === 'ADDED' || ev.type === 'MODIFIED') this.#onNode(ev.object);
      }
    } catch (e) {
      if (!signal.aborted) throw e;
    }
  }

  #onNode(node: Node): void {
    this.nodeIPs = (node.status?.addresses ?? [])
      .filter((a) => a.type === 'InternalIP')
      .map((a) => a.address);
    const cidrs = node.spec?.podCIDRs ?? (node.spec?.podCIDR ? [node.spec.podCIDR] : []);
    if (this.#list || cidrs.length === 0) return;
    this.#list = this.network.nodeNetwork(this.nodeName, this.nodeIPs, cidrs);
    this.#resolveNetwork(this.#list);
  }

  /** The node's conflist, once the node IPAM controller has given it podCIDRs. */
  nodeNetwork(): Promise<NetworkConfigList> {
    return this.#networkReady;
  }

  async #watchPods(signal: AbortSignal): Promise<void> {
    try {
      for await (const ev of this.store.watch('Pod', {
        fieldSelector: `spec.nodeName=${this.nodeName}`,
        signal,
      })) {
        const pod = ev.object;
        const key = `${pod.metadata.namespace}/${pod.metadata.name}`;
        let w = this.#workers.get(key);
        if (w && w.uid !== pod.metadata.uid) {
          // A new pod of the same name: the old one is gone from the store.
          void w.terminate(0, false);
          w = undefined;
        }
        if (ev.type === 'DELETED') {
          if (w) void w.terminate(0, false);
          continue;
        }
        if (ev.type !== 'ADDED' && ev.type !== 'MODIFIED') continue;
        const phase = pod.status?.phase;
        if (!w) {
          if (phase === 'Succeeded' || phase === 'Failed' || pod.metadata.deletionTimestamp) {
            // Nothing of it runs here: a graceful delete is finished at once.
            if (pod.metadata.deletionTimestamp) this.#finishDelete(pod);
            continue;
          }
          w = new PodWorker(this, pod);
          this.#workers.set(key, w);
          w.update(pod);
          void w.start();
        } else {
          w.update(pod);
          this.#reconcileStatus(w, pod);
        }
      }
    } catch (e) {
      if (!signal.aborted) throw e;
    }
  }

  /**
   * The status manager's reconcile: the API says the pod is not ready (the node lifecycle controller
   * marked it so while this node's Lease looked stale) but this kubelet knows it ready; while it can
   * reach the API (heart-beating) it writes its own status back, so endpoints come back.
   */
  #reconcileStatus(w: PodWorker, pod: Pod): void {
    if (!this.#heartbeat) return;
    const api = pod.status?.conditions?.find((c) => c.type === 'Ready')?.status;
    if (api !== 'False' || pod.metadata.deletionTimestamp) return;
    if (w.status().conditions?.find((c) => c.type === 'Ready')?.status === 'True') this.writeStatus(w);
  }

  /** Called by a worker once its pod is gone. */
  forget(w: PodWorker): void {
    if (this.#workers.get(w.key) === w) this.#workers.delete(w.key);
    // Its own uid's: a new pod of the name (here or on another node) may already be running.
    this.#opts.onRemoved?.(w.pod);
  }

  retry(w: PodWorker, seconds: number): void {
    setTimeout(() => {
      if (this.#workers.get(w.key) === w && !this.#ac.signal.aborted) void w.start();
    }, seconds * this.second).unref();
  }

  // --- writes ---------------------------------------------------------------------------------

  writeStatus(w: PodWorker): void {
    const cur = this.store.find('Pod', w.pod.metadata.name ?? '', w.pod.metadata.namespace);
    if (!cur || cur.metadata.uid !== w.uid) return;
    try {
      this.store.updateStatus({ ...cur, status: w.status() });
    } catch (e) {
      this.#log(`kubelet ${this.nodeName}: status of pod ${w.key}: ${(e as Error).message}`);
    }
  }

  writeAnnotation(w: PodWorker, name: string, value: string): void {
    const cur = this.store.find('Pod', w.pod.metadata.name ?? '', w.pod.metadata.namespace);
    if (!cur || cur.metadata.uid !== w.uid) return;
    try {
      this.store.patch(
        'Pod',
        cur.metadata.name ?? '',
        { metadata: { annotations: { [name]: value || null } } },
        {
          namespace: cur.metadata.namespace ?? 'default',
        },
      );
    } catch (e) {
      this.#log(`kubelet ${this.nodeName}: annotating pod ${w.key}: ${(e as Error).message}`);
    }
  }

  /** The status manager's last step of a graceful delete: grace 0, this pod's uid only. */
  deleteFromStore(w: PodWorker): void {
    this.#finishDelete(w.pod);
  }

  #finishDelete(pod: Pod): void {
    try {
      this.store.delete('Pod', pod.metadata.name ?? '', {
        namespace: pod.metadata.namespace ?? 'default',
        gracePeriodSeconds: 0,
        preconditions: { uid: pod.metadata.uid ?? '' },
      });
    } catch {
      // Already gone, or replaced by a pod of the same name: nothing of ours to delete.
    }
  }

  event(pod: Pod, type: 'Normal' | 'Warning', reason: string, message: string): void {
    this.#opts.onEvent?.({
      kind: 'Pod',
      namespace: pod.metadata.namespace ?? 'default',
      name: pod.metadata.name ?? '',
      type,
      reason,
      message,
    });
  }

  containerLog(w: PodWorker, container: string, line: string): void {
    this.#opts.onLog?.(w.pod, container, line);
  }

  #log(line: string): void {
    this.#opts.onEvent?.({
      kind: 'Node',
      namespace: '',
      name: this.nodeName,
      type: 'Warning',
      reason: 'KubeletError',
      message: line,
    });
  }

  /** The image a container's image name runs; undefined for one netlab does not know (it runs `defaultEcho`). */
  image(name: string): Image | undefined {
    // The name's parse is kept; the image itself is read per container start (the map may grow).
    let bare = this.#imageNames.get(name);
    if (bare === undefined) {
      bare = imageName(name);
      if (this.#imageNames.size >= 1024) this.#imageNames.clear();
      this.#imageNames.set(name, bare);
    }
    return this.#opts.images.get(bare);
  }

  // --- heartbeat ------------------------------------------------------------------------------

  #renewLease(): void {
    if (!this.#heartbeat || this.#ac.signal.aborted) return;
    const now = microTime(this.#opts.now?.() ?? new Date());
    const node = this.store.find('Node', this.nodeName, '');
    try {
      const cur = this.store.find('Lease', this.nodeName, 'kube-node-lease');
      if (cur) this.store.update({ ...cur, spec: { ...cur.spec, renewTime: now } });
      else
        this.store.create({
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: {
            name: this.nodeName,
            namespace: 'kube-node-lease',
            ...(node?.metadata.uid
              ? {
                  ownerReferences: [
                    { apiVersion: 'v1', kind: 'Node', name: this.nodeName, uid: node.metadata.uid },
                  ],
                }
              : {}),
          },
          spec: { holderIdentity: this.nodeName, leaseDurationSeconds: 40, renewTime: now },
        });
    } catch (e) {
      this.#log(`kubelet ${this.nodeName}: lease: ${(e as Error).message}`);
    }
    this.#leaseTimer = setTimeout(
      () => this.#renewLease(),
      (this.#opts.nodeLeaseRenewIntervalSeconds ?? 10) * this.second,
    );
  }

  #setNodeReady(): void {
    const node = this.store.find('Node', this.nodeName, '');
    if (!node) return;
    const now = this.timestamp();
    const others = (node.status?.conditions ?? []).filter((c) => c.type !== 'Ready');
    const was = node.status?.conditions?.find((c) => c.type === 'Ready');
    const ready = {
      type: 'Ready',
      status: 'True' as const,
      reason: 'KubeletReady',
      message: 'kubelet is posting ready status',
      lastHeartbeatTime: now,
      lastTransitionTime: was?.status === 'True' ? (was.lastTransitionTime ?? now) : now,
    };
    try {
      this.store.updateStatus({ ...node, status: { ...node.status, conditions: [...others, ready] } });
    } catch (e) {
      this.#log(`kubelet ${this.nodeName}: node status: ${(e as Error).message}`);
    }
  }

  // --- the pods' network ------------------------------------------------------------------------

  dial(from: PodSource, ip: string, port: number): Socket {
    const hook = this.dataplane?.dial ?? this.#opts.dial;
    if (hook) return hook(from, ip, port);
    // Until the data plane carries it: straight to the pod's own loopback socket, or to the address.
    // A pod address goes to that pod's server in-process (refused when nothing listens there, as
    // its kernel would answer); anything else is a direct connection.
    if (this.ports.tcp(ip, port) || this.network.fabric.lookup(ip)?.kind === 'pod') {
      const flow = {
        protocol: 'TCP' as const,
        src: { ip: from.ip, port: nextEphemeralPort() },
        dst: { ip, port },
        origDst: { ip, port },
        node: from.node,
      };
      return this.ports.dial(ip, port, flow);
    }
    return connect(port, ip);
  }

  exchangeUdp(
    from: PodSource,
    ip: string,
    port: number,
    msg: Uint8Array,
    timeoutMs: number,
  ): Promise<Buffer> {
    const hook = this.dataplane?.udp ?? this.#opts.udp;
    if (hook) return hook(from, ip, port, msg, timeoutMs);
    const handler = this.ports.udp(ip, port);
    if (!handler) return Promise.reject(new Error(`no UDP socket at ${ip}:${port}`));
    return new Promise((res, rej) => {
      const timer = setTimeout(() => rej(new Error('i/o timeout')), timeoutMs);
      const flow = {
        protocol: 'UDP' as const,
        src: { ip: from.ip, port: 40000 },
        dst: { ip, port },
        origDst: { ip, port },
        node: from.node,
      };
      handler(msg, flow, (reply) => {
        clearTimeout(timer);
        res(Buffer.from(reply));
      });
    });
  }

  /**
   * getaddrinfo in the pod: its resolv.conf against cluster DNS. A nameserver the lab serves itself
   * (`dnsAddress`) is asked on that real address; otherwise, once the data plane runs, the queries
   * leave the pod through it (UDP to the kube-dns ClusterIP across the node's rules and conntrack,
   * TCP after a truncated reply), each lookup from one fresh source port as glibc's res_send, or
   * from `sourcePort` every time (one long-lived UDP flow, as a client that binds its port).
   * Resolves to the addresses; a failed lookup rejects with getaddrinfo's code.
   */
  async lookup(
    pod: Pod,
    name: string,
    family: 0 | 4 | 6,
    opts: { sourcePort?: number } = {},
  ): Promise<string[]> {
    const r = await this.getaddrinfo(pod, name, { family, ...opts });
    if (r.addresses.length === 0) {
      const e = new Error(
        `getaddrinfo ${r.error?.code ?? 'EAI_NONAME'} ${name}: ${r.error?.message ?? r.status}`,
      );
      (e as { code?: string }).code = r.error?.code ?? 'EAI_NONAME';
      throw e;
    }
    return r.addresses;
  }

  /** `lookup`'s whole outcome: status, addresses and every query sent (dns/ `resolve`'s result). */
  async getaddrinfo(
    pod: Pod,
    name: string,
    opts: { family: 0 | 4 | 6; libc?: Libc; ndots?: number; sourcePort?: number; seed?: number },
  ): Promise<Awaited<ReturnType<typeof resolve>>> {
    const dns = podDNS(pod, {
      clusterDNS: this.#opts.clusterDNS ?? ['10.96.0.10'],
      clusterDomain: this.#opts.clusterDomain ?? 'cluster.local',
      hostResolvConf: '',
    });
    const conf = parseResolvConf(
      dns.resolvConf,
      `/etc/resolv.conf of pod ${pod.metadata.namespace}/${pod.metadata.name}`,
    );
    if (opts.ndots !== undefined) conf.options.ndots = opts.ndots;
    let mapped = false;
    conf.nameservers = conf.nameservers.map((ns) => {
      const real = this.#opts.dnsAddress?.(ns);
      if (real) mapped = true;
      return real ? `${real.host}:${real.port}` : ns;
    });
    const socket = this.dataplane?.socket;
    const from = { node: this.nodeName, ip: pod.status?.podIP ?? '' };
    const sockets: ResolverSockets | undefined =
      socket && !mapped && from.ip
        ? {
            udp: (server, onMessage) => {
              const s = socket(from, (msg) => onMessage(Buffer.from(msg)), opts.sourcePort);
              return { send: (msg) => void s.send(msg, server.address, server.port), close: () => s.close() };
            },
            tcp: (server) => this.dial(from, server.address, server.port),
          }
        : undefined;
    return resolve(name, conf, {
      family: opts.family,
      ...(opts.libc ? { libc: opts.libc } : {}),
      ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
      ...(sockets ? { sockets } : {}),
    });
  }
}
