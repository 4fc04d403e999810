// The door of lab/controllers/: controller policy as pure functions (EndpointSlice so far), and the
// one derivation of EndpointSlices from manifests' Pods that commands reading manifests share.
export * from './derive.js';
export * from './endpointslice.js';
export * from './errors.js';
export {
  annotationLoadBalancerListen,
  defaultLoadBalancerPool,
  LoadBalancerPool,
  loadBalancerListen,
  runLoadBalancerController,
} from './loadbalancer.js';
