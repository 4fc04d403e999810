// `netlab up` (what `npm start` runs): boots the lab from cluster.yaml and manifests (the embedded
// default without them), says `netlab ready` with what it serves, and serves until a signal.

import { homedir } from 'node:os';
import { join } from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { parseHostPort } from '../../dns/index.js';
import { NetlabError } from '../../std/index.js';
import { readLabInputs } from '../config/inputs.js';
import { parseWorkloadSpec, type WorkloadSpec, WorkloadSpecError } from '../config/workload.js';
import { Lab } from '../run/lab.js';
import { progressFor } from '../run/progress.js';
import { stopOnSignals } from '../run/signals.js';
import { countOption } from './options.js';

interface UpFlags {
  filename?: string[];
  dnsListen?: string;
  nodes?: number;
  workload?: WorkloadSpec;
  once?: boolean;
  timeout: number;
  apiListen?: string;
  apiToken?: string;
  proxyListen?: string;
  nodeLoopback?: string;
  kubeconfig: string;
}

/** Where `netlab up` writes its kubeconfig unless told: netlab's client commands look there too. */
export function defaultKubeconfig(): string {
  return join(homedir(), '.netlab', 'kubeconfig');
}

/** A flag of `netlab up` with a value it cannot use. */
export class UpFlagError extends NetlabError {
  override readonly name = 'UpFlagError';
  readonly code = 'NETLAB_LAB_UP_FLAG';
}

/** --node-loopback: an IPv4 address in 127.0.0.0/8. */
function loopbackOption(value: string): string {
  if (!/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(value) || value.split('.').some((o) => Number(o) > 255)) {
    throw new UpFlagError(
      `--node-loopback: Invalid value: "${value}": must be an IPv4 address in 127.0.0.0/8`,
    );
  }
  return value;
}

/** Registers this area's subcommands on the `netlab` program. */
export function registerUp(program: Command): void {
  program
    .command('up')
    .description(
      'boot the lab from cluster.yaml and manifests (without them: 3 nodes, CoreDNS, web and db) and serve until Ctrl-C',
    )
    .option('-f, --filename <file...>', 'cluster.yaml (kind: Cluster) and manifest files or directories')
    .option(
      '--dns-listen <ip:port>',
      'where cluster DNS listens (UDP and TCP); default from cluster.yaml, 127.0.0.1:10053',
    )
    .option('--nodes <n>', 'number of nodes (overrides cluster.yaml)', countOption('--nodes', 1, 5000))
    .option(
      '--workload <spec>',
      'a generated workload, services=N,pods=M: N Services each selecting a Deployment of agnhost pods (no real sockets)',
      (value: string) => {
        try {
          return parseWorkloadSpec(value);
        } catch (e) {
          if (e instanceof WorkloadSpecError) throw new InvalidArgumentError(e.message);
          throw e;
        }
      },
    )
    .option(
      '--timeout <seconds>',
      'how long to wait for every Pod to be Ready',
      countOption('--timeout', 0, 86400),
      120,
    )
    .option(
      '--api-listen <ip:port>',
      'where the kube-API listens (kubectl, client-go); default from cluster.yaml, 127.0.0.1:6443',
    )
    .option(
      '--proxy-listen <ip:port>',
      'where the HTTP forward proxy into the cluster listens; default from cluster.yaml, 127.0.0.1:8080',
    )
    .option(
      '--node-loopback <ip>',
      "the first node's loopback address, where its NodePorts listen (node n: the n-th address from it); default from cluster.yaml, 127.0.10.1",
    )
    .option('--api-token <token>', 'bearer token the kube-API requires (needed off loopback)')
    .option('--kubeconfig <file>', 'where to write the kubeconfig (context netlab)', defaultKubeconfig())
    .option('--once', 'boot, print the ready block, then stop')
    .action(async (flags: UpFlags) => {
      const progress = progressFor(process.stderr);
      let lab: Lab;
      try {
        const inputs = readLabInputs(flags.filename ?? [], { nodes: flags.nodes, workload: flags.workload });
        lab = await Lab.start({
          inputs,
          progress,
          readyTimeoutMs: flags.timeout * 1000,
          // A --once run stops right away: nobody could reach its API.
          api: flags.once
            ? false
            : {
                ...(flags.apiListen !== undefined
                  ? parseHostPort('--api-listen', flags.apiListen, 6443)
                  : {}),
                token: flags.apiToken,
              },
          kubeconfig: flags.kubeconfig,
          ...(flags.dnsListen !== undefined
            ? { dnsListen: parseHostPort('--dns-listen', flags.dnsListen, 10053) }
            : {}),
          ...(flags.proxyListen !== undefined
            ? { proxyListen: parseHostPort('--proxy-listen', flags.proxyListen, 8080) }
            : {}),
          ...(flags.nodeLoopback !== undefined ? { nodeLoopback: loopbackOption(flags.nodeLoopback) } : {}),
        });
      } catch (e) {
        progress.stop();
        throw e;
      }
      progress.stop();
      // A scale run may leave thousands not Ready: the first ones, then how many more.
      const shown = 20;
      for (const p of lab.notReady.slice(0, shown)) process.stderr.write(`warning: ${p} is not Ready\n`);
      if (lab.notReady.length > shown)
        process.stderr.write(`warning: and ${lab.notReady.length - shown} more not Ready\n`);
      for (const line of lab.cluster.log) process.stderr.write(`${line}\n`);
      process.stdout.write(lab.readyBlock());
      if (flags.once) {
        await lab.stop();
        return;
      }
      stopOnSignals(process, () => lab.stop(), {
        stdout: (text) => process.stdout.write(text),
        stderr: (text) => process.stderr.write(text),
      });
    });
}
