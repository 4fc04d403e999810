// What the kube-API serves: one REST resource per kind the store keeps, with its group, version,
// scope, short names, categories and subresources, as kube-apiserver registers them; and the
// discovery documents built from that table (legacy /api, /apis, /apis/<g>/<v>, and the aggregated
// apidiscovery.k8s.io/v2 lists kubectl 1.30+ asks for first).
import { apiVersionOf, type Kind, kindInfo, kinds } from '../../api/index.js';

export type Subresource = 'status' | 'scale' | 'log';

export interface Resource {
  kind: Kind;
  group: string;
  version: string;
  /** `v1`, `apps/v1`. */
  groupVersion: string;
  resource: string;
  singular: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  subresources: Subresource[];
}

const verbs = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

/** Short names and categories as kube-apiserver's storage registers them. */
const extra: Partial<Record<string, { shortNames?: string[]; categories?: string[] }>> = {
  Pod: { shortNames: ['po'], categories: ['all'] },
  Service: { shortNames: ['svc'], categories: ['all'] },
  Endpoints: { shortNames: ['ep'] },
  Node: { shortNames: ['no'] },
  Namespace: { shortNames: ['ns'] },
  Event: { shortNames: ['ev'] },
  Deployment: { shortNames: ['deploy'], categories: ['all'] },
  ReplicaSet: { shortNames: ['rs'], categories: ['all'] },
  StatefulSet: { shortNames: ['sts'], categories: ['all'] },
};

const subresourcesOf: Partial<Record<string, Subresource[]>> = {
  Namespace: ['status'],
  Node: ['status'],
  Pod: ['status', 'log'],
  Service: ['status'],
  Deployment: ['status', 'scale'],
  ReplicaSet: ['status', 'scale'],
  StatefulSet: ['status', 'scale'],
};

export const resources: readonly Resource[] = kinds.map((kind) => {
  const info = kindInfo[kind];
  const groupVersion = apiVersionOf[kind];
  return {
    kind,
    group: info.group,
    version: groupVersion.split('/').pop()!,
    groupVersion,
    resource: info.resource,
    singular: kind.toLowerCase(),
    namespaced: info.namespaced,
    shortNames: extra[kind]?.shortNames ?? [],
    categories: extra[kind]?.categories ?? [],
    subresources: subresourcesOf[kind] ?? [],
  };
});

const byPath = new Map(resources.map((r) => [`${r.groupVersion}/${r.resource}`, r]));

/** The resource at `/api/v1/<resource>` or `/apis/<group>/<version>/<resource>`. */
export function resourceAt(groupVersion: string, resource: string): Resource | undefined {
  return byPath.get(`${groupVersion}/${resource}`);
}

export function resourceOfKind(kind: Kind): Resource {
  return resources.find((r) => r.kind === kind)!;
}

/** API groups in the order kube-apiserver lists them (core first, then by name). */
export function groupVersions(): { group: string; version: string; groupVersion: string }[] {
  const seen = new Map<string, { group: string; version: string; groupVersion: string }>();
  for (const r of resources)
    if (!seen.has(r.groupVersion))
      seen.set(r.groupVersion, { group: r.group, version: r.version, groupVersion: r.groupVersion });
  return [...seen.values()].sort((a, b) =>
    a.group === '' ? -1 : b.group === '' ? 1 : a.group.localeCompare(b.group),
  );
}

const subresourceKind: Record<Subresource, { group: string; version: string; kind: string } | null> = {
  status: null,
  scale: { group: 'autoscaling', version: 'v1', kind: 'Scale' },
  log: null,
};

const subresourceVerbs: Record<Subresource, string[]> = {
  status: ['get', 'patch', 'update'],
  scale: ['get', 'patch', 'update'],
  log: ['get'],
};

/** metav1.APIResourceList for one group version. */
export function apiResourceList(groupVersion: string): unknown {
  const list: unknown[] = [];
  for (const r of resources) {
    if (r.groupVersion !== groupVersion) continue;
    list.push({
      name: r.resource,
      singularName: r.singular,
      namespaced: r.namespaced,
      kind: r.kind,
      verbs,
      ...(r.shortNames.length ? { shortNames: r.shortNames } : {}),
      ...(r.categories.length ? { categories: r.categories } : {}),
    });
    for (const s of r.subresources) {
      const k = subresourceKind[s];
      list.push({
        name: `${r.resource}/${s}`,
        singularName: '',
        namespaced: r.namespaced,
        ...(k ? { group: k.group, version: k.version } : {}),
        kind: k ? k.kind : s === 'log' ? 'Pod' : r.kind,
        verbs: subresourceVerbs[s],
      });
    }
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion, resources: list };
}

/** metav1.APIVersions for `/api`. */
export function apiVersions(serverAddress: string): unknown {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

/** metav1.APIGroupList for `/apis`. */
export function apiGroupList(): unknown {
  const groups = groupVersions()
    .filter((g) => g.group !== '')
    .map((g) => ({
      name: g.group,
      versions: [{ groupVersion: g.groupVersion, version: g.version }],
      preferredVersion: { groupVersion: g.groupVersion, version: g.version },
    }));
  return { kind: 'APIGroupList', apiVersion: 'v1', groups };
}

/** metav1.APIGroup for `/apis/<group>`. */
export function apiGroup(group: string): unknown | undefined {
  const g = groupVersions().find((x) => x.group === group && group !== '');
  if (!g) return undefined;
  const v = { groupVersion: g.groupVersion, version: g.version };
  return { kind: 'APIGroup', apiVersion: 'v1', name: group, versions: [v], preferredVersion: v };
}

/** The aggregated discovery document (apidiscovery.k8s.io/v2 APIGroupDiscoveryList) for `/api` (core) or `/apis`. */
export function aggregatedDiscovery(core: boolean, version: 'v2' | 'v2beta1' = 'v2'): unknown {
  const items = groupVersions()
    .filter((g) => (g.group === '') === core)
    .map((g) => ({
      metadata: g.group ? { name: g.group } : {},
      versions: [
        {
          version: g.version,
          resources: resources
            .filter((r) => r.groupVersion === g.groupVersion)
            .map((r) => ({
              resource: r.resource,
              responseKind: { group: r.group, version: r.version, kind: r.kind },
              scope: r.namespaced ? 'Namespaced' : 'Cluster',
              singularResource: r.singular,
              verbs,
              ...(r.shortNames.length ? { shortNames: r.shortNames } : {}),
              ...(r.categories.length ? { categories: r.categories } : {}),
              ...(r.subresources.length
                ? {
                    subresources: r.subresources.map((s) => {
                      const k = subresourceKind[s];
                      return {
                        subresource: s,
                        responseKind: k ?? {
                          group: r.group,
                          version: r.version,
                          kind: s === 'log' ? 'Pod' : r.kind,
                        },
                        verbs: subresourceVerbs[s],
                      };
                    }),
                  }
                : {}),
            })),
          freshness: 'Current',
        },
      ],
    }));
  return { kind: 'APIGroupDiscoveryList', apiVersion: `apidiscovery.k8s.io/${version}`, metadata: {}, items };
}
