// The door of std/: what Go's standard library does that the emulated Go programs print
// (encoding/json, strconv.Quote, errno texts, net.IP), and netlab's one seeded PRNG.
// A leaf: it imports no other folder, and every folder may import it.
export { goPathErrorText, goStrerror } from './errno.js';
export { NetlabError } from './errors.js';
export { type DecodeContext, GoDecoder, topContext } from './godecode.js';
export {
  formatGoIP,
  formatGoIPNet,
  formatGoIPv4,
  formatGoNetwork,
  goNetwork,
  type IP,
  type IPNet,
  ipCompare,
  ipEqual,
  ipFamilyOfCIDRString,
  ipFamilyOfString,
  isIPv6String,
  joinHostPort,
  maskOf,
  nextIP,
  parseGoCIDR,
  parseGoCIDRSloppy,
  parseGoIP,
  parseGoIPNetip,
  parseGoIPSloppy,
  parseGoIPv4Sloppy,
} from './goip.js';
export {
  type GoEncodable,
  GoJSONSyntaxError,
  type GoJSONValue,
  goField,
  marshalGo,
  marshalIndentGo,
  parseGoJSON,
} from './gojson.js';
export { goQuote, goQuoteList } from './goquote.js';
export { fnv1a, seededRandom, seededUint32 } from './random.js';
