// A running lab: the cluster booted from cluster.yaml and manifests, what it serves to this machine
// (the `netlab ready` block), and a clean stop. `netlab up` and scenarios both run one.

import type { AnyObject, Pod } from '../../api/index.js';
import { DnsListenError, formatHostPort, type HostPort, parseHostPort } from '../../dns/index.js';
import { NetlabError } from '../../std/index.js';
import { writeKubeconfig } from '../apiserver/index.js';
import { Cluster } from '../cluster.js';
import type { ClusterConfig } from '../config/cluster-config.js';
import type { LabInputs } from '../config/inputs.js';
import { workloadBatchPeriodMs, workloadProxyMinSyncPeriodMs } from '../config/workload.js';
import { type Progress, silentProgress } from './progress.js';

/** A listener's port is taken: names the port and how to choose another. */
export class PortInUseError extends NetlabError {
  override readonly name = 'PortInUseError';
  readonly code = 'NETLAB_LAB_PORT_IN_USE';
  constructor(
    readonly what: string,
    readonly address: string,
    readonly flag: string,
    readonly configField: string,
  ) {
    super(
      `${address} is already in use (${what}): choose another with ${flag} or ${configField} in cluster.yaml`,
    );
  }
}

export interface LabOptions {
  inputs: LabInputs;
  /** Where cluster DNS listens on this machine; default the config's loopback address and ports.dns. */
  dnsListen?: HostPort;
  /** Serve the kube-API; default the config's loopback address and ports.api. false: no API. */
  api?: false | { host?: string; port?: number; token?: string | undefined };
  /** Where to write the kubeconfig for the kube-API (context netlab). */
  kubeconfig?: string;
  /** The forward proxy's address; default the config's loopback address and ports.proxy. false: none. */
  proxyListen?: false | HostPort;
  /** The first node's loopback address (node n gets the n-th address from it); default loopback.nodes. */
  nodeLoopback?: string;
  progress?: Progress;
  /** How long to wait for every Pod to be Ready before saying what is not. Default 120 s. */
  readyTimeoutMs?: number;
}

/** What the lab serves to this machine: the `name: value` lines of the `netlab ready` block. */
export interface Served {
  dns: string;
  nodeports?: string;
  loadbalancers?: string;
  proxy?: string;
  api?: string;
  kubeconfig?: string;
}

/** Node loopback addresses get at most this many nodes (the last octet's host addresses). */
const maxNodeAddresses = 254;

/**
 * The loopback address of node `index` (0-based): the first node's address plus `index`, while it
 * stays within 127.0.0.0/8 and the first 254 nodes.
 */
export function nodeLoopbackAddress(first: string, index: number): string | undefined {
  const parts = first.split('.').map(Number);
  if (parts.length !== 4 || parts[0] !== 127 || index >= maxNodeAddresses) return undefined;
  const n = ((parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) + index;
  if (n > 0xffffff) return undefined;
  return `127.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
}

/** Node lines longer than this are shortened to the first and last nodes. */
const maxListedNodes = 6;

const isReady = (p: Pod) =>
  p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;

export class Lab {
  /** What was not Ready when the wait ended, as `Pod namespace/name` (or Deployment, StatefulSet). */
  readonly notReady: readonly string[];

  private constructor(
    readonly cluster: Cluster,
    readonly inputs: LabInputs,
    notReady: string[],
    readonly kubeconfig: string | undefined,
  ) {
    this.notReady = notReady;
  }

  static async start(opts: LabOptions): Promise<Lab> {
    const { config } = opts.inputs;
    const progress = opts.progress ?? silentProgress;
    const dnsListen = opts.dnsListen ?? { host: config.loopback.address, port: config.ports.dns };
    const api =
      opts.api === false || opts.api === undefined
        ? undefined
        : {
            host: opts.api.host ?? config.loopback.address,
            port: opts.api.port ?? config.ports.api,
            token: opts.api.token,
          };
    const proxyListen =
      opts.proxyListen === false
        ? false
        : (opts.proxyListen ?? { host: config.loopback.address, port: config.ports.proxy });
    const nodeLoopback = opts.nodeLoopback ?? config.loopback.nodes;
    progress.step(
      `booting ${config.name}: ${config.nodes.length} nodes, ${opts.inputs.objects.length} objects` +
        (opts.inputs.defaultWorkload ? ' (the default workload)' : ''),
    );
    let cluster: Cluster;
    try {
      cluster = await Cluster.boot({
        manifests: [],
        objects: opts.inputs.objects,
        clusterCIDRs: config.podSubnets,
        serviceCIDRs: config.serviceSubnets,
        seed: config.seed,
        zone: config.dns.zone,
        dns: {
          ttl: config.dns.ttl,
          pods: config.dns.pods,
          ...(config.dns.upstream
            ? { upstream: parseHostPort('dns.upstream', config.dns.upstream, 53) }
            : {}),
        },
        dnsListen,
        ...(api ? { api } : {}),
        ...(opts.inputs.workload !== undefined ? { proxyMinSyncPeriodMs: workloadProxyMinSyncPeriodMs } : {}),
        kubelets: {
          nodeLeaseRenewIntervalSeconds: config.durations.nodeLeaseRenewInterval / 1000,
          // The plugins run beside the lab, as a node's runtime runs them beside the kubelet.
          cniThread: true,
          // A generated workload is for scale: its pods exist in-process only.
          ...(opts.inputs.workload !== undefined ? { realSockets: false } : {}),
          ...(config.stateDir !== undefined ? { stateDir: config.stateDir } : {}),
        },
        dataplane: {
          proxyListen,
          // The default keeps the data plane's own fallback (127.0.0.1 for the first node alone
          // where 127.0.10.1 cannot be bound).
          ...(nodeLoopback !== '127.0.10.1'
            ? { nodeAddress: (i: number) => nodeLoopbackAddress(nodeLoopback, i) }
            : {}),
          dropTimeoutMs: config.durations.dropTimeout,
          seed: config.seed,
        },
        controllers: {
          nodeMonitorGracePeriodMs: config.durations.nodeMonitorGracePeriod,
          podEvictionTimeoutMs: config.durations.podEvictionTimeout,
          // A generated workload is for scale: Pod changes reach slices in batches.
          ...(opts.inputs.workload !== undefined
            ? { endpointUpdatesBatchPeriodMs: workloadBatchPeriodMs }
            : {}),
        },
      });
    } catch (e) {
      throw portInUse(e, { dnsListen, api, proxyListen }) ?? e;
    }
    if (cluster.api && opts.kubeconfig !== undefined) {
      writeKubeconfig(opts.kubeconfig, { server: cluster.api.url, token: api ? api.token : undefined });
    }
    progress.step(
      `cluster DNS on ${formatHostPort(cluster.dnsAddress)}; kube-proxy on ${cluster.proxiers.size} nodes`,
    );
    await cluster.settled();
    // Without kubelets nobody makes a Pod Ready: there is nothing to wait for.
    const notReady = cluster.kubelets
      ? await waitForPods(cluster, progress, opts.readyTimeoutMs ?? 120_000)
      : [];
    // The NodePorts listen once their Services have endpoints: a taken one shows now.
    await cluster.settled();
    const failed = (await cluster.dataplane?.entryFailures()) ?? [];
    const taken = failed.find((f) => f.error === 'EADDRINUSE') ?? failed[0];
    if (taken !== undefined) {
      await cluster.stop();
      const l = taken.listener;
      throw l.kind === 'nodeport'
        ? new PortInUseError(
            `NodePort ${l.port}/${l.protocol} of ${l.node}`,
            `${l.address}:${l.port}`,
            '--node-loopback',
            'loopback.nodes',
          )
        : new PortInUseError(
            `LoadBalancer ${l.target.ip}:${l.port}/${l.protocol}`,
            `${l.address}:${l.port}`,
            'a loadBalancerIP outside the pool',
            'the Service',
          );
    }
    return new Lab(cluster, opts.inputs, notReady, opts.kubeconfig);
  }

  served(): Served {
    const out: Served = { dns: formatHostPort(this.cluster.dnsAddress) };
    const dp = this.cluster.dataplane;
    if (dp) {
      out.nodeports = nodePortsLine(
        dp.nodeAddresses(),
        dp.listeners().filter((l) => l.kind === 'nodeport'),
      );
      const lbs = dp
        .listeners()
        .filter((l) => l.kind === 'loadbalancer')
        .map((l) => `${l.target.ip}:${l.target.port}/${l.protocol} at ${l.address}:${l.port}`);
      out.loadbalancers = lbs.length > 0 ? lbs.join(', ') : '<none>';
      const proxy = dp.proxyAddress;
      out.proxy = proxy ? `http://${formatHostPort(proxy)}` : '<none>';
    }
    if (this.cluster.api) {
      out.api = this.cluster.api.url;
      if (this.kubeconfig !== undefined) out.kubeconfig = this.kubeconfig;
    }
    return out;
  }

  /** Three commands that work against this lab as printed: a curl, a dig, a trace. */
  tryCommands(): string[] {
    const config: ClusterConfig = this.inputs.config;
    const zone = config.dns.zone;
    const services = this.cluster.store.list('Service').items;
    const svc = services.find(
      (s) =>
        s.metadata.namespace === 'default' &&
        s.metadata.name !== 'kubernetes' &&
        s.spec.clusterIP &&
        s.spec.clusterIP !== 'None',
    );
    const name = `${svc?.metadata.name ?? 'kubernetes'}.default.svc.${zone}`;
    const { host, port } = this.cluster.dnsAddress;
    const out: string[] = [];
    const dp = this.cluster.dataplane;
    // agnhost netexec answers /hostname with the pod's name: which pod a connection reached.
    const path = this.inputs.defaultWorkload ? '/hostname' : '/';
    const np = dp?.listeners().find((l) => l.kind === 'nodeport' && l.protocol === 'TCP');
    const proxy = dp?.proxyAddress;
    if (np !== undefined) out.push(`curl -s http://${np.address}:${np.port}${path}`);
    else if (proxy !== undefined && svc !== undefined) {
      const p = svc.spec.ports?.find((x) => (x.protocol ?? 'TCP') === 'TCP');
      if (p !== undefined)
        out.push(
          `curl -s -x http://${formatHostPort(proxy)} http://${svc.metadata.name}.default${p.port === 80 ? '' : `:${p.port}`}${path}`,
        );
    }
    out.push(`dig @${host} -p ${port} ${name} +short`);
    if (proxy !== undefined) out.push(`npx netlab trace --live --proxy ${formatHostPort(proxy)}`);
    return out;
  }

  /** The `netlab ready` block: the line scripts wait for, what is served, and commands to try. */
  readyBlock(): string {
    const served = this.served();
    const lines = ['netlab ready'];
    for (const [name, value] of Object.entries(served)) lines.push(`${name}: ${value}`);
    lines.push('try:', ...this.tryCommands().map((c) => `  ${c}`));
    return `${lines.join('\n')}\n`;
  }

  /** Stops every component; resolves once listeners are closed. */
  async stop(): Promise<void> {
    await this.cluster.stop();
  }
}

const workloadKinds = ['Deployment', 'StatefulSet'] as const;

/**
 * A workload is waited for once a controller acts on it (it wrote status.observedGeneration) until
 * its ready replicas reach spec.replicas; a workload no controller acts on is not waited for.
 */
function workloadPending(w: AnyObject): boolean {
  const { spec, status } = w as {
    spec?: { replicas?: number };
    status?: { observedGeneration?: number; readyReplicas?: number };
  };
  if (status?.observedGeneration === undefined) return false;
  return (status.readyReplicas ?? 0) < (spec?.replicas ?? 1);
}

/**
 * Waits (watching, not polling) until every Pod is Ready and every Deployment and StatefulSet has
 * its replicas ready; returns the Pods (and workloads) still not Ready at the timeout.
 */
async function waitForPods(cluster: Cluster, progress: Progress, timeoutMs: number): Promise<string[]> {
  const key = (kind: string, o: AnyObject) => `${kind}:${o.metadata.namespace}/${o.metadata.name}`;
  const pods = new Map<string, boolean>(); // key -> Ready
  // Kept as a count, not counted per event: a hundred thousand pods' events must not each scan them all.
  let ready = 0;
  const setReady = (k: string, r: boolean | undefined) => {
    if (pods.get(k) === true) ready--;
    if (r === undefined) pods.delete(k);
    else {
      pods.set(k, r);
      if (r) ready++;
    }
  };
  const pending = new Set<string>();
  const set = (k: string, isPending: boolean) => {
    if (isPending) pending.add(k);
    else pending.delete(k);
  };
  const podList = cluster.store.list('Pod');
  for (const p of podList.items) {
    setReady(key('Pod', p), isReady(p));
    set(key('Pod', p), !isReady(p));
  }
  const lists = workloadKinds.map((kind) => {
    const l = cluster.store.list(kind);
    for (const w of l.items) set(key(kind, w as AnyObject), workloadPending(w as AnyObject));
    return { kind, rv: l.resourceVersion };
  });
  if (pending.size === 0) return [];
  const readyCount = () => ready;
  const bar = progress.bar('pods ready', pods.size);
  bar.update(readyCount());
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), timeoutMs);
  let done!: () => void;
  const allDone = new Promise<void>((r) => {
    done = r;
  });
  const changed = () => {
    bar.total?.(pods.size);
    bar.update(readyCount());
    if (pending.size === 0) done();
  };
  const watchKind = async (kind: string, rv: string, onEvent: (type: string, o: AnyObject) => void) => {
    try {
      for await (const ev of cluster.store.watch(kind as 'Pod', { signal: ac.signal, resourceVersion: rv })) {
        onEvent(ev.type, ev.object as AnyObject);
        changed();
      }
    } catch (e) {
      if (!ac.signal.aborted) throw e;
    }
  };
  const loops = [
    watchKind('Pod', podList.resourceVersion, (type, o) => {
      const k = key('Pod', o);
      if (type === 'DELETED') {
        setReady(k, undefined);
        pending.delete(k);
      } else if (type === 'ADDED' || type === 'MODIFIED') {
        const r = isReady(o as Pod);
        setReady(k, r);
        set(k, !r);
      }
    }),
    ...lists.map(({ kind, rv }) =>
      watchKind(kind, rv, (type, o) => {
        const k = key(kind, o);
        if (type === 'DELETED') pending.delete(k);
        else if (type === 'ADDED' || type === 'MODIFIED') set(k, workloadPending(o));
      }),
    ),
  ];
  try {
    await Promise.race([allDone, new Promise<void>((r) => ac.signal.addEventListener('abort', () => r()))]);
  } finally {
    clearTimeout(timer);
    ac.abort();
    await Promise.all(loops);
  }
  bar.done(pending.size === 0 ? '' : `(${pending.size} not Ready)`);
  return [...pending].map((k) => k.replace(/^Pod:/, 'Pod ').replace(/^(\w+):/, '$1 ')).sort();
}

/** The one-line PortInUseError for a listener that failed to bind at boot, if that is what `e` is. */
function portInUse(
  e: unknown,
  at: { dnsListen: HostPort; api: HostPort | undefined; proxyListen: HostPort | false },
): PortInUseError | undefined {
  if (e instanceof DnsListenError && e.reason.endsWith('EADDRINUSE')) {
    return new PortInUseError('cluster DNS', formatHostPort(at.dnsListen), '--dns-listen', 'ports.dns');
  }
  // The listener's own error, or the one it wraps (the kube-API's names the port its own way).
  type Bind = NodeJS.ErrnoException & { address?: string; port?: number };
  const err = (e as Bind).code === 'EADDRINUSE' ? (e as Bind) : ((e as Error).cause as Bind | undefined);
  if (err?.code !== 'EADDRINUSE') return undefined;
  const same = (a: HostPort) => err.address === a.host && err.port === a.port;
  if (at.proxyListen !== false && same(at.proxyListen)) {
    return new PortInUseError(
      'forward proxy',
      formatHostPort(at.proxyListen),
      '--proxy-listen',
      'ports.proxy',
    );
  }
  if (at.api !== undefined) {
    return new PortInUseError('kube-API', formatHostPort(at.api), '--api-listen', 'ports.api');
  }
  return undefined;
}

/**
 * `node-1 127.0.10.1, node-2 127.0.10.2, node-3 127.0.10.3; ports 30080/TCP`: each node's loopback
 * address (its NodePorts listen there), then the NodePorts bound. Many nodes are shortened to the
 * first ones, `...`, and the last.
 */
export function nodePortsLine(
  nodes: readonly { node: string; address: string }[],
  listeners: readonly { port: number; protocol: string }[],
): string {
  if (nodes.length === 0) return '<none>';
  const each = nodes.map((n) => `${n.node} ${n.address}`);
  const shown =
    each.length > maxListedNodes
      ? [...each.slice(0, maxListedNodes - 1), `... (${each.length} nodes)`, each[each.length - 1]!]
      : each;
  const ports = [...new Set(listeners.map((l) => `${l.port}/${l.protocol}`))].sort();
  return `${shown.join(', ')}; ports ${ports.length > 0 ? ports.join(', ') : '<none>'}`;
}
