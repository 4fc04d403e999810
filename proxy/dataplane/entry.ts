// The entry points from this machine into the cluster: every NodePort of a node listens on that
// node's loopback address (127.0.10.<n> by default: which address a client connects to says which
// node the packet enters), and every LoadBalancer ingress IP:port on a loopback address of its own.
// The set of listeners follows the nodes' rules after each sync.
//
// What a client on this machine sees, per verdict for the external client:
// - DNAT: its connection is handed to the chosen pod.
// - REJECT (a Service without endpoints): the listener is not bound, so connect() fails with
//   ECONNREFUSED, as the REJECT rule's TCP reset makes it fail on a node. (A connection that races a
//   sync and meets REJECT after accept is reset: ECONNRESET.)
// - DROP (externalTrafficPolicy Local on a node without a local endpoint, loadBalancerSourceRanges):
//   the listener accepts and never answers; after `dropTimeoutMs` the connection is closed. The
//   handshake cannot be withheld from a user-space listener, so the client sees a connection that
//   sends nothing back, where a real node's client would see its connect() time out.
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server } from 'node:net';
import { parseAddr } from '../ruletable/index.js';
import { type Dataplane, type EntryKind, stopListening } from './dataplane.js';
import type { FlowEnd, FlowProtocol } from './flow.js';
import type { DataplaneNode } from './nodes.js';

export interface EntryPointsOptions {
  /**
   * The loopback address of the n-th node (0-based); undefined gives that node none. Default
   * 127.0.10.<n+1> for the first 254 nodes; where such addresses cannot be bound, the first node
   * alone gets 127.0.0.1.
   */
  readonly nodeAddress?: (index: number, node: string) => string | undefined;
  /** The loopback address a LoadBalancer ingress IP listens on (default `loadBalancerLoopback`). */
  readonly loadBalancerAddress?: (ip: string) => string | undefined;
  /** Bind failures and other notes, one line each. */
  readonly log?: (line: string) => void;
}

/** One bound entry listener and what it stands for. */
export interface EntryListener {
  readonly kind: Extract<EntryKind, 'nodeport' | 'loadbalancer'>;
  readonly protocol: FlowProtocol;
  /** Where it listens on this machine. */
  readonly address: string;
  readonly port: number;
  /** The node whose rules decide. */
  readonly node: string;
  /** The destination as the cluster sees it: node IP and NodePort, or ingress IP and port. */
  readonly target: FlowEnd;
}

/** The default loopback address of a LoadBalancer IPv4 ingress IP a.b.c.d: 127.b.c.d. */
export function loadBalancerLoopback(ip: string): string | undefined {
  const a = parseAddr(ip);
  if (a === undefined || a.v6) return undefined;
  const parts = ip.split('.');
  return `127.${parts[1]}.${parts[2]}.${parts[3]}`;
}

export function defaultNodeAddress(index: number): string | undefined {
  return index < 254 ? `127.0.10.${index + 1}` : undefined;
}

interface Bound {
  want: EntryListener;
  readonly tcp: Server | undefined;
  readonly udp: UdpSocket | undefined;
}

const key = (l: Pick<EntryListener, 'protocol' | 'address' | 'port'>) =>
  `${l.protocol} ${l.address} ${l.port}`;

export class EntryPoints {
  readonly #dp: Dataplane;
  readonly #nodeAddress: (index: number, node: string) => string | undefined;
  readonly #lbAddress: (ip: string) => string | undefined;
  readonly #log: (line: string) => void;
  readonly #bound = new Map<string, Bound>();
  readonly #failed = new Map<string, { listener: EntryListener; error: string }>();
  #unsubscribe: (() => void) | undefined;
  #running: Promise<void> = Promise.resolve();
  #again = false;
  #scheduled = false;
  #closed = false;
  #fallback = false;

  constructor(dp: Dataplane, opts: EntryPointsOptions = {}) {
    this.#dp = dp;
    this.#nodeAddress = opts.nodeAddress ?? defaultNodeAddress;
    this.#lbAddress = opts.loadBalancerAddress ?? loadBalancerLoopback;
    this.#log = opts.log ?? (() => {});
  }

  /** Binds the listeners the rules call for now, and follows every later sync. */
  async start(): Promise<void> {
    if (this.#nodeAddress === defaultNodeAddress) this.#fallback = !(await canBind('127.0.10.1'));
    this.#unsubscribe = this.#dp.nodes.subscribe(() => this.#schedule());
    await this.reconcile();
  }

  #schedule(): void {
    if (this.#scheduled || this.#closed) return;
    this.#scheduled = true;
    // Syncs of many nodes in one tick make one pass.
    setImmediate(() => {
      this.#scheduled = false;
      void this.reconcile();
    });
  }

  /**
   * A node's index for its entry address: the order nodes were first seen, never reused, so a node
   * keeps its address when another node is deleted (and when it comes back under the same name).
   */
  indexOf(node: string): number {
    let i = this.#index.get(node);
    if (i === undefined) {
      i = this.#index.size;
      this.#index.set(node, i);
    }
    return i;
  }
  readonly #index = new Map<string, number>();

  /** The node's entry address (undefined when it has none). */
  nodeAddress(index: number, node: string): string | undefined {
    if (this.#fallback) return index === 0 ? '127.0.0.1' : undefined;
    return this.#nodeAddress(index, node);
  }

  /** Brings the bound listeners in line with the rules; resolves when the binds are done. */
  reconcile(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#again = true;
    this.#running = this.#running.then(async () => {
      if (!this.#again || this.#closed) return;
      this.#again = false;
      await this.#apply(this.#desired());
    });
    return this.#running;
  }

  /** Listeners the rules call for that could not be bound (the address taken), with the error's code. */
  failed(): { listener: EntryListener; error: string }[] {
    return [...this.#failed.values()];
  }

  /** What listens now, NodePorts first by node, then LoadBalancers. */
  listeners(): EntryListener[] {
    return [...this.#bound.values()].map((b) => b.want);
  }

  /** The last answer of #desired and what it was computed from. */
  #lastDesired:
    | { generation: number; nodes: number; ext: string; want: Map<string, EntryListener> }
    | undefined;

  #desired(): Map<string, EntryListener> {
    const ext = this.#dp.externalClientIP;
    const nodes = this.#dp.nodes.list();
    // Nothing that decides a listener changed since the last look: the same answer, without reading
    // every node's rules again (a sync that touched ClusterIP services alone).
    const generation = this.#dp.nodes.entryGeneration?.();
    const last = this.#lastDesired;
    if (
      generation !== undefined &&
      last !== undefined &&
      last.generation === generation &&
      last.nodes === nodes.length &&
      last.ext === ext
    )
      return last.want;
    const want = this.#computeDesired(ext, nodes);
    this.#lastDesired = generation === undefined ? undefined : { generation, nodes: nodes.length, ext, want };
    return want;
  }

  #computeDesired(ext: string, nodes: readonly DataplaneNode[]): Map<string, EntryListener> {
    const want = new Map<string, EntryListener>();
    const verdictOf = (n: DataplaneNode, protocol: FlowProtocol, ip: string, port: number) =>
      n
        .fastPath()
        ?.trace({ sourceIP: ext, protocol: protocol === 'UDP' ? 'udp' : 'tcp', destIP: ip, destPort: port })
        .verdict;
    for (let i = 0; i < nodes.length; i++) {
      const n = nodes[i]!;
      const address = this.nodeAddress(this.indexOf(n.name), n.name);
      const nodeIP = n.ips[0];
      if (address === undefined || nodeIP === undefined) continue;
      for (const { protocol, port } of nodePorts(n)) {
        const v = verdictOf(n, protocol, nodeIP, port);
        if (v !== 'DNAT' && v !== 'DROP') continue;
        const l: EntryListener = {
          kind: 'nodeport',
          protocol,
          address,
          port,
          node: n.name,
          target: { ip: nodeIP, port },
        };
        want.set(key(l), l);
      }
    }
    const first = nodes.find((n) => n.rules() !== undefined);
    if (first === undefined) return want;
    for (const { protocol, ip, port } of loadBalancerIPs(first)) {
      const address = this.#lbAddress(ip);
      if (address === undefined) continue;
      // The IP is announced from a node that would forward it (MetalLB's L2 mode announces an
      // externalTrafficPolicy Local service from a node with a local endpoint).
      let entry: DataplaneNode | undefined;
      let dropped: DataplaneNode | undefined;
      for (const n of nodes) {
        const v = verdictOf(n, protocol, ip, port);
        if (v === 'DNAT') {
          entry = n;
          break;
        }
        if (v === 'DROP') dropped ??= n;
      }
      entry ??= dropped;
      if (entry === undefined) continue;
      const l: EntryListener = {
        kind: 'loadbalancer',
        protocol,
        address,
        port,
        node: entry.name,
        target: { ip, port },
      };
      want.set(key(l), l);
    }
    return want;
  }

  async #apply(want: Map<string, EntryListener>): Promise<void> {
    for (const k of this.#failed.keys()) if (!want.has(k)) this.#failed.delete(k);
    for (const [k, b] of this.#bound) {
      if (!want.has(k)) {
        this.#bound.delete(k);
        b.tcp?.close();
        b.udp?.close();
      }
    }
    const binds: Promise<void>[] = [];
    for (const [k, l] of want) {
      const b = this.#bound.get(k);
      if (b !== undefined) b.want = l;
      else binds.push(this.#bind(k, l));
    }
    await Promise.all(binds);
  }

  async #bind(k: string, l: EntryListener): Promise<void> {
    try {
      let bound: Bound;
      if (l.protocol === 'TCP') {
        const server = createServer({ noDelay: true }, (socket) => {
          const b = this.#bound.get(k);
          if (b === undefined) {
            socket.resetAndDestroy();
            return;
          }
          socket.on('error', () => {});
          this.#dp.acceptExternal(socket, b.want.node, b.want.target, b.want.kind);
        });
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen(l.port, l.address, () => {
            server.off('error', reject);
            resolve();
          });
        });
        server.on('error', (e) => this.#log(`listener ${l.address}:${l.port}/TCP: ${e.message}`));
        bound = { want: l, tcp: server, udp: undefined };
      } else {
        const udp = createSocket(l.address.includes(':') ? 'udp6' : 'udp4');
        await new Promise<void>((resolve, reject) => {
          udp.once('error', reject);
          udp.bind(l.port, l.address, () => {
            udp.off('error', reject);
            resolve();
          });
        });
        udp.on('error', (e) => this.#log(`listener ${l.address}:${l.port}/UDP: ${e.message}`));
        udp.on('message', (msg, rinfo) => {
          const b = this.#bound.get(k);
          if (b === undefined) return;
          this.#dp.sendUdp(
            b.want.node,
            { ip: this.#dp.externalClientIP, port: rinfo.port },
            b.want.target,
            msg,
            b.want.kind,
            (reply) => udp.send(reply, rinfo.port, rinfo.address),
          );
        });
        bound = { want: l, tcp: undefined, udp };
      }
      if (this.#closed) {
        bound.tcp?.close();
        bound.udp?.close();
        return;
      }
      this.#bound.set(k, bound);
      this.#failed.delete(k);
    } catch (e) {
      // Logged once per listener; the next sync tries again.
      if (!this.#failed.has(k))
        this.#log(
          `cannot listen on ${l.address}:${l.port}/${l.protocol} for ${l.kind} ${l.target.ip}:${l.target.port}: ${(e as Error).message}`,
        );
      this.#failed.set(k, { listener: l, error: (e as NodeJS.ErrnoException).code ?? (e as Error).message });
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#unsubscribe?.();
    await this.#running;
    const closing: Promise<void>[] = [];
    for (const b of this.#bound.values()) {
      if (b.tcp !== undefined) closing.push(stopListening(b.tcp));
      b.udp?.close();
    }
    this.#bound.clear();
    await Promise.all(closing);
  }
}

async function canBind(address: string): Promise<boolean> {
  const s = createServer();
  return new Promise((resolve) => {
    s.once('error', () => resolve(false));
    s.listen(0, address, () => s.close(() => resolve(true)));
  });
}

const PROTOCOLS: Record<string, FlowProtocol> = { tcp: 'TCP', udp: 'UDP' };

/** The node's NodePorts: ports its rules capture for any local destination address. */
function nodePorts(n: DataplaneNode): { protocol: FlowProtocol; port: number }[] {
  const rt = n.rules();
  if (rt === undefined) return [];
  const seen = new Map<string, { protocol: FlowProtocol; port: number }>();
  const scan = (table: string, chain: string) => {
    for (const r of rt.get(table)?.chains.get(chain)?.rules ?? []) {
      const s = r.spec;
      if (s.destination !== undefined || s.dport === undefined || s.dport.negated) continue;
      const protocol = PROTOCOLS[s.protocol?.value.toLowerCase() ?? ''];
      const port = Number(s.dport.value);
      if (protocol === undefined || !Number.isInteger(port)) continue;
      seen.set(`${protocol} ${port}`, { protocol, port });
    }
  };
  scan('nat', 'KUBE-NODEPORTS');
  // A NodePort without endpoints has only its REJECT rule, in the filter table.
  scan('filter', 'KUBE-EXTERNAL-SERVICES');
  scan('filter', 'KUBE-NODEPORTS');
  return [...seen.values()];
}

/** The LoadBalancer ingress IPs the rules capture (kube-proxy's "loadbalancer IP" rules). */
function loadBalancerIPs(n: DataplaneNode): { protocol: FlowProtocol; ip: string; port: number }[] {
  const out: { protocol: FlowProtocol; ip: string; port: number }[] = [];
  for (const r of n.rules()?.get('nat')?.chains.get('KUBE-SERVICES')?.rules ?? []) {
    const s = r.spec;
    if (!s.comment?.endsWith(' loadbalancer IP')) continue;
    const protocol = PROTOCOLS[s.protocol?.value.toLowerCase() ?? ''];
    const ip = s.destination?.cidr !== undefined ? s.destination.value.replace(/\/(32|128)$/, '') : undefined;
    const port = Number(s.dport?.value);
    if (protocol === undefined || ip === undefined || !Number.isInteger(port)) continue;
    out.push({ protocol, ip, port });
  }
  return out;
}
