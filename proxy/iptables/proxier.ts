// kube-proxy in iptables mode for one node and one IP family. Watch handlers only record changes
// (change trackers); `syncProxyRules()` renders. Each service port's lines are kept as a block, so a
// partial sync re-renders only the Services whose Service or EndpointSlices changed, writes their
// chains, and deletes chains that are no longer used (`-X`), exactly as kube-proxy's partial
// restore does; `fullPayload()` is always the payload a full sync would write from scratch.
import type { EndpointSlice, IPFamily, Node, Service } from '../../api/index.js';
import {
  addrInCidr,
  cidrNetwork,
  isLoopback,
  type ParsedCIDR,
  type ParsedIP,
  parseCIDRSloppy,
  parseIPSloppy,
} from '../ruletable/index.js';
import { ServiceChangeTracker, type ServicePortMap } from './changetracker.js';
import { EndpointSliceCache, type EndpointsMap } from './endpoints.js';
import { ProxierConfigError } from './errors.js';
import { isServiceChainName, kubeletFirewallChain, makeChainLine } from './naming.js';
import {
  filterTopChains,
  forwardRules,
  kubeletFirewallRule,
  natTopChains,
  nodePortsTailRules,
  postroutingRules,
  type RuleContext,
  type ServiceBlock,
  serviceBlock,
} from './rules.js';
import { SyncRunner } from './runner.js';

/** More endpoints than this in total: per-endpoint comments are left out (kube-proxy's threshold). */
export const largeClusterEndpointsThreshold = 1000;
/** kube-proxy forces a full sync at least this often (proxyutil.FullSyncPeriod). */
export const fullSyncPeriodMs = 3600_000;

export interface ProxierOptions {
  /** This node's name (`--hostname-override`): decides which endpoints are local. */
  nodeName: string;
  /** Default IPv4. One proxier per family; dual-stack runs two. */
  ipFamily?: IPFamily;
  /** The node's addresses (any family; the first of this family is the primary node IP). */
  nodeIPs?: readonly string[];
  /** `--cluster-cidr` (comma-separated allowed): local-traffic detection by CIDR. */
  clusterCIDRs?: readonly string[];
  masqueradeAll?: boolean;
  /** Default 14, mark 0x4000. */
  masqueradeBit?: number;
  /** `--nodeport-addresses`: CIDRs, or `primary`. Empty: every local address. */
  nodePortAddresses?: readonly string[];
  /** `--iptables-localhost-nodeports`, default true (IPv4 only). */
  localhostNodePorts?: boolean;
  /** Whether the nfacct counters exist (kube-proxy creates them); default true. */
  nfacct?: boolean;
  /** Whether iptables supports `--random-fully`; default false (as kube-proxy's test fake). */
  randomFully?: boolean;
  /** sysctl nf_conntrack_tcp_be_liberal set: no INVALID DROP rule. Default false. */
  conntrackTCPLiberal?: boolean;
  /** Milliseconds between syncs at least (`--iptables-min-sync-period`); default 1000, 0 = at once. */
  minSyncPeriod?: number;
  /** `--iptables-sync-period`, default 30000: retry delay after a failure, large-cluster cleanup. */
  syncPeriod?: number;
  /**
   * Applies a payload (`iptables-restore --noflush`); throws to refuse it. Default: accept. The
   * proxier keeps its own record of the nat chains it created, for stale-chain deletion.
   */
  restore?: (payload: string) => void;
  /** Called after every sync with what it did. */
  onSync?: (result: SyncResult) => void;
  /** Milliseconds clock (tests inject one). */
  now?: () => number;
}

/** What one sync did. */
export interface SyncResult {
  /** Full sync: every chain written. Partial: only the chains of `updatedServices`. */
  full: boolean;
  ok: boolean;
  error?: string;
  /** The restore payload that was applied (or refused). */
  payload: string;
  /** `namespace/name` of the Services whose Service or EndpointSlices changed since the last sync. */
  updatedServices: string[];
  /** Service ports whose SVC/SVL/EXT/FW/SEP chains were written. */
  writtenServicePorts: number;
  /** Chains deleted with `-X`. */
  deletedChains: string[];
  /** Lines in the payload, per table (`-A`/`-X` lines). */
  filterRules: number;
  natRules: number;
  /** nat rules the node holds after this sync (written + kept - deleted), as kube-proxy's metric. */
  natRulesTotal: number;
  totalEndpoints: number;
  largeClusterMode: boolean;
  /**
   * A UDP service port lost endpoints or went away: conntrack entries may still point at dead
   * endpoints, and kube-proxy cleans them up after this sync (see `udpServicePorts()`).
   */
  conntrackCleanupRequired: boolean;
  /**
   * Service ports whose internal / external traffic policy is Local with endpoints elsewhere but
   * none here (kube-proxy's sync_proxy_rules_no_local_endpoints_total{traffic_policy}).
   */
  noLocalEndpoints: { internal: number; external: number };
}

/** A UDP service port as kube-proxy's conntrack clean-up reads it. */
export interface UdpServicePortView {
  /** Cluster IP, external IPs and load-balancer IPs. */
  ips: string[];
  port: number;
  /** 0 when there is none. */
  nodePort: number;
  /** Endpoints (`ip:port`) traffic may still be DNAT'd to: the serving ones. */
  endpoints: string[];
}

function familyCIDR(opt: string, list: readonly string[] | undefined, family: IPFamily): string | null {
  for (const item of list ?? []) {
    for (const s of item.split(',')) {
      const t = s.trim();
      if (t === '') continue;
      const c = parseCIDRSloppy(t);
      if (!c) throw new ProxierConfigError(opt, `invalid CIDR "${t}"`);
      if (c.family === family) return t;
    }
  }
  return null;
}

/**
 * kube-proxy's reading of `--cluster-cidr` for a node of `family`: its config validation (one CIDR,
 * or two of different families; ProxierConfigError otherwise), then, as its local detector does,
 * the CIDR of the node's family. Without one kube-proxy says so (InfoS "Detect-local-mode set to
 * ClusterCIDR, but no cluster CIDR for family") and writes no pod-CIDR rules: the returned warning
 * says that; undefined when a CIDR of the family is there or the flag is empty.
 */
export function clusterCIDRWarning(value: string | undefined, family: IPFamily): string | undefined {
  const cidrs = (value ?? '')
    .split(',')
    .map((c) => c.trim())
    .filter((c) => c !== '');
  if (cidrs.length === 0) return undefined;
  const parsed = cidrs.map((c) => {
    const p = parseCIDRSloppy(c);
    if (!p) {
      throw new ProxierConfigError(
        '--cluster-cidr',
        `Invalid value: "${value}": must be a valid CIDR block (e.g. 10.100.0.0/16 or fde4:8dba:82e1::/48)`,
      );
    }
    return p;
  });
  if (parsed.length > 2) {
    throw new ProxierConfigError(
      '--cluster-cidr',
      `Invalid value: "${value}": only one CIDR allowed or a valid DualStack CIDR (e.g. 10.100.0.0/16,fde4:8dba:82e1::/48)`,
    );
  }
  if (parsed.length === 2 && parsed[0]!.family === parsed[1]!.family) {
    throw new ProxierConfigError(
      '--cluster-cidr',
      `Invalid value: "${value}": must be a valid DualStack CIDR (e.g. 10.100.0.0/16,fde4:8dba:82e1::/48)`,
    );
  }
  if (parsed.some((p) => p.family === family)) return undefined;
  return (
    `--cluster-cidr ${value} has no ${family} CIDR: kube-proxy on this ${family} node says "Detect-local-mode ` +
    'set to ClusterCIDR, but no cluster CIDR for family" and writes no rules that tell pod traffic by source'
  );
}

interface NodePortAddresses {
  matchAll: boolean;
  cidrs: ParsedCIDR[];
  containsIPv4Loopback: boolean;
}

/** proxyutil.NewNodePortAddresses: CIDRs of this family, or match-all when none. */
function nodePortAddresses(
  list: readonly string[],
  family: IPFamily,
  primary: ParsedIP | null,
): NodePortAddresses {
  const cidrs: ParsedCIDR[] = [];
  for (const item of list) {
    for (const raw of item.split(',')) {
      const s = raw.trim();
      if (s === '') continue;
      if (s === 'primary') {
        if (primary) cidrs.push(parseCIDRSloppy(`${primary.text}/${primary.family === 'IPv4' ? 32 : 128}`)!);
        continue;
      }
      const c = parseCIDRSloppy(s);
      if (!c) throw new ProxierConfigError('--nodeport-addresses', `invalid CIDR "${s}"`);
      if (c.family === family) cidrs.push(c);
    }
  }
  if (cidrs.length === 0) cidrs.push(parseCIDRSloppy(family === 'IPv4' ? '0.0.0.0/0' : '::/0')!);
  let containsIPv4Loopback = false;
  const loop = parseIPSloppy('127.0.0.1')!;
  for (const c of cidrs) {
    if (c.family === 'IPv4' && (isLoopback(cidrNetwork(c)) || addrInCidr(c, loop.addr)))
      containsIPv4Loopback = true;
    if (c.prefix === 0) return { matchAll: true, cidrs: [c], containsIPv4Loopback };
  }
  return { matchAll: false, cidrs, containsIPv4Loopback };
}

/** The node's part of the rule context, from the flags and its addresses (checked: throws ProxierConfigError). */
export function resolveRuleContext(
  opts: Omit<ProxierOptions, 'onSync' | 'restore'>,
): Omit<RuleContext, 'nodeLabels' | 'largeClusterMode'> {
  const family = opts.ipFamily ?? 'IPv4';
  const ips: ParsedIP[] = [];
  for (const s of opts.nodeIPs ?? []) {
    const ip = parseIPSloppy(s.trim());
    if (!ip) throw new ProxierConfigError('--node-ip', `invalid IP address "${s}"`);
    ips.push(ip);
  }
  const familyIPs = ips.filter((ip) => ip.family === family);
  const primary = familyIPs[0] ?? null;
  const npa = nodePortAddresses(opts.nodePortAddresses ?? [], family, primary);
  // Localhost NodePorts need route_localnet, IPv4 only, and loopback among the NodePort addresses.
  const localhostNodePorts =
    (opts.localhostNodePorts ?? true) && family === 'IPv4' && npa.containsIPv4Loopback;
  let nodePortIPs: ParsedIP[] | null = null;
  if (!npa.matchAll) {
    // GetNodeIPs: the node's addresses (loopback included) inside the NodePort CIDRs.
    const local = [parseIPSloppy(family === 'IPv4' ? '127.0.0.1' : '::1')!, ...familyIPs];
    const seen = new Map<string, ParsedIP>();
    for (const c of npa.cidrs) for (const ip of local) if (addrInCidr(c, ip.addr)) seen.set(ip.text, ip);
    nodePortIPs = [...seen.values()].sort((a, b) => (a.text < b.text ? -1 : a.text > b.text ? 1 : 0));
  }
  const bit = opts.masqueradeBit ?? 14;
  if (!Number.isInteger(bit) || bit < 0 || bit > 31) {
    throw new ProxierConfigError('--iptables-masquerade-bit', `must be in the range 0-31, got ${bit}`);
  }
  return {
    family,
    nodeName: opts.nodeName,
    nodeIP: primary,
    clusterCIDR: familyCIDR('--cluster-cidr', opts.clusterCIDRs, family),
    masqueradeAll: opts.masqueradeAll ?? false,
    // The kernel (and kube-proxy's own tests) print the mark without padding: 0x4000.
    masqueradeMark: `0x${(2 ** bit).toString(16)}`,
    localhostNodePorts,
    nfacctLocalhostNodePorts: opts.nfacct ?? true,
    nfacctInvalidDropped: opts.nfacct ?? true,
    randomFully: opts.randomFully ?? false,
    conntrackTCPLiberal: opts.conntrackTCPLiberal ?? false,
    nodePortIPs,
  };
}

/** A service port's rendered lines, kept between syncs as text (the line arrays are not kept). */
export interface CachedBlock {
  filterText: string;
  natTopText: string;
  natChainsText: string;
  natRulesText: string;
  filterLines: number;
  natTopLines: number;
  natRulesLines: number;
  noLocalInternal: number;
  noLocalExternal: number;
  activeChains: readonly string[];
  largeClusterMode: boolean;
}

// One join, so the text is a flat string: a template literal or `+ '\n'` would make a cons string,
// and joining 10k cons strings on every partial sync costs ten times more than joining flat ones.
export function joinLines(lines: readonly string[]): string {
  if (lines.length === 0) return '';
  return [...lines, ''].join('\n');
}

/** What a restore payload holds besides the fixed chains and rules of the node's context. */
export interface PayloadParts {
  /** Each service port's filter rules, in service order. */
  filter: readonly string[];
  /** The chain lines of the nat chains written. */
  natChains: readonly string[];
  /** The nat rules: each service port's KUBE-SERVICES/KUBE-NODEPORTS jumps and its own chains. */
  natRules: readonly string[];
  /** Stale service chains, declared then deleted (`-X`). */
  deleted: readonly string[];
}

/**
 * The restore payload in kube-proxy's layout (syncProxyRules): filter (top chains, the kubelet's
 * firewall, service rules, forward rules), then nat (top chains, service chains, stale chains,
 * postrouting, service rules, `-X` of the stale chains, the NodePorts tail). The one place the
 * layout is written: the Proxier's syncs, its full payload and every node of a ClusterProxier.
 */
export function restorePayload(ctx: RuleContext, parts: PayloadParts): string {
  const withFirewall = ctx.family === 'IPv4' && ctx.localhostNodePorts;
  // One join over every piece: the payload is copied once (at 10k services it is ~1.5 MB).
  return [
    '*filter\n',
    joinLines(filterTopChains.map(makeChainLine)),
    withFirewall ? `${makeChainLine(kubeletFirewallChain)}\n${kubeletFirewallRule()}\n` : '',
    ...parts.filter,
    joinLines(forwardRules(ctx)),
    'COMMIT\n*nat\n',
    joinLines(natTopChains.map(makeChainLine)),
    ...parts.natChains,
    joinLines(parts.deleted.map(makeChainLine)),
    joinLines(postroutingRules(ctx)),
    ...parts.natRules,
    joinLines(parts.deleted.map((c) => `-X ${c}`)),
    joinLines(nodePortsTailRules(ctx)),
    'COMMIT\n',
  ].join('');
}

export function cacheBlock(block: ServiceBlock): CachedBlock {
  return {
    filterText: joinLines(block.filterRules),
    natTopText: joinLines(block.natTopRules),
    natChainsText: joinLines(block.natChains),
    natRulesText: joinLines(block.natRules),
    filterLines: block.filterRules.length,
    natTopLines: block.natTopRules.length,
    natRulesLines: block.natRules.length,
    noLocalInternal: block.noLocalInternal ? 1 : 0,
    noLocalExternal: block.noLocalExternal ? 1 : 0,
    activeChains: block.activeChains,
    largeClusterMode: block.largeClusterMode,
  };
}

/**
 * What kube-proxy's Service and EndpointSlice informer handlers do, for the Proxier and the
 * ClusterProxier alike: record each change in the trackers and, once both kinds have had their
 * initial list, ask for a sync (the first one at once).
 */
export abstract class ChangeRecorder {
  protected readonly serviceChanges: ServiceChangeTracker;
  protected readonly endpointsChanges: EndpointSliceCache;
  protected servicesSynced = false;
  protected endpointSlicesSynced = false;
  /** Service ports by key (kube-proxy's svcPortMap), their endpoints (endpointsMap), keys by Service. */
  protected readonly svcPortMap: ServicePortMap = new Map();
  protected readonly endpointsMap: EndpointsMap = new Map();
  protected readonly keysByService = new Map<string, Set<string>>();
  /** The service port keys in rule order; null when a key came or went. */
  protected order: string[] | null = null;
  /** Endpoints of every service port (large-cluster mode), kept without walking them all. */
  protected totalEndpoints = 0;
  /** A UDP service port or serving endpoint went: its conntrack entries may need clearing. */
  protected conntrackCleanupRequired = false;

  constructor(serviceChanges: ServiceChangeTracker, endpointsChanges: EndpointSliceCache) {
    this.serviceChanges = serviceChanges;
    this.endpointsChanges = endpointsChanges;
  }

  /** Asks the rate-limited runner for a sync. */
  abstract requestSync(): void;
  abstract syncProxyRules(): unknown;

  protected initialized(): boolean {
    return this.servicesSynced && this.endpointSlicesSynced;
  }

  onServiceAdd(svc: Service): void {
    this.onServiceUpdate(undefined, svc);
  }
  onServiceUpdate(previous: Service | undefined, current: Service | undefined): void {
    if (this.serviceChanges.update(previous, current) && this.initialized()) this.requestSync();
  }
  onServiceDelete(svc: Service): void {
    this.onServiceUpdate(svc, undefined);
  }
  onServicesSynced(): void {
    this.servicesSynced = true;
    if (this.initialized()) this.syncProxyRules();
  }

  onEndpointSliceAdd(slice: EndpointSlice): void {
    if (this.endpointsChanges.updatePending(slice, false) && this.initialized()) this.requestSync();
  }
  onEndpointSliceUpdate(_previous: EndpointSlice | undefined, slice: EndpointSlice): void {
    this.onEndpointSliceAdd(slice);
  }
  onEndpointSliceDelete(slice: EndpointSlice): void {
    if (this.endpointsChanges.updatePending(slice, true) && this.initialized()) this.requestSync();
  }
  onEndpointSlicesSynced(): void {
    this.endpointSlicesSynced = true;
    if (this.initialized()) this.syncProxyRules();
  }

  /**
   * Applies the pending changes (svcPortMap.Update, endpointsMap.Update): the Services that changed
   * and the service port keys that went.
   */
  protected applyChanges(): { updated: Set<string>; removed: string[] } {
    const updated = new Set<string>();
    const removed: string[] = [];
    const serviceChanges = this.serviceChanges.checkout();
    const endpointChanges = this.endpointsChanges.checkoutChanges();
    const count = (k: string) => (this.svcPortMap.has(k) ? (this.endpointsMap.get(k)?.length ?? 0) : 0);
    // Keep the endpoint total (large-cluster mode) without walking every service port.
    const touched = new Set<string>();
    for (const c of serviceChanges.values())
      for (const k of [...c.previous.keys(), ...c.current.keys()]) touched.add(k);
    for (const c of endpointChanges.values())
      for (const k of [...c.previous.keys(), ...c.current.keys()]) touched.add(k);
    for (const k of touched) this.totalEndpoints -= count(k);
    for (const [name, change] of serviceChanges) {
      updated.add(name);
      for (const [key, info] of change.previous) {
        if (change.current.has(key)) continue;
        if (info.protocol === 'UDP') this.conntrackCleanupRequired = true;
        this.svcPortMap.delete(key);
        this.keysByService.get(name)?.delete(key);
        removed.push(key);
        this.order = null;
      }
      for (const [key, info] of change.current) {
        if (!this.svcPortMap.has(key)) this.order = null;
        this.svcPortMap.set(key, info);
        let keys = this.keysByService.get(name);
        if (!keys) {
          keys = new Set();
          this.keysByService.set(name, keys);
        }
        keys.add(key);
      }
      if (this.keysByService.get(name)?.size === 0) this.keysByService.delete(name);
    }
    for (const [name, change] of endpointChanges) {
      updated.add(name);
      for (const [key, eps] of change.previous) {
        // A UDP endpoint gone (or no longer serving) may still have conntrack entries.
        if (!key.endsWith('/UDP')) continue;
        const now = new Set((change.current.get(key) ?? []).filter((e) => e.serving).map((e) => e.endpoint));
        if (eps.some((e) => e.serving && !now.has(e.endpoint))) this.conntrackCleanupRequired = true;
      }
      for (const key of change.previous.keys()) this.endpointsMap.delete(key);
      for (const [key, eps] of change.current) this.endpointsMap.set(key, eps);
    }
    for (const k of touched) this.totalEndpoints += count(k);
    return { updated, removed };
  }
}

export class Proxier extends ChangeRecorder {
  readonly ipFamily: IPFamily;
  readonly nodeName: string;
  readonly #blocks = new Map<string, CachedBlock>();
  /** Every nat chain some service port uses now (kube-proxy's activeNATChains). */
  readonly #activeChains = new Set<string>();
  /** Chains that stopped being active since the last clean-up: the only possible stale ones. */
  readonly #staleCandidates = new Set<string>();
  /** nat service chains this proxier has created on the node and not yet deleted. */
  readonly #nodeNatChains = new Set<string>();
  /** Service port keys in rendering order, their positions, and their always-written texts. */
  readonly #pos = new Map<string, number>();
  #filterTexts: string[] = [];
  #natTopTexts: string[] = [];
  /** Service port keys per Service (`ns/name`): partial sync re-renders by Service. */
  #filterLines = 0;
  #natTopLines = 0;
  #natRulesLines = 0;
  #noLocalInternal = 0;
  #noLocalExternal = 0;
  #nodeLabels: Record<string, string> = {};
  #needFullSync = true;
  #lastFullSync = Number.NEGATIVE_INFINITY;
  #lastCleanup = Number.NEGATIVE_INFINITY;
  readonly #ctx: Omit<RuleContext, 'nodeLabels' | 'largeClusterMode'>;
  readonly #syncPeriod: number;
  readonly #restore: (payload: string) => void;
  readonly #onSync: ((r: SyncResult) => void) | undefined;
  readonly #now: () => number;
  readonly #runner: SyncRunner;
  #largeClusterMode = false;
  #lastResult: SyncResult | null = null;

  constructor(opts: ProxierOptions) {
    const family = opts.ipFamily ?? 'IPv4';
    super(new ServiceChangeTracker(family), new EndpointSliceCache(opts.nodeName, family));
    this.ipFamily = family;
    this.nodeName = opts.nodeName;
    this.#ctx = resolveRuleContext(opts);
    this.#syncPeriod = opts.syncPeriod ?? 30_000;
    this.#restore = opts.restore ?? (() => {});
    this.#onSync = opts.onSync;
    this.#now = opts.now ?? (() => performance.now());
    this.#runner = new SyncRunner(() => this.syncProxyRules(), {
      minInterval: opts.minSyncPeriod ?? 1000,
      now: this.#now,
    });
  }

  /** The rule context of this proxier (flags resolved), for tools that render the same way. */
  get context(): RuleContext {
    return { ...this.#ctx, nodeLabels: this.#nodeLabels, largeClusterMode: this.#largeClusterMode };
  }

  get lastSync(): SyncResult | null {
    return this.#lastResult;
  }

  // The Node informer's handlers (the Service and EndpointSlice ones are ChangeRecorder's).

  /** Only this node's labels matter (topology zone); a change forces a full sync. */
  onNodeAdd(node: Node): void {
    this.onNodeUpdate(undefined, node);
  }
  onNodeUpdate(_previous: Node | undefined, node: Node): void {
    if (node.metadata.name !== this.nodeName) return;
    const labels = node.metadata.labels ?? {};
    if (sameLabels(labels, this.#nodeLabels)) return;
    this.#nodeLabels = { ...labels };
    this.#needFullSync = true;
    if (this.initialized()) this.requestSync();
  }
  onNodeDelete(node: Node): void {
    if (node.metadata.name !== this.nodeName) return;
    this.#nodeLabels = {};
    this.#needFullSync = true;
    if (this.initialized()) this.requestSync();
  }

  /** Asks the rate-limited runner for a sync. */
  requestSync(): void {
    this.#runner.run();
  }

  /** Forces the next sync to be full (kube-proxy: canary chain gone, or a failed restore). */
  forceFullSync(): void {
    this.#needFullSync = true;
  }

  stop(): void {
    this.#runner.stop();
  }

  /** Marks the initial lists as delivered without syncing (for callers that sync themselves). */
  markSynced(): void {
    this.servicesSynced = true;
    this.endpointSlicesSynced = true;
  }

  /** Rebuilds order and positions when the set of service ports changed. */
  #ensureOrder(): string[] {
    if (!this.order) {
      // kube-proxy walks a Go map (random order); a sorted walk makes the raw payload repeatable.
      const order = [...this.svcPortMap.keys()].sort();
      this.order = order;
      this.#pos.clear();
      for (let i = 0; i < order.length; i++) this.#pos.set(order[i]!, i);
      this.#filterTexts = new Array<string>(order.length).fill('');
      this.#natTopTexts = new Array<string>(order.length).fill('');
      for (let i = 0; i < order.length; i++) {
        const b = this.#blocks.get(order[i]!);
        if (b) {
          this.#filterTexts[i] = b.filterText;
          this.#natTopTexts[i] = b.natTopText;
        }
      }
    }
    return this.order;
  }

  #setBlock(key: string, block: ServiceBlock): CachedBlock {
    const cached = cacheBlock(block);
    const old = this.#blocks.get(key);
    // A re-render usually keeps the same chains (a full sync re-renders everything): then the
    // chain bookkeeping stays as it is, which is most of the cost of a full sync otherwise.
    if (old && sameList(old.activeChains, cached.activeChains)) this.#uncount(old);
    else {
      this.#dropBlock(key);
      for (const c of cached.activeChains) {
        this.#activeChains.add(c);
        this.#staleCandidates.delete(c);
      }
    }
    this.#blocks.set(key, cached);
    this.#filterLines += cached.filterLines;
    this.#natTopLines += cached.natTopLines;
    this.#natRulesLines += cached.natRulesLines;
    this.#noLocalInternal += cached.noLocalInternal;
    this.#noLocalExternal += cached.noLocalExternal;
    const i = this.order ? this.#pos.get(key) : undefined;
    if (i !== undefined) {
      this.#filterTexts[i] = cached.filterText;
      this.#natTopTexts[i] = cached.natTopText;
    }
    return cached;
  }

  #uncount(b: CachedBlock): void {
    this.#filterLines -= b.filterLines;
    this.#natTopLines -= b.natTopLines;
    this.#natRulesLines -= b.natRulesLines;
    this.#noLocalInternal -= b.noLocalInternal;
    this.#noLocalExternal -= b.noLocalExternal;
  }

  #dropBlock(key: string): void {
    const old = this.#blocks.get(key);
    if (!old) return;
    for (const c of old.activeChains) {
      this.#activeChains.delete(c);
      this.#staleCandidates.add(c);
    }
    this.#uncount(old);
    this.#blocks.delete(key);
  }

  #renderContext(): RuleContext {
    return { ...this.#ctx, nodeLabels: this.#nodeLabels, largeClusterMode: this.#largeClusterMode };
  }

  /**
   * One sync (kube-proxy's syncProxyRules): apply pending changes, render, restore. Runs even when
   * nothing changed (kube-proxy's periodic resync does the same).
   */
  syncProxyRules(): SyncResult {
    const doFullSync = this.#needFullSync || this.#now() - this.#lastFullSync > fullSyncPeriodMs;
    const { updated, removed } = this.applyChanges();
    for (const key of removed) this.#dropBlock(key);
    this.#largeClusterMode = this.totalEndpoints > largeClusterEndpointsThreshold;
    const ctx = this.#renderContext();
    const order = this.#ensureOrder();

    // The service ports whose own chains are written: all on a full sync, else those of the changed
    // Services (kube-proxy's granularity is the Service, not the port).
    let written: string[];
    if (doFullSync) written = order;
    else {
      written = [];
      for (const name of updated) for (const key of this.keysByService.get(name) ?? []) written.push(key);
      written.sort((a, b) => this.#pos.get(a)! - this.#pos.get(b)!);
    }
    for (const key of written) {
      this.#setBlock(key, serviceBlock(this.svcPortMap.get(key)!, this.endpointsMap.get(key) ?? [], ctx));
    }

    // nat rules: each service port's KUBE-SERVICES/KUBE-NODEPORTS lines, then (if written) its chains.
    const natRules = this.#natTopTexts.slice();
    const natChains: string[] = [];
    let writtenNatRules = 0;
    for (const key of written) {
      const b = this.#blocks.get(key)!;
      const i = this.#pos.get(key)!;
      natRules[i] = b.natTopText + b.natRulesText;
      natChains.push(b.natChainsText);
      writtenNatRules += b.natRulesLines;
    }

    // Stale chains: once every sync, or once per syncPeriod in large clusters (iptables-save is slow).
    const deleted: string[] = [];
    const now = this.#now();
    if (!this.#largeClusterMode || now - this.#lastCleanup > this.#syncPeriod) {
      const candidates = doFullSync ? this.#nodeNatChains : this.#staleCandidates;
      for (const c of candidates) {
        if (!this.#activeChains.has(c) && this.#nodeNatChains.has(c) && isServiceChainName(c))
          deleted.push(c);
      }
      deleted.sort();
      this.#lastCleanup = now;
    }

    const head = postroutingRules(ctx);
    const tail = nodePortsTailRules(ctx);
    const forward = forwardRules(ctx);
    const withFirewall = ctx.family === 'IPv4' && ctx.localhostNodePorts;
    const natLines = head.length + this.#natTopLines + writtenNatRules + deleted.length + tail.length;
    const payload = restorePayload(ctx, { filter: this.#filterTexts, natChains, natRules, deleted });

    const result: SyncResult = {
      full: doFullSync,
      ok: true,
      payload,
      updatedServices: [...updated].sort(),
      writtenServicePorts: written.length,
      deletedChains: deleted,
      filterRules: this.#filterLines + forward.length + (withFirewall ? 1 : 0),
      natRules: natLines,
      natRulesTotal: natLines + (this.#natRulesLines - writtenNatRules) - deleted.length,
      totalEndpoints: this.totalEndpoints,
      largeClusterMode: this.#largeClusterMode,
      conntrackCleanupRequired: this.conntrackCleanupRequired,
      noLocalEndpoints: { internal: this.#noLocalInternal, external: this.#noLocalExternal },
    };
    try {
      this.#restore(payload);
    } catch (e) {
      // The changes are already checked out: only a full sync can make the node right again.
      result.ok = false;
      result.error = e instanceof Error ? e.message : String(e);
      this.#needFullSync = true;
      this.#runner.retryAfter(this.#syncPeriod);
      this.#finish(result);
      return result;
    }
    // The node now holds every chain written, and not the deleted ones.
    for (const key of written)
      for (const c of this.#blocks.get(key)!.activeChains) this.#nodeNatChains.add(c);
    for (const c of deleted) {
      this.#nodeNatChains.delete(c);
      this.#staleCandidates.delete(c);
    }
    if (doFullSync) this.#lastFullSync = now;
    this.#needFullSync = false;
    this.conntrackCleanupRequired = false;
    this.#finish(result);
    return result;
  }

  #finish(result: SyncResult): void {
    this.#lastResult = result;
    this.#onSync?.(result);
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

  /**
   * The payload a full sync from scratch would write now (no `-X`: a fresh node has no stale
   * chains). Pending changes are not applied: they belong to the next sync. Blocks rendered under
   * the other large-cluster mode are re-rendered first.
   */
  fullPayload(): string {
    const ctx = this.#renderContext();
    const order = this.#ensureOrder();
    const natChains: string[] = [];
    const natRules: string[] = [];
    for (const key of order) {
      let b = this.#blocks.get(key);
      if (!b || b.largeClusterMode !== ctx.largeClusterMode) {
        b = this.#setBlock(
          key,
          serviceBlock(this.svcPortMap.get(key)!, this.endpointsMap.get(key) ?? [], ctx),
        );
      }
      natChains.push(b.natChainsText);
      natRules.push(b.natTopText, b.natRulesText);
    }
    return restorePayload(ctx, { filter: this.#filterTexts, natChains, natRules, deleted: [] });
  }
}

export function sameList(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function sameLabels(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) if (a[k] !== b[k]) return false;
  return true;
}
