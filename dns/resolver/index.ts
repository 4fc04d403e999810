// The door of dns/resolver/: a stub resolver with resolv.conf semantics (glibc and musl flavours)
// that returns its query trace, resolv.conf parsing, and a pod's resolv.conf as kubelet writes it.
export * from './poddns.js';
export * from './render.js';
export * from './resolvconf.js';
export * from './resolver.js';
export * from './scripted.js';
export * from './search.js';
export * from './transport.js';
