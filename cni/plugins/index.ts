// The door of cni/plugins/: what cni/'s door passes on (the registry of in-process plugins and a
// node's conflist for the flat network) and the executables' entry point (cni/bin/*).
export { defaultFlatDataDir, nodeConflist } from './flat.js';
export { builtinPluginDir, createPluginRegistry, runBuiltinPlugin } from './registry.js';
