// What the data plane needs from each node's kube-proxy: the node's addresses, its rules as they
// stand on the node, the fast path compiled from them, and the UDP service ports kube-proxy's
// conntrack clean-up reads. `ProxierNodes` serves them from one Proxier per node; a cluster that
// shares kube-proxy state across nodes implements `DataplaneNodes` its own way.
import type { UdpServicePort } from '../conntrack/index.js';
import { FastPath } from '../fastpath/index.js';
import type { Proxier } from '../iptables/index.js';
import { RuleTable, withKubeJumpRules } from '../ruletable/index.js';

export interface DataplaneNode {
  readonly name: string;
  /** InternalIP / ExternalIP addresses: a NodePort's destination and the masquerade source. */
  readonly ips: readonly string[];
  /** The node's tables as they stand (the payload plus kube-proxy's jump rules); undefined before the first sync. */
  rules(): RuleTable | undefined;
  /** The same rules compiled; undefined before the first sync. */
  fastPath(): FastPath | undefined;
  /** Every UDP service port with its serving endpoints, for the stale-UDP clean-up after a sync. */
  udpServicePorts(): readonly UdpServicePort[];
}

export interface DataplaneNodes {
  /** The nodes in a stable order: the n-th gets the n-th entry address. */
  list(): readonly DataplaneNode[];
  get(name: string): DataplaneNode | undefined;
  /**
   * Called after a node's kube-proxy synced (its rules may have changed), with whether a UDP
   * endpoint or service went away (kube-proxy's conntrack clean-up is due); returns an unsubscribe.
   */
  subscribe(listener: (node: string, cleanupUDP: boolean) => void): () => void;
  /**
   * Moves whenever a sync may have changed what any node's rules do to traffic from outside to its
   * NodePorts and LoadBalancer IPs (the entry points look again only then); without it they look
   * after every sync.
   */
  entryGeneration?(): number;
}

interface Entry {
  readonly proxier: Proxier;
  readonly node: DataplaneNode;
  built: { sync: unknown; rules: RuleTable; fast: FastPath } | undefined;
}

/**
 * One Proxier per node. The tables are rebuilt from the proxier's full payload when first asked
 * after a sync (lazily: a node no traffic enters costs nothing).
 */
export class ProxierNodes implements DataplaneNodes {
  readonly #entries = new Map<string, Entry>();
  readonly #order: DataplaneNode[] = [];
  readonly #listeners = new Set<(node: string, cleanupUDP: boolean) => void>();

  add(proxier: Proxier, ips: readonly string[]): DataplaneNode {
    const build = (e: Entry) => {
      const sync = proxier.lastSync;
      if (sync === null) return undefined;
      if (e.built?.sync !== sync) {
        const rules = withKubeJumpRules(RuleTable.parse(proxier.fullPayload(), proxier.nodeName));
        e.built = { sync, rules, fast: new FastPath(rules, ips) };
      }
      return e.built;
    };
    const node: DataplaneNode = {
      name: proxier.nodeName,
      ips,
      rules: () => build(entry)?.rules,
      fastPath: () => build(entry)?.fast,
      udpServicePorts: () => proxier.udpServicePorts(),
    };
    const entry: Entry = { proxier, node, built: undefined };
    this.#entries.set(proxier.nodeName, entry);
    this.#order.push(node);
    return node;
  }

  /** Tells subscribers that `node`'s kube-proxy synced (wire it to the proxier's `onSync`). */
  synced(node: string, cleanupUDP = false): void {
    for (const l of this.#listeners) l(node, cleanupUDP);
  }

  list(): readonly DataplaneNode[] {
    return this.#order;
  }

  get(name: string): DataplaneNode | undefined {
    return this.#entries.get(name)?.node;
  }

  subscribe(listener: (node: string, cleanupUDP: boolean) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}
