// Errors of the data plane. A connection the rules refuse or drop fails the way a socket would
// (`ECONNREFUSED`, `ETIMEDOUT`, `ENETUNREACH` in `code`, as Node's own socket errors carry them), so a
// pod's client code handles it as it would in a cluster: DialError is the one thrown error that is no
// NetlabError (its `code` is the errno, as Node's socket errors carry it).
import { NetlabError } from '../../std/index.js';

export type DataplaneErrorCode = 'NETLAB_DATAPLANE_CONFIG' | 'NETLAB_DATAPLANE_LISTEN';

export class DataplaneError extends NetlabError {
  readonly code: DataplaneErrorCode;
  constructor(code: DataplaneErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

/** What a pod's `dial` or UDP send reports, with the errno name a real socket would carry. */
export class DialError extends Error {
  override readonly name = 'DialError';
  readonly code: 'ECONNREFUSED' | 'ETIMEDOUT' | 'ENETUNREACH';
  readonly syscall = 'connect';
  readonly address: string;
  readonly port: number;
  constructor(code: DialError['code'], address: string, port: number) {
    const what = {
      ECONNREFUSED: 'connect ECONNREFUSED',
      ETIMEDOUT: 'connect ETIMEDOUT',
      ENETUNREACH: 'connect ENETUNREACH',
    };
    super(`${what[code]} ${address}:${port}`);
    this.code = code;
    this.address = address;
    this.port = port;
  }
}
