import type { Command } from 'commander';
import { TraceInputError } from '../../proxy/index.js';
import { KubeClient, traceCluster } from '../client/index.js';
import { type PacketFlags, traceManifests } from '../tools/index.js';
import { addNodeFlags, type NodeCommandFlags, nodeFlagsOf, printWarnings } from './node-flags.js';
import { type LiveFlags, traceLive } from './trace-live.js';

/** The flags of `netlab trace -f` as commander hands them over. */
export interface TraceFlags extends NodeCommandFlags, PacketFlags {
  filename: string[];
}

/**
 * `netlab trace -f FILE... --src IP --dst IP --dport PORT [--proto P] [node flags] [-o json]`: the
 * rules kube-proxy writes on that node (as `netlab iptables-save` prints them), and what they do to
 * one packet as the kernel walks it (hooks per origin; `--semantics kube-proxy-test` for kube-proxy's
 * own test tracer): every rule matched, every possible endpoint (or DROP / REJECT / ACCEPT) and
 * whether the packet is masqueraded. `--pick` adds the one endpoint the kernel would choose
 * (statistic match with a seeded PRNG). Without -f the objects are a cluster's (`--kubeconfig`, else
 * $KUBECONFIG, else the lab's), read-only.
 */
export function registerTrace(program: Command): void {
  const cmd = addNodeFlags(
    program
      .command('trace')
      .description(
        'walk a packet through the rules kube-proxy writes for a node: matched rules, endpoints, masquerade',
      )
      .option('--src <ip>', 'source IP of the packet (required unless --live)')
      .option('--dst <ip>', 'destination IP of the packet (required unless --live)')
      .option('--dport <port>', 'destination port (required unless --live)')
      .option('--proto <proto>', 'tcp, udp or sctp', 'tcp')
      .option('-o, --output <format>', 'json for {"endpoints", "verdict", "masquerade", "rules"}')
      .option(
        '--pick',
        "also pick one endpoint as the kernel would (seeded statistic match), and show each endpoint's share",
      )
      .option('--seed <n>', 'PRNG seed for --pick', '1')
      .option(
        '--semantics <s>',
        "kernel (the hooks the kernel runs for the packet's origin) or kube-proxy-test (kube-proxy's test tracer)",
        'kernel',
      )
      .option('--live', "a running lab's new connections, one line each, until interrupted")
      .option('--proxy <host:port>', "the running lab's forward proxy, for --live", '127.0.0.1:8080'),
  );
  cmd.action(async (flags: NodeCommandFlags & PacketFlags & LiveFlags) => {
    if (flags.live === true) {
      await traceLive(flags);
      return;
    }
    for (const [name, v] of [
      ['--src <ip>', flags.src],
      ['--dst <ip>', flags.dst],
      ['--dport <port>', flags.dport],
    ] as const) {
      if (v === undefined) throw new TraceInputError(`required option '${name}' not specified`);
    }
    const packetFlags = { ...flags, ...nodeFlagsOf(flags) };
    const r = flags.filename?.length
      ? traceManifests(flags.filename, packetFlags)
      : await traceCluster(await KubeClient.load(flags.kubeconfig), packetFlags);
    printWarnings(r.warnings);
    process.stdout.write(r.output);
  });
}
