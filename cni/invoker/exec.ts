// Running one plugin: find it on CNI_PATH (invoke.FindInPath), hand it stdin and the environment,
// collect stdout/stderr, and turn a failure into the error libcni's RawExec.pluginErr makes of it.
// A plugin whose binary is one of ours can run in-process (same code, no fork) through a resolver.
import { spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { type GoJSONValue, goStrerror } from '../../std/index.js';
import { unmarshal } from '../skel/index.js';
import { InvokerError, PluginError } from './errors.js';

/** What a plugin run produced: the three things a process leaves behind. */
export interface ProcessOutput {
  exitCode: number;
  stdout: Buffer;
  stderr: Buffer;
  /** Set when a signal ended the process. */
  signal?: string;
  /**
   * An in-process plugin's stdout as json.Unmarshal into interface{} would read it, when known
   * without parsing (an ADD's result); then `stdout` may be printed only when read.
   */
  value?: unknown;
}

export type Env = Readonly<Record<string, string>>;

/**
 * A plugin run in-process: the same protocol as exec (stdin bytes and env in, output out); `parsed`,
 * when the caller printed stdin itself, is its Go JSON parse (the plugin need not parse it again).
 */
export type InProcessPlugin = (stdin: Buffer, env: Env, parsed?: GoJSONValue) => Promise<ProcessOutput>;

/** Given a plugin type and the binary found for it on CNI_PATH, the in-process twin, if any. */
export type InProcessResolver = (type: string, path: string) => InProcessPlugin | undefined;

export function findInPath(type: string, paths: readonly string[]): string {
  const err = (msg: string) => new InvokerError('NETLAB_CNI_INVOKER_PLUGIN_NOT_FOUND', msg);
  if (type === '') throw err('no plugin name provided');
  if (type.includes('/')) throw err(`invalid plugin name: ${type}`);
  if (paths.length === 0) throw err('no paths provided');
  for (const dir of paths) {
    const full = join(dir, type);
    try {
      if (statSync(full).isFile()) return full;
    } catch {}
  }
  throw err(`failed to find plugin "${type}" in path [${paths.join(' ')}]`);
}

/** How a plugin binary is found on CNI_PATH: findInPath's signature. */
export type PluginFinder = (type: string, paths: readonly string[]) => string;

/**
 * findInPath that keeps what it found, per type and path list, for a runtime whose plugin
 * directories do not change while it runs (the lab's kubelets, on netlab's own cni/bin): one stat
 * per plugin type, not one per invocation. A failed lookup is not kept, so it is tried again.
 */
export function keptPluginFinder(): PluginFinder {
  const found = new Map<string, string>();
  return (type, paths) => {
    const key = `${type}\u0000${paths.join('\u0000')}`;
    let path = found.get(key);
    if (path === undefined) {
      path = findInPath(type, paths);
      found.set(key, path);
    }
    return path;
  };
}

/** CNI_PATH as filepath.SplitList reads it (empty string: no paths). */
export function splitPath(cniPath: string | undefined): string[] {
  return cniPath === undefined || cniPath === '' ? [] : cniPath.split(':');
}

export function execFile(path: string, stdin: Buffer, env: Env): Promise<ProcessOutput> {
  return new Promise((resolve) => {
    const child = spawn(path, [], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.stdin.on('error', () => {}); // a plugin may exit without reading stdin
    let spawnError: NodeJS.ErrnoException | undefined;
    child.on('error', (e: NodeJS.ErrnoException) => {
      spawnError = e;
    });
    child.on('close', (code, signal) => {
      if (spawnError !== undefined) {
        // Go's exec error text: fork/exec <path>: <strerror>.
        resolve({
          exitCode: -1,
          stdout: Buffer.alloc(0),
          stderr: Buffer.from(`fork/exec ${path}: ${goStrerror(spawnError)}`),
        });
        return;
      }
      resolve({
        exitCode: code ?? (signal === null ? -1 : 128),
        stdout: Buffer.concat(out),
        stderr: Buffer.concat(err),
        ...(signal === null ? {} : { signal }),
      });
    });
    child.stdin.end(stdin);
  });
}

export interface Runner {
  resolver?: InProcessResolver | undefined;
  /** Where a successful plugin's stderr goes (libcni copies it to its own stderr). */
  stderr?: ((chunk: Buffer) => void) | undefined;
}

/**
 * Runs the plugin at `path` and returns its stdout, or throws the PluginError libcni would build:
 * the plugin's JSON error, or "netplugin failed..." when it printed none.
 */
export async function execPlugin(
  runner: Runner,
  type: string,
  path: string,
  stdin: Buffer,
  env: Env,
): Promise<Buffer> {
  return (await execPluginOutput(runner, type, path, stdin, env)).stdout;
}

/** execPlugin's successful output whole: an in-process plugin's result may come as `value`, unprinted. */
export async function execPluginOutput(
  runner: Runner,
  type: string,
  path: string,
  stdin: Buffer,
  env: Env,
  parsed?: GoJSONValue,
): Promise<ProcessOutput> {
  const inProcess = runner.resolver?.(type, path);
  const out =
    inProcess === undefined ? await execFile(path, stdin, env) : await inProcess(stdin, env, parsed);
  if (out.exitCode === 0) {
    if (out.stderr.length > 0) runner.stderr?.(out.stderr);
    return out;
  }
  throw pluginErr(out);
}

function pluginErr(out: ProcessOutput): PluginError {
  const forkError = out.exitCode === -1 && out.stdout.length === 0 ? out.stderr.toString() : undefined;
  const exitText =
    forkError ??
    (out.signal !== undefined ? `signal: ${signalName(out.signal)}` : `exit status ${out.exitCode}`);
  if (out.stdout.length === 0) {
    if (out.stderr.length === 0 || forkError !== undefined)
      return new PluginError(0, `netplugin failed with no error message: ${exitText}`);
    return new PluginError(0, `netplugin failed: ${JSON.stringify(out.stderr.toString())}`);
  }
  try {
    const e = unmarshal(out.stdout) as { code?: unknown; msg?: unknown; details?: unknown };
    if (typeof e !== 'object' || e === null || Array.isArray(e))
      throw new Error('json: cannot unmarshal into Go value of type types.Error');
    return new PluginError(
      typeof e.code === 'number' ? e.code : 0,
      typeof e.msg === 'string' ? e.msg : '',
      typeof e.details === 'string' ? e.details : '',
    );
  } catch (perr) {
    return new PluginError(
      0,
      `netplugin failed but error parsing its diagnostic message ${JSON.stringify(out.stdout.toString())}: ${(perr as Error).message}`,
    );
  }
}

function signalName(sig: string): string {
  const names: Record<string, string> = {
    SIGKILL: 'killed',
    SIGTERM: 'terminated',
    SIGSEGV: 'segmentation fault',
    SIGABRT: 'aborted',
  };
  return names[sig] ?? sig;
}
