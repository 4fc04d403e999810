// Every Node's kubelet in one process: one per Node in the store (started when the Node appears,
// stopped when it goes), sharing the pod network (fabric, CNI plugins, host-local stores) and the
// table of pod sockets the data plane delivers to.
import type { Store } from '../../api/index.js';
import type { Image } from '../images/index.js';
import { Kubelet, type KubeletOptions } from './kubelet.js';
import { ClusterNetwork } from './network.js';
import { PodPortTable } from './podports.js';

export type KubeletsOptions = Omit<KubeletOptions, 'store' | 'nodeName' | 'network' | 'ports' | 'images'> & {
  images: ReadonlyMap<string, Image>;
  /** host-local's files and the CNI result cache go here; memory when unset. */
  stateDir?: string;
};

export class Kubelets {
  readonly network: ClusterNetwork;
  /** proxy's PodPorts: the running pods' sockets by pod IP and port. */
  readonly ports = new PodPortTable();
  readonly #kubelets = new Map<string, Kubelet>();
  readonly #ac = new AbortController();
  #loop: Promise<void> | undefined;

  constructor(
    readonly store: Store,
    readonly opts: KubeletsOptions,
  ) {
    this.network = new ClusterNetwork(opts.stateDir ? { stateDir: opts.stateDir } : {});
  }

  /** A kubelet for every Node now in the store and for every one added later. */
  start(): void {
    this.#loop = (async () => {
      try {
        for await (const ev of this.store.watch('Node', { signal: this.#ac.signal })) {
          const name = ev.object.metadata.name ?? '';
          if (ev.type === 'ADDED' && !this.#kubelets.has(name)) {
            const k = new Kubelet({
              ...this.opts,
              store: this.store,
              nodeName: name,
              network: this.network,
              ports: this.ports,
            });
            this.#kubelets.set(name, k);
            k.start();
          } else if (ev.type === 'DELETED') {
            const k = this.#kubelets.get(name);
            this.#kubelets.delete(name);
            void k?.stop();
          }
        }
      } catch (e) {
        if (!this.#ac.signal.aborted) throw e;
      }
    })();
  }

  get(node: string): Kubelet | undefined {
    return this.#kubelets.get(node);
  }

  get all(): ReadonlyMap<string, Kubelet> {
    return this.#kubelets;
  }

  /** Every pod through CNI DEL (grace 0), then the network's temporary files removed. */
  async stop(): Promise<void> {
    this.#ac.abort();
    await Promise.all([...this.#kubelets.values()].map((k) => k.stop()));
    await this.#loop;
    this.ports.close();
    this.network.close();
  }
}
