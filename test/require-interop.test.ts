// The interop door (test/index.ts interopTest): a test that cannot run here is skipped with its
// reason, or fails with it when .ci/run sets NETLAB_REQUIRE_INTEROP=1.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';

const door = new URL('./index.ts', import.meta.url).pathname;
const root = new URL('../', import.meta.url).pathname;
// The probe lives in a temporary folder: it names tap by the URL this file resolves it to.
const tap = import.meta.resolve('tap');

function runTap(file: string, env: Record<string, string>): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve) => {
    const { NETLAB_REQUIRE_INTEROP: _, TAP: __, ...base } = process.env;
    execFile(
      process.execPath,
      ['--import=tsx', file],
      { env: { ...base, ...env }, cwd: root },
      (err, stdout) =>
        resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, stdout }),
    );
  });
}

t.test('a missing tool skips, or fails under NETLAB_REQUIRE_INTEROP=1', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'netlab-interop-door-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'probe.test.ts');
  writeFileSync(
    file,
    `import t from ${JSON.stringify(tap)};
import { interopTest, missingExecutable } from ${JSON.stringify(door)};
interopTest(t, 'needs a tool', missingExecutable('/nonexistent/tool', 'some-package'), async (t) => {
  t.pass('ran');
});
interopTest(t, 'needs nothing', false, async (t) => {
  t.pass('ran');
});
`,
  );
  const cases: { env: Record<string, string>; code: number; lines: string[] }[] = [
    {
      env: {},
      code: 0,
      lines: [
        'ok 1 - needs a tool # SKIP no /nonexistent/tool: apt-get install some-package',
        'ok 2 - needs nothing',
      ],
    },
    {
      env: { NETLAB_REQUIRE_INTEROP: '1' },
      code: 1,
      lines: [
        'not ok 1 - no /nonexistent/tool: apt-get install some-package (NETLAB_REQUIRE_INTEROP=1: interop tests may not skip)',
        'ok 2 - needs nothing',
      ],
    },
  ];
  for (const c of cases) {
    const r = await runTap(file, c.env);
    t.equal(r.code, c.code, `exit code with ${JSON.stringify(c.env)}`);
    const top = r.stdout.split('\n').filter((l) => /^\s{4}(not )?ok \d/.test(l) || /^(not )?ok \d/.test(l));
    for (const line of c.lines)
      t.ok(
        top.some((l) => l.trim().startsWith(line)),
        line,
        { stdout: r.stdout },
      );
  }
});
