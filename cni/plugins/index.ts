// The plugins, in-process: host-local, flat, loopback.
export {};
