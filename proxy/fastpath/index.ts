// The rule table compiled into hash lookups.
export {};
