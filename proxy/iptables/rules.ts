// The iptables rendering of kube-proxy's syncProxyRules: one service port in, its lines out, in the
// order and with the exact words kube-proxy writes (its LineBuffer joins words with one space). The
// policy decisions come from topology.ts; this file only spells them.
import type { IPFamily } from '../../api/index.js';
import { addrInCidr, isLoopback, type ParsedIP } from '../ruletable/index.js';
import type { EndpointInfo } from './endpoints.js';
import {
  kubeExternalServicesChain,
  kubeForwardChain,
  kubeletFirewallChain,
  kubeMarkMasqChain,
  kubeNodePortsChain,
  kubePostroutingChain,
  kubeProxyFirewallChain,
  kubeServicesChain,
  makeChainLine,
} from './naming.js';
import { probability } from './probability.js';
import {
  type ServicePortInfo,
  servicePortExternallyAccessible,
  usesClusterEndpoints,
  usesLocalEndpoints,
} from './serviceport.js';
import { categorizeEndpoints } from './topology.js';

export const localhostNodePortAcceptedNFAcctCounter = 'localhost_nps_accepted_pkts';
export const ctStateInvalidDroppedNFAcctCounter = 'ct_state_invalid_dropped_pkts';

/** Everything about the node and the flags that the rules depend on, resolved once. */
export interface RuleContext {
  family: IPFamily;
  nodeName: string;
  nodeLabels: Readonly<Record<string, string>>;
  /** The node's primary IP of this family (source-range check for LB traffic from the node). */
  nodeIP: ParsedIP | null;
  /** `--cluster-cidr` of this family: local-traffic detection; null means no detector. */
  clusterCIDR: string | null;
  masqueradeAll: boolean;
  masqueradeMark: string;
  /** Effective: requested, IPv4, and the NodePort addresses include loopback. */
  localhostNodePorts: boolean;
  nfacctLocalhostNodePorts: boolean;
  nfacctInvalidDropped: boolean;
  randomFully: boolean;
  conntrackTCPLiberal: boolean;
  /** null: NodePorts on every local address (`-m addrtype --dst-type LOCAL`); else these IPs. */
  nodePortIPs: readonly ParsedIP[] | null;
  largeClusterMode: boolean;
}

/** The lines one service port contributes to a sync. */
export interface ServiceBlock {
  /** filter rules, interleaved across chains in kube-proxy's order. Always written. */
  filterRules: string[];
  /** nat KUBE-SERVICES and KUBE-NODEPORTS rules. Always written. */
  natTopRules: string[];
  /** `:KUBE-SVC-… - [0:0]` lines of this service port's own chains. Written on full or changed. */
  natChains: string[];
  /** Rules of those chains. */
  natRules: string[];
  /** Chain names (what `activeNATChains` collects). */
  activeChains: string[];
  /** Whether the per-service comments were left out (large-cluster mode at render time). */
  largeClusterMode: boolean;
  noLocalInternal: boolean;
  noLocalExternal: boolean;
}

function serviceToEndpointRules(
  out: string[],
  spn: string,
  svc: ServicePortInfo,
  svcChain: string,
  endpoints: readonly EndpointInfo[],
  large: boolean,
): void {
  if (svc.sessionAffinityClientIP) {
    for (const ep of endpoints) {
      const comment = large ? '' : ` -m comment --comment "${spn} -> ${ep.endpoint}"`;
      out.push(
        `-A ${svcChain}${comment} -m recent --name ${ep.chainName} --rcheck --seconds ${svc.stickyMaxAgeSeconds} --reap -j ${ep.chainName}`,
      );
    }
  }
  const n = endpoints.length;
  for (let i = 0; i < n; i++) {
    const ep = endpoints[i]!;
    const comment = large ? '' : ` -m comment --comment "${spn} -> ${ep.endpoint}"`;
    const stat = i < n - 1 ? ` -m statistic --mode random --probability ${probability(n - i)}` : '';
    out.push(`-A ${svcChain}${comment}${stat} -j ${ep.chainName}`);
  }
}

/** The block for one service port (the body of syncProxyRules' per-service loop). */
export function serviceBlock(
  svc: ServicePortInfo,
  allEndpoints: readonly EndpointInfo[],
  ctx: RuleContext,
): ServiceBlock {
  const spn = svc.nameString;
  const p = svc.proto;
  const large = ctx.largeClusterMode;
  const cat = categorizeEndpoints(allEndpoints, svc, ctx.nodeName, ctx.nodeLabels);
  const clusterEndpoints = cat.clusterEndpoints ?? [];
  const localEndpoints = cat.localEndpoints ?? [];
  const hasEndpoints = cat.hasAnyEndpoints;

  const clusterPolicyChain = svc.clusterPolicyChainName;
  const usesClusterPolicyChain = clusterEndpoints.length > 0 && usesClusterEndpoints(svc);
  const localPolicyChain = svc.localPolicyChainName;
  const usesLocalPolicyChain = localEndpoints.length > 0 && usesLocalEndpoints(svc);

  let internalTrafficChain = clusterPolicyChain;
  let hasInternalEndpoints = hasEndpoints;
  if (svc.internalPolicyLocal) {
    internalTrafficChain = localPolicyChain;
    if (localEndpoints.length === 0) hasInternalEndpoints = false;
  }
  let externalPolicyChain = clusterPolicyChain;
  let hasExternalEndpoints = hasEndpoints;
  if (svc.externalPolicyLocal) {
    externalPolicyChain = localPolicyChain;
    if (localEndpoints.length === 0) hasExternalEndpoints = false;
  }
  const externalTrafficChain = svc.externalChainName;
  // Needed even without externally usable endpoints: the short-circuit rules for local traffic.
  const usesExternalTrafficChain = hasEndpoints && servicePortExternallyAccessible(svc);
  const fwChain = svc.firewallChainName;
  const usesFWChain =
    hasEndpoints && svc.loadBalancerVIPs.length > 0 && svc.loadBalancerSourceRanges.length > 0;
  const loadBalancerTrafficChain = usesFWChain ? fwChain : externalTrafficChain;

  let internalFilterTarget = '';
  let internalFilterComment = '';
  let externalFilterTarget = '';
  let externalFilterComment = '';
  let noLocalInternal = false;
  let noLocalExternal = false;
  if (!hasEndpoints) {
    internalFilterTarget = 'REJECT';
    internalFilterComment = `"${spn} has no endpoints"`;
    externalFilterTarget = 'REJECT';
    externalFilterComment = internalFilterComment;
  } else {
    if (!hasInternalEndpoints) {
      internalFilterTarget = 'DROP';
      internalFilterComment = `"${spn} has no local endpoints"`;
      noLocalInternal = true;
    }
    if (!hasExternalEndpoints) {
      externalFilterTarget = 'DROP';
      externalFilterComment = `"${spn} has no local endpoints"`;
      noLocalExternal = true;
    }
  }

  const filterRules: string[] = [];
  const natTopRules: string[] = [];
  const natChains: string[] = [];
  const natRules: string[] = [];
  const activeChains: string[] = [];
  const match = `-m ${p} -p ${p}`;

  // Capture the clusterIP.
  if (hasInternalEndpoints) {
    natTopRules.push(
      `-A ${kubeServicesChain} -m comment --comment "${spn} cluster IP" ${match} -d ${svc.clusterIP} --dport ${svc.port} -j ${internalTrafficChain}`,
    );
  } else {
    filterRules.push(
      `-A ${kubeServicesChain} -m comment --comment ${internalFilterComment} ${match} -d ${svc.clusterIP} --dport ${svc.port} -j ${internalFilterTarget}`,
    );
  }

  // Capture externalIPs.
  for (const ip of svc.externalIPs) {
    if (hasEndpoints) {
      natTopRules.push(
        `-A ${kubeServicesChain} -m comment --comment "${spn} external IP" ${match} -d ${ip} --dport ${svc.port} -j ${externalTrafficChain}`,
      );
    }
    if (!hasExternalEndpoints) {
      filterRules.push(
        `-A ${kubeExternalServicesChain} -m comment --comment ${externalFilterComment} ${match} -d ${ip} --dport ${svc.port} -j ${externalFilterTarget}`,
      );
    }
  }

  // Capture load-balancer ingress.
  for (const ip of svc.loadBalancerVIPs) {
    if (hasEndpoints) {
      natTopRules.push(
        `-A ${kubeServicesChain} -m comment --comment "${spn} loadbalancer IP" ${match} -d ${ip} --dport ${svc.port} -j ${loadBalancerTrafficChain}`,
      );
    }
    if (usesFWChain) {
      filterRules.push(
        `-A ${kubeProxyFirewallChain} -m comment --comment "${spn} traffic not accepted by ${fwChain}" ${match} -d ${ip} --dport ${svc.port} -j DROP`,
      );
    }
  }
  if (!hasExternalEndpoints) {
    for (const ip of svc.loadBalancerVIPs) {
      filterRules.push(
        `-A ${kubeExternalServicesChain} -m comment --comment ${externalFilterComment} ${match} -d ${ip} --dport ${svc.port} -j ${externalFilterTarget}`,
      );
    }
  }

  // Capture nodeports. (NodePorts are not subject to loadBalancerSourceRanges, as in kube-proxy.)
  if (svc.nodePort !== 0) {
    if (hasEndpoints) {
      if (ctx.localhostNodePorts && ctx.family === 'IPv4' && ctx.nfacctLocalhostNodePorts) {
        natTopRules.push(
          `-A ${kubeNodePortsChain} -m comment --comment ${spn} ${match} -d 127.0.0.0/8 --dport ${svc.nodePort} -m nfacct --nfacct-name ${localhostNodePortAcceptedNFAcctCounter} -j ${externalTrafficChain}`,
        );
      }
      natTopRules.push(
        `-A ${kubeNodePortsChain} -m comment --comment ${spn} ${match} --dport ${svc.nodePort} -j ${externalTrafficChain}`,
      );
    }
    if (!hasExternalEndpoints) {
      filterRules.push(
        `-A ${kubeExternalServicesChain} -m comment --comment ${externalFilterComment} -m addrtype --dst-type LOCAL ${match} --dport ${svc.nodePort} -j ${externalFilterTarget}`,
      );
    }
  }

  // Capture healthCheckNodePorts: accepted whether or not this node has local endpoints.
  if (svc.healthCheckNodePort !== 0) {
    filterRules.push(
      `-A ${kubeNodePortsChain} -m comment --comment "${spn} health check node port" -m tcp -p tcp --dport ${svc.healthCheckNodePort} -j ACCEPT`,
    );
  }

  // Internal traffic handling.
  if (hasInternalEndpoints) {
    const args = `-m comment --comment "${spn} cluster IP" ${match} -d ${svc.clusterIP} --dport ${svc.port}`;
    if (ctx.masqueradeAll) {
      natRules.push(`-A ${internalTrafficChain} ${args} -j ${kubeMarkMasqChain}`);
    } else if (ctx.clusterCIDR !== null) {
      // Off-cluster traffic to a service VIP may bounce off-node: masquerade it.
      natRules.push(`-A ${internalTrafficChain} ${args} ! -s ${ctx.clusterCIDR} -j ${kubeMarkMasqChain}`);
    }
  }

  // External traffic handling.
  if (usesExternalTrafficChain) {
    natChains.push(makeChainLine(externalTrafficChain));
    activeChains.push(externalTrafficChain);
    if (!svc.externalPolicyLocal) {
      natRules.push(
        `-A ${externalTrafficChain} -m comment --comment "masquerade traffic for ${spn} external destinations" -j ${kubeMarkMasqChain}`,
      );
    } else {
      if (ctx.clusterCIDR !== null) {
        // Pod -> external destination is subject to neither traffic policy (as if via the LB).
        natRules.push(
          `-A ${externalTrafficChain} -m comment --comment "pod traffic for ${spn} external destinations" -s ${ctx.clusterCIDR} -j ${clusterPolicyChain}`,
        );
      }
      natRules.push(
        `-A ${externalTrafficChain} -m comment --comment "masquerade LOCAL traffic for ${spn} external destinations" -m addrtype --src-type LOCAL -j ${kubeMarkMasqChain}`,
      );
      natRules.push(
        `-A ${externalTrafficChain} -m comment --comment "route LOCAL traffic for ${spn} external destinations" -m addrtype --src-type LOCAL -j ${clusterPolicyChain}`,
      );
    }
    if (hasExternalEndpoints) natRules.push(`-A ${externalTrafficChain} -j ${externalPolicyChain}`);
  }

  // Firewall chain for loadBalancerSourceRanges.
  if (usesFWChain) {
    natChains.push(makeChainLine(fwChain));
    activeChains.push(fwChain);
    const head = `-A ${fwChain} -m comment --comment "${spn} loadbalancer IP"`;
    let allowFromNode = false;
    for (const cidr of svc.loadBalancerSourceRanges) {
      natRules.push(`${head} -s ${cidr.text} -j ${externalTrafficChain}`);
      if (ctx.nodeIP && addrInCidr(cidr, ctx.nodeIP.addr)) allowFromNode = true;
    }
    // A VIP added as a local address loops node -> VIP traffic back with the VIP as source.
    if (allowFromNode) {
      for (const ip of svc.loadBalancerVIPs) natRules.push(`${head} -s ${ip} -j ${externalTrafficChain}`);
    }
    natRules.push(
      `-A ${fwChain} -m comment --comment "other traffic to ${spn} will be dropped by KUBE-PROXY-FIREWALL"`,
    );
  }

  if (usesClusterPolicyChain) {
    natChains.push(makeChainLine(clusterPolicyChain));
    activeChains.push(clusterPolicyChain);
    serviceToEndpointRules(natRules, spn, svc, clusterPolicyChain, clusterEndpoints, large);
  }
  if (usesLocalPolicyChain) {
    natChains.push(makeChainLine(localPolicyChain));
    activeChains.push(localPolicyChain);
    serviceToEndpointRules(natRules, spn, svc, localPolicyChain, localEndpoints, large);
  }

  // Per-endpoint chains.
  const sepComment = large ? '' : ` -m comment --comment ${spn}`;
  for (const ep of cat.allReachableEndpoints) {
    const chain = ep.chainName;
    natChains.push(makeChainLine(chain));
    activeChains.push(chain);
    // Hairpin: traffic that loops back to its originator must be SNATed.
    natRules.push(`-A ${chain}${sepComment} -s ${ep.ip} -j ${kubeMarkMasqChain}`);
    const recent = svc.sessionAffinityClientIP ? ` -m recent --name ${chain} --set` : '';
    natRules.push(`-A ${chain}${sepComment}${recent} ${match} -j DNAT --to-destination ${ep.endpoint}`);
  }

  return {
    filterRules,
    natTopRules,
    natChains,
    natRules,
    activeChains,
    largeClusterMode: large,
    noLocalInternal,
    noLocalExternal,
  };
}

/** Chain lines every sync declares (and so rewrites), in kube-proxy's order. */
export const filterTopChains = [
  kubeServicesChain,
  kubeExternalServicesChain,
  kubeForwardChain,
  kubeNodePortsChain,
  kubeProxyFirewallChain,
] as const;
export const natTopChains = [
  kubeServicesChain,
  kubeNodePortsChain,
  kubePostroutingChain,
  kubeMarkMasqChain,
] as const;

export function postroutingRules(ctx: RuleContext): string[] {
  const m = ctx.masqueradeMark;
  return [
    `-A ${kubePostroutingChain} -m mark ! --mark ${m}/${m} -j RETURN`,
    // Clear the mark so a packet that re-traverses the stack is not masqueraded twice.
    `-A ${kubePostroutingChain} -j MARK --xor-mark ${m}`,
    `-A ${kubePostroutingChain} -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE${ctx.randomFully ? ' --random-fully' : ''}`,
    `-A ${kubeMarkMasqChain} -j MARK --or-mark ${m}`,
  ];
}

/** The route_localnet mitigation (CVE-2020-8558), IPv4 with localhost NodePorts only. */
export function kubeletFirewallRule(): string {
  return `-A ${kubeletFirewallChain} -m comment --comment "block incoming localnet connections" -d 127.0.0.0/8 ! -s 127.0.0.0/8 -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP`;
}

const nodePortsTailComment = '"kubernetes service nodeports; NOTE: this must be the last rule in this chain"';

/** KUBE-SERVICES -> KUBE-NODEPORTS: after every other service rule. */
export function nodePortsTailRules(ctx: RuleContext): string[] {
  if (ctx.nodePortIPs === null) {
    let dst = '-m addrtype --dst-type LOCAL';
    // Localhost NodePorts never work on IPv6, and on IPv4 only with route_localnet.
    if (ctx.family === 'IPv6') dst += ' ! -d ::1/128';
    else if (!ctx.localhostNodePorts) dst += ' ! -d 127.0.0.0/8';
    return [
      `-A ${kubeServicesChain} -m comment --comment ${nodePortsTailComment} ${dst} -j ${kubeNodePortsChain}`,
    ];
  }
  const out: string[] = [];
  for (const ip of ctx.nodePortIPs) {
    const loop = isLoopback(ip.addr);
    if (loop && (ctx.family === 'IPv6' || !ctx.localhostNodePorts)) continue;
    out.push(
      `-A ${kubeServicesChain} -m comment --comment ${nodePortsTailComment} -d ${ip.text} -j ${kubeNodePortsChain}`,
    );
  }
  return out;
}

export function forwardRules(ctx: RuleContext): string[] {
  const m = ctx.masqueradeMark;
  const out: string[] = [];
  // INVALID packets are not de-NATed and would reset connections (kubernetes#74839), unless the
  // kernel is liberal about TCP windows.
  if (!ctx.conntrackTCPLiberal) {
    const acct = ctx.nfacctInvalidDropped
      ? ` -m nfacct --nfacct-name ${ctStateInvalidDroppedNFAcctCounter}`
      : '';
    out.push(`-A ${kubeForwardChain} -m conntrack --ctstate INVALID${acct} -j DROP`);
  }
  out.push(
    `-A ${kubeForwardChain} -m comment --comment "kubernetes forwarding rules" -m mark --mark ${m}/${m} -j ACCEPT`,
  );
  out.push(
    `-A ${kubeForwardChain} -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`,
  );
  return out;
}
