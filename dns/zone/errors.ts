// Errors of dns/: typed, with stable codes. Wire-level failures are not errors here: they become DNS
// rcodes (FORMERR, SERVFAIL, REFUSED) in the response, as the server's handler contract says.

export type DnsErrorCode =
  | 'NETLAB_DNS_CONFIG' // a zone or server option is out of range or malformed
  | 'NETLAB_DNS_LISTEN' // the server could not bind its address
  | 'NETLAB_DNS_ADDRESS'; // an IP:PORT argument does not parse

export class DnsError extends Error {
  readonly code: DnsErrorCode;
  constructor(code: DnsErrorCode, message: string) {
    super(message);
    this.name = 'DnsError';
    this.code = code;
  }
}

/** A configuration value the user gave is not acceptable; names the option and the value. */
export class DnsConfigError extends DnsError {
  readonly option: string;
  constructor(option: string, message: string) {
    super('NETLAB_DNS_CONFIG', `${option}: ${message}`);
    this.name = 'DnsConfigError';
    this.option = option;
  }
}

/** The server could not bind (address in use, permission). */
export class DnsListenError extends DnsError {
  constructor(address: string, cause: string) {
    super('NETLAB_DNS_LISTEN', `cannot listen on ${address}: ${cause}`);
    this.name = 'DnsListenError';
  }
}

/** An IP:PORT argument (--listen, --upstream, @server) does not parse. */
export class DnsAddressError extends DnsError {
  constructor(option: string, value: string) {
    super('NETLAB_DNS_ADDRESS', `${option}: "${value}" is not IP:PORT (IPv6 as [addr]:port)`);
    this.name = 'DnsAddressError';
  }
}
