// The door of proxy/: kube-proxy (iptables mode), the rule table, tracer, conntrack and fast path.
export * from './conntrack/index.js';
export * from './fastpath/index.js';
export * from './iptables/index.js';
export * from './ruletable/index.js';
export * from './tracer/index.js';
