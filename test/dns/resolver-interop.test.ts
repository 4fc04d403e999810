// The resolver's glibc and musl models against the real C libraries: a tiny getaddrinfo(AF_UNSPEC)
// program, built with gcc (glibc) and musl-gcc (Debian's musl 1.2.3), runs in a private mount
// namespace whose /etc/resolv.conf points at a scripted nameserver on 127.77.0.x:53. What the
// nameserver receives must be what the model says it sends, and the outcome must match.
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { type Libc, parseResolvConf, resolve as stubResolve } from '../../dns/index.js';
import {
  type ScriptedDnsServer,
  type ScriptedZone,
  startScriptedDnsServer,
} from '../../dns/resolver/scripted.js';
import { interopTest, missingCommand, missingRoot, unshareDenied } from '../index.js';

const missing = missingRoot('unshare -m to bind-mount /etc/resolv.conf, and port 53') || unshareDenied('-m');

const getaddrinfoSource = `#include <stdio.h>
#include <string.h>
#include <netdb.h>
#include <sys/socket.h>
#include <arpa/inet.h>
int main(int argc, char **argv) {
  struct addrinfo hints, *res, *p;
  memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  int rc = getaddrinfo(argv[1], NULL, &hints, &res);
  if (rc != 0) { printf("error %s\\n", gai_strerror(rc)); return 2; }
  for (p = res; p; p = p->ai_next) {
    char buf[64];
    void *a = p->ai_family == AF_INET ? (void *)&((struct sockaddr_in *)p->ai_addr)->sin_addr
                                      : (void *)&((struct sockaddr_in6 *)p->ai_addr)->sin6_addr;
    printf("%s\\n", inet_ntop(p->ai_family, a, buf, sizeof buf));
  }
  return 0;
}
`;

const zone: ScriptedZone = {
  records: [
    { name: 'web.default.svc.cluster.local', type: 'A', data: '10.96.0.20' },
    { name: 'api.example.com', type: 'A', data: '192.0.2.10' },
    { name: 'api.example.com', type: 'AAAA', data: '2001:db8::10' },
    // ExternalName-style CNAMEs: to a name that has addresses, and to one that has none.
    { name: 'ext.default.svc.cluster.local', type: 'CNAME', data: 'api.example.com' },
    { name: 'nowhere.default.svc.cluster.local', type: 'CNAME', data: 'nowhere.example.com' },
    ...Array.from({ length: 20 }, (_, i) => ({
      name: 'mid.default.svc.cluster.local',
      type: 'A' as const,
      data: `10.244.1.${i + 10}`,
    })),
  ],
  exists: ['cluster.local', 'svc.cluster.local', 'default.svc.cluster.local'],
  rcodes: { 'broken.default.svc.cluster.local': 2, 'refused.default.svc.cluster.local': 5 },
  silent: ['slow.default.svc.cluster.local'],
};

const cases: { name: string; ndots: number; options?: string; deadFirst?: true; search?: string[] }[] = [
  { name: 'web', ndots: 5 },
  { name: 'web.default', ndots: 5 },
  { name: 'web.default.svc.cluster.local.', ndots: 5 },
  { name: 'api.example.com', ndots: 5 },
  { name: 'web', ndots: 1 },
  { name: 'web.default', ndots: 1 },
  { name: 'api.example.com', ndots: 1 },
  { name: 'default', ndots: 5 },
  { name: 'broken', ndots: 5 },
  { name: 'refused', ndots: 5 },
  { name: 'slow', ndots: 5 },
  { name: 'mid', ndots: 5 },
  { name: 'ext', ndots: 5 },
  { name: 'nowhere', ndots: 5 },
  // Options glibc reads and musl ignores.
  { name: 'mid', ndots: 5, options: 'edns0' },
  { name: 'web', ndots: 5, options: 'use-vc' },
  { name: 'api.example.com', ndots: 5, options: 'no-aaaa' },
  // Two nameservers, the first with nobody listening: glibc moves on to the second for every name,
  // musl asks both at once.
  { name: 'web.default', ndots: 5, deadFirst: true },
  // A 386-character search line: glibc walks it, musl does not read it at all.
  {
    name: 'web',
    ndots: 5,
    search: Array.from({ length: 10 }, (_, i) => `d${i}.${'a'.repeat(27)}.example`),
  },
  // Address literals: no query at all.
  { name: '10.96.0.20', ndots: 5 },
  { name: 'fd00::20', ndots: 5 },
];

async function listen(): Promise<ScriptedDnsServer> {
  for (let host = 53; host < 60; host++) {
    try {
      return await startScriptedDnsServer(zone, { host: `127.77.0.${host}`, port: 53 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    }
  }
  throw new Error('no free 127.77.0.x:53');
}

function runIsolated(dir: string, bin: string, name: string): Promise<string> {
  const script =
    `mount --bind ${dir}/resolv.conf /etc/resolv.conf && mount --bind ${dir}/nsswitch.conf /etc/nsswitch.conf` +
    ` && exec ${bin} "$0"`;
  return new Promise((resolve) => {
    execFile('unshare', ['-m', 'sh', '-c', script, name], { timeout: 30_000 }, (_err, stdout, stderr) =>
      resolve((stdout + stderr).trim()),
    );
  });
}

/** Search order of distinct names, and the multiset of `name type transport` sent. */
function shape(queries: { name: string; type: string; transport: string }[]) {
  const names: string[] = [];
  const sent: string[] = [];
  for (const q of queries) {
    const name = q.name.endsWith('.') ? q.name.slice(0, -1) : q.name;
    if (names.at(-1) !== name) names.push(name);
    sent.push(`${name} ${q.type} ${q.transport}`);
  }
  return { names, sent: sent.sort() };
}

interopTest(t, 'glibc and musl models against the real libraries', missing, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'netlab-resolver-interop-'));
  const server = await listen();
  t.teardown(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  writeFileSync(join(dir, 'gai.c'), getaddrinfoSource);
  writeFileSync(join(dir, 'nsswitch.conf'), 'hosts: dns\n');
  const builds: { libc: Libc; compiler: string; args: string[]; skip: string | false }[] = [
    { libc: 'glibc', compiler: 'gcc', args: [], skip: missingCommand('gcc', 'gcc') },
    { libc: 'musl', compiler: 'musl-gcc', args: ['-static'], skip: missingCommand('musl-gcc', 'musl-tools') },
  ];
  for (const b of builds) {
    await interopTest(t, b.libc, b.skip, async (t) => {
      const bin = join(dir, `gai-${b.libc}`);
      execFileSync(b.compiler, [...b.args, '-O1', '-o', bin, join(dir, 'gai.c')]);
      for (const c of cases) {
        const dead = c.deadFirst ? 'nameserver 127.77.1.1\n' : '';
        const search = (c.search ?? ['default.svc.cluster.local', 'svc.cluster.local', 'cluster.local']).join(
          ' ',
        );
        const text = `search ${search}\n${dead}nameserver ${server.address}\noptions ndots:${c.ndots} timeout:1 attempts:2${c.options ? ` ${c.options}` : ''}\n`;
        writeFileSync(join(dir, 'resolv.conf'), text);
        server.received.length = 0;
        const real = await runIsolated(dir, bin, c.name);
        const realSent = shape(server.received);
        // Debian's musl is 1.2.3: no TCP fallback yet.
        const model = await stubResolve(c.name, parseResolvConf(text), { libc: b.libc, muslTcp: false });
        // The scripted server sees only what was sent to it.
        const modelSent = shape(model.trace.filter((q) => q.server === server.address));
        const label = `${b.libc} ndots:${c.ndots}${c.options ? ` ${c.options}` : ''}${c.deadFirst ? ' dead-first' : ''} ${c.name}`;
        t.same(modelSent.names, realSent.names, `${label}: names in order`);
        t.same(modelSent.sent, realSent.sent, `${label}: every query`);
        const modelOutcome = model.error
          ? `error ${model.error.message}`
          : [...model.addresses].sort().join('\n');
        const realOutcome = real.startsWith('error ') ? real : real.split('\n').sort().join('\n');
        t.equal(modelOutcome, realOutcome, `${label}: outcome`);
      }
      // Nothing listens on 127.77.1.1:53: glibc gets ECONNREFUSED and gives up at once, musl times out.
      const text =
        'search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 127.77.1.1\noptions ndots:5 timeout:1 attempts:2\n';
      writeFileSync(join(dir, 'resolv.conf'), text);
      const real = await runIsolated(dir, bin, 'web');
      const model = await stubResolve('web', parseResolvConf(text), { libc: b.libc, muslTcp: false });
      t.equal(model.error ? `error ${model.error.message}` : '', real, `${b.libc} nothing listens: outcome`);
    });
  }
});
