import type { Command } from 'commander';
import { addNodeFlags, loadProxyInput, type NodeFlags, proxierFor, reportUserError } from './proxy-input.js';

/**
 * `netlab iptables-save -f FILE... [node flags]`: the restore payload kube-proxy (iptables mode)
 * writes on that node for those objects: filter, then nat, as its first (full) sync.
 */
export function registerIptablesSave(program: Command): void {
  addNodeFlags(
    program
      .command('iptables-save')
      .description('print the iptables-restore payload kube-proxy writes for a node (filter, then nat)'),
  ).action((flags: NodeFlags) => {
    try {
      const input = loadProxyInput(flags);
      for (const w of input.warnings) process.stderr.write(`warning: ${w}\n`);
      const result = proxierFor(input).syncProxyRules();
      process.stdout.write(result.payload);
    } catch (e) {
      reportUserError(e);
    }
  });
}
