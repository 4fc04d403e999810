// The wire side of the stub resolver: send a batch of questions to one nameserver over UDP (one
// connected socket, all questions at once, as glibc sends A and AAAA) or TCP (one connection, the
// questions pipelined, as glibc does after TC=1), and collect what comes back within a deadline.
// Policy (which names, when to retry, what an rcode means) lives in resolver.ts.
import dgram from 'node:dgram';
import net, { isIP } from 'node:net';
import dnsPacket from 'dns-packet';
import { InvalidNameserverError } from '../errors.js';
import { type HostPort, parseHostPort } from '../server/index.js';

export interface Nameserver {
  address: string;
  port: number;
}

/** `IP`, `IP:PORT`, `[IPv6]:PORT` or a bare IPv6 address; `where` names the flag or file in errors. */
export function parseNameserver(text: string, where: string, defaultPort = 53): Nameserver {
  let hp: HostPort;
  try {
    hp = parseHostPort(where, text.trim(), defaultPort);
  } catch {
    throw new InvalidNameserverError(where, text);
  }
  // Port 0 means "any free port" to a listener, nothing to ask for a client.
  if (hp.port === 0) throw new InvalidNameserverError(where, text);
  return { address: hp.host, port: hp.port };
}

export function formatNameserver(ns: Nameserver): string {
  const host = isIP(ns.address) === 6 ? `[${ns.address}]` : ns.address;
  return ns.port === 53 ? ns.address : `${host}:${ns.port}`;
}

export type QuestionType = 'A' | 'AAAA';

/** A connected UDP socket as the resolver uses one: datagrams out, replies and errors in. */
export interface ResolverUdpSocket {
  send(msg: Buffer): void;
  close(): void;
}

/**
 * How the resolver reaches a nameserver. Real sockets by default; a pod's resolver sends through its
 * pod's network instead (the cluster's data plane), so its queries cross the node's rules.
 */
export interface ResolverSockets {
  /** A UDP socket connected to `server`: replies go to `onMessage`, ECONNREFUSED to `onError`. */
  udp(
    server: Nameserver,
    onMessage: (msg: Buffer) => void,
    onError: (err: NodeJS.ErrnoException) => void,
  ): ResolverUdpSocket;
  /** A TCP connection to `server`, with net.Socket's events (connect, data, error, close). */
  tcp(server: Nameserver): net.Socket;
}

export interface OutgoingQuery {
  id: number;
  name: string;
  type: QuestionType;
}

export interface Reply {
  rcode: number;
  truncated: boolean;
  packet: dnsPacket.DecodedPacket;
  /** Milliseconds from send to receipt. */
  ms: number;
}

/** What one query of a batch got: a reply, nothing before the deadline, or a refused port. */
export type Outcome =
  | { kind: 'reply'; reply: Reply }
  | { kind: 'timeout'; ms: number }
  | { kind: 'refused'; ms: number };

export interface QueryWire {
  /** Add an EDNS0 OPT with this UDP payload size (glibc `options edns0` sends 1200). */
  ednsUdpSize?: number;
}

function encodeQuery(q: OutgoingQuery, wire: QueryWire): Buffer {
  const packet: dnsPacket.Packet = {
    type: 'query',
    id: q.id,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ type: q.type, name: q.name, class: 'IN' }],
  };
  if (wire.ednsUdpSize !== undefined) {
    packet.additionals = [{ type: 'OPT', name: '.', udpPayloadSize: wire.ednsUdpSize } as dnsPacket.Answer];
  }
  return dnsPacket.encode(packet);
}

/** res_queriesmatch: same id and the same question (names compared case-insensitively). */
function matches(q: OutgoingQuery, p: dnsPacket.DecodedPacket): boolean {
  if (p.id !== q.id || !p.flag_qr) return false;
  const question = p.questions?.[0];
  if (!question) return false;
  return question.type === q.type && stripDot(question.name).toLowerCase() === stripDot(q.name).toLowerCase();
}

function stripDot(name: string): string {
  return name.endsWith('.') ? name.slice(0, -1) : name;
}

function decode(
  buf: Buffer,
): { packet: dnsPacket.DecodedPacket; rcode: number; truncated: boolean } | undefined {
  if (buf.length < 12) return undefined;
  try {
    const packet = dnsPacket.decode(buf);
    // Read rcode and TC from the header bytes: @types/dns-packet does not declare `rcode`.
    return { packet, rcode: buf[3]! & 0x0f, truncated: (buf[2]! & 0x02) !== 0 };
  } catch {
    // A reply we cannot parse is ignored, as glibc and musl ignore malformed datagrams.
    return undefined;
  }
}

/**
 * Sends every query in one datagram each from one connected UDP socket and waits until all are
 * answered or `timeoutMs` passes. Outcomes come back in the order of `queries`.
 */
export function udpExchange(
  server: Nameserver,
  queries: readonly OutgoingQuery[],
  timeoutMs: number,
  wire: QueryWire = {},
  sockets?: ResolverSockets,
): Promise<Outcome[]> {
  if (sockets) return udpExchangeVia(sockets, server, queries, timeoutMs, wire);
  return new Promise((resolve) => {
    const socket = dgram.createSocket(isIP(server.address) === 6 ? 'udp6' : 'udp4');
    const outcomes: (Outcome | undefined)[] = queries.map(() => undefined);
    const start = performance.now();
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      socket.close();
      const ms = performance.now() - start;
      resolve(outcomes.map((o) => o ?? { kind: 'timeout', ms }));
    };
    const timer = setTimeout(finish, timeoutMs);
    socket.on('message', (msg) => {
      const d = decode(msg);
      if (!d) return;
      const i = queries.findIndex((q, k) => outcomes[k] === undefined && matches(q, d.packet));
      if (i < 0) return;
      outcomes[i] = { kind: 'reply', reply: { ...d, ms: performance.now() - start } };
      if (outcomes.every((o) => o !== undefined)) finish();
    });
    const onError = (err: NodeJS.ErrnoException) => {
      // ICMP port unreachable on a connected socket: nobody listens there. It surfaces on the
      // socket, or on the next send's callback when the questions go out back to back.
      if (err.code === 'ECONNREFUSED') {
        const ms = performance.now() - start;
        for (let k = 0; k < outcomes.length; k++) outcomes[k] ??= { kind: 'refused', ms };
      }
      finish();
    };
    socket.on('error', onError);
    socket.connect(server.port, server.address, () => {
      for (const q of queries) {
        socket.send(encodeQuery(q, wire), (err) => {
          if (err && !finished) onError(err);
        });
      }
    });
  });
}

/** udpExchange over a socket the caller provides (already connected: the questions go at once). */
function udpExchangeVia(
  sockets: ResolverSockets,
  server: Nameserver,
  queries: readonly OutgoingQuery[],
  timeoutMs: number,
  wire: QueryWire,
): Promise<Outcome[]> {
  return new Promise((resolve) => {
    const outcomes: (Outcome | undefined)[] = queries.map(() => undefined);
    const start = performance.now();
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      socket.close();
      const ms = performance.now() - start;
      resolve(outcomes.map((o) => o ?? { kind: 'timeout', ms }));
    };
    const timer = setTimeout(finish, timeoutMs);
    const socket = sockets.udp(
      server,
      (msg) => {
        const d = decode(msg);
        if (!d) return;
        const i = queries.findIndex((q, k) => outcomes[k] === undefined && matches(q, d.packet));
        if (i < 0) return;
        outcomes[i] = { kind: 'reply', reply: { ...d, ms: performance.now() - start } };
        if (outcomes.every((o) => o !== undefined)) finish();
      },
      (err) => {
        if (err.code === 'ECONNREFUSED') {
          const ms = performance.now() - start;
          for (let k = 0; k < outcomes.length; k++) outcomes[k] ??= { kind: 'refused', ms };
        }
        finish();
      },
    );
    for (const q of queries) if (!finished) socket.send(encodeQuery(q, wire));
  });
}

/**
 * Opens one TCP connection, writes every query length-prefixed (pipelined), and reads replies in
 * any order until all are answered, the server closes, or `timeoutMs` passes.
 */
export function tcpExchange(
  server: Nameserver,
  queries: readonly OutgoingQuery[],
  timeoutMs: number,
  wire: QueryWire = {},
  sockets?: ResolverSockets,
): Promise<Outcome[]> {
  return new Promise((resolve) => {
    const outcomes: (Outcome | undefined)[] = queries.map(() => undefined);
    const start = performance.now();
    let buffered = Buffer.alloc(0);
    let finished = false;
    let refused = false;
    const socket = sockets ? sockets.tcp(server) : net.connect({ host: server.address, port: server.port });
    const finish = () => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      socket.destroy();
      const ms = performance.now() - start;
      resolve(outcomes.map((o) => o ?? (refused ? { kind: 'refused', ms } : { kind: 'timeout', ms })));
    };
    const timer = setTimeout(finish, timeoutMs);
    socket.on('connect', () => {
      socket.write(Buffer.concat(queries.map((q) => framed(encodeQuery(q, wire)))));
    });
    socket.on('data', (chunk) => {
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      while (buffered.length >= 2) {
        const len = buffered.readUInt16BE(0);
        if (buffered.length < 2 + len) break;
        const d = decode(buffered.subarray(2, 2 + len));
        buffered = buffered.subarray(2 + len);
        if (!d) continue;
        const i = queries.findIndex((q, k) => outcomes[k] === undefined && matches(q, d.packet));
        if (i >= 0) outcomes[i] = { kind: 'reply', reply: { ...d, ms: performance.now() - start } };
      }
      if (outcomes.every((o) => o !== undefined)) finish();
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNREFUSED') refused = true;
      finish();
    });
    socket.on('close', finish);
  });
}

function framed(msg: Buffer): Buffer {
  const out = Buffer.allocUnsafe(2 + msg.length);
  out.writeUInt16BE(msg.length, 0);
  msg.copy(out, 2);
  return out;
}
