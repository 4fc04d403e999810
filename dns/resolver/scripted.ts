// A scripted nameserver: answers from a fixed list of records over UDP and TCP on loopback, so the
// resolver can be shown (and tested) against exact NXDOMAIN / NODATA / SERVFAIL / truncation
// without the cluster DNS server. Like knftables' fake: small, honest about what it is, and the
// same wire (dns-packet) as the real thing. UDP replies over 512 bytes (or the query's EDNS size)
// go out as TC=1 with the question only, which is what makes a client retry over TCP.
import dgram from 'node:dgram';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import dnsPacket from 'dns-packet';

export interface ScriptedRecord {
  name: string;
  type: 'A' | 'AAAA' | 'CNAME' | 'TXT' | 'PTR';
  data: string;
  ttl?: number;
}

export interface ScriptedZone {
  records: readonly ScriptedRecord[];
  /** Names that exist without records (empty non-terminals, a namespace): NODATA, not NXDOMAIN. */
  exists?: readonly string[];
  /** A forced rcode for a name (any type), e.g. `{ 'broken.example.': 2 }` for SERVFAIL. */
  rcodes?: Readonly<Record<string, number>>;
  /** Names that get no reply at all. */
  silent?: readonly string[];
}

export interface ReceivedQuery {
  transport: 'udp' | 'tcp';
  name: string;
  type: string;
}

export interface ScriptedDnsServer {
  address: string;
  port: number;
  /** Every question received, in arrival order. */
  received: ReceivedQuery[];
  close(): Promise<void>;
}

function key(name: string): string {
  return (name.endsWith('.') ? name.slice(0, -1) : name).toLowerCase();
}

/** Builds the reply to `query` from `zone` (pure; the sockets below only carry it). */
export function scriptedAnswer(
  zone: ScriptedZone,
  query: dnsPacket.DecodedPacket,
): dnsPacket.Packet | undefined {
  const q = query.questions?.[0];
  const base: dnsPacket.Packet = {
    type: 'response',
    id: query.id ?? 0,
    flags: dnsPacket.AUTHORITATIVE_ANSWER | (query.flag_rd ? dnsPacket.RECURSION_DESIRED : 0),
    questions: q ? [q] : [],
  };
  if (!q) return { ...base, flags: (base.flags ?? 0) | 1 };
  const name = key(q.name);
  if (zone.silent?.some((n) => key(n) === name)) return undefined;
  const forced = Object.entries(zone.rcodes ?? {}).find(([n]) => key(n) === name);
  if (forced) return { ...base, flags: (base.flags ?? 0) | forced[1] };
  const answers: dnsPacket.Answer[] = [];
  let owner = name;
  // Follow CNAMEs inside the script, as an authoritative server chases in-zone targets.
  for (let hops = 0; hops < 8; hops++) {
    const cname = zone.records.find((r) => key(r.name) === owner && r.type === 'CNAME');
    if (!cname || q.type === 'CNAME') break;
    answers.push(toAnswer(cname, hops === 0 ? q.name : cname.name));
    owner = key(cname.data);
  }
  for (const r of zone.records) {
    if (key(r.name) === owner && r.type === q.type)
      answers.push(toAnswer(r, owner === name ? q.name : r.name));
  }
  const exists =
    answers.length > 0 ||
    zone.records.some((r) => key(r.name) === name) ||
    (zone.exists ?? []).some((n) => key(n) === name);
  return { ...base, flags: (base.flags ?? 0) | (exists ? 0 : 3), answers };
}

function toAnswer(r: ScriptedRecord, owner: string): dnsPacket.Answer {
  const ttl = r.ttl ?? 5;
  if (r.type === 'TXT') return { type: 'TXT', name: owner, ttl, class: 'IN', data: r.data };
  return { type: r.type, name: owner, ttl, class: 'IN', data: r.data };
}

function udpLimit(query: dnsPacket.DecodedPacket): number {
  const opt = query.additionals?.find((a) => a.type === 'OPT') as { udpPayloadSize?: number } | undefined;
  return Math.max(512, opt?.udpPayloadSize ?? 512);
}

/** Starts the server on loopback, port 0 (any free port) unless told otherwise. */
export async function startScriptedDnsServer(
  zone: ScriptedZone,
  listen: { host?: string; port?: number } = {},
): Promise<ScriptedDnsServer> {
  const host = listen.host ?? '127.0.0.1';
  const received: ReceivedQuery[] = [];
  let udp = dgram.createSocket(net.isIP(host) === 6 ? 'udp6' : 'udp4');
  await new Promise<void>((resolve, reject) => {
    udp.once('error', reject);
    udp.bind(listen.port ?? 0, host, () => resolve());
  });
  let port = (udp.address() as AddressInfo).port;
  const onMessage = (msg: Buffer, rinfo: dgram.RemoteInfo) => {
    let query: dnsPacket.DecodedPacket;
    try {
      query = dnsPacket.decode(msg);
    } catch {
      return;
    }
    const q = query.questions?.[0];
    received.push({ transport: 'udp', name: q?.name ?? '', type: q?.type ?? '' });
    const answer = scriptedAnswer(zone, query);
    if (!answer) return;
    let out = dnsPacket.encode(answer);
    if (out.length > udpLimit(query)) {
      out = dnsPacket.encode({
        ...answer,
        flags: (answer.flags ?? 0) | dnsPacket.TRUNCATED_RESPONSE,
        answers: [],
      });
    }
    udp.send(out, rinfo.port, rinfo.address);
  };
  udp.on('message', onMessage);
  const sockets = new Set<net.Socket>();
  const tcp = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    let buffered = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
        const len = buffered.readUInt16BE(0);
        const msg = buffered.subarray(2, 2 + len);
        buffered = buffered.subarray(2 + len);
        let query: dnsPacket.DecodedPacket;
        try {
          query = dnsPacket.decode(msg);
        } catch {
          socket.destroy();
          return;
        }
        const q = query.questions?.[0];
        received.push({ transport: 'tcp', name: q?.name ?? '', type: q?.type ?? '' });
        const answer = scriptedAnswer(zone, query);
        if (answer) socket.write(dnsPacket.streamEncode(answer));
      }
    });
  });
  // Port 0: the kernel's free UDP port may be taken for TCP; then UDP moves to another free port.
  for (let attempt = 0; ; attempt++) {
    const err = await new Promise<NodeJS.ErrnoException | null>((resolve) => {
      tcp.once('error', resolve);
      tcp.listen(port, host, () => {
        tcp.off('error', resolve);
        resolve(null);
      });
    });
    if (err === null) break;
    if (listen.port !== undefined || err.code !== 'EADDRINUSE' || attempt >= 20) {
      udp.close();
      throw err;
    }
    await new Promise<void>((r) => udp.close(() => r()));
    udp = dgram.createSocket(net.isIP(host) === 6 ? 'udp6' : 'udp4');
    udp.on('message', onMessage);
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(0, host, () => resolve());
    });
    port = (udp.address() as AddressInfo).port;
  }
  return {
    address: host,
    port,
    received,
    close: async () => {
      for (const s of sockets) s.destroy();
      await Promise.all([
        new Promise<void>((r) => tcp.close(() => r())),
        new Promise<void>((r) => udp.close(() => r())),
      ]);
    },
  };
}
