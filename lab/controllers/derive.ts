// The one way commands that read manifests (not a running cluster) get the EndpointSlices of
// Services whose manifests carry Pods instead: what the EndpointSlice controller would write.
import {
  type AnyObject,
  type EndpointSlice,
  labelServiceName,
  type Node,
  type Pod,
  type Service,
} from '../../api/index.js';
import { type EndpointSliceOptions, reconcileEndpointSlices } from './endpointslice.js';

export interface DerivedEndpointSlices {
  /** The input objects, in their order, then the derived slices. */
  objects: AnyObject[];
  /** Only the derived slices, each with its `metadata.name`. */
  derived: EndpointSlice[];
  /** What the controller would log, e.g. `skipping Pod web-1 for Service default/web: Node node-9 Not Found`. */
  warnings: string[];
}

/**
 * Adds, for each Service with a selector and no EndpointSlice of its own among `objects` (none
 * labelled `kubernetes.io/service-name: <name>` in its namespace), the slices
 * {@link reconcileEndpointSlices} gives for the Pods among `objects`.
 *
 * Unknown Nodes: the real controller skips a Pod whose `spec.nodeName` names no Node it knows (and
 * logs it). Manifests that declare Nodes are read the same way. Manifests that declare no Node at
 * all do not model Nodes, so each Pod's `nodeName` stands for a bare Node (no labels, hence no zone):
 * their scheduled Pods all become endpoints. A Pod without `nodeName` is skipped either way, as it
 * is by the controller.
 *
 * @example
 * const { objects, warnings } = withDerivedEndpointSlices(loadManifestFiles(files).map((m) => m.object));
 */
export function withDerivedEndpointSlices(
  objects: readonly AnyObject[],
  options: EndpointSliceOptions = {},
): DerivedEndpointSlices {
  const services: Service[] = [];
  const pods: Pod[] = [];
  let nodes: Node[] = [];
  const sliced = new Set<string>();
  for (const o of objects) {
    if (o.kind === 'Service') services.push(o);
    else if (o.kind === 'Pod') pods.push(o);
    else if (o.kind === 'Node') nodes.push(o);
    else if (o.kind === 'EndpointSlice') {
      const owner = o.metadata.labels?.[labelServiceName];
      if (owner !== undefined) sliced.add(`${o.metadata.namespace ?? 'default'}/${owner}`);
    }
  }
  if (nodes.length === 0) nodes = bareNodes(pods);
  const derived: EndpointSlice[] = [];
  const warnings: string[] = [];
  for (const svc of services) {
    if (sliced.has(`${svc.metadata.namespace ?? 'default'}/${svc.metadata.name ?? ''}`)) continue;
    const r = reconcileEndpointSlices(svc, pods, nodes, options);
    derived.push(...r.slices);
    warnings.push(...r.errors);
  }
  return { objects: [...objects, ...derived], derived, warnings };
}

function bareNodes(pods: readonly Pod[]): Node[] {
  const names = new Set<string>();
  for (const p of pods) if (p.spec?.nodeName) names.add(p.spec.nodeName);
  return [...names].map((name) => ({ apiVersion: 'v1', kind: 'Node', metadata: { name } }));
}
