// The proxier: change trackers, endpoint categorisation, rule generation, partial sync.
export {};
