// host-local's errors. The message is always host-local's own text (it is what the plugin prints as
// `msg` with CNI code 999); the netlab code says what kind of failure it is, for callers in TypeScript.
import { NetlabError } from '../../std/index.js';

export type HostLocalErrorCode =
  /** the config is unusable: no ipam, no ranges, bad JSON types, bad addresses */
  | 'NETLAB_IPAM_HOSTLOCAL_CONFIG'
  /** CNI_ARGS could not be parsed */
  | 'NETLAB_IPAM_HOSTLOCAL_ARGS'
  /** a range or range set is invalid (too small, host bits, outside, overlap, mixed families) */
  | 'NETLAB_IPAM_HOSTLOCAL_RANGE'
  /** no free address left in a range set */
  | 'NETLAB_IPAM_HOSTLOCAL_EXHAUSTED'
  /** the attachment already holds an address in the set */
  | 'NETLAB_IPAM_HOSTLOCAL_DUPLICATE'
  /** a requested address is taken, the gateway, or in no set */
  | 'NETLAB_IPAM_HOSTLOCAL_UNAVAILABLE'
  /** CHECK found no reservation of the attachment */
  | 'NETLAB_IPAM_HOSTLOCAL_NOT_FOUND'
  /** the dataDir or resolvConf could not be read or written */
  | 'NETLAB_IPAM_HOSTLOCAL_STORE';

export class HostLocalError extends NetlabError {
  override readonly name = 'HostLocalError';
  constructor(
    readonly code: HostLocalErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** Prefixes an error's message as host-local's fmt.Errorf("...: %v") does, keeping its code. */
export function wrapHostLocalError(
  prefix: string,
  err: unknown,
  fallback: HostLocalErrorCode,
): HostLocalError {
  const code = err instanceof HostLocalError ? err.code : fallback;
  return new HostLocalError(code, `${prefix}${(err as Error).message}`);
}
