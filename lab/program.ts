// The `netlab` program: each area registers its own subcommands from lab/commands/, loaded on demand.
import { readFileSync } from 'node:fs';
import { Command } from 'commander';

type Register = (program: Command) => void;

/**
 * Each area's commands, by the top-level names they register. A command line loads only the module
 * of the command it names: importing every area (the kube-API client, the scenario reports, the whole
 * lab) costs several times Node's own start-up, which `netlab dig` should not pay. Help, a bare
 * `netlab` and names not listed here load them all (test/lab/cli.test.ts keeps this list complete).
 */
export const commandModules: readonly { names: readonly string[]; load: () => Promise<Register> }[] = [
  { names: ['up'], load: async () => (await import('./commands/up.js')).registerUp },
  { names: ['validate'], load: async () => (await import('./commands/validate.js')).registerValidate },
  { names: ['cni'], load: async () => (await import('./commands/cni.js')).registerCni },
  {
    names: ['iptables-save'],
    load: async () => (await import('./commands/iptables-save.js')).registerIptablesSave,
  },
  { names: ['trace'], load: async () => (await import('./commands/trace.js')).registerTrace },
  { names: ['dns', 'dig'], load: async () => (await import('./commands/dns.js')).registerDns },
  { names: ['resolve'], load: async () => (await import('./commands/resolve.js')).registerResolve },
  {
    names: ['get', 'apply', 'delete', 'scale', 'rollout', 'logs', 'conntrack', 'ip', 'curl', 'describe'],
    load: async () => (await import('./commands/client.js')).registerClient,
  },
  { names: ['scenario'], load: async () => (await import('./commands/scenario.js')).registerScenario },
];

// Built: dist/lab/cli.js; from source (tsx): lab/cli.ts. Either way package.json is the first one up.
function packageVersion(): string {
  for (const rel of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as {
        name?: string;
        version: string;
      };
      if (pkg.name === 'kube-netlab') return pkg.version;
    } catch {}
  }
  return 'unknown';
}

/** Each command's usage error ends with the help command for that very command. */
function hintAt(cmd: Command, path: string): void {
  cmd.showHelpAfterError(`(see '${path} --help')`);
  for (const sub of cmd.commands) hintAt(sub, `${path} ${sub.name()}`);
}

/** The program with the commands `argv` (process.argv) needs; all of them when it names none known. */
export async function buildProgram(argv: readonly string[] = []): Promise<Command> {
  const version = `kube-netlab ${packageVersion()} (node ${process.version})`;
  const program = new Command('netlab')
    .description('kube-netlab: a Kubernetes networking-layer emulator (CNI, kube-proxy, cluster DNS)')
    .version(version, '-V, --version', 'print the version')
    // A usage error is its own line and a hint, as kubectl prints it, not the whole help.
    .showHelpAfterError('(run with --help for usage)');
  program
    .command('version')
    .description('print the version')
    .action(() => {
      process.stdout.write(`${version}\n`);
    });
  const named = argv[2];
  const only = commandModules.filter((m) => named !== undefined && m.names.includes(named));
  const modules =
    only.length > 0 || named === 'version' || named === '-V' || named === '--version' ? only : commandModules;
  for (const register of await Promise.all(modules.map((m) => m.load()))) register(program);
  hintAt(program, 'netlab');
  return program;
}
