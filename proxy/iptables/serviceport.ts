// A Service seen by one IP family's proxier, one record per service port (kube-proxy's
// `BaseServicePortInfo` + the iptables proxier's precomputed chain names). Pure: Service in,
// records out, nothing about rules.
import { type IPFamily, needsHealthCheck, type Service } from '../../api/index.js';
import { type ParsedCIDR, parseCIDRSloppy, parseIPSloppy } from '../ruletable/index.js';
import {
  portProtoHash,
  serviceExternalChainNamePrefix,
  serviceFirewallChainNamePrefix,
  servicePortNameString,
  servicePortPolicyClusterChainNamePrefix,
  servicePortPolicyLocalChainNamePrefix,
} from './naming.js';

export type ProtocolName = 'TCP' | 'UDP' | 'SCTP';

export interface ServicePortInfo {
  /** `namespace/name`: the granularity of partial sync. */
  readonly serviceName: string;
  readonly portName: string;
  /** `ServicePortName.String()`: `ns/svc:port` (or `ns/svc` when the port is unnamed). */
  readonly nameString: string;
  readonly protocol: ProtocolName;
  /** Lower-case protocol as iptables spells it (`-m tcp -p tcp`). */
  readonly proto: string;
  /** Map key: the ServicePortName including protocol, as kube-proxy keys its maps. */
  readonly key: string;
  readonly clusterIP: string;
  readonly port: number;
  readonly nodePort: number;
  readonly externalIPs: readonly string[];
  readonly loadBalancerVIPs: readonly string[];
  readonly loadBalancerSourceRanges: readonly ParsedCIDR[];
  readonly sessionAffinityClientIP: boolean;
  readonly stickyMaxAgeSeconds: number;
  readonly healthCheckNodePort: number;
  readonly externalPolicyLocal: boolean;
  readonly internalPolicyLocal: boolean;
  readonly clusterPolicyChainName: string;
  readonly localPolicyChainName: string;
  readonly firewallChainName: string;
  readonly externalChainName: string;
  /** Everything above that decides rules, as one string: equal signatures mean no change. */
  readonly signature: string;
}

/**
 * kube-proxy's BaseServicePortInfo.ExternallyAccessible: the port has a NodePort, a load-balancer
 * VIP or an external IP (by what is set, unlike apiservice.ExternallyAccessible, which goes by type).
 */
export function servicePortExternallyAccessible(s: ServicePortInfo): boolean {
  return s.nodePort !== 0 || s.loadBalancerVIPs.length !== 0 || s.externalIPs.length !== 0;
}

/** Even with externalTrafficPolicy Local, external traffic needs Cluster endpoints to short-circuit. */
export function usesClusterEndpoints(s: ServicePortInfo): boolean {
  return !s.internalPolicyLocal || servicePortExternallyAccessible(s);
}

export function usesLocalEndpoints(s: ServicePortInfo): boolean {
  return s.internalPolicyLocal || (s.externalPolicyLocal && servicePortExternallyAccessible(s));
}

/** `apiservice.ExternalPolicyLocal`: only NodePort and LoadBalancer Services have external traffic. */
export function externalPolicyLocal(svc: Service): boolean {
  const t = svc.spec.type ?? 'ClusterIP';
  if (t !== 'LoadBalancer' && t !== 'NodePort') return false;
  return svc.spec.externalTrafficPolicy === 'Local';
}

export function internalPolicyLocal(svc: Service): boolean {
  return svc.spec.internalTrafficPolicy === 'Local';
}

/** `proxyutil.ShouldSkipService`: headless and ExternalName Services get no rules. */
export function shouldSkipService(svc: Service): boolean {
  const ip = svc.spec.clusterIP;
  if (ip === undefined || ip === '' || ip === 'None') return true;
  return svc.spec.type === 'ExternalName';
}

/** `proxyutil.GetClusterIPByFamily`. */
export function clusterIPByFamily(family: IPFamily, svc: Service): string {
  const ips = svc.spec.clusterIPs;
  if (!ips || ips.length === 0) {
    const ip = svc.spec.clusterIP ? parseIPSloppy(svc.spec.clusterIP) : null;
    return ip && ip.family === family ? (svc.spec.clusterIP ?? '') : '';
  }
  for (const s of ips) {
    const ip = parseIPSloppy(s);
    if (ip && ip.family === family) return s;
  }
  return '';
}

/** `serviceToServiceMap` for one family: key -> record; empty when kube-proxy would skip it. */
export function serviceToServicePortMap(svc: Service, family: IPFamily): Map<string, ServicePortInfo> {
  const out = new Map<string, ServicePortInfo>();
  if (shouldSkipService(svc)) return out;
  const clusterIPText = clusterIPByFamily(family, svc);
  const clusterIP = clusterIPText === '' ? null : parseIPSloppy(clusterIPText);
  if (!clusterIP) return out;
  const ns = svc.metadata.namespace || 'default';
  const name = svc.metadata.name ?? '';
  const ePL = externalPolicyLocal(svc);
  const iPL = internalPolicyLocal(svc);
  const affinity = svc.spec.sessionAffinity === 'ClientIP';
  // The API server defaults timeoutSeconds to 10800 when sessionAffinity is ClientIP.
  const sticky = affinity ? (svc.spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? 10800) : 0;
  const externalIPs: string[] = [];
  for (const s of svc.spec.externalIPs ?? []) {
    const ip = parseIPSloppy(s);
    if (ip && ip.family === family) externalIPs.push(ip.text);
  }
  const ranges: ParsedCIDR[] = [];
  for (const s of svc.spec.loadBalancerSourceRanges ?? []) {
    const c = parseCIDRSloppy(s.trim());
    if (c && c.family === family) ranges.push(c);
  }
  const vips: string[] = [];
  for (const ing of svc.status?.loadBalancer?.ingress ?? []) {
    if (!ing.ip) continue;
    // Proxy-mode load balancers deliver to the node themselves: kube-proxy does not capture their IP.
    if (ing.ipMode === 'Proxy') continue;
    const ip = parseIPSloppy(ing.ip);
    if (ip && ip.family === family) vips.push(ip.text);
  }
  const hcnp = needsHealthCheck(svc) ? (svc.spec.healthCheckNodePort ?? 0) : 0;
  for (const p of svc.spec.ports ?? []) {
    const portName = p.name ?? '';
    const protocol: ProtocolName = p.protocol ?? 'TCP';
    const proto = protocol.toLowerCase();
    const nameString = servicePortNameString(ns, name, portName);
    const h = portProtoHash(nameString, proto);
    const base = {
      serviceName: `${ns}/${name}`,
      portName,
      nameString,
      protocol,
      proto,
      key: `${nameString}/${protocol}`,
      clusterIP: clusterIP.text,
      port: p.port,
      nodePort: p.nodePort ?? 0,
      externalIPs,
      loadBalancerVIPs: vips,
      loadBalancerSourceRanges: ranges,
      sessionAffinityClientIP: affinity,
      stickyMaxAgeSeconds: sticky,
      healthCheckNodePort: hcnp,
      externalPolicyLocal: ePL,
      internalPolicyLocal: iPL,
      clusterPolicyChainName: servicePortPolicyClusterChainNamePrefix + h,
      localPolicyChainName: servicePortPolicyLocalChainNamePrefix + h,
      firewallChainName: serviceFirewallChainNamePrefix + h,
      externalChainName: serviceExternalChainNamePrefix + h,
    };
    const signature = [
      base.clusterIP,
      base.port,
      base.nodePort,
      externalIPs.join(','),
      vips.join(','),
      ranges.map((r) => r.text).join(','),
      affinity ? sticky : '-',
      hcnp,
      ePL ? 'L' : 'C',
      iPL ? 'L' : 'C',
    ].join('|');
    out.set(base.key, { ...base, signature });
  }
  return out;
}
