// The door of api/: Kubernetes objects, the watchable store, manifests, validation and defaulting.
export * from './defaults.js';
export * from './errors.js';
export * from './events.js';
export * from './fielderrors.js';
export * from './issues.js';
export { cloneJSON, deepEqual, mergePatch } from './json.js';
export * from './kinds.js';
export * from './labels.js';
export * from './manifest.js';
export * from './names.js';
export * from './schema.js';
export * from './services.js';
export * from './store.js';
export * from './types.js';
export * from './validation.js';
export * from './wellknown.js';
