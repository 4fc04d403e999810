// The virtual flat network that CNI plugins build: per node an uplink `eth0` holding the node IPs and
// a bridge (`cni0`) holding the gateway of each podCIDR; per pod attachment a veth pair (host end on
// the bridge, container end in the pod's netns). Cross-node reachability is flannel host-gw: every
// node routes each other node's podCIDR via that node's IP. One map from address text to owner makes
// lookup O(1) for the data path.
import { hash } from 'node:crypto';
import {
  DisjointPrefixes,
  type Family,
  familyOf,
  ipText,
  linkLocalFromMAC,
  overlaps,
  type Prefix,
  parsePrefix,
  canonicalIP as toCanonical,
} from './address.js';
import { FabricError } from './errors.js';

export interface NodeSpec {
  name: string;
  /** `ip` or `ip/len`; a bare address gets /24 (IPv4) or /64 (IPv6), the node network's length. */
  nodeIPs: readonly string[];
  /** Network form, as node.spec.podCIDRs. */
  podCIDRs: readonly string[];
  /** The bridge's name; `cni0` unless given. */
  bridge?: string;
}

export interface Link {
  name: string;
  mac: string;
  ifindex: number;
  /** `address/len`, in the order they were added. */
  addresses: string[];
}

export interface FabricNode {
  readonly name: string;
  readonly nodeIPs: readonly Prefix[];
  readonly podCIDRs: readonly Prefix[];
  readonly uplink: Link;
  readonly bridge: Link;
  /** The next host interface index (lo 1, eth0 2, the bridge 3, veths from 4, never reused). */
  nextIfindex: number;
}

export interface AttachmentIP {
  /** `address/len` as in a CNI result. */
  address: string;
  gateway?: string;
}

export interface AttachmentRoute {
  dst: string;
  gw?: string;
}

/** A pod's interface on the flat network: what CNI_CONTAINERID + CNI_IFNAME name. */
export interface PodAttachment {
  readonly network: string;
  readonly containerID: string;
  readonly ifname: string;
  readonly netns: string;
  readonly node: string;
  readonly mac: string;
  /** Index of the container end inside the netns (lo is 1). */
  readonly ifindex: number;
  readonly hostVeth: Readonly<Link>;
  readonly ips: readonly AttachmentIP[];
  readonly routes: readonly AttachmentRoute[];
}

export interface AttachRequest {
  network: string;
  containerID: string;
  ifname: string;
  netns: string;
  ips: readonly AttachmentIP[];
  routes?: readonly AttachmentRoute[];
}

export type FabricEndpoint =
  | { kind: 'pod'; node: FabricNode; attachment: PodAttachment }
  | { kind: 'node'; node: FabricNode; interface: string };

/** A route as `ip route` shows it; rendering is in render.ts. */
export interface FabricRoute {
  family: Family;
  /** Network form `net/len`; `default` for /0. */
  dst: string;
  dstLength: number;
  dstValue: bigint;
  via?: string;
  dev: string;
  /** Connected routes the kernel adds for an interface address. */
  kernel: boolean;
  src?: string;
  /** Interface index of `dev`, to order equal prefixes the way the kernel lists them. */
  ifindex: number;
}

export interface FabricState {
  kind: 'netlabFabricV1';
  nodes: {
    name: string;
    nodeIPs: string[];
    podCIDRs: string[];
    uplink: Link;
    bridge: Link;
    nextIfindex: number;
  }[];
  sandboxes: { netns: string; loopback: boolean; nextIfindex: number }[];
  attachments: PodAttachment[];
}

const defaultLength = (f: Family) => (f === 4 ? 24 : 64);
const attachmentKey = (containerID: string, ifname: string) => `${containerID}\u0000${ifname}`;

/** A locally administered unicast MAC derived from a name: deterministic, like everything here. */
export function macFor(seed: string): string {
  // The first 6 bytes of sha256(seed), the first with the multicast bit cleared and the local bit set.
  const h = hash('sha256', seed);
  const first = ((Number.parseInt(h.slice(0, 2), 16) & 0xfe) | 0x02).toString(16).padStart(2, '0');
  return `${first}:${h.slice(2, 4)}:${h.slice(4, 6)}:${h.slice(6, 8)}:${h.slice(8, 10)}:${h.slice(10, 12)}`;
}

/** The host end's name, `veth` + 8 hex digits as the bridge plugin names it (there: random). */
export function hostVethName(network: string, containerID: string, ifname: string): string {
  return `veth${hash('sha256', `${network}/${containerID}/${ifname}`).slice(0, 8)}`;
}

interface Sandbox {
  loopback: boolean;
  nextIfindex: number;
}

/**
 * One change to a fabric, as made: another copy of the fabric that applies the same changes in the
 * same order holds the same state (the lab's CNI thread sends them to the fabric the data path reads).
 */
export type FabricChange =
  | { op: 'addNode'; spec: NodeSpec }
  | { op: 'removeNode'; name: string }
  | { op: 'attach'; attachment: PodAttachment }
  | { op: 'detach'; containerID: string; ifname: string }
  | { op: 'loopback'; netns: string; up: boolean };

export interface FabricOptions {
  /** Told of every change once it is made. */
  onChange?: (change: FabricChange) => void;
}

export class Fabric {
  readonly #nodes = new Map<string, FabricNode>();
  /** Every node's podCIDRs, for the overlap check of a node added. */
  readonly #podCIDRs = new DisjointPrefixes();
  readonly #attachments = new Map<string, PodAttachment>();
  /** The same attachments by node, in the order they came: a node's own cost its own pods. */
  readonly #onNode = new Map<string, Set<PodAttachment>>();
  /**
   * The same attachments by netns, then container interface name: a pod's lookups cost its own size.
   * A netns with one interface (every pod of the lab) holds the attachment itself, not a Map of one.
   */
  readonly #inNetns = new Map<string, PodAttachment | Map<string, PodAttachment>>();
  readonly #sandboxes = new Map<string, Sandbox>();
  /** Address text -> its owner: the O(1) lookup. */
  readonly #owners = new Map<string, FabricEndpoint>();
  readonly #onChange: ((change: FabricChange) => void) | undefined;

  constructor(opts: FabricOptions = {}) {
    this.#onChange = opts.onChange;
  }

  /** Makes a change another fabric made (its `onChange`); a node already here is kept. */
  apply(change: FabricChange): void {
    switch (change.op) {
      case 'addNode':
        if (!this.#nodes.has(change.spec.name)) this.addNode(change.spec);
        return;
      case 'removeNode':
        this.removeNode(change.name);
        return;
      case 'attach':
        this.#restore(change.attachment);
        this.#onChange?.(change);
        return;
      case 'detach':
        this.detach(change.containerID, change.ifname);
        return;
      case 'loopback':
        this.setLoopback(change.netns, change.up);
        return;
    }
  }

  addNode(spec: NodeSpec): FabricNode {
    const what = `node ${spec.name}`;
    if (this.#nodes.has(spec.name))
      throw new FabricError('NETLAB_CNI_FABRIC_DUPLICATE_NODE', `${what}: already in the fabric`);
    const nodeIPs = spec.nodeIPs.map((ip, i) => parsePrefix(ip, `${what}: nodeIPs[${i}]`, defaultLength));
    const podCIDRs = spec.podCIDRs.map((c, i) => {
      const p = parsePrefix(c, `${what}: podCIDRs[${i}]`);
      if (p.value !== p.networkValue)
        throw new FabricError(
          'NETLAB_CNI_FABRIC_BAD_ADDRESS',
          `${what}: podCIDRs[${i}]: ${c} has host bits set; the network is ${p.network}/${p.length}`,
        );
      return p;
    });
    podCIDRs.forEach((p, i) => {
      const j = podCIDRs.findIndex((q, k) => k < i && overlaps(p, q));
      if (j >= 0)
        throw new FabricError(
          'NETLAB_CNI_FABRIC_OVERLAP',
          `${what}: podCIDRs[${i}] ${p.network}/${p.length} overlaps podCIDRs[${j}] ${podCIDRs[j]!.network}/${podCIDRs[j]!.length}`,
        );
    });
    // Whether it overlaps another node's in a binary search; which one, in the nodes' order, only
    // to name it.
    const overlapping = podCIDRs.find((p) => this.#podCIDRs.overlapsAny(p));
    if (overlapping !== undefined) {
      for (const other of this.#nodes.values())
        for (const p of podCIDRs)
          for (const q of other.podCIDRs)
            if (overlaps(p, q))
              throw new FabricError(
                'NETLAB_CNI_FABRIC_OVERLAP',
                `${what}: podCIDR ${p.network}/${p.length} overlaps node ${other.name}'s ${q.network}/${q.length}`,
              );
      // Not reached while the index and the nodes agree; refused all the same.
      throw new FabricError(
        'NETLAB_CNI_FABRIC_OVERLAP',
        `${what}: podCIDR ${overlapping.network}/${overlapping.length} overlaps another node's`,
      );
    }
    for (const ip of nodeIPs) this.#claimable(ip.ip, `${what}: nodeIPs`);
    const bridgeName = spec.bridge ?? 'cni0';
    const node: FabricNode = {
      name: spec.name,
      nodeIPs,
      podCIDRs,
      uplink: {
        name: 'eth0',
        mac: macFor(`node/${spec.name}/eth0`),
        ifindex: 2,
        addresses: nodeIPs.map((p) => `${p.ip}/${p.length}`),
      },
      // The bridge holds the first address of each podCIDR, the gateway flannel and host-local agree on.
      bridge: {
        name: bridgeName,
        mac: macFor(`node/${spec.name}/${bridgeName}`),
        ifindex: 3,
        addresses: podCIDRs.map((p) => `${ipText(p.family, p.networkValue + 1n)}/${p.length}`),
      },
      nextIfindex: 4,
    };
    this.#nodes.set(node.name, node);
    for (const p of podCIDRs) this.#podCIDRs.add(p);
    for (const ip of nodeIPs) this.#owners.set(ip.ip, { kind: 'node', node, interface: 'eth0' });
    for (const a of node.bridge.addresses) this.#claimBridge(node, a);
    this.#onChange?.({ op: 'addNode', spec });
    return node;
  }

  /** Removes a node and every attachment on it. */
  removeNode(name: string): boolean {
    const node = this.#nodes.get(name);
    if (node === undefined) return false;
    for (const a of [...(this.#onNode.get(name) ?? [])]) this.detach(a.containerID, a.ifname);
    for (const a of [...node.uplink.addresses, ...node.bridge.addresses])
      this.#owners.delete(a.split('/')[0]!);
    this.#nodes.delete(name);
    for (const p of node.podCIDRs) this.#podCIDRs.delete(p);
    this.#onChange?.({ op: 'removeNode', name });
    return true;
  }

  node(name: string): FabricNode | undefined {
    return this.#nodes.get(name);
  }

  nodes(): FabricNode[] {
    return [...this.#nodes.values()];
  }

  /**
   * Attaches a pod interface to the node's bridge: a veth pair, the container end named `ifname` in
   * `netns`, the addresses on it, and each gateway on the bridge (as the bridge plugin's isGateway).
   */
  attach(nodeName: string, req: AttachRequest): PodAttachment {
    const node = this.#mustNode(nodeName);
    if (this.attachmentIn(req.netns, req.ifname) !== undefined)
      throw new FabricError(
        'NETLAB_CNI_FABRIC_INTERFACE_EXISTS',
        `container veth name provided (${req.ifname}) already exists`,
      );
    if (this.#attachments.has(attachmentKey(req.containerID, req.ifname)))
      throw new FabricError(
        'NETLAB_CNI_FABRIC_INTERFACE_EXISTS',
        `attachment ${req.containerID}/${req.ifname} already exists on node ${this.#attachments.get(attachmentKey(req.containerID, req.ifname))!.node}`,
      );
    const ips = req.ips.map((ip, i) => {
      const p = parsePrefix(ip.address, `ips[${i}].address`);
      this.#claimable(p.ip, `ips[${i}].address`);
      const gateway = ip.gateway === undefined ? undefined : toCanonical(ip.gateway);
      if (ip.gateway !== undefined && gateway === undefined)
        throw new FabricError(
          'NETLAB_CNI_FABRIC_BAD_ADDRESS',
          `ips[${i}].gateway: invalid IP address: ${ip.gateway}`,
        );
      return { prefix: p, gateway };
    });
    const vethName = hostVethName(req.network, req.containerID, req.ifname);
    const sandbox = this.#sandbox(req.netns);
    const attachment: PodAttachment = {
      network: req.network,
      containerID: req.containerID,
      ifname: req.ifname,
      netns: req.netns,
      node: node.name,
      mac: macFor(`pod/${req.network}/${req.containerID}/${req.ifname}`),
      ifindex: sandbox.nextIfindex++,
      hostVeth: {
        name: vethName,
        mac: macFor(`veth/${vethName}`),
        ifindex: node.nextIfindex++,
        addresses: [],
      },
      ips: ips.map(({ prefix, gateway }) => ({
        address: `${prefix.ip}/${prefix.length}`,
        ...(gateway === undefined ? {} : { gateway }),
      })),
      routes: (req.routes ?? []).map((r) => ({ dst: r.dst, ...(r.gw === undefined ? {} : { gw: r.gw }) })),
    };
    this.#add(attachment);
    for (const { prefix, gateway } of ips) {
      this.#owners.set(prefix.ip, { kind: 'pod', node, attachment });
      if (gateway !== undefined) this.#gatewayOnBridge(node, `${gateway}/${prefix.length}`);
    }
    this.#onChange?.({ op: 'attach', attachment });
    return attachment;
  }

  /** A gateway (`ip/len`) on the node's bridge, as the bridge plugin's isGateway puts it there once. */
  #gatewayOnBridge(node: FabricNode, onBridge: string): void {
    if (!node.bridge.addresses.includes(onBridge)) {
      node.bridge.addresses.push(onBridge);
      this.#claimBridge(node, onBridge);
    }
  }

  /**
   * Puts back an attachment another copy of the fabric made (or one read from its state): its
   * addresses and gateways claimed, the interface indexes it took no longer handed out.
   */
  #restore(a: PodAttachment): void {
    const node = this.#mustNode(a.node);
    this.#add(a);
    const sandbox = this.#sandbox(a.netns);
    if (sandbox.nextIfindex <= a.ifindex) sandbox.nextIfindex = a.ifindex + 1;
    if (node.nextIfindex <= a.hostVeth.ifindex) node.nextIfindex = a.hostVeth.ifindex + 1;
    for (const ip of a.ips) {
      const slash = ip.address.indexOf('/');
      this.#owners.set(ip.address.slice(0, slash), { kind: 'pod', node, attachment: a });
      if (ip.gateway !== undefined) this.#gatewayOnBridge(node, `${ip.gateway}${ip.address.slice(slash)}`);
    }
  }

  /** Removes an attachment; undefined when there was none (DEL is idempotent). */
  detach(containerID: string, ifname: string): PodAttachment | undefined {
    const key = attachmentKey(containerID, ifname);
    const a = this.#attachments.get(key);
    if (a === undefined) return undefined;
    this.#attachments.delete(key);
    this.#offNode(a);
    const inNetns = this.#inNetns.get(a.netns)!;
    if (!(inNetns instanceof Map)) this.#inNetns.delete(a.netns);
    else {
      inNetns.delete(a.ifname);
      if (inNetns.size === 1) this.#inNetns.set(a.netns, inNetns.values().next().value!);
    }
    for (const ip of a.ips) {
      const addr = ip.address.split('/')[0]!;
      const owner = this.#owners.get(addr);
      if (owner?.kind === 'pod' && owner.attachment === a) this.#owners.delete(addr);
    }
    if (!this.#inNetns.has(a.netns)) this.#sandboxes.delete(a.netns);
    this.#onChange?.({ op: 'detach', containerID, ifname });
    return a;
  }

  #offNode(a: PodAttachment): void {
    const on = this.#onNode.get(a.node);
    if (on === undefined) return;
    on.delete(a);
    if (on.size === 0) this.#onNode.delete(a.node);
  }

  #add(a: PodAttachment): void {
    const key = attachmentKey(a.containerID, a.ifname);
    const was = this.#attachments.get(key);
    if (was !== undefined) this.#offNode(was);
    this.#attachments.set(key, a);
    let on = this.#onNode.get(a.node);
    if (on === undefined) {
      on = new Set();
      this.#onNode.set(a.node, on);
    }
    on.add(a);
    const inNetns = this.#inNetns.get(a.netns);
    if (inNetns === undefined || (!(inNetns instanceof Map) && inNetns.ifname === a.ifname))
      this.#inNetns.set(a.netns, a);
    else if (inNetns instanceof Map) inNetns.set(a.ifname, a);
    else
      this.#inNetns.set(
        a.netns,
        new Map([
          [inNetns.ifname, inNetns],
          [a.ifname, a],
        ]),
      );
  }

  /** The attachment whose container end is `ifname` in `netns`. */
  attachmentIn(netns: string, ifname: string): PodAttachment | undefined {
    const inNetns = this.#inNetns.get(netns);
    if (inNetns instanceof Map) return inNetns.get(ifname);
    return inNetns?.ifname === ifname ? inNetns : undefined;
  }

  /** The attachments in a netns, in the order they were made. */
  #attachmentsIn(netns: string): PodAttachment[] {
    const inNetns = this.#inNetns.get(netns);
    if (inNetns === undefined) return [];
    return inNetns instanceof Map ? [...inNetns.values()] : [inNetns];
  }

  attachment(containerID: string, ifname: string): PodAttachment | undefined {
    return this.#attachments.get(attachmentKey(containerID, ifname));
  }

  /** Attachments in the order they were made; of one node when `nodeName` is given. */
  attachments(nodeName?: string): PodAttachment[] {
    if (nodeName === undefined) return [...this.#attachments.values()];
    return [...(this.#onNode.get(nodeName) ?? [])];
  }

  /** Sets the netns's `lo` up (the loopback plugin's ADD) or down (its DEL). */
  setLoopback(netns: string, up: boolean): void {
    if (up) this.#sandbox(netns).loopback = true;
    else {
      const s = this.#sandboxes.get(netns);
      if (s === undefined) return;
      s.loopback = false;
    }
    this.#onChange?.({ op: 'loopback', netns, up });
  }

  loopbackUp(netns: string): boolean {
    return this.#sandboxes.get(netns)?.loopback ?? false;
  }

  /** The pod interface, node uplink or bridge that holds `ip`, in O(1). */
  lookup(ip: string): FabricEndpoint | undefined {
    const hit = this.#owners.get(ip);
    if (hit !== undefined) return hit;
    const canonical = toCanonical(ip);
    return canonical === undefined || canonical === ip ? undefined : this.#owners.get(canonical);
  }

  /** The node's routing table for one family, in the order `ip route` lists it. */
  routes(nodeName: string, family: Family): FabricRoute[] {
    const node = this.#mustNode(nodeName);
    const out: FabricRoute[] = [];
    const connected = (link: Link) => {
      for (const a of link.addresses) {
        const p = parsePrefix(a, link.name);
        if (p.family === family) out.push(kernelRoute(p, link));
      }
      if (family === 6) out.push(linkLocalRoute(link));
    };
    connected(node.uplink);
    connected(node.bridge);
    if (family === 6)
      for (const a of this.#onNode.get(node.name) ?? []) out.push(linkLocalRoute(a.hostVeth as Link));
    for (const other of this.#nodes.values()) {
      if (other === node) continue;
      const via = other.nodeIPs.find((p) => p.family === family);
      if (via === undefined) continue;
      for (const p of other.podCIDRs)
        if (p.family === family)
          out.push({
            family,
            dst: `${p.network}/${p.length}`,
            dstLength: p.length,
            dstValue: p.networkValue,
            via: via.ip,
            dev: node.uplink.name,
            kernel: false,
            ifindex: node.uplink.ifindex,
          });
    }
    return sortRoutes(out);
  }

  /** The routing table inside the pod's netns for one family. */
  podRoutes(containerID: string, ifname: string, family: Family): FabricRoute[] {
    const a = this.attachment(containerID, ifname);
    if (a === undefined) return [];
    const dev: Link = {
      name: a.ifname,
      mac: a.mac,
      ifindex: a.ifindex,
      addresses: a.ips.map((i) => i.address),
    };
    const out: FabricRoute[] = [];
    const gateways = new Map<Family, string>();
    for (const ip of a.ips) {
      const p = parsePrefix(ip.address, 'ips');
      if (ip.gateway !== undefined && !gateways.has(p.family)) gateways.set(p.family, ip.gateway);
      if (p.family === family) out.push(kernelRoute(p, dev));
    }
    if (family === 6) out.push(linkLocalRoute(dev));
    for (const r of a.routes) {
      const p = parsePrefix(r.dst, 'routes');
      if (p.family !== family) continue;
      // As the bridge plugin does: a route without gw goes via the interface's gateway of its family.
      const via = r.gw === undefined ? gateways.get(family) : toCanonical(r.gw);
      out.push({
        family,
        dst: p.length === 0 ? 'default' : `${p.network}/${p.length}`,
        dstLength: p.length,
        dstValue: p.networkValue,
        ...(via === undefined ? {} : { via }),
        dev: dev.name,
        kernel: false,
        ifindex: dev.ifindex,
      });
    }
    return sortRoutes(out);
  }

  /** The routing table of a netns: every interface's routes there, as `ip route` inside it lists them. */
  netnsRoutes(netns: string, family: Family): FabricRoute[] {
    const out: FabricRoute[] = [];
    for (const a of this.#attachmentsIn(netns)) out.push(...this.podRoutes(a.containerID, a.ifname, family));
    return sortRoutes(out);
  }

  /** The route the node would take to `ip`: the longest prefix that contains it. */
  routeGet(nodeName: string, ip: string): FabricRoute | undefined {
    const canonical = toCanonical(ip);
    if (canonical === undefined)
      throw new FabricError('NETLAB_CNI_FABRIC_BAD_ADDRESS', `invalid IP address: ${ip}`);
    const p = parsePrefix(`${canonical}/${familyOf(canonical) === 4 ? 32 : 128}`, 'ip');
    let best: FabricRoute | undefined;
    for (const r of this.routes(nodeName, p.family)) {
      const shift = BigInt((p.family === 4 ? 32 : 128) - r.dstLength);
      if (p.value >> shift === r.dstValue >> shift && (best === undefined || r.dstLength > best.dstLength))
        best = r;
    }
    return best;
  }

  /** The netns paths with something in them, in first-use order. */
  sandboxes(): string[] {
    return [...this.#sandboxes.keys()];
  }

  /** Whether the netns is known (has or had an attachment, or its loopback state). */
  hasSandbox(netns: string): boolean {
    return this.#sandboxes.has(netns);
  }

  toJSON(): FabricState {
    return {
      kind: 'netlabFabricV1',
      nodes: [...this.#nodes.values()].map((n) => ({
        name: n.name,
        nodeIPs: n.nodeIPs.map((p) => `${p.ip}/${p.length}`),
        podCIDRs: n.podCIDRs.map((p) => `${p.network}/${p.length}`),
        uplink: n.uplink,
        bridge: n.bridge,
        nextIfindex: n.nextIfindex,
      })),
      sandboxes: [...this.#sandboxes].map(([netns, s]) => ({ netns, ...s })),
      attachments: [...this.#attachments.values()],
    };
  }

  static fromJSON(state: FabricState): Fabric {
    if (state?.kind !== 'netlabFabricV1')
      throw new FabricError('NETLAB_CNI_FABRIC_STATE', `fabric state: kind: expected "netlabFabricV1"`);
    const f = new Fabric();
    for (const n of state.nodes) {
      const node = f.addNode({
        name: n.name,
        nodeIPs: n.nodeIPs,
        podCIDRs: n.podCIDRs,
        bridge: n.bridge.name,
      });
      // Keep what was derived or added since (bridge addresses from IPAM gateways, interface indexes).
      for (const a of n.bridge.addresses) f.#gatewayOnBridge(node, a);
      node.nextIfindex = n.nextIfindex;
    }
    for (const s of state.sandboxes)
      f.#sandboxes.set(s.netns, { loopback: s.loopback, nextIfindex: s.nextIfindex });
    for (const a of state.attachments) f.#restore(a);
    return f;
  }

  #sandbox(netns: string): Sandbox {
    let s = this.#sandboxes.get(netns);
    if (s === undefined) {
      s = { loopback: false, nextIfindex: 2 };
      this.#sandboxes.set(netns, s);
    }
    return s;
  }

  #mustNode(name: string): FabricNode {
    const node = this.#nodes.get(name);
    if (node === undefined)
      throw new FabricError('NETLAB_CNI_FABRIC_UNKNOWN_NODE', `node ${name}: not in the fabric`);
    return node;
  }

  #claimable(ip: string, what: string): void {
    const owner = this.#owners.get(ip);
    if (owner !== undefined)
      throw new FabricError(
        'NETLAB_CNI_FABRIC_ADDRESS_IN_USE',
        `${what}: ${ip} is already held by ${describe(owner)}`,
      );
  }

  #claimBridge(node: FabricNode, cidr: string): void {
    const ip = cidr.split('/')[0]!;
    if (!this.#owners.has(ip)) this.#owners.set(ip, { kind: 'node', node, interface: node.bridge.name });
  }
}

export function describe(e: FabricEndpoint): string {
  return e.kind === 'pod'
    ? `container ${e.attachment.containerID} (${e.attachment.ifname}) on node ${e.node.name}`
    : `node ${e.node.name} (${e.interface})`;
}

function kernelRoute(p: Prefix, link: Link): FabricRoute {
  return {
    family: p.family,
    dst: `${p.network}/${p.length}`,
    dstLength: p.length,
    dstValue: p.networkValue,
    dev: link.name,
    kernel: true,
    src: p.ip,
    ifindex: link.ifindex,
  };
}

function linkLocalRoute(link: Link): FabricRoute {
  return {
    family: 6,
    dst: 'fe80::/64',
    dstLength: 64,
    dstValue: 0xfe80n << 112n,
    dev: link.name,
    kernel: true,
    src: linkLocalFromMAC(link.mac),
    ifindex: link.ifindex,
  };
}

// The kernel's FIB walk: by destination address, then the longer prefix first, then by interface.
function sortRoutes(routes: FabricRoute[]): FabricRoute[] {
  return routes.sort((a, b) =>
    a.dstValue !== b.dstValue
      ? a.dstValue < b.dstValue
        ? -1
        : 1
      : a.dstLength !== b.dstLength
        ? b.dstLength - a.dstLength
        : a.ifindex - b.ifindex,
  );
}
