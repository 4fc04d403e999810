// What libcni does for a conflist: ADD/DEL/CHECK/GC/STATUS, result cache, exec or in-process.
export {};
