#!/usr/bin/env node
// The `netlab` command line. Each area registers its own subcommands from lab/commands/.
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { registerCni } from './commands/cni.js';
import { registerDns } from './commands/dns.js';
import { registerIptablesSave } from './commands/iptables-save.js';
import { registerResolve } from './commands/resolve.js';
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

export function buildProgram(): Command {
  const program = new Command('netlab')
    .description('kube-netlab: a Kubernetes networking-layer emulator (CNI, kube-proxy, cluster DNS)')
    .showHelpAfterError();
  program
    .command('version')
    .description('print the version')
    .action(() => {
      process.stdout.write(`kube-netlab ${packageVersion()} (node ${process.version})\n`);
    });
  registerUp(program);
  registerValidate(program);
  registerCni(program);
  registerIptablesSave(program);
  registerTrace(program);
  registerDns(program);
  registerResolve(program);
  return program;
}

await buildProgram().parseAsync(process.argv);
