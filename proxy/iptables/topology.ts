// Which endpoints a service port uses on this node, as kube-proxy's pkg/proxy/topology.go: pure
// functions that know nothing about iptables. Ready endpoints first (narrowed by topology hints),
// then serving+terminating ones when no endpoint is ready; Local policy looks at this node's
// endpoints only. trafficDistribution reaches kube-proxy as hints on the EndpointSlices
// (PreferSameZone / PreferClose -> forZones, PreferSameNode -> forNodes), so hints are what is read.
import { labelTopologyZone } from '../../api/index.js';
import type { EndpointInfo } from './endpoints.js';
import { type ServicePortInfo, usesClusterEndpoints, usesLocalEndpoints } from './serviceport.js';

export type TopologyMode = '' | 'PreferSameZone' | 'PreferSameNode';

export interface CategorizedEndpoints {
  /** Endpoints for Cluster traffic policy; null when the service port never uses Cluster policy. */
  clusterEndpoints: EndpointInfo[] | null;
  /** Endpoints for Local traffic policy; null when unused or when this node has none. */
  localEndpoints: EndpointInfo[] | null;
  /** Union of the two: the endpoints that get a KUBE-SEP chain on this node. */
  allReachableEndpoints: EndpointInfo[];
  /** Whether the service has a usable endpoint anywhere in the cluster (not only here). */
  hasAnyEndpoints: boolean;
}

/**
 * PreferSameNode when every ready endpoint has node hints and one is for this node; else
 * PreferSameZone when every ready endpoint has zone hints and one is for this node's zone; else none.
 */
export function topologyModeFromHints(
  endpoints: readonly EndpointInfo[],
  nodeName: string,
  zone: string,
): TopologyMode {
  let hasEndpointForNode = false;
  let allHaveNodeHints = true;
  let hasEndpointForZone = false;
  let allHaveZoneHints = true;
  for (const ep of endpoints) {
    if (!ep.ready) continue;
    if (!ep.nodeHints || ep.nodeHints.size === 0) allHaveNodeHints = false;
    else if (ep.nodeHints.has(nodeName)) hasEndpointForNode = true;
    if (!ep.zoneHints || ep.zoneHints.size === 0) allHaveZoneHints = false;
    else if (ep.zoneHints.has(zone)) hasEndpointForZone = true;
  }
  if (allHaveNodeHints && hasEndpointForNode) return 'PreferSameNode';
  if (allHaveZoneHints && hasEndpointForZone) return 'PreferSameZone';
  return '';
}

export function availableForTopology(
  ep: EndpointInfo,
  mode: TopologyMode,
  nodeName: string,
  zone: string,
): boolean {
  switch (mode) {
    case '':
      return true;
    case 'PreferSameNode':
      return ep.nodeHints?.has(nodeName) ?? false;
    case 'PreferSameZone':
      return ep.zoneHints?.has(zone) ?? false;
  }
}

/** `CategorizeEndpoints(endpoints, svcInfo, nodeName, nodeLabels)`. */
export function categorizeEndpoints(
  endpoints: readonly EndpointInfo[],
  svc: ServicePortInfo,
  nodeName: string,
  nodeLabels: Readonly<Record<string, string>>,
): CategorizedEndpoints {
  let clusterEndpoints: EndpointInfo[] | null = null;
  let localEndpoints: EndpointInfo[] | null = null;
  let hasAnyEndpoints = false;
  let mode: TopologyMode = '';
  let useServingTerminating = false;

  if (usesClusterEndpoints(svc)) {
    const zone = nodeLabels[labelTopologyZone] ?? '';
    mode = topologyModeFromHints(endpoints, nodeName, zone);
    clusterEndpoints = endpoints.filter((ep) => ep.ready && availableForTopology(ep, mode, nodeName, zone));
    // No ready endpoint anywhere (topology never empties the list: it would not have been chosen).
    if (clusterEndpoints.length === 0)
      clusterEndpoints = endpoints.filter((ep) => ep.serving && ep.terminating);
    if (clusterEndpoints.length > 0) hasAnyEndpoints = true;
  }

  if (!usesLocalEndpoints(svc)) {
    return {
      clusterEndpoints,
      localEndpoints,
      allReachableEndpoints: clusterEndpoints ?? [],
      hasAnyEndpoints,
    };
  }

  let hasLocalReady = false;
  let hasLocalServingTerminating = false;
  for (const ep of endpoints) {
    if (ep.ready) {
      hasAnyEndpoints = true;
      if (ep.isLocal) hasLocalReady = true;
    } else if (ep.serving && ep.terminating) {
      hasAnyEndpoints = true;
      if (ep.isLocal) hasLocalServingTerminating = true;
    }
  }
  if (hasLocalReady) {
    localEndpoints = endpoints.filter((ep) => ep.isLocal && ep.ready);
  } else if (hasLocalServingTerminating) {
    useServingTerminating = true;
    localEndpoints = endpoints.filter((ep) => ep.isLocal && ep.serving && ep.terminating);
  }

  if (!usesClusterEndpoints(svc)) {
    return { clusterEndpoints, localEndpoints, allReachableEndpoints: localEndpoints ?? [], hasAnyEndpoints };
  }
  if (mode === '' && !useServingTerminating) {
    // Every ready endpoint is a cluster endpoint, so the local ones are already in that list.
    return {
      clusterEndpoints,
      localEndpoints,
      allReachableEndpoints: clusterEndpoints ?? [],
      hasAnyEndpoints,
    };
  }
  // kube-proxy merges through a Go map (random order); the union here keeps endpoint-string order.
  const union = new Map<string, EndpointInfo>();
  for (const ep of clusterEndpoints ?? []) union.set(ep.endpoint, ep);
  for (const ep of localEndpoints ?? []) union.set(ep.endpoint, ep);
  const all = [...union.values()].sort((a, b) =>
    a.endpoint < b.endpoint ? -1 : a.endpoint > b.endpoint ? 1 : 0,
  );
  return { clusterEndpoints, localEndpoints, allReachableEndpoints: all, hasAnyEndpoints };
}
