// The kube-proxy node flags `netlab iptables-save` and `netlab trace` share, as commander takes them.
import type { Command } from 'commander';
import type { NodeFlags } from '../tools/index.js';

/** The node flags and `-f` as commander hands them over. */
export interface NodeCommandFlags extends NodeFlags {
  /** Absent when the objects come from a cluster (--kubeconfig). */
  filename?: string[];
  /** `--node`, the name every netlab command takes: the same as --hostname-override. */
  node?: string;
  kubeconfig?: string;
}

/** The kube-proxy flags with `--node` read as --hostname-override. */
export function nodeFlagsOf(flags: NodeCommandFlags): NodeFlags {
  const { node, ...rest } = flags;
  return node !== undefined && rest.hostnameOverride === undefined
    ? { ...rest, hostnameOverride: node }
    : rest;
}

/**
 * Adds `-f`, `--kubeconfig` and the kube-proxy node flags to a command: the objects come from
 * manifests (-f) or, without -f, from a cluster's API (read-only).
 */
export function addNodeFlags(cmd: Command): Command {
  return cmd
    .option('-f, --filename <files...>', 'manifest files or directories (YAML or JSON; - for stdin)')
    .option(
      '--kubeconfig <file>',
      "read a cluster's Services, EndpointSlices and Nodes instead of -f (default without -f: $KUBECONFIG, else ~/.netlab/kubeconfig)",
    )
    .option('--node <node>', 'the node (the same as --hostname-override)')
    .option(
      '--hostname-override <node>',
      "this node's name (default: the only Node in the manifests, else the hostname)",
    )
    .option(
      '--node-ip <ips>',
      "the node's IPs, comma-separated, when the manifests have no Node of that name",
    )
    .option(
      '--cluster-cidr <cidrs>',
      'pod network CIDR(s), comma-separated: traffic from outside is masqueraded',
    )
    .option('--masquerade-all', 'masquerade all traffic to ClusterIPs')
    .option(
      '--nodeport-addresses <cidrs>',
      'CIDRs (or "primary") of the node addresses that accept NodePorts',
    )
    .option('--ip-family <family>', "ipv4 or ipv6 (default: ipv4; for trace, the packet's family)");
}

/** Each warning on its own stderr line, as kube-proxy logs them. */
export function printWarnings(warnings: readonly string[]): void {
  for (const w of warnings) process.stderr.write(`warning: ${w}\n`);
}
