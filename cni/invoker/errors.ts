// Errors of the invoker (the runtime side of CNI). A plugin's own error keeps its CNI code, message
// and details as the plugin printed them; the invoker wraps it the way libcni does
// (`plugin type="flat" failed (add): ...`) and keeps the original as `cause`.
import { NetlabError } from '../../std/index.js';
import { CniError } from '../skel/index.js';

export type InvokerErrorCode =
  | 'NETLAB_CNI_INVOKER_CONFLIST'
  | 'NETLAB_CNI_INVOKER_PLUGIN_NOT_FOUND'
  | 'NETLAB_CNI_INVOKER_PLUGIN_FAILED'
  | 'NETLAB_CNI_INVOKER_RESULT'
  | 'NETLAB_CNI_INVOKER_VERSION'
  | 'NETLAB_CNI_INVOKER_RUNTIME_CONF'
  | 'NETLAB_CNI_INVOKER_CACHE'
  | 'NETLAB_CNI_INVOKER_GC';

export class InvokerError extends NetlabError {
  override readonly name = 'InvokerError';
  constructor(
    readonly code: InvokerErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * The error a plugin reported (types.Error): `{code, msg, details}` on stdout with a non-zero exit,
 * or what libcni makes of a failure without one. Its text is Go's Error(): `msg; details`.
 */
export class PluginError extends NetlabError {
  override readonly name = 'PluginError';
  readonly code = 'NETLAB_CNI_INVOKER_PLUGIN_FAILED';
  constructor(
    /** The CNI error code (1-999), the wire number. */
    readonly cniCode: number,
    readonly msg: string,
    readonly details = '',
  ) {
    super(details === '' ? msg : `${msg}; ${details}`);
  }
}

/**
 * The CNI code behind an error, looking through the libcni-style wrapping: a plugin's error
 * (PluginError) or one the runtime raised itself with a CNI code (the skel's CniError).
 */
export function cniCodeOf(err: unknown): number | undefined {
  for (let e = err; e instanceof Error; e = e.cause) {
    if (e instanceof PluginError) return e.cniCode;
    if (e instanceof CniError) return e.cniCode;
  }
  return undefined;
}
