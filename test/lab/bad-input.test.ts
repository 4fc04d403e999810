// Bad manifest input ends every command the same way: one line naming the file and line, exit 1,
// no stack trace, nothing served. Every command reads manifests through api's readManifestFiles.
// From a file the commands run in this process (netlabInProcess); from stdin in a child process,
// whose stdin it is.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { netlab, netlabInProcess } from '../index.js';

const bomb = [
  'apiVersion: v1',
  'kind: ConfigMap',
  'metadata: {name: lol}',
  'data:',
  '  a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]',
  '  b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]',
  '  c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]',
  '  d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]',
  '  e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]',
  '  f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]',
  '',
].join('\n');

t.test('a YAML alias bomb: one line in every command, from a file and on stdin', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'netlab-bad-input-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'bomb.yaml');
  writeFileSync(file, bomb);
  const line = 'error parsing YAML: document contains excessive aliasing (more than 100 alias expansions)';
  const commands: { args: string[]; stderr: (f: string) => string }[] = [
    { args: ['validate'], stderr: (f) => `${f}:6: ${line}\nerror: 1 error; nothing applied\n` },
    { args: ['iptables-save', '--hostname-override', 'n1'], stderr: (f) => `error: ${f}:6: ${line}\n` },
    {
      args: [
        'trace',
        '--hostname-override',
        'n1',
        '--src',
        '10.0.0.1',
        '--dst',
        '10.96.0.1',
        '--dport',
        '80',
      ],
      stderr: (f) => `error: ${f}:6: ${line}\n`,
    },
    { args: ['dns', 'serve', '--listen', '127.0.0.1:0'], stderr: (f) => `error: ${f}:6: ${line}\n` },
  ];
  for (const c of commands) {
    for (const [source, f, input] of [
      ['file', file, undefined],
      ['stdin', '-', bomb],
    ] as const) {
      const r =
        input === undefined
          ? await netlabInProcess([...c.args, '-f', f])
          : await netlab([...c.args, '-f', f], { input });
      const shown = source === 'stdin' ? '<stdin>' : file;
      t.same(
        { code: r.code, stderr: r.stderr, stdout: r.stdout },
        { code: 1, stderr: c.stderr(shown), stdout: '' },
        `${c.args[0]} ${source}`,
      );
    }
  }
});

t.test('-f /dev/zero stops at the input limit with one line', async (t) => {
  const r = await netlabInProcess(['iptables-save', '--hostname-override', 'n1', '-f', '/dev/zero']);
  t.same(
    { code: r.code, stderr: r.stderr },
    {
      code: 1,
      stderr:
        'error: /dev/zero: the input is larger than 67108864 bytes (64 MiB), the most netlab reads from one manifest\n',
    },
  );
});
