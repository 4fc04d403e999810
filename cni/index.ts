// The door of cni/: the CNI protocol, the plugins, a libcni-like invoker and the fabric.
export * from './fabric/index.js';
export * from './invoker/index.js';
export * from './plugins/index.js';
export * from './skel/index.js';
