// The running pods' sockets, by pod IP and port: what proxy/'s data plane asks (PodPorts) to hand a
// connection to a pod, one Map get. The same table serves the kubelet's probes and the pods' direct
// dial, through an in-process hand-off: a real loopback connection whose accepted end is given to the
// pod's server with its emulated flow, exactly as the data plane delivers.
import { createServer, type Server, Socket } from 'node:net';
import { type Flow, type PodPorts, setFlow, type UdpHandler } from '../../proxy/index.js';
import { joinHostPort } from '../../std/index.js';

/**
 * A pod's server made when it is first asked for (the first connection, probe or dial): with real
 * sockets off, a pod nobody connects to costs no net.Server.
 */
export class LazyServer {
  #server: Server | undefined;
  constructor(
    readonly make: () => Server,
    /** Takes the server once made (a container owns its servers' connections). */
    readonly owner?: { track(server: Server): Server },
  ) {}
  get server(): Server {
    if (this.#server === undefined) {
      const made = this.make();
      this.#server = this.owner ? this.owner.track(made) : made;
    }
    return this.#server;
  }
  /** The server if it has been made. */
  get made(): Server | undefined {
    return this.#server;
  }
}

/**
 * Entries by port, then pod IP: pods share a few ports, and the pod's own address string is the key
 * (no `ip:port` text made per entry or per lookup).
 */
class ByPort<V> {
  readonly #ports = new Map<number, Map<string, V>>();

  get(ip: string, port: number): V | undefined {
    return this.#ports.get(port)?.get(ip);
  }

  set(ip: string, port: number, v: V): void {
    let m = this.#ports.get(port);
    if (!m) {
      m = new Map();
      this.#ports.set(port, m);
    }
    m.set(ip, v);
  }

  /** Removes the entry only while it is `owner`. */
  deleteIf(ip: string, port: number, owner: unknown): void {
    const m = this.#ports.get(port);
    if (m === undefined || m.get(ip) !== owner) return;
    m.delete(ip);
    if (m.size === 0) this.#ports.delete(port);
  }

  get size(): number {
    let n = 0;
    for (const m of this.#ports.values()) n += m.size;
    return n;
  }
}

export class PodPortTable implements PodPorts {
  readonly #tcp = new ByPort<Server | LazyServer>();
  readonly #udp = new ByPort<UdpHandler>();
  #handoff: Server | undefined;
  #handoffPort: Promise<number> | undefined;
  /** Accepted hand-off sockets and the deliveries waiting for them, by the client's port. */
  readonly #accepted = new Map<number, Socket>();
  readonly #deliveries = new Map<number, (s: Socket) => void>();

  tcp(podIP: string, port: number): Server | undefined {
    const s = this.#tcp.get(podIP, port);
    return s instanceof LazyServer ? s.server : s;
  }

  udp(podIP: string, port: number): UdpHandler | undefined {
    return this.#udp.get(podIP, port);
  }

  get size(): number {
    return this.#tcp.size + this.#udp.size;
  }

  setTcp(podIP: string, port: number, server: Server | LazyServer): void {
    this.#tcp.set(podIP, port, server);
  }

  setUdp(podIP: string, port: number, handler: UdpHandler): void {
    this.#udp.set(podIP, port, handler);
  }

  /** Removes a port, only if it still belongs to this server or handler (a restart may have taken it). */
  delete(podIP: string, port: number, protocol: 'TCP' | 'UDP', owner: unknown): void {
    (protocol === 'TCP' ? this.#tcp : this.#udp).deleteIf(podIP, port, owner);
  }

  /**
   * A TCP connection to the pod's server at podIP:port, delivered in-process with `flow` as the
   * emulated 4-tuple. Rejects with ECONNREFUSED when nothing listens there.
   */
  async connect(podIP: string, port: number, flow: Flow): Promise<Socket> {
    const client = this.dial(podIP, port, flow);
    await new Promise<void>((resolve, reject) => {
      client.once('connect', resolve);
      client.once('error', reject);
    });
    return client;
  }

  /**
   * The same as `connect`, returning the socket at once (it emits `connect` once the pod's server
   * has the other end, or `error` ECONNREFUSED), as `net.connect` does.
   */
  dial(podIP: string, port: number, flow: Flow): Socket {
    const client = new Socket();
    const server = this.tcp(podIP, port);
    if (!server) {
      process.nextTick(() => client.destroy(refused(podIP, port)));
      return client;
    }
    const deliver = (accepted: Socket) => {
      setFlow(accepted, flow);
      server.emit('connection', accepted);
    };
    client.once('connect', () => {
      const local = client.localPort ?? 0;
      const early = this.#accepted.get(local);
      if (early) {
        this.#accepted.delete(local);
        deliver(early);
      } else this.#deliveries.set(local, deliver);
    });
    this.#listen().then(
      (hp) => client.connect(hp, '127.0.0.1'),
      (e: Error) => client.destroy(e),
    );
    return client;
  }

  #listen(): Promise<number> {
    this.#handoffPort ??= new Promise<number>((resolve, reject) => {
      const server = createServer((s) => {
        const port = s.remotePort ?? 0;
        const d = this.#deliveries.get(port);
        if (d) {
          this.#deliveries.delete(port);
          d(s);
        } else this.#accepted.set(port, s);
        s.once('close', () => {
          if (this.#accepted.get(port) === s) this.#accepted.delete(port);
        });
      });
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const a = server.address();
        resolve(typeof a === 'object' && a ? a.port : 0);
      });
      server.unref();
      this.#handoff = server;
    });
    return this.#handoffPort;
  }

  close(): void {
    this.#handoff?.close();
    for (const s of this.#accepted.values()) s.destroy();
    this.#accepted.clear();
  }
}

export function refused(ip: string, port: number): Error {
  const e = new Error(`dial tcp ${joinHostPort(ip, port)}: connect: connection refused`);
  (e as { code?: string }).code = 'ECONNREFUSED';
  return e;
}
