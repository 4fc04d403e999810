// The rule table compiled into hash lookups (destination -> compiled rule lists per chain), walked
// with the tracer's semantics: every possible endpoint, or one endpoint as the kernel picks it.
export { type ChainIndexCache, FastPath } from './fastpath.js';
