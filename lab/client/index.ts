// The door of lab/client: netlab as a client of a kube-API (a running lab, or any cluster).

export {
  ClusterMirror,
  iptablesSaveCluster,
  listKind,
  proxyKinds,
  readCluster,
  serveClusterZone,
  traceCluster,
  zoneKindsFor,
} from './cluster.js';
export { objectDescription, runDescribe } from './describe.js';
export { type CommandOutput, outputFormats, runGet } from './get.js';
export { runConntrack, runCurl, runIp, runResolveFrom } from './lab.js';
export { ApiStatusError, ClientError, KubeClient, kubeconfigPaths } from './rest.js';
export { ApiSource, FileSource, ManifestApplyError, type ReadSource } from './source.js';
export {
  runApply,
  runDelete,
  runLogs,
  runRolloutRestart,
  runRolloutStatus,
  runScale,
} from './write.js';
