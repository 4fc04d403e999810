// Walks a packet through the rule table.
export {};
