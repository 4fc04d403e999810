// The door of lab/apiserver: the kube-API over the store, its kubeconfig, and pod logs.
export { type ManagedFieldsEntry, serverSideApply } from './apply.js';
export { type KubeconfigOptions, kubeconfigText, writeKubeconfig } from './kubeconfig.js';
export { type LogLine, type PodLogSink, PodLogs, type ReadLogOptions } from './logs.js';
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
export { openAPIV2, openAPIV3 } from './openapi.js';
export { type Resource, resources } from './resources.js';
export { ApiServer, ApiServerError, type ApiServerOptions, serverVersion } from './server.js';
export { strategicMerge } from './strategic.js';
