// The door of lab/: the cluster that puts it together, and the `netlab` command line.
export * from './controllers/index.js';
