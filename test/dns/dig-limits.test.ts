// What `netlab dig` refuses before it sends anything (bind's dns_name_fromtext reasons, exit 10),
// and how it reports a server that refuses (connection refused over UDP and TCP, exit 9).
import { createServer } from 'node:net';
import t from 'tap';
import { DigNameError } from '../../dns/errors.js';
import { dig, digNameProblem } from '../../dns/server/dig.js';
import { netlab } from '../index.js';

const a = (n: number) => 'a'.repeat(n);

// [name, why dig refuses it (undefined: legal)]
const names: [string, string | undefined][] = [
  ['web.default.svc.cluster.local', undefined],
  ['web.default.svc.cluster.local.', undefined],
  ['.', undefined],
  [`${a(63)}.x`, undefined],
  [`${a(64)}.x`, 'label too long'],
  [`x.${a(64)}`, 'label too long'],
  // 63+63+63+61 and three dots: 253 characters, 255 bytes on the wire.
  [`${a(63)}.${a(63)}.${a(63)}.${a(61)}`, undefined],
  [`${a(63)}.${a(63)}.${a(63)}.${a(61)}.`, undefined],
  [`${a(63)}.${a(63)}.${a(63)}.${a(62)}`, 'ran out of space'],
  [`${a(63)}.${a(63)}.${a(63)}.${a(63)}`, 'ran out of space'],
  [`${a(60)}.${a(60)}.${a(60)}.${a(60)}.${a(60)}.`, 'ran out of space'],
  // An escaped dot is one byte of a label, not a separator.
  [`${a(62)}\\.x`, 'label too long'],
  [`${a(61)}\\046x`, undefined],
  ['a..b', 'empty label'],
  ['.a', 'empty label'],
  ['a..', 'empty label'],
  ['..', 'empty label'],
  ['', 'unexpected end of input'],
];

t.test('names dig refuses, in its words', async (t) => {
  for (const [name, why] of names) t.equal(digNameProblem(name), why, JSON.stringify(name));
});

t.test('dig() throws DigNameError with exit status 10; nothing is sent', async (t) => {
  const err = await dig(`${a(64)}.x`, 1, { server: { host: '127.0.0.1', port: 9 } }).catch((e: unknown) => e);
  t.ok(err instanceof DigNameError);
  t.same(
    [(err as DigNameError).code, (err as DigNameError).exitCode, (err as DigNameError).message],
    ['NETLAB_DNS_DIG_NAME', 10, `'${a(64)}.x' is not a legal name (label too long)`],
  );
});

/** A loopback port nothing listens on (TCP and UDP alike): bound, then closed. */
async function closedPort(host: string): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, host, resolve));
  const { port } = srv.address() as { port: number };
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

t.test('netlab dig: refused names exit 10, a refused connection says so', async (t) => {
  const host = `127.${1 + Math.floor(Math.random() * 250)}.${1 + Math.floor(Math.random() * 250)}.1`;
  const port = await closedPort(host);
  const cases: { args: string[]; code: number; stdout: string; stderr: string }[] = [
    {
      args: ['dig', `${a(64)}.example.com`],
      code: 10,
      stdout: '',
      stderr: `error: '${a(64)}.example.com' is not a legal name (label too long)\n`,
    },
    {
      args: ['dig', `${a(63)}.${a(63)}.${a(63)}.${a(62)}`],
      code: 10,
      stdout: '',
      stderr: `error: '${a(63)}.${a(63)}.${a(63)}.${a(62)}' is not a legal name (ran out of space)\n`,
    },
    {
      args: ['dig', 'a..b', 'SRV'],
      code: 10,
      stdout: '',
      stderr: `error: 'a..b' is not a legal name (empty label)\n`,
    },
    {
      args: ['dig', 'web.example', `@${host}:${port}`],
      code: 9,
      stdout: `;; communications error to ${host}#${port}: connection refused

; <<>> netlab dig <<>> @${host}:${port} web.example A
; (1 server found)
;; global options: +cmd
;; no servers could be reached
`,
      stderr: '',
    },
    {
      args: ['dig', 'web.example', `@${host}:${port}`, '+tcp'],
      code: 9,
      stdout: `;; Connection to ${host}#${port}(${host}) for web.example failed: connection refused.
;; no servers could be reached
`,
      stderr: '',
    },
  ];
  for (const c of cases) {
    const r = await netlab(c.args);
    t.same([r.code, r.stdout, r.stderr], [c.code, c.stdout, c.stderr], c.args.join(' '));
  }
});
