// The door of lab/client: netlab as a client of a kube-API (a running lab, or any cluster).

export { iptablesSaveCluster, serveClusterZone, traceCluster } from './cluster.js';
export { runDescribe } from './describe.js';
export { type CommandOutput, outputFormats, runGet } from './get.js';
export { runConntrack, runCurl, runIp, runResolveFrom } from './lab.js';
export { KubeClient } from './rest.js';
export { ApiSource, FileSource, type ReadSource } from './source.js';
export { runApply, runDelete, runLogs, runRolloutRestart, runRolloutStatus, runScale } from './write.js';
