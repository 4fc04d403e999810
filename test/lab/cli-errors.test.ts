// The error contract of the command line (lab/README.md, "Errors"): a bad input to any command is
// its words on stderr, nothing on stdout, and the exit status of the error's kind, reported in one
// place (lab/run/errors.ts). The commands run in this process, built and run as lab/cli.ts does.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import t from 'tap';
import { runProgram } from '../../lab/run/errors.js';
import { netlabInProcess } from '../index.js';

t.test('a bad input per command: its words on stderr, the exit status of its kind', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'netlab-cli-errors-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const svc = join(dir, 'svc.yaml');
  writeFileSync(svc, 'apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  ports:\n  - port: 80\n');
  const cluster = join(dir, 'cluster.yaml');
  writeFileSync(cluster, 'apiVersion: netlab.dev/v1alpha1\nkind: Cluster\nnodes: many\n');
  const missing = join(dir, 'missing');
  const rows: { args: string[]; code: number; stderr: string }[] = [
    {
      args: ['validate', '-f', svc, '-o', 'xml'],
      code: 1,
      stderr: 'error: -o: Unsupported value: "xml": supported values: "json", "yaml"\n',
    },
    {
      args: ['iptables-save', '-f', `${missing}.yaml`, '--hostname-override', 'n1'],
      code: 1,
      stderr: `error: ${missing}.yaml: the path "${missing}.yaml" does not exist\n`,
    },
    {
      args: ['trace', '-f', svc, '--dst', '10.0.0.1', '--dport', '80'],
      code: 1,
      stderr: "error: required option '--src <ip>' not specified\n",
    },
    {
      args: ['trace', '--live', '--proxy', 'nope'],
      code: 1,
      stderr: 'error: --proxy: Invalid value: "nope": want HOST:PORT\n',
    },
    {
      args: ['dns', 'serve', '-f', svc, '--ttl', '4000'],
      code: 1,
      stderr: 'error: --ttl: "4000" must be an integer between 0 and 3600\n',
    },
    { args: ['dig', 'x', '+bogus'], code: 1, stderr: 'error: +bogus: unknown option\n' },
    // dig's own status for a name it cannot parse.
    { args: ['dig', 'a..b'], code: 10, stderr: "error: 'a..b' is not a legal name (empty label)\n" },
    {
      args: ['resolve', 'web', '--ndots', '16'],
      code: 1,
      stderr: 'netlab resolve: --ndots: invalid value "16": want an integer from 0 to 15\n',
    },
    {
      args: ['cni', 'add', '--conflist', `${missing}.conflist`, '--container-id', 'c1'],
      code: 1,
      stderr: `error reading ${missing}.conflist: open ${missing}.conflist: no such file or directory\n`,
    },
    {
      args: ['cni', 'ip', 'addr'],
      code: 1,
      stderr: 'netlab cni ip addr: give one of --node NAME or --netns PATH\n',
    },
    {
      args: ['up', '-f', cluster, '--once'],
      code: 1,
      stderr: `${cluster}:3: Cluster netlab: nodes: Invalid value: "many": must be a number of nodes or a list of nodes\nerror: nothing applied\n`,
    },
    {
      args: ['up', '--node-loopback', '10.0.0.1', '--once'],
      code: 1,
      stderr: 'error: --node-loopback: Invalid value: "10.0.0.1": must be an IPv4 address in 127.0.0.0/8\n',
    },
    {
      args: ['scenario', 'run', `${missing}.yaml`],
      code: 1,
      stderr: `${missing}.yaml: no such file or built-in scenario\n`,
    },
    {
      args: ['get', 'pods', '--kubeconfig', `${missing}/kubeconfig`],
      code: 1,
      stderr: `error: no kubeconfig at ${missing}/kubeconfig: start a lab with \`netlab up\` (it writes one there), or pass --kubeconfig FILE\n`,
    },
    {
      args: ['resolve', 'web', '--from', 'p', '--kubeconfig', `${missing}/kubeconfig`],
      code: 1,
      stderr: `error: no kubeconfig at ${missing}/kubeconfig: start a lab with \`netlab up\` (it writes one there), or pass --kubeconfig FILE\n`,
    },
  ];
  for (const r of rows) {
    const got = await netlabInProcess(r.args);
    t.same(got, { code: r.code, stdout: '', stderr: r.stderr }, r.args.join(' '));
  }
});

t.test('a bug is no user error: it goes on with its stack', async (t) => {
  const program = new Command('netlab');
  program.command('boom').action(() => {
    throw new TypeError('a bug');
  });
  await t.rejects(runProgram(program, ['boom'], { from: 'user' }), new TypeError('a bug'));
});
