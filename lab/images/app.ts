// What an in-process image sees of its container, and what it gives back. An image is a function
// run once per container start: it reads its argv and env, opens its servers through `listen`, and
// ends its process with `exit`. The kubelet's container runtime owns everything the image opened,
// so a kill (or an exit) closes the servers and their connections whatever the image did.
import type { Server, Socket } from 'node:net';
import type { fetch as undiciFetch } from 'undici';
import type { Container, Pod } from '../../api/index.js';
import type { UdpHandler } from '../../proxy/index.js';

/** The image API: the pod's own view of the cluster network. */
export interface PodNetwork {
  /** Resolves a name with the pod's resolv.conf (dnsPolicy/dnsConfig) against cluster DNS. */
  lookup(name: string, opts?: { family?: 0 | 4 | 6 }): Promise<string[]>;
  /** fetch from the pod: an undici Agent whose connections are made by `dial`. */
  fetch: typeof undiciFetch;
  /** A TCP connection from the pod to ip:port (through the data plane once it is wired). */
  dial(ip: string, port: number): Socket;
  /** One UDP datagram from the pod and the first reply (rejects after timeoutMs). */
  exchangeUdp(ip: string, port: number, msg: Uint8Array, timeoutMs: number): Promise<Buffer>;
}

export interface ContainerContext extends PodNetwork {
  readonly pod: Pod;
  readonly container: Container;
  /** `command` + `args` as the container runtime runs them (the image's entrypoint when unset). */
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  /** What os.Hostname() returns in the pod: spec.hostname, else the pod name. */
  readonly hostname: string;
  readonly podIP: string;
  /** Milliseconds in one second of the cluster's clock (1000, or less in tests). */
  readonly second: number;
  /**
   * Serves a TCP container port with this server (the app's own; the kubelet publishes it). Given a
   * function, the server is made when the port is first connected to (at once with real sockets).
   */
  listen(port: number, server: Server | (() => Server)): void;
  /** Serves a UDP container port. */
  listenUdp(port: number, handler: UdpHandler): void;
  /** The container's stdout, one line at a time (`kubectl logs`). */
  log(line: string): void;
  /** The process ends with this exit code (a crash, /exit, a handled SIGTERM). */
  exit(code: number): void;
  /** A Warning Event on the pod (reason, message). */
  warn(reason: string, message: string): void;
}

/** What a started image hands back; every member is optional. */
export interface App {
  /** SIGTERM. Without a handler the process dies of the signal (exit code 143). */
  onSigterm?(): void;
  /** An exec probe or `kubectl exec` of one of the image's own commands: the exit code. */
  exec?(argv: readonly string[]): number | Promise<number>;
}

export type Image = (ctx: ContainerContext) => App | undefined | Promise<App | undefined>;
