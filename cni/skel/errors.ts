// CNI errors as the protocol carries them: the wire code (the spec's table of reserved codes, kept
// as-is in `cniCode`) plus msg and details, printed by the skel exactly as Go's types.Error. The
// netlab `code` names the kind for callers that switch on it in TypeScript.
import { NetlabError } from '../../std/index.js';

/** The spec's reserved error codes (and libcni's ErrInternal 999). */
export const CniErrorCode = {
  IncompatibleCNIVersion: 1,
  UnsupportedField: 2,
  UnknownContainer: 3,
  InvalidEnvironmentVariables: 4,
  IOFailure: 5,
  DecodingFailure: 6,
  InvalidNetworkConfig: 7,
  InvalidNetNS: 8,
  TryAgainLater: 11,
  PluginNotAvailable: 50,
  LimitedConnectivity: 51,
  Internal: 999,
} as const;

const netlabCodes: Readonly<Record<number, string>> = {
  1: 'NETLAB_CNI_INCOMPATIBLE_VERSION',
  2: 'NETLAB_CNI_UNSUPPORTED_FIELD',
  3: 'NETLAB_CNI_UNKNOWN_CONTAINER',
  4: 'NETLAB_CNI_INVALID_ENV',
  5: 'NETLAB_CNI_IO_FAILURE',
  6: 'NETLAB_CNI_DECODING_FAILURE',
  7: 'NETLAB_CNI_INVALID_NETWORK_CONFIG',
  8: 'NETLAB_CNI_INVALID_NETNS',
  11: 'NETLAB_CNI_TRY_AGAIN_LATER',
  50: 'NETLAB_CNI_PLUGIN_NOT_AVAILABLE',
  51: 'NETLAB_CNI_LIMITED_CONNECTIVITY',
  999: 'NETLAB_CNI_INTERNAL',
};

/** A CNI error result: `{"code": .., "msg": .., "details": ..}` on stdout, exit status 1. */
export class CniError extends NetlabError {
  override readonly name = 'CniError';
  /** stable netlab code, e.g. NETLAB_CNI_INVALID_ENV (NETLAB_CNI_PLUGIN_ERROR for plugin codes >= 100) */
  readonly code: string;
  constructor(
    /** The CNI error code on the wire (1-999). */
    readonly cniCode: number,
    readonly msg: string,
    readonly details = '',
  ) {
    super(details === '' ? msg : `${msg}; ${details}`);
    this.code = netlabCodes[cniCode] ?? 'NETLAB_CNI_PLUGIN_ERROR';
  }

  /** The JSON object Go's types.Error marshals to: key order code, msg, details (omitted when empty). */
  toJSON(): { code: number; msg: string; details?: string } {
    return this.details === ''
      ? { code: this.cniCode, msg: this.msg }
      : { code: this.cniCode, msg: this.msg, details: this.details };
  }
}

/** Any thrown value as the CniError the skel prints: CniErrors keep their code, others are 999. */
export function asCniError(err: unknown): CniError {
  if (err instanceof CniError) return err;
  if (err instanceof Error) return new CniError(CniErrorCode.Internal, err.message);
  return new CniError(CniErrorCode.Internal, String(err));
}
