// kube-controller-manager's node IPAM controller (nodeipam, range allocator) over the store: it gives
// every Node its podCIDRs from ipam's PodCIDRAllocator and frees them when the Node goes.
import type { Node, Store } from '../../api/index.js';
import type { PodCIDRAllocator } from '../../ipam/index.js';

/**
 * kube-controller-manager's node IPAM controller (range allocator): Nodes that already have podCIDRs
 * keep them (marked used first, as at controller start), the others get the next block of each
 * cluster CIDR written to spec.podCIDR/podCIDRs; a deleted Node releases its blocks.
 */
export async function runNodeIpamController(
  store: Store,
  allocator: PodCIDRAllocator,
  signal: AbortSignal,
  log: (line: string) => void,
): Promise<void> {
  const assign = (node: Node) => {
    const name = node.metadata.name ?? '';
    const existing = node.spec?.podCIDRs ?? (node.spec?.podCIDR ? [node.spec.podCIDR] : []);
    try {
      const cidrs = allocator.allocateOrOccupy(name, existing);
      if (existing.length === 0) {
        store.update({ ...node, spec: { ...node.spec, podCIDR: cidrs[0]!, podCIDRs: cidrs } });
      }
    } catch (e) {
      // kube-controller-manager records a CIDRNotAvailable event and leaves the Node without one.
      log(`node-ipam-controller: Node ${name}: ${(e as Error).message}`);
    }
  };
  const initial = store.list('Node');
  for (const n of initial.items) if (n.spec?.podCIDRs?.length || n.spec?.podCIDR) assign(n);
  for (const n of initial.items) if (!(n.spec?.podCIDRs?.length || n.spec?.podCIDR)) assign(n);
  try {
    for await (const ev of store.watch('Node', { signal, resourceVersion: store.resourceVersion })) {
      if (ev.type === 'DELETED') allocator.release(ev.object.metadata.name ?? '');
      else if (ev.type === 'ADDED' || ev.type === 'MODIFIED') {
        // The event may be older than the stored Node (a Conflict on update): act on the stored one.
        const current = store.find('Node', ev.object.metadata.name ?? '', '');
        if (current) assign(current);
      }
    }
  } catch (e) {
    if (!signal.aborted) throw e;
  }
}
