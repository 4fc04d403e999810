// The rule table as data: tables, chains, rules; iptables-save render and parse.
export {};
