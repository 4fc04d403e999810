// The wire server: UDP and TCP on one port, TCP framing and pipelining, idle timeout, EDNS, truncation,
// the response cache and its invalidation, bad input, upstream forwarding, counters.
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import dnsPacket from 'dns-packet';
import t, { type Test } from 'tap';
import type { AnyObject, EndpointSlice, Service } from '../../api/index.js';
import { DnsServer, type HostPort, parseZoneConfig, Zone } from '../../dns/index.js';
import { formatRR } from '../../dns/server/dig.js';
import type { DnsServerOptions } from '../../dns/server/server.js';
import { buildQuery } from '../../dns/server/wire.js';
import type { ZoneConfigInput } from '../../dns/zone/config.js';
import { ObjectSource } from '../../dns/zone/source.js';

function svc(ns: string, name: string, spec: Service['spec']): Service {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: ns }, spec };
}

function slice(ns: string, svcName: string, ips: string[]): EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: `${svcName}-abc`, namespace: ns, labels: { 'kubernetes.io/service-name': svcName } },
    addressType: 'IPv4',
    endpoints: ips.map((ip) => ({ addresses: [ip], conditions: { ready: true } })),
    ports: [{ name: 'http', protocol: 'TCP', port: 80 }],
  };
}

const many = Array.from({ length: 60 }, (_, i) => `10.244.0.${i + 1}`);
const objects: AnyObject[] = [
  svc('default', 'web', { clusterIPs: ['10.96.0.20'], ports: [{ name: 'http', protocol: 'TCP', port: 80 }] }),
  svc('default', 'big', { clusterIP: 'None' }),
  svc('default', 'ext', { type: 'ExternalName', externalName: 'example.com' }),
  slice('default', 'big', many),
];

async function start(
  t: Test,
  opts: Partial<DnsServerOptions> = {},
  source = new ObjectSource(objects),
  cfg: ZoneConfigInput = {},
) {
  const zone = new Zone(source, parseZoneConfig({ zones: ['cluster.local', 'in-addr.arpa'], ...cfg }));
  const server = new DnsServer({ zone, listen: { host: '127.0.0.1', port: 0 }, ...opts });
  const addr = await server.listen();
  t.teardown(async () => {
    await server.close();
    zone.close();
  });
  return { server, addr, source };
}

function udp(addr: HostPort, msg: Buffer, timeoutMs = 1000): Promise<Buffer | null> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    const timer = setTimeout(() => {
      s.close();
      resolve(null);
    }, timeoutMs);
    s.on('message', (m) => {
      clearTimeout(timer);
      s.close();
      resolve(m);
    });
    s.send(msg, addr.port, addr.host);
  });
}

function frame(msg: Buffer): Buffer {
  const len = Buffer.alloc(2);
  len.writeUInt16BE(msg.length);
  return Buffer.concat([len, msg]);
}

/** Writes `data` on one connection and collects `want` framed replies (or what came before close). */
function tcp(
  addr: HostPort,
  data: Buffer,
  want: number,
  opts: { end?: boolean } = {},
): Promise<{ replies: Buffer[]; closed: boolean }> {
  return new Promise((resolve) => {
    const s = connect(addr.port, addr.host);
    let acc = Buffer.alloc(0);
    const replies: Buffer[] = [];
    const timer = setTimeout(() => {
      s.destroy();
      resolve({ replies, closed: false });
    }, 3000);
    s.on('connect', () => {
      s.write(data);
      if (opts.end) s.end();
    });
    s.on('data', (c: Buffer) => {
      acc = Buffer.concat([acc, c]);
      while (acc.length >= 2 && acc.length >= 2 + acc.readUInt16BE(0)) {
        replies.push(acc.subarray(2, 2 + acc.readUInt16BE(0)));
        acc = acc.subarray(2 + acc.readUInt16BE(0));
      }
      if (replies.length >= want && !opts.end) {
        clearTimeout(timer);
        s.destroy();
        resolve({ replies, closed: false });
      }
    });
    s.on('close', () => {
      clearTimeout(timer);
      resolve({ replies, closed: true });
    });
    s.on('error', () => {});
  });
}

function decode(b: Buffer | null | undefined) {
  if (!b) throw new Error('no reply');
  return dnsPacket.decode(b);
}

t.test('UDP and TCP on the same port answer the same', async (t) => {
  const { addr } = await start(t);
  const q = buildQuery('web.default.svc.cluster.local', 1, { id: 7, udpSize: null });
  const viaUdp = decode(await udp(addr, q));
  const viaTcp = decode((await tcp(addr, frame(q), 1)).replies[0]);
  for (const r of [viaUdp, viaTcp]) {
    t.same((r.answers ?? []).map(formatRR), ['web.default.svc.cluster.local.\t5\tIN\tA\t10.96.0.20']);
    t.equal(r.id, 7);
    t.ok(r.flag_qr && r.flag_aa && r.flag_rd && !r.flag_ra);
  }
});

t.test('TCP: pipelined queries on one connection, split frames, half-close', async (t) => {
  const { addr } = await start(t);
  const names = [
    'web.default.svc.cluster.local',
    'nope.default.svc.cluster.local',
    'dns-version.cluster.local',
  ];
  const types = [1, 1, 16];
  const data = Buffer.concat(names.map((n, i) => frame(buildQuery(n, types[i]!, { id: 100 + i }))));
  // Three queries in one write, and the connection half-closed right after: all three answered, then closed.
  const r = await tcp(addr, data, 3, { end: true });
  t.equal(r.closed, true);
  t.same(
    r.replies.map((b) => {
      const d = decode(b) as ReturnType<typeof decode> & { rcode: string };
      return `${d.id} ${d.rcode} ${d.answers?.length}`;
    }),
    ['100 NOERROR 1', '101 NXDOMAIN 0', '102 NOERROR 1'],
  );
  // One query split across writes, a byte at a time for the length prefix.
  const one = frame(buildQuery('web.default.svc.cluster.local', 1, { id: 9 }));
  const got = await new Promise<Buffer>((resolve) => {
    const s = connect(addr.port, addr.host, async () => {
      s.write(one.subarray(0, 1));
      await new Promise((r) => setTimeout(r, 20));
      s.write(one.subarray(1, 10));
      await new Promise((r) => setTimeout(r, 20));
      s.write(one.subarray(10));
    });
    s.on('data', (b: Buffer) => {
      s.destroy();
      resolve(b.subarray(2));
    });
  });
  t.equal(decode(got).id, 9);
});

t.test('TCP: an idle connection is closed after the idle timeout', async (t) => {
  const { addr } = await start(t, { idleTimeoutMs: 100 });
  const r = await tcp(addr, Buffer.alloc(0), 1);
  t.same(r, { replies: [], closed: true });
});

t.test('EDNS: OPT echoed with our UDP size; TC=1 when the answer exceeds the client size', async (t) => {
  const { addr, server } = await start(t);
  // Header 12 + question 35 = 47 octets, then 16 per A record (owner compressed to a pointer): 60
  // records are 1007 octets, more than 512, less than 1232. Truncated as CoreDNS does (Scrub ->
  // miekg/dns Truncate): the records that fit in the client's size less our OPT's 11, TC=1.
  const cases: { udpSize: number | null; tc: boolean; answers: number; opt: number | null }[] = [
    { udpSize: null, tc: true, answers: 29, opt: null }, // 47 + 29 * 16 = 511 <= 512
    { udpSize: 100, tc: true, answers: 28, opt: 1232 }, // under 512 counts as 512 (RFC 6891)
    { udpSize: 512, tc: true, answers: 28, opt: 1232 }, // 47 + 28 * 16 = 495 <= 501
    { udpSize: 700, tc: true, answers: 40, opt: 1232 }, // 47 + 40 * 16 = 687 <= 689
    { udpSize: 1018, tc: false, answers: 60, opt: 1232 }, // 1007 + 11: exactly fits
    { udpSize: 1017, tc: true, answers: 59, opt: 1232 },
    { udpSize: 1232, tc: false, answers: 60, opt: 1232 },
    { udpSize: 4096, tc: false, answers: 60, opt: 1232 },
  ];
  for (const c of cases) {
    const res = decode(
      await udp(addr, buildQuery('big.default.svc.cluster.local', 1, { id: 1, udpSize: c.udpSize })),
    );
    const opt = (res.additionals ?? []).find((a) => a.type === 'OPT') as
      | { udpPayloadSize?: number }
      | undefined;
    t.same(
      {
        tc: res.flag_tc,
        answers: res.answers?.length,
        opt: opt?.udpPayloadSize ?? null,
        q: res.questions?.length,
      },
      { tc: c.tc, answers: c.answers, opt: c.opt, q: 1 },
      `client size ${c.udpSize}`,
    );
  }
  // Over TCP the whole answer comes back.
  const overTcp = decode(
    (await tcp(addr, frame(buildQuery('big.default.svc.cluster.local', 1, { id: 2, udpSize: null })), 1))
      .replies[0],
  );
  t.same([overTcp.flag_tc, overTcp.answers?.length], [false, 60]);
  t.equal(server.stats().truncated, 5);
});

// A headless SRV answer has records in two sections: the answers go first, then the additional
// addresses, each while it fits; TC=1 when any record of either is left out (miekg/dns Truncate).
t.test('UDP truncation across sections: SRV answers, then their addresses', async (t) => {
  const { addr } = await start(t);
  // Header and question: 58 octets. An SRV record's target is never compressed (RFC 2782), so one to
  // 10-244-0-N.big.default.svc.cluster.local. is 60 octets for N < 10, else 61: all 60 are 3709 with
  // the header. Each A in additional is 16 (its owner points into an SRV target).
  const cases: { udpSize: number | null; tc: boolean; answers: number; extra: number }[] = [
    { udpSize: null, tc: true, answers: 7, extra: 0 }, // 58 + 7 * 60 = 478; an 8th: 538 > 512
    { udpSize: 2048, tc: true, answers: 32, extra: 0 }, // 58 + 9 * 60 + 23 * 61 = 2001 <= 2037
    { udpSize: 4096, tc: true, answers: 60, extra: 23 }, // 3709 + 23 * 16 = 4077 <= 4085
    { udpSize: 4680, tc: false, answers: 60, extra: 60 }, // 3709 + 60 * 16 + 11 = 4680
  ];
  for (const c of cases) {
    const res = decode(
      await udp(
        addr,
        buildQuery('_http._tcp.big.default.svc.cluster.local', 33, { id: 3, udpSize: c.udpSize }),
      ),
    );
    t.same(
      {
        tc: res.flag_tc,
        answers: res.answers?.length,
        extra: (res.additionals ?? []).filter((a) => a.type !== 'OPT').length,
      },
      { tc: c.tc, answers: c.answers, extra: c.extra },
      `client size ${c.udpSize}`,
    );
  }
});

t.test('cache: a hot name costs one lookup; a zone change drops the cache', async (t) => {
  const source = new ObjectSource(objects);
  const { addr, server } = await start(t, {}, source);
  const q = (id: number) => buildQuery('Web.default.svc.cluster.local', 1, { id });
  for (let i = 0; i < 5; i++) await udp(addr, q(i));
  t.same([server.stats().cacheMisses, server.stats().cacheHits], [1, 4]);
  t.equal(server.stats().cacheHitRatio, 0.8);
  // The cached answer keeps the case of the question it was built for; the key is the exact question.
  t.equal(decode(await udp(addr, q(9))).answers?.[0]?.name, 'Web.default.svc.cluster.local');
  source.apply(
    svc('default', 'web', {
      clusterIPs: ['10.96.0.99'],
      ports: [{ name: 'http', protocol: 'TCP', port: 80 }],
    }),
  );
  t.same((decode(await udp(addr, q(10))).answers ?? []).map(formatRR), [
    'Web.default.svc.cluster.local.\t5\tIN\tA\t10.96.0.99',
  ]);
  t.equal(server.stats().cacheMisses, 2);
});

t.test('bad input never crashes nor goes silent', async (t) => {
  const { addr, server } = await start(t);
  const q = buildQuery('web.default.svc.cluster.local', 1, { id: 0x1234, udpSize: null });
  const withOpcode = Buffer.from(q);
  withOpcode[2] = (withOpcode[2]! & 0x87) | (2 << 3); // opcode 2 (STATUS)
  const twoQuestions = Buffer.from(q);
  twoQuestions.writeUInt16BE(2, 4);
  const pointerLoop = Buffer.concat([q.subarray(0, 12), Buffer.from([0xc0, 0x0c, 0, 1, 0, 1])]);
  const ednsV1 = buildQuery('web.default.svc.cluster.local', 1, { id: 0x1234 });
  ednsV1[ednsV1.length - 5] = 1; // OPT version 1
  const cases: { name: string; msg: Buffer; want: string | null }[] = [
    { name: 'header only, no question', msg: q.subarray(0, 12), want: 'FORMERR' },
    { name: 'truncated question', msg: q.subarray(0, 20), want: 'FORMERR' },
    { name: 'compression pointer loop in the question', msg: pointerLoop, want: 'FORMERR' },
    { name: 'two questions', msg: twoQuestions, want: 'FORMERR' },
    { name: 'opcode STATUS', msg: withOpcode, want: 'NOTIMP' },
    { name: 'EDNS version 1', msg: ednsV1, want: 'BADVERS' },
    { name: 'AXFR', msg: buildQuery('cluster.local', 252, { id: 0x1234 }), want: 'REFUSED' },
    { name: 'IXFR', msg: buildQuery('cluster.local', 251, { id: 0x1234 }), want: 'REFUSED' },
    {
      name: 'outside the zone, no upstream',
      msg: buildQuery('example.com', 1, { id: 0x1234 }),
      want: 'REFUSED',
    },
    { name: 'class CHAOS', msg: buildQuery('version.bind', 16, { id: 0x1234, qclass: 3 }), want: 'REFUSED' },
    { name: 'shorter than a header: dropped', msg: Buffer.from([1, 2, 3]), want: null },
  ];
  for (const c of cases) {
    const r = await udp(addr, c.msg, 300);
    if (c.want === null) {
      t.equal(r, null, c.name);
      continue;
    }
    const h = r ? { id: r.readUInt16BE(0), qr: (r[2]! & 0x80) !== 0, rcode: r[3]! & 0xf } : null;
    const d = r ? (dnsPacket.decode(r) as ReturnType<typeof decode> & { rcode: string }) : null;
    const ext = (d?.additionals ?? []).find((a) => a.type === 'OPT') as
      | { extendedRcode?: number }
      | undefined;
    const rcode = c.want === 'BADVERS' ? (ext?.extendedRcode ?? 0) * 16 + (h?.rcode ?? 0) : d?.rcode;
    t.same(
      { id: h?.id, qr: h?.qr, rcode },
      { id: 0x1234, qr: true, rcode: c.want === 'BADVERS' ? 16 : c.want },
      c.name,
    );
  }
  // Still serving.
  t.equal(decode(await udp(addr, q)).answers?.length, 1);
  t.same(server.stats().byRcode, { NOERROR: 1, FORMERR: 4, NOTIMP: 1, REFUSED: 4, BADVERS: 1 });
  t.equal(server.stats().dropped, 1);
});

t.test('SERVFAIL before the first sync, answers after', async (t) => {
  const source = new ObjectSource(objects, { synced: false });
  const { addr } = await start(t, {}, source);
  const rcode = async (name: string) =>
    (decode(await udp(addr, buildQuery(name, 1, { id: 1 }))) as ReturnType<typeof decode> & { rcode: string })
      .rcode;
  // Names that would be NXDOMAIN are SERVFAIL until synced; names already known answer.
  t.same(
    [await rcode('nope.default.svc.cluster.local'), await rcode('web.default.svc.cluster.local')],
    ['SERVFAIL', 'NOERROR'],
  );
  source.markSynced();
  t.equal(await rcode('nope.default.svc.cluster.local'), 'NXDOMAIN');
});

t.test('upstream: names outside the zone are forwarded; SERVFAIL when it does not answer', async (t) => {
  // An upstream that answers example.com A 192.0.2.1, and one that never answers.
  const up = createSocket('udp4');
  up.on('message', (m, rinfo) => {
    const d = dnsPacket.decode(m);
    const r = dnsPacket.encode({
      type: 'response',
      id: d.id,
      flags: dnsPacket.RECURSION_AVAILABLE,
      questions: d.questions,
      answers: [{ name: 'example.com', type: 'A', ttl: 300, data: '192.0.2.1' }],
    });
    up.send(r, rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => up.bind(0, '127.0.0.1', r));
  const silent = createSocket('udp4');
  await new Promise<void>((r) => silent.bind(0, '127.0.0.1', r));
  t.teardown(() => {
    up.close();
    silent.close();
  });
  const upstream = { host: '127.0.0.1', port: up.address().port };
  const good = await start(t, { upstream }, undefined, { fallthrough: ['in-addr.arpa'] });
  const res = decode(await udp(good.addr, buildQuery('example.com', 1, { id: 5 })));
  t.same((res.answers ?? []).map(formatRR), ['example.com.\t300\tIN\tA\t192.0.2.1']);
  t.equal(res.id, 5);
  // An ExternalName outside the zone: the CNAME, then the upstream's answer for its target.
  const ext = decode(await udp(good.addr, buildQuery('ext.default.svc.cluster.local', 1, { id: 8 })));
  t.same((ext.answers ?? []).map(formatRR), [
    'ext.default.svc.cluster.local.\t5\tIN\tCNAME\texample.com.',
    'example.com.\t300\tIN\tA\t192.0.2.1',
  ]);
  // fallthrough: an unknown reverse name goes to the upstream instead of NXDOMAIN.
  const ptr = decode(await udp(good.addr, buildQuery('9.9.9.10.in-addr.arpa', 12, { id: 9 }))) as ReturnType<
    typeof decode
  > & { rcode: string };
  t.same([ptr.rcode, ptr.answers?.length], ['NOERROR', 1]);
  t.same(good.server.stats().forwarded, 3);
  // Without an upstream the ExternalName answer is the CNAME alone.
  const alone = await start(t);
  const cname = decode(await udp(alone.addr, buildQuery('ext.default.svc.cluster.local', 1, { id: 10 })));
  t.same((cname.answers ?? []).map(formatRR), ['ext.default.svc.cluster.local.\t5\tIN\tCNAME\texample.com.']);
  const bad = await start(t, {
    upstream: { host: '127.0.0.1', port: silent.address().port },
    upstreamTimeoutMs: 200,
  });
  const failed = decode(await udp(bad.addr, buildQuery('example.com', 1, { id: 6 }))) as ReturnType<
    typeof decode
  > & {
    rcode: string;
  };
  t.same([failed.id, failed.rcode], [6, 'SERVFAIL']);
  t.same([bad.server.stats().forwarded, bad.server.stats().upstreamFailures], [1, 1]);
});

t.test('counters by rcode and type, and the cache hit ratio', async (t) => {
  const { addr, server } = await start(t);
  const asks: [string, number][] = [
    ['web.default.svc.cluster.local', 1],
    ['web.default.svc.cluster.local', 28],
    ['_http._tcp.web.default.svc.cluster.local', 33],
    ['nope.default.svc.cluster.local', 1],
    ['20.0.96.10.in-addr.arpa', 12],
    // Asked again: served from the cache.
    ['web.default.svc.cluster.local', 1],
    ['nope.default.svc.cluster.local', 1],
  ];
  for (const [n, ty] of asks) await udp(addr, buildQuery(n, ty, { id: 1 }));
  const s = server.stats();
  t.same(
    {
      byRcode: s.byRcode,
      byType: s.byType,
      queries: s.queries,
      udp: s.udp,
      hits: s.cacheHits,
      misses: s.cacheMisses,
      ratio: s.cacheHitRatio.toFixed(3),
    },
    {
      byRcode: { NOERROR: 5, NXDOMAIN: 2 },
      byType: { A: 4, PTR: 1, AAAA: 1, SRV: 1 },
      queries: 7,
      udp: 7,
      hits: 2,
      misses: 5,
      ratio: '0.286',
    },
  );
});
