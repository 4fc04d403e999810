// kube-proxy for every node of a cluster at once. What is the same on every node (Services, slices
// merged per service port, SEP chain names, and the rendered lines of every service port whose rules
// do not depend on the node) is computed once; each node keeps an overlay of the service ports whose
// rules do depend on it: Local traffic policy with endpoints on that node, topology hints naming its
// node or zone, loadBalancerSourceRanges (the node-IP rule). Nodes that render a service port the
// same way share that rendering too (the variant key says what the rules depend on).
//
// One sync serves every node: the changes are applied once; each node's result (partial or full,
// deleted chains, counts) is what its own Proxier would report, and its payload is rendered only when
// read. A node's tables and fast path are built when asked and kept until a sync changes them.
// Restores are never refused here: the standalone Proxier models a failing iptables-restore.
import { type IPFamily, labelTopologyZone, type Node } from '../../api/index.js';
import { type ChainIndexCache, FastPath } from '../fastpath/index.js';
import {
  addrInCidr,
  Chain,
  kubeJumpRules,
  Rule,
  RuleTable,
  Table,
  withKubeJumpRules,
} from '../ruletable/index.js';
import { ServiceChangeTracker } from './changetracker.js';
import { type EndpointInfo, EndpointSliceCache } from './endpoints.js';
import { isServiceChainName, kubeletFirewallChain } from './naming.js';
import {
  type CachedBlock,
  ChangeRecorder,
  cacheBlock,
  fullSyncPeriodMs,
  joinLines,
  largeClusterEndpointsThreshold,
  type ProxierOptions,
  resolveRuleContext,
  restorePayload,
  type SyncResult,
  sameLabels,
  type UdpServicePortView,
} from './proxier.js';
import {
  filterTopChains,
  forwardRules,
  kubeletFirewallRule,
  natTopChains,
  nodePortsTailRules,
  postroutingRules,
  type RuleContext,
  serviceBlock,
} from './rules.js';
import { SyncRunner } from './runner.js';
import { type ServicePortInfo, usesClusterEndpoints, usesLocalEndpoints } from './serviceport.js';

/** The flags every node's kube-proxy shares (ProxierOptions without the node's own name and IPs). */
export type ClusterProxierOptions = Omit<ProxierOptions, 'nodeName' | 'nodeIPs' | 'restore' | 'onSync'> & {
  /** Called after every sync, once per node. */
  onSync?: (node: string, result: SyncResult) => void;
};

type NodeContext = Omit<RuleContext, 'nodeLabels' | 'largeClusterMode'>;

/** What a service port's rules depend on besides the service port and its endpoints. */
interface Plan {
  /** Same rules on every node: rendered once, shared. */
  readonly uniform: boolean;
  /** PreferSameNode possible: the nodes some ready endpoint is hinted for. */
  readonly nodeHinted: ReadonlySet<string> | null;
  /** PreferSameZone possible: the zones some ready endpoint is hinted for. */
  readonly zoneHinted: ReadonlySet<string> | null;
  /** Local policy: the nodes with a usable local endpoint. */
  readonly localNodes: ReadonlySet<string> | null;
  /** loadBalancerSourceRanges with a VIP: whether the node's IP is inside decides one rule. */
  readonly firewall: boolean;
  /** A NodePort while nodes disagree on localhost NodePorts. */
  readonly localhost: boolean;
}

interface Sums {
  filter: number;
  natTop: number;
  natRules: number;
  noLocalInternal: number;
  noLocalExternal: number;
}

const zeroSums = (): Sums => ({ filter: 0, natTop: 0, natRules: 0, noLocalInternal: 0, noLocalExternal: 0 });

function addSums(s: Sums, b: CachedBlock, sign: 1 | -1): void {
  s.filter += sign * b.filterLines;
  s.natTop += sign * b.natTopLines;
  s.natRules += sign * b.natRulesLines;
  s.noLocalInternal += sign * b.noLocalInternal;
  s.noLocalExternal += sign * b.noLocalExternal;
}

function countChains(active: Map<string, number>, chains: readonly string[], removed: string[]): void {
  for (const c of chains) {
    const n = active.get(c)!;
    if (n === 1) {
      active.delete(c);
      removed.push(c);
    } else active.set(c, n - 1);
  }
}

function addChains(active: Map<string, number>, chains: readonly string[]): void {
  for (const c of chains) active.set(c, (active.get(c) ?? 0) + 1);
}

/**
 * The shared blocks in rule order as of one sync, in chunks of `chunkSize`: a sync copies only the
 * chunks it changed (the others are the previous sync's), so a snapshot costs the change, not the
 * number of service ports.
 */
type SharedBlocks = readonly (readonly (CachedBlock | undefined)[])[];
const chunkBits = 8;
const chunkSize = 1 << chunkBits;
const sharedAt = (s: SharedBlocks, i: number) => s[i >> chunkBits]![i & (chunkSize - 1)];

/** What a payload is rendered from: fixed at the sync, so a later read gives that sync's payload. */
interface Snapshot {
  readonly order: readonly string[];
  readonly shared: SharedBlocks;
  readonly overlay: ReadonlyMap<string, CachedBlock>;
  /** null: full sync (every service port written). */
  readonly written: readonly string[] | null;
  readonly deleted: readonly string[];
  readonly ctx: RuleContext;
}

function renderPayload(s: Snapshot): string {
  const { ctx, order } = s;
  const natChains: string[] = [];
  const filter: string[] = [];
  const natRules: string[] = [];
  const block = (i: number) => s.overlay.get(order[i]!) ?? sharedAt(s.shared, i)!;
  for (let i = 0; i < order.length; i++) {
    const b = block(i);
    filter.push(b.filterText);
    natRules.push(b.natTopText);
    if (s.written === null) {
      natRules.push(b.natRulesText);
      natChains.push(b.natChainsText);
    }
  }
  if (s.written !== null) {
    const pos = new Map<string, number>();
    for (let i = 0; i < order.length; i++) pos.set(order[i]!, i);
    for (const key of s.written) {
      const i = pos.get(key)!;
      const b = block(i);
      natRules[i] = b.natTopText + b.natRulesText;
      natChains.push(b.natChainsText);
    }
  }
  return restorePayload(ctx, { filter, natChains, natRules, deleted: s.deleted });
}

/**
 * A service port's block as the cluster keeps it: its counts, chain names and the texts every sync
 * writes (filter rules; KUBE-SERVICES / KUBE-NODEPORTS rules), while the texts of its own nat chains,
 * a line or three an endpoint and most of a block's size, are rendered again from the same inputs
 * when read (a payload, a node's tables). The inputs (service port, endpoint list, rule context) are
 * never changed once made, so the text read is the text of the sync that made the block.
 */
class LeanBlock implements CachedBlock {
  readonly filterText: string;
  readonly natTopText: string;
  readonly filterLines: number;
  readonly natTopLines: number;
  readonly natRulesLines: number;
  readonly noLocalInternal: number;
  readonly noLocalExternal: number;
  readonly activeChains: readonly string[];
  readonly largeClusterMode: boolean;
  readonly #info: ServicePortInfo;
  readonly #eps: readonly EndpointInfo[];
  readonly #ctx: RuleContext;
  constructor(info: ServicePortInfo, eps: readonly EndpointInfo[], ctx: RuleContext) {
    const b = cacheBlock(serviceBlock(info, eps, ctx));
    this.filterText = b.filterText;
    this.natTopText = b.natTopText;
    this.filterLines = b.filterLines;
    this.natTopLines = b.natTopLines;
    this.natRulesLines = b.natRulesLines;
    this.noLocalInternal = b.noLocalInternal;
    this.noLocalExternal = b.noLocalExternal;
    this.activeChains = b.activeChains;
    this.largeClusterMode = b.largeClusterMode;
    this.#info = info;
    this.#eps = eps;
    this.#ctx = ctx;
    lastRendered = { block: this, texts: b };
  }
  get natChainsText(): string {
    return this.#texts().natChainsText;
  }
  get natRulesText(): string {
    return this.#texts().natRulesText;
  }
  #texts(): CachedBlock {
    // Both texts are read one after the other (payloads, tables): one rendering serves both.
    if (lastRendered?.block !== this)
      lastRendered = { block: this, texts: cacheBlock(serviceBlock(this.#info, this.#eps, this.#ctx)) };
    return lastRendered.texts;
  }
}

/** The last block rendered and its texts. */
let lastRendered: { block: LeanBlock; texts: CachedBlock } | null = null;

/** A block's lines as rules: parsed once, shared by every node whose tables hold that block. */
interface BlockRules {
  readonly filter: readonly Rule[];
  readonly natTop: readonly Rule[];
  /** The service port's own nat chains (SVC, SVL, EXT, FW, SEP) with their rules. */
  readonly chains: readonly Chain[];
}

const blockRules = new WeakMap<CachedBlock, BlockRules>();

function ruleLines(text: string, out: Rule[]): void {
  if (text === '') return;
  let at = 0;
  while (at < text.length) {
    const end = text.indexOf('\n', at);
    const line = text.slice(at, end);
    at = end + 1;
    const sp = line.indexOf(' ', 3);
    out.push(new Rule(sp < 0 ? line.slice(3) : line.slice(3, sp), line));
  }
}

function rulesOf(b: CachedBlock): BlockRules {
  let r = blockRules.get(b);
  if (r !== undefined) return r;
  const filter: Rule[] = [];
  const natTop: Rule[] = [];
  ruleLines(b.filterText, filter);
  ruleLines(b.natTopText, natTop);
  const chains = new Map<string, Chain>();
  for (const line of b.natChainsText.split('\n')) {
    if (line === '') continue;
    const c = new Chain(line.slice(1, line.indexOf(' ')));
    c.declared = true;
    chains.set(c.name, c);
  }
  const rules: Rule[] = [];
  ruleLines(b.natRulesText, rules);
  for (const rule of rules) {
    let c = chains.get(rule.chain);
    if (c === undefined) {
      // A rule for a chain the block does not declare: as a restore would, the chain is made.
      c = new Chain(rule.chain);
      chains.set(c.name, c);
    }
    c.rules.push(rule);
  }
  r = { filter, natTop, chains: [...chains.values()] };
  blockRules.set(b, r);
  return r;
}

/** The built-in chains with kube-proxy's jump rules, as every node has them (never changed). */
const jumpChains: { readonly filter: readonly Chain[]; readonly nat: readonly Chain[] } = (() => {
  const by = { filter: new Map<string, Chain>(), nat: new Map<string, Chain>() };
  for (const j of kubeJumpRules) {
    const m = by[j.table];
    let c = m.get(j.chain);
    if (c === undefined) {
      c = new Chain(j.chain, 'ACCEPT');
      c.declared = true;
      m.set(j.chain, c);
    }
    c.rules.push(new Rule(j.chain, `-A ${j.chain} ${j.args}`));
  }
  return { filter: [...by.filter.values()], nat: [...by.nat.values()] };
})();

/**
 * A node's nat chains: its own (top chains, its overlay's service chains, the built-in ones) over the
 * chains of the service ports every node renders alike, which all nodes' tables share.
 */
class LayeredChains extends Map<string, Chain> {
  readonly #base: ReadonlyMap<string, Chain>;
  constructor(own: Iterable<readonly [string, Chain]>, base: ReadonlyMap<string, Chain>) {
    super(own);
    this.#base = base;
  }
  override get(name: string): Chain | undefined {
    return super.get(name) ?? this.#base.get(name);
  }
  override has(name: string): boolean {
    return super.has(name) || this.#base.has(name);
  }
  override get size(): number {
    return super.size + this.#base.size;
  }
  override *entries(): MapIterator<[string, Chain]> {
    yield* super.entries();
    yield* this.#base.entries();
  }
  override *keys(): MapIterator<string> {
    for (const [k] of this.entries()) yield k;
  }
  override *values(): MapIterator<Chain> {
    for (const [, v] of this.entries()) yield v;
  }
  override [Symbol.iterator](): MapIterator<[string, Chain]> {
    return this.entries();
  }
  override forEach(fn: (value: Chain, key: string, map: Map<string, Chain>) => void): void {
    for (const [k, v] of this.entries()) fn(v, k, this);
  }
}

/** Top chains a set of nodes share (same overlay texts and node context): one rule list each. */
interface TopChains {
  readonly filter: readonly Chain[];
  readonly nat: readonly Chain[];
}

class NodeState {
  labels: Record<string, string> = {};
  /** This node's blocks of the service ports that are not uniform (replaced, never changed, per sync). */
  overlay = new Map<string, CachedBlock>();
  readonly overlayActive = new Map<string, number>();
  readonly sums = zeroSums();
  /** Chains that stopped being active here since the last clean-up (lists may be shared by nodes). */
  pending: (readonly string[])[] = [];
  synced = false;
  needFullSync = true;
  lastFullSync = Number.NEGATIVE_INFINITY;
  lastCleanup = Number.NEGATIVE_INFINITY;
  lastResult: SyncResult | null = null;
  snapshot: Snapshot | null = null;
  built: { rules: RuleTable; fast: FastPath; generation: number } | null = null;
  /** Whether `overlay` is this sync's own copy (copied on the first change: snapshots keep the old). */
  overlayOwned = false;
  /** The rule context of the last sync, and what it was made of (labels, large-cluster mode). */
  ctxCache: { labels: Record<string, string>; large: boolean; ctx: RuleContext; lines: NodeLines } | null =
    null;
  constructor(
    readonly name: string,
    readonly ips: readonly string[],
    readonly ctx: NodeContext,
  ) {}
  get zone(): string {
    return this.labels[labelTopologyZone] ?? '';
  }
}

/** How many rules of a node's own (not per service port) a sync writes. */
interface NodeLines {
  postrouting: number;
  tail: number;
  forward: number;
}

/** One node's kube-proxy as the cluster's shared state sees it. */
export class NodeProxy {
  readonly #owner: ClusterProxier;
  readonly #state: NodeState;
  constructor(owner: ClusterProxier, state: NodeState) {
    this.#owner = owner;
    this.#state = state;
  }
  get name(): string {
    return this.#state.name;
  }
  get nodeName(): string {
    return this.#state.name;
  }
  /** The node's InternalIP / ExternalIP addresses. */
  get ips(): readonly string[] {
    return this.#state.ips;
  }
  get lastSync(): SyncResult | null {
    return this.#state.lastResult;
  }
  get context(): RuleContext {
    return { ...this.#owner.contextOf(this.#state) };
  }
  /** The payload a full sync from scratch would write on this node now. */
  fullPayload(): string {
    return this.#owner.fullPayloadOf(this.#state);
  }
  /** The node's tables (its rules plus kube-proxy's jump rules); undefined before its first sync. */
  rules(): RuleTable | undefined {
    return this.#built()?.rules;
  }
  /** The same rules compiled into a fast path; undefined before the first sync. */
  fastPath(): FastPath | undefined {
    return this.#built()?.fast;
  }
  udpServicePorts(): UdpServicePortView[] {
    return this.#owner.udpServicePorts();
  }
  #built(): { rules: RuleTable; fast: FastPath } | undefined {
    return this.#state.synced ? this.#owner.builtOf(this.#state) : undefined;
  }
}

/** A number for each list of removed chains a node is given, so equal pending lists read as one key. */
const listIds = new WeakMap<readonly string[], number>();
let nextListId = 1;

/** The identity of a node's pending lists, in order. */
function pendingKey(pending: readonly (readonly string[])[]): string {
  let key = '';
  for (const list of pending) {
    let id = listIds.get(list);
    if (id === undefined) {
      id = nextListId++;
      listIds.set(list, id);
    }
    key += `${id},`;
  }
  return key;
}

export class ClusterProxier extends ChangeRecorder {
  readonly ipFamily: IPFamily;
  readonly #opts: ClusterProxierOptions;
  readonly #plans = new Map<string, Plan>();
  /** The keys whose plan is not uniform (a full sync of a node looks at these and its overlay's). */
  readonly #nonUniform = new Set<string>();
  /** Rendered blocks of the uniform service ports. */
  readonly #shared = new Map<string, CachedBlock>();
  readonly #sharedActive = new Map<string, number>();
  readonly #sharedSums = zeroSums();
  /** Blocks of non-uniform service ports by variant key, for nodes that render them alike. */
  readonly #variants = new Map<string, Map<string, CachedBlock>>();
  /** Bumped by every change a node's tables could show: built tables of an older one are stale. */
  #generation = 0;
  /** The nat chains of the shared blocks (every node's tables fall back to them), kept lazily. */
  readonly #sharedChains = new Map<string, Chain>();
  readonly #sharedChainsOf = new Map<string, CachedBlock>();
  readonly #sharedChanged = new Set<string>();
  /** Top chains by what they are made of, for this generation: nodes that agree share them. */
  readonly #tops = new Map<string, TopChains>();
  readonly #textIds = new Map<string, number>();
  #topsGeneration = -1;
  readonly #indexCache: ChainIndexCache = new WeakMap();
  /** A shared block rendered in the other large-cluster mode (what a full sync would write now). */
  readonly #otherMode = new WeakMap<CachedBlock, CachedBlock>();
  /** The mode #sharedChains was built in. */
  #chainsLarge: boolean | null = null;
  /** The shared blocks in rule order as of the last sync (chunks shared with earlier snapshots). */
  #sharedSnapshot: SharedBlocks = [];
  /** Every chunk of #sharedSnapshot is stale (the order changed). */
  #snapshotDirty = true;
  /** Shared keys changed since the last snapshot: only their chunks are copied. */
  readonly #snapshotKeys = new Set<string>();
  /** Each key's position in `order` (kept with it). */
  readonly #pos = new Map<string, number>();
  readonly #nodes = new Map<string, NodeState>();
  readonly #handles = new Map<string, NodeProxy>();
  /** Service port keys looked at for one node's overlay in syncs so far (a diagnostic, for tests). */
  overlayChecks = 0;
  /** How many nodes hold an overlay block for each service port key. */
  readonly #overlayNodes = new Map<string, number>();
  readonly #listeners = new Set<(node: string, cleanupUDP: boolean) => void>();
  /** Every node's localhost-NodePorts setting when they agree, else null. */
  #localhost: boolean | null = null;
  readonly #base: NodeContext;
  #largeClusterMode = false;
  readonly #now: () => number;
  readonly #syncPeriod: number;
  readonly #runner: SyncRunner;

  constructor(opts: ClusterProxierOptions = {}) {
    const family = opts.ipFamily ?? 'IPv4';
    super(new ServiceChangeTracker(family), new EndpointSliceCache('', family));
    this.#opts = opts;
    this.ipFamily = family;
    this.#base = resolveRuleContext({ ...opts, nodeName: '' });
    this.#now = opts.now ?? (() => performance.now());
    this.#syncPeriod = opts.syncPeriod ?? 30_000;
    this.#runner = new SyncRunner(() => this.syncProxyRules(), {
      minInterval: opts.minSyncPeriod ?? 1000,
      now: this.#now,
    });
  }

  /** Adds a node's kube-proxy (its first sync is full). Throws ProxierConfigError on a bad IP. */
  addNode(nodeName: string, nodeIPs: readonly string[] = []): NodeProxy {
    const existing = this.#handles.get(nodeName);
    if (existing) return existing;
    const ctx = resolveRuleContext({ ...this.#opts, nodeName, nodeIPs });
    const state = new NodeState(nodeName, nodeIPs, ctx);
    this.#nodes.set(nodeName, state);
    const handle = new NodeProxy(this, state);
    this.#handles.set(nodeName, handle);
    this.#updateLocalhost();
    if (this.initialized()) this.requestSync();
    return handle;
  }

  removeNode(nodeName: string): void {
    const n = this.#nodes.get(nodeName);
    if (n) for (const key of [...n.overlay.keys()]) this.#setOverlay(n, key, undefined, []);
    this.#nodes.delete(nodeName);
    this.#handles.delete(nodeName);
    this.#updateLocalhost();
  }

  node(nodeName: string): NodeProxy | undefined {
    return this.#handles.get(nodeName);
  }

  /** The nodes in the order they were added. */
  list(): NodeProxy[] {
    return [...this.#handles.values()];
  }

  get(nodeName: string): NodeProxy | undefined {
    return this.#handles.get(nodeName);
  }

  /**
   * A count that moves whenever a sync may have changed what a node's rules do to traffic from
   * outside to its NodePorts and LoadBalancer IPs: a service port that has or had a NodePort or a
   * LoadBalancer IP written or removed, a node's full sync, a switch of large-cluster mode. The data
   * plane's entry points look at every node's rules only when it moved, so a sync that touched
   * ClusterIP services alone costs them nothing.
   */
  entryGeneration(): number {
    return this.#entryGeneration;
  }
  #entryGeneration = 0;
  /** Service ports with a NodePort or a LoadBalancer IP as of the last sync. */
  readonly #externalKeys = new Set<string>();

  #noteEntryChanges(written: readonly string[], removed: readonly string[], always: boolean): void {
    let moved = always;
    for (const key of written) {
      const info = this.svcPortMap.get(key);
      const external = info !== undefined && (info.nodePort > 0 || info.loadBalancerVIPs.length > 0);
      if (external || this.#externalKeys.has(key)) moved = true;
      if (external) this.#externalKeys.add(key);
      else this.#externalKeys.delete(key);
    }
    for (const key of removed) if (this.#externalKeys.delete(key)) moved = true;
    if (moved) this.#entryGeneration++;
  }

  /** Called after each node's part of a sync, with whether a UDP clean-up is due; returns an unsubscribe. */
  subscribe(listener: (node: string, cleanupUDP: boolean) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #updateLocalhost(): void {
    let v: boolean | null | undefined;
    for (const n of this.#nodes.values()) {
      if (v === undefined) v = n.ctx.localhostNodePorts;
      else if (v !== n.ctx.localhostNodePorts) v = null;
    }
    const next = v === undefined ? this.#base.localhostNodePorts : v;
    if (next === this.#localhost) return;
    this.#localhost = next;
    // Which NodePort service ports are uniform changed: plan them all again, every node in full.
    this.#replanAll = true;
    for (const n of this.#nodes.values()) n.needFullSync = true;
  }
  #replanAll = true;

  /** A node's labels (topology zone) matter to its own kube-proxy only; a change forces its full sync. */
  onNodeAdd(node: Node): void {
    this.onNodeUpdate(undefined, node);
  }
  onNodeUpdate(_previous: Node | undefined, node: Node): void {
    const state = this.#nodes.get(node.metadata.name ?? '');
    if (!state) return;
    const labels = node.metadata.labels ?? {};
    if (sameLabels(labels, state.labels)) return;
    state.labels = { ...labels };
    state.needFullSync = true;
    if (this.initialized()) this.requestSync();
  }
  onNodeDelete(node: Node): void {
    const state = this.#nodes.get(node.metadata.name ?? '');
    if (!state) return;
    state.labels = {};
    state.needFullSync = true;
    if (this.initialized()) this.requestSync();
  }
  /** Whether changes are recorded that no sync has applied yet (a sync is due). */
  get pending(): boolean {
    if (this.serviceChanges.pending() > 0 || this.endpointsChanges.hasPending()) return true;
    for (const n of this.#nodes.values()) if (n.needFullSync) return true;
    return false;
  }
  markSynced(): void {
    this.servicesSynced = true;
    this.endpointSlicesSynced = true;
  }
  requestSync(): void {
    this.#runner.run();
  }
  stop(): void {
    this.#runner.stop();
  }
  /** The node's rule context (kept while its labels and the large-cluster mode stay): read-only. */
  contextOf(n: NodeState): RuleContext {
    return this.#nodeContext(n).ctx;
  }

  #nodeContext(n: NodeState): { ctx: RuleContext; lines: NodeLines } {
    const large = this.#largeClusterMode;
    const c = n.ctxCache;
    if (c && c.labels === n.labels && c.large === large) return c;
    const ctx: RuleContext = { ...n.ctx, nodeLabels: n.labels, largeClusterMode: large };
    const lines = {
      postrouting: postroutingRules(ctx).length,
      tail: nodePortsTailRules(ctx).length,
      forward: forwardRules(ctx).length,
    };
    n.ctxCache = { labels: n.labels, large, ctx, lines };
    return n.ctxCache;
  }

  #ensureOrder(): string[] {
    if (!this.order) {
      const order = [...this.svcPortMap.keys()].sort();
      this.order = order;
      this.#pos.clear();
      for (let i = 0; i < order.length; i++) this.#pos.set(order[i]!, i);
      this.#snapshotDirty = true;
    }
    return this.order;
  }

  #plan(info: ServicePortInfo, eps: readonly EndpointInfo[]): Plan {
    let nodeHinted: Set<string> | null = null;
    let zoneHinted: Set<string> | null = null;
    if (usesClusterEndpoints(info)) {
      // topologyModeFromHints with the node left open: which nodes and zones could get a mode.
      let allNode = true;
      let allZone = true;
      const nodes = new Set<string>();
      const zones = new Set<string>();
      for (const ep of eps) {
        if (!ep.ready) continue;
        if (!ep.nodeHints || ep.nodeHints.size === 0) allNode = false;
        else for (const h of ep.nodeHints) nodes.add(h);
        if (!ep.zoneHints || ep.zoneHints.size === 0) allZone = false;
        else for (const h of ep.zoneHints) zones.add(h);
      }
      if (allNode && nodes.size > 0) nodeHinted = nodes;
      if (allZone && zones.size > 0) zoneHinted = zones;
    }
    let localNodes: Set<string> | null = null;
    if (usesLocalEndpoints(info)) {
      for (const ep of eps) {
        if (ep.nodeName === '' || !(ep.ready || (ep.serving && ep.terminating))) continue;
        localNodes ??= new Set();
        localNodes.add(ep.nodeName);
      }
    }
    const firewall = info.loadBalancerSourceRanges.length > 0 && info.loadBalancerVIPs.length > 0;
    const localhost = info.nodePort !== 0 && this.#localhost === null;
    return {
      uniform: !nodeHinted && !zoneHinted && !localNodes && !firewall && !localhost,
      nodeHinted,
      zoneHinted,
      localNodes,
      firewall,
      localhost,
    };
  }

  /** Everything the node's rendering of this service port depends on, as a key nodes can share. */
  #variantKey(key: string, plan: Plan, n: NodeState): string {
    let k = '';
    if (plan.nodeHinted?.has(n.name)) k = `N${n.name}`;
    else if (plan.zoneHinted?.has(n.zone)) k = `Z${n.zone}`;
    k += plan.localNodes?.has(n.name) ? `|L${n.name}` : '|';
    if (plan.firewall) {
      const ip = n.ctx.nodeIP;
      const info = this.svcPortMap.get(key)!;
      k += ip && info.loadBalancerSourceRanges.some((c) => addrInCidr(c, ip.addr)) ? '|F' : '|';
    }
    if (plan.localhost) k += n.ctx.localhostNodePorts ? '|H' : '|';
    return k;
  }

  #renderFor(key: string, n: NodeState | null): CachedBlock {
    const info = this.svcPortMap.get(key)!;
    let eps = this.endpointsMap.get(key) ?? [];
    const ctx = n ? this.#nodeContext(n).ctx : this.#sharedContext();
    if (n && eps.some((e) => e.nodeName === n.name))
      eps = eps.map((e) => (e.nodeName === n.name ? { ...e, isLocal: true } : e));
    return new LeanBlock(info, eps, ctx);
  }

  /** The rule context of the blocks every node renders alike (kept while it stays the same). */
  #sharedContext(): RuleContext {
    const localhostNodePorts = this.#localhost ?? this.#base.localhostNodePorts;
    const large = this.#largeClusterMode;
    const c = this.#sharedCtx;
    if (c && c.localhostNodePorts === localhostNodePorts && c.largeClusterMode === large) return c;
    this.#sharedCtx = { ...this.#base, localhostNodePorts, nodeLabels: {}, largeClusterMode: large };
    return this.#sharedCtx;
  }
  #sharedCtx: RuleContext | null = null;

  #variantBlock(key: string, plan: Plan, n: NodeState): CachedBlock {
    const vk = this.#variantKey(key, plan, n);
    let m = this.#variants.get(key);
    if (!m) {
      m = new Map();
      this.#variants.set(key, m);
    }
    let b = m.get(vk);
    if (!b || b.largeClusterMode !== this.#largeClusterMode) {
      b = this.#renderFor(key, n);
      m.set(vk, b);
    }
    return b;
  }

  #setShared(key: string, b: CachedBlock | undefined, removed: string[]): void {
    const old = this.#shared.get(key);
    if (old) {
      addSums(this.#sharedSums, old, -1);
      countChains(this.#sharedActive, old.activeChains, removed);
    }
    if (b) {
      addChains(this.#sharedActive, b.activeChains);
      addSums(this.#sharedSums, b, 1);
      this.#shared.set(key, b);
    } else this.#shared.delete(key);
    this.#snapshotKeys.add(key);
    this.#sharedChanged.add(key);
    this.#generation++;
  }

  #setOverlay(n: NodeState, key: string, b: CachedBlock | undefined, removed: string[]): void {
    const old = n.overlay.get(key);
    if (old === b) return;
    if (!n.overlayOwned) {
      // The last sync's snapshot holds the map as it was: change a copy.
      n.overlay = new Map(n.overlay);
      n.overlayOwned = true;
    }
    if (!old) this.#overlayNodes.set(key, (this.#overlayNodes.get(key) ?? 0) + 1);
    else if (!b) {
      const left = (this.#overlayNodes.get(key) ?? 1) - 1;
      if (left === 0) this.#overlayNodes.delete(key);
      else this.#overlayNodes.set(key, left);
    }
    if (old) {
      addSums(n.sums, old, -1);
      countChains(n.overlayActive, old.activeChains, removed);
    }
    if (b) {
      addChains(n.overlayActive, b.activeChains);
      addSums(n.sums, b, 1);
      n.overlay.set(key, b);
    } else n.overlay.delete(key);
  }

  /** The keys a node may hold an overlay block of: not uniform now, or held by it now. */
  #ownKeys(n: NodeState): string[] {
    if (n.overlay.size === 0) return [...this.#nonUniform];
    const keys = new Set(this.#nonUniform);
    for (const k of n.overlay.keys()) keys.add(k);
    return [...keys];
  }

  /** The shared blocks in rule order now: the chunks of changed keys copied, the others kept. */
  #snapshotShared(order: readonly string[]): SharedBlocks {
    const keys = this.#snapshotKeys;
    if (!this.#snapshotDirty && keys.size === 0) return this.#sharedSnapshot;
    let chunks: (readonly (CachedBlock | undefined)[])[];
    if (this.#snapshotDirty) {
      chunks = [];
      for (let i = 0; i < order.length; i += chunkSize)
        chunks.push(order.slice(i, i + chunkSize).map((k) => this.#shared.get(k)));
    } else {
      chunks = [...this.#sharedSnapshot];
      const copied = new Set<number>();
      for (const key of keys) {
        // A key no longer in the order went with an order change (handled above).
        const i = this.#pos.get(key);
        if (i === undefined) continue;
        const c = i >> chunkBits;
        if (!copied.has(c)) {
          chunks[c] = [...chunks[c]!];
          copied.add(c);
        }
        (chunks[c] as (CachedBlock | undefined)[])[i & (chunkSize - 1)] = this.#shared.get(key);
      }
    }
    keys.clear();
    this.#snapshotDirty = false;
    this.#sharedSnapshot = chunks;
    return chunks;
  }

  /** One sync of every node's kube-proxy. Returns each node's result. */
  syncProxyRules(): Map<string, SyncResult> {
    const now = this.#now();
    const { updated, removed } = this.applyChanges();
    const wasLarge = this.#largeClusterMode;
    this.#largeClusterMode = this.totalEndpoints > largeClusterEndpointsThreshold;
    const large = this.#largeClusterMode;
    const order = this.#ensureOrder();
    const pos = this.#pos;

    // The service ports of changed Services (kube-proxy's partial-sync granularity).
    const written: string[] = [];
    for (const name of updated) for (const key of this.keysByService.get(name) ?? []) written.push(key);
    written.sort((a, b) => pos.get(a)! - pos.get(b)!);

    const sharedRemoved: string[] = [];
    for (const key of removed) {
      this.#plans.delete(key);
      this.#nonUniform.delete(key);
      this.#variants.delete(key);
      this.#setShared(key, undefined, sharedRemoved);
    }
    const replan = this.#replanAll ? order : written;
    this.#replanAll = false;
    for (const key of replan) {
      const plan = this.#plan(this.svcPortMap.get(key)!, this.endpointsMap.get(key) ?? []);
      this.#plans.set(key, plan);
      if (plan.uniform) this.#nonUniform.delete(key);
      else this.#nonUniform.add(key);
      this.#variants.delete(key);
      this.#setShared(key, plan.uniform ? this.#renderFor(key, null) : undefined, sharedRemoved);
    }
    /** Stale chains by pending lists (pendingKey), for the nodes without chains of their own. */
    const staleChains = new Map<string, string[]>();
    const fullNodes = new Set<NodeState>();
    for (const n of this.#nodes.values())
      if (n.needFullSync || !n.synced || now - n.lastFullSync > fullSyncPeriodMs) fullNodes.add(n);
    this.#noteEntryChanges(written, removed, fullNodes.size > 0 || wasLarge !== large);
    if (fullNodes.size > 0) {
      // A full sync writes every chain: shared blocks rendered under the other mode are redone once.
      for (const [key, b] of this.#shared)
        if (b.largeClusterMode !== large) this.#setShared(key, this.#renderFor(key, null), sharedRemoved);
    }
    const shared = this.#snapshotShared(order);
    let writtenSharedNatRules = 0;
    for (const key of written) writtenSharedNatRules += this.#shared.get(key)?.natRulesLines ?? 0;
    const updatedServices = [...updated].sort();
    const cleanupUDP = this.conntrackCleanupRequired;
    const results = new Map<string, SyncResult>();
    // What a partial sync looks at per node: only the written keys a node may hold a block of (not
    // uniform now, or some node's overlay has one), so a sync costs the change, not nodes x change.
    const writtenOwn = written.filter((k) => !this.#plans.get(k)!.uniform || this.#overlayNodes.has(k));
    const removedOwn = removed.filter((k) => this.#overlayNodes.has(k));

    for (const n of this.#nodes.values()) {
      const full = fullNodes.has(n);
      const nodeRemoved: string[] = [];
      n.overlayOwned = false;
      for (const key of removedOwn) this.#setOverlay(n, key, undefined, nodeRemoved);
      // A full sync: every key may change the node's overlay, but only the keys that are not uniform
      // and those the node holds a block of can (the others leave it as it is).
      const keys = full ? this.#ownKeys(n) : writtenOwn;
      this.overlayChecks += keys.length + removedOwn.length;
      for (const key of keys) {
        const plan = this.#plans.get(key)!;
        this.#setOverlay(n, key, plan.uniform ? undefined : this.#variantBlock(key, plan, n), nodeRemoved);
      }
      if (n.synced) {
        if (sharedRemoved.length > 0) n.pending.push(sharedRemoved);
        if (nodeRemoved.length > 0) n.pending.push(nodeRemoved);
      }
      // Stale chains: once every sync, or once per syncPeriod in large clusters.
      let deleted: string[] = [];
      if (!large || now - n.lastCleanup > this.#syncPeriod) {
        if (n.pending.length > 0) {
          // A node without chains of its own deletes what every such node with the same pending
          // lists deletes (nodes that synced together): found once a sync, not once a node.
          const key = n.overlayActive.size === 0 ? pendingKey(n.pending) : undefined;
          const known = key === undefined ? undefined : staleChains.get(key);
          if (known) deleted = known;
          else {
            const seen = new Set<string>();
            for (const list of n.pending)
              for (const c of list)
                if (!this.#sharedActive.has(c) && !n.overlayActive.has(c) && isServiceChainName(c))
                  seen.add(c);
            deleted = Object.freeze([...seen].sort()) as string[];
            if (key !== undefined) staleChains.set(key, deleted);
          }
          n.pending = [];
        }
        n.lastCleanup = now;
      }
      let writtenNatRules: number;
      if (full) writtenNatRules = this.#sharedSums.natRules + n.sums.natRules;
      else {
        writtenNatRules = writtenSharedNatRules;
        for (const key of writtenOwn) writtenNatRules += n.overlay.get(key)?.natRulesLines ?? 0;
      }
      const { ctx, lines } = this.#nodeContext(n);
      const head = lines.postrouting;
      const tail = lines.tail;
      const forward = lines.forward;
      const withFirewall = ctx.family === 'IPv4' && ctx.localhostNodePorts;
      const natTop = this.#sharedSums.natTop + n.sums.natTop;
      const natRulesAll = this.#sharedSums.natRules + n.sums.natRules;
      const natLines = head + natTop + writtenNatRules + deleted.length + tail;
      const snapshot: Snapshot = {
        order,
        shared,
        overlay: n.overlay,
        written: full ? null : written,
        deleted,
        ctx,
      };
      const result = {
        full,
        ok: true,
        updatedServices,
        writtenServicePorts: full ? order.length : written.length,
        deletedChains: deleted,
        filterRules: this.#sharedSums.filter + n.sums.filter + forward + (withFirewall ? 1 : 0),
        natRules: natLines,
        natRulesTotal: natLines + (natRulesAll - writtenNatRules) - deleted.length,
        totalEndpoints: this.totalEndpoints,
        largeClusterMode: large,
        conntrackCleanupRequired: cleanupUDP,
        noLocalEndpoints: {
          internal: this.#sharedSums.noLocalInternal + n.sums.noLocalInternal,
          external: this.#sharedSums.noLocalExternal + n.sums.noLocalExternal,
        },
        // Rendered when read: a thousand nodes' payloads are never all wanted at once. (An accessor
        // in the literal: every result shares one shape, where defineProperty made a new one each.)
        get payload() {
          return renderPayload(snapshot);
        },
      } as SyncResult;
      const changed = full || updated.size > 0 || deleted.length > 0 || removed.length > 0;
      if (changed) n.built = null;
      n.snapshot = snapshot;
      n.synced = true;
      n.needFullSync = false;
      if (full) n.lastFullSync = now;
      n.lastResult = result;
      results.set(n.name, result);
    }
    this.conntrackCleanupRequired = false;
    if (fullNodes.size > 0 || updated.size > 0 || removed.length > 0) this.#generation++;
    for (const [name, r] of results) {
      this.#opts.onSync?.(name, r);
      for (const l of this.#listeners) l(name, r.conntrackCleanupRequired);
    }
    return results;
  }

  /** What a full sync from scratch would write on this node now (pending changes not applied). */
  fullPayloadOf(n: NodeState): string {
    const order = this.#ensureOrder();
    const large = this.#largeClusterMode;
    const current = (b: CachedBlock | undefined, key: string, node: NodeState | null) =>
      b && b.largeClusterMode === large ? b : this.#renderFor(key, node);
    const shared: (CachedBlock | undefined)[][] = [];
    for (let i = 0; i < order.length; i += chunkSize)
      shared.push(
        order.slice(i, i + chunkSize).map((k) => {
          const b = this.#shared.get(k);
          return b ? current(b, k, null) : undefined;
        }),
      );
    const overlay = new Map<string, CachedBlock>();
    for (const key of order) {
      if (this.#shared.has(key)) continue;
      const plan = this.#plans.get(key);
      overlay.set(key, plan ? this.#variantBlock(key, plan, n) : this.#renderFor(key, n));
    }
    return renderPayload({ order, shared, overlay, written: null, deleted: [], ctx: this.contextOf(n) });
  }

  /**
   * The node's tables and fast path as of now (what `fullPayload()` would restore, plus the jump
   * rules), kept until a change. Built from the blocks' parsed rules: the chains of the service ports
   * every node renders alike are shared by every node's tables, the top chains by every node that
   * agrees on them, and chain indexes by every fast path walking the same rule list; a node's own
   * part is its overlay. After a switch of large-cluster mode that partial syncs have not rewritten,
   * the shared blocks are rendered once in the current mode, as a full sync would write them.
   */
  builtOf(n: NodeState): { rules: RuleTable; fast: FastPath } {
    if (n.built && n.built.generation === this.#generation) return n.built;
    const rules = this.#nodeTables(n) ?? withKubeJumpRules(RuleTable.parse(this.fullPayloadOf(n), n.name));
    n.built = {
      rules,
      fast: new FastPath(rules, n.ips, undefined, this.#indexCache),
      generation: this.#generation,
    };
    return n.built;
  }

  /**
   * The shared block as a full sync would write it now: after a switch of large-cluster mode that
   * partial syncs have not rewritten, rendered once in the current mode and kept beside it.
   */
  #effective(key: string, b: CachedBlock): CachedBlock {
    const large = this.#largeClusterMode;
    if (b.largeClusterMode === large) return b;
    let twin = this.#otherMode.get(b);
    if (twin === undefined || twin.largeClusterMode !== large) {
      twin = this.#renderFor(key, null);
      this.#otherMode.set(b, twin);
    }
    return twin;
  }

  #syncSharedChains(): void {
    if (this.#chainsLarge !== this.#largeClusterMode) {
      // Every shared block's rendering may be another one now.
      for (const key of this.#shared.keys()) this.#sharedChanged.add(key);
      this.#chainsLarge = this.#largeClusterMode;
    }
    for (const key of this.#sharedChanged) {
      const old = this.#sharedChainsOf.get(key);
      if (old) for (const c of rulesOf(old).chains) this.#sharedChains.delete(c.name);
      const stored = this.#shared.get(key);
      if (stored) {
        const b = this.#effective(key, stored);
        for (const c of rulesOf(b).chains) this.#sharedChains.set(c.name, c);
        this.#sharedChainsOf.set(key, b);
      } else this.#sharedChainsOf.delete(key);
    }
    this.#sharedChanged.clear();
  }

  #textId(text: string): number {
    let id = this.#textIds.get(text);
    if (id === undefined) {
      id = this.#textIds.size;
      this.#textIds.set(text, id);
    }
    return id;
  }

  #nodeTables(n: NodeState): RuleTable | undefined {
    const order = this.#ensureOrder();
    const large = this.#largeClusterMode;
    this.#syncSharedChains();
    if (this.#topsGeneration !== this.#generation) {
      this.#tops.clear();
      this.#textIds.clear();
      this.#topsGeneration = this.#generation;
    }
    const ctx = this.contextOf(n);
    const withFirewall = ctx.family === 'IPv4' && ctx.localhostNodePorts;
    const forward = forwardRules(ctx);
    const postrouting = postroutingRules(ctx);
    const tail = nodePortsTailRules(ctx);
    // What the top chains are made of: the node's own lines, then its overlay blocks' top texts.
    let sig = `${withFirewall}\n${forward.join('\n')}\n${postrouting.join('\n')}\n${tail.join('\n')}`;
    const overlay: CachedBlock[] = [];
    // Every service port shared: no overlay to look for.
    for (let i = 0; this.#shared.size < order.length && i < order.length; i++) {
      const key = order[i]!;
      if (this.#shared.has(key)) continue;
      const plan = this.#plans.get(key);
      const b = plan ? this.#variantBlock(key, plan, n) : this.#renderFor(key, n);
      if (b.largeClusterMode !== large) return undefined;
      overlay.push(b);
      sig += `\n${i}:${this.#textId(b.natTopText)}/${this.#textId(b.filterText)}`;
    }
    let top = this.#tops.get(sig);
    if (top === undefined) {
      const filter = new Map<string, Chain>();
      const nat = new Map<string, Chain>();
      const chainIn = (m: Map<string, Chain>, name: string, declared: boolean) => {
        let c = m.get(name);
        if (c === undefined) {
          c = new Chain(name);
          c.declared = declared;
          m.set(name, c);
        }
        return c;
      };
      for (const name of filterTopChains) chainIn(filter, name, true);
      if (withFirewall)
        chainIn(filter, kubeletFirewallChain, true).rules.push(
          new Rule(kubeletFirewallChain, kubeletFirewallRule()),
        );
      for (const name of natTopChains) chainIn(nat, name, true);
      const add = (m: Map<string, Chain>, lines: readonly string[]) => {
        const rules: Rule[] = [];
        ruleLines(joinLines(lines), rules);
        for (const r of rules) chainIn(m, r.chain, false).rules.push(r);
      };
      add(nat, postrouting);
      let next = 0;
      for (const key of order) {
        const stored = this.#shared.get(key);
        const r = rulesOf(stored ? this.#effective(key, stored) : overlay[next++]!);
        for (const rule of r.filter) chainIn(filter, rule.chain, false).rules.push(rule);
        for (const rule of r.natTop) chainIn(nat, rule.chain, false).rules.push(rule);
      }
      add(filter, forward);
      add(nat, tail);
      top = { filter: [...filter.values()], nat: [...nat.values()] };
      this.#tops.set(sig, top);
    }
    const own = (chains: readonly Chain[]) => chains.map((c) => [c.name, c] as const);
    const rt = new RuleTable();
    rt.tables.push(Table.over('filter', new Map([...own(jumpChains.filter), ...own(top.filter)])));
    const natOwn = [...own(jumpChains.nat), ...own(top.nat)];
    for (const b of overlay) natOwn.push(...own(rulesOf(b).chains));
    rt.tables.push(Table.over('nat', new LayeredChains(natOwn, this.#sharedChains)));
    return rt;
  }

  /** Every UDP service port with its serving endpoints: the input of the conntrack clean-up. */
  udpServicePorts(): UdpServicePortView[] {
    const out: UdpServicePortView[] = [];
    for (const key of this.#ensureOrder()) {
      const info = this.svcPortMap.get(key)!;
      if (info.protocol !== 'UDP') continue;
      out.push({
        ips: [info.clusterIP, ...info.externalIPs, ...info.loadBalancerVIPs],
        port: info.port,
        nodePort: info.nodePort,
        endpoints: (this.endpointsMap.get(key) ?? []).filter((e) => e.serving).map((e) => e.endpoint),
      });
    }
    return out;
  }
}
