// The CNI side of every kubelet: one fabric (the flat network all nodes share), the in-process
// plugins, and a libcni-like invoker. Each node gets its own conflist (flat delegating to host-local
// on the node's podCIDRs, then loopback) and its own host-local store: in memory by default, or the
// files host-local writes under `<stateDir>/<node>/networks` when a state directory is given.
//
// The plugins run in this thread, or (`thread: true`) in a thread of their own, as a node's container
// runtime runs its plugins in processes of their own: there the plugins, host-local's stores and the
// result cache live, and every change they make to the fabric comes back, in order, to the fabric
// here that the data path and `ip addr` read (cni-thread.ts).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import {
  builtinPluginDir,
  createPluginRegistry,
  Fabric,
  type FabricChange,
  Invoker,
  keptPluginFinder,
  MemoryCacheFiles,
  MemoryFabricStore,
  type NetworkConfigList,
  nodeConflist,
  parseConfList,
} from '../../cni/index.js';
import { type HostLocalStore as IPAMStore, MemoryStore, openDiskStore } from '../../ipam/index.js';

export interface PodNetworkOptions {
  /** host-local's dataDir root and the invoker's result cache; memory (and a temporary cache) if unset. */
  stateDir?: string;
  /** The CNI network name. Default `pods`. */
  network?: string;
  /** The plugins run in a thread of their own (for large clusters: the rest of the lab goes on meanwhile). */
  thread?: boolean;
}

export interface PodSandbox {
  containerID: string;
  netns: string;
  ifName: string;
}

/** A CNI result IP's address without its prefix length (`10.244.0.5/24` -> `10.244.0.5`). */
function addressOf(ip: { address: string }): string {
  const slash = ip.address.indexOf('/');
  return slash < 0 ? ip.address : ip.address.slice(0, slash);
}

/** host-local's dataDir for a node (files only with a state directory). */
const ipamDataDir = (stateDir: string | undefined, node: string) =>
  join(stateDir ?? '/var/lib/cni', node, 'networks');

/** Puts a node on the fabric (if it is not there yet) and makes its conflist. */
function nodeOnFabric(
  fabric: Fabric,
  stateDir: string | undefined,
  network: string,
  node: string,
  nodeIPs: readonly string[],
  podCIDRs: readonly string[],
): NetworkConfigList {
  if (!fabric.node(node)) fabric.addNode({ name: node, nodeIPs: [...nodeIPs], podCIDRs: [...podCIDRs] });
  return parseConfList(
    nodeConflist({
      node,
      podCIDRs: [...podCIDRs],
      nodeIPs: [...nodeIPs],
      network,
      ipamDataDir: ipamDataDir(stateDir, node),
    }),
  );
}

/** The plugins, host-local's stores and the invoker over one fabric: what runs CNI ADD and DEL. */
export class CniRuntime {
  readonly #invoker: Invoker;
  /** host-local's memory stores by dataDir, then network (the config's own strings: no key text made per ADD). */
  readonly #memory = new Map<string, Map<string, MemoryStore>>();
  readonly #lists = new Map<string, NetworkConfigList>();

  constructor(
    readonly fabric: Fabric,
    readonly stateDir: string | undefined,
    readonly network: string,
  ) {
    // Without a state directory nothing outlives the run: the result cache stays in memory too.
    const cacheDir = stateDir ? join(stateDir, 'cni-cache') : '/var/lib/cni';
    if (stateDir) mkdirSync(cacheDir, { recursive: true });
    const openStore = stateDir
      ? openDiskStore
      : (network: string, dataDir: string): IPAMStore => {
          let byNetwork = this.#memory.get(dataDir);
          if (!byNetwork) {
            byNetwork = new Map();
            this.#memory.set(dataDir, byNetwork);
          }
          let s = byNetwork.get(network);
          if (!s) {
            s = new MemoryStore();
            byNetwork.set(network, s);
          }
          return s;
        };
    // The plugins are netlab's own, in its cni/bin: each is looked up once, not stat'ed per pod.
    const findPlugin = keptPluginFinder();
    const registry = createPluginRegistry({
      store: new MemoryFabricStore(fabric),
      hostLocal: { openStore },
      findPlugin,
    });
    this.#invoker = new Invoker({
      cniPath: [builtinPluginDir],
      cacheDir,
      ...(stateDir ? {} : { cacheFiles: new MemoryCacheFiles() }),
      env: {},
      inProcess: registry.resolver,
      findPlugin,
    });
  }

  /** Puts the node on the fabric and returns its conflist (once per node). */
  nodeNetwork(node: string, nodeIPs: readonly string[], podCIDRs: readonly string[]): NetworkConfigList {
    let list = this.#lists.get(node);
    if (!list) {
      list = nodeOnFabric(this.fabric, this.stateDir, this.network, node, nodeIPs, podCIDRs);
      this.#lists.set(node, list);
    }
    return list;
  }

  /** The conflist nodeNetwork made for a node. */
  list(node: string): NetworkConfigList | undefined {
    return this.#lists.get(node);
  }

  /** CNI ADD of the node's conflist (given by nodeNetwork first): the pod's addresses, IPv4 first. */
  async add(list: NetworkConfigList, sandbox: PodSandbox): Promise<string[]> {
    const result = await this.#invoker.addNetworkList(list, sandbox);
    return (result?.ips ?? []).map(addressOf);
  }

  /** CNI DEL: detach and release the addresses (idempotent). */
  async del(list: NetworkConfigList, sandbox: PodSandbox): Promise<void> {
    await this.#invoker.delNetworkList(list, sandbox);
  }
}

/** What the lab sends the CNI thread, in order. */
export type CniRequest =
  | { op: 'node'; node: string; nodeIPs: readonly string[]; podCIDRs: readonly string[] }
  | { op: 'add' | 'del'; id: number; node: string; sandbox: PodSandbox };

/** What it answers: replies to add and del, after the fabric changes made so far. */
export interface CniReplies {
  changes: FabricChange[];
  replies: ({ id: number; ips: string[] } | { id: number; error: string })[];
}

export interface CniThreadData {
  stateDir: string | undefined;
  network: string;
}

/** The CNI thread as the lab sees it: requests out in batches, fabric changes and replies back. */
class CniThread {
  readonly #worker: Worker;
  readonly #pending = new Map<number, { resolve: (ips: string[]) => void; reject: (e: Error) => void }>();
  /** What close waits for: each call made before it, answered or failed. */
  readonly #calls = new Set<Promise<unknown>>();
  #queue: CniRequest[] = [];
  #nextId = 1;
  #dead: Error | undefined;

  constructor(
    readonly fabric: Fabric,
    data: CniThreadData,
  ) {
    this.#worker = startThread(data);
    this.#worker.unref();
    this.#worker.on('message', (m: CniReplies) => this.#receive(m));
    const fail = (e: Error) => {
      this.#dead ??= e;
      for (const p of this.#pending.values()) p.reject(e);
      this.#pending.clear();
    };
    this.#worker.on('error', (e) => fail(new Error(`CNI thread: ${e.message}`)));
    this.#worker.on('exit', (code) => fail(new Error(`CNI thread exited (${code})`)));
  }

  node(node: string, nodeIPs: readonly string[], podCIDRs: readonly string[]): void {
    this.#send({ op: 'node', node, nodeIPs, podCIDRs });
  }

  call(op: 'add' | 'del', node: string, sandbox: PodSandbox): Promise<string[]> {
    if (this.#dead) return Promise.reject(this.#dead);
    const id = this.#nextId++;
    const call = new Promise<string[]>((resolve, reject) => {
      if (this.#pending.size === 0) this.#worker.ref();
      this.#pending.set(id, { resolve, reject });
      this.#send({ op, id, node, sandbox: { ...sandbox } });
    });
    const settled: Promise<void> = call.then(
      () => void this.#calls.delete(settled),
      () => void this.#calls.delete(settled),
    );
    this.#calls.add(settled);
    return call;
  }

  // One message a turn of the event loop: a kubelet's watch starts many pods in one turn.
  #send(req: CniRequest): void {
    if (this.#queue.push(req) === 1)
      setImmediate(() => {
        const batch = this.#queue;
        this.#queue = [];
        this.#worker.postMessage(batch);
      });
  }

  #receive(m: CniReplies): void {
    for (const c of m.changes) this.fabric.apply(c);
    for (const r of m.replies) {
      const p = this.#pending.get(r.id);
      if (!p) continue;
      this.#pending.delete(r.id);
      if ('error' in r) p.reject(new Error(r.error));
      else p.resolve(r.ips);
    }
    if (this.#pending.size === 0) this.#worker.unref();
  }

  /**
   * No call from now on; those made before (a pod's DEL still on its way) are answered first, as the
   * plugins in this thread would finish them, their fabric changes with them.
   */
  async close(): Promise<void> {
    this.#dead ??= new Error('the CNI thread is closed');
    await Promise.all(this.#calls);
    await this.#worker.terminate();
  }
}

// Under tsx (the tests and the bench run the sources) a worker does not inherit tsx's loader on
// Node 20: it registers it first. Built, the thread is the compiled file beside this one.
function startThread(data: CniThreadData): Worker {
  const source = import.meta.url.endsWith('.ts');
  const entry = new URL(source ? './cni-thread.ts' : './cni-thread.js', import.meta.url);
  if (!source) return new Worker(entry, { workerData: data });
  const tsx = import.meta.resolve('tsx/esm/api');
  return new Worker(
    `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry.href)}); });`,
    { eval: true, workerData: data },
  );
}

export class ClusterNetwork {
  readonly fabric = new Fabric();
  readonly stateDir: string | undefined;
  readonly network: string;
  /** Runs the plugins here, or stands for them in the CNI thread (its fabric is the one changed). */
  readonly #runtime: CniRuntime | undefined;
  readonly #thread: CniThread | undefined;
  /** The node each conflist was made for (what the thread is told). */
  readonly #nodes = new WeakMap<NetworkConfigList, string>();
  readonly #lists = new Map<string, NetworkConfigList>();

  constructor(opts: PodNetworkOptions = {}) {
    this.stateDir = opts.stateDir;
    this.network = opts.network ?? 'pods';
    if (opts.thread)
      this.#thread = new CniThread(this.fabric, { stateDir: this.stateDir, network: this.network });
    else this.#runtime = new CniRuntime(this.fabric, this.stateDir, this.network);
  }

  /** host-local's dataDir for a node (files only with a state directory). */
  ipamDataDir(node: string): string {
    return ipamDataDir(this.stateDir, node);
  }

  /** Puts the node on the fabric and returns its conflist (once per node and podCIDRs). */
  nodeNetwork(node: string, nodeIPs: readonly string[], podCIDRs: readonly string[]): NetworkConfigList {
    if (this.#runtime) return this.#runtime.nodeNetwork(node, nodeIPs, podCIDRs);
    let list = this.#lists.get(node);
    if (!list) {
      list = nodeOnFabric(this.fabric, this.stateDir, this.network, node, nodeIPs, podCIDRs);
      this.#thread!.node(node, nodeIPs, podCIDRs);
      this.#lists.set(node, list);
      this.#nodes.set(list, node);
    }
    return list;
  }

  /** CNI ADD; the pod's addresses, IPv4 first as kubelet orders podIPs by the cluster's families. */
  add(list: NetworkConfigList, sandbox: PodSandbox): Promise<string[]> {
    if (this.#runtime) return this.#runtime.add(list, sandbox);
    return this.#thread!.call('add', this.#nodes.get(list) ?? '', sandbox);
  }

  /** CNI DEL: detach and release the addresses (idempotent). */
  async del(list: NetworkConfigList, sandbox: PodSandbox): Promise<void> {
    if (this.#runtime) return this.#runtime.del(list, sandbox);
    await this.#thread!.call('del', this.#nodes.get(list) ?? '', sandbox);
  }

  async close(): Promise<void> {
    await this.#thread?.close();
  }
}
