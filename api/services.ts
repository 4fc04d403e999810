// What kube-apiserver's Service storage does around validation (pkg/registry/core/service/storage
// alloc.go and strategy.go): normalise clusterIP/clusterIPs, infer ipFamilies and ipFamilyPolicy,
// allocate ClusterIPs, NodePorts and the healthCheckNodePort, and on updates keep what was
// allocated, drop what a type change no longer needs and release it. Every allocation and release
// records its undo so a failed create or a failed batch leaves the allocators as they were.
import {
  defaultNodePortRange,
  InvalidRangeError,
  NodePortAllocator,
  ServiceIPAllocator,
} from '../ipam/index.js';
import { ipFamilyOfCIDRString, ipFamilyOfString } from '../std/index.js';
import { type FieldError, field, goStrings, newInternalError, newInvalid } from './fielderrors.js';
import type { IPFamily, Service, ServicePort } from './types.js';
import {
  isHeadlessService,
  needsHealthCheck,
  validateServiceClusterIPsRelatedFields,
} from './validation-core.js';

export interface ServiceNetworkConfig {
  /** --service-cluster-ip-range: one CIDR, or two of different families (the first is the default). */
  serviceCIDRs: string[];
  /** --service-node-port-range. */
  nodePortRange: string;
  seed: number;
}

export const defaultServiceCIDR = '10.96.0.0/12';

/** A list of undo steps; run in reverse to roll back. */
export type UndoLog = (() => void)[];

export class ServiceAllocators {
  readonly byFamily = new Map<IPFamily, ServiceIPAllocator>();
  readonly defaultFamily: IPFamily;
  readonly nodePorts: NodePortAllocator;

  constructor(cfg: Partial<ServiceNetworkConfig> = {}) {
    const cidrs = cfg.serviceCIDRs ?? [defaultServiceCIDR];
    const seed = cfg.seed ?? 1;
    cidrs.forEach((c, i) => {
      const a = new ServiceIPAllocator(c, { seed: seed + i });
      if (this.byFamily.has(a.family))
        throw new InvalidRangeError(`service CIDRs ${cidrs.join(',')}: one per IP family`);
      this.byFamily.set(a.family, a);
    });
    this.defaultFamily = ipFamilyOfCIDRString(cidrs[0] ?? '') ?? 'IPv4';
    this.nodePorts = new NodePortAllocator(cfg.nodePortRange ?? defaultNodePortRange, { seed: seed + 7 });
  }

  private ipAllocator(family: IPFamily): ServiceIPAllocator {
    return this.byFamily.get(family)!;
  }

  /** Reserve a specific IP, recording the undo. */
  private takeIP(family: IPFamily, ip: string, undo: UndoLog): void {
    const a = this.ipAllocator(family);
    a.allocate(ip);
    undo.push(() => a.release(ip));
  }

  private nextIP(family: IPFamily, undo: UndoLog): string {
    const a = this.ipAllocator(family);
    const ip = a.allocateNext();
    undo.push(() => a.release(ip));
    return ip;
  }

  private releaseIP(family: IPFamily, ip: string, undo: UndoLog): void {
    const a = this.byFamily.get(family);
    if (!a?.has(ip)) return;
    a.release(ip);
    undo.push(() => a.allocate(ip));
  }

  private takePort(port: number, undo: UndoLog): void {
    this.nodePorts.allocate(port);
    undo.push(() => this.nodePorts.release(port));
  }

  private nextPort(undo: UndoLog): number {
    const p = this.nodePorts.allocateNext();
    undo.push(() => this.nodePorts.release(p));
    return p;
  }

  private releasePort(port: number, undo: UndoLog): void {
    if (!this.nodePorts.has(port)) return;
    this.nodePorts.release(port);
    undo.push(() => this.nodePorts.allocate(port));
  }

  /** initIPFamilyFields: infer policy and families, check them against this cluster's families. */
  private initIPFamilyFields(svc: Service, old: Service | undefined): void {
    const spec = svc.spec;
    if (spec.type === 'ExternalName') return;
    if (spec.ipFamilyPolicy === undefined) {
      if (old?.spec.ipFamilyPolicy !== undefined) spec.ipFamilyPolicy = old.spec.ipFamilyPolicy;
      else if (spec.clusterIP === 'None' && Object.keys(spec.selector ?? {}).length === 0)
        spec.ipFamilyPolicy = 'RequireDualStack';
      else spec.ipFamilyPolicy = 'SingleStack';
    }
    const pre = validateServiceClusterIPsRelatedFields(svc);
    if (pre.length > 0) throw newInvalid('Service', svc.metadata.name ?? '', pre);
    const el: FieldError[] = [];
    if (old) {
      if (spec.ipFamilyPolicy === 'SingleStack') {
        if (sameList(old.spec.clusterIPs, spec.clusterIPs) && (spec.clusterIPs?.length ?? 0) > 1)
          spec.clusterIPs = spec.clusterIPs!.slice(0, 1);
        if (sameList(old.spec.ipFamilies, spec.ipFamilies) && (spec.ipFamilies?.length ?? 0) > 1)
          spec.ipFamilies = spec.ipFamilies!.slice(0, 1);
      } else {
        if (
          (spec.clusterIPs?.length ?? 0) < (old.spec.clusterIPs?.length ?? 0) &&
          (spec.clusterIPs?.length ?? 0) > 0
        )
          el.push(
            field.invalid(
              'spec.ipFamilyPolicy',
              spec.ipFamilyPolicy,
              "must be 'SingleStack' to release the secondary cluster IP",
            ),
          );
        if (
          (spec.ipFamilies?.length ?? 0) < (old.spec.ipFamilies?.length ?? 0) &&
          (spec.ipFamilies?.length ?? 0) > 0
        )
          el.push(
            field.invalid(
              'spec.ipFamilyPolicy',
              spec.ipFamilyPolicy,
              "must be 'SingleStack' to release the secondary IP family",
            ),
          );
      }
    }
    if (spec.ipFamilyPolicy === 'SingleStack') {
      if (spec.clusterIPs?.length === 2)
        el.push(
          field.invalid(
            'spec.ipFamilyPolicy',
            spec.ipFamilyPolicy,
            "must be 'RequireDualStack' or 'PreferDualStack' when multiple cluster IPs are specified",
          ),
        );
      if (spec.ipFamilies?.length === 2)
        el.push(
          field.invalid(
            'spec.ipFamilyPolicy',
            spec.ipFamilyPolicy,
            "must be 'RequireDualStack' or 'PreferDualStack' when multiple IP families are specified",
          ),
        );
    }
    const ips = spec.clusterIPs ?? [];
    for (let i = 0; i < ips.length; i++) {
      if (ips[i] === 'None') break;
      const fam = ipFamilyOfString(ips[i]!)!;
      if (i >= (spec.ipFamilies?.length ?? 0)) {
        if (!this.byFamily.has(fam))
          el.push(
            field.invalid(
              `spec.clusterIPs[${i}]`,
              goStrings(ips),
              `${fam} is not configured on this cluster`,
            ),
          );
        else spec.ipFamilies = [...(spec.ipFamilies ?? []), fam];
      }
    }
    if (el.length > 0) throw newInvalid('Service', svc.metadata.name ?? '', el);
    if (spec.clusterIP === 'None' && Object.keys(spec.selector ?? {}).length === 0) {
      if (!spec.ipFamilies || spec.ipFamilies.length === 0) spec.ipFamilies = [this.defaultFamily];
      if (spec.ipFamilies.length < 2 && spec.ipFamilyPolicy !== 'SingleStack')
        spec.ipFamilies = [...spec.ipFamilies, other(spec.ipFamilies[0]!)];
      return;
    }
    if (spec.ipFamilyPolicy === 'RequireDualStack' && this.byFamily.size < 2)
      el.push(
        field.invalid(
          'spec.ipFamilyPolicy',
          spec.ipFamilyPolicy,
          'this cluster is not configured for dual-stack services',
        ),
      );
    (spec.ipFamilies ?? []).forEach((fam, i) => {
      if (!this.byFamily.has(fam))
        el.push(field.invalid(`spec.ipFamilies[${i}]`, fam, 'not configured on this cluster'));
    });
    if (el.length > 0) throw newInvalid('Service', svc.metadata.name ?? '', el);
    if (!spec.ipFamilies || spec.ipFamilies.length === 0) spec.ipFamilies = [this.defaultFamily];
    if (spec.ipFamilyPolicy !== 'SingleStack' && spec.ipFamilies.length === 1 && this.byFamily.size === 2)
      spec.ipFamilies = [...spec.ipFamilies, other(spec.ipFamilies[0]!)];
  }

  /** allocIPs: requested addresses must be free and in range; others come from the upper band. */
  private allocIPs(svc: Service, families: IPFamily[], undo: UndoLog): void {
    const spec = svc.spec;
    spec.clusterIPs ??= [];
    for (const fam of families) {
      const i = spec.ipFamilies!.indexOf(fam);
      while (spec.clusterIPs.length <= i) spec.clusterIPs.push('');
      const want = spec.clusterIPs[i]!;
      if (want === '') {
        try {
          spec.clusterIPs[i] = this.nextIP(fam, undo);
        } catch (e) {
          throw newInternalError(`failed to allocate a serviceIP: ${(e as Error).message}`);
        }
      } else {
        try {
          this.takeIP(fam, want, undo);
        } catch (e) {
          throw newInvalid('Service', svc.metadata.name ?? '', [
            field.invalid(
              'spec.clusterIPs',
              goStrings(spec.clusterIPs),
              `failed to allocate IP ${want}: ${(e as Error).message}`,
            ),
          ]);
        }
      }
    }
    spec.clusterIP = spec.clusterIPs[0]!;
  }

  private allocClusterIPs(svc: Service, undo: UndoLog): void {
    const spec = svc.spec;
    if (spec.type === 'ExternalName') return;
    if (spec.clusterIPs?.[0] === 'None') return;
    this.allocIPs(svc, [...(spec.ipFamilies ?? [])], undo);
  }

  /** initNodePorts: one nodePort per port number (TCP and UDP on the same port share it). */
  private initNodePorts(svc: Service, undo: UndoLog): void {
    const ports = svc.spec.ports ?? [];
    const byPort = new Map<number, number>();
    ports.forEach((sp, i) => {
      if (!sp.nodePort && !shouldAllocateNodePorts(svc)) return;
      const allocated = byPort.get(sp.port) ?? 0;
      if (allocated === 0) {
        const np = ports.find((p) => p.port === sp.port && p.nodePort)?.nodePort ?? 0;
        if (np !== 0) {
          this.requestPort(svc, np, i, undo);
          sp.nodePort = np;
          byPort.set(sp.port, np);
        } else {
          sp.nodePort = this.nextPortOrFail(undo);
          byPort.set(sp.port, sp.nodePort);
        }
      } else if (sp.nodePort !== allocated) {
        if (!sp.nodePort) sp.nodePort = allocated;
        else this.requestPort(svc, sp.nodePort, i, undo);
      }
    });
  }

  private requestPort(svc: Service, port: number, i: number, undo: UndoLog): void {
    try {
      this.takePort(port, undo);
    } catch (e) {
      throw newInvalid('Service', svc.metadata.name ?? '', [
        field.invalid(`spec.ports[${i}].nodePort`, port, (e as Error).message),
      ]);
    }
  }

  private nextPortOrFail(undo: UndoLog): number {
    try {
      return this.nextPort(undo);
    } catch (e) {
      throw newInternalError(`failed to allocate a nodePort: ${(e as Error).message}`);
    }
  }

  private allocHealthCheckNodePort(svc: Service, undo: UndoLog): void {
    const hc = svc.spec.healthCheckNodePort ?? 0;
    try {
      if (hc !== 0) this.takePort(hc, undo);
      else svc.spec.healthCheckNodePort = this.nextPort(undo);
    } catch (e) {
      const why =
        hc !== 0
          ? `failed to allocate requested HealthCheck NodePort ${hc}: ${(e as Error).message}`
          : `failed to allocate a HealthCheck NodePort 0: ${(e as Error).message}`;
      throw newInternalError(why);
    }
  }

  /** beginCreate: normalise, infer families, allocate. Throws a StatusError. */
  allocateCreate(svc: Service, undo: UndoLog): void {
    const spec = svc.spec;
    if (spec.clusterIP && (spec.clusterIPs?.length ?? 0) === 0) spec.clusterIPs = [spec.clusterIP];
    this.initIPFamilyFields(svc, undefined);
    this.allocClusterIPs(svc, undo);
    if (spec.type === 'NodePort' || spec.type === 'LoadBalancer') this.initNodePorts(svc, undo);
    if (needsHealthCheck(svc)) this.allocHealthCheckNodePort(svc, undo);
  }

  /** PrepareForUpdate + beginUpdate: keep allocations, drop what the new type does not use, allocate, release. */
  allocateUpdate(svc: Service, old: Service, undo: UndoLog): void {
    const spec = svc.spec;
    patchAllocatedValues(svc, old);
    normalizeClusterIPsOnUpdate(svc, old);
    dropTypeDependentFields(svc, old);
    this.initIPFamilyFields(svc, old);
    // ClusterIPs
    if (old.spec.type === 'ExternalName' && spec.type !== 'ExternalName') this.allocClusterIPs(svc, undo);
    else if (!isHeadlessService(old)) {
      if (old.spec.type !== 'ExternalName' && spec.type === 'ExternalName') {
        (old.spec.ipFamilies ?? []).forEach((fam, i) => {
          const ip = old.spec.clusterIPs?.[i];
          if (ip) this.releaseIP(fam, ip, undo);
        });
      } else if (old.spec.ipFamilies?.length === 1 && spec.ipFamilies?.length === 2) {
        this.allocIPs(svc, [spec.ipFamilies[1]!], undo);
      } else if (old.spec.ipFamilies?.length === 2 && spec.ipFamilies?.length === 1) {
        const ip = old.spec.clusterIPs?.[1];
        if (ip) this.releaseIP(old.spec.ipFamilies[1]!, ip, undo);
      }
    }
    // NodePorts
    const oldNeeds = old.spec.type === 'NodePort' || old.spec.type === 'LoadBalancer';
    const newNeeds = spec.type === 'NodePort' || spec.type === 'LoadBalancer';
    const oldPorts = collectNodePorts(old);
    if (oldNeeds && !newNeeds) for (const p of oldPorts) this.releasePort(p, undo);
    if (newNeeds) {
      const taken = new Set<number>();
      (spec.ports ?? []).forEach((sp, i) => {
        if (!sp.nodePort && !shouldAllocateNodePorts(svc)) return;
        if (sp.nodePort) {
          if (!oldPorts.includes(sp.nodePort) && !taken.has(sp.nodePort)) {
            this.requestPort(svc, sp.nodePort, i, undo);
            taken.add(sp.nodePort);
          }
        } else {
          sp.nodePort = this.nextPortOrFail(undo);
        }
      });
      const now = collectNodePorts(svc);
      for (const p of oldPorts) if (!now.includes(p)) this.releasePort(p, undo);
    }
    // healthCheckNodePort
    const needed = needsHealthCheck(old);
    const needs = needsHealthCheck(svc);
    if (!needed && needs) this.allocHealthCheckNodePort(svc, undo);
    else if (needed && !needs) {
      if (old.spec.healthCheckNodePort) this.releasePort(old.spec.healthCheckNodePort, undo);
    }
  }

  /** Delete: give back every address and port the Service held. */
  release(svc: Service, undo: UndoLog): void {
    const spec = svc.spec;
    if (spec.type !== 'ExternalName' && !isHeadlessService(svc))
      (spec.ipFamilies ?? []).forEach((fam, i) => {
        const ip = spec.clusterIPs?.[i];
        if (ip) this.releaseIP(fam, ip, undo);
      });
    for (const p of collectNodePorts(svc)) this.releasePort(p, undo);
    if (spec.healthCheckNodePort) this.releasePort(spec.healthCheckNodePort, undo);
  }
}

function other(f: IPFamily): IPFamily {
  return f === 'IPv4' ? 'IPv6' : 'IPv4';
}

function sameList(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
  const x = a ?? [];
  const y = b ?? [];
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

function shouldAllocateNodePorts(svc: Service): boolean {
  if (svc.spec.type === 'NodePort') return true;
  if (svc.spec.type === 'LoadBalancer') return svc.spec.allocateLoadBalancerNodePorts !== false;
  return false;
}

function collectNodePorts(svc: Service): number[] {
  const out: number[] = [];
  for (const p of svc.spec.ports ?? []) if (p.nodePort && !out.includes(p.nodePort)) out.push(p.nodePort);
  return out;
}

/** NormalizeClusterIPs for updates: keep the singular and plural fields in step. */
function normalizeClusterIPsOnUpdate(svc: Service, old: Service): void {
  const spec = svc.spec;
  const oldIP = old.spec.clusterIP ?? '';
  const newIP = spec.clusterIP ?? '';
  if (oldIP !== '' && newIP === '') {
    if (sameList(old.spec.clusterIPs, spec.clusterIPs)) delete spec.clusterIPs;
    return;
  }
  if (newIP !== '' && (spec.clusterIPs?.length ?? 0) === 0) {
    spec.clusterIPs = [newIP];
    return;
  }
  if (oldIP !== '' && newIP !== '' && newIP !== oldIP && sameList(old.spec.clusterIPs, spec.clusterIPs)) {
    spec.clusterIPs = [newIP, ...(spec.clusterIPs ?? []).slice(1)];
  }
}

/** patchAllocatedValues: a PUT that omits allocated values keeps them. */
function patchAllocatedValues(svc: Service, old: Service): void {
  const spec = svc.spec;
  if (old.spec.type !== 'ExternalName' && spec.type !== 'ExternalName') {
    if (!spec.clusterIP && old.spec.clusterIP) spec.clusterIP = old.spec.clusterIP;
    // Only a ClusterIP the user left alone brings the old list along.
    if (
      (spec.clusterIPs?.length ?? 0) === 0 &&
      (old.spec.clusterIPs?.length ?? 0) > 0 &&
      spec.clusterIP === old.spec.clusterIPs![0]
    )
      spec.clusterIPs = [...old.spec.clusterIPs!];
  }
  const needsNP = (s: Service) => s.spec.type === 'NodePort' || s.spec.type === 'LoadBalancer';
  if (needsNP(old) && needsNP(svc)) {
    const byKey = new Map<string, number>();
    for (const p of old.spec.ports ?? []) if (p.nodePort) byKey.set(`${p.protocol}/${p.port}`, p.nodePort);
    for (const p of spec.ports ?? [])
      if (!p.nodePort) {
        const np = byKey.get(`${p.protocol}/${p.port}`);
        if (np) p.nodePort = np;
      }
  }
  if (
    needsHealthCheck(svc) &&
    needsHealthCheck(old) &&
    !spec.healthCheckNodePort &&
    old.spec.healthCheckNodePort
  )
    spec.healthCheckNodePort = old.spec.healthCheckNodePort;
}

function sameNodePorts(a: Service, b: Service): boolean {
  const x = (a.spec.ports ?? []).map((p: ServicePort) => p.nodePort ?? 0);
  const y = (b.spec.ports ?? []).map((p: ServicePort) => p.nodePort ?? 0);
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

/** dropTypeDependentFields: wipe what the new type no longer needs, if the user left it as it was. */
function dropTypeDependentFields(svc: Service, old: Service): void {
  const spec = svc.spec;
  if (old.spec.type !== 'ExternalName' && spec.type === 'ExternalName') {
    if (sameList(old.spec.clusterIPs, spec.clusterIPs)) {
      delete spec.clusterIP;
      delete spec.clusterIPs;
    }
    if (sameList(old.spec.ipFamilies, spec.ipFamilies)) delete spec.ipFamilies;
    if (old.spec.ipFamilyPolicy === spec.ipFamilyPolicy) delete spec.ipFamilyPolicy;
  }
  const needsNP = (s: Service) => s.spec.type === 'NodePort' || s.spec.type === 'LoadBalancer';
  if (needsNP(old) && !needsNP(svc) && sameNodePorts(old, svc))
    for (const p of spec.ports ?? []) delete p.nodePort;
  if (
    needsHealthCheck(old) &&
    !needsHealthCheck(svc) &&
    old.spec.healthCheckNodePort === spec.healthCheckNodePort
  )
    delete spec.healthCheckNodePort;
  if (old.spec.type === 'LoadBalancer' && spec.type !== 'LoadBalancer') {
    if (
      spec.allocateLoadBalancerNodePorts !== undefined &&
      spec.allocateLoadBalancerNodePorts === old.spec.allocateLoadBalancerNodePorts
    )
      delete spec.allocateLoadBalancerNodePorts;
    if (spec.loadBalancerClass !== undefined && spec.loadBalancerClass === old.spec.loadBalancerClass)
      delete spec.loadBalancerClass;
  }
  const needsETP = (s: Service) =>
    s.spec.type === 'NodePort' ||
    s.spec.type === 'LoadBalancer' ||
    (s.spec.type === 'ClusterIP' && (s.spec.externalIPs?.length ?? 0) > 0);
  if (needsETP(old) && !needsETP(svc) && old.spec.externalTrafficPolicy === spec.externalTrafficPolicy)
    delete spec.externalTrafficPolicy;
  if (spec.type !== 'LoadBalancer' && svc.status?.loadBalancer) svc.status = { loadBalancer: {} };
}
