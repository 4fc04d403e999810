// A running lab: the cluster booted from cluster.yaml and manifests, what it serves to this machine
// (the `netlab ready` block), and a clean stop. `netlab up` and scenarios both run one.
import type { Pod } from '../../api/index.js';
import { DnsListenError, formatHostPort, type HostPort, parseHostPort } from '../../dns/index.js';
import { writeKubeconfig } from '../apiserver/index.js';
import { Cluster } from '../cluster.js';
import type { LabInputs } from '../config/inputs.js';
import { type Progress, silentProgress } from './progress.js';

/** A listener's port is taken: names the port and how to choose another. */
export class PortInUseError extends Error {
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
  progress?: Progress;
  /** How long to wait for every Pod to be Ready before saying what is not. Default 120 s. */
  readyTimeoutMs?: number;
}

/** What the lab serves to this machine: the `name: value` lines of the `netlab ready` block. */
export interface Served {
  dns: string;
  api?: string;
  kubeconfig?: string;
}

const isReady = (p: Pod) =>
  p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;

export class Lab {
  /** Pods that were not Ready when the wait ended, as `namespace/name`. */
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
      });
    } catch (e) {
      if (e instanceof DnsListenError && e.reason.endsWith('EADDRINUSE')) {
        throw new PortInUseError('cluster DNS', formatHostPort(dnsListen), '--dns-listen', 'ports.dns');
      }
      if (api && (e as NodeJS.ErrnoException).code === 'EADDRINUSE') {
        throw new PortInUseError('kube-API', formatHostPort(api), '--api-listen', 'ports.api');
      }
      throw e;
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
    return new Lab(cluster, opts.inputs, notReady, opts.kubeconfig);
  }

  served(): Served {
    const out: Served = { dns: formatHostPort(this.cluster.dnsAddress) };
    if (this.cluster.api) {
      out.api = this.cluster.api.url;
      if (this.kubeconfig !== undefined) out.kubeconfig = this.kubeconfig;
    }
    return out;
  }

  /** The `netlab ready` block: the line scripts wait for, what is served, and commands to try. */
  readyBlock(): string {
    const served = this.served();
    const lines = ['netlab ready'];
    for (const [name, value] of Object.entries(served)) lines.push(`${name}: ${value}`);
    const zone = this.inputs.config.dns.zone;
    const svc = this.cluster.store
      .list('Service')
      .items.find(
        (s) =>
          s.metadata.namespace === 'default' &&
          s.metadata.name !== 'kubernetes' &&
          s.spec.clusterIP &&
          s.spec.clusterIP !== 'None',
      );
    const name = `${svc?.metadata.name ?? 'kubernetes'}.default.svc.${zone}`;
    const { host, port } = this.cluster.dnsAddress;
    lines.push('try:', `  dig @${host} -p ${port} ${name} +short`);
    return `${lines.join('\n')}\n`;
  }

  /** Stops every component; resolves once listeners are closed. */
  async stop(): Promise<void> {
    await this.cluster.stop();
  }
}

/** Waits until every Pod is Ready (watching, not polling); returns the ones still not Ready. */
async function waitForPods(cluster: Cluster, progress: Progress, timeoutMs: number): Promise<string[]> {
  const key = (p: Pod) => `${p.metadata.namespace}/${p.metadata.name}`;
  const pending = new Map<string, Pod>();
  const list = cluster.store.list('Pod');
  for (const p of list.items) if (!isReady(p)) pending.set(key(p), p);
  const total = list.items.length;
  if (pending.size === 0) return [];
  const bar = progress.bar('pods ready', total);
  bar.update(total - pending.size);
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), timeoutMs);
  try {
    for await (const ev of cluster.store.watch('Pod', {
      signal: ac.signal,
      resourceVersion: list.resourceVersion,
    })) {
      const p = ev.object as Pod;
      if (ev.type === 'DELETED' || isReady(p)) pending.delete(key(p));
      else pending.set(key(p), p);
      bar.update(total - pending.size);
      if (pending.size === 0) break;
    }
  } catch (e) {
    if (!ac.signal.aborted) throw e;
  } finally {
    clearTimeout(timer);
  }
  bar.done(pending.size === 0 ? '' : `(${pending.size} not Ready)`);
  return [...pending.keys()].sort();
}
