import type { Command } from 'commander';
import { iptablesSaveCluster, KubeClient } from '../client/index.js';
import { iptablesSaveManifests } from '../tools/index.js';
import { addNodeFlags, type NodeCommandFlags, nodeFlagsOf, printWarnings } from './node-flags.js';

/**
 * `netlab iptables-save -f FILE... [node flags]`: the restore payload kube-proxy (iptables mode)
 * writes on that node for those objects: filter, then nat, as its first (full) sync. Without -f,
 * the objects are a cluster's (`--kubeconfig`, else $KUBECONFIG, else the lab's), read-only.
 */
export function registerIptablesSave(program: Command): void {
  addNodeFlags(
    program
      .command('iptables-save')
      .description(
        'print the iptables-restore payload kube-proxy writes for a node (filter, then nat), from manifests or a cluster',
      ),
  ).action(async (flags: NodeCommandFlags) => {
    const nodeFlags = nodeFlagsOf(flags);
    const r = flags.filename?.length
      ? iptablesSaveManifests(flags.filename, nodeFlags)
      : await iptablesSaveCluster(await KubeClient.load(flags.kubeconfig), nodeFlags);
    printWarnings(r.warnings);
    process.stdout.write(r.payload);
  });
}
