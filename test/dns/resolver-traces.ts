// The acceptance trace table of the stub resolver: `web`, `web.default`, `web.default.svc.cluster.local.` and
// `api.example.com` from a pod in namespace "default" (search default.svc.cluster.local
// svc.cluster.local cluster.local), ndots 5 and 1, glibc and musl, every query and the outcome spelled
// out. The cluster has Service default/web at 10.96.0.20 (A, NODATA for AAAA); everything outside the
// zone comes from an upstream that knows api.example.com (A 192.0.2.10, AAAA 2001:db8::10, TTL 300)
// and nothing else. resolver.test.ts runs it against a scripted server, resolver-server.test.ts
// against the real DnsServer; both must give these exact lines.
import type { Libc } from '../../dns/index.js';

/** One case. `trace`: one line per query sent (name, type, transport, rcode, answers [TC] [note]). */
export interface TraceCase {
  name: string;
  ndots: number;
  libc: Libc;
  trace: string;
  outcome: string;
}

export const acceptanceTraces: TraceCase[] = [
  {
    name: 'web',
    ndots: 5,
    libc: 'glibc',
    trace: `web.default.svc.cluster.local. A udp NOERROR 1
web.default.svc.cluster.local. AAAA udp NOERROR 0`,
    outcome: `;; web -> web.default.svc.cluster.local. (glibc: 2 queries, 1 name tried)
web.default.svc.cluster.local. 5 IN A 10.96.0.20`,
  },
  {
    name: 'web.default',
    ndots: 5,
    libc: 'glibc',
    trace: `web.default.default.svc.cluster.local. A udp NXDOMAIN 0
web.default.default.svc.cluster.local. AAAA udp NXDOMAIN 0
web.default.svc.cluster.local. A udp NOERROR 1
web.default.svc.cluster.local. AAAA udp NOERROR 0`,
    outcome: `;; web.default -> web.default.svc.cluster.local. (glibc: 4 queries, 2 names tried)
web.default.svc.cluster.local. 5 IN A 10.96.0.20`,
  },
  {
    name: 'web.default.svc.cluster.local.',
    ndots: 5,
    libc: 'glibc',
    trace: `web.default.svc.cluster.local. A udp NOERROR 1
web.default.svc.cluster.local. AAAA udp NOERROR 0`,
    outcome: `;; web.default.svc.cluster.local. -> web.default.svc.cluster.local. (glibc: 2 queries, 1 name tried)
web.default.svc.cluster.local. 5 IN A 10.96.0.20`,
  },
  {
    name: 'api.example.com',
    ndots: 5,
    libc: 'glibc',
    trace: `api.example.com.default.svc.cluster.local. A udp NXDOMAIN 0
api.example.com.default.svc.cluster.local. AAAA udp NXDOMAIN 0
api.example.com.svc.cluster.local. A udp NXDOMAIN 0
api.example.com.svc.cluster.local. AAAA udp NXDOMAIN 0
api.example.com.cluster.local. A udp NXDOMAIN 0
api.example.com.cluster.local. AAAA udp NXDOMAIN 0
api.example.com. A udp NOERROR 1
api.example.com. AAAA udp NOERROR 1`,
    outcome: `;; api.example.com -> api.example.com. (glibc: 8 queries, 4 names tried)
api.example.com. 300 IN A 192.0.2.10
api.example.com. 300 IN AAAA 2001:db8::10`,
  },
  {
    name: 'web',
    ndots: 5,
    libc: 'musl',
    trace: `web.default.svc.cluster.local. A udp NOERROR 1
web.default.svc.cluster.local. AAAA udp NOERROR 0`,
    outcome: `;; web -> web.default.svc.cluster.local. (musl: 2 queries, 1 name tried)
web.default.svc.cluster.local. 5 IN A 10.96.0.20`,
  },
  {
    name: 'web.default',
    ndots: 5,
    libc: 'musl',
    trace: `web.default.default.svc.cluster.local. A udp NXDOMAIN 0
web.default.default.svc.cluster.local. AAAA udp NXDOMAIN 0
web.default.svc.cluster.local. A udp NOERROR 1
web.default.svc.cluster.local. AAAA udp NOERROR 0`,
    outcome: `;; web.default -> web.default.svc.cluster.local. (musl: 4 queries, 2 names tried)
web.default.svc.cluster.local. 5 IN A 10.96.0.20`,
  },
  {
    name: 'web.default.svc.cluster.local.',
    ndots: 5,
    libc: 'musl',
    trace: `web.default.svc.cluster.local. A udp NOERROR 1
web.default.svc.cluster.local. AAAA udp NOERROR 0`,
    outcome: `;; web.default.svc.cluster.local. -> web.default.svc.cluster.local. (musl: 2 queries, 1 name tried)
web.default.svc.cluster.local. 5 IN A 10.96.0.20`,
  },
  {
    name: 'api.example.com',
    ndots: 5,
    libc: 'musl',
    trace: `api.example.com.default.svc.cluster.local. A udp NXDOMAIN 0
api.example.com.default.svc.cluster.local. AAAA udp NXDOMAIN 0
api.example.com.svc.cluster.local. A udp NXDOMAIN 0
api.example.com.svc.cluster.local. AAAA udp NXDOMAIN 0
api.example.com.cluster.local. A udp NXDOMAIN 0
api.example.com.cluster.local. AAAA udp NXDOMAIN 0
api.example.com. A udp NOERROR 1
api.example.com. AAAA udp NOERROR 1`,
    outcome: `;; api.example.com -> api.example.com. (musl: 8 queries, 4 names tried)
api.example.com. 300 IN A 192.0.2.10
api.example.com. 300 IN AAAA 2001:db8::10`,
  },
  {
    name: 'web',
    ndots: 1,
    libc: 'glibc',
    trace: `web.default.svc.cluster.local. A udp NOERROR 1
web.default.svc.cluster.local. AAAA udp NOERROR 0`,
    outcome: `;; web -> web.default.svc.cluster.local. (glibc: 2 queries, 1 name tried)
web.default.svc.cluster.local. 5 IN A 10.96.0.20`,
  },
  {
    name: 'web.default',
    ndots: 1,
    libc: 'glibc',
    trace: `web.default. A udp NXDOMAIN 0
web.default. AAAA udp NXDOMAIN 0
web.default.default.svc.cluster.local. A udp NXDOMAIN 0
web.default.default.svc.cluster.local. AAAA udp NXDOMAIN 0
web.default.svc.cluster.local. A udp NOERROR 1
web.default.svc.cluster.local. AAAA udp NOERROR 0`,
    outcome: `;; web.default -> web.default.svc.cluster.local. (glibc: 6 queries, 3 names tried)
web.default.svc.cluster.local. 5 IN A 10.96.0.20`,
  },
  {
    name: 'web.default.svc.cluster.local.',
    ndots: 1,
    libc: 'glibc',
    trace: `web.default.svc.cluster.local. A udp NOERROR 1
web.default.svc.cluster.local. AAAA udp NOERROR 0`,
    outcome: `;; web.default.svc.cluster.local. -> web.default.svc.cluster.local. (glibc: 2 queries, 1 name tried)
web.default.svc.cluster.local. 5 IN A 10.96.0.20`,
  },
  {
    name: 'api.example.com',
    ndots: 1,
    libc: 'glibc',
    trace: `api.example.com. A udp NOERROR 1
api.example.com. AAAA udp NOERROR 1`,
    outcome: `;; api.example.com -> api.example.com. (glibc: 2 queries, 1 name tried)
api.example.com. 300 IN A 192.0.2.10
api.example.com. 300 IN AAAA 2001:db8::10`,
  },
  {
    name: 'web',
    ndots: 1,
    libc: 'musl',
    trace: `web.default.svc.cluster.local. A udp NOERROR 1
web.default.svc.cluster.local. AAAA udp NOERROR 0`,
    outcome: `;; web -> web.default.svc.cluster.local. (musl: 2 queries, 1 name tried)
web.default.svc.cluster.local. 5 IN A 10.96.0.20`,
  },
  {
    name: 'web.default',
    ndots: 1,
    libc: 'musl',
    trace: `web.default. A udp NXDOMAIN 0
web.default. AAAA udp NXDOMAIN 0`,
    outcome: `;; web.default: NXDOMAIN (musl: 2 queries, 1 name tried): getaddrinfo: Name does not resolve (EAI_NONAME)`,
  },
  {
    name: 'web.default.svc.cluster.local.',
    ndots: 1,
    libc: 'musl',
    trace: `web.default.svc.cluster.local. A udp NOERROR 1
web.default.svc.cluster.local. AAAA udp NOERROR 0`,
    outcome: `;; web.default.svc.cluster.local. -> web.default.svc.cluster.local. (musl: 2 queries, 1 name tried)
web.default.svc.cluster.local. 5 IN A 10.96.0.20`,
  },
  {
    name: 'api.example.com',
    ndots: 1,
    libc: 'musl',
    trace: `api.example.com. A udp NOERROR 1
api.example.com. AAAA udp NOERROR 1`,
    outcome: `;; api.example.com -> api.example.com. (musl: 2 queries, 1 name tried)
api.example.com. 300 IN A 192.0.2.10
api.example.com. 300 IN AAAA 2001:db8::10`,
  },
];
