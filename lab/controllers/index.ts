// The door of lab/controllers/: controller policy as pure functions (EndpointSlice so far).
export * from './endpointslice.js';
export * from './errors.js';
