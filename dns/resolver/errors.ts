// Errors of dns/resolver. Each class has a stable code; user-input errors name the file/flag and
// the field. DNS outcomes (NXDOMAIN, SERVFAIL, ...) are not errors here: they are results, with
// their rcodes, in the resolver's answer and trace.

export class ResolverError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = new.target.name;
    this.code = code;
  }
}

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

/** No nameserver to ask (an empty resolv.conf is not "ask localhost" here: say where to ask). */
export class NoNameserverError extends ResolverError {
  constructor(where: string) {
    super('NETLAB_DNS_RESOLVER_NO_NAMESERVER', `${where}: no nameserver configured`);
  }
}
