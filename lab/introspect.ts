// What a running cluster answers beyond the kube-API (lab/apiserver's LabIntrospection): a node's
// conntrack table from the data plane, `ip addr`/`ip route` from the pod network's fabric, a name
// resolved as a pod's libc would (its resolv.conf against cluster DNS), and an HTTP request made
// from a pod through the data plane (the pod's own dial, so kube-proxy's rules, conntrack and the
// source address are what that pod would get).
import { request } from 'node:http';
import { isIP } from 'node:net';
import type { Pod } from '../api/index.js';
import {
  renderNetnsRoutes,
  renderNodeAddrBrief,
  renderNodeRoutes,
  renderPodAddrBrief,
} from '../cni/index.js';
import { formatOutcome, formatTrace, type HostPort, parseResolvConf, podDNS, resolve } from '../dns/index.js';
import {
  type ConntrackQuery,
  type CurlAnswer,
  type CurlQuery,
  type IpTarget,
  type LabIntrospection,
  LabNotFoundError,
  LabRequestError,
  LabUnavailableError,
  type ResolveAnswer,
  type ResolveQuery,
} from './apiserver/index.js';
import type { Cluster } from './cluster.js';

const maxCurlBody = 1024 * 1024;

export class ClusterIntrospection implements LabIntrospection {
  constructor(
    private readonly cluster: Cluster,
    private readonly clusterDomain: string,
  ) {}

  #node(name: string): void {
    if (!this.cluster.store.find('Node', name, '')) throw new LabNotFoundError(`nodes "${name}" not found`);
  }

  #pod(namespace: string, name: string): Pod {
    const pod = this.cluster.store.find('Pod', name, namespace);
    if (!pod) throw new LabNotFoundError(`pods "${name}" not found`);
    return pod;
  }

  conntrack(node: string, q: ConntrackQuery): { entries: string; summary: string } {
    this.#node(node);
    const dp = this.cluster.dataplane;
    if (!dp)
      throw new LabUnavailableError(
        'this lab runs no data plane: no connection has been tracked (netlab up runs one)',
      );
    const table = dp.dataplane.conntrack(node);
    return { entries: table.list(q), summary: table.summary(q) };
  }

  ip(what: 'addr' | 'route', target: IpTarget, family: 4 | 6): string {
    const kubelets = this.cluster.kubelets;
    if (!kubelets) throw new LabUnavailableError('this lab runs no kubelets: no pod network is set up');
    const fabric = kubelets.network.fabric;
    if ('node' in target) {
      this.#node(target.node);
      if (!fabric.node(target.node))
        throw new LabNotFoundError(`node ${target.node} has no pod network yet (no podCIDR)`);
      return what === 'addr'
        ? renderNodeAddrBrief(fabric, target.node)
        : renderNodeRoutes(fabric, target.node, family);
    }
    const pod = this.#pod(target.namespace, target.pod);
    const netns = `/var/run/netns/cni-${pod.metadata.uid}`;
    if (!fabric.sandboxes().includes(netns))
      throw new LabNotFoundError(
        `pod ${target.namespace}/${target.pod} has no network namespace (not running)`,
      );
    return what === 'addr' ? renderPodAddrBrief(fabric, netns) : renderNetnsRoutes(fabric, netns, family);
  }

  /** The cluster DNS Service's addresses and where its server really listens. */
  #dns(): { ips: string[]; real: (ip: string) => HostPort | undefined } {
    const ips = this.cluster.store.find('Service', 'kube-dns', 'kube-system')?.spec.clusterIPs ?? [
      '10.96.0.10',
    ];
    const set = new Set(ips);
    return { ips, real: (ip) => (set.has(ip) ? this.cluster.dnsAddress : undefined) };
  }

  async resolve(namespace: string, name: string, q: ResolveQuery): Promise<ResolveAnswer> {
    const pod = this.#pod(namespace, name);
    const dns = this.#dns();
    const file = podDNS(pod, { clusterDNS: dns.ips, clusterDomain: this.clusterDomain, hostResolvConf: '' });
    const conf = parseResolvConf(file.resolvConf, `/etc/resolv.conf of pod ${namespace}/${name}`);
    // The pod asks the cluster DNS Service's address; on this machine that is the lab's DNS server.
    conf.nameservers = conf.nameservers.map((ns) => {
      const real = dns.real(ns);
      return real ? `${real.host}:${real.port}` : ns;
    });
    const r = await resolve(q.name, conf, {
      libc: q.libc ?? 'glibc',
      family: q.family ?? 0,
      source: `/etc/resolv.conf of pod ${namespace}/${name}`,
    });
    return {
      resolvConf: file.resolvConf,
      trace: formatTrace(r.trace),
      outcome: formatOutcome(r),
      status: r.status,
      addresses: r.addresses,
    };
  }

  async curl(namespace: string, name: string, q: CurlQuery): Promise<CurlAnswer> {
    const pod = this.#pod(namespace, name);
    const kubelets = this.cluster.kubelets;
    if (!kubelets) throw new LabUnavailableError('this lab runs no kubelets: no pod can send a request');
    const node = pod.spec.nodeName;
    const podIP = pod.status?.podIP;
    const kubelet = node ? kubelets.get(node) : undefined;
    if (!kubelet || !podIP || !node)
      throw new LabRequestError(`pod ${namespace}/${name} is not running (no node or address yet)`, 409);
    let url: URL;
    try {
      url = new URL(q.url.includes('://') ? q.url : `http://${q.url}`);
    } catch {
      throw new LabRequestError(`url: "${q.url}" is not a URL`);
    }
    if (url.protocol !== 'http:')
      throw new LabRequestError(`url: only http:// is carried (got ${url.protocol.slice(0, -1)})`);
    const host = url.hostname.replace(/^\[|\]$/g, '');
    let ip = host;
    if (isIP(host) === 0) {
      try {
        ip = (await kubelet.lookup(pod, host, 4))[0]!;
      } catch (e) {
        throw new LabRequestError(`Could not resolve host: ${host} (${(e as Error).message})`, 502);
      }
    }
    const port = Number(url.port || 80);
    const timeoutMs = q.timeoutMs ?? 10_000;
    return new Promise<CurlAnswer>((done, fail) => {
      const req = request(
        {
          method: q.method ?? 'GET',
          host,
          port,
          path: `${url.pathname}${url.search}`,
          headers: { 'User-Agent': 'curl/8.11.1', Accept: '*/*', ...q.headers },
          createConnection: () => kubelet.dial({ node, ip: podIP }, ip, port),
          timeout: timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            size += c.length;
            if (size <= maxCurlBody) chunks.push(c);
          });
          res.on('end', () =>
            done({
              connectedTo: `${ip}:${port}`,
              httpVersion: res.httpVersion,
              status: res.statusCode ?? 0,
              statusText: res.statusMessage ?? '',
              headers: pairs(res.rawHeaders),
              body: Buffer.concat(chunks).toString('utf8'),
            }),
          );
          res.on('error', (e) => fail(new LabRequestError(`Recv failure: ${e.message}`, 502)));
        },
      );
      req.on('timeout', () => req.destroy(new Error(`Connection timed out after ${timeoutMs} milliseconds`)));
      req.on('error', (e) =>
        fail(new LabRequestError(`Failed to connect to ${host} port ${port}: ${(e as Error).message}`, 502)),
      );
      req.end();
    });
  }
}

function pairs(raw: readonly string[]): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) out.push([raw[i]!, raw[i + 1]!]);
  return out;
}
