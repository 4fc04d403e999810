// Which of a Node's status.addresses are its IPs, in one place for every reader: kube-proxy (the
// primary node IP, NodePort addresses, "is this packet for the node") and the tools that trace
// what kube-proxy wrote.
import type { Node } from './types.js';

/**
 * The Node's InternalIPs, then its ExternalIPs, each in the order listed, as
 * component-helpers' GetNodeHostIPs ranks them: the first of a family is the node's primary IP of
 * that family. Hostnames and DNS names are not addresses.
 */
export function nodeAddresses(node: Node): string[] {
  const addrs = node.status?.addresses ?? [];
  return [
    ...addrs.filter((a) => a.type === 'InternalIP').map((a) => a.address),
    ...addrs.filter((a) => a.type === 'ExternalIP').map((a) => a.address),
  ];
}
