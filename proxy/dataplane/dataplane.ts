// The data plane: what the kernel of a node does to a connection, done to real sockets. A new TCP
// connection or UDP flow becomes an emulated packet (source, destination, protocol); conntrack
// answers for a flow it knows, else the entry node's fast path decides (DNAT, masquerade, affinity,
// DROP, REJECT) and the entry is recorded; the destination pod's server is found through PodPorts and
// the accepted socket itself is handed to it (`setFlow`, then `server.emit('connection', socket)`),
// so the pod's HTTP parser reads the client's bytes directly and keep-alive stays on one pod, as
// per-connection balancing does in a cluster.

import { createSocket } from 'node:dgram';
import type { Server as HttpServer, IncomingMessage } from 'node:http';
import { createServer, type Server, Socket } from 'node:net';
import { joinHostPort, seededUint32 } from '../../std/index.js';
import { type ConntrackEntry, ConntrackTable } from '../conntrack/index.js';
import { addrInCidr, type Cidr, parseAddr, parseCidr, splitHostPort } from '../ruletable/index.js';
import { type KernelResult, type KernelState, newKernelState, type Verdict } from '../tracer/index.js';
import { DataplaneError, DialError } from './errors.js';
import { type Flow, type FlowEnd, type FlowProtocol, type PodPorts, setFlow } from './flow.js';
import type { DataplaneNodes } from './nodes.js';

/** A pod as a source of traffic: its node (whose rules decide) and its address. */
export interface PodRef {
  readonly node: string;
  readonly ip: string;
}

/** How a connection entered. */
export type EntryKind = 'nodeport' | 'loadbalancer' | 'proxy' | 'pod';

export interface DataplaneOptions {
  readonly nodes: DataplaneNodes;
  readonly pods: PodPorts;
  /** The address clients on this machine have in the cluster's eyes (default 203.0.113.10). */
  readonly externalClientIP?: string;
  /**
   * How long a dropped TCP connection is left unanswered before it is closed, and how long a pod's
   * dial waits before ETIMEDOUT (default 127 s: Linux's SYN retries with tcp_syn_retries=6).
   */
  readonly dropTimeoutMs?: number;
  /** Milliseconds; conntrack timeouts and ClientIP affinity run on it (tests inject one). */
  readonly clock?: () => number;
  /** Seed of the statistic match's PRNG (kube-proxy's random endpoint choice). */
  readonly seed?: number;
  /** kube-proxy's stale-UDP conntrack clean-up after a sync (default on; off shows why it exists). */
  readonly conntrackCleanup?: boolean;
  /** Where the in-process hand-off socket for pods' outbound TCP listens (default 127.0.0.1). */
  readonly handoffHost?: string;
  /**
   * The pod network (kube-proxy's --cluster-cidr): an address in it that no rule rewrote is a pod;
   * any other address no rule rewrote is outside the cluster (default 10.244.0.0/16).
   */
  readonly clusterCIDRs?: readonly string[];
}

/** One decision of a node's rules for the first packet of a flow. */
export interface Decision {
  readonly node: string;
  readonly protocol: FlowProtocol;
  /** The source as it left the client (before SNAT). */
  readonly client: FlowEnd;
  /** The destination the client asked for. */
  readonly origDst: FlowEnd;
  readonly verdict: Verdict;
  /** Where the flow goes: the DNAT endpoint, or the destination itself when no rule rewrote it. */
  readonly dst: FlowEnd;
  readonly masquerade: boolean;
  /** The source the destination sees: the client, or the node's IP when masqueraded. */
  readonly seen: FlowEnd;
  /** The rules matched, as the node's iptables-save prints them (none for an ESTABLISHED flow). */
  readonly rules: readonly string[];
  readonly conntrack: 'NEW' | 'ESTABLISHED';
  readonly entry: ConntrackEntry | undefined;
}

/** A new connection or UDP flow, for `netlab trace --live`. */
export interface ConnectionEvent extends Decision {
  readonly time: number;
  readonly via: EntryKind;
  /** False when no pod socket took it (refused, dropped, or nothing listening on the endpoint). */
  readonly delivered: boolean;
}

/** Per-endpoint figures for reports. */
export interface EndpointCounters {
  readonly endpoint: string;
  readonly protocol: FlowProtocol;
  /** New TCP connections delivered. */
  connections: number;
  /** TCP connections open now. */
  active: number;
  /** HTTP requests the pod's server parsed on delivered connections. */
  requests: number;
  /** UDP datagrams delivered. */
  datagrams: number;
}

/** A pod's UDP socket through the data plane. */
export interface PodUdpSocket {
  readonly port: number;
  /** Sends one datagram; false when the rules or the network lost it (no error, as UDP). */
  send(msg: Uint8Array, ip: string, port: number): boolean;
  close(): void;
}

const PROTO: Record<FlowProtocol, 'tcp' | 'udp' | 'sctp'> = { TCP: 'tcp', UDP: 'udp', SCTP: 'sctp' };
const CLOSING = new Set(['FIN_WAIT', 'CLOSE_WAIT', 'LAST_ACK', 'TIME_WAIT', 'CLOSE']);
/** Linux's ip_local_port_range. */
const EPHEMERAL_LOW = 32768;
const EPHEMERAL_HIGH = 60999;
/** Dropped connections held open at once; past this they are closed at once (memory stays bounded). */
const MAX_HELD = 1024;

export class Dataplane {
  readonly nodes: DataplaneNodes;
  readonly pods: PodPorts;
  readonly externalClientIP: string;
  readonly dropTimeoutMs: number;
  readonly #clock: () => number;
  readonly #random: () => number;
  /**
   * kube-proxy's clean-up of stale UDP conntrack entries after a sync that removed a UDP endpoint
   * (on by default; off shows what a stale entry does). May be switched at run time.
   */
  conntrackCleanup: boolean;
  readonly #kernel = new Map<string, KernelState>();
  readonly #counters = new Map<string, EndpointCounters>();
  readonly #counterOf = new WeakMap<Socket, EndpointCounters>();
  readonly #countedServers = new WeakSet<object>();
  readonly #listeners = new Set<(e: ConnectionEvent) => void>();
  readonly #ephemeral = new Map<string, number>();
  readonly #held = new Set<Socket>();
  readonly #unsubscribe: () => void;
  readonly #handoffHost: string;
  readonly #clusterCIDRs: readonly Cidr[];
  #handoff: Server | undefined;
  #handoffPort = 0;
  #closed = false;
  /** Pods' outbound connections waiting for the hand-off listener to accept them, by client port. */
  readonly #dialing = new Map<number, (accepted: Socket) => void>();
  readonly #accepted = new Map<number, Socket>();

  constructor(opts: DataplaneOptions) {
    this.nodes = opts.nodes;
    this.pods = opts.pods;
    this.externalClientIP = opts.externalClientIP ?? '203.0.113.10';
    this.dropTimeoutMs = opts.dropTimeoutMs ?? 127_000;
    this.#clock = opts.clock ?? Date.now;
    this.#random = seededUint32(opts.seed ?? 1);
    this.conntrackCleanup = opts.conntrackCleanup ?? true;
    this.#handoffHost = opts.handoffHost ?? '127.0.0.1';
    this.#clusterCIDRs = (opts.clusterCIDRs ?? ['10.244.0.0/16']).map((c) => {
      const cidr = parseCidr(c);
      if (cidr === undefined)
        throw new DataplaneError('NETLAB_DATAPLANE_CONFIG', `clusterCIDRs: "${c}" is not a CIDR`);
      return cidr;
    });
    this.#unsubscribe = this.nodes.subscribe((node, cleanupUDP) => this.#synced(node, cleanupUDP));
  }

  /** The node's kernel state: PRNG, `recent` lists (ClientIP affinity) and its conntrack table. */
  kernel(node: string): KernelState {
    let k = this.#kernel.get(node);
    if (k === undefined) {
      const clock = this.#clock;
      k = newKernelState(this.#random, () => clock() / 1000, new ConntrackTable(clock));
      this.#kernel.set(node, k);
    }
    return k;
  }

  /** The node's conntrack table (`conntrack -L` on that node). */
  conntrack(node: string): ConntrackTable {
    return this.kernel(node).conntrack!;
  }

  #synced(node: string, cleanupUDP: boolean): void {
    if (!this.conntrackCleanup || !cleanupUDP) return;
    const k = this.#kernel.get(node);
    const n = this.nodes.get(node);
    if (k?.conntrack === undefined || n === undefined) return;
    k.conntrack.cleanStaleUDP(n.udpServicePorts(), n.ips);
  }

  /**
   * What the node's rules do to the first packet of a flow from `client` to `origDst` (conntrack
   * first: a UDP flow it knows follows its entry). Records the conntrack entry of a new flow.
   */
  decide(node: string, protocol: FlowProtocol, client: FlowEnd, origDst: FlowEnd): Decision {
    const state = this.kernel(node);
    const ct = state.conntrack!;
    const proto = PROTO[protocol];
    const tuple = { proto, src: client.ip, sport: client.port, dst: origDst.ip, dport: origDst.port };
    if (protocol !== 'UDP') {
      // A SYN on a tuple whose connection has closed opens a new one (TIME_WAIT reuse).
      const old = ct.lookup(tuple);
      if (old !== undefined && old.direction === 'original' && CLOSING.has(old.entry.state ?? '')) {
        ct.remove(old.entry);
      }
    }
    const n = this.nodes.get(node);
    const fast = n?.fastPath();
    let r: KernelResult;
    if (fast === undefined) {
      // No rules yet: the packet goes where it is addressed.
      r = { verdict: 'ACCEPT', endpoint: undefined, masquerade: false, matched: [], conntrack: 'NEW' };
    } else {
      r = fast.decide(
        {
          sourceIP: client.ip,
          sourcePort: client.port,
          protocol: proto,
          destIP: origDst.ip,
          destPort: origDst.port,
        },
        state,
      );
    }
    let dst = origDst;
    if (r.verdict === 'DNAT' && r.endpoint !== undefined) {
      const hp = splitHostPort(r.endpoint);
      dst = { ip: hp.ip, port: hp.port ?? origDst.port };
    }
    const masqIP = n?.ips[0];
    const seen = r.masquerade && masqIP !== undefined ? { ip: masqIP, port: client.port } : client;
    const entry = r.verdict === 'DNAT' || r.verdict === 'ACCEPT' ? ct.lookup(tuple)?.entry : undefined;
    return {
      node,
      protocol,
      client,
      origDst,
      verdict: r.verdict,
      dst,
      masquerade: r.masquerade,
      seen,
      rules: r.matched.map((m) => m.rule),
      conntrack: r.conntrack,
      entry,
    };
  }

  /**
   * A TCP connection accepted on an entry listener of `node`: decided as coming from the external
   * client, then delivered. REJECT resets it (the listener was bound, so the client sees a reset
   * rather than a refused connect; listeners are left unbound where every connection would be
   * rejected, see EntryPoints); DROP leaves it unanswered until `dropTimeoutMs`, then closes it.
   */
  acceptExternal(socket: Socket, node: string, origDst: FlowEnd, via: EntryKind): void {
    const port = socket.remotePort;
    if (port === undefined) {
      socket.destroy();
      return;
    }
    let d: Decision;
    try {
      d = this.decide(node, 'TCP', { ip: this.externalClientIP, port }, origDst);
    } catch {
      // An address the rules cannot read (a misconfigured family): nothing to deliver to.
      socket.resetAndDestroy();
      return;
    }
    this.deliver(socket, d, via);
  }

  /**
   * A new TCP connection from a pod to ip:port, decided by its node's rules (an ephemeral source
   * port is taken for it); deliver it with `deliver`.
   */
  route(pod: PodRef, ip: string, port: number): Decision {
    return this.decide(pod.node, 'TCP', { ip: pod.ip, port: this.#ephemeralPort(pod.ip) }, { ip, port });
  }

  /**
   * Hands a client socket to the pod the decision names (`server` when the caller has looked it up
   * already); false when nobody took it.
   */
  deliver(socket: Socket, d: Decision, via: EntryKind, found?: Server): boolean {
    let server: Server | undefined;
    if (d.verdict === 'REJECT') socket.resetAndDestroy();
    else if (d.verdict === 'DROP') this.#hold(socket);
    else {
      server = found ?? this.pods.tcp(d.dst.ip, d.dst.port);
      // Nothing listens there: the pod's stack answers the SYN with a reset.
      if (server === undefined) socket.resetAndDestroy();
    }
    if (this.#listeners.size > 0) this.#emit(d, via, server !== undefined);
    if (server === undefined) {
      if (d.entry !== undefined) this.conntrack(d.node).closeTcp(d.entry, true);
      return false;
    }
    const c = this.#counter(d.dst, 'TCP');
    c.connections++;
    c.active++;
    this.#counterOf.set(socket, c);
    this.#countRequests(server);
    const entry = d.entry;
    const ct = this.conntrack(d.node);
    if (entry !== undefined) {
      // The handshake completed: SYN/ACK from the pod, ACK from the client.
      ct.seen(entry, 'reply', { syn: true, ack: true });
      ct.seen(entry, 'original', { ack: true });
    }
    socket.once('close', (hadError) => {
      c.active--;
      if (entry !== undefined) ct.closeTcp(entry, hadError);
    });
    const flow: Flow = { protocol: 'TCP', src: d.seen, dst: d.dst, origDst: d.origDst, node: d.node };
    setFlow(socket, flow);
    try {
      server.emit('connection', socket);
    } catch {
      // The pod's own handler threw: its connection dies with it, the data plane goes on.
      socket.destroy();
    }
    return true;
  }

  #hold(socket: Socket): void {
    socket.pause();
    if (this.#held.size >= MAX_HELD) {
      socket.destroy();
      return;
    }
    this.#held.add(socket);
    const timer = setTimeout(() => socket.destroy(), this.dropTimeoutMs);
    timer.unref();
    socket.once('close', () => {
      clearTimeout(timer);
      this.#held.delete(socket);
    });
    socket.on('error', () => {});
  }

  // HTTP requests on delivered connections, counted where the pod's server parsed them.
  #countRequests(server: Server): void {
    if (this.#countedServers.has(server)) return;
    this.#countedServers.add(server);
    (server as unknown as HttpServer).prependListener('request', (req: IncomingMessage) => {
      const c = this.#counterOf.get(req.socket as Socket);
      if (c !== undefined) c.requests++;
    });
  }

  #counter(dst: FlowEnd, protocol: FlowProtocol): EndpointCounters {
    const key = `${protocol} ${dst.ip}:${dst.port}`;
    let c = this.#counters.get(key);
    if (c === undefined) {
      c = {
        endpoint: joinHostPort(dst.ip, dst.port),
        protocol,
        connections: 0,
        active: 0,
        requests: 0,
        datagrams: 0,
      };
      this.#counters.set(key, c);
    }
    return c;
  }

  /** Per-endpoint connection, request and datagram counts since start (copies). */
  counters(): EndpointCounters[] {
    return [...this.#counters.values()].map((c) => ({ ...c }));
  }

  /** Every new connection or UDP flow, as it is decided; returns an unsubscribe. */
  subscribe(listener: (e: ConnectionEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Records a decision that ended without `deliver` (the forward proxy answering 4xx/5xx itself). */
  notify(d: Decision, via: EntryKind, delivered: boolean): void {
    if (this.#listeners.size > 0) this.#emit(d, via, delivered);
  }

  #emit(d: Decision, via: EntryKind, delivered: boolean): void {
    const e: ConnectionEvent = { ...d, time: this.#clock(), via, delivered };
    for (const l of this.#listeners) {
      try {
        l(e);
      } catch {
        // A watcher's failure is its own; traffic goes on.
      }
    }
  }

  #ephemeralPort(ip: string): number {
    const last = this.#ephemeral.get(ip) ?? EPHEMERAL_LOW - 1;
    const next = last >= EPHEMERAL_HIGH ? EPHEMERAL_LOW : last + 1;
    this.#ephemeral.set(ip, next);
    return next;
  }

  /**
   * A TCP connection from a pod (its `fetch`/`connect`, agnhost /dial), through its node's rules.
   * Returns an unconnected socket that emits `connect` once the destination pod's server has it, or
   * `error` with ECONNREFUSED (REJECT, nothing listening), ETIMEDOUT (DROP, after `timeoutMs`) or
   * ENETUNREACH (an address outside the cluster: the lab has no route out).
   */
  dial(pod: PodRef, ip: string, port: number, opts: { timeoutMs?: number; via?: EntryKind } = {}): Socket {
    const socket = new Socket();
    const client = { ip: pod.ip, port: this.#ephemeralPort(pod.ip) };
    const fail = (code: DialError['code']) =>
      process.nextTick(() => socket.destroy(new DialError(code, ip, port)));
    if (this.#closed) {
      // The cluster is stopping: no network any more.
      fail('ENETUNREACH');
      return socket;
    }
    let d: Decision;
    try {
      d = this.decide(pod.node, 'TCP', client, { ip, port });
    } catch {
      fail('ENETUNREACH');
      return socket;
    }
    const via = opts.via ?? 'pod';
    if (d.verdict === 'DROP') {
      if (this.#listeners.size > 0) this.#emit(d, via, false);
      const timer = setTimeout(
        () => socket.destroy(new DialError('ETIMEDOUT', ip, port)),
        opts.timeoutMs ?? this.dropTimeoutMs,
      );
      socket.once('close', () => clearTimeout(timer));
      return socket;
    }
    const server = d.verdict === 'REJECT' ? undefined : this.pods.tcp(d.dst.ip, d.dst.port);
    if (server === undefined) {
      if (this.#listeners.size > 0) this.#emit(d, via, false);
      if (d.entry !== undefined) this.conntrack(d.node).closeTcp(d.entry, true);
      fail(this.inCluster(d) ? 'ECONNREFUSED' : 'ENETUNREACH');
      return socket;
    }
    this.#connectHandoff(socket, (accepted) => {
      this.deliver(accepted, d, via);
    });
    return socket;
  }

  /** True when the rules took the flow (DNAT, DROP, REJECT) or it is addressed to the pod network. */
  inCluster(d: Decision): boolean {
    if (d.verdict !== 'ACCEPT') return true;
    const a = parseAddr(d.dst.ip);
    return a !== undefined && this.#clusterCIDRs.some((c) => addrInCidr(c, a));
  }

  async #ensureHandoff(): Promise<void> {
    if (this.#handoff !== undefined) return;
    const server = createServer((s) => this.#onHandoff(s));
    this.#handoff = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, this.#handoffHost, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const addr = server.address();
    this.#handoffPort = typeof addr === 'object' && addr !== null ? addr.port : 0;
    server.unref();
  }

  #onHandoff(s: Socket): void {
    const port = s.remotePort;
    if (port === undefined) {
      s.destroy();
      return;
    }
    const waiting = this.#dialing.get(port);
    if (waiting !== undefined) {
      this.#dialing.delete(port);
      waiting(s);
    } else {
      this.#accepted.set(port, s);
      // The dialer may be gone before its connect event: nothing waits for this side then.
      s.once('close', () => {
        if (this.#accepted.get(port) === s) this.#accepted.delete(port);
      });
    }
  }

  // The pod's side of an in-process connection is a real loopback socket, so pods' client code
  // (undici, net) and the destination's server both get ordinary sockets.
  #connectHandoff(socket: Socket, onAccepted: (accepted: Socket) => void): void {
    const go = () => {
      if (socket.destroyed) return;
      socket.connect(this.#handoffPort, this.#handoffHost);
      socket.once('connect', () => {
        const port = socket.localPort!;
        const early = this.#accepted.get(port);
        if (early !== undefined) {
          this.#accepted.delete(port);
          onAccepted(early);
          return;
        }
        this.#dialing.set(port, onAccepted);
        socket.once('close', () => {
          if (this.#dialing.get(port) === onAccepted) this.#dialing.delete(port);
        });
      });
    };
    if (this.#handoff !== undefined && this.#handoffPort !== 0) go();
    else this.#ensureHandoff().then(go, (e: unknown) => socket.destroy(e as Error));
  }

  /** Binds what the data plane needs before the first pod dials (the hand-off socket). */
  async start(): Promise<void> {
    await this.#ensureHandoff();
  }

  /**
   * A pod's UDP socket: datagrams go through its node's rules and conntrack, so a flow keeps going
   * to the endpoint of its conntrack entry for as long as the entry lives (30 s, 120 s once it is a
   * stream), even after that endpoint is gone, until kube-proxy's clean-up deletes the entry.
   * Replies come back from the address the pod sent to (conntrack reverses the NAT).
   */
  udp(pod: PodRef, onMessage: (msg: Uint8Array, from: FlowEnd) => void, port?: number): PodUdpSocket {
    const local = { ip: pod.ip, port: port ?? this.#ephemeralPort(pod.ip) };
    let closed = false;
    return {
      port: local.port,
      send: (msg, ip, dport) => {
        if (closed) return false;
        return this.sendUdp(pod.node, local, { ip, port: dport }, msg, 'pod', (reply) => {
          if (!closed) onMessage(reply, { ip, port: dport });
        });
      },
      close: () => {
        closed = true;
      },
    };
  }

  /**
   * One request datagram from a fresh port of `pod` and its first reply (a DNS query, agnhost's UDP
   * echo); rejects with ETIMEDOUT after `timeoutMs` when the datagram or its reply was lost.
   */
  exchangeUdp(pod: PodRef, ip: string, port: number, msg: Uint8Array, timeoutMs: number): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        sock.close();
        const e = new DialError('ETIMEDOUT', ip, port);
        reject(e);
      }, timeoutMs);
      const sock = this.udp(pod, (reply) => {
        clearTimeout(timer);
        sock.close();
        resolve(Buffer.from(reply));
      });
      sock.send(msg, ip, port);
    });
  }

  /** One datagram from `client` entering `node`; replies reach `onReply`. False when it was lost. */
  sendUdp(
    node: string,
    client: FlowEnd,
    origDst: FlowEnd,
    msg: Uint8Array,
    via: EntryKind,
    onReply: (msg: Uint8Array) => void,
  ): boolean {
    let d: Decision;
    try {
      d = this.decide(node, 'UDP', client, origDst);
    } catch {
      return false;
    }
    const handler =
      d.verdict === 'DNAT' || d.verdict === 'ACCEPT' ? this.pods.udp(d.dst.ip, d.dst.port) : undefined;
    if (d.conntrack === 'NEW' && this.#listeners.size > 0) this.#emit(d, via, handler !== undefined);
    if (handler === undefined) return false;
    this.#counter(d.dst, 'UDP').datagrams++;
    const entry = d.entry;
    const ct = this.conntrack(node);
    const flow: Flow = { protocol: 'UDP', src: d.seen, dst: d.dst, origDst: d.origDst, node };
    const copy = Uint8Array.from(msg);
    queueMicrotask(() => {
      try {
        handler(copy, flow, (reply) => {
          if (entry !== undefined) ct.seen(entry, 'reply');
          const r = Uint8Array.from(reply);
          queueMicrotask(() => onReply(r));
        });
      } catch {
        // A pod's handler that throws loses the datagram, as a crashing server would.
      }
    });
    return true;
  }

  /**
   * A real loopback address (UDP and TCP on one port) whose traffic leaves `pod` for ip:port through
   * the data plane: a stub resolver pointed at it sends a pod's DNS queries to the kube-dns ClusterIP
   * across its node's rules and conntrack, as the pod's own would. Each real sender port is one
   * emulated UDP flow of the pod.
   */
  async relay(
    pod: PodRef,
    ip: string,
    port: number,
    host = '127.0.0.1',
  ): Promise<{ host: string; port: number; close: () => void }> {
    await this.#ensureHandoff();
    const flows = new Map<number, PodUdpSocket>();
    const udp = createSocket(host.includes(':') ? 'udp6' : 'udp4');
    udp.on('error', () => {});
    udp.on('message', (msg, rinfo) => {
      let f = flows.get(rinfo.port);
      if (f === undefined) {
        // Old senders are forgotten first: their flows live on in conntrack, not here.
        if (flows.size >= 1024) for (const k of flows.keys()) flows.delete(k);
        f = this.udp(pod, (reply) => udp.send(reply, rinfo.port, rinfo.address));
        flows.set(rinfo.port, f);
      }
      f.send(msg, ip, port);
    });
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(0, host, () => {
        udp.off('error', reject);
        resolve();
      });
    });
    const bound = udp.address().port;
    const tcp = createServer((s) => {
      s.on('error', () => {});
      const out = this.dial(pod, ip, port);
      out.on('error', () => s.destroy());
      s.on('close', () => out.destroy());
      out.once('connect', () => {
        s.pipe(out).pipe(s);
      });
    });
    // TCP on the same port number, for a resolver's retry after a truncated reply; best effort.
    await new Promise<void>((resolve) => {
      tcp.once('error', () => resolve());
      tcp.listen(bound, host, () => resolve());
    });
    return {
      host,
      port: bound,
      close: () => {
        udp.close();
        tcp.close();
      },
    };
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#unsubscribe();
    for (const s of this.#held) s.destroy();
    for (const s of this.#accepted.values()) s.destroy();
    this.#accepted.clear();
    this.#dialing.clear();
    const h = this.#handoff;
    this.#handoff = undefined;
    if (h !== undefined) await stopListening(h);
  }
}

const hostPort = (e: FlowEnd) => joinHostPort(e.ip, e.port);

/**
 * One line of `netlab trace --live`: time, entry node, how it entered, protocol, client and
 * destination as sent, verdict and endpoint, the source the pod sees, and the chains walked.
 */
export function formatConnectionEvent(e: ConnectionEvent): string {
  const chains: string[] = [];
  for (const r of e.rules) {
    const chain = r.split(' ', 2)[1];
    if (chain !== undefined && chains[chains.length - 1] !== chain) chains.push(chain);
  }
  const time = new Date(e.time).toISOString().slice(11, 23);
  const to = e.verdict === 'DNAT' || e.verdict === 'ACCEPT' ? ` ${hostPort(e.dst)}` : '';
  const seen = e.delivered ? ` seen-from ${hostPort(e.seen)}` : ' not delivered';
  const rules = e.conntrack === 'ESTABLISHED' ? 'conntrack' : chains.join(',') || '-';
  return `${time} ${e.node} ${e.via} ${e.protocol} ${hostPort(e.client)} -> ${hostPort(e.origDst)} ${e.verdict}${to}${seen} rules ${rules}`;
}

/**
 * Stops a listener without waiting for the connections it accepted: those were handed to pods and
 * end with them (`server.close`'s callback would wait for every one).
 */
export function stopListening(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) {
      resolve();
      return;
    }
    server.close();
    // The handle is released on the next turn of the event loop.
    setImmediate(resolve);
  });
}
