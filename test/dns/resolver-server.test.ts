// The whole chain: Pods -> the EndpointSlice controller (lab/controllers) -> the cluster zone and
// its wire server (dns/zone, dns/server) with an upstream -> the stub resolver as glibc and musl.
// Exact query traces against the real netlab DNS server, not a scripted one.
import t from 'tap';
import type { Pod, Service } from '../../api/index.js';
import {
  DnsServer,
  formatOutcome,
  parseResolvConf,
  parseZoneConfig,
  resolve,
  Zone,
} from '../../dns/index.js';
import { traceLines } from '../../dns/resolver/render.js';
import { type ScriptedDnsServer, startScriptedDnsServer } from '../../dns/resolver/scripted.js';
import { ObjectSource } from '../../dns/zone/source.js';
import { withDerivedEndpointSlices } from '../../lab/controllers/derive.js';
import { acceptanceTraces, type TraceCase } from './resolver-traces.js';

function pod(name: string, app: string, ip: string): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', labels: { app } },
    spec: { nodeName: 'node-a', containers: [{ name: 'c' }] },
    status: { phase: 'Running', podIPs: [{ ip }], conditions: [{ type: 'Ready', status: 'True' }] },
  };
}
function service(name: string, spec: Service['spec']): Service {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default', uid: name }, spec };
}

const pods = [
  pod('web-1', 'web', '10.244.1.2'),
  ...Array.from({ length: 60 }, (_, i) =>
    pod(`big-${String(i).padStart(2, '0')}`, 'big', `10.244.2.${i + 10}`),
  ),
];
const services = [
  service('web', { clusterIP: '10.96.0.20', selector: { app: 'web' }, ports: [{ name: 'http', port: 80 }] }),
  service('big', { clusterIP: 'None', ipFamilies: ['IPv4'], selector: { app: 'big' } }),
  service('ext', { type: 'ExternalName', externalName: 'api.example.com' }),
];
// No Node objects: each pod's nodeName stands for a bare Node, as for `netlab dns serve -f`.
const { objects } = withDerivedEndpointSlices([
  { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } },
  ...services,
  ...pods,
]);

let upstream: ScriptedDnsServer;
let server: DnsServer;
let port = 0;
t.before(async () => {
  // What the cluster DNS server forwards names outside its zone to.
  upstream = await startScriptedDnsServer({
    records: [
      { name: 'api.example.com', type: 'A', data: '192.0.2.10', ttl: 300 },
      { name: 'api.example.com', type: 'AAAA', data: '2001:db8::10', ttl: 300 },
    ],
  });
  server = new DnsServer({
    zone: new Zone(new ObjectSource(objects), parseZoneConfig({})),
    listen: { host: '127.0.0.1', port: 0 },
    upstream: { host: '127.0.0.1', port: upstream.port },
  });
  port = (await server.listen()).port;
});
t.teardown(async () => {
  await server.close();
  await upstream.close();
});

// The acceptance table (resolver-traces.ts), then what needs the real zone: an ExternalName chased
// upstream, a headless Service too big for UDP, a namespace name that exists.
const cases: TraceCase[] = [...acceptanceTraces];
for (const libc of ['glibc', 'musl'] as const) {
  cases.push({
    // ExternalName: the server answers the CNAME and chases the target upstream.
    name: 'ext',
    ndots: 5,
    libc,
    trace: `ext.default.svc.cluster.local. A udp NOERROR 2
ext.default.svc.cluster.local. AAAA udp NOERROR 2`,
    outcome: `;; ext -> ext.default.svc.cluster.local. (${libc}: 2 queries, 1 name tried)
ext.default.svc.cluster.local. 5 IN CNAME api.example.com.
api.example.com. 300 IN A 192.0.2.10
api.example.com. 300 IN AAAA 2001:db8::10`,
  });
}
cases.push(
  {
    // 60 ready endpoints do not fit 512 bytes: TC=1, then both questions over TCP.
    name: 'big',
    ndots: 5,
    libc: 'glibc',
    trace: `big.default.svc.cluster.local. A udp NOERROR 29 TC
big.default.svc.cluster.local. AAAA udp NOERROR 0
big.default.svc.cluster.local. A tcp NOERROR 60
big.default.svc.cluster.local. AAAA tcp NOERROR 0`,
    outcome: '60 addresses',
  },
  {
    name: 'big',
    ndots: 5,
    libc: 'musl',
    trace: `big.default.svc.cluster.local. A udp NOERROR 29 TC
big.default.svc.cluster.local. AAAA udp NOERROR 0
big.default.svc.cluster.local. A tcp NOERROR 60`,
    outcome: '60 addresses',
  },
  {
    // The namespace exists: default.svc.cluster.local is NODATA, which stops musl.
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
);

t.test('resolver traces against netlab dns serve (with an upstream)', async (t) => {
  for (const c of cases) {
    const conf = parseResolvConf(
      `search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 127.0.0.1:${port}\noptions ndots:${c.ndots}\n`,
    );
    const r = await resolve(c.name, conf, { libc: c.libc });
    const label = `${c.libc} ndots:${c.ndots} ${c.name}`;
    t.equal(traceLines(r.trace).join('\n'), c.trace, `${label}: trace`);
    t.equal(
      c.outcome.endsWith(' addresses') ? `${r.addresses.length} addresses` : formatOutcome(r),
      c.outcome,
      `${label}: outcome`,
    );
  }
});
