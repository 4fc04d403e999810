// The CNI exec protocol in one place, as libcni's pkg/skel runs a Go plugin: which env variables
// each command needs, reading stdin, validating the config/container ID/ifname in skel's order,
// version negotiation, and printing results and errors byte-for-byte as Go does. I/O is injected
// (runPlugin), so tests and the in-process invoker need no process; pluginMain wires it to one.
import { readSync } from 'node:fs';
import { goPathError } from '../../ipam/index.js';
import {
  type GoEncodable,
  GoJSONSyntaxError,
  type GoJSONValue,
  goField,
  goQuote,
  goQuoteList,
  marshalGo,
  marshalIndentGo,
  parseGoJSON,
} from '../../std/index.js';
import { convertResult } from './convert.js';
import { asCniError, CniError, CniErrorCode } from './errors.js';
import { notPlain, plainOfMarshal, toPlain } from './gojson.js';
import type { Result } from './types.js';
import { versionAtLeast } from './version.js';

export type CniCommand = 'ADD' | 'DEL' | 'CHECK' | 'GC' | 'STATUS' | 'VERSION';

/**
 * Which env variables each command requires (libcni skel's table; GC and STATUS as skel >= 1.2).
 * The order is the order of names in the "required env variables [...] missing" message.
 */
export const envTable: ReadonlyArray<{ readonly name: string; readonly requiredFor: readonly CniCommand[] }> =
  [
    { name: 'CNI_COMMAND', requiredFor: ['ADD', 'DEL', 'CHECK', 'GC', 'STATUS', 'VERSION'] },
    { name: 'CNI_CONTAINERID', requiredFor: ['ADD', 'DEL', 'CHECK'] },
    { name: 'CNI_NETNS', requiredFor: ['ADD', 'CHECK'] },
    { name: 'CNI_IFNAME', requiredFor: ['ADD', 'DEL', 'CHECK'] },
    { name: 'CNI_ARGS', requiredFor: [] },
    { name: 'CNI_PATH', requiredFor: ['ADD', 'DEL', 'CHECK', 'GC', 'STATUS'] },
  ];

/** What a plugin function receives (skel.CmdArgs) plus the env and a stderr sink for delegation. */
export interface CmdArgs {
  readonly command: CniCommand;
  readonly containerID: string;
  readonly netns: string;
  readonly ifName: string;
  /** CNI_ARGS, raw */
  readonly args: string;
  /** CNI_PATH, raw (`:`-separated) */
  readonly path: string;
  readonly stdinData: Uint8Array;
  /** the whole environment the plugin was started with (delegates inherit it) */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** unstructured log output (a delegate's stderr is passed through here) */
  readonly stderr: (text: string) => void;
}

/**
 * A CNI plugin as an object. add returns the result in its current shape with `cniVersion` set to
 * the version to print; the skel converts and prints it. Throw a CniError for a typed error; any
 * other Error is printed as code 999 with its message. gc/status may be left out: the skel then
 * answers success, as upstream skel does for plugins without them.
 */
export interface Plugin {
  /** first line of the about text, e.g. `CNI host-local plugin version unknown` */
  readonly about: string;
  /** spec versions accepted, oldest first; GC and STATUS exist only if one of them is >= 1.1.0 */
  readonly supportedVersions: readonly string[];
  add(args: CmdArgs): Promise<Result>;
  del(args: CmdArgs): Promise<void>;
  check(args: CmdArgs): Promise<void>;
  gc?(args: CmdArgs): Promise<void>;
  status?(args: CmdArgs): Promise<void>;
}

/** The process view of one invocation. */
export interface PluginIO {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** stdin bytes; read lazily, only after the env check passed and never for VERSION */
  readonly stdin: Uint8Array | (() => Uint8Array);
  /**
   * The parse of `stdin` when the caller printed it itself (what parseGoJSON gives for these bytes,
   * e.g. the in-process invoker's goJSONValueOf): the skel and the plugin read it instead of parsing.
   */
  readonly parsed?: GoJSONValue;
}

export interface PluginOutput {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

const idPattern = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

/** utils.ValidateContainerID. */
export function validateContainerID(id: string): void {
  if (id === '') throw new CniError(CniErrorCode.UnknownContainer, 'missing containerID');
  if (!idPattern.test(id))
    throw new CniError(CniErrorCode.InvalidEnvironmentVariables, 'invalid characters in containerID', id);
}

/** utils.ValidateNetworkName. */
export function validateNetworkName(name: string): void {
  if (name === '') throw new CniError(CniErrorCode.InvalidNetworkConfig, 'missing network name');
  if (!idPattern.test(name))
    throw new CniError(CniErrorCode.InvalidNetworkConfig, 'invalid characters found in network name', name);
}

// unicode.IsSpace
const goSpace = /[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/u;

/** utils.ValidateInterfaceName. */
function ifNameError(msg: string, details = ''): CniError {
  return new CniError(CniErrorCode.InvalidEnvironmentVariables, msg, details);
}

export function validateInterfaceName(ifName: string): void {
  const e = ifNameError;
  if (ifName === '') throw e('interface name is empty');
  if (Buffer.byteLength(ifName) > 15)
    throw e('interface name is too long', 'interface name should be less than 16 characters');
  if (ifName === '.' || ifName === '..') throw e('interface name is . or ..');
  for (const ch of ifName) {
    if (ch === '/' || ch === ':' || goSpace.test(ch))
      throw e('interface name contains / or : or whitespace characters');
  }
}

function goTypeError(v: GoJSONValue, field: string, goType: string): string {
  return field === ''
    ? `json: cannot unmarshal ${v.kind} into Go value of type ${goType}`
    : `json: cannot unmarshal ${v.kind} into Go struct field .${field} of type ${goType}`;
}

// One invocation decodes its stdin several times (name, cniVersion, the plugin's own config); the
// parse is the same every time, so the last one is kept.
let lastStdin: Uint8Array | undefined;
let lastParse: GoJSONValue | Error | undefined;
function parseCached(stdin: Uint8Array): GoJSONValue {
  if (stdin !== lastStdin || lastParse === undefined) {
    try {
      lastParse = parseGoJSON(stdin);
    } catch (err) {
      lastParse = err as Error;
    }
    lastStdin = stdin;
  }
  if (lastParse instanceof Error) throw lastParse;
  return lastParse;
}

/**
 * json.Unmarshal of a plugin's stdin into interface{}: the parse the skel made of these bytes in this
 * invocation (or was handed, PluginIO.parsed), else parsed now.
 */
export function unmarshalStdin(stdin: Uint8Array): unknown {
  return toPlain(parseCached(stdin));
}

/** The Go JSON parse of a plugin's stdin, shared with the skel's checks (see unmarshalStdin). */
export function stdinDocument(stdin: Uint8Array): GoJSONValue {
  return parseCached(stdin);
}

/** Decodes one top-level string member as json.Unmarshal into `struct { X string "json:\"x\"" }`. */
function decodeStringMember(stdin: Uint8Array, field: string): string {
  const doc = parseCached(stdin);
  if (doc.kind === 'null') return '';
  if (doc.kind !== 'object')
    throw new Error(
      goTypeError(
        doc,
        '',
        `struct { ${field[0]!.toUpperCase() + field.slice(1)} string "json:\\"${field}\\"" }`,
      ),
    );
  const v = goField(doc, field);
  if (v === undefined || v.kind === 'null') return '';
  if (v.kind !== 'string') throw new Error(goTypeError(v, field, 'string'));
  return v.value;
}

function structName(field: string): string {
  // Go's reflect name for the anonymous structs skel decodes into.
  return field === 'name' ? 'Name' : 'CNIVersion';
}

/** skel's validateConfig: the config must decode and carry a valid network name. */
function validateConfig(stdin: Uint8Array): void {
  let name: string;
  try {
    const doc = parseCached(stdin);
    if (doc.kind !== 'object' && doc.kind !== 'null') {
      throw new Error(goTypeError(doc, '', `struct { ${structName('name')} string "json:\\"name\\"" }`));
    }
    name = decodeStringMember(stdin, 'name');
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    throw new CniError(CniErrorCode.DecodingFailure, `error unmarshall network config: ${msg}`);
  }
  validateNetworkName(name);
}

/** version.ConfigDecoder: the config's cniVersion, "" meaning 0.1.0. */
export function decodeConfigVersion(stdin: Uint8Array): string {
  let v: string;
  try {
    const doc = parseCached(stdin);
    if (doc.kind !== 'object' && doc.kind !== 'null') {
      throw new Error(
        goTypeError(doc, '', `struct { ${structName('cniVersion')} string "json:\\"cniVersion\\"" }`),
      );
    }
    v = decodeStringMember(stdin, 'cniVersion');
  } catch (err) {
    if (err instanceof GoJSONSyntaxError || err instanceof Error) {
      throw new CniError(
        CniErrorCode.DecodingFailure,
        `decoding version from network config: ${err.message}`,
      );
    }
    throw err;
  }
  return v === '' ? '0.1.0' : v;
}

function checkVersion(configVersion: string, supported: readonly string[]): void {
  if (!supported.includes(configVersion)) {
    throw new CniError(
      CniErrorCode.IncompatibleCNIVersion,
      'incompatible CNI versions',
      `config is ${goQuote(configVersion)}, plugin supports ${goQuoteList(supported)}`,
    );
  }
}

/** CHECK/GC/STATUS: the config must be at least `min`, and the plugin must speak at least the config's version. */
function checkGatedVersion(stdin: Uint8Array, supported: readonly string[], min: string, verb: string): void {
  const configVersion = decodeConfigVersion(stdin);
  if (!versionAtLeast(configVersion, min)) {
    throw new CniError(CniErrorCode.IncompatibleCNIVersion, `config version does not allow ${verb}`);
  }
  if (!supported.some((pv) => versionAtLeast(pv, configVersion))) {
    throw new CniError(CniErrorCode.IncompatibleCNIVersion, `plugin version does not allow ${verb}`);
  }
}

/** True if the plugin knows GC and STATUS (it speaks spec 1.1.0 or later). */
export function speaksGC(plugin: Plugin): boolean {
  return plugin.supportedVersions.some((v) => versionAtLeast(v, '1.1.0'));
}

const withGC: readonly string[] = ['ADD', 'DEL', 'CHECK', 'GC', 'STATUS', 'VERSION'];
const withoutGC: readonly string[] = ['ADD', 'DEL', 'CHECK', 'VERSION'];

/** The VERSION answer: compact JSON and a newline, cniVersion being the plugin's newest version. */
export function versionInfo(plugin: Plugin): string {
  const current = plugin.supportedVersions[plugin.supportedVersions.length - 1] ?? '';
  return marshalGo({ cniVersion: current, supportedVersions: [...plugin.supportedVersions] }) + '\n';
}

/** The about text skel prints on stderr when CNI_COMMAND is unset. */
export function aboutText(plugin: Plugin): string {
  return `${plugin.about}\nCNI protocol versions supported: ${plugin.supportedVersions.join(', ')}\n`;
}

/** Prints a result as Go's types.PrintResult does: converted, 4-space indented, no trailing newline. */
export function formatResult(result: Result): string {
  return marshalIndentGo(convertResult(result, result.cniVersion));
}

/** Prints an error as Go's types.Error.Print. */
export function formatError(err: CniError): string {
  return marshalIndentGo(err.toJSON());
}

/** Runs one invocation of a plugin with injected I/O, exactly as the executable would. */
export async function runPlugin(plugin: Plugin, io: PluginIO): Promise<PluginOutput> {
  const out = await runPluginInProcess(plugin, io);
  return { exitCode: out.exitCode, stdout: out.stdout(), stderr: out.stderr };
}

/** One invocation for a caller in the same process: stdout printed on demand, and read back when that is known. */
export interface InProcessOutput {
  readonly exitCode: number;
  readonly stderr: string;
  /** What the executable prints on stdout (printed on the first call). */
  stdout(): string;
  /**
   * stdout as json.Unmarshal into interface{} reads it, when that is known without printing and
   * parsing (an ADD's result: `plainOfMarshal` of what is printed); `notPlain` otherwise.
   */
  readonly value: unknown;
}

/** runPlugin for an in-process caller: the same bytes, but an ADD's result need not be printed and parsed back. */
export async function runPluginInProcess(plugin: Plugin, io: PluginIO): Promise<InProcessOutput> {
  // Functions made per invocation are method shorthand (none uses `this`): under tsx, an arrow bound
  // to a name or property is wrapped in __name(), a defineProperty each time.
  const sink = {
    text: '',
    log(text: string) {
      sink.text += text;
    },
  };
  // a caller may refill one buffer between invocations: never reuse a parse across them
  lastStdin = undefined;
  lastParse = undefined;
  if (io.parsed !== undefined && typeof io.stdin !== 'function') {
    lastStdin = io.stdin;
    lastParse = io.parsed;
  }
  let out: string | null;
  try {
    const r = await dispatch(plugin, io, sink.log);
    if (r === null || typeof r === 'string') out = r;
    else {
      const value = plainOfMarshal(r.printed);
      // A value that does not read back is printed now, where printing would have failed before.
      if (value === notPlain) out = marshalIndentGo(r.printed);
      else {
        let text: string | undefined;
        return {
          exitCode: 0,
          stdout() {
            text ??= marshalIndentGo(r.printed);
            return text;
          },
          stderr: sink.text,
          value,
        };
      }
    }
  } catch (err) {
    return printed(1, formatError(asCniError(err)), sink.text);
  }
  if (out === null) return printed(0, '', sink.text + aboutText(plugin));
  return printed(0, out, sink.text);
}

function printed(exitCode: number, text: string, stderr: string): InProcessOutput {
  return {
    exitCode,
    stdout() {
      return text;
    },
    stderr,
    value: notPlain,
  };
}

/** An env variable as the skel reads it: unset is "". */
function envOf(env: Readonly<Record<string, string | undefined>>, name: string): string {
  return env[name] ?? '';
}

/** Returns what goes to stdout (text, or a result as Go prints it), or null for "print the about text". */
async function dispatch(
  plugin: Plugin,
  io: PluginIO,
  log: (text: string) => void,
): Promise<string | { printed: GoEncodable } | null> {
  const env = io.env;
  const cmd = envOf(env, 'CNI_COMMAND');
  const known = speaksGC(plugin) ? withGC : withoutGC;
  const missing: string[] = [];
  for (const v of envTable)
    if (
      envOf(env, v.name) === '' &&
      (v.name === 'CNI_COMMAND' || (known.includes(cmd) && v.requiredFor.includes(cmd as CniCommand)))
    )
      missing.push(v.name);
  if (missing.length > 0) {
    if (cmd === '') return null;
    throw new CniError(
      CniErrorCode.InvalidEnvironmentVariables,
      `required env variables [${missing.join(',')}] missing`,
    );
  }
  if (cmd === 'VERSION') return versionInfo(plugin);

  let stdinData: Uint8Array;
  try {
    stdinData = typeof io.stdin === 'function' ? io.stdin() : io.stdin;
  } catch (err) {
    throw new CniError(
      CniErrorCode.IOFailure,
      `error reading from stdin: ${err instanceof Error ? err.message : String(err)}`,
    );
  }

  validateConfig(stdinData);
  const attachment = (cmd !== 'GC' && cmd !== 'STATUS') || !known.includes(cmd);
  if (attachment) {
    // skel 1.1.2 checks these before dispatch, so an unknown command without a container ID is code 3.
    validateContainerID(envOf(env, 'CNI_CONTAINERID'));
    validateInterfaceName(envOf(env, 'CNI_IFNAME'));
  }
  if (!known.includes(cmd)) {
    throw new CniError(CniErrorCode.InvalidEnvironmentVariables, `unknown CNI_COMMAND: ${cmd}`);
  }
  const args: CmdArgs = {
    command: cmd as CniCommand,
    containerID: envOf(env, 'CNI_CONTAINERID'),
    netns: envOf(env, 'CNI_NETNS'),
    ifName: envOf(env, 'CNI_IFNAME'),
    args: envOf(env, 'CNI_ARGS'),
    path: envOf(env, 'CNI_PATH'),
    stdinData,
    env,
    stderr: log,
  };
  const supported = plugin.supportedVersions;
  switch (cmd as CniCommand) {
    case 'ADD': {
      checkVersion(decodeConfigVersion(stdinData), supported);
      // formatResult, printed only when asked for
      const result = await plugin.add(args);
      return { printed: convertResult(result, result.cniVersion) };
    }
    case 'DEL':
      checkVersion(decodeConfigVersion(stdinData), supported);
      await plugin.del(args);
      return '';
    case 'CHECK':
      checkGatedVersion(stdinData, supported, '0.4.0', 'CHECK');
      checkVersion(decodeConfigVersion(stdinData), supported);
      await plugin.check(args);
      return '';
    case 'GC':
      checkGatedVersion(stdinData, supported, '1.1.0', 'GC');
      checkVersion(decodeConfigVersion(stdinData), supported);
      await plugin.gc?.(args);
      return '';
    case 'STATUS':
      checkGatedVersion(stdinData, supported, '1.1.0', 'STATUS');
      checkVersion(decodeConfigVersion(stdinData), supported);
      await plugin.status?.(args);
      return '';
    default:
      throw new CniError(CniErrorCode.InvalidEnvironmentVariables, `unknown CNI_COMMAND: ${cmd}`);
  }
}

/**
 * The executable's main: runs the plugin on this process's env and stdin, writes stdout/stderr and
 * sets the exit status (1 on error), as skel.PluginMain.
 */
export async function pluginMain(plugin: Plugin): Promise<void> {
  const out = await runPlugin(plugin, { env: process.env, stdin: readStdin });
  if (out.stderr !== '') process.stderr.write(out.stderr);
  process.exitCode = out.exitCode;
  if (out.stdout !== '') {
    await new Promise<void>((resolve) => process.stdout.write(out.stdout, () => resolve()));
  }
}

/** io.ReadAll(os.Stdin): to EOF, waiting out a non-blocking pipe; errors in Go's words. */
function readStdin(): Uint8Array {
  const chunks: Buffer[] = [];
  const buf = Buffer.alloc(65536);
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    let n: number;
    try {
      n = readSync(0, buf, 0, buf.length, null);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') {
        Atomics.wait(pause, 0, 0, 2);
        continue;
      }
      if (code === 'EOF') break;
      throw goPathError('read', '/dev/stdin', err);
    }
    if (n === 0) break;
    chunks.push(Buffer.from(buf.subarray(0, n)));
  }
  return Buffer.concat(chunks);
}
