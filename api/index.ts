// The door of api/: Kubernetes objects, the watchable store, manifests, validation and defaulting.
export { BatchError, formatIssue, type ManifestIssue, StatusError } from './errors.js';
export { statusIssues } from './issues.js';
export { cloneJSON, deepEqual, jsonOf, mergePatch } from './json.js';
export { kindInfo, kinds } from './kinds.js';
export { labelSelectorAsSelector, selectorFromSet } from './labels.js';
export {
  describeObject,
  loadManifestFiles,
  type ManifestObject,
  maxManifestBytes,
  readManifestFiles,
  readManifests,
  readYamlDocuments,
  type YamlDocument,
} from './manifest.js';
export { nodeAddresses } from './node-addresses.js';
export { kindSchema, type Shape, type Struct } from './schema.js';
export { Store } from './store.js';
export {
  type AnyObject,
  apiVersionOf,
  type Container,
  type ContainerStatus,
  type ControllerRevision,
  type Deployment,
  type Endpoint,
  type EndpointAddress,
  type EndpointPort,
  type EndpointSlice,
  type Endpoints,
  type IntOrString,
  type IPFamily,
  type Kind,
  type KindMap,
  type LabelSelector,
  type Node,
  type NodeCondition,
  type OwnerReference,
  type Pod,
  type PodCondition,
  type PodDNSConfig,
  type PodTemplateSpec,
  type Probe,
  type ReplicaSet,
  type Service,
  type ServicePort,
  type StatefulSet,
  type Taint,
  type WatchableStore,
  type WatchEvent,
} from './types.js';
export { needsHealthCheck } from './validation-core.js';
export { objectsAsRead } from './validation-informer.js';
export { labelHeadlessService, labelManagedBy, labelServiceName, labelTopologyZone } from './wellknown.js';
