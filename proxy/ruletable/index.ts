// The rule table as data: tables -> chains -> rules (text kept, matches and targets parsed on use),
// iptables-save / iptables-restore render and parse (exact round trip), kube-proxy's test sort, and
// `iptables-restore --noflush` semantics.
export * from './address.js';
export * from './errors.js';
export * from './jumps.js';
export * from './kernel.js';
export * from './restore.js';
export * from './rule.js';
export * from './sort.js';
export * from './table.js';
