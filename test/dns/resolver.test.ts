import dgram from 'node:dgram';
import t from 'tap';
import { formatOutcome, type Libc, parseResolvConf, resolve } from '../../dns/index.js';
import { traceLines } from '../../dns/resolver/render.js';
import type { ResolveResult } from '../../dns/resolver/resolver.js';
import {
  type ScriptedDnsServer,
  type ScriptedZone,
  startScriptedDnsServer,
} from '../../dns/resolver/scripted.js';
import { acceptanceTraces, type TraceCase } from './resolver-traces.js';

// What a cluster DNS server answers for a pod in namespace "default" (CoreDNS rules, reference
// §1.4): Service web has a ClusterIP (A, and NODATA for AAAA); namespaces and svc/cluster apex are
// empty non-terminals (NODATA); every other cluster name is NXDOMAIN; api.example.com is what the
// upstream answers; single-label names forwarded upstream are NXDOMAIN.
const bigAddresses = Array.from({ length: 60 }, (_, i) => `10.244.1.${i + 10}`);
const zone: ScriptedZone = {
  records: [
    { name: 'web.default.svc.cluster.local', type: 'A', data: '10.96.0.20' },
    { name: 'api.example.com', type: 'A', data: '192.0.2.10', ttl: 300 },
    { name: 'api.example.com', type: 'AAAA', data: '2001:db8::10', ttl: 300 },
    // An ExternalName whose target has no address.
    { name: 'nowhere.default.svc.cluster.local', type: 'CNAME', data: 'nowhere.example.com' },
    ...bigAddresses.map((ip) => ({ name: 'big.default.svc.cluster.local', type: 'A' as const, data: ip })),
    // 20 records: over 512 bytes, under glibc's EDNS size of 1200.
    ...bigAddresses
      .slice(0, 20)
      .map((ip) => ({ name: 'mid.default.svc.cluster.local', type: 'A' as const, data: ip })),
  ],
  exists: ['cluster.local', 'svc.cluster.local', 'default.svc.cluster.local'],
  rcodes: { 'broken.default.svc.cluster.local': 2, 'refused.default.svc.cluster.local': 5 },
  silent: ['slow.default.svc.cluster.local'],
};

let server: ScriptedDnsServer;
t.before(async () => {
  server = await startScriptedDnsServer(zone);
});
t.teardown(() => server.close());

function conf(ndots: number, extra = '') {
  return parseResolvConf(
    `search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 127.0.0.1:${server.port}\noptions ndots:${ndots} timeout:1 attempts:2${extra}\n`,
  );
}

const web1 = `web.default.svc.cluster.local. A udp NOERROR 1
web.default.svc.cluster.local. AAAA udp NOERROR 0`;

// The acceptance table (resolver-traces.ts), then what only a scripted server can make happen.
const traceCases: TraceCase[] = [...acceptanceTraces];
traceCases.push(
  // NODATA on a search name: glibc remembers it and walks on; musl stops there.
  {
    name: 'default',
    ndots: 5,
    libc: 'glibc',
    trace: `default.default.svc.cluster.local. A udp NXDOMAIN 0
default.default.svc.cluster.local. AAAA udp NXDOMAIN 0
default.svc.cluster.local. A udp NOERROR 0
default.svc.cluster.local. AAAA udp NOERROR 0
default.cluster.local. A udp NXDOMAIN 0
default.cluster.local. AAAA udp NXDOMAIN 0
default. A udp NXDOMAIN 0
default. AAAA udp NXDOMAIN 0`,
    outcome:
      ';; default: NODATA (glibc: 8 queries, 4 names tried): getaddrinfo: No address associated with hostname (EAI_NODATA)',
  },
  {
    name: 'default',
    ndots: 5,
    libc: 'musl',
    trace: `default.default.svc.cluster.local. A udp NXDOMAIN 0
default.default.svc.cluster.local. AAAA udp NXDOMAIN 0
default.svc.cluster.local. A udp NOERROR 0
default.svc.cluster.local. AAAA udp NOERROR 0`,
    outcome:
      ';; default: NODATA (musl: 4 queries, 2 names tried): getaddrinfo: Name does not resolve (EAI_NONAME)',
  },
  // SERVFAIL: glibc asks again (attempts:2), then walks on and reports SERVFAIL at the end; musl
  // re-sends at once (2 x questions per retry interval), then ignores SERVFAIL until its timeout
  // (two retry intervals of timeout/attempts): EAI_AGAIN.
  {
    name: 'broken',
    ndots: 5,
    libc: 'glibc',
    trace: `broken.default.svc.cluster.local. A udp SERVFAIL 0 retried
broken.default.svc.cluster.local. AAAA udp SERVFAIL 0 retried
broken.default.svc.cluster.local. A udp SERVFAIL 0
broken.default.svc.cluster.local. AAAA udp SERVFAIL 0
broken.svc.cluster.local. A udp NXDOMAIN 0
broken.svc.cluster.local. AAAA udp NXDOMAIN 0
broken.cluster.local. A udp NXDOMAIN 0
broken.cluster.local. AAAA udp NXDOMAIN 0
broken. A udp NXDOMAIN 0
broken. AAAA udp NXDOMAIN 0`,
    outcome:
      ';; broken: SERVFAIL (glibc: 10 queries, 4 names tried): getaddrinfo: Temporary failure in name resolution (EAI_AGAIN)',
  },
  {
    name: 'broken',
    ndots: 5,
    libc: 'musl',
    trace: `broken.default.svc.cluster.local. A udp SERVFAIL 0 retried
broken.default.svc.cluster.local. AAAA udp SERVFAIL 0 retried
broken.default.svc.cluster.local. A udp SERVFAIL 0 retried
broken.default.svc.cluster.local. AAAA udp SERVFAIL 0 retried
broken.default.svc.cluster.local. A udp SERVFAIL 0 ignored
broken.default.svc.cluster.local. AAAA udp SERVFAIL 0 ignored
broken.default.svc.cluster.local. A udp SERVFAIL 0 retried
broken.default.svc.cluster.local. AAAA udp SERVFAIL 0 retried
broken.default.svc.cluster.local. A udp SERVFAIL 0 retried
broken.default.svc.cluster.local. AAAA udp SERVFAIL 0 retried
broken.default.svc.cluster.local. A udp SERVFAIL 0 ignored
broken.default.svc.cluster.local. AAAA udp SERVFAIL 0 ignored`,
    outcome: ';; broken: TIMEOUT (musl: 12 queries, 1 name tried): getaddrinfo: Try again (EAI_AGAIN)',
  },
  // A CNAME without an address stops both: glibc takes any answer as the end of the walk.
  {
    name: 'nowhere',
    ndots: 5,
    libc: 'glibc',
    trace: `nowhere.default.svc.cluster.local. A udp NOERROR 1
nowhere.default.svc.cluster.local. AAAA udp NOERROR 1`,
    outcome: `;; nowhere: NODATA (glibc: 2 queries, 1 name tried): getaddrinfo: Name or service not known (EAI_NONAME)
nowhere.default.svc.cluster.local. 5 IN CNAME nowhere.example.com.`,
  },
  {
    name: 'nowhere',
    ndots: 5,
    libc: 'musl',
    trace: `nowhere.default.svc.cluster.local. A udp NOERROR 1
nowhere.default.svc.cluster.local. AAAA udp NOERROR 1`,
    outcome:
      ';; nowhere: NODATA (musl: 2 queries, 1 name tried): getaddrinfo: Name does not resolve (EAI_NONAME)',
  },
  // REFUSED ends glibc's search list, but the as-is name is still tried last.
  {
    name: 'refused',
    ndots: 5,
    libc: 'glibc',
    trace: `refused.default.svc.cluster.local. A udp REFUSED 0 retried
refused.default.svc.cluster.local. AAAA udp REFUSED 0 retried
refused.default.svc.cluster.local. A udp REFUSED 0
refused.default.svc.cluster.local. AAAA udp REFUSED 0
refused. A udp NXDOMAIN 0
refused. AAAA udp NXDOMAIN 0`,
    outcome:
      ';; refused: NXDOMAIN (glibc: 6 queries, 2 names tried): getaddrinfo: Name or service not known (EAI_NONAME)',
  },
  // No reply: glibc waits `timeout` per try (attempts:2), ends the search list, tries the as-is name.
  {
    name: 'slow',
    ndots: 5,
    libc: 'glibc',
    trace: `slow.default.svc.cluster.local. A udp TIMEOUT 0
slow.default.svc.cluster.local. AAAA udp TIMEOUT 0
slow.default.svc.cluster.local. A udp TIMEOUT 0
slow.default.svc.cluster.local. AAAA udp TIMEOUT 0
slow. A udp NXDOMAIN 0
slow. AAAA udp NXDOMAIN 0`,
    outcome:
      ';; slow: NXDOMAIN (glibc: 6 queries, 2 names tried): getaddrinfo: Name or service not known (EAI_NONAME)',
  },
);

t.test(
  'resolver traces (search list default.svc.cluster.local svc.cluster.local cluster.local)',
  async (t) => {
    for (const c of traceCases) {
      // timeout:1 (from conf) keeps the SERVFAIL/timeout cases short yet far above a loopback
      // round trip on a loaded machine: musl's retry interval is then 0.5 s.
      const r: ResolveResult = await resolve(c.name, conf(c.ndots), { libc: c.libc });
      const label = `${c.libc} ndots:${c.ndots} ${c.name}`;
      t.equal(traceLines(r.trace).join('\n'), c.trace, `${label}: trace`);
      t.equal(formatOutcome(r), c.outcome, `${label}: outcome`);
    }
  },
);

t.test('nothing listens: ICMP port unreachable', async (t) => {
  // A port nobody listens on: bind one, note it, close it.
  const probe = dgram.createSocket('udp4');
  await new Promise<void>((r) => probe.bind(0, '127.0.0.1', () => r()));
  const port = probe.address().port;
  await new Promise<void>((r) => probe.close(() => r()));
  const text = `search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 127.0.0.1:${port}\noptions ndots:5 timeout:1 attempts:2\n`;
  const refused = `web.default.svc.cluster.local. A udp ECONNREFUSED 0
web.default.svc.cluster.local. AAAA udp ECONNREFUSED 0`;
  const cases: { libc: Libc; trace: string; outcome: string }[] = [
    {
      // glibc asks twice, then returns at once: ECONNREFUSED ends the whole search.
      libc: 'glibc',
      trace: `${refused}\n${refused}`,
      outcome:
        ';; web: TIMEOUT (glibc: 4 queries, 1 name tried): getaddrinfo: Temporary failure in name resolution (EAI_AGAIN)',
    },
    {
      // musl does not see the ICMP error (unconnected socket): it re-sends once and times out.
      libc: 'musl',
      trace: `${refused}\n${refused}`,
      outcome: ';; web: TIMEOUT (musl: 4 queries, 1 name tried): getaddrinfo: Try again (EAI_AGAIN)',
    },
  ];
  for (const c of cases) {
    const conf = parseResolvConf(text);
    const r = await resolve('web', conf, { libc: c.libc });
    t.equal(traceLines(r.trace).join('\n'), c.trace, `${c.libc}: trace`);
    t.equal(formatOutcome(r), c.outcome, `${c.libc}: outcome`);
  }
});

t.test('truncation: UDP TC=1 -> TCP', async (t) => {
  const cases: { libc: Libc; trace: string }[] = [
    {
      // glibc sends both questions again, pipelined on one TCP connection.
      libc: 'glibc',
      trace: `big.default.svc.cluster.local. A udp NOERROR 0 TC
big.default.svc.cluster.local. AAAA udp NOERROR 0
big.default.svc.cluster.local. A tcp NOERROR 60
big.default.svc.cluster.local. AAAA tcp NOERROR 0`,
    },
    {
      // musl (>= 1.2.4) asks only the truncated question again.
      libc: 'musl',
      trace: `big.default.svc.cluster.local. A udp NOERROR 0 TC
big.default.svc.cluster.local. AAAA udp NOERROR 0
big.default.svc.cluster.local. A tcp NOERROR 60`,
    },
  ];
  for (const c of cases) {
    server.received.length = 0;
    const r = await resolve('big', conf(5), { libc: c.libc });
    t.equal(traceLines(r.trace).join('\n'), c.trace, `${c.libc}: trace`);
    t.same(r.addresses, bigAddresses, `${c.libc}: all 60 addresses, from the TCP answer`);
    t.same(
      server.received.filter((q) => q.transport === 'tcp').map((q) => q.type),
      c.libc === 'glibc' ? ['A', 'AAAA'] : ['A'],
      `${c.libc}: what the server saw over TCP`,
    );
  }
});

t.test('address literals never reach DNS', async (t) => {
  const cases: { name: string; family: 0 | 4 | 6; outcome: string }[] = [
    { name: '10.96.0.20', family: 0, outcome: ';; 10.96.0.20 is an address: no query (10.96.0.20)' },
    { name: 'fd00::20', family: 0, outcome: ';; fd00::20 is an address: no query (fd00::20)' },
    {
      name: '10.96.0.20',
      family: 6,
      outcome:
        ';; 10.96.0.20: NODATA (glibc: 0 queries, 0 names tried): getaddrinfo: Address family for hostname not supported (EAI_ADDRFAMILY)',
    },
  ];
  for (const c of cases) {
    const r = await resolve(c.name, conf(5), { family: c.family });
    t.equal(formatOutcome(r), c.outcome, `${c.name} family ${c.family}`);
    t.same(r.trace, [], `${c.name}: no query`);
  }
});

t.test('an IPv6 nameserver ([::1]:port), UDP and TCP', async (t) => {
  const v6 = await startScriptedDnsServer(zone, { host: '::1' });
  t.teardown(() => v6.close());
  const conf6 = parseResolvConf(
    `search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver [::1]:${v6.port}\noptions ndots:5\n`,
  );
  const r = await resolve('mid', conf6, { libc: 'glibc' });
  t.equal(
    traceLines(r.trace).join('\n'),
    `mid.default.svc.cluster.local. A udp NOERROR 0 TC
mid.default.svc.cluster.local. AAAA udp NOERROR 0
mid.default.svc.cluster.local. A tcp NOERROR 20
mid.default.svc.cluster.local. AAAA tcp NOERROR 0`,
  );
  t.equal(r.trace[0]?.server, `[::1]:${v6.port}`, 'server as written');
});

t.test('options: use-vc, edns0, family', async (t) => {
  const vc = await resolve('web', conf(5, ' use-vc'), { libc: 'glibc' });
  t.equal(traceLines(vc.trace).join('\n'), web1.replaceAll(' udp ', ' tcp '), 'use-vc: TCP from the start');
  // 20 records do not fit 512 bytes, but do fit the 1200 glibc offers with edns0; musl never
  // sends EDNS, so it still needs TCP.
  const cases = [
    {
      libc: 'glibc' as const,
      extra: '',
      trace: `mid.default.svc.cluster.local. A udp NOERROR 0 TC
mid.default.svc.cluster.local. AAAA udp NOERROR 0
mid.default.svc.cluster.local. A tcp NOERROR 20
mid.default.svc.cluster.local. AAAA tcp NOERROR 0`,
    },
    {
      libc: 'glibc' as const,
      extra: ' edns0',
      trace: `mid.default.svc.cluster.local. A udp NOERROR 20
mid.default.svc.cluster.local. AAAA udp NOERROR 0`,
    },
    {
      libc: 'musl' as const,
      extra: ' edns0',
      trace: `mid.default.svc.cluster.local. A udp NOERROR 0 TC
mid.default.svc.cluster.local. AAAA udp NOERROR 0
mid.default.svc.cluster.local. A tcp NOERROR 20`,
    },
  ];
  for (const c of cases) {
    const r = await resolve('mid', conf(5, c.extra), { libc: c.libc });
    t.equal(traceLines(r.trace).join('\n'), c.trace, `${c.libc}${c.extra || ' (no edns0)'}`);
  }
  const v4 = await resolve('web', conf(5), { libc: 'musl', family: 4 });
  t.equal(
    traceLines(v4.trace).join('\n'),
    'web.default.svc.cluster.local. A udp NOERROR 1',
    'AF_INET: A only',
  );
});
