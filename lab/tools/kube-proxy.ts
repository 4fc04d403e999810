// kube-proxy on one node over a store: the node flags resolved against the Nodes the store holds,
// and a Proxier fed by the store's watches (proxy's watchStore, as in a running cluster) up to its
// first, full sync. The store may hold manifests read as informers would (objects.ts) or a real
// cluster's objects; kube-proxy reads both the same way.
import { hostname } from 'node:os';
import {
  describeObject,
  type IPFamily,
  type Node,
  nodeAddresses,
  type WatchableStore,
} from '../../api/index.js';
import {
  clusterCIDRWarning,
  Proxier,
  ProxierConfigError,
  type ProxierOptions,
  parseIPSloppy,
  type SyncResult,
  watchStore,
} from '../../proxy/index.js';
import { storeFromManifests } from './objects.js';

/** kube-proxy's node flags, as the commands take them. */
export interface NodeFlags {
  hostnameOverride?: string;
  nodeIp?: string;
  clusterCidr?: string;
  masqueradeAll?: boolean;
  nodeportAddresses?: string;
  ipFamily?: string;
}

/** What kube-proxy wrote on the node, with the options it ran with and what it would log. */
export interface NodeSync {
  result: SyncResult;
  options: ProxierOptions;
  warnings: string[];
}

function ipFamilyOf(flag: string | undefined): IPFamily {
  const f = (flag ?? 'ipv4').toLowerCase();
  if (f === 'ipv4') return 'IPv4';
  if (f === 'ipv6') return 'IPv6';
  throw new ProxierConfigError(
    '--ip-family',
    `Unsupported value: "${flag}": supported values: "ipv4", "ipv6"`,
  );
}

function splitList(s: string | undefined): string[] {
  return (s ?? '')
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x !== '');
}

/**
 * The proxier options for these flags on a cluster with `nodes`: this node's name (the flag, else
 * the only Node, else the hostname) and its IPs (its Node's addresses, else `--node-ip`). A node
 * name that matches no Node is kept, as kube-proxy keeps it (it still programs every Service, with
 * no node labels for topology), and said in a warning naming the Nodes there are.
 * Throws ProxierConfigError for a bad flag.
 */
export function proxierOptions(
  flags: NodeFlags,
  nodes: readonly Node[],
): { options: ProxierOptions; warnings: string[] } {
  const family = ipFamilyOf(flags.ipFamily);
  const warnings: string[] = [];
  const cidrWarning = clusterCIDRWarning(flags.clusterCidr, family);
  if (cidrWarning !== undefined) warnings.push(cidrWarning);
  const names = nodes.map((n) => n.metadata.name ?? '');
  const nodeName = flags.hostnameOverride ?? (names.length === 1 ? names[0]! : hostname());
  const node = nodes.find((n) => n.metadata.name === nodeName);
  if (!node && names.length > 0) {
    const who =
      flags.hostnameOverride !== undefined
        ? `--hostname-override ${nodeName}`
        : `this node's name, ${nodeName} (the hostname: no --hostname-override),`;
    warnings.push(
      `${who} names no Node (Nodes: ${names.join(', ')}): kube-proxy on an unknown node still programs its rules`,
    );
  }
  const fromNode = node ? nodeAddresses(node) : [];
  const flagIPs = splitList(flags.nodeIp);
  // A bad flag is an error even when the Node object gives the addresses and the flag goes unused.
  for (const ip of flagIPs) {
    if (parseIPSloppy(ip) === null) throw new ProxierConfigError('--node-ip', `invalid IP address "${ip}"`);
  }
  const options: ProxierOptions = {
    nodeName,
    ipFamily: family,
    nodeIPs: fromNode.length > 0 ? fromNode : flagIPs,
    clusterCIDRs: splitList(flags.clusterCidr),
    masqueradeAll: flags.masqueradeAll ?? false,
    nodePortAddresses: splitList(flags.nodeportAddresses),
    minSyncPeriod: 0,
  };
  return { options, warnings };
}

/** Services kube-proxy skips because nothing allocated their cluster IP (read as allocated). */
export function unallocatedServices(store: WatchableStore): string[] {
  const out: string[] = [];
  for (const svc of store.list('Service').items) {
    if ((svc.spec.clusterIP ?? '') === '' && svc.spec.type !== 'ExternalName') {
      out.push(
        `${describeObject(svc)} has no spec.clusterIP: kube-proxy skips it (give it the allocated IP)`,
      );
    }
  }
  return out;
}

/**
 * kube-proxy's first (full) sync on the node `flags` describe: a Proxier fed by the store's
 * watches until its caches are synced, which is when kube-proxy writes its first payload.
 * Throws ProxierConfigError for a bad flag.
 */
export function syncNode(store: WatchableStore, flags: NodeFlags): NodeSync {
  const { options, warnings } = proxierOptions(flags, store.list('Node').items);
  const proxier = new Proxier(options);
  const ac = new AbortController();
  // The initial lists are delivered, and the first sync done, before watchStore first awaits.
  const feed = watchStore(store, proxier, { signal: ac.signal });
  ac.abort();
  proxier.stop();
  void feed;
  const result = proxier.lastSync;
  if (result === null) throw new Error('kube-proxy did not sync after its initial lists');
  return { result, options, warnings };
}

/** `netlab iptables-save -f FILE...`: the payload kube-proxy writes on the node, from manifests. */
export function iptablesSaveManifests(
  files: readonly string[],
  flags: NodeFlags,
): { payload: string; warnings: string[] } {
  const read = storeFromManifests(files);
  const sync = syncNode(read.store, flags);
  return {
    payload: sync.result.payload,
    warnings: [...unallocatedServices(read.store), ...read.warnings, ...sync.warnings],
  };
}
