// Errors of dns/ (zone, server, resolver): typed, with stable codes; a user-facing message names the
// option, flag or file and the value. DNS outcomes are not errors: wire-level failures become rcodes
// (FORMERR, SERVFAIL, REFUSED) in the server's response, and NXDOMAIN/SERVFAIL/timeouts are results,
// with their rcodes, in the resolver's answer and trace.
import { NetlabError } from '../std/index.js';

export type DnsErrorCode =
  | 'NETLAB_DNS_CONFIG' // a zone or server option is out of range or malformed
  | 'NETLAB_DNS_LISTEN' // the server could not bind its address
  | 'NETLAB_DNS_ADDRESS' // an IP:PORT argument does not parse
  | 'NETLAB_DNS_RESOLVER_NAMESERVER' // a nameserver is not IP, IP:PORT or [IPv6]:PORT
  | 'NETLAB_DNS_RESOLVER_NAME' // a name that cannot be put in a question
  | 'NETLAB_DNS_RESOLVER_NO_NAMESERVER' // nothing to ask
  | 'NETLAB_DNS_RESOLVER_SEARCH' // a search domain that is no name (empty namespace, empty label)
  | 'NETLAB_DNS_DIG_NAME'; // dig refuses to put this name in a question

export class DnsError extends NetlabError {
  readonly code: DnsErrorCode;
  constructor(code: DnsErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

/** A configuration value the user gave is not acceptable; names the option and the value. */
export class DnsConfigError extends DnsError {
  readonly option: string;
  constructor(option: string, message: string) {
    super('NETLAB_DNS_CONFIG', `${option}: ${message}`);
    this.option = option;
  }
}

/** The server could not bind (address in use, permission). */
export class DnsListenError extends DnsError {
  constructor(
    readonly address: string,
    /** `udp: EADDRINUSE`: the socket type and the errno (or message) it failed with. */
    readonly reason: string,
  ) {
    super('NETLAB_DNS_LISTEN', `cannot listen on ${address}: ${reason}`);
  }
}

/** An IP:PORT argument (--listen, --upstream, @server) does not parse. */
export class DnsAddressError extends DnsError {
  constructor(option: string, value: string) {
    super('NETLAB_DNS_ADDRESS', `${option}: "${value}" is not IP:PORT (IPv6 as [addr]:port)`);
  }
}

/** The stub resolver's errors: what `netlab resolve` reports as a usage error. */
export class ResolverError extends DnsError {}

/** A nameserver that is not `IP`, `IP:PORT` or `[IPv6]:PORT`. */
export class InvalidNameserverError extends ResolverError {
  constructor(where: string, value: string) {
    super(
      'NETLAB_DNS_RESOLVER_NAMESERVER',
      `${where}: invalid nameserver "${value}": want IP, IP:PORT or [IPv6]:PORT`,
    );
  }
}

/** A name the resolver cannot put in a question (empty, a label over 63, over 253 in all). */
export class InvalidQueryNameError extends ResolverError {
  constructor(name: string, why: string) {
    super('NETLAB_DNS_RESOLVER_NAME', `invalid name "${name}": ${why}`);
  }
}

/** A ClusterFirst search domain that would not be a name: an empty namespace, an empty label. */
export class InvalidSearchDomainError extends ResolverError {
  constructor(what: string, value: string, why: string) {
    super('NETLAB_DNS_RESOLVER_SEARCH', `${what}: invalid value "${value}": ${why}`);
  }
}

/** No nameserver to ask (an empty resolv.conf is not "ask localhost" here: say where to ask). */
export class NoNameserverError extends ResolverError {
  constructor(where: string) {
    super('NETLAB_DNS_RESOLVER_NO_NAMESERVER', `${where}: no nameserver configured`);
  }
}

/**
 * A name dig refuses before it sends anything, in bind's words (dns_name_fromtext: `label too long`,
 * `ran out of space`, `empty label`, `unexpected end of input`); dig exits with status 10.
 */
export class DigNameError extends DnsError {
  /** dig's exit status for a name it cannot parse. */
  override readonly exitCode = 10;
  constructor(
    readonly queryName: string,
    readonly reason: string,
  ) {
    super('NETLAB_DNS_DIG_NAME', `'${queryName}' is not a legal name (${reason})`);
  }
}
