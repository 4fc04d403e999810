// The door of lab/controllers/: kube-controller-manager's controllers on shared informers and work
// queues, their pure policies, and the one derivation of EndpointSlices from manifests' Pods that
// commands reading manifests share.
export { type Clock, FakeClock, realClock } from './clock.js';
export { withDerivedEndpointSlices } from './derive.js';
export { endpointSlicesForService, reconcileEndpointSlices } from './endpointslice.js';
export { InvalidMaxEndpointsPerSliceError } from './errors.js';
export {
  annotationLoadBalancerListen,
  defaultLoadBalancerPool,
  LoadBalancerPool,
  loadBalancerListen,
  runLoadBalancerController,
} from './loadbalancer.js';
export { ControllerManager, type ControllerManagerOptions } from './manager.js';
export { runNodeIpamController } from './nodeipam.js';
export { type EndpointSliceChanges, planEndpointSliceChanges } from './sliceupdates.js';
export { drainBudget } from './workqueue.js';
