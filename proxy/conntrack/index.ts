// Connection tracking: entries, timeouts, conntrack -L.
export {};
