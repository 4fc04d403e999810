// Connection tracking as netfilter keeps it: one entry per connection, found by its original or its
// reply tuple, carrying the NAT that was applied to its first packet (the reply tuple is the NAT'd
// view), with Linux's default timeouts, expiry on an injected clock, kube-proxy's clean-up of stale UDP
// entries, and `conntrack -L` text.
import { joinHostPort } from '../../std/index.js';
import { ConntrackInputError, parseAddr } from '../ruletable/index.js';

export type ConntrackProtocol = 'tcp' | 'udp' | 'sctp';

export interface Tuple {
  readonly proto: ConntrackProtocol;
  readonly src: string;
  readonly dst: string;
  readonly sport: number;
  readonly dport: number;
}

export type TcpState =
  | 'SYN_SENT'
  | 'SYN_RECV'
  | 'ESTABLISHED'
  | 'FIN_WAIT'
  | 'CLOSE_WAIT'
  | 'LAST_ACK'
  | 'TIME_WAIT'
  | 'CLOSE';
export type SctpState = 'COOKIE_WAIT' | 'ESTABLISHED' | 'CLOSED';

/** Linux defaults, seconds (net.netfilter.nf_conntrack_*_timeout_*). */
export interface ConntrackTimeouts {
  readonly tcp: Readonly<Record<TcpState, number>>;
  /** nf_conntrack_udp_timeout (no reply yet, or replied but not assured). */
  readonly udpUnreplied: number;
  /** nf_conntrack_udp_timeout_stream (assured). */
  readonly udpStream: number;
  readonly sctp: Readonly<Record<SctpState, number>>;
}

export const linuxDefaultTimeouts: ConntrackTimeouts = {
  tcp: {
    SYN_SENT: 120,
    SYN_RECV: 60,
    ESTABLISHED: 432000,
    FIN_WAIT: 120,
    CLOSE_WAIT: 60,
    LAST_ACK: 30,
    TIME_WAIT: 120,
    CLOSE: 10,
  },
  udpUnreplied: 30,
  udpStream: 120,
  sctp: { COOKIE_WAIT: 3, ESTABLISHED: 210, CLOSED: 10 },
};

const PROTO_NUMBER: Record<ConntrackProtocol, number> = { tcp: 6, udp: 17, sctp: 132 };

export interface ConntrackEntry {
  readonly id: number;
  readonly original: Tuple;
  /** What the reply looks like: source is the real (DNAT'd) destination, destination the (SNAT'd) source. */
  readonly reply: Tuple;
  /** TCP or SCTP state; undefined for UDP. */
  state: TcpState | SctpState | undefined;
  seenReply: boolean;
  assured: boolean;
  /** Clock time (ms) when the entry expires. */
  expires: number;
  mark: number;
  /** UDP: when a reply has been seen, the time (ms) after which the next packet makes it a stream. */
  streamAfter: number;
}

/** TCP flags of a packet, for the state machine. */
export interface TcpFlags {
  readonly syn?: boolean;
  readonly ack?: boolean;
  readonly fin?: boolean;
  readonly rst?: boolean;
}

export interface NatResult {
  /** DNAT: the new destination. */
  readonly dnat?: { readonly ip: string; readonly port: number };
  /** SNAT / MASQUERADE: the new source. */
  readonly snat?: { readonly ip: string; readonly port: number };
  readonly mark?: number;
}

/** One service port as kube-proxy's conntrack clean-up sees it. */
export interface UdpServicePort {
  /** Cluster IP, external IPs and load-balancer IPs. */
  readonly ips: readonly string[];
  readonly port: number;
  /** 0 when there is none. */
  readonly nodePort: number;
  /** Current endpoints (`ip:port`) that traffic may still be DNAT'd to. */
  readonly endpoints: readonly string[];
}

/** The selection options of `conntrack -L`: `-p`, `-s`/`--orig-src`, `-d`/`--orig-dst`, `--dport`, `-r`/`--reply-src`. */
export interface ConntrackFilter {
  readonly proto?: ConntrackProtocol;
  readonly src?: string;
  readonly dst?: string;
  readonly dport?: number;
  readonly replySrc?: string;
}

function key(t: Tuple): string {
  return `${t.proto} ${t.src} ${t.sport} ${t.dst} ${t.dport}`;
}

function checkTuple(t: Tuple): Tuple {
  if (!(t.proto in PROTO_NUMBER))
    throw new ConntrackInputError(`protocol "${t.proto}" is not tcp, udp or sctp`);
  for (const [name, ip] of [
    ['src', t.src],
    ['dst', t.dst],
  ] as const) {
    if (parseAddr(ip) === undefined) throw new ConntrackInputError(`${name} "${ip}" is not an IP address`);
  }
  for (const [name, p] of [
    ['sport', t.sport],
    ['dport', t.dport],
  ] as const) {
    if (!Number.isInteger(p) || p < 0 || p > 65535)
      throw new ConntrackInputError(`${name} ${p} is not a port`);
  }
  return t;
}

/** nf_conntrack_max as Linux sizes it on a small machine. */
export const defaultConntrackMax = 65536;

export class ConntrackTable {
  readonly timeouts: ConntrackTimeouts;
  readonly max: number;
  readonly #clock: () => number;
  readonly #byTuple = new Map<string, { entry: ConntrackEntry; dir: 'original' | 'reply' }>();
  readonly #entries = new Map<number, ConntrackEntry>();
  /**
   * TCP entries that closed, in the order they closed (with the expiry they got then: an entry closed
   * again, or deleted, leaves a stale item that is skipped): the first to go when the table is full.
   * An array with a head index, because a Set or Map that is deleted from at the front makes every
   * iteration from the start walk the holes.
   */
  #closing: { entry: ConntrackEntry; expires: number }[] = [];
  #closingHead = 0;
  /** Every entry in the order it was created, the same way (stale items skipped): for early drop. */
  #order: ConntrackEntry[] = [];
  #orderHead = 0;
  #nextId = 1;

  /**
   * `clock` returns milliseconds; tests inject a fake one. `max` bounds the table (nf_conntrack_max):
   * when full, a new entry evicts the oldest closed TCP entry, else the oldest unassured one
   * (Linux's early drop); a table of live assured connections only grows past it rather than refuse.
   */
  constructor(
    clock: () => number = Date.now,
    timeouts: ConntrackTimeouts = linuxDefaultTimeouts,
    max: number = defaultConntrackMax,
  ) {
    this.#clock = clock;
    this.timeouts = timeouts;
    this.max = max;
  }

  get size(): number {
    this.expire();
    return this.#entries.size;
  }

  /** Finds the entry a packet with this tuple belongs to, and in which direction it travels. */
  lookup(t: Tuple): { entry: ConntrackEntry; direction: 'original' | 'reply' } | undefined {
    const hit = this.#byTuple.get(key(t));
    if (hit === undefined) return undefined;
    if (hit.entry.expires <= this.#clock()) {
      this.#delete(hit.entry);
      return undefined;
    }
    return { entry: hit.entry, direction: hit.dir };
  }

  /**
   * Confirms the entry for the first packet of a connection (after NAT decided): the reply tuple is
   * the original reversed, with the DNAT destination as its source and the SNAT source as its
   * destination.
   */
  create(original: Tuple, nat: NatResult = {}, flags: TcpFlags = { syn: true }): ConntrackEntry {
    checkTuple(original);
    const existing = this.lookup(original);
    if (existing !== undefined) return existing.entry;
    const reply: Tuple = {
      proto: original.proto,
      src: nat.dnat?.ip ?? original.dst,
      sport: nat.dnat?.port ?? original.dport,
      dst: nat.snat?.ip ?? original.src,
      dport: nat.snat?.port ?? original.sport,
    };
    const now = this.#clock();
    // Closed connections expire in the order they closed: reap them here, a few at a time, so a
    // stream of short connections does not pile up TIME_WAIT entries until a full sweep.
    for (let reaped = 0; reaped < 8; reaped++) {
      const c = this.#firstClosing();
      if (c === undefined || c.expires > now) break;
      this.#closingHead++;
      this.#delete(c);
    }
    if (this.#entries.size >= this.max) this.#evictOne(now);
    const entry: ConntrackEntry = {
      id: this.#nextId++,
      original,
      reply,
      state: undefined,
      seenReply: false,
      assured: false,
      expires: now,
      mark: nat.mark ?? 0,
      streamAfter: 0,
    };
    if (original.proto === 'tcp') {
      entry.state = flags.syn === true && flags.ack !== true ? 'SYN_SENT' : 'ESTABLISHED';
      // A mid-stream pickup (nf_conntrack_tcp_loose) starts ESTABLISHED but not assured.
    } else if (original.proto === 'sctp') {
      entry.state = 'COOKIE_WAIT';
    }
    this.#refresh(entry, now);
    this.#entries.set(entry.id, entry);
    this.#order.push(entry);
    this.#byTuple.set(key(original), { entry, dir: 'original' });
    this.#byTuple.set(key(reply), { entry, dir: 'reply' });
    return entry;
  }

  /** A later packet of a known connection: advances the state and refreshes the timeout. */
  seen(entry: ConntrackEntry, direction: 'original' | 'reply', flags: TcpFlags = { ack: true }): void {
    const now = this.#clock();
    if (direction === 'reply' && !entry.seenReply) {
      entry.seenReply = true;
      // Linux: a UDP flow still active two seconds after its first reply becomes a stream.
      entry.streamAfter = now + 2000;
    }
    if (entry.original.proto === 'tcp') {
      entry.state = nextTcpState(entry.state as TcpState, direction, flags);
      if (entry.state === 'ESTABLISHED' && entry.seenReply) entry.assured = true;
    } else if (entry.original.proto === 'sctp') {
      if (entry.seenReply && entry.state === 'COOKIE_WAIT') {
        entry.state = 'ESTABLISHED';
        entry.assured = true;
      }
    } else if (entry.seenReply && now > entry.streamAfter) {
      entry.assured = true;
    }
    this.#refresh(entry, now);
  }

  /**
   * The end of a TCP connection seen by an endpoint: FIN both ways (TIME_WAIT, 120 s) or a reset
   * (CLOSE, 10 s), without stepping through each packet.
   */
  closeTcp(entry: ConntrackEntry, reset = false): void {
    if (entry.original.proto !== 'tcp' || !this.#entries.has(entry.id)) return;
    entry.state = reset ? 'CLOSE' : 'TIME_WAIT';
    this.#refresh(entry, this.#clock());
    this.#closing.push({ entry, expires: entry.expires });
  }

  // The oldest closed entry still in the table as it was closed; drops stale items on the way.
  #firstClosing(): ConntrackEntry | undefined {
    const q = this.#closing;
    while (this.#closingHead < q.length) {
      const { entry, expires } = q[this.#closingHead]!;
      if (this.#entries.get(entry.id) === entry && entry.expires === expires) return entry;
      this.#closingHead++;
    }
    return undefined;
  }

  /** Deletes one entry (conntrack -D of exactly that flow). */
  remove(entry: ConntrackEntry): void {
    if (this.#entries.get(entry.id) === entry) this.#delete(entry);
  }

  #evictOne(now: number): void {
    const c = this.#firstClosing();
    if (c !== undefined) {
      this.#closingHead++;
      this.#delete(c);
      return;
    }
    // Linux's early drop looks at a bounded number of entries too.
    const q = this.#order;
    let looked = 0;
    for (let i = this.#orderHead; i < q.length && looked < 64; i++) {
      const e = q[i]!;
      if (this.#entries.get(e.id) !== e) {
        if (i === this.#orderHead) this.#orderHead++;
        continue;
      }
      looked++;
      if (e.expires <= now || !e.assured) {
        this.#delete(e);
        return;
      }
    }
  }

  /** Remaining lifetime in whole seconds, as conntrack -L prints it. */
  remaining(entry: ConntrackEntry): number {
    return Math.max(0, Math.floor((entry.expires - this.#clock()) / 1000));
  }

  /** Drops every expired entry (lookups also drop the ones they meet). */
  expire(): number {
    const now = this.#clock();
    let n = 0;
    for (const e of this.#entries.values()) {
      if (e.expires <= now) {
        this.#delete(e);
        n++;
      }
    }
    return n;
  }

  /** Deletes entries the filter selects; returns them (conntrack -D). */
  delete(filter: (e: ConntrackEntry) => boolean): ConntrackEntry[] {
    const gone: ConntrackEntry[] = [];
    for (const e of this.#entries.values()) {
      if (filter(e)) {
        this.#delete(e);
        gone.push(e);
      }
    }
    return gone;
  }

  /**
   * kube-proxy's clean-up of stale UDP entries (pkg/proxy/conntrack CleanStaleEntries): UDP packets
   * keep following their entry, so after an endpoint goes away its clients would keep sending into
   * the void until the entry times out. After a sync kube-proxy deletes every UDP entry whose original
   * destination is a service IP:port (or a NodePort on one of `localIPs`) and that was DNAT'd to an
   * address that is no longer an endpoint of that port, or not DNAT'd at all although the port now has
   * endpoints (packets that met the REJECT rule before there were any).
   */
  cleanStaleUDP(ports: readonly UdpServicePort[], localIPs: readonly string[] = []): ConntrackEntry[] {
    const byIPPort = new Map<string, UdpServicePort>();
    const byNodePort = new Map<number, UdpServicePort>();
    for (const p of ports) {
      for (const ip of p.ips) byIPPort.set(`${ip} ${p.port}`, p);
      if (p.nodePort > 0) byNodePort.set(p.nodePort, p);
    }
    const local = new Set(localIPs);
    return this.delete((e) => {
      if (e.original.proto !== 'udp') return false;
      let sp = byIPPort.get(`${e.original.dst} ${e.original.dport}`);
      if (sp === undefined && local.has(e.original.dst)) sp = byNodePort.get(e.original.dport);
      if (sp === undefined) return false;
      const dnatted = e.reply.src !== e.original.dst || e.reply.sport !== e.original.dport;
      if (!dnatted) return sp.endpoints.length > 0;
      return !sp.endpoints.includes(joinHostPort(e.reply.src, e.reply.sport));
    });
  }

  /** Every live entry, oldest first. */
  entries(): ConntrackEntry[] {
    this.expire();
    return [...this.#entries.values()];
  }

  /**
   * `conntrack -L [-p P] [-s IP] [-d IP] [--dport N] [-r IP]` output (without the summary line
   * conntrack prints on stderr; see `summary`):
   * `tcp      6 431999 ESTABLISHED src=... dst=... sport=... dport=... src=... dst=... sport=... dport=... [ASSURED] mark=0 use=1`.
   */
  list(filter: ConntrackFilter = {}): string {
    let out = '';
    for (const e of this.#selected(filter)) out += `${this.format(e)}\n`;
    return out;
  }

  /** The line conntrack writes to stderr after a listing: it counts the entries shown. */
  summary(filter: ConntrackFilter = {}): string {
    return `conntrack v1.4.7 (conntrack-tools): ${this.#selected(filter).length} flow entries have been shown.`;
  }

  #selected(filter: ConntrackFilter): ConntrackEntry[] {
    return this.entries().filter((e) => {
      const o = e.original;
      if (filter.proto !== undefined && o.proto !== filter.proto) return false;
      if (filter.src !== undefined && o.src !== filter.src) return false;
      if (filter.dst !== undefined && o.dst !== filter.dst) return false;
      if (filter.dport !== undefined && o.dport !== filter.dport) return false;
      return filter.replySrc === undefined || e.reply.src === filter.replySrc;
    });
  }

  format(e: ConntrackEntry): string {
    const o = e.original;
    const r = e.reply;
    const proto = o.proto.padEnd(8, ' ');
    let s = `${proto} ${PROTO_NUMBER[o.proto]} ${this.remaining(e)} `;
    if (e.state !== undefined) s += `${e.state} `;
    s += `src=${o.src} dst=${o.dst} sport=${o.sport} dport=${o.dport} `;
    if (!e.seenReply) s += '[UNREPLIED] ';
    s += `src=${r.src} dst=${r.dst} sport=${r.sport} dport=${r.dport} `;
    if (e.assured) s += '[ASSURED] ';
    s += `mark=${e.mark} use=1`;
    return s;
  }

  #refresh(e: ConntrackEntry, now: number): void {
    let seconds: number;
    if (e.original.proto === 'tcp') seconds = this.timeouts.tcp[e.state as TcpState];
    else if (e.original.proto === 'sctp') seconds = this.timeouts.sctp[e.state as SctpState];
    else seconds = e.assured ? this.timeouts.udpStream : this.timeouts.udpUnreplied;
    e.expires = now + seconds * 1000;
  }

  #delete(e: ConntrackEntry): void {
    this.#entries.delete(e.id);
    // Compact the queue once most of it has been consumed.
    if (this.#closingHead > 1024 && this.#closingHead * 2 > this.#closing.length) {
      this.#closing = this.#closing.slice(this.#closingHead);
      this.#closingHead = 0;
    }
    // The creation order keeps only live entries once it holds twice as many items as there are.
    if (this.#order.length > 2048 && this.#order.length > 2 * this.#entries.size) {
      this.#order = this.#order.slice(this.#orderHead).filter((x) => this.#entries.get(x.id) === x);
      this.#orderHead = 0;
    }
    this.#byTuple.delete(key(e.original));
    this.#byTuple.delete(key(e.reply));
  }
}

// A condensed nf_conntrack_proto_tcp state table: enough to walk a connection through handshake,
// data, and both ways of closing.
function nextTcpState(s: TcpState, dir: 'original' | 'reply', f: TcpFlags): TcpState {
  if (f.rst === true) return 'CLOSE';
  if (f.syn === true) {
    if (dir === 'reply' && f.ack === true && (s === 'SYN_SENT' || s === 'SYN_RECV')) return 'SYN_RECV';
    if (dir === 'original' && f.ack !== true && (s === 'TIME_WAIT' || s === 'CLOSE')) return 'SYN_SENT';
    return s;
  }
  if (f.fin === true) {
    if (s === 'ESTABLISHED') return 'FIN_WAIT';
    if (s === 'FIN_WAIT' || s === 'CLOSE_WAIT') return 'LAST_ACK';
    return s;
  }
  if (f.ack === true) {
    if (s === 'SYN_RECV' && dir === 'original') return 'ESTABLISHED';
    if (s === 'FIN_WAIT') return 'CLOSE_WAIT';
    if (s === 'LAST_ACK') return 'TIME_WAIT';
  }
  return s;
}
