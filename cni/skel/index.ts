// The CNI exec protocol: env, stdin, version negotiation, result conversion, output.
export {};
