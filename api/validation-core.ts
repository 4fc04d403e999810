// core/v1 validation as kube-apiserver does it for the fields the network depends on: Service,
// Pod, Namespace, Node and Endpoints (k8s.io/kubernetes pkg/apis/core/validation/validation.go),
// and apiservice's predicates on a Service (pkg/api/service/util.go). Defaulting and allocation
// happen before (see defaults.ts, services.ts).

import { goQuote, ipFamilyOfCIDRString, ipFamilyOfString, parseGoIPSloppy } from '../std/index.js';
import { type FieldError, field, type GoValue, goStrings } from './fielderrors.js';
import {
  isDNS1123Label,
  isDNS1123Subdomain,
  isQualifiedName,
  isValidPortName,
  isValidPortNum,
} from './names.js';
import type {
  AnyObject,
  Container,
  Namespace,
  Node,
  Pod,
  PodSpec,
  Probe,
  Service,
  ServicePort,
} from './types.js';
import {
  nameIsDNS1035Label,
  nameIsDNSLabel,
  nameIsDNSSubdomain,
  validateCIDR,
  validateIP,
  validateLabels,
  validateNonSpecialIP,
  validateObjectMeta,
  validateObjectMetaUpdate,
} from './validation-meta.js';

// --- Service ---------------------------------------------------------------------------------

export const supportedPortProtocols = ['SCTP', 'TCP', 'UDP'];
const supportedServiceTypes = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'];
const supportedSessionAffinity = ['ClientIP', 'None'];
const supportedTrafficPolicies = ['Cluster', 'Local'];
const supportedIPFamilies = ['IPv4', 'IPv6'];
const supportedIPFamilyPolicies = ['PreferDualStack', 'RequireDualStack', 'SingleStack'];
export const maxClientIPServiceAffinitySeconds = 86400;

export function isHeadlessService(svc: Service): boolean {
  const ips = svc.spec?.clusterIPs;
  return ips !== undefined && ips.length === 1 && ips[0] === 'None';
}

/** apiservice.ExternallyAccessible */
export function externallyAccessible(svc: Service): boolean {
  const t = svc.spec?.type;
  return (
    t === 'LoadBalancer' || t === 'NodePort' || (t === 'ClusterIP' && (svc.spec.externalIPs?.length ?? 0) > 0)
  );
}

/** apiservice.NeedsHealthCheck */
export function needsHealthCheck(svc: Service): boolean {
  return svc.spec?.type === 'LoadBalancer' && svc.spec.externalTrafficPolicy === 'Local';
}

function validatePortNumOrName(port: number | string, path: string): FieldError[] {
  if (typeof port === 'number') return isValidPortNum(port).map((m) => field.invalid(path, port, m));
  return isValidPortName(port).map((m) => field.invalid(path, port, m));
}

/** `%#v` of the core.ServicePort key kube-apiserver reports for duplicate ports. */
function goServicePortKey(protocol: string, port: number): GoValue {
  return {
    go: `core.ServicePort{Name:"", Protocol:${goQuote(protocol)}, AppProtocol:(*string)(nil), Port:${port}, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}`,
  };
}

function validateServicePort(
  sp: ServicePort,
  requireName: boolean,
  names: Set<string>,
  path: string,
): FieldError[] {
  const errs: FieldError[] = [];
  if (requireName && !sp.name) errs.push(field.required(`${path}.name`));
  else if (sp.name) {
    for (const msg of isDNS1123Label(sp.name)) errs.push(field.invalid(`${path}.name`, sp.name, msg));
    if (names.has(sp.name)) errs.push(field.duplicate(`${path}.name`, sp.name));
    else names.add(sp.name);
  }
  for (const msg of isValidPortNum(sp.port ?? 0)) errs.push(field.invalid(`${path}.port`, sp.port ?? 0, msg));
  if (!sp.protocol) errs.push(field.required(`${path}.protocol`));
  else if (!supportedPortProtocols.includes(sp.protocol))
    errs.push(field.notSupported(`${path}.protocol`, sp.protocol, supportedPortProtocols));
  errs.push(...validatePortNumOrName(sp.targetPort ?? 0, `${path}.targetPort`));
  if (sp.appProtocol !== undefined)
    for (const msg of isQualifiedName(sp.appProtocol))
      errs.push(field.invalid(`${path}.appProtocol`, sp.appProtocol, msg));
  return errs;
}

/** ValidateServiceClusterIPsRelatedFields (also run before allocation, as kube-apiserver does). */
export function validateServiceClusterIPsRelatedFields(svc: Service): FieldError[] {
  const spec = svc.spec;
  if (spec.type === 'ExternalName') return [];
  const errs: FieldError[] = [];
  const ips = spec.clusterIPs ?? [];
  const ipsValue = goStrings(ips);
  let hasInvalidIPs = false;
  if (spec.clusterIP) {
    if (ips.length === 0) errs.push(field.required('spec.clusterIPs'));
    else if (ips[0] !== spec.clusterIP)
      errs.push(field.invalid('spec.clusterIPs', ipsValue, 'first value must match `clusterIP`'));
  } else if (ips.length !== 0) {
    errs.push(field.invalid('spec.clusterIPs', ipsValue, 'must be empty when `clusterIP` is not specified'));
  }
  const seen = new Set<string>();
  (spec.ipFamilies ?? []).forEach((fam, i) => {
    if (!supportedIPFamilies.includes(fam))
      errs.push(field.notSupported(`spec.ipFamilies[${i}]`, fam, supportedIPFamilies));
    if (seen.has(fam)) errs.push(field.duplicate(`spec.ipFamilies[${i}]`, fam));
    seen.add(fam);
  });
  if (spec.ipFamilyPolicy !== undefined && !supportedIPFamilyPolicies.includes(spec.ipFamilyPolicy))
    errs.push(field.notSupported('spec.ipFamilyPolicy', spec.ipFamilyPolicy, supportedIPFamilyPolicies));
  ips.forEach((ip, i) => {
    if (i === 0 && ip === 'None') {
      if (ips.length > 1) {
        hasInvalidIPs = true;
        errs.push(field.invalid('spec.clusterIPs', ipsValue, "'None' must be the first and only value"));
      }
      return;
    }
    const e = validateIP(`spec.clusterIPs[${i}]`, ip);
    if (e.length > 0) hasInvalidIPs = true;
    errs.push(...e);
  });
  if (ips.length > 2) errs.push(field.invalid('spec.clusterIPs', ipsValue, 'may only hold up to 2 values'));
  if (hasInvalidIPs) return errs;
  if (ips.length > 1) {
    const fams = ips.map((ip) => ipFamilyOfString(ip));
    if (fams.length !== 2 || fams[0] === fams[1])
      errs.push(
        field.invalid('spec.clusterIPs', ipsValue, 'may specify no more than one IP for each IP family'),
      );
  }
  if (!isHeadlessService(svc) && ips.length > 0 && (spec.ipFamilies?.length ?? 0) > 0) {
    ips.forEach((ip, i) => {
      const fam = spec.ipFamilies?.[i];
      if (fam === undefined) return;
      const isV6 = ipFamilyOfString(ip) === 'IPv6';
      if (fam === 'IPv4' && isV6)
        errs.push(
          field.invalid(
            `spec.clusterIPs[${i}]`,
            ip,
            `expected an IPv4 value as indicated by \`ipFamilies[${i}]\``,
          ),
        );
      if (fam === 'IPv6' && !isV6)
        errs.push(
          field.invalid(
            `spec.clusterIPs[${i}]`,
            ip,
            `expected an IPv6 value as indicated by \`ipFamilies[${i}]\``,
          ),
        );
    });
  }
  return errs;
}

export function validateService(svc: Service): FieldError[] {
  const errs = validateObjectMeta(svc.metadata, true, nameIsDNS1035Label);
  const spec = svc.spec ?? ({} as Service['spec']);
  const ports = spec.ports ?? [];
  const headless = isHeadlessService(svc);
  if (ports.length === 0 && !headless && spec.type !== 'ExternalName')
    errs.push(field.required('spec.ports'));
  switch (spec.type) {
    case 'LoadBalancer':
      if (headless)
        errs.push(
          field.invalid('spec.clusterIPs[0]', 'None', "may not be set to 'None' for LoadBalancer services"),
        );
      break;
    case 'NodePort':
      if (headless)
        errs.push(
          field.invalid('spec.clusterIPs[0]', 'None', "may not be set to 'None' for NodePort services"),
        );
      break;
    case 'ExternalName': {
      if ((spec.clusterIPs?.length ?? 0) > 0)
        errs.push(field.forbidden('spec.clusterIPs', 'may not be set for ExternalName services'));
      if ((spec.ipFamilies?.length ?? 0) > 0)
        errs.push(field.forbidden('spec.ipFamilies', 'may not be set for ExternalName services'));
      if (spec.ipFamilyPolicy !== undefined)
        errs.push(field.forbidden('spec.ipFamilyPolicy', 'may not be set for ExternalName services'));
      // A trailing dot marks the CNAME as fully qualified.
      const cname = (spec.externalName ?? '').replace(/\.$/, '');
      if (cname.length > 0)
        for (const msg of isDNS1123Subdomain(cname))
          errs.push(field.invalid('spec.externalName', cname, msg));
      else errs.push(field.required('spec.externalName'));
      break;
    }
  }
  const names = new Set<string>();
  ports.forEach((p, i) => {
    errs.push(...validateServicePort(p, ports.length > 1, names, `spec.ports[${i}]`));
  });
  if (spec.selector) errs.push(...validateLabels(spec.selector, 'spec.selector'));
  if (!spec.sessionAffinity) errs.push(field.required('spec.sessionAffinity'));
  else if (!supportedSessionAffinity.includes(spec.sessionAffinity))
    errs.push(field.notSupported('spec.sessionAffinity', spec.sessionAffinity, supportedSessionAffinity));
  if (spec.sessionAffinity === 'ClientIP') {
    const cfg = spec.sessionAffinityConfig;
    const p = 'spec.sessionAffinityConfig';
    if (!cfg) errs.push(field.required(p, 'when session affinity type is ClientIP'));
    else if (!cfg.clientIP)
      errs.push(field.required(`${p}.clientIP`, 'when session affinity type is ClientIP'));
    else if (cfg.clientIP.timeoutSeconds === undefined)
      errs.push(field.required(`${p}.clientIP.timeoutSeconds`, 'when session affinity type is ClientIP'));
    else {
      const t = cfg.clientIP.timeoutSeconds;
      if (t <= 0 || t > maxClientIPServiceAffinitySeconds)
        errs.push(
          field.invalid(
            `${p}.clientIP.timeoutSeconds`,
            t,
            `must be greater than 0 and less than ${maxClientIPServiceAffinitySeconds}`,
          ),
        );
    }
  } else if (spec.sessionAffinity === 'None' && spec.sessionAffinityConfig !== undefined) {
    errs.push(field.forbidden('spec.sessionAffinityConfig', 'must not be set when session affinity is None'));
  }
  errs.push(...validateServiceClusterIPsRelatedFields(svc));
  (spec.externalIPs ?? []).forEach((ip, i) => {
    const p = `spec.externalIPs[${i}]`;
    const e = validateIP(p, ip);
    errs.push(...(e.length > 0 ? e : validateNonSpecialIP(p, ip)));
  });
  if (!spec.type) errs.push(field.required('spec.type'));
  else if (!supportedServiceTypes.includes(spec.type))
    errs.push(field.notSupported('spec.type', spec.type, supportedServiceTypes));
  if (spec.type === 'ClusterIP')
    ports.forEach((p, i) => {
      if (p.nodePort)
        errs.push(field.forbidden(`spec.ports[${i}].nodePort`, "may not be used when `type` is 'ClusterIP'"));
    });
  const nodePorts = new Set<string>();
  ports.forEach((p, i) => {
    if (!p.nodePort) return;
    const key = `${p.protocol}/${p.nodePort}`;
    if (nodePorts.has(key)) errs.push(field.duplicate(`spec.ports[${i}].nodePort`, p.nodePort));
    nodePorts.add(key);
  });
  const portKeys = new Set<string>();
  ports.forEach((p, i) => {
    const key = `${p.protocol}/${p.port}`;
    if (portKeys.has(key))
      errs.push(field.duplicate(`spec.ports[${i}]`, goServicePortKey(p.protocol ?? '', p.port ?? 0)));
    portKeys.add(key);
  });
  if ((spec.loadBalancerSourceRanges?.length ?? 0) > 0) {
    // Sic: kube-apiserver spells this path with a capital L.
    const p = 'spec.LoadBalancerSourceRanges';
    if (spec.type !== 'LoadBalancer')
      errs.push(field.forbidden(p, "may only be used when `type` is 'LoadBalancer'"));
    spec.loadBalancerSourceRanges!.forEach((r, i) => {
      errs.push(...validateCIDR(`${p}[${i}]`, r.trim()));
    });
  }
  if (spec.allocateLoadBalancerNodePorts !== undefined && spec.type !== 'LoadBalancer')
    errs.push(
      field.forbidden('spec.allocateLoadBalancerNodePorts', "may only be used when `type` is 'LoadBalancer'"),
    );
  if (spec.type === 'LoadBalancer' && spec.allocateLoadBalancerNodePorts === undefined)
    errs.push(field.required('allocateLoadBalancerNodePorts'));
  if (spec.loadBalancerClass !== undefined) {
    if (spec.type !== 'LoadBalancer')
      errs.push(field.forbidden('spec.loadBalancerClass', "may only be used when `type` is 'LoadBalancer'"));
    else
      for (const msg of isQualifiedName(spec.loadBalancerClass))
        errs.push(field.invalid('spec.loadBalancerClass', spec.loadBalancerClass, msg));
  }
  // externalTrafficPolicy and healthCheckNodePort
  if (!externallyAccessible(svc)) {
    if (spec.externalTrafficPolicy)
      errs.push(
        field.invalid(
          'spec.externalTrafficPolicy',
          spec.externalTrafficPolicy,
          'may only be set for externally-accessible services',
        ),
      );
  } else if (!spec.externalTrafficPolicy) errs.push(field.required('spec.externalTrafficPolicy'));
  else if (!supportedTrafficPolicies.includes(spec.externalTrafficPolicy))
    errs.push(
      field.notSupported('spec.externalTrafficPolicy', spec.externalTrafficPolicy, supportedTrafficPolicies),
    );
  if (!needsHealthCheck(svc)) {
    if (spec.healthCheckNodePort)
      errs.push(
        field.invalid(
          'spec.healthCheckNodePort',
          spec.healthCheckNodePort,
          "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'",
        ),
      );
  } else if (!spec.healthCheckNodePort) errs.push(field.required('spec.healthCheckNodePort'));
  else
    for (const msg of isValidPortNum(spec.healthCheckNodePort))
      errs.push(field.invalid('spec.healthCheckNodePort', spec.healthCheckNodePort, msg));
  if (spec.internalTrafficPolicy === undefined) {
    if (spec.type === 'NodePort' || spec.type === 'LoadBalancer' || spec.type === 'ClusterIP')
      errs.push(field.required('spec.internalTrafficPolicy'));
  } else if (!supportedTrafficPolicies.includes(spec.internalTrafficPolicy)) {
    errs.push(
      field.notSupported('spec.internalTrafficPolicy', spec.internalTrafficPolicy, supportedTrafficPolicies),
    );
  }
  if (spec.trafficDistribution !== undefined && spec.trafficDistribution !== 'PreferClose')
    errs.push(field.notSupported('spec.trafficDistribution', spec.trafficDistribution, ['PreferClose']));
  return errs;
}

export function validateServiceUpdate(svc: Service, old: Service): FieldError[] {
  const errs = validateObjectMetaUpdate(svc.metadata, old.metadata);
  const spec = svc.spec;
  if (
    spec.type !== 'ExternalName' &&
    old.spec.type !== 'ExternalName' &&
    !(isHeadlessService(old) && isHeadlessService(svc))
  ) {
    const ips = spec.clusterIPs ?? [];
    const oldIPs = old.spec.clusterIPs ?? [];
    if (oldIPs.length === ips.length) {
      oldIPs.forEach((ip, i) => {
        if (ip !== ips[i])
          errs.push(field.invalid(`spec.clusterIPs[${i}]`, goStrings(ips), 'may not change once set'));
      });
    } else if (oldIPs.length > ips.length) {
      if (ips.length === 0)
        errs.push(field.invalid('spec.clusterIPs[0]', goStrings(ips), 'primary clusterIP can not be unset'));
      else if (ips[0] !== oldIPs[0])
        errs.push(field.invalid('spec.clusterIPs[0]', goStrings(ips), 'may not change once set'));
      if (ips.length === 1 && spec.ipFamilyPolicy !== 'SingleStack')
        errs.push(
          field.invalid(
            'spec.ipFamilyPolicy',
            spec.ipFamilyPolicy ?? null,
            "must be set to 'SingleStack' when releasing the secondary clusterIP",
          ),
        );
    } else if (oldIPs.length > 0 && ips[0] !== oldIPs[0]) {
      errs.push(field.invalid('spec.clusterIPs[0]', goStrings(ips), 'may not change once set'));
    }
  }
  if (
    needsHealthCheck(old) &&
    needsHealthCheck(svc) &&
    spec.healthCheckNodePort !== old.spec.healthCheckNodePort
  )
    errs.push(field.forbidden('spec.healthCheckNodePort', 'field is immutable'));
  errs.push(...validateService(svc));
  return errs;
}

// --- Pod -------------------------------------------------------------------------------------

const supportedRestartPolicies = ['Always', 'Never', 'OnFailure'];
const supportedDNSPolicies = ['ClusterFirst', 'ClusterFirstWithHostNet', 'Default', 'None'];

function validateProbe(probe: Probe | undefined, path: string): FieldError[] {
  if (!probe) return [];
  const errs: FieldError[] = [];
  if (probe.httpGet) errs.push(...validatePortNumOrName(probe.httpGet.port, `${path}.httpGet.port`));
  if (probe.tcpSocket) errs.push(...validatePortNumOrName(probe.tcpSocket.port, `${path}.tcpSocket.port`));
  if (!probe.httpGet && !probe.tcpSocket && !probe.exec && !(probe as { grpc?: unknown }).grpc)
    errs.push(field.required(path, 'must specify a handler type'));
  return errs;
}

/**
 * Frozen values (the store's: never changed again) that validated without an error, for checks
 * whose answer depends on nothing else: a ReplicaSet's Pods share its template's spec and
 * containers, so those are checked once, not once a Pod. (A path only spells out errors.)
 */
const validContainers = new WeakSet<object>();
const validPodSpecs = new WeakSet<object>();

function validateContainers(containers: Container[], path: string, names: Set<string>): FieldError[] {
  // Known valid, and no names before them to collide with: only their names to note.
  if (names.size === 0 && validContainers.has(containers)) {
    for (const c of containers) names.add(c.name);
    return [];
  }
  const fresh = names.size === 0 && Object.isFrozen(containers);
  const errs = checkContainers(containers, path, names);
  if (fresh && errs.length === 0) validContainers.add(containers);
  return errs;
}

function checkContainers(containers: Container[], path: string, names: Set<string>): FieldError[] {
  const errs: FieldError[] = [];
  containers.forEach((c, i) => {
    const p = `${path}[${i}]`;
    if (!c.name) errs.push(field.required(`${p}.name`));
    else {
      for (const msg of isDNS1123Label(c.name)) errs.push(field.invalid(`${p}.name`, c.name, msg));
      if (names.has(c.name)) errs.push(field.duplicate(`${p}.name`, c.name));
      else names.add(c.name);
    }
    if (!c.image) errs.push(field.required(`${p}.image`));
    const portNames = new Set<string>();
    (c.ports ?? []).forEach((port, j) => {
      const pp = `${p}.ports[${j}]`;
      if (port.name) {
        const msgs = isValidPortName(port.name);
        if (msgs.length > 0) for (const m of msgs) errs.push(field.invalid(`${pp}.name`, port.name, m));
        else if (portNames.has(port.name)) errs.push(field.duplicate(`${pp}.name`, port.name));
        else portNames.add(port.name);
      }
      if (!port.containerPort) errs.push(field.required(`${pp}.containerPort`));
      else
        for (const m of isValidPortNum(port.containerPort))
          errs.push(field.invalid(`${pp}.containerPort`, port.containerPort, m));
      if (port.hostPort)
        for (const m of isValidPortNum(port.hostPort))
          errs.push(field.invalid(`${pp}.hostPort`, port.hostPort, m));
      if (!port.protocol) errs.push(field.required(`${pp}.protocol`));
      else if (!supportedPortProtocols.includes(port.protocol))
        errs.push(field.notSupported(`${pp}.protocol`, port.protocol, supportedPortProtocols));
    });
    errs.push(...validateProbe(c.readinessProbe, `${p}.readinessProbe`));
    errs.push(...validateProbe(c.livenessProbe, `${p}.livenessProbe`));
    errs.push(...validateProbe(c.startupProbe, `${p}.startupProbe`));
  });
  return errs;
}

export function validatePodSpec(spec: PodSpec, path: string): FieldError[] {
  if (validPodSpecs.has(spec)) return [];
  const errs = checkPodSpec(spec, path);
  if (errs.length === 0 && Object.isFrozen(spec)) validPodSpecs.add(spec);
  return errs;
}

function checkPodSpec(spec: PodSpec, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const names = new Set<string>();
  errs.push(...validateContainers(spec.initContainers ?? [], `${path}.initContainers`, names));
  if (!spec.containers || spec.containers.length === 0) errs.push(field.required(`${path}.containers`));
  else errs.push(...validateContainers(spec.containers, `${path}.containers`, names));
  if (!spec.restartPolicy) errs.push(field.required(`${path}.restartPolicy`));
  else if (!supportedRestartPolicies.includes(spec.restartPolicy))
    errs.push(field.notSupported(`${path}.restartPolicy`, spec.restartPolicy, supportedRestartPolicies));
  if (!spec.dnsPolicy) errs.push(field.required(`${path}.dnsPolicy`));
  else if (!supportedDNSPolicies.includes(spec.dnsPolicy))
    errs.push(field.notSupported(`${path}.dnsPolicy`, spec.dnsPolicy, supportedDNSPolicies));
  if (spec.dnsPolicy === 'None' && !spec.dnsConfig)
    errs.push(field.required(`${path}.dnsConfig`, 'must provide `dnsConfig` when `dnsPolicy` is None'));
  if (spec.dnsConfig) {
    const ns = spec.dnsConfig.nameservers ?? [];
    if (ns.length > 3)
      errs.push(
        field.invalid(
          `${path}.dnsConfig.nameservers`,
          goStrings(ns),
          'must not have more than 3 nameservers',
        ),
      );
    ns.forEach((n, i) => {
      errs.push(...validateIP(`${path}.dnsConfig.nameservers[${i}]`, n));
    });
    if (spec.dnsPolicy === 'None' && ns.length === 0)
      errs.push(
        field.required(
          `${path}.dnsConfig.nameservers`,
          'must provide at least one DNS nameserver when `dnsPolicy` is None',
        ),
      );
    const searches = spec.dnsConfig.searches ?? [];
    if (searches.length > 32)
      errs.push(
        field.invalid(
          `${path}.dnsConfig.searches`,
          goStrings(searches),
          'must not have more than 32 search paths',
        ),
      );
    searches.forEach((s, i) => {
      const d = s.replace(/\.$/, '');
      for (const m of isDNS1123Subdomain(d))
        errs.push(field.invalid(`${path}.dnsConfig.searches[${i}]`, s, m));
    });
  }
  if (spec.hostname)
    for (const m of isDNS1123Label(spec.hostname))
      errs.push(field.invalid(`${path}.hostname`, spec.hostname, m));
  if (spec.subdomain)
    for (const m of isDNS1123Label(spec.subdomain))
      errs.push(field.invalid(`${path}.subdomain`, spec.subdomain, m));
  if (spec.nodeName) errs.push(...validateNodeName(spec.nodeName, path));
  if (spec.nodeSelector) errs.push(...validateLabels(spec.nodeSelector, `${path}.nodeSelector`));
  if (spec.terminationGracePeriodSeconds !== undefined && spec.terminationGracePeriodSeconds < 0)
    errs.push(
      field.invalid(
        `${path}.terminationGracePeriodSeconds`,
        spec.terminationGracePeriodSeconds,
        'must be greater than or equal to 0',
      ),
    );
  return errs;
}

/** A Pod spec's nodeName (set): the one check of checkPodSpec that reads it, and nothing else. */
export function validateNodeName(nodeName: string, path: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const m of isDNS1123Subdomain(nodeName)) errs.push(field.invalid(`${path}.nodeName`, nodeName, m));
  return errs;
}

export function validatePod(pod: Pod): FieldError[] {
  return [
    ...validateObjectMeta(pod.metadata, true, nameIsDNSSubdomain),
    ...validatePodSpec(pod.spec ?? ({} as PodSpec), 'spec'),
  ];
}

// --- Namespace, Node, Endpoints ---------------------------------------------------------------

export function validateNamespace(ns: Namespace): FieldError[] {
  return validateObjectMeta(ns.metadata, false, nameIsDNSLabel);
}

export function validateNode(node: Node): FieldError[] {
  const errs = validateObjectMeta(node.metadata, false, nameIsDNSSubdomain);
  const cidrs = node.spec?.podCIDRs ?? [];
  cidrs.forEach((c, i) => {
    errs.push(...validateCIDR(`spec.podCIDRs[${i}]`, c));
  });
  if (cidrs.length > 1) {
    const fams = cidrs.map((c) => ipFamilyOfCIDRString(c));
    if (cidrs.length > 2 || fams[0] === fams[1] || fams.includes(undefined))
      errs.push(
        field.invalid(
          'spec.podCIDRs',
          goStrings(cidrs),
          'may specify no more than one CIDR for each IP family',
        ),
      );
    const seen = new Set<string>();
    cidrs.forEach((c, i) => {
      if (seen.has(c)) errs.push(field.duplicate(`spec.podCIDRs[${i}]`, c));
      seen.add(c);
    });
  }
  (node.status?.addresses ?? []).forEach((a, i) => {
    if ((a.type === 'InternalIP' || a.type === 'ExternalIP') && !parseGoIPSloppy(a.address))
      errs.push(field.invalid(`status.addresses[${i}].address`, a.address, 'must be a valid IP address'));
  });
  return errs;
}

export function validateEndpoints(ep: AnyObject & { kind: 'Endpoints' }): FieldError[] {
  const errs = validateObjectMeta(ep.metadata, true, nameIsDNSSubdomain);
  (ep.subsets ?? []).forEach((ss, i) => {
    const p = `subsets[${i}]`;
    for (const [key, list] of [
      ['addresses', ss.addresses ?? []],
      ['notReadyAddresses', ss.notReadyAddresses ?? []],
    ] as const)
      list.forEach((a, j) => {
        errs.push(...validateNonSpecialIP(`${p}.${key}[${j}].ip`, a.ip));
      });
    (ss.ports ?? []).forEach((port, j) => {
      for (const m of isValidPortNum(port.port))
        errs.push(field.invalid(`${p}.ports[${j}].port`, port.port, m));
      if (!port.protocol) errs.push(field.required(`${p}.ports[${j}].protocol`));
      else if (!supportedPortProtocols.includes(port.protocol))
        errs.push(field.notSupported(`${p}.ports[${j}].protocol`, port.protocol, supportedPortProtocols));
    });
  });
  return errs;
}
