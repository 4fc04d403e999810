// A pod's resolv.conf as kubelet composes it (pkg/kubelet/network/dns/dns.go GetPodDNS) from the
// pod's dnsPolicy and dnsConfig, kubelet's --cluster-dns / --cluster-domain / --resolv-conf, and the
// limits it enforces on the result (events and all). Pure: the node's resolv.conf comes in as text.
import type { Pod, PodDNSConfig } from '../../api/index.js';
import { InvalidSearchDomainError } from '../errors.js';
import { formatResolvConf } from './resolvconf.js';

/** validation.MaxDNSNameservers. */
export const maxDNSNameservers = 3;
/** validation.MaxDNSSearchPaths (32 since Kubernetes 1.28; 6 before). */
export const maxDNSSearchPaths = 32;
/** validation.MaxDNSSearchListChars (2048 since 1.28; 256 before), spaces included. */
export const maxDNSSearchListChars = 2048;
/** utilvalidation.DNS1123SubdomainMaxLength: longer search domains make some glibc abort(). */
const dns1123SubdomainMaxLength = 253;
/** kubelet's option for ClusterFirst pods: SRV names like _dns._udp.kube-dns.default.svc stay relative. */
export const defaultClusterFirstOptions: readonly string[] = ['ndots:5'];

/** The kubelet flags that shape pod DNS. */
export interface KubeletDNS {
  /** --cluster-dns (KubeletConfiguration.clusterDNS); empty = not configured. */
  clusterDNS: readonly string[];
  /** --cluster-domain; empty = none. */
  clusterDomain: string;
  /**
   * The text of the file named by --resolv-conf (the node's resolv.conf). `undefined` stands for
   * `--resolv-conf=""`, where kubelet points Default pods at the node itself.
   */
  hostResolvConf?: string;
  /** The node's IPs (only used for `--resolv-conf=""`). */
  nodeIPs?: readonly string[];
}

/** An event kubelet records while forming the config (on the Pod, or on the Node). */
export interface DNSEvent {
  type: 'Warning';
  reason: 'DNSConfigForming' | 'MissingClusterDNS';
  object: 'Pod' | 'Node';
  message: string;
}

export interface PodDNS {
  nameservers: string[];
  searches: string[];
  options: string[];
  /** The file a runtime writes into the pod. */
  resolvConf: string;
  events: DNSEvent[];
  /** Log lines (klog errors) that are not events, e.g. an unknown dnsPolicy. */
  logs: string[];
}

type PodDNSType = 'None' | 'Cluster' | 'Host';

/** getPodDNSType: ClusterFirst on the host network is Default; ClusterFirstWithHostNet is not. */
function podDNSType(pod: Pod, logs: string[]): PodDNSType {
  const policy = pod.spec.dnsPolicy ?? 'ClusterFirst';
  switch (policy) {
    case 'None':
      return 'None';
    case 'ClusterFirstWithHostNet':
      return 'Cluster';
    case 'ClusterFirst':
      return pod.spec.hostNetwork ? 'Host' : 'Cluster';
    case 'Default':
      return 'Host';
  }
  logs.push(
    `"Failed to get DNS type for pod. Falling back to DNSClusterFirst policy." err="invalid DNSPolicy=${policy as string}" pod="${podRef(pod)}"`,
  );
  return 'Cluster';
}

function podRef(pod: Pod): string {
  return `${pod.metadata.namespace ?? 'default'}/${pod.metadata.name ?? ''}`;
}

/** format.Pod: name_namespace(uid). */
function formatPod(pod: Pod): string {
  return `${pod.metadata.name ?? ''}_${pod.metadata.namespace ?? 'default'}(${pod.metadata.uid ?? ''})`;
}

function omitDuplicates(list: readonly string[]): string[] {
  return [...new Set(list)];
}

/**
 * kubelet's parseResolvConf for the node file: every nameserver line accumulates; the last search
 * line wins, trailing dots trimmed (so "." would become an empty domain: dropped here); the last
 * options line wins; `domain` lines are ignored.
 */
export function parseHostResolvConf(text: string): {
  nameservers: string[];
  searches: string[];
  options: string[];
} {
  const nameservers: string[] = [];
  let searches: string[] = [];
  let options: string[] = [];
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (trimmed.startsWith('#')) continue;
    const fields = trimmed.split(/\s+/).filter(Boolean);
    if (fields.length === 0) continue;
    if (fields[0] === 'nameserver' && fields[1] !== undefined) nameservers.push(fields[1]);
    if (fields[0] === 'search') {
      searches = fields
        .slice(1)
        .map((s) => (s.endsWith('.') ? s.slice(0, -1) : s))
        .filter((s) => s !== '');
    }
    if (fields[0] === 'options') options = fields.slice(1);
  }
  return { nameservers, searches, options };
}

/**
 * mergeDNSOptions: dnsConfig.options override same-named existing ones. kubelet builds the result
 * from a Go map, so its order varies from pod to pod; here it is first-seen order.
 */
function mergeDNSOptions(existing: readonly string[], options: PodDNSConfig['options']): string[] {
  const byName = new Map<string, string>();
  for (const w of existing) {
    const i = w.indexOf(':');
    byName.set(i < 0 ? w : w.slice(0, i), i < 0 ? '' : w.slice(i + 1));
  }
  for (const o of options ?? []) byName.set(o.name, o.value ?? '');
  return [...byName].map(([name, value]) => (value === '' ? name : `${name}:${value}`));
}

/** formDNSSearchFitsLimits: at most 32 domains, none over 253 chars, at most 2048 chars in all. */
function searchFitsLimits(search: string[], events: DNSEvent[]): string[] {
  let exceeded = false;
  let composed = search;
  if (composed.length > maxDNSSearchPaths) {
    composed = composed.slice(0, maxDNSSearchPaths);
    exceeded = true;
  }
  const fit = composed.filter((s) => s.length <= dns1123SubdomainMaxLength);
  if (fit.length !== composed.length) exceeded = true;
  composed = fit;
  const lineLength = composed.join(' ').length;
  if (lineLength > maxDNSSearchListChars) {
    // Drop whole domains from the end until the line fits.
    let cut = 0;
    let cutLength = 0;
    for (let i = composed.length - 1; i >= 0; i--) {
      cutLength += composed[i]!.length + 1;
      cut++;
      if (lineLength - cutLength <= maxDNSSearchListChars) break;
    }
    composed = composed.slice(0, composed.length - cut);
    exceeded = true;
  }
  if (exceeded) {
    events.push({
      type: 'Warning',
      reason: 'DNSConfigForming',
      object: 'Pod',
      message: `Search Line limits were exceeded, some search paths have been omitted, the applied search line is: ${composed.join(' ')}`,
    });
  }
  return composed;
}

function nameserversFitLimits(nameservers: string[], events: DNSEvent[]): string[] {
  if (nameservers.length <= maxDNSNameservers) return nameservers;
  const kept = nameservers.slice(0, maxDNSNameservers);
  events.push({
    type: 'Warning',
    reason: 'DNSConfigForming',
    object: 'Pod',
    message: `Nameserver limits were exceeded, some nameservers have been omitted, the applied nameserver line is: ${kept.join(' ')}`,
  });
  return kept;
}

/**
 * The DNS settings kubelet hands the runtime for `pod`, and the resolv.conf the runtime writes.
 *
 * @example
 * podDNS(pod, { clusterDNS: ['10.96.0.10'], clusterDomain: 'cluster.local', hostResolvConf: 'nameserver 192.0.2.53\n' }).resolvConf
 * // 'search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n'
 */
export function podDNS(pod: Pod, kubelet: KubeletDNS): PodDNS {
  const events: DNSEvent[] = [];
  const logs: string[] = [];
  const host =
    kubelet.hostResolvConf === undefined
      ? { nameservers: [], searches: [], options: [] }
      : parseHostResolvConf(kubelet.hostResolvConf);
  let nameservers = host.nameservers;
  let searches = host.searches;
  let options = host.options;

  let type = podDNSType(pod, logs);
  if (type === 'None') {
    nameservers = [];
    searches = [];
    options = [];
  } else if (type === 'Cluster') {
    if (kubelet.clusterDNS.length > 0) {
      // The cluster DNS server is the pod's only nameserver; it forwards what it does not serve.
      nameservers = [...kubelet.clusterDNS];
      searches = clusterFirstSearches(searches, pod, kubelet.clusterDomain);
      options = [...defaultClusterFirstOptions];
    } else {
      const msg = `kubelet does not have ClusterDNS IP configured and cannot create Pod using "ClusterFirst" policy. Falling back to "Default" policy.`;
      events.push({ type: 'Warning', reason: 'MissingClusterDNS', object: 'Node', message: msg });
      events.push({
        type: 'Warning',
        reason: 'MissingClusterDNS',
        object: 'Pod',
        message: `pod: "${formatPod(pod)}". ${msg}`,
      });
      type = 'Host';
    }
  }
  if (type === 'Host' && kubelet.hostResolvConf === undefined) {
    // --resolv-conf="": "use the nameserver on the local machine", one loopback per node IP family.
    nameservers = [];
    for (const ip of kubelet.nodeIPs ?? []) nameservers.push(ip.includes(':') ? '::1' : '127.0.0.1');
    if (nameservers.length === 0) nameservers.push('127.0.0.1');
    searches = ['.'];
  }

  const dnsConfig = pod.spec.dnsConfig;
  if (dnsConfig) {
    nameservers = omitDuplicates([...nameservers, ...(dnsConfig.nameservers ?? [])]);
    searches = omitDuplicates([...searches, ...(dnsConfig.searches ?? [])]);
    options = mergeDNSOptions(options, dnsConfig.options);
  }
  nameservers = nameserversFitLimits(nameservers, events);
  searches = searchFitsLimits(searches, events);
  return {
    nameservers,
    searches,
    options,
    resolvConf: formatResolvConf({ nameservers, searches, options }),
    events,
    logs,
  };
}

/** generateSearchesForDNSClusterFirst: `<ns>.svc.<zone> svc.<zone> <zone>`, then the node's. */
export function clusterFirstSearches(
  hostSearch: readonly string[],
  pod: Pod,
  clusterDomain: string,
): string[] {
  if (clusterDomain === '') return [...hostSearch];
  return omitDuplicates([
    ...clusterSearchDomains(pod.metadata.namespace ?? 'default', clusterDomain),
    ...hostSearch,
  ]);
}

/**
 * The three cluster domains of a ClusterFirst pod in `namespace`. Throws InvalidSearchDomainError
 * when they would not be names: an empty namespace (a Namespace's name is one DNS label, never
 * empty) or a cluster domain with an empty or over-long label; `what` names the two inputs in the
 * error (a command passes its flags).
 */
export function clusterSearchDomains(
  namespace: string,
  clusterDomain: string,
  what: { namespace: string; clusterDomain: string } = {
    namespace: 'namespace',
    clusterDomain: 'cluster domain',
  },
): string[] {
  if (namespace === '') throw new InvalidSearchDomainError(what.namespace, namespace, 'must not be empty');
  if (namespace.includes('.') || namespace.length > 63) {
    throw new InvalidSearchDomainError(what.namespace, namespace, 'must be one DNS label (a Namespace name)');
  }
  const bare = clusterDomain.endsWith('.') ? clusterDomain.slice(0, -1) : clusterDomain;
  const labels = bare.split('.');
  if (bare === '' || labels.includes('')) {
    throw new InvalidSearchDomainError(what.clusterDomain, clusterDomain, 'a domain has no empty labels');
  }
  const first = `${namespace}.svc.${bare}`;
  if (labels.some((l) => l.length > 63) || first.length > dns1123SubdomainMaxLength) {
    throw new InvalidSearchDomainError(
      what.clusterDomain,
      clusterDomain,
      `labels of at most 63 characters, and at most ${dns1123SubdomainMaxLength} in ${namespace}.svc.<domain>`,
    );
  }
  return [first, `svc.${bare}`, bare];
}
