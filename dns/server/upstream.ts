// The upstream resolver: where names outside the zone (and ExternalName targets) go when `--upstream`
// is set, like CoreDNS's `forward`. One socket per question keeps it simple and correct; this is not
// the hot path. A timeout or a socket error is a failure the caller answers with SERVFAIL.
import { createSocket } from 'node:dgram';
import { connect, isIP, isIPv6 } from 'node:net';
import dnsPacket, { type DecodedPacket } from 'dns-packet';
import { joinHostPort } from '../../std/index.js';
import { DnsAddressError } from '../errors.js';

export interface HostPort {
  host: string;
  port: number;
}

/** Parses `IP:PORT`, `[IPv6]:PORT`, or a bare IP with `defaultPort`. */
export function parseHostPort(option: string, value: string, defaultPort?: number): HostPort {
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(value) ?? /^([^:]+)(?::(\d+))?$/.exec(value);
  let host: string | undefined;
  let port: string | undefined;
  if (m) {
    host = m[1];
    port = m[2];
  } else if (isIPv6(value)) {
    host = value;
  }
  const n = port === undefined ? defaultPort : Number(port);
  if (!host || isIP(host) === 0 || n === undefined || !Number.isInteger(n) || n < 0 || n > 65535) {
    throw new DnsAddressError(option, value);
  }
  return { host, port: n };
}

export function formatHostPort(a: HostPort): string {
  return joinHostPort(a.host, a.port);
}

export class Upstream {
  readonly address: HostPort;
  readonly timeoutMs: number;
  #nextId = 0x2a00;

  constructor(address: HostPort, timeoutMs = 2000) {
    this.address = address;
    this.timeoutMs = timeoutMs;
  }

  /** Sends a query as it is and returns the upstream's response bytes, or null on timeout/error. */
  async exchange(query: Buffer, via: 'udp' | 'tcp'): Promise<Buffer | null> {
    const r = await this.attempt(query, via);
    return 'reply' in r ? r.reply : null;
  }

  /**
   * The same, saying why nothing came back: `timed out`, or the socket error in dig's words
   * (`connection refused` for ECONNREFUSED: a TCP RST, or the ICMP port unreachable a connected UDP
   * socket is told of).
   */
  attempt(query: Buffer, via: 'udp' | 'tcp'): Promise<ExchangeOutcome> {
    return via === 'udp' ? this.#udp(query) : this.#tcp(query);
  }

  /** Asks (name, qtype) and returns the decoded response, or null. */
  async query(name: string, qtype: number, via: 'udp' | 'tcp'): Promise<DecodedPacket | null> {
    this.#nextId = (this.#nextId + 1) & 0xffff;
    const id = this.#nextId;
    const q = dnsPacket.encode({
      type: 'query',
      id,
      flags: dnsPacket.RECURSION_DESIRED,
      questions: [{ name, type: typeName(qtype), class: 'IN' }],
    });
    const res = await this.exchange(q, via);
    if (res === null) return null;
    try {
      const d = dnsPacket.decode(res);
      return d.id === id ? d : null;
    } catch {
      return null;
    }
  }

  #udp(query: Buffer): Promise<ExchangeOutcome> {
    return new Promise((resolve) => {
      const sock = createSocket(isIPv6(this.address.host) ? 'udp6' : 'udp4');
      const id = query.length >= 2 ? query.readUInt16BE(0) : -1;
      let settled = false;
      const done = (r: ExchangeOutcome) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        sock.close();
        resolve(r);
      };
      const timer = setTimeout(() => done({ error: 'timed out' }), this.timeoutMs);
      sock.on('error', (e) => done({ error: socketError(e) }));
      sock.on('message', (msg) => {
        if (msg.length < 2 || msg.readUInt16BE(0) !== id) return;
        done({ reply: msg });
      });
      // Connected, so the kernel reports an ICMP port unreachable as ECONNREFUSED, as dig sees it.
      sock.connect(this.address.port, this.address.host, () => {
        sock.send(query, (err) => {
          if (err) done({ error: socketError(err) });
        });
      });
    });
  }

  #tcp(query: Buffer): Promise<ExchangeOutcome> {
    return new Promise((resolve) => {
      const sock = connect({ host: this.address.host, port: this.address.port });
      let acc = Buffer.alloc(0);
      let settled = false;
      const done = (r: ExchangeOutcome) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        sock.destroy();
        resolve(r);
      };
      const timer = setTimeout(() => done({ error: 'timed out' }), this.timeoutMs);
      sock.on('error', (e) => done({ error: socketError(e) }));
      sock.on('close', () => done({ error: 'end of file' }));
      sock.on('connect', () => {
        const len = Buffer.alloc(2);
        len.writeUInt16BE(query.length);
        sock.write(Buffer.concat([len, query]));
      });
      sock.on('data', (chunk: Buffer) => {
        acc = Buffer.concat([acc, chunk]);
        if (acc.length >= 2 && acc.length >= 2 + acc.readUInt16BE(0))
          done({ reply: acc.subarray(2, 2 + acc.readUInt16BE(0)) });
      });
    });
  }
}

/** A reply, or why there is none in dig's words. */
export type ExchangeOutcome = { reply: Buffer } | { error: string };

// isc_result_totext of the results dig reports for socket errors.
const socketErrors: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  EADDRNOTAVAIL: 'address not available',
};

function socketError(e: Error): string {
  const code = (e as NodeJS.ErrnoException).code ?? '';
  return socketErrors[code] ?? e.message;
}

function typeName(qtype: number): 'A' {
  // dns-packet names types by string; A and AAAA are all the chase asks for.
  return (qtype === 28 ? 'AAAA' : 'A') as 'A';
}
