// The door of proxy/ruletable, for the rest of proxy/: the rule table as data (tables -> chains ->
// rules, text kept, matches and targets parsed on use), the address helpers its matches use, and
// kube-proxy's jump rules. Tests import its files directly.
export {
  type Addr,
  addrInCidr,
  type Cidr,
  cidrNetwork,
  formatAddr,
  isLoopback,
  type ParsedCIDR,
  type ParsedIP,
  parseAddr,
  parseCIDRSloppy,
  parseCidr,
  parseIPSloppy,
  splitHostPort,
} from './address.js';
export { ConntrackInputError, TraceInputError } from './errors.js';
export { kubeJumpRules, withKubeJumpRules } from './jumps.js';
export { addrMatches, type Param, Rule, type RuleSpec } from './rule.js';
export { builtinChains, Chain, RuleTable, Table } from './table.js';
