// Real dig (Debian bind9-dnsutils) against `netlab dns serve`: A, AAAA, SRV, PTR, TXT, +tcp,
// truncation then the TCP retry, NXDOMAIN with the SOA.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { DigNameError } from '../../dns/errors.js';
import { dig as digQuery } from '../../dns/server/dig.js';
import { interopTest, netlabArgv } from '../index.js';

const run = promisify(execFile);
const digPath = ['/usr/bin/dig', '/bin/dig'].find((p) => existsSync(p));

const manifest = `
apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec:
  clusterIPs: [10.96.0.20, "fd00:96::20"]
  selector: {app: web}
  ports: [{name: http, port: 80, protocol: TCP}]
---
apiVersion: v1
kind: Service
metadata: {name: big, namespace: default}
spec: {clusterIP: None, ports: [{name: http, port: 80, protocol: TCP}]}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: big-1, namespace: default, labels: {kubernetes.io/service-name: big}}
addressType: IPv4
ports: [{name: http, port: 80, protocol: TCP}]
endpoints:
${Array.from({ length: 60 }, (_, i) => `  - addresses: [10.244.0.${i + 1}]`).join('\n')}
---
apiVersion: v1
kind: Pod
metadata: {name: web-0, namespace: default, labels: {app: web}}
spec: {nodeName: node-1, containers: [{name: app}]}
status:
  phase: Running
  podIP: 10.244.1.5
  podIPs: [{ip: 10.244.1.5}]
  conditions: [{type: Ready, status: "True"}]
`;

/** Header status, flags, and the record lines of each section, whitespace collapsed. */
function digView(out: string): {
  status: string;
  flags: string;
  sections: Record<string, string[]>;
  notes: string[];
} {
  const status = /status: (\w+)/.exec(out)?.[1] ?? '';
  const flags = /;; flags: ([^;]*);/.exec(out)?.[1] ?? '';
  const sections: Record<string, string[]> = {};
  let current = '';
  const notes: string[] = [];
  for (const line of out.split('\n')) {
    const m = /^;; (\w+) SECTION:$/.exec(line);
    if (m) {
      current = m[1]!;
      sections[current] = [];
      continue;
    }
    if (line === '') {
      current = '';
      continue;
    }
    if (line.startsWith(';; Truncated') || line.startsWith(';; SERVER:'))
      notes.push(line.replace(/\(\d+\.\d+\.\d+\.\d+\)/, ''));
    if (current && current !== 'QUESTION' && !line.startsWith(';'))
      sections[current]!.push(line.split(/\s+/).join(' '));
  }
  return { status, flags, sections, notes };
}

interopTest(
  t,
  'dig against netlab dns serve',
  digPath ? false : 'no dig: apt-get install bind9-dnsutils',
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'netlab-dig-'));
    const file = join(dir, 'cluster.yaml');
    writeFileSync(file, manifest);
    const child: ChildProcess = spawn(
      process.execPath,
      [...netlabArgv, 'dns', 'serve', '-f', file, '--listen', '127.0.0.1:0'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    t.teardown(() => {
      child.kill('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    });
    const port = await new Promise<number>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`no "listening on" line: ${out}`)), 30_000);
      child.stdout!.on('data', (b: Buffer) => {
        out += b.toString();
        const m = /^listening on 127\.0\.0\.1:(\d+)$/m.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      });
      child.on('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
    });

    const dig = async (...args: string[]) =>
      (await run(digPath!, ['@127.0.0.1', '-p', String(port), '+time=2', '+tries=1', ...args])).stdout;

    const cases: {
      args: string[];
      status: string;
      answer?: string[];
      authority?: string[];
      additional?: string[];
      notes?: string[];
    }[] = [
      {
        args: ['web.default.svc.cluster.local', 'A'],
        status: 'NOERROR',
        answer: ['web.default.svc.cluster.local. 5 IN A 10.96.0.20'],
      },
      {
        args: ['web.default.svc.cluster.local', 'AAAA'],
        status: 'NOERROR',
        answer: ['web.default.svc.cluster.local. 5 IN AAAA fd00:96::20'],
      },
      {
        args: ['_http._tcp.web.default.svc.cluster.local', 'SRV'],
        status: 'NOERROR',
        answer: ['_http._tcp.web.default.svc.cluster.local. 5 IN SRV 0 50 80 web.default.svc.cluster.local.'],
        additional: [
          'web.default.svc.cluster.local. 5 IN A 10.96.0.20',
          'web.default.svc.cluster.local. 5 IN AAAA fd00:96::20',
        ],
      },
      {
        args: ['-x', '10.96.0.20'],
        status: 'NOERROR',
        answer: ['20.0.96.10.in-addr.arpa. 5 IN PTR web.default.svc.cluster.local.'],
      },
      // The endpoint that the EndpointSlice controller derived from the Pod.
      {
        args: ['-x', '10.244.1.5'],
        status: 'NOERROR',
        answer: ['5.1.244.10.in-addr.arpa. 5 IN PTR 10-244-1-5.web.default.svc.cluster.local.'],
      },
      {
        args: ['dns-version.cluster.local', 'TXT'],
        status: 'NOERROR',
        answer: ['dns-version.cluster.local. 28800 IN TXT "1.1.0"'],
      },
      {
        args: ['+tcp', 'web.default.svc.cluster.local', 'A'],
        status: 'NOERROR',
        answer: ['web.default.svc.cluster.local. 5 IN A 10.96.0.20'],
        notes: [';; SERVER: 127.0.0.1#PORT (TCP)'],
      },
      {
        args: ['nope.default.svc.cluster.local', 'A'],
        status: 'NXDOMAIN',
        authority: [
          /* SOA, serial varies */ 'cluster.local. 5 IN SOA ns.dns.cluster.local. hostmaster.cluster.local. SERIAL 7200 1800 86400 5',
        ],
      },
    ];
    for (const c of cases) {
      const v = digView(await dig(...c.args));
      const authority = (v.sections.AUTHORITY ?? []).map((l) =>
        l.replace(/ \d+ 7200 1800 86400 /, ' SERIAL 7200 1800 86400 '),
      );
      t.same(
        {
          status: v.status,
          aa: v.flags.split(' ').includes('aa'),
          answer: v.sections.ANSWER ?? [],
          authority,
          additional: v.sections.ADDITIONAL ?? [],
          notes: c.notes ? v.notes.map((n) => n.replace(`#${port}`, '#PORT')) : [],
        },
        {
          status: c.status,
          aa: true,
          answer: c.answer ?? [],
          authority: c.authority ?? [],
          additional: c.additional ?? [],
          notes: c.notes ?? [],
        },
        c.args.join(' '),
      );
    }

    // Without EDNS the 60 addresses do not fit 512 octets: TC=1, dig retries over TCP and gets them all.
    const big = digView(await dig('+noedns', 'big.default.svc.cluster.local', 'A'));
    t.same(
      {
        status: big.status,
        answers: big.sections.ANSWER?.length,
        notes: big.notes.map((n) => n.replace(`#${port}`, '#PORT')),
      },
      {
        status: 'NOERROR',
        answers: 60,
        notes: [';; Truncated, retrying in TCP mode.', ';; SERVER: 127.0.0.1#PORT (TCP)'],
      },
    );
    // `netlab dig` prints what dig prints (header on, minus ID, timing and clock).
    const body = (out: string) =>
      out
        .slice(out.indexOf(';; ->>HEADER<<-'))
        .replace(/id: \d+/, 'id: N')
        .split('\n')
        .filter((l) => !l.startsWith(';; Query time:') && !l.startsWith(';; WHEN:'))
        .join('\n');
    for (const args of [
      ['_http._tcp.web.default.svc.cluster.local', 'SRV'],
      ['nope.default.svc.cluster.local', 'A'],
      ['web.default.svc.cluster.local', 'AAAA'],
      ['+tcp', '-x', '10.96.0.20'],
    ]) {
      const netlabArgs = args[1] === '-x' ? ['20.0.96.10.in-addr.arpa', 'PTR', '+tcp'] : args;
      const ours = await run(process.execPath, [...netlabArgv, 'dig', ...netlabArgs, `@127.0.0.1:${port}`]);
      t.equal(body(ours.stdout), body(await dig(...args)), `netlab dig ${netlabArgs.join(' ')} = dig`);
    }

    // With EDNS (dig's default 1232) the answer fits in UDP.
    const fits = digView(await dig('big.default.svc.cluster.local', 'A'));
    t.same([fits.sections.ANSWER?.length, fits.notes], [60, [';; SERVER: 127.0.0.1#' + port + ' (UDP)']]);
  },
);

// What dig refuses to send and how it reports a refused connection, next to `netlab dig`: the same
// reason (after dig's `dig: ` / our `error: ` prefix), the same exit status, the same lines.
interopTest(
  t,
  'dig and netlab dig: illegal names and refused connections',
  digPath ? false : 'no dig: apt-get install bind9-dnsutils',
  async (t) => {
    const host = `127.${1 + Math.floor(Math.random() * 250)}.${1 + Math.floor(Math.random() * 250)}.1`;
    const port = await new Promise<number>((resolve) => {
      const srv = createServer().listen(0, host, () => {
        const p = (srv.address() as { port: number }).port;
        srv.close(() => resolve(p));
      });
    });
    const outcome = async (file: string, args: string[]) =>
      run(file, args).then(
        (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
        (e: { code: number; stdout: string; stderr: string }) => ({
          code: e.code,
          stdout: e.stdout,
          stderr: e.stderr,
        }),
      );
    const real = (...args: string[]) =>
      outcome(digPath!, [`@${host}`, '-p', String(port), '+tries=1', '+time=1', ...args]);
    // Ours in process (the command prints `text`, or `error: ` and the message, and exits with the
    // status given here); spawning one netlab per row is what made this slow on a busy machine.
    const ours = async (name: string, ...flags: string[]) => {
      try {
        const r = await digQuery(name, 1, { server: { host, port }, tcp: flags.includes('+tcp') });
        return { code: r.exitCode, stdout: r.text, stderr: '' };
      } catch (e) {
        if (!(e instanceof DigNameError)) throw e;
        return { code: e.exitCode, stdout: '', stderr: `error: ${e.message}\n` };
      }
    };
    const a = (n: number) => 'a'.repeat(n);
    for (const name of [
      `${a(64)}.example.com`,
      `${a(63)}.${a(63)}.${a(63)}.${a(62)}`,
      `${a(60)}.${a(60)}.${a(60)}.${a(60)}.${a(60)}.`,
      'a..b',
      '.a',
    ]) {
      const d = await real(name);
      const n = await ours(name);
      t.same(
        [n.code, n.stderr.replace(/^error: /, '')],
        [d.code, d.stderr.replace(/^\S*dig: /, '')],
        `${name.slice(0, 20)}…: ${d.stderr.trim().replace(/^.*\(/, '(')}`,
      );
    }
    // The banner names the program and echoes its arguments; every other line is dig's.
    const banner = (s: string) => s.replace(/^; <<>> .*$/m, '; <<>> BANNER');
    for (const via of [[], ['+tcp']]) {
      const d = await real('web.example', ...via);
      const n = await ours('web.example', ...via);
      t.same([n.code, banner(n.stdout)], [d.code, banner(d.stdout)], `refused ${via[0] ?? 'udp'}`);
    }
  },
);
