// The CNI exec protocol: env, stdin, version negotiation, result conversion, output.
export * from './convert.js';
export * from './errors.js';
export * from './gojson.js';
export * from './skel.js';
export * from './types.js';
export * from './version.js';
