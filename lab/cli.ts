#!/usr/bin/env node
// The `netlab` command line. Each area registers its own subcommands from lab/commands/.
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { registerClient } from './commands/client.js';
import { registerCni } from './commands/cni.js';
import { registerDns } from './commands/dns.js';
import { registerIptablesSave } from './commands/iptables-save.js';
import { registerResolve } from './commands/resolve.js';
import { registerScenario } from './commands/scenario.js';
import { registerTrace } from './commands/trace.js';
import { registerUp } from './commands/up.js';
import { registerValidate } from './commands/validate.js';

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

export function buildProgram(): Command {
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
  registerUp(program);
  registerValidate(program);
  registerCni(program);
  registerIptablesSave(program);
  registerTrace(program);
  registerDns(program);
  registerResolve(program);
  registerClient(program);
  registerScenario(program);
  hintAt(program, 'netlab');
  return program;
}

await buildProgram().parseAsync(process.argv);
