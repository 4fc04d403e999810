// Delegation from one plugin to another (libcni's invoke.DelegateAdd/Check/Del/GC/Status): find the
// delegate on the caller's CNI_PATH, run it with the caller's environment and CNI_COMMAND replaced,
// and the same stdin. A delegate's CNI error comes back with its own code, as Go passes *types.Error on.
import type { GoJSONValue } from '../../std/index.js';
import { CniError, CniErrorCode, decodeResult, decodeResultValue, type Result } from '../skel/index.js';
import { PluginError } from './errors.js';
import {
  type Env,
  execPluginOutput,
  findInPath,
  type InProcessResolver,
  type PluginFinder,
  type ProcessOutput,
  splitPath,
} from './exec.js';

export interface DelegateOptions {
  resolver?: InProcessResolver | undefined;
  /** The caller's stderr: a delegate's log output is passed through. */
  stderr?: ((text: string) => void) | undefined;
  /** How the delegate is found on CNI_PATH: findInPath (a stat per call) unless given. */
  findPlugin?: PluginFinder | undefined;
  /** The Go JSON parse of stdin, handed to an in-process delegate (the caller's own parse of it). */
  parsed?: GoJSONValue | undefined;
}

export type DelegateCommand = 'ADD' | 'DEL' | 'CHECK' | 'GC' | 'STATUS';

function envOf(env: Readonly<Record<string, string | undefined>>, command: DelegateCommand): Env {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  out.CNI_COMMAND = command;
  return out;
}

/** Runs the delegate; returns its stdout. */
export async function delegate(
  command: DelegateCommand,
  type: string,
  stdin: Uint8Array,
  env: Readonly<Record<string, string | undefined>>,
  opts: DelegateOptions = {},
): Promise<Buffer> {
  return (await delegateOutput(command, type, stdin, env, opts)).stdout;
}

async function delegateOutput(
  command: DelegateCommand,
  type: string,
  stdin: Uint8Array,
  env: Readonly<Record<string, string | undefined>>,
  opts: DelegateOptions,
): Promise<ProcessOutput> {
  let path: string;
  try {
    path = (opts.findPlugin ?? findInPath)(type, splitPath(env.CNI_PATH));
  } catch (e) {
    throw new CniError(CniErrorCode.Internal, (e as Error).message);
  }
  try {
    return await execPluginOutput(
      { resolver: opts.resolver, stderr: opts.stderr && ((b: Buffer) => opts.stderr!(b.toString())) },
      type,
      path,
      Buffer.from(stdin),
      envOf(env, command),
      opts.parsed,
    );
  } catch (e) {
    if (e instanceof PluginError)
      throw new CniError(e.cniCode === 0 ? CniErrorCode.Internal : e.cniCode, e.msg, e.details);
    throw e;
  }
}

/** ADD through the delegate, its result read as the version the config names. */
export async function delegateAdd(
  type: string,
  stdin: Uint8Array,
  confVersion: string,
  env: Readonly<Record<string, string | undefined>>,
  opts: DelegateOptions = {},
): Promise<Result> {
  const out = await delegateOutput('ADD', type, stdin, env, opts);
  // An in-process delegate's result need not be printed and parsed back.
  return 'value' in out ? decodeResultValue(confVersion, out.value) : decodeResult(confVersion, out.stdout);
}
