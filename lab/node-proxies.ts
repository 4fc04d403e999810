// kube-proxy runs on every Node, including Nodes that join after boot: the cluster's shared
// kube-proxy state gains a node when its Node appears and loses it when the Node is deleted, in the
// same watch that feeds it Services and EndpointSlices (so a Node's labels reach a node that exists).
import { type Node, nodeAddresses } from '../api/index.js';
import type { ClusterProxier, NodeProxy, watchStore } from '../proxy/index.js';

type ProxierHandlers = Parameters<typeof watchStore>[1];

/**
 * Handlers for `watchStore` that forward to `kubeProxy` and, on Node events, add or remove that
 * node's kube-proxy first (`proxiers` is kept as the cluster's node -> NodeProxy map). A Node whose
 * addresses change gets its kube-proxy anew (a full sync), as a restarted kube-proxy would.
 */
export function followNodes(
  kubeProxy: ClusterProxier,
  proxiers: Map<string, NodeProxy>,
  log: (line: string) => void,
): ProxierHandlers {
  const add = (node: Node) => {
    const name = node.metadata.name ?? '';
    if (proxiers.has(name)) return;
    try {
      proxiers.set(name, kubeProxy.addNode(name, nodeAddresses(node)));
    } catch (e) {
      // A Node address kube-proxy cannot use: that node runs no kube-proxy, as one that fails to start.
      log(`kube-proxy: Node ${name}: ${(e as Error).message}`);
    }
  };
  const remove = (name: string) => {
    if (!proxiers.delete(name)) return;
    kubeProxy.removeNode(name);
  };
  return {
    onServiceAdd: (s) => kubeProxy.onServiceAdd(s),
    onServiceUpdate: (p, c) => kubeProxy.onServiceUpdate(p, c),
    onServiceDelete: (s) => kubeProxy.onServiceDelete(s),
    onServicesSynced: () => kubeProxy.onServicesSynced(),
    onEndpointSliceAdd: (s) => kubeProxy.onEndpointSliceAdd(s),
    onEndpointSliceUpdate: (p, c) => kubeProxy.onEndpointSliceUpdate(p, c),
    onEndpointSliceDelete: (s) => kubeProxy.onEndpointSliceDelete(s),
    onEndpointSlicesSynced: () => kubeProxy.onEndpointSlicesSynced(),
    onNodeAdd: (n) => {
      add(n);
      kubeProxy.onNodeAdd(n);
    },
    onNodeUpdate: (p, n) => {
      const before = p ? nodeAddresses(p).join(',') : undefined;
      if (before !== undefined && before !== nodeAddresses(n).join(',')) remove(n.metadata.name ?? '');
      add(n);
      kubeProxy.onNodeUpdate(p, n);
    },
    onNodeDelete: (n) => {
      kubeProxy.onNodeDelete(n);
      remove(n.metadata.name ?? '');
      // The node's NodePort listeners go with it at the next sync.
      kubeProxy.requestSync();
    },
  };
}
