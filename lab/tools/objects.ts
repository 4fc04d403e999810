// Objects read from manifests into a store, the way kube-proxy's and cluster DNS's informers would
// hold them, so that the commands reading manifests feed kube-proxy and DNS through the same
// watches as a running cluster does. Lenient where those clients are: no defaulting, allocation or
// server-side policy (kube-proxy's own fixtures use ClusterIPs outside any service CIDR), but every
// object must be readable (api's objectsAsRead), and Services whose manifests carry Pods instead of
// EndpointSlices get the slices the EndpointSlice controller would write.
import {
  type AnyObject,
  type EndpointSlice,
  type Kind,
  objectsAsRead,
  readManifestFiles,
  Store,
} from '../../api/index.js';
import { withDerivedEndpointSlices } from '../controllers/index.js';

/** The kinds kube-proxy and cluster DNS watch: what a store read from manifests holds. */
export const watchedKinds: readonly Kind[] = ['Namespace', 'Node', 'Service', 'EndpointSlice', 'Pod'];

export interface ObjectsRead {
  /** The objects of the watched kinds, then the derived EndpointSlices. */
  objects: AnyObject[];
  /** The EndpointSlices derived from Pods (none when every Service has its own). */
  derived: EndpointSlice[];
  /** What the EndpointSlice controller would log (e.g. a Pod on an unknown Node). */
  warnings: string[];
}

/**
 * Reads manifest files (or `-` for stdin) as kube-proxy's and CoreDNS's informers would. Throws
 * ManifestError naming every problem (file:line, object, field); nothing is returned partially.
 */
export function readObjects(files: readonly string[]): ObjectsRead {
  const objects = objectsAsRead(readManifestFiles([...files]), watchedKinds);
  const r = withDerivedEndpointSlices(objects);
  return { objects: r.objects, derived: r.derived, warnings: r.warnings };
}

/**
 * A store holding objects as an informer cache holds them: no bootstrap objects (no `kubernetes`
 * Service the manifests did not name), no bookmark timer.
 */
export function objectStore(objects: readonly AnyObject[] = []): Store {
  const store = new Store({ bootstrap: false, bookmarkIntervalMs: 0 });
  store.replace(watchedKinds, objects);
  return store;
}

/** The manifests' objects in a store, and what reading them said. */
export function storeFromManifests(files: readonly string[]): ObjectsRead & { store: Store } {
  const read = readObjects(files);
  return { ...read, store: objectStore(read.objects) };
}
