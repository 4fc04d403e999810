// Stub resolver with resolv.conf semantics, and pod resolv.conf generation.
export {};
