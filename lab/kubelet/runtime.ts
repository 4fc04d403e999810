// The container runtime: runs an image's app in-process and owns what it opened. Every server the
// app listens with is published in the PodPortTable (and, with real sockets, bound to
// 127.0.0.1:<ephemeral>); when the process ends (exit, SIGTERM handled or not, kill) every server is
// closed and every connection destroyed, so nothing of a dead container stays reachable.
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import type { Server, Socket } from 'node:net';
import type { fetch as undiciFetch } from 'undici';
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
  /** Who hears of the container's output and end: its pod's worker. */
  owner: ContainerOwner;
}

/** The container's output and its end, told to the worker that runs it (no closures per container). */
export interface ContainerOwner {
  /** A line of the container's stdout. */
  containerLog(container: string, line: string): void;
  /** A Warning Event on the pod. */
  containerWarning(reason: string, message: string): void;
  /** The container's process ended (told in a microtask of its own, as a promise reaction would be). */
  containerExited(running: RunningContainer, code: number): void;
}

const noEnv: Readonly<Record<string, string>> = Object.freeze({});

/**
 * What an image sees of its container (the image API): one object with its methods on the
 * prototype, not a dozen closures a container.
 */
class Context implements ContainerContext {
  readonly #rc: RunningContainer;
  readonly #s: ContainerStart;
  #argv: readonly string[] | undefined;
  #env: Readonly<Record<string, string>> | undefined;

  constructor(rc: RunningContainer, s: ContainerStart) {
    this.#rc = rc;
    this.#s = s;
  }

  // What the container start holds is read through, not copied into each context.
  get pod(): Pod {
    return this.#s.pod;
  }

  get container(): Container {
    return this.#s.container;
  }

  get hostname(): string {
    return this.#s.hostname;
  }

  get podIP(): string {
    return this.#s.podIP;
  }

  get second(): number {
    return this.#s.second;
  }

  /** command + args; either alone is the container's own (frozen) list. */
  get argv(): readonly string[] {
    if (this.#argv === undefined) {
      const c = this.#s.container;
      const command = c.command ?? [];
      const args = c.args ?? [];
      this.#argv = args.length === 0 ? command : command.length === 0 ? args : [...command, ...args];
    }
    return this.#argv;
  }

  get env(): Readonly<Record<string, string>> {
    if (this.#env === undefined) {
      const c = this.#s.container;
      let env = noEnv;
      if (c.env !== undefined && c.env.length > 0) {
        const e: Record<string, string> = {};
        for (const v of c.env) e[v.name] = v.value ?? '';
        env = e;
      }
      this.#env = env;
    }
    return this.#env;
  }

  lookup(name: string, opts?: { family?: 0 | 4 | 6 }): Promise<string[]> {
    return this.#s.network.lookup(name, opts);
  }

  fetch(
    input: Parameters<typeof undiciFetch>[0],
    init?: Parameters<typeof undiciFetch>[1],
  ): ReturnType<typeof undiciFetch> {
    return this.#s.network.fetch(input, init);
  }

  dial(ip: string, port: number): Socket {
    return this.#s.network.dial(ip, port);
  }

  exchangeUdp(ip: string, port: number, msg: Uint8Array, timeoutMs: number): Promise<Buffer> {
    return this.#s.network.exchangeUdp(ip, port, msg, timeoutMs);
  }

  listen(port: number, server: Server | (() => Server)): void {
    this.#rc.listenTcp(port, server);
  }

  listenUdp(port: number, handler: UdpHandler): void {
    this.#rc.listenUdp(port, handler);
  }

  log(line: string): void {
    this.#s.owner.containerLog(this.#s.container.name, line);
  }

  exit(code: number): void {
    this.#rc.exit(code);
  }

  warn(reason: string, message: string): void {
    this.#s.owner.containerWarning(reason, message);
  }
}

/** One port the container serves: its real loopback port when real sockets are on. */
export interface Listening {
  port: number;
  protocol: 'TCP' | 'UDP';
  realPort: number | undefined;
}

/** One port the container serves, with what serves it. */
interface Port extends Listening {
  /** The TCP server (or the lazy one) or the UDP handler: the PodPortTable's entry. */
  owner: Server | LazyServer | UdpHandler;
  socket: UdpSocket | undefined;
}

export class RunningContainer {
  // The one list a container holds for its life grows by concat, not push or spread: a pushed (or
  // spread) array reserves room for 17 elements (192 bytes against 64), and a pod has one or two ports.
  #ports: readonly Port[] = [];
  exitCode: number | undefined;
  /** `exited`, made when first asked for (a container that runs until the end never is). */
  #exited: Promise<number> | undefined;
  #resolve: ((code: number) => void) | undefined;
  #app: App | undefined;
  /** Connections accepted by its servers (made with the first). */
  #sockets: Set<Socket> | undefined;
  /** Real sockets being bound (made with the first). */
  #pending: Promise<unknown>[] | undefined;
  readonly #s: ContainerStart;

  constructor(s: ContainerStart) {
    this.#s = s;
  }

  /** Resolves with the exit code once the process has ended. */
  get exited(): Promise<number> {
    if (this.#exited === undefined) {
      const code = this.exitCode;
      this.#exited =
        code === undefined
          ? new Promise((r) => {
              this.#resolve = r;
            })
          : Promise.resolve(code);
    }
    return this.#exited;
  }

  /** Runs the image; resolves once its listeners are bound (or it has already exited). */
  async start(): Promise<void> {
    const s = this.#s;
    const ctx = new Context(this, s);
    try {
      this.#app = (await s.image(ctx)) ?? undefined;
    } catch (e) {
      s.owner.containerLog(s.container.name, `panic: ${(e as Error).message}`);
      this.exit(2);
    }
    // Awaited either way: the same turns of the event loop with or without real sockets.
    await (this.#pending === undefined ? undefined : Promise.all(this.#pending));
  }

  /** The ports it serves, in the order it listened. */
  get listening(): readonly Listening[] {
    return this.#ports;
  }

  #add(p: Port): void {
    this.#ports = this.#ports.length === 0 ? [p] : this.#ports.concat([p]);
  }

  get running(): boolean {
    return this.exitCode === undefined;
  }

  /** SIGTERM: the app's handler, or death by the signal (128+15). */
  terminate(): void {
    if (!this.running) return;
    if (this.#app?.onSigterm) this.#app.onSigterm();
    else this.exit(143);
  }

  /** SIGKILL (128+9). */
  kill(): void {
    this.exit(137);
  }

  /** An exec in the container: the image's own commands; 126 when it has none (not executable). */
  async exec(argv: readonly string[]): Promise<number> {
    if (!this.running) return 126;
    return this.#app?.exec ? await this.#app.exec(argv) : 126;
  }

  /** The image's `listen`: publishes the server (made on its first connection without real sockets). */
  listenTcp(port: number, given: Server | (() => Server)): void {
    const s = this.#s;
    if (!this.running) return;
    // Without real sockets a server given as a function is made on its first connection.
    if (typeof given === 'function' && !s.realSockets) {
      const lazy = new LazyServer(given, this);
      s.ports.setTcp(s.podIP, port, lazy);
      this.#add({ port, protocol: 'TCP', realPort: undefined, owner: lazy, socket: undefined });
      return;
    }
    const server = this.track(typeof given === 'function' ? given() : given);
    s.ports.setTcp(s.podIP, port, server);
    const entry: Port = { port, protocol: 'TCP', realPort: undefined, owner: server, socket: undefined };
    this.#add(entry);
    if (s.realSockets) {
      this.#pending ??= [];
      this.#pending.push(
        new Promise<void>((resolve) => {
          server.once('error', (e) => {
            s.owner.containerLog(s.container.name, `listen tcp :${port}: ${e.message}`);
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
  }

  /** The server's connections are this container's: destroyed when it exits. */
  track(server: Server): Server {
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

  /** The image's `listenUdp`. */
  listenUdp(port: number, handler: UdpHandler): void {
    const s = this.#s;
    if (!this.running) return;
    s.ports.setUdp(s.podIP, port, handler);
    const entry: Port = { port, protocol: 'UDP', realPort: undefined, owner: handler, socket: undefined };
    this.#add(entry);
    if (s.realSockets) {
      const sock = createSocket('udp4');
      entry.socket = sock;
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
      this.#pending ??= [];
      this.#pending.push(
        new Promise<void>((resolve) => {
          sock.once('error', (e) => {
            s.owner.containerLog(s.container.name, `listen udp :${port}: ${e.message}`);
            resolve();
          });
          sock.bind(0, '127.0.0.1', () => {
            entry.realPort = sock.address().port;
            resolve();
          });
        }),
      );
    }
  }

  /** The process ends with `code` (the image's `exit`, a signal). */
  exit(code: number): void {
    if (!this.running) return;
    this.exitCode = code;
    const s = this.#s;
    // Every TCP port, then every UDP port.
    for (const { port, protocol, owner } of this.#ports) {
      if (protocol !== 'TCP') continue;
      s.ports.delete(s.podIP, port, 'TCP', owner);
      const made = owner instanceof LazyServer ? owner.made : (owner as Server);
      if (made?.listening) made.close();
    }
    for (const { port, protocol, owner, socket } of this.#ports) {
      if (protocol !== 'UDP') continue;
      s.ports.delete(s.podIP, port, 'UDP', owner);
      try {
        socket?.close();
      } catch {
        // Already closed (a bind that failed).
      }
    }
    for (const sock of this.#sockets ?? []) sock.destroy();
    this.#sockets?.clear();
    // The owner first, then whoever awaits `exited`: the order of their reactions before.
    queueMicrotask(() => s.owner.containerExited(this, code));
    this.#resolve?.(code);
  }
}
