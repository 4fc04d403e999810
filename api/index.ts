// The door of api/: Kubernetes objects, the watchable store, manifests, validation and defaulting.
export * from './types.js';
