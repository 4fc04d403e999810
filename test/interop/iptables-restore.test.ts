// The payloads the proxier writes, fed to the real iptables-restore / ip6tables-restore (Debian's
// iptables) inside a network namespace of their own (`unshare -n`), so the host's tables are never
// touched: every full payload must pass `--test`, and a partial-sync sequence is applied for real,
// one restore after the other, ending with the same chains and rule counts as the full payload.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import type { EndpointSlice, IPFamily, Service } from '../../api/index.js';
import { iptablesSaveManifests } from '../../lab/tools/kube-proxy.js';
import { Proxier, type ProxierOptions } from '../../proxy/index.js';
import { seededRandom } from '../../std/index.js';
import { interopTest, missingCommand, unshareDenied, upstreamDir } from '../index.js';

const skip =
  missingCommand('iptables-restore', 'iptables') ||
  missingCommand('ip6tables-restore', 'iptables') ||
  missingCommand('iptables-save', 'iptables') ||
  unshareDenied('-n');

/** A random cluster exercising every rule kind: types, policies, affinity, ranges, protocols. */
function randomCluster(seed: number, family: IPFamily, services: number): (Service | EndpointSlice)[] {
  // netlab's one seeded PRNG: the same seed, the same cluster.
  const rnd = seededRandom(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const v6 = family === 'IPv6';
  const ip = (net: number, i: number) =>
    v6 ? `fd00:${net}::${(i + 1).toString(16)}` : `10.${net}.${i >> 8}.${(i & 255) + 1}`;
  const out: (Service | EndpointSlice)[] = [];
  for (let s = 0; s < services; s++) {
    const type = pick(['ClusterIP', 'NodePort', 'LoadBalancer'] as const);
    const nPorts = 1 + Math.floor(rnd() * 2);
    const ports = Array.from({ length: nPorts }, (_, i) => ({
      name: `p${i}`,
      port: 80 + i,
      protocol: pick(['TCP', 'UDP', 'SCTP'] as const),
      ...(type !== 'ClusterIP' ? { nodePort: 30000 + s * 2 + i } : {}),
    }));
    const spec: Service['spec'] = {
      type,
      clusterIP: v6 ? `fd00:96::${(s + 1).toString(16)}` : `10.96.${s >> 8}.${(s & 255) + 1}`,
      ports,
    };
    if (rnd() < 0.3) spec.externalIPs = [v6 ? `2001:db8:99::${s + 1}` : `192.168.99.${(s % 250) + 1}`];
    if (type !== 'ClusterIP' && rnd() < 0.5) spec.externalTrafficPolicy = 'Local';
    if (type === 'LoadBalancer') spec.healthCheckNodePort = 32000 + s;
    if (rnd() < 0.2) spec.internalTrafficPolicy = 'Local';
    if (rnd() < 0.3) {
      spec.sessionAffinity = 'ClientIP';
      spec.sessionAffinityConfig = { clientIP: { timeoutSeconds: 60 + s } };
    }
    if (type === 'LoadBalancer' && rnd() < 0.5) {
      spec.loadBalancerSourceRanges = v6 ? ['2001:db8::/32'] : ['192.168.0.0/16', '203.0.113.0/25'];
    }
    const svc: Service = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { namespace: `ns${s % 7}`, name: `svc${s}` },
      spec,
    };
    if (type === 'LoadBalancer') {
      svc.status = {
        loadBalancer: { ingress: [{ ip: v6 ? `2001:db8:5::${s + 1}` : `5.6.${s >> 8}.${(s & 255) + 1}` }] },
      };
    }
    out.push(svc);
    const nEps = Math.floor(rnd() * 5);
    out.push({
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: {
        namespace: `ns${s % 7}`,
        name: `svc${s}-x`,
        labels: { 'kubernetes.io/service-name': `svc${s}` },
      },
      addressType: family,
      endpoints: Array.from({ length: nEps }, (_, i) => ({
        addresses: [ip(180, s * 8 + i)],
        nodeName: pick(['test-node', 'node-2']),
        conditions: pick([
          {},
          { ready: false, serving: true, terminating: true },
          { ready: false, serving: false },
        ]),
      })),
      ports: ports.map((p) => ({ name: p.name, port: 8000 + p.port, protocol: p.protocol })),
    });
  }
  return out;
}

function feed(p: Proxier, objs: (Service | EndpointSlice)[]): Proxier {
  for (const o of objs) {
    if (o.kind === 'Service') p.onServiceAdd(o);
    else p.onEndpointSliceAdd(o);
  }
  p.markSynced();
  return p;
}

/** Runs `tool --noflush [--test]` on each file inside one fresh network namespace; exit codes. */
function restoreAll(
  files: string[],
  tool: string,
  test: boolean,
  after = '',
): { codes: number[]; out: string } {
  const script = [
    ...files.map((f) => `${tool} --noflush ${test ? '--test ' : ''}< '${f}' 2>&1; echo "rc=$?"`),
    after,
  ].join('\n');
  const r = spawnSync('unshare', ['-n', 'sh', '-c', script], { encoding: 'utf8' });
  const codes = [...r.stdout.matchAll(/^rc=(\d+)$/gm)].map((m) => Number(m[1]));
  return { codes, out: r.stdout };
}

const v4: ProxierOptions = {
  nodeName: 'test-node',
  nodeIPs: ['192.168.0.2'],
  clusterCIDRs: ['10.0.0.0/8'],
  minSyncPeriod: 0,
};
const v6: ProxierOptions = {
  nodeName: 'test-node',
  ipFamily: 'IPv6',
  nodeIPs: ['2001:db8::1'],
  clusterCIDRs: ['fd00:10::/64'],
  minSyncPeriod: 0,
};

interopTest(t, 'iptables-restore --test accepts every full payload, IPv4 and IPv6', skip, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'netlab-restore-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const fixture = `${upstreamDir}kube-proxy/fixture-a.yaml`;
  const cases: { name: string; family: IPFamily; payload: string }[] = [
    {
      name: 'fixture A',
      family: 'IPv4',
      payload: iptablesSaveManifests([fixture], { hostnameOverride: 'test-node', clusterCidr: '10.0.0.0/8' })
        .payload,
    },
  ];
  const variants: { name: string; opts: Partial<ProxierOptions> }[] = [
    { name: 'defaults', opts: {} },
    { name: 'masquerade-all, random-fully', opts: { masqueradeAll: true, randomFully: true } },
    { name: 'no cluster CIDR, no nfacct', opts: { clusterCIDRs: [], nfacct: false } },
    {
      name: 'nodeport-addresses',
      opts: { nodePortAddresses: ['192.168.0.0/16', '2001:db8::/64', '127.0.0.0/8'] },
    },
    {
      name: 'localhost NodePorts off, tcp_be_liberal',
      opts: { localhostNodePorts: false, conntrackTCPLiberal: true },
    },
  ];
  for (const [family, base] of [
    ['IPv4', v4],
    ['IPv6', v6],
  ] as const) {
    for (const [i, v] of variants.entries()) {
      const p = feed(new Proxier({ ...base, ...v.opts }), randomCluster(100 + i, family, 60));
      cases.push({ name: `${family} ${v.name}`, family, payload: p.syncProxyRules().payload });
    }
    // Large-cluster mode: 1200 endpoints, no per-endpoint comments.
    const big = randomCluster(7, family, 10).map((o) =>
      o.kind === 'EndpointSlice'
        ? {
            ...o,
            endpoints: Array.from({ length: 120 }, (_, i) => ({
              addresses: [
                family === 'IPv6'
                  ? `fd00:1:${o.metadata.name!.length}::${(i + 1).toString(16)}`
                  : `10.1.${o.metadata.name!.length}.${i + 1}`,
              ],
            })),
          }
        : o,
    );
    const bp = feed(new Proxier(base), big).syncProxyRules();
    t.equal(bp.largeClusterMode, true, `${family} large cluster`);
    cases.push({ name: `${family} large cluster`, family, payload: bp.payload });
  }
  for (const [family, tool] of [
    ['IPv4', 'iptables-restore'],
    ['IPv6', 'ip6tables-restore'],
  ] as const) {
    const mine = cases.filter((c) => c.family === family);
    const files = mine.map((c, i) => {
      const f = join(dir, `${family}-${i}.rules`);
      writeFileSync(f, c.payload);
      return f;
    });
    const { codes, out } = restoreAll(files, tool, true);
    mine.forEach((c, i) => {
      t.equal(codes[i], 0, `${tool} --test: ${c.name}`, { output: out });
    });
  }
});

/** `table/chain` -> number of rules, for the KUBE- chains of a dump or payload. */
function chainCounts(saveText: string): Map<string, number> {
  const m = new Map<string, number>();
  let table = '';
  for (const line of saveText.split('\n')) {
    if (line.startsWith('*')) table = line.slice(1);
    const decl = /^:(KUBE-\S+) /.exec(line);
    if (decl) m.set(`${table}/${decl[1]}`, m.get(`${table}/${decl[1]}`) ?? 0);
    const rule = /^-A (KUBE-\S+) /.exec(line);
    if (rule) m.set(`${table}/${rule[1]}`, (m.get(`${table}/${rule[1]}`) ?? 0) + 1);
  }
  return m;
}

interopTest(t, 'a partial-sync sequence applied for real ends where the full payload is', skip, async (t) => {
  for (const [family, base, tool, save] of [
    ['IPv4', v4, 'iptables-restore', 'iptables-save'],
    ['IPv6', v6, 'ip6tables-restore', 'ip6tables-save'],
  ] as const) {
    const dir = mkdtempSync(join(tmpdir(), 'netlab-restore-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const payloads: string[] = [];
    // nfacct objects do not exist in a fresh namespace; a real (not --test) restore needs them.
    const p = new Proxier({ ...base, nfacct: false, restore: (x) => payloads.push(x) });
    const objs = randomCluster(42, family, 30);
    feed(p, objs).syncProxyRules();
    const slices = objs.filter((o): o is EndpointSlice => o.kind === 'EndpointSlice');
    const services = objs.filter((o): o is Service => o.kind === 'Service');
    // Endpoints move, services go, new ones come: each change one partial sync.
    for (let i = 0; i < 12; i++) {
      const s = slices[i]!;
      p.onEndpointSliceUpdate(s, { ...s, endpoints: (s.endpoints ?? []).slice(1) });
    }
    for (let i = 12; i < 16; i++) p.onServiceDelete(services[i]!);
    for (const o of randomCluster(43, family, 4)) {
      const renamed = { ...o, metadata: { ...o.metadata, namespace: 'new' } };
      if (renamed.kind === 'Service') p.onServiceAdd(renamed);
      else p.onEndpointSliceAdd(renamed as EndpointSlice);
    }
    t.ok(payloads.length > 15, `${family}: ${payloads.length} restores`);
    const files = payloads.map((x, i) => {
      const f = join(dir, `${i}.rules`);
      writeFileSync(f, x);
      return f;
    });
    const dump = join(dir, 'dump.txt');
    const { codes, out } = restoreAll(files, tool, false, `${save} > '${dump}'`);
    t.same(
      codes,
      files.map(() => 0),
      `${family}: every restore accepted in turn`,
      { output: out },
    );
    const kernel = chainCounts(readFileSync(dump, 'utf8'));
    const want = chainCounts(p.fullPayload());
    t.same(
      [...kernel].filter(([c]) => want.has(c) || /^nat\/KUBE-(SVC|SVL|EXT|FW|SEP)-/.test(c)).sort(),
      [...want].sort(),
      `${family}: the node's KUBE chains and rule counts equal the full payload's`,
    );
  }
});
