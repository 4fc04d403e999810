// The CNI side of every kubelet: one fabric (the flat network all nodes share), the in-process
// plugins, and a libcni-like invoker. Each node gets its own conflist (flat delegating to host-local
// on the node's podCIDRs, then loopback) and its own host-local store: in memory by default, or the
// files host-local writes under `<stateDir>/<node>/networks` when a state directory is given.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  builtinPluginDir,
  createPluginRegistry,
  Fabric,
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

export class ClusterNetwork {
  readonly fabric = new Fabric();
  readonly stateDir: string | undefined;
  readonly network: string;
  readonly #invoker: Invoker;
  /** host-local's memory stores by dataDir, then network (the config's own strings: no key text made per ADD). */
  readonly #memory = new Map<string, Map<string, MemoryStore>>();
  readonly #lists = new Map<string, NetworkConfigList>();

  constructor(opts: PodNetworkOptions = {}) {
    this.stateDir = opts.stateDir;
    this.network = opts.network ?? 'pods';
    // Without a state directory nothing outlives the run: the result cache stays in memory too.
    const cacheDir = opts.stateDir ? join(opts.stateDir, 'cni-cache') : '/var/lib/cni';
    if (opts.stateDir) mkdirSync(cacheDir, { recursive: true });
    const openStore = opts.stateDir
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
      store: new MemoryFabricStore(this.fabric),
      hostLocal: { openStore },
      findPlugin,
    });
    this.#invoker = new Invoker({
      cniPath: [builtinPluginDir],
      cacheDir,
      ...(opts.stateDir ? {} : { cacheFiles: new MemoryCacheFiles() }),
      env: {},
      inProcess: registry.resolver,
      findPlugin,
    });
  }

  /** host-local's dataDir for a node (files only with a state directory). */
  ipamDataDir(node: string): string {
    return join(this.stateDir ?? '/var/lib/cni', node, 'networks');
  }

  /** Puts the node on the fabric and returns its conflist (once per node and podCIDRs). */
  nodeNetwork(node: string, nodeIPs: readonly string[], podCIDRs: readonly string[]): NetworkConfigList {
    const have = this.#lists.get(node);
    if (have) return have;
    if (!this.fabric.node(node))
      this.fabric.addNode({ name: node, nodeIPs: [...nodeIPs], podCIDRs: [...podCIDRs] });
    const list = parseConfList(
      nodeConflist({
        node,
        podCIDRs: [...podCIDRs],
        nodeIPs: [...nodeIPs],
        network: this.network,
        ipamDataDir: this.ipamDataDir(node),
      }),
    );
    this.#lists.set(node, list);
    return list;
  }

  /** CNI ADD; the pod's addresses, IPv4 first as kubelet orders podIPs by the cluster's families. */
  async add(list: NetworkConfigList, sandbox: PodSandbox): Promise<string[]> {
    const result = await this.#invoker.addNetworkList(list, sandbox);
    return (result?.ips ?? []).map(addressOf);
  }

  /** CNI DEL: detach and release the addresses (idempotent). */
  async del(list: NetworkConfigList, sandbox: PodSandbox): Promise<void> {
    await this.#invoker.delNetworkList(list, sandbox);
  }

  close(): void {}
}
