// Static facts about each kind the store keeps: API group, resource name, scope. Messages use them
// the way kube-apiserver does (`services "web" not found`, `Deployment.apps "web" is invalid`).
import type { Kind } from './types.js';

export interface KindInfo {
  /** API group; '' for core. */
  group: string;
  /** schema.GroupKind.String(): `Service`, `Deployment.apps`. */
  groupKind: string;
  /** Plural resource name: `services`. */
  resource: string;
  /** schema.GroupResource.String(): `services`, `deployments.apps`. */
  groupResource: string;
  namespaced: boolean;
}

function info(group: string, kind: string, resource: string, namespaced: boolean): KindInfo {
  return {
    group,
    groupKind: group ? `${kind}.${group}` : kind,
    resource,
    groupResource: group ? `${resource}.${group}` : resource,
    namespaced,
  };
}

export const kindInfo: { readonly [K in Kind]: KindInfo } = {
  Namespace: info('', 'Namespace', 'namespaces', false),
  Node: info('', 'Node', 'nodes', false),
  Pod: info('', 'Pod', 'pods', true),
  Service: info('', 'Service', 'services', true),
  Endpoints: info('', 'Endpoints', 'endpoints', true),
  EndpointSlice: info('discovery.k8s.io', 'EndpointSlice', 'endpointslices', true),
  Deployment: info('apps', 'Deployment', 'deployments', true),
  ReplicaSet: info('apps', 'ReplicaSet', 'replicasets', true),
  StatefulSet: info('apps', 'StatefulSet', 'statefulsets', true),
  ControllerRevision: info('apps', 'ControllerRevision', 'controllerrevisions', true),
  Lease: info('coordination.k8s.io', 'Lease', 'leases', true),
  Event: info('', 'Event', 'events', true),
};

export const kinds: readonly Kind[] = Object.keys(kindInfo) as Kind[];
