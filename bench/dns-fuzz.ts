// `npm run fuzz`: random and mutated DNS packets at a real server over UDP and TCP (100k by default),
// with a well-formed probe after every batch that must be answered. Also exported for the 10k-packet
// test (test/dns/server-fuzz.test.ts). Deterministic: every packet comes from a seeded PRNG.
import { createSocket } from 'node:dgram';
import { connect, type Socket } from 'node:net';
import { pathToFileURL } from 'node:url';
import type { AnyObject } from '../api/index.js';
import { DnsServer, type HostPort, parseZoneConfig, Zone } from '../dns/index.js';
import { buildQuery } from '../dns/server/wire.js';
import { ObjectSource } from '../dns/zone/source.js';
import { seededRandom } from '../std/index.js';

const names = [
  'web.default.svc.cluster.local',
  '_http._tcp.web.default.svc.cluster.local',
  'db.default.svc.cluster.local',
  'db-0.db.default.svc.cluster.local',
  'nope.default.svc.cluster.local',
  'default.svc.cluster.local',
  'cluster.local',
  'dns-version.cluster.local',
  '20.0.96.10.in-addr.arpa',
  '10-244-1-5.default.pod.cluster.local',
  'ext.default.svc.cluster.local',
  'example.com',
];
const types = [1, 28, 33, 12, 16, 6, 2, 5, 15, 255, 252, 13, 65];

export function fuzzObjects(): AnyObject[] {
  return [
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', namespace: 'default' },
      spec: { clusterIPs: ['10.96.0.20', 'fd00::20'], ports: [{ name: 'http', protocol: 'TCP', port: 80 }] },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'db', namespace: 'default' },
      spec: { clusterIP: 'None' },
    },
    {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: 'db-1', namespace: 'default', labels: { 'kubernetes.io/service-name': 'db' } },
      addressType: 'IPv4',
      endpoints: [{ addresses: ['10.244.1.5'], hostname: 'db-0' }, { addresses: ['10.244.1.6'] }],
      ports: [{ name: 'pg', protocol: 'TCP', port: 5432 }],
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'ext', namespace: 'default' },
      spec: { type: 'ExternalName', externalName: 'web.default.svc.cluster.local' },
    },
  ];
}

/** One packet: a valid query, a mutated one, or random bytes. */
export function makePacket(rand: () => number): Buffer {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const kind = rand();
  if (kind < 0.15) {
    const b = Buffer.allocUnsafe(Math.floor(rand() * 600));
    for (let i = 0; i < b.length; i++) b[i] = Math.floor(rand() * 256);
    return b;
  }
  const q = buildQuery(pick(names), pick(types), {
    id: Math.floor(rand() * 65536),
    udpSize: rand() < 0.5 ? null : Math.floor(rand() * 4096),
  });
  if (kind < 0.25) return q;
  const b = Buffer.from(q);
  let out: Buffer = b;
  const mutations = 1 + Math.floor(rand() * 4);
  for (let m = 0; m < mutations; m++) {
    const op = rand();
    if (out.length === 0) break;
    const at = Math.floor(rand() * out.length);
    if (op < 0.3) out[at] = out[at]! ^ (1 << Math.floor(rand() * 8));
    else if (op < 0.5) out[at] = Math.floor(rand() * 256);
    else if (op < 0.6) out = out.subarray(0, at);
    else if (op < 0.7) {
      const extra = Buffer.allocUnsafe(1 + Math.floor(rand() * 40));
      for (let i = 0; i < extra.length; i++) extra[i] = Math.floor(rand() * 256);
      out = Buffer.concat([out, extra]);
    } else if (op < 0.8 && out.length >= 12) {
      out.writeUInt16BE(Math.floor(rand() * 65536), 4 + 2 * Math.floor(rand() * 4)); // a section count
    } else if (op < 0.9 && out.length > 14) {
      out[12 + Math.floor(rand() * (out.length - 13))] = 0xc0; // a compression pointer where none belongs
    } else {
      out = Buffer.concat([out.subarray(0, at), out.subarray(Math.floor(at / 2))]);
    }
  }
  return Buffer.from(out);
}

export interface FuzzResult {
  packets: number;
  /** Messages the in-process handler was given that it must answer (>= header, QR=0) but did not. */
  silent: number;
  /** Replies that did not echo the query's ID or lacked QR. */
  badReplies: number;
  udpReplies: number;
  tcpReplies: number;
  probes: number;
  probeFailures: number;
  errors: string[];
}

function probe(addr: HostPort, via: 'udp' | 'tcp', id: number): Promise<boolean> {
  const q = buildQuery('web.default.svc.cluster.local', 1, { id });
  return new Promise((resolve) => {
    if (via === 'udp') {
      const s = createSocket('udp4');
      const timer = setTimeout(() => {
        s.close();
        resolve(false);
      }, 2000);
      s.on('message', (m) => {
        if (m.readUInt16BE(0) !== id) return;
        clearTimeout(timer);
        s.close();
        resolve(m.readUInt16BE(6) === 1);
      });
      s.send(q, addr.port, addr.host);
      return;
    }
    const s = connect(addr.port, addr.host);
    const timer = setTimeout(() => {
      s.destroy();
      resolve(false);
    }, 2000);
    let acc = Buffer.alloc(0);
    s.on('connect', () => s.write(frame(q)));
    s.on('data', (c: Buffer) => {
      acc = Buffer.concat([acc, c]);
      if (acc.length >= 2 && acc.length >= 2 + acc.readUInt16BE(0)) {
        clearTimeout(timer);
        s.destroy();
        resolve(acc.readUInt16BE(2) === id && acc.readUInt16BE(8) === 1);
      }
    });
    s.on('error', () => {
      clearTimeout(timer);
      resolve(false);
    });
  });
}

function frame(b: Buffer): Buffer {
  const len = Buffer.allocUnsafe(2);
  len.writeUInt16BE(b.length & 0xffff);
  return Buffer.concat([len, b]);
}

/**
 * Runs `packets` packets (a third in-process through the handler, a third over UDP, a third over TCP
 * frames, some raw TCP garbage) with a probe over UDP and TCP every `batch` packets.
 */
export async function fuzzServer(opts: {
  packets: number;
  seed?: number;
  batch?: number;
}): Promise<FuzzResult> {
  const rand = seededRandom(opts.seed ?? 20261122);
  const batch = opts.batch ?? 1000;
  const zone = new Zone(new ObjectSource(fuzzObjects()), parseZoneConfig({ pods: 'insecure' }));
  const server = new DnsServer({ zone, listen: { host: '127.0.0.1', port: 0 }, idleTimeoutMs: 2000 });
  const addr = await server.listen();
  const r: FuzzResult = {
    packets: 0,
    silent: 0,
    badReplies: 0,
    udpReplies: 0,
    tcpReplies: 0,
    probes: 0,
    probeFailures: 0,
    errors: [],
  };
  const udp = createSocket('udp4');
  udp.on('message', (m) => {
    r.udpReplies++;
    if (m.length < 12 || (m[2]! & 0x80) === 0) r.badReplies++;
  });
  await new Promise<void>((res) => udp.bind(0, '127.0.0.1', res));
  let tcp: Socket | null = null;
  const tcpConn = (): Socket => {
    if (tcp && !tcp.destroyed) return tcp;
    const s = connect(addr.port, addr.host);
    let acc = Buffer.alloc(0);
    s.on('data', (c: Buffer) => {
      acc = Buffer.concat([acc, c]);
      while (acc.length >= 2 && acc.length >= 2 + acc.readUInt16BE(0)) {
        const msg = acc.subarray(2, 2 + acc.readUInt16BE(0));
        r.tcpReplies++;
        if (msg.length < 12 || (msg[2]! & 0x80) === 0) r.badReplies++;
        acc = acc.subarray(2 + msg.length);
      }
    });
    s.on('error', () => {});
    tcp = s;
    return s;
  };
  try {
    for (let i = 0; i < opts.packets; i++) {
      const p = makePacket(rand);
      r.packets++;
      const lane = i % 3;
      if (lane === 0) {
        const mustAnswer = p.length >= 12 && (p[2]! & 0x80) === 0;
        const out = await server.handle(p, rand() < 0.5 ? 'udp' : 'tcp');
        if (mustAnswer && out === null) r.silent++;
        if (out && (out.readUInt16BE(0) !== p.readUInt16BE(0) || (out[2]! & 0x80) === 0)) r.badReplies++;
      } else if (lane === 1) {
        udp.send(p, addr.port, addr.host);
      } else {
        // Mostly well-framed garbage; sometimes raw bytes that make the framing itself wrong.
        const s = tcpConn();
        s.write(rand() < 0.9 ? frame(p) : p);
      }
      // Let the server's sockets drain now and then: a client that floods faster than the kernel's
      // receive buffer makes the kernel drop datagrams, the probes included, which says nothing about
      // the server.
      if (i % 32 === 31) {
        await new Promise((res) => setImmediate(res));
        // A fresh connection now and then, so that one bad length prefix does not swallow the rest.
        if (i % 96 === 95) {
          (tcp as Socket | null)?.end();
          tcp = null;
        }
      }
      if ((i + 1) % batch === 0) {
        for (let last = -1; last !== server.stats().queries; ) {
          last = server.stats().queries;
          await new Promise((res) => setTimeout(res, 20));
        }
        for (const via of ['udp', 'tcp'] as const) {
          r.probes++;
          if (!(await probe(addr, via, (i + (via === 'udp' ? 1 : 2)) & 0xffff))) {
            r.probeFailures++;
            r.errors.push(`probe over ${via} after ${i + 1} packets got no answer`);
          }
        }
        (tcp as Socket | null)?.destroy();
        tcp = null;
      }
    }
    for (const via of ['udp', 'tcp'] as const) {
      r.probes++;
      if (!(await probe(addr, via, 4242))) {
        r.probeFailures++;
        r.errors.push(`final probe over ${via} got no answer`);
      }
    }
  } finally {
    (tcp as Socket | null)?.destroy();
    udp.close();
    await server.close();
    zone.close();
  }
  return r;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const n = Number(process.argv[2] ?? 100_000);
  const started = performance.now();
  const r = await fuzzServer({ packets: n });
  const secs = (performance.now() - started) / 1000;
  process.stdout.write(
    `dns fuzz: ${r.packets} packets in ${secs.toFixed(1)} s; silent ${r.silent}, bad replies ${r.badReplies}, ` +
      `udp replies ${r.udpReplies}, tcp replies ${r.tcpReplies}, probes ${r.probes - r.probeFailures}/${r.probes} answered\n`,
  );
  for (const e of r.errors) process.stdout.write(`  ${e}\n`);
  process.exit(r.silent === 0 && r.badReplies === 0 && r.probeFailures === 0 ? 0 : 1);
}
