// The door of api/: Kubernetes objects, the watchable store, manifests, validation and defaulting.
export * from './errors.js';
export * from './labels.js';
export * from './manifest.js';
export * from './types.js';
