// Every Node's kubelet in one process: one per Node in the store (started when the Node appears,
// stopped when it goes), sharing the pod network (fabric, CNI plugins, host-local stores) and the
// table of pod sockets the data plane delivers to.

import type { Socket } from 'node:net';
import type { AnyObject, Store } from '../../api/index.js';
import type { Image } from '../images/index.js';
import { Kubelet, type KubeletEvent, type KubeletOptions, type PodSource } from './kubelet.js';
import { ClusterNetwork } from './network.js';
import { PodPortTable } from './podports.js';

export type KubeletsOptions = Omit<KubeletOptions, 'store' | 'nodeName' | 'network' | 'ports' | 'images'> & {
  images: ReadonlyMap<string, Image>;
  /** host-local's files and the CNI result cache go here; memory when unset. */
  stateDir?: string;
  /**
   * The CNI plugins run in a thread of their own, as a node's runtime runs them in processes of their
   * own (large clusters: pods are wired while the rest of the lab goes on). Default: in this thread.
   */
  cniThread?: boolean;
};

/**
 * Kubelets stopping at once when the lab stops. `netlab up --once` at 1,000 nodes and 100k pods
 * (6 Dec 2026): all at once peaked at 2.9 GB and exited 60 s after start; 50 at a time 2.4 GB and
 * 53 s; 8 at a time 2.2 GB and 48 s.
 */
export const stopConcurrency = 8;

export class Kubelets {
  readonly network: ClusterNetwork;
  /** proxy's PodPorts: the running pods' sockets by pod IP and port. */
  readonly ports = new PodPortTable();
  readonly #kubelets = new Map<string, Kubelet>();
  readonly #ac = new AbortController();
  #loop: Promise<void> | undefined;
  #dataplane: Kubelet['dataplane'];

  constructor(
    readonly store: Store,
    readonly opts: KubeletsOptions,
  ) {
    this.network = new ClusterNetwork({
      ...(opts.stateDir ? { stateDir: opts.stateDir } : {}),
      ...(opts.cniThread ? { thread: true } : {}),
    });
  }

  /** A kubelet for every Node now in the store and for every one added later. */
  start(): void {
    this.#loop = (async () => {
      try {
        for await (const ev of this.store.watch('Node', { signal: this.#ac.signal })) {
          const name = ev.object.metadata.name ?? '';
          if (ev.type === 'ADDED' && !this.#kubelets.has(name)) {
            const k = new Kubelet({
              onEvent: (e) => this.#recordEvent(name, e),
              ...this.opts,
              store: this.store,
              nodeName: name,
              network: this.network,
              ports: this.ports,
            });
            k.dataplane = this.#dataplane;
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

  /** kubelet's event recorder: a core/v1 Event on the pod (or node), source kubelet on that host. */
  #recordEvent(node: string, e: KubeletEvent): void {
    const now = `${new Date().toISOString().slice(0, 19)}Z`;
    const involved = this.store.find(e.kind, e.name, e.namespace || '');
    try {
      this.store.create({
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { generateName: `${e.name}.`, namespace: e.namespace || 'default' },
        involvedObject: {
          kind: e.kind,
          ...(e.namespace ? { namespace: e.namespace } : {}),
          name: e.name,
          ...(involved?.metadata.uid ? { uid: involved.metadata.uid } : {}),
          apiVersion: 'v1',
        },
        reason: e.reason,
        message: e.message,
        source: { component: 'kubelet', host: node },
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
        type: e.type,
      } as AnyObject);
    } catch {
      // An event that cannot be recorded is dropped, as kubelet's recorder does.
    }
  }

  /**
   * Pods' outbound traffic through the data plane from now on (its `dial` and `exchangeUdp` take the
   * same arguments): `kubelets.useDataplane(dp)`.
   */
  useDataplane(dp: {
    dial(from: PodSource, ip: string, port: number): Socket;
    udp?(
      from: PodSource,
      onMessage: (msg: Uint8Array) => void,
      port?: number,
    ): { send(msg: Uint8Array, ip: string, port: number): boolean; close(): void };
    exchangeUdp(
      from: PodSource,
      ip: string,
      port: number,
      msg: Uint8Array,
      timeoutMs: number,
    ): Promise<Buffer>;
  }): void {
    this.#dataplane = {
      dial: (from, ip, port) => dp.dial(from, ip, port),
      udp: (from, ip, port, msg, timeoutMs) => dp.exchangeUdp(from, ip, port, msg, timeoutMs),
      ...(dp.udp ? { socket: dp.udp.bind(dp) } : {}),
    };
    for (const k of this.#kubelets.values()) k.dataplane = this.#dataplane;
  }

  get(node: string): Kubelet | undefined {
    return this.#kubelets.get(node);
  }

  get all(): ReadonlyMap<string, Kubelet> {
    return this.#kubelets;
  }

  /**
   * Every pod through CNI DEL (grace 0), then the pods' sockets and the CNI thread closed. The
   * kubelets stop a few at a time (`stopConcurrency`), each its own pods at once: a thousand nodes
   * tearing down 100k pods together held every pod's teardown in memory at the same moment.
   */
  async stop(): Promise<void> {
    this.#ac.abort();
    const all = [...this.#kubelets.values()];
    const failed: unknown[] = [];
    let next = 0;
    // A kubelet whose stop fails does not keep the others from stopping.
    const stopNext = async (): Promise<void> => {
      while (next < all.length) await all[next++]!.stop().catch((e: unknown) => failed.push(e));
    };
    try {
      await Promise.all(Array.from({ length: Math.min(stopConcurrency, all.length) }, stopNext));
      await this.#loop;
    } finally {
      this.ports.close();
      await this.network.close();
    }
    if (failed.length === 1) throw failed[0];
    if (failed.length > 1) throw new AggregateError(failed, `${failed.length} kubelets failed to stop`);
  }
}
