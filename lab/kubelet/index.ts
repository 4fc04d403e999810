// The door of lab/kubelet: a kubelet per Node (pods through CNI, probes, restarts, graceful
// deletion, Lease heartbeats) and the pods' sockets as proxy's PodPorts.
export {
  type DialFn,
  Kubelet,
  type KubeletEvent,
  type KubeletOptions,
  type PodSource,
  type UdpExchangeFn,
} from './kubelet.js';
export { Kubelets, type KubeletsOptions } from './kubelets.js';
export { ClusterNetwork, type PodNetworkOptions } from './network.js';
export { goDuration, listenAnnotation, PodWorker } from './pod.js';
export { PodPortTable } from './podports.js';
export { type ProbeResult, type ProbeType, probeUserAgent, runProbe } from './prober.js';
