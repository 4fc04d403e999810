// Errors of the rule table, the tracer, conntrack and the fast path. Each class carries a stable code;
// a message about user input names the file (when there is one), the line and what was wrong.
import { NetlabError } from '../../std/index.js';

export type RuleTableErrorCode =
  | 'NETLAB_PROXY_RULES_PARSE'
  | 'NETLAB_PROXY_RULES_RESTORE'
  | 'NETLAB_PROXY_TRACE_INPUT'
  | 'NETLAB_PROXY_CONNTRACK_INPUT';

export class RuleTableError extends NetlabError {
  readonly code: RuleTableErrorCode;
  constructor(code: RuleTableErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

/** A line of iptables-save / iptables-restore text that cannot be read. */
export class RulesParseError extends RuleTableError {
  readonly file: string | undefined;
  readonly line: number;
  constructor(message: string, line: number, file?: string) {
    super('NETLAB_PROXY_RULES_PARSE', `${file ?? '<rules>'}:${line}: ${message}`);
    this.file = file;
    this.line = line;
  }
}

/** A restore payload that iptables-restore would refuse as a whole (nothing is applied). */
export class RulesRestoreError extends RuleTableError {
  constructor(message: string) {
    super('NETLAB_PROXY_RULES_RESTORE', message);
  }
}

/** A packet given to the tracer or the fast path that is not a packet (bad address, port, protocol). */
export class TraceInputError extends RuleTableError {
  constructor(message: string) {
    super('NETLAB_PROXY_TRACE_INPUT', message);
  }
}

/** A conntrack request that cannot be served (bad tuple, bad protocol). */
export class ConntrackInputError extends RuleTableError {
  constructor(message: string) {
    super('NETLAB_PROXY_CONNTRACK_INPUT', message);
  }
}
