// The container runtime: runs an image's app in-process and owns what it opened. Every server the
// app listens with is published in the PodPortTable (and, with real sockets, bound to
// 127.0.0.1:<ephemeral>); when the process ends (exit, SIGTERM handled or not, kill) every server is
// closed and every connection destroyed, so nothing of a dead container stays reachable.
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import type { Server, Socket } from 'node:net';
import type { Container, Pod } from '../../api/index.js';
import type { UdpHandler } from '../../proxy/index.js';
import type { App, ContainerContext, Image, PodNetwork } from '../images/index.js';
import { LazyServer, type PodPortTable } from './podports.js';

export interface ContainerStart {
  pod: Pod;
  container: Container;
  image: Image;
  podIP: string;
  hostname: string;
  ports: PodPortTable;
  network: PodNetwork;
  realSockets: boolean;
  second: number;
  log: (line: string) => void;
  warn: (reason: string, message: string) => void;
}

/** One port the container serves: its real loopback port when real sockets are on. */
export interface Listening {
  port: number;
  protocol: 'TCP' | 'UDP';
  realPort: number | undefined;
}

export class RunningContainer {
  readonly exited: Promise<number>;
  // The lists a container holds for its life grow by concat, not push or spread: a pushed (or
  // spread) array reserves room for 17 elements (192 bytes against 64), and a pod has one or two ports.
  listening: readonly Listening[] = [];
  exitCode: number | undefined;
  #resolve!: (code: number) => void;
  #app: App | undefined;
  #servers: readonly { port: number; server: Server | LazyServer }[] = [];
  #udp: readonly { port: number; handler: UdpHandler; socket: UdpSocket | undefined }[] = [];
  /** Connections accepted by its servers (made with the first). */
  #sockets: Set<Socket> | undefined;
  readonly #pending: Promise<unknown>[] = [];
  readonly #s: ContainerStart;

  constructor(s: ContainerStart) {
    this.#s = s;
    this.exited = new Promise((r) => {
      this.#resolve = r;
    });
  }

  /** Runs the image; resolves once its listeners are bound (or it has already exited). */
  async start(): Promise<void> {
    const s = this.#s;
    const env: Record<string, string> = {};
    for (const e of s.container.env ?? []) env[e.name] = e.value ?? '';
    // Method shorthand, not arrow properties: tsx (esbuild keepNames) names each arrow property with
    // a property array of its own, some 250 bytes a container; these methods never use `this`.
    const rc = this;
    const ctx: ContainerContext = {
      pod: s.pod,
      container: s.container,
      argv: [...(s.container.command ?? []), ...(s.container.args ?? [])],
      env,
      hostname: s.hostname,
      podIP: s.podIP,
      second: s.second,
      lookup: s.network.lookup,
      fetch: s.network.fetch,
      dial: s.network.dial,
      exchangeUdp: s.network.exchangeUdp,
      listen(port, server) {
        rc.#listenTcp(port, server);
      },
      listenUdp(port, handler) {
        rc.#listenUdp(port, handler);
      },
      log: s.log,
      exit(code) {
        rc.#exit(code);
      },
      warn: s.warn,
    };
    try {
      this.#app = (await s.image(ctx)) ?? undefined;
    } catch (e) {
      s.log(`panic: ${(e as Error).message}`);
      this.#exit(2);
    }
    await Promise.all(this.#pending);
  }

  get running(): boolean {
    return this.exitCode === undefined;
  }

  /** SIGTERM: the app's handler, or death by the signal (128+15). */
  terminate(): void {
    if (!this.running) return;
    if (this.#app?.onSigterm) this.#app.onSigterm();
    else this.#exit(143);
  }

  /** SIGKILL (128+9). */
  kill(): void {
    this.#exit(137);
  }

  /** An exec in the container: the image's own commands; 126 when it has none (not executable). */
  async exec(argv: readonly string[]): Promise<number> {
    if (!this.running) return 126;
    return this.#app?.exec ? await this.#app.exec(argv) : 126;
  }

  #listenTcp(port: number, given: Server | (() => Server)): void {
    const s = this.#s;
    if (!this.running) return;
    // Without real sockets a server given as a function is made on its first connection.
    if (typeof given === 'function' && !s.realSockets) {
      const lazy = new LazyServer(() => this.#track(given()));
      s.ports.setTcp(s.podIP, port, lazy);
      this.#servers = this.#servers.concat([{ port, server: lazy }]);
      this.listening = this.listening.concat([{ port, protocol: 'TCP', realPort: undefined }]);
      return;
    }
    const server = this.#track(typeof given === 'function' ? given() : given);
    s.ports.setTcp(s.podIP, port, server);
    this.#servers = this.#servers.concat([{ port, server }]);
    const entry: Listening = { port, protocol: 'TCP', realPort: undefined };
    this.listening = this.listening.concat([entry]);
    if (s.realSockets)
      this.#pending.push(
        new Promise<void>((resolve) => {
          server.once('error', (e) => {
            s.log(`listen tcp :${port}: ${e.message}`);
            resolve();
          });
          server.listen(0, '127.0.0.1', () => {
            const a = server.address();
            entry.realPort = typeof a === 'object' && a ? a.port : undefined;
            resolve();
          });
        }),
      );
  }

  /** The server's connections are this container's: destroyed when it exits. */
  #track(server: Server): Server {
    server.on('connection', (sock: Socket) => {
      if (!this.running) {
        sock.destroy();
        return;
      }
      this.#sockets ??= new Set();
      const sockets = this.#sockets;
      sockets.add(sock);
      sock.once('close', () => sockets.delete(sock));
    });
    return server;
  }

  #listenUdp(port: number, handler: UdpHandler): void {
    const s = this.#s;
    if (!this.running) return;
    s.ports.setUdp(s.podIP, port, handler);
    const entry: Listening = { port, protocol: 'UDP', realPort: undefined };
    this.listening = this.listening.concat([entry]);
    let socket: UdpSocket | undefined;
    if (s.realSockets) {
      socket = createSocket('udp4');
      const sock = socket;
      sock.on('message', (msg, rinfo) => {
        const flow = {
          protocol: 'UDP' as const,
          src: { ip: rinfo.address, port: rinfo.port },
          dst: { ip: s.podIP, port },
          origDst: { ip: s.podIP, port },
          node: s.pod.spec.nodeName ?? '',
        };
        handler(msg, flow, (reply) => sock.send(reply, rinfo.port, rinfo.address));
      });
      this.#pending.push(
        new Promise<void>((resolve) => {
          sock.once('error', (e) => {
            s.log(`listen udp :${port}: ${e.message}`);
            resolve();
          });
          sock.bind(0, '127.0.0.1', () => {
            entry.realPort = sock.address().port;
            resolve();
          });
        }),
      );
    }
    this.#udp = this.#udp.concat([{ port, handler, socket }]);
  }

  #exit(code: number): void {
    if (!this.running) return;
    this.exitCode = code;
    const s = this.#s;
    for (const { port, server } of this.#servers) {
      s.ports.delete(s.podIP, port, 'TCP', server);
      const made = server instanceof LazyServer ? server.made : server;
      if (made?.listening) made.close();
    }
    for (const { port, handler, socket } of this.#udp) {
      s.ports.delete(s.podIP, port, 'UDP', handler);
      try {
        socket?.close();
      } catch {
        // Already closed (a bind that failed).
      }
    }
    for (const sock of this.#sockets ?? []) sock.destroy();
    this.#sockets?.clear();
    this.#resolve(code);
  }
}
