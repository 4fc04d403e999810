// The door of lab/apiserver: the kube-API over the store, its kubeconfig, and pod logs.
export { writeKubeconfig } from './kubeconfig.js';
export { PodLogs } from './logs.js';
export {
  type ConntrackQuery,
  type CurlAnswer,
  type CurlQuery,
  type IpTarget,
  type LabIntrospection,
  LabNotFoundError,
  LabRequestError,
  LabUnavailableError,
  type ResolveAnswer,
  type ResolveQuery,
} from './netlab.js';
export { type Resource, resources } from './resources.js';
export { ApiServer } from './server.js';
