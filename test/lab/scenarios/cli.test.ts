// `netlab scenario`: list, run with -o json and --report, a failed expect's exit code, a bad file's
// one line. A child process for the run (the process's own: its exit status once the lab is down,
// JSON alone on stdout, the report's line on stderr); list and the bad files in this process
// (netlabInProcess: the same program, its stdout, stderr and exit status).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { netlab, netlabInProcess } from '../../index.js';
import { smallScenario } from './fixture.js';

// A netlab process booting a lab: more than tap's default 120 s on a loaded machine.
t.setTimeout(300_000);

t.test('netlab scenario list names the built-ins', async (t) => {
  const { stdout, stderr, code } = await netlabInProcess(['scenario', 'list']);
  t.equal(code, 0);
  t.equal(stderr, '');
  t.match(stdout, /^load-balancing$/m);
});

t.test('netlab scenario run FILE -o json --report; a failed expect exits 1', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'netlab-scenario-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  // The same scenario with one expect that cannot hold.
  const file = join(dir, 'small.yaml');
  writeFileSync(
    file,
    smallScenario.replace('expect: {errors: 0, responders: 2}', 'expect: {errors: 0, responders: 3}'),
  );
  const report = join(dir, 'small.html');
  const { stdout, stderr, code } = await netlab([
    'scenario',
    'run',
    file,
    '-o',
    'json',
    '--report',
    report,
    '-q',
  ]);
  t.equal(code, 1, 'an expect failed');
  const result = JSON.parse(stdout);
  t.equal(result.passed, false);
  t.strictSame(
    result.steps[1].expects.map((e: { check: string; passed: boolean; expected: string; actual: string }) => [
      e.check,
      e.passed,
      e.expected,
      e.actual,
    ]),
    [
      ['errors', true, '0', '0'],
      ['responders', false, '3', '2'],
    ],
  );
  t.equal(stderr, `report: ${report}\n`);
  const html = readFileSync(report, 'utf8');
  t.match(html, /^<!doctype html>/);
  t.match(html, /Chart\.js v4/, 'chart.js inlined');
  t.notMatch(html, /<script[^>]+src=|<link /, 'nothing loaded from elsewhere');
});

t.test('a bad scenario file is one line naming file, line and field', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'netlab-scenario-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'bad.yaml');
  writeFileSync(
    file,
    'apiVersion: netlab.dev/v1alpha1\nkind: Scenario\nmetadata: {name: bad}\nspec:\n  steps:\n  - wait: {endpoints: web}\n',
  );
  const cases = [
    {
      args: ['scenario', 'run', file],
      stderr: `${file}:6: Scenario bad: spec.steps[0].wait.ready: Required value\n`,
    },
    {
      args: ['scenario', 'run', 'no-such-scenario'],
      stderr: 'no-such-scenario: no such file or built-in scenario\n',
    },
  ];
  for (const c of cases) {
    const r = await netlabInProcess(c.args);
    t.equal(r.code, 1, c.args.join(' '));
    t.equal(r.stderr, c.stderr, c.args.join(' '));
    t.equal(r.stdout, '');
  }
});
