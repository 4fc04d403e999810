// The door of lab/kubelet: a kubelet per Node (pods through CNI, probes, restarts, graceful
// deletion, Lease heartbeats) and the pods' sockets as proxy's PodPorts.
export { Kubelets, type KubeletsOptions } from './kubelets.js';
export { listenAnnotation } from './pod.js';
