// Objects the api tests build again and again, in one place: a store with a fixed clock, a Service
// with one port, a Pod, and the apps/v1 workloads whose template selects `app: web`.
import { type AnyObject, type Pod, type Service, Store } from '../../api/index.js';

/** A store without the bookmark timer, its clock at 2026-01-01T00:00:00Z. */
export const newStore = (opts: ConstructorParameters<typeof Store>[0] = {}): Store =>
  new Store({ bookmarkIntervalMs: 0, now: () => new Date('2026-01-01T00:00:00Z'), ...opts });

/** Service `name` selecting `app: name` on port 80; `spec` is merged over that. */
export const service = (name: string, spec: Record<string, unknown> = {}): Service =>
  ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name },
    spec: { selector: { app: name }, ports: [{ port: 80 }], ...spec },
  }) as Service;

/** The one container every test Pod runs. */
export const containers = [{ name: 'c', image: 'agnhost' }];

/** Pod `name` with these labels, bound to `nodeName` if given; `meta` is merged into its metadata. */
export const pod = (
  name: string,
  labels: Record<string, string> = {},
  nodeName?: string,
  meta: Record<string, unknown> = {},
): Pod =>
  ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels, ...meta },
    spec: { containers, ...(nodeName ? { nodeName } : {}) },
  }) as Pod;

/** A Deployment, ReplicaSet or StatefulSet selecting `app: web`; `spec` is merged over that. */
export const workload = (
  kind: 'Deployment' | 'ReplicaSet' | 'StatefulSet',
  name: string,
  spec: Record<string, unknown> = {},
): AnyObject =>
  ({
    apiVersion: 'apps/v1',
    kind,
    metadata: { name },
    spec: {
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers } },
      ...spec,
    },
  }) as AnyObject;
