// The tracer: a packet walked through a node's rule table, with kube-proxy's test-tracer semantics
// (every possible endpoint) or as the kernel would (one endpoint: seeded statistic, recent, conntrack).
export * from './kernel.js';
export * from './match.js';
export * from './outcomes.js';
export * from './packet.js';
export * from './possible.js';
export * from './recent.js';
export {
  linearRules,
  type MatchedRule,
  type Oracle,
  type RulesFor,
  type TraceOptions,
  type TraceResult,
  type Verdict,
} from './types.js';
export * from './walk.js';
