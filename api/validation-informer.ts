// Objects as a client's informer reads them (kube-proxy, CoreDNS), for objects that come straight
// from manifests with no kube-apiserver in front: what decoding into the Go types and the client's
// own parsing need, nothing of the server's policy. No service-CIDR, NodePort range or allocation
// checks, since kube-proxy's own fixtures use ClusterIPs like 172.30.0.41 and NodePorts like 3001;
// addresses read sloppily (netutils.ParseIPSloppy), as those clients read them. Messages follow
// kube-apiserver's field.Error wording.

import { parseGoCIDRSloppy as parseCIDRSloppy, parseGoIPSloppy as parseIPSloppy } from '../std/index.js';
import { ManifestError, type ManifestIssue } from './errors.js';
import { describeObject, lineOfField, type ManifestRead } from './manifest.js';
import type { AnyObject, Kind } from './types.js';
import { labelServiceName } from './wellknown.js';

const familyOf = (ip: { v4: boolean }) => (ip.v4 ? 'IPv4' : 'IPv6');

/** One problem: the field path as kube-apiserver prints it, and what is wrong. */
export interface FieldIssue {
  field: string;
  message: string;
}

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const show = (v: unknown) => JSON.stringify(v) ?? String(v);

class Checker {
  readonly issues: FieldIssue[] = [];
  invalid(field: string, value: unknown, detail: string): void {
    this.issues.push({ field, message: `Invalid value: ${show(value)}: ${detail}` });
  }
  required(field: string): void {
    this.issues.push({ field, message: 'Required value' });
  }
  notSupported(field: string, value: unknown, allowed: readonly string[]): void {
    this.issues.push({
      field,
      message: `Unsupported value: ${show(value)}: supported values: ${allowed.map((a) => `"${a}"`).join(', ')}`,
    });
  }
  enumOf(field: string, v: unknown, allowed: readonly string[]): void {
    if (v === undefined || v === null) return;
    if (typeof v !== 'string' || !allowed.includes(v)) this.notSupported(field, v, allowed);
  }
  ip(field: string, v: unknown): void {
    if (typeof v !== 'string' || !parseIPSloppy(v.trim()))
      this.invalid(field, v, 'must be a valid IP address');
  }
  int(field: string, v: unknown, min: number, max: number): boolean {
    if (v === undefined || v === null) return true;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      this.invalid(field, v, `must be between ${min} and ${max}, inclusive`);
      return false;
    }
    return true;
  }
  bool(field: string, v: unknown): void {
    if (v !== undefined && v !== null && typeof v !== 'boolean') this.invalid(field, v, 'must be a boolean');
  }
  list(field: string, v: unknown): unknown[] {
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) {
      this.invalid(field, v, 'must be a list');
      return [];
    }
    return v;
  }
}

const protocols = ['TCP', 'UDP', 'SCTP'] as const;

function checkMeta(c: Checker, o: Obj): void {
  const md = o.metadata;
  if (!isObj(md)) {
    c.required('metadata');
    return;
  }
  if (typeof md.name !== 'string' || md.name === '') c.required('metadata.name');
}

/** A Service as kube-proxy reads it. */
export function checkService(o: unknown): FieldIssue[] {
  const c = new Checker();
  if (!isObj(o)) return [{ field: '', message: 'must be an object' }];
  checkMeta(c, o);
  const spec = o.spec;
  if (!isObj(spec)) {
    c.required('spec');
    return c.issues;
  }
  c.enumOf('spec.type', spec.type, ['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName']);
  const cip = spec.clusterIP;
  if (cip !== undefined && cip !== null && cip !== '' && cip !== 'None') c.ip('spec.clusterIP', cip);
  c.list('spec.clusterIPs', spec.clusterIPs).forEach((ip, i) => {
    if (ip !== 'None') c.ip(`spec.clusterIPs[${i}]`, ip);
  });
  c.list('spec.ports', spec.ports).forEach((p, i) => {
    const f = `spec.ports[${i}]`;
    if (!isObj(p)) {
      c.invalid(f, p, 'must be an object');
      return;
    }
    if (p.name !== undefined && p.name !== null && typeof p.name !== 'string')
      c.invalid(`${f}.name`, p.name, 'must be a string');
    if (p.port === undefined || p.port === null) c.required(`${f}.port`);
    else c.int(`${f}.port`, p.port, 1, 65535);
    c.enumOf(`${f}.protocol`, p.protocol, protocols);
    c.int(`${f}.nodePort`, p.nodePort, 0, 65535);
  });
  c.list('spec.externalIPs', spec.externalIPs).forEach((ip, i) => {
    c.ip(`spec.externalIPs[${i}]`, ip);
  });
  c.list('spec.loadBalancerSourceRanges', spec.loadBalancerSourceRanges).forEach((r, i) => {
    if (typeof r !== 'string' || !parseCIDRSloppy(r.trim())) {
      c.invalid(`spec.loadBalancerSourceRanges[${i}]`, r, 'must be a valid CIDR (e.g. 203.0.113.0/24)');
    }
  });
  c.enumOf('spec.externalTrafficPolicy', spec.externalTrafficPolicy, ['Cluster', 'Local']);
  c.enumOf('spec.internalTrafficPolicy', spec.internalTrafficPolicy, ['Cluster', 'Local']);
  c.enumOf('spec.sessionAffinity', spec.sessionAffinity, ['None', 'ClientIP']);
  const sac = spec.sessionAffinityConfig;
  if (isObj(sac) && isObj(sac.clientIP)) {
    c.int('spec.sessionAffinityConfig.clientIP.timeoutSeconds', sac.clientIP.timeoutSeconds, 1, 86400);
  }
  c.int('spec.healthCheckNodePort', spec.healthCheckNodePort, 0, 65535);
  const status = o.status;
  if (isObj(status) && isObj(status.loadBalancer)) {
    c.list('status.loadBalancer.ingress', status.loadBalancer.ingress).forEach((ing, i) => {
      if (isObj(ing) && ing.ip !== undefined && ing.ip !== null && ing.ip !== '') {
        c.ip(`status.loadBalancer.ingress[${i}].ip`, ing.ip);
      }
      if (isObj(ing)) c.enumOf(`status.loadBalancer.ingress[${i}].ipMode`, ing.ipMode, ['VIP', 'Proxy']);
    });
  }
  return c.issues;
}

/** An EndpointSlice as kube-proxy reads it. */
export function checkEndpointSlice(o: unknown): FieldIssue[] {
  const c = new Checker();
  if (!isObj(o)) return [{ field: '', message: 'must be an object' }];
  checkMeta(c, o);
  const md = isObj(o.metadata) ? o.metadata : {};
  const labels = isObj(md.labels) ? md.labels : {};
  if (typeof labels[labelServiceName] !== 'string' || labels[labelServiceName] === '') {
    c.issues.push({
      field: `metadata.labels[${labelServiceName}]`,
      message: 'Required value: kube-proxy uses it to find the Service this slice belongs to',
    });
  }
  const at = o.addressType;
  if (at === undefined || at === null) c.required('addressType');
  else c.enumOf('addressType', at, ['IPv4', 'IPv6', 'FQDN']);
  c.list('ports', o.ports).forEach((p, i) => {
    if (!isObj(p)) {
      c.invalid(`ports[${i}]`, p, 'must be an object');
      return;
    }
    if (p.name !== undefined && p.name !== null && typeof p.name !== 'string')
      c.invalid(`ports[${i}].name`, p.name, 'must be a string');
    c.int(`ports[${i}].port`, p.port, 0, 65535);
    c.enumOf(`ports[${i}].protocol`, p.protocol, protocols);
  });
  c.list('endpoints', o.endpoints).forEach((ep, i) => {
    const f = `endpoints[${i}]`;
    if (!isObj(ep)) {
      c.invalid(f, ep, 'must be an object');
      return;
    }
    const addrs = c.list(`${f}.addresses`, ep.addresses);
    if (addrs.length === 0) c.required(`${f}.addresses`);
    addrs.forEach((a, j) => {
      if (at !== 'IPv4' && at !== 'IPv6') return;
      const ip = typeof a === 'string' ? parseIPSloppy(a) : null;
      if (!ip) c.invalid(`${f}.addresses[${j}]`, a, 'must be a valid IP address');
      else if (familyOf(ip) !== at) c.invalid(`${f}.addresses[${j}]`, a, `must be an ${at} address`);
    });
    if (ep.conditions !== undefined && ep.conditions !== null) {
      if (!isObj(ep.conditions)) c.invalid(`${f}.conditions`, ep.conditions, 'must be an object');
      else
        for (const k of ['ready', 'serving', 'terminating']) c.bool(`${f}.conditions.${k}`, ep.conditions[k]);
    }
    if (ep.nodeName !== undefined && ep.nodeName !== null && typeof ep.nodeName !== 'string') {
      c.invalid(`${f}.nodeName`, ep.nodeName, 'must be a string');
    }
  });
  return c.issues;
}

/** A Node as kube-proxy reads it (its labels and addresses). */
export function checkNode(o: unknown): FieldIssue[] {
  const c = new Checker();
  if (!isObj(o)) return [{ field: '', message: 'must be an object' }];
  checkMeta(c, o);
  const status = o.status;
  if (isObj(status)) {
    c.list('status.addresses', status.addresses).forEach((a, i) => {
      if (!isObj(a)) {
        c.invalid(`status.addresses[${i}]`, a, 'must be an object');
        return;
      }
      if (a.type === 'InternalIP' || a.type === 'ExternalIP')
        c.ip(`status.addresses[${i}].address`, a.address);
    });
  }
  return c.issues;
}

const checkers: Readonly<Record<string, (o: unknown) => FieldIssue[]>> = {
  Service: checkService,
  EndpointSlice: checkEndpointSlice,
  Node: checkNode,
};

/**
 * The objects of `kinds` among manifests that were read, checked as their informers would read them.
 * Throws ManifestError with every problem (each naming file:line, object and field); nothing is
 * kept when one object is unreadable, as with a batch apply.
 */
export function objectsAsRead(read: ManifestRead, kinds: readonly Kind[]): AnyObject[] {
  const issues: ManifestIssue[] = [...read.issues];
  const out: AnyObject[] = [];
  for (const { object, source } of read.objects) {
    if (!kinds.includes(object.kind)) continue;
    const found = checkers[object.kind]?.(object) ?? [];
    for (const f of found) {
      issues.push({
        file: source.file,
        line: lineOfField(object, f.field) ?? source.line,
        object: describeObject(object),
        field: f.field,
        message: f.message,
      });
    }
    out.push(object);
  }
  if (issues.length > 0) throw new ManifestError(issues);
  return out;
}
