// The door of lab/controllers/: kube-controller-manager's controllers on shared informers and work
// queues, their pure policies, and the one derivation of EndpointSlices from manifests' Pods that
// commands reading manifests share.
export { withDerivedEndpointSlices } from './derive.js';
export { defaultLoadBalancerPool, LoadBalancerPool, runLoadBalancerController } from './loadbalancer.js';
export { ControllerManager, type ControllerManagerOptions } from './manager.js';
export { runNodeIpamController } from './nodeipam.js';
