// A generated workload for scale runs: N Services, each selecting one Deployment of agnhost netexec
// pods, the pods spread evenly (`--workload services=10000,pods=100000`: 10,000 Deployments of 10).
// Objects, not manifest text: a hundred thousand pods are written by the controllers, not parsed.

import type { AnyObject } from '../../api/index.js';
import { NetlabError } from '../../std/index.js';
import { agnhostImage } from './default-cluster.js';

export interface WorkloadSpec {
  services: number;
  pods: number;
  /** Namespace of every object (default `default`). */
  namespace?: string;
}

/**
 * kube-controller-manager's --endpointslice-updates-batch-period and --endpoint-updates-batch-period
 * (ms) for a generated workload: the changes of many Pods of one Service go out in one write, as
 * large clusters configure it. A Pod change reaches the Service's slices up to this much later.
 */
export const workloadBatchPeriodMs = 500;

/**
 * kube-proxy's --iptables-min-sync-period (ms) for a generated workload: its default, 1 s (the lab's
 * own default is 100 ms, for quick feedback). Changes within it meet in one sync of every node.
 */
export const workloadProxyMinSyncPeriodMs = 1000;

/** At most this many Services or pods: beyond it a typo, not a workload (and no memory to hold it). */
export const workloadLimit = 1_000_000;

/** The `--workload` text was not `services=N,pods=M`. */
export class WorkloadSpecError extends NetlabError {
  override readonly name = 'WorkloadSpecError';
  readonly code = 'NETLAB_LAB_WORKLOAD';
}

/** Reads `services=N,pods=M` (either may be left out: no Services, or one pod per Service). */
export function parseWorkloadSpec(text: string): WorkloadSpec {
  const out: { services?: number; pods?: number } = {};
  for (const part of text.split(',')) {
    const eq = part.indexOf('=');
    const key = (eq < 0 ? part : part.slice(0, eq)).trim();
    const value = eq < 0 ? '' : part.slice(eq + 1).trim();
    if (key !== 'services' && key !== 'pods')
      throw new WorkloadSpecError(`unknown key "${key}" (want services=N,pods=M)`);
    if (!/^\d+$/.test(value) || Number(value) > workloadLimit)
      throw new WorkloadSpecError(`${key} must be a whole number up to ${workloadLimit}, got "${value}"`);
    out[key] = Number(value);
  }
  const services = out.services ?? 0;
  const pods = out.pods ?? services;
  if (pods > 0 && services === 0)
    throw new WorkloadSpecError('pods need services (each Service selects one Deployment)');
  return { services, pods };
}

/**
 * The objects: for Service i (`svc-<i>`, port 80 -> http 8080) a Deployment of the same name whose
 * pods carry `app: svc-<i>`; the pods are shared out so Deployments differ by at most one replica.
 */
export function workloadObjects(spec: WorkloadSpec): AnyObject[] {
  const namespace = spec.namespace ?? 'default';
  const out: AnyObject[] = [];
  const width = String(Math.max(1, spec.services - 1)).length;
  const base = spec.services > 0 ? Math.floor(spec.pods / spec.services) : 0;
  const extra = spec.services > 0 ? spec.pods % spec.services : 0;
  for (let i = 0; i < spec.services; i++) {
    const name = `svc-${String(i).padStart(width, '0')}`;
    const labels = { app: name };
    out.push({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, namespace, labels },
      spec: {
        replicas: base + (i < extra ? 1 : 0),
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            containers: [
              {
                name: 'agnhost',
                image: agnhostImage,
                args: ['netexec', '--http-port=8080'],
                ports: [{ name: 'http', containerPort: 8080 }],
              },
            ],
          },
        },
      },
    } as AnyObject);
    out.push({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name, namespace },
      spec: { selector: labels, ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
    } as AnyObject);
  }
  return out;
}
