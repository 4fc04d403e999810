// bench/dns: dnsperf (Debian) against our server and against bind9 (`named`, Debian) serving an equal
// zone, in the same run, for two query mixes: cluster names, and the search-path walk of a pod with
// ndots 5 (mostly NXDOMAIN). Prints qps of each, the ratio ours/bind9 (goal >= 0.6), and the cache
// hit ratio. Each figure is the median of RUNS alternating runs of SECONDS seconds each.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import dnsPacket from 'dns-packet';
import type { AnyObject, EndpointSlice, Service } from '../api/index.js';
import { DnsServer, type HostPort, parseQType, parseZoneConfig, Zone } from '../dns/index.js';
import { formatRdata } from '../dns/server/dig.js';
import { Upstream } from '../dns/server/upstream.js';
import { buildQuery } from '../dns/server/wire.js';
import { ObjectSource } from '../dns/zone/source.js';
import { median } from './median.js';

const run = promisify(execFile);
const RUNS = Number(process.env.DNS_BENCH_RUNS ?? 3);
const SECONDS = Number(process.env.DNS_BENCH_SECONDS ?? 3);
const NAMESPACES = 10;
const SERVICES = 20; // per namespace
const HEADLESS = 5; // per namespace, 4 endpoints each

interface Cluster {
  objects: AnyObject[];
  zoneFile: string;
}

// The same data twice: as Kubernetes objects for our zone, and as the zone file bind9 loads.
function buildCluster(): Cluster {
  const objects: AnyObject[] = [];
  const rr: string[] = [
    '$TTL 5',
    '@ IN SOA ns.dns.cluster.local. hostmaster.cluster.local. 3 7200 1800 86400 5',
    '@ IN NS ns.dns.cluster.local.',
    'ns.dns IN A 127.0.0.1',
    'dns-version IN TXT "1.1.0"',
  ];
  for (let n = 0; n < NAMESPACES; n++) {
    const ns = `ns-${n}`;
    for (let s = 0; s < SERVICES; s++) {
      const ip = `10.96.${n}.${s + 1}`;
      const svc: Service = {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: `web-${s}`, namespace: ns },
        spec: { clusterIPs: [ip], ports: [{ name: 'http', protocol: 'TCP', port: 80 }] },
      };
      objects.push(svc);
      const owner = `web-${s}.${ns}.svc`;
      rr.push(`${owner} IN A ${ip}`, `_http._tcp.${owner} IN SRV 0 100 80 ${owner}.cluster.local.`);
    }
    for (let h = 0; h < HEADLESS; h++) {
      const name = `db-${h}`;
      objects.push({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name, namespace: ns },
        spec: { clusterIP: 'None', ports: [{ name: 'pg', protocol: 'TCP', port: 5432 }] },
      });
      const ips = [1, 2, 3, 4].map((e) => `10.244.${n}.${h * 10 + e}`);
      const slice: EndpointSlice = {
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: { name: `${name}-x`, namespace: ns, labels: { 'kubernetes.io/service-name': name } },
        addressType: 'IPv4',
        endpoints: ips.map((ip, i) => ({ addresses: [ip], hostname: `${name}-${i}` })),
        ports: [{ name: 'pg', protocol: 'TCP', port: 5432 }],
      };
      objects.push(slice);
      const owner = `${name}.${ns}.svc`;
      ips.forEach((ip, i) => {
        rr.push(`${owner} IN A ${ip}`, `${name}-${i}.${owner} IN A ${ip}`);
        rr.push(`_pg._tcp.${owner} IN SRV 0 25 5432 ${name}-${i}.${owner}.cluster.local.`);
      });
    }
  }
  return { objects, zoneFile: rr.join('\n') + '\n' };
}

function clusterQueries(): string {
  const out: string[] = [];
  for (let n = 0; n < NAMESPACES; n++) {
    for (let s = 0; s < SERVICES; s++) {
      out.push(`web-${s}.ns-${n}.svc.cluster.local A`);
      if (s % 4 === 0) out.push(`_http._tcp.web-${s}.ns-${n}.svc.cluster.local SRV`);
    }
    for (let h = 0; h < HEADLESS; h++)
      out.push(`db-${h}.ns-${n}.svc.cluster.local A`, `db-${h}-0.db-${h}.ns-${n}.svc.cluster.local A`);
  }
  return out.join('\n') + '\n';
}

// What glibc sends for `web-S.ns-M` and `api.example.com` from a pod in ns-N with the default
// ndots 5 search list: every suffix in turn, A and AAAA, until one answers.
function searchQueries(): string {
  const out: string[] = [];
  for (let n = 0; n < NAMESPACES; n++) {
    const search = [`ns-${n}.svc.cluster.local`, 'svc.cluster.local', 'cluster.local'];
    const other = `ns-${(n + 1) % NAMESPACES}`;
    for (let s = 0; s < SERVICES; s += 2) {
      // web-S.<other ns>: NXDOMAIN under the pod's namespace, then found under svc.cluster.local.
      for (const t of ['A', 'AAAA']) {
        out.push(`web-${s}.${other}.${search[0]} ${t}`, `web-${s}.${other}.${search[1]} ${t}`);
      }
      // A name outside the cluster: three NXDOMAIN suffixes before the absolute name.
      for (const t of ['A', 'AAAA']) for (const sfx of search) out.push(`api${s}.example.com.${sfx} ${t}`);
    }
  }
  return out.join('\n') + '\n';
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

/** Starts named (kept in `children` at once, so cleanup finds it even if start-up fails). */
async function startNamed(dir: string, zoneFile: string, children: ChildProcess[]): Promise<number> {
  const port = await freePort();
  writeFileSync(join(dir, 'db.cluster.local'), zoneFile);
  writeFileSync(
    join(dir, 'named.conf'),
    `options {
  directory "${dir}";
  pid-file "${dir}/named.pid";
  listen-on port ${port} { 127.0.0.1; };
  listen-on-v6 { none; };
  recursion no;
  dnssec-validation no;
  minimal-responses no-auth; // additional data like ours, no NS in authority (CoreDNS adds none)
};
zone "cluster.local" { type primary; file "db.cluster.local"; };
`,
  );
  const child = spawn('/usr/sbin/named', ['-g', '-c', join(dir, 'named.conf')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  children.push(child);
  await new Promise<void>((resolve, reject) => {
    let log = '';
    const timer = setTimeout(() => reject(new Error(`named did not start:\n${log}`)), 15_000);
    child.stderr!.on('data', (b: Buffer) => {
      log += b.toString();
      if (log.includes('running')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`named exited ${code}:\n${log}`));
    });
  });
  // "running" can come a moment before the zone answers (the first query got SERVFAIL): wait for
  // the apex SOA, bounded.
  const server = { host: '127.0.0.1', port };
  for (let i = 0; i < 50; i++) {
    if ((await answerOf(server, 'cluster.local SOA')).startsWith('NOERROR')) return port;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('named runs but does not serve cluster.local');
}

/** SIGTERM, then SIGKILL if it has not exited within 5 s. */
async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

async function dnsperf(port: number, file: string): Promise<number> {
  const { stdout } = await run(
    'dnsperf',
    ['-s', '127.0.0.1', '-p', String(port), '-d', file, '-l', String(SECONDS), '-c', '4', '-q', '200'],
    // dnsperf stops itself after -l seconds; the timeout only guards against a hung run.
    { maxBuffer: 1 << 20, timeout: (SECONDS + 30) * 1000 },
  );
  const m = /Queries per second:\s+([\d.]+)/.exec(stdout);
  if (!m) throw new Error(`no qps in dnsperf output:\n${stdout}`);
  return Number(m[1]);
}

/** rcode and sorted answer rdata of one question, to check that the two zones really are equal. */
async function answerOf(server: HostPort, line: string): Promise<string> {
  const [name, type] = line.split(' ') as [string, string];
  const res = await new Upstream(server, 2000).exchange(
    buildQuery(name, parseQType(type)!, { id: 1 }),
    'udp',
  );
  if (!res) return 'no answer';
  const d = dnsPacket.decode(res) as ReturnType<typeof dnsPacket.decode> & { rcode: string };
  return `${d.rcode} ${(d.answers ?? [])
    .map((a) => `${a.type} ${formatRdata(a)}`)
    .sort()
    .join(', ')}`;
}

async function main(): Promise<void> {
  const missing = ['/usr/bin/dnsperf', '/usr/sbin/named'].filter((p) => !existsSync(p));
  if (missing.length > 0) {
    process.stdout.write(
      `dns bench skipped: missing ${missing.join(', ')} (apt-get install dnsperf bind9)\n`,
    );
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'netlab-dns-bench-'));
  const cluster = buildCluster();
  const zone = new Zone(new ObjectSource(cluster.objects), parseZoneConfig());
  const ours = new DnsServer({ zone, listen: { host: '127.0.0.1', port: 0 } });
  const children: ChildProcess[] = [];
  // Interrupted (Ctrl-C, bench runner killed): named goes too.
  const onSignal = () => {
    for (const c of children) c.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const addr = await ours.listen();
    const bind = { port: await startNamed(dir, cluster.zoneFile, children) };
    const mixes = [
      { name: 'cluster names', file: join(dir, 'cluster.txt'), text: clusterQueries() },
      { name: 'search path (NXDOMAIN-heavy)', file: join(dir, 'search.txt'), text: searchQueries() },
    ];
    process.stdout.write(
      `dnsperf -c 4 -q 200 -l ${SECONDS}, median of ${RUNS}; zone: ${cluster.objects.length} objects; named: ${(await run('/usr/sbin/named', ['-v'])).stdout.trim()}\n`,
    );
    for (const mix of mixes) {
      writeFileSync(mix.file, mix.text);
      const lines = mix.text.trim().split('\n');
      let differ = 0;
      for (const line of lines) {
        const [a, b] = [
          await answerOf(addr, line),
          await answerOf({ host: '127.0.0.1', port: bind.port }, line),
        ];
        if (a !== b && differ++ < 3) process.stdout.write(`  differs: ${line}: ours ${a} | bind9 ${b}\n`);
      }
      process.stdout.write(`${mix.name}: ${lines.length} distinct queries, ${differ} answered differently\n`);
      const oursQps: number[] = [];
      const bindQps: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        bindQps.push(await dnsperf(bind.port, mix.file));
        oursQps.push(await dnsperf(addr.port, mix.file));
      }
      const o = median(oursQps);
      const b = median(bindQps);
      process.stdout.write(
        `${mix.name.padEnd(30)} ours ${o.toFixed(0).padStart(7)} qps   bind9 ${b.toFixed(0).padStart(7)} qps   ratio ${(o / b).toFixed(2)}   (goal >= 0.60)\n`,
      );
    }
    const s = ours.stats();
    process.stdout.write(
      `ours: ${s.queries} queries, cache hit ratio ${(s.cacheHitRatio * 100).toFixed(2)}%, by rcode ${JSON.stringify(s.byRcode)}\n`,
    );
  } finally {
    for (const c of children) await stop(c);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await ours.close();
    zone.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
