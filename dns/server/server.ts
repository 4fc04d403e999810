// The DNS wire server: UDP and TCP on one port, in front of a Zone.
//
// Handler contract (`handle`): given the bytes of one message, it returns the bytes of the reply, or
// null when the message gets none (shorter than a header, or itself a response: answering those
// invites loops). It never throws: anything unreadable is FORMERR, an unknown opcode NOTIMP, an EDNS
// version other than 0 BADVERS, and a failure inside the zone or the upstream SERVFAIL.
//
// Hot path: a plain query (one question, optional OPT) is looked up by its question bytes in the
// response cache; a hit costs one copy and a patch of ID/RD/OPT. The cache is dropped whenever the
// zone changes, so an answer is never older than the data.
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { createServer, isIPv6, type Socket, type Server as TcpServer } from 'node:net';
import dnsPacket, { type DecodedPacket } from 'dns-packet';
import { DnsListenError } from '../errors.js';
import { QTYPE, RCODE, type Zone, type ZoneAnswer } from '../zone/index.js';
import { formatHostPort, type HostPort, Upstream } from './upstream.js';
import {
  encodeResponseRecords,
  errorResponse,
  finishResponse,
  HEADER_LEN,
  OPT_TYPE,
  type QuestionInfo,
  questionKey,
  questionName,
  readQuestion,
  scanPlainQuery,
} from './wire.js';

export interface DnsServerOptions {
  zone: Zone;
  /** Where to listen; port 0 picks a free port (the same one for UDP and TCP). Default 127.0.0.1:10053. */
  listen?: HostPort;
  /** IP:PORT of the resolver for names outside the zone; without it they are REFUSED. */
  upstream?: HostPort;
  upstreamTimeoutMs?: number;
  /** A TCP connection with no query for this long is closed (RFC 7766 §6.2.3). Default 10 s. */
  idleTimeoutMs?: number;
  /** Cached responses kept at most (oldest dropped first). Default 100 000. */
  cacheSize?: number;
}

const BADVERS = 16;
const MAX_TCP_BACKLOG = 1 << 20;
const rcodeNames = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED'];

export interface DnsServerStats {
  queries: number;
  udp: number;
  tcp: number;
  /** Messages that got no reply: shorter than a header, or responses. */
  dropped: number;
  byRcode: Record<string, number>;
  byType: Record<string, number>;
  cacheHits: number;
  cacheMisses: number;
  /** hits / (hits + misses), 0 when nothing was looked up. */
  cacheHitRatio: number;
  truncated: number;
  forwarded: number;
  upstreamFailures: number;
}

interface Cached {
  body: Buffer;
  /** Where each record ends in `body`: UDP truncation cuts there. */
  ends: readonly number[];
  rcode: number;
}

export class DnsServer {
  readonly zone: Zone;
  readonly #listen: HostPort;
  readonly #upstream: Upstream | null;
  readonly #idleMs: number;
  readonly #cacheSize: number;
  readonly #cache = new Map<string, Cached>();
  readonly #unsubscribe: () => void;
  #udp: UdpSocket | null = null;
  #tcp: TcpServer | null = null;
  readonly #conns = new Set<Socket>();
  #address: HostPort | null = null;

  // Counters: plain numbers and arrays indexed by rcode / qtype on the hot path, named in stats().
  #queries = 0;
  #viaUdp = 0;
  #viaTcp = 0;
  #dropped = 0;
  #hits = 0;
  #misses = 0;
  #truncated = 0;
  #forwarded = 0;
  #upstreamFailures = 0;
  readonly #byRcode = new Array<number>(32).fill(0);
  readonly #byType = new Map<number, number>();

  constructor(opts: DnsServerOptions) {
    this.zone = opts.zone;
    this.#listen = opts.listen ?? { host: '127.0.0.1', port: 10053 };
    this.#upstream = opts.upstream ? new Upstream(opts.upstream, opts.upstreamTimeoutMs ?? 2000) : null;
    this.#idleMs = opts.idleTimeoutMs ?? 10_000;
    this.#cacheSize = opts.cacheSize ?? 100_000;
    this.#unsubscribe = this.zone.onChange(() => this.#cache.clear());
  }

  /** Binds UDP and TCP on the same port and resolves with the address. */
  async listen(): Promise<HostPort> {
    const { host } = this.#listen;
    const type = isIPv6(host) ? 'udp6' : 'udp4';
    for (let attempt = 0; ; attempt++) {
      const tcp = createServer({ allowHalfOpen: true }, (s) => this.#onConnection(s));
      const port = await new Promise<number>((resolve, reject) => {
        tcp.once('error', reject);
        tcp.listen({ host, port: this.#listen.port, exclusive: true }, () => {
          tcp.off('error', reject);
          resolve((tcp.address() as AddressInfo).port);
        });
      }).catch((err: NodeJS.ErrnoException) => {
        throw new DnsListenError(formatHostPort(this.#listen), `tcp: ${err.code ?? err.message}`);
      });
      const udp = createSocket({ type, reuseAddr: false });
      const bound = await new Promise<NodeJS.ErrnoException | null>((resolve) => {
        udp.once('error', resolve);
        udp.bind({ address: host, port, exclusive: true }, () => {
          udp.off('error', resolve);
          resolve(null);
        });
      });
      if (bound) {
        udp.close();
        await new Promise<void>((r) => tcp.close(() => r()));
        // Port 0: the kernel's free TCP port may be taken for UDP; try another.
        if (this.#listen.port === 0 && bound.code === 'EADDRINUSE' && attempt < 20) continue;
        throw new DnsListenError(formatHostPort({ host, port }), `udp: ${bound.code ?? bound.message}`);
      }
      udp.on('message', (msg, rinfo) => this.#onDatagram(udp, msg, rinfo.port, rinfo.address));
      udp.on('error', () => {}); // a send to a vanished client must not take the server down
      this.#udp = udp;
      this.#tcp = tcp;
      this.#address = { host, port };
      return this.#address;
    }
  }

  get address(): HostPort | null {
    return this.#address;
  }

  async close(): Promise<void> {
    this.#unsubscribe();
    for (const s of this.#conns) s.destroy();
    this.#conns.clear();
    const tcp = this.#tcp;
    const udp = this.#udp;
    this.#tcp = null;
    this.#udp = null;
    await Promise.all([
      tcp ? new Promise<void>((r) => tcp.close(() => r())) : undefined,
      udp ? new Promise<void>((r) => udp.close(() => r())) : undefined,
    ]);
  }

  stats(): DnsServerStats {
    const byRcode: Record<string, number> = {};
    this.#byRcode.forEach((n, rc) => {
      if (n > 0) byRcode[rcodeNames[rc] ?? (rc === BADVERS ? 'BADVERS' : `RCODE${rc}`)] = n;
    });
    const byType: Record<string, number> = {};
    for (const [t, n] of [...this.#byType].sort((a, b) => a[0] - b[0])) byType[typeName(t)] = n;
    const looked = this.#hits + this.#misses;
    return {
      queries: this.#queries,
      udp: this.#viaUdp,
      tcp: this.#viaTcp,
      dropped: this.#dropped,
      byRcode,
      byType,
      cacheHits: this.#hits,
      cacheMisses: this.#misses,
      cacheHitRatio: looked === 0 ? 0 : this.#hits / looked,
      truncated: this.#truncated,
      forwarded: this.#forwarded,
      upstreamFailures: this.#upstreamFailures,
    };
  }

  /** The handler (see the contract at the top of this file). */
  handle(msg: Buffer, via: 'udp' | 'tcp'): Buffer | null | Promise<Buffer | null> {
    if (msg.length < HEADER_LEN || (msg[2]! & 0x80) !== 0) {
      this.#dropped++;
      return null;
    }
    this.#queries++;
    try {
      const plain = scanPlainQuery(msg);
      if (plain !== null) return this.#answer(msg, via, plain.q, plain.edns);
      return this.#slow(msg, via);
    } catch {
      return this.#count(errorResponse(msg, RCODE.SERVFAIL, false));
    }
  }

  // Queries the fast scan declined: decode in full, then validate what the scan could not.
  #slow(msg: Buffer, via: 'udp' | 'tcp'): Buffer | null | Promise<Buffer | null> {
    let pkt: DecodedPacket;
    try {
      pkt = dnsPacket.decode(msg);
    } catch {
      return this.#count(errorResponse(msg, RCODE.FORMERR, false));
    }
    const opts = (pkt.additionals ?? []).filter((a) => a.type === 'OPT');
    const edns = opts.length === 1 ? opts[0]! : null;
    const hasEdns = edns !== null;
    if (opts.length > 1) return this.#count(errorResponse(msg, RCODE.FORMERR, false));
    if (((msg.readUInt16BE(2) >> 11) & 0xf) !== 0)
      return this.#count(errorResponse(msg, RCODE.NOTIMP, hasEdns));
    if (msg.readUInt16BE(4) !== 1) return this.#count(errorResponse(msg, RCODE.FORMERR, hasEdns));
    const q = readQuestion(msg);
    if (q === null) return this.#count(errorResponse(msg, RCODE.FORMERR, hasEdns));
    const e = edns as { udpPayloadSize?: number; ednsVersion?: number } | null;
    if (e && (e.ednsVersion ?? 0) !== 0) return this.#count(errorResponse(msg, BADVERS, true));
    return this.#answer(msg, via, q, e ? { udpSize: e.udpPayloadSize ?? 512, version: 0 } : null);
  }

  #answer(
    msg: Buffer,
    via: 'udp' | 'tcp',
    q: QuestionInfo,
    edns: { udpSize: number; version: number } | null,
  ): Buffer | null | Promise<Buffer | null> {
    this.#byType.set(q.qtype, (this.#byType.get(q.qtype) ?? 0) + 1);
    if (edns !== null && edns.version !== 0) return this.#count(errorResponse(msg, BADVERS, true));
    const limit = via === 'tcp' ? 65535 : edns ? Math.max(512, edns.udpSize) : 512;
    const key = questionKey(msg, q);
    const hit = this.#cache.get(key);
    if (hit !== undefined) {
      this.#hits++;
      this.#byRcode[hit.rcode]!++;
      return this.#finish(hit.body, hit.ends, msg, q, edns !== null, limit);
    }
    this.#misses++;
    // Class IN or ANY only; the zone has nothing in CHAOS or HESIOD.
    const ans: ZoneAnswer =
      q.qclass === 1 || q.qclass === 255
        ? this.zone.lookup(questionName(msg), q.qtype)
        : {
            rcode: RCODE.REFUSED,
            aa: false,
            tc: false,
            answers: [],
            authorities: [],
            additionals: [],
            forward: true,
          };
    const question = msg.subarray(HEADER_LEN, q.end);

    if (ans.forward && this.#upstream) return this.#forward(msg, via, edns !== null);
    if (ans.chase && this.#upstream) return this.#chase(msg, via, q, ans, question, edns !== null, limit);

    const { body, ends } = encodeResponseRecords(
      question,
      flagsOf(ans),
      ans.answers,
      ans.authorities,
      ans.additionals,
    );
    if (this.#cache.size >= this.#cacheSize) this.#cache.delete(this.#cache.keys().next().value!);
    this.#cache.set(key, { body, ends, rcode: ans.rcode });
    this.#byRcode[ans.rcode]!++;
    return this.#finish(body, ends, msg, q, edns !== null, limit);
  }

  #finish(
    body: Buffer,
    ends: readonly number[],
    msg: Buffer,
    q: QuestionInfo,
    edns: boolean,
    limit: number,
  ): Buffer {
    const out = finishResponse(body, msg, q.end, edns, limit, ends);
    if (out.length !== body.length + (edns ? 11 : 0)) this.#truncated++;
    return out;
  }

  #count(resp: Buffer): Buffer {
    const rc =
      (resp[3]! & 0xf) | (resp.length > HEADER_LEN && resp.readUInt16BE(10) > 0 ? extRcode(resp) << 4 : 0);
    this.#byRcode[rc < 32 ? rc : 0]!++;
    return resp;
  }

  async #forward(msg: Buffer, via: 'udp' | 'tcp', edns: boolean): Promise<Buffer> {
    this.#forwarded++;
    const res = await this.#upstream!.exchange(msg, via).catch(() => null);
    if (res === null || res.length < HEADER_LEN) {
      this.#upstreamFailures++;
      return this.#count(errorResponse(msg, RCODE.SERVFAIL, edns));
    }
    this.#byRcode[res[3]! & 0xf]!++;
    return res;
  }

  // ExternalName outside the zone: CNAME, then what the upstream says about its target.
  async #chase(
    msg: Buffer,
    via: 'udp' | 'tcp',
    q: QuestionInfo,
    ans: ZoneAnswer,
    question: Buffer,
    edns: boolean,
    limit: number,
  ): Promise<Buffer> {
    const chase = ans.chase!;
    this.#forwarded++;
    const res = await this.#upstream!.query(chase.name, chase.qtype, via).catch(() => null);
    let final: ZoneAnswer;
    if (res === null) {
      this.#upstreamFailures++;
      final = chase.orElse;
    } else {
      final = {
        ...ans,
        tc: ans.tc || res.flag_tc === true,
        answers: [...ans.answers, ...(res.answers ?? []).filter((a) => a.type !== 'OPT')],
      };
    }
    const { body, ends } = encodeResponseRecords(
      question,
      flagsOf(final),
      final.answers,
      final.authorities,
      final.additionals,
    );
    this.#byRcode[final.rcode]!++;
    return this.#finish(body, ends, msg, q, edns, limit);
  }

  #onDatagram(sock: UdpSocket, msg: Buffer, port: number, address: string): void {
    this.#viaUdp++;
    const r = this.handle(msg, 'udp');
    if (r === null) return;
    if (!(r instanceof Promise)) {
      sock.send(r, port, address);
      return;
    }
    r.then(
      (b) => {
        if (b && this.#udp === sock) sock.send(b, port, address);
      },
      () => {},
    );
  }

  // RFC 7766: length-prefixed messages, several per connection, answered as they complete.
  #onConnection(sock: Socket): void {
    this.#conns.add(sock);
    sock.setNoDelay(true);
    sock.setTimeout(this.#idleMs, () => sock.destroy());
    let acc: Buffer = Buffer.alloc(0);
    let pending = 0;
    let ended = false;
    const maybeEnd = () => {
      if (ended && pending === 0 && !sock.destroyed) sock.end();
    };
    const write = (b: Buffer) => {
      if (sock.destroyed) return;
      // A client that sends queries but never reads the answers is not kept in memory.
      if (sock.writableLength > MAX_TCP_BACKLOG) {
        sock.destroy();
        return;
      }
      const len = Buffer.allocUnsafe(2);
      len.writeUInt16BE(b.length);
      sock.write(Buffer.concat([len, b]));
    };
    sock.on('data', (chunk: Buffer) => {
      acc = acc.length === 0 ? chunk : Buffer.concat([acc, chunk]);
      while (acc.length >= 2) {
        const n = acc.readUInt16BE(0);
        if (acc.length < 2 + n) break;
        const frame = acc.subarray(2, 2 + n);
        acc = acc.subarray(2 + n);
        this.#viaTcp++;
        if (n < HEADER_LEN) {
          // Not even a header: nothing to answer with; close rather than leave the client waiting.
          this.#dropped++;
          sock.destroy();
          return;
        }
        const r = this.handle(Buffer.from(frame), 'tcp');
        if (r === null) continue;
        if (!(r instanceof Promise)) {
          write(r);
          continue;
        }
        pending++;
        r.then(
          (b) => {
            if (b) write(b);
          },
          () => {},
        ).finally(() => {
          pending--;
          maybeEnd();
        });
      }
    });
    sock.on('end', () => {
      ended = true;
      maybeEnd();
    });
    sock.on('error', () => sock.destroy());
    sock.on('close', () => this.#conns.delete(sock));
  }
}

function flagsOf(a: ZoneAnswer): number {
  return 0x8000 | (a.aa ? 0x0400 : 0) | (a.tc ? 0x0200 : 0) | (a.rcode & 0xf);
}

function extRcode(resp: Buffer): number {
  // Our error responses put the OPT last; its TTL's first octet is the extended rcode.
  const o = resp.length - 11;
  return o >= HEADER_LEN && resp[o] === 0 && resp.readUInt16BE(o + 1) === OPT_TYPE ? resp[o + 5]! : 0;
}

const typeNames: Record<number, string> = {
  ...Object.fromEntries(Object.entries(QTYPE).map(([k, v]) => [v, k])),
  13: 'HINFO',
  35: 'NAPTR',
  41: 'OPT',
  43: 'DS',
  48: 'DNSKEY',
  64: 'SVCB',
  65: 'HTTPS',
  99: 'SPF',
  255: 'ANY',
  257: 'CAA',
};

/** The type's mnemonic, or RFC 3597's TYPE<n>. */
export function typeName(t: number): string {
  return typeNames[t] ?? `TYPE${t}`;
}
