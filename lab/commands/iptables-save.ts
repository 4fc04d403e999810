import type { Command } from 'commander';
import { iptablesSaveManifests } from '../tools/index.js';
import { addNodeFlags, type NodeCommandFlags, printWarnings, reportUserError } from './node-flags.js';

/**
 * `netlab iptables-save -f FILE... [node flags]`: the restore payload kube-proxy (iptables mode)
 * writes on that node for those objects: filter, then nat, as its first (full) sync.
 */
export function registerIptablesSave(program: Command): void {
  addNodeFlags(
    program
      .command('iptables-save')
      .description('print the iptables-restore payload kube-proxy writes for a node (filter, then nat)'),
  ).action((flags: NodeCommandFlags) => {
    try {
      const r = iptablesSaveManifests(flags.filename, flags);
      printWarnings(r.warnings);
      process.stdout.write(r.payload);
    } catch (e) {
      reportUserError(e);
    }
  });
}
