// UDP and TCP wire server with a response cache.
export {};
