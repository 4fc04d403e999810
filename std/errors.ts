// The one base class of netlab's errors. Every error netlab throws on purpose (bad input, a refused
// request, a taken port, an exhausted range) is a NetlabError with a stable string `code`
// (`NETLAB_<AREA>_<WHAT>`), so a caller switches on the code, never on the message, and the command
// line can tell an error the user can act on (one line, no stack) from a bug (anything else). Where
// a protocol has its own number for the error, the class keeps it beside the code under its own
// name (`cniCode` for CNI's code, `status.code` for the HTTP code of a Kubernetes Status).
//
// The one kind of thrown error that is no NetlabError is the data plane's DialError: it stands for
// the socket error a pod's client would get (`code` is the errno, ECONNREFUSED), as Node's own.

export abstract class NetlabError extends Error {
  /** `NETLAB_<AREA>_<WHAT>`: stable, what callers and tests switch on. */
  abstract readonly code: string;
  /**
   * The exit status of a command that imitates a tool whose status says what failed (`dig`: 10 for a
   * name it cannot parse; `ip route get`: 2 for no route); undefined: netlab's own status, 1.
   */
  readonly exitCode: number | undefined = undefined;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}
