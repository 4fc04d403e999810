// What libcni does for a network configuration list (AddNetworkList, DelNetworkList,
// CheckNetworkList, GCNetworkList, GetStatusNetworkList, ValidateNetworkList, GetVersionInfo):
// plugin order, prevResult chaining, the cached result, error wrapping and version gates.

import { type GoJSONValue, marshalGo } from '../../std/index.js';
import {
  convertResult,
  decodeResult,
  decodeResultValue,
  goJSONValueOf,
  marshalMap,
  ordered,
  type Result,
  resultAsVersion,
  sortedKeys,
  unmarshal,
  validateContainerID,
  validateInterfaceName,
  validateNetworkName,
  versionAtLeast,
} from '../skel/index.js';
import {
  type CacheFiles,
  cacheAdd,
  cacheDel,
  cachedAttachments,
  cachedResult,
  diskCacheFiles,
  type NetworkAttachment,
  type RuntimeConf,
} from './cache.js';
import { currentVersion, type NetworkConfig, type NetworkConfigList } from './conflist.js';
import { InvokerError } from './errors.js';
import {
  type Env,
  execPluginOutput,
  findInPath,
  type InProcessResolver,
  type PluginFinder,
  type ProcessOutput,
} from './exec.js';

export interface InvokerOptions {
  /** Directories searched for plugin binaries (CNI_PATH). */
  cniPath: readonly string[];
  /** Where results are cached; libcni's default is /var/lib/cni. */
  cacheDir?: string;
  /** The environment plugins inherit (libcni: the runtime's whole environment); process.env unless given. */
  env?: Env;
  /** Where the result cache's files go (default: the disk under cacheDir). */
  cacheFiles?: CacheFiles;
  /** Runs our own plugins in-process instead of forking their binaries. */
  inProcess?: InProcessResolver;
  /** Receives what successful plugins wrote to stderr. */
  stderr?: (chunk: Buffer) => void;
  /** How plugins are found on cniPath: findInPath (libcni's stat per invocation) unless given. */
  findPlugin?: PluginFinder;
}

export interface GCAttachment {
  containerID: string;
  ifname: string;
}

export interface VersionInfo {
  cniVersion: string;
  supportedVersions: string[];
}

const describe = (net: NetworkConfig) =>
  `type="${net.type}"${net.name === undefined ? '' : ` name="${net.name}"`}`;

const wrap = (msg: string, cause: unknown) =>
  new InvokerError('NETLAB_CNI_INVOKER_PLUGIN_FAILED', `${msg}: ${(cause as Error).message}`, { cause });

export class Invoker {
  readonly cniPath: readonly string[];
  readonly cacheDir: string;
  readonly #files: CacheFiles;
  readonly #env: Env;
  readonly #resolver: InProcessResolver | undefined;
  readonly #stderr: ((chunk: Buffer) => void) | undefined;
  readonly #find: PluginFinder;

  constructor(opts: InvokerOptions) {
    this.cniPath = opts.cniPath;
    this.cacheDir = opts.cacheDir ?? '/var/lib/cni';
    this.#files = opts.cacheFiles ?? diskCacheFiles;
    this.#env = opts.env ?? (process.env as Env);
    this.#resolver = opts.inProcess;
    this.#stderr = opts.stderr;
    this.#find = opts.findPlugin ?? findInPath;
  }

  async addNetworkList(list: NetworkConfigList, rt: RuntimeConf): Promise<Result | undefined> {
    let result: Result | undefined;
    for (const net of list.plugins) {
      try {
        result = await this.#addNetwork(list, net, result, rt);
      } catch (e) {
        throw wrap(`plugin ${describe(net)} failed (add)`, e);
      }
    }
    try {
      await cacheAdd(
        this.cacheDir,
        result === undefined ? undefined : convertResult(result, result.cniVersion),
        list.bytes,
        list.name,
        rt,
        this.#files,
      );
    } catch (e) {
      throw wrap(`failed to set network "${list.name}" cached result`, e);
    }
    return result;
  }

  async checkNetworkList(list: NetworkConfigList, rt: RuntimeConf): Promise<void> {
    if (!versionAtLeast(list.cniVersion, '0.4.0'))
      throw new InvokerError(
        'NETLAB_CNI_INVOKER_VERSION',
        `configuration version "${list.cniVersion}" does not support the CHECK command`,
      );
    if (list.disableCheck) return;
    let prev: Result | undefined;
    try {
      prev = await this.getNetworkListCachedResult(list, rt);
    } catch (e) {
      throw wrap(`failed to get network "${list.name}" cached result`, e);
    }
    for (const net of list.plugins) await this.#run('CHECK', list, net, prev, rt);
  }

  async delNetworkList(list: NetworkConfigList, rt: RuntimeConf): Promise<void> {
    let prev: Result | undefined;
    // The cached result on DEL came with spec 0.4.0; an unreadable cache is dropped, not fatal.
    if (versionAtLeast(list.cniVersion, '0.4.0')) {
      try {
        prev = await this.getNetworkListCachedResult(list, rt);
      } catch {
        await cacheDel(this.cacheDir, list.name, rt, this.#files);
        prev = undefined;
      }
    }
    for (let i = list.plugins.length - 1; i >= 0; i--) {
      const net = list.plugins[i]!;
      try {
        await this.#run('DEL', list, net, prev, rt);
      } catch (e) {
        throw wrap(`plugin ${describe(net)} failed (delete)`, e);
      }
    }
    await cacheDel(this.cacheDir, list.name, rt, this.#files);
  }

  /**
   * DEL of every cached attachment of this network that is not in `validAttachments`, then (spec
   * 1.1.0 lists) GC to every plugin with `cni.dev/valid-attachments`. Errors are collected, not fatal.
   */
  async gcNetworkList(list: NetworkConfigList, validAttachments?: readonly GCAttachment[]): Promise<void> {
    if (list.disableGC) return;
    let cached: NetworkAttachment[];
    try {
      cached = await this.getCachedAttachments('');
    } catch {
      return;
    }
    const valid = new Set((validAttachments ?? []).map((a) => `${a.containerID}\u0000${a.ifname}`));
    const errs: Error[] = [];
    for (const a of cached) {
      if (a.network !== list.name || valid.has(`${a.containerID}\u0000${a.ifName}`)) continue;
      const rt: RuntimeConf = {
        containerID: a.containerID,
        netns: a.netns,
        ifName: a.ifName,
        ...(a.cniArgs === undefined ? {} : { args: a.cniArgs }),
        ...(a.capabilityArgs === undefined ? {} : { capabilityArgs: a.capabilityArgs }),
      };
      try {
        await this.delNetworkList(list, rt);
      } catch (e) {
        errs.push(wrap(`failed to delete stale attachment ${rt.containerID} ${rt.ifName}`, e));
      }
    }
    if (versionAtLeast(list.cniVersion, '1.1.0')) {
      const inject: Record<string, unknown> = { name: list.name, cniVersion: list.cniVersion };
      if (validAttachments !== undefined)
        inject['cni.dev/valid-attachments'] = validAttachments.map((a) =>
          ordered({ containerID: a.containerID, ifname: a.ifname }),
        );
      for (const net of list.plugins) {
        const stdin = Buffer.from(marshalMap({ ...net.raw, ...inject }));
        try {
          await this.#exec('GC', net.type, stdin, { containerID: '', netns: '', ifName: '' });
        } catch (e) {
          errs.push(wrap(`failed to GC plugin ${net.type}`, e));
        }
      }
    }
    if (errs.length === 1) throw errs[0];
    if (errs.length > 1)
      throw new InvokerError('NETLAB_CNI_INVOKER_GC', errs.map((e) => e.message).join('\n'), {
        cause: errs[0],
      });
  }

  /** STATUS of every plugin in order (lists below 1.1.0: nothing to ask); the first failure is returned as is. */
  async getStatusNetworkList(list: NetworkConfigList): Promise<void> {
    if (!versionAtLeast(list.cniVersion, '1.1.0')) return;
    for (const net of list.plugins) {
      const stdin = Buffer.from(marshalMap({ ...net.raw, name: list.name, cniVersion: list.cniVersion }));
      await this.#exec('STATUS', net.type, stdin, { containerID: '', netns: '', ifName: '' });
    }
  }

  /** Checks that every plugin exists and supports the list's version; returns the capabilities enabled. */
  async validateNetworkList(list: NetworkConfigList): Promise<string[]> {
    const caps = new Set<string>();
    const errs: string[] = [];
    for (const net of list.plugins) {
      try {
        await this.#validatePlugin(net.type, list.cniVersion);
      } catch (e) {
        errs.push((e as Error).message);
      }
      for (const [c, on] of Object.entries(net.capabilities)) if (on) caps.add(c);
    }
    if (errs.length > 0) throw new InvokerError('NETLAB_CNI_INVOKER_VERSION', `[${errs.join(' ')}]`);
    return [...caps];
  }

  /** VERSION of one plugin type (stdin carries the runtime's version, as invoke.GetVersionInfo sends). */
  async getVersionInfo(type: string): Promise<VersionInfo> {
    const stdin = Buffer.from(`{"cniVersion":"${currentVersion}"}`);
    let out: Buffer;
    try {
      // invoke.GetVersionInfo: dummy values for plugins built against a skel that wanted them.
      out = await this.#exec(
        'VERSION',
        type,
        stdin,
        { containerID: '', netns: 'dummy', ifName: 'dummy' },
        'dummy',
      );
    } catch (e) {
      // A plugin from before VERSION existed: it speaks 0.1.0 only.
      if ((e as Error).message === 'unknown CNI_COMMAND: VERSION')
        return { cniVersion: '', supportedVersions: ['0.1.0'] };
      throw e;
    }
    return decodePluginInfo(out);
  }

  async getNetworkListCachedResult(list: NetworkConfigList, rt: RuntimeConf): Promise<Result | undefined> {
    const raw = await cachedResult(this.cacheDir, list.name, rt, this.#files);
    if (raw === undefined) return undefined;
    try {
      return resultAsVersion(raw, list.cniVersion);
    } catch (e) {
      throw new InvokerError(
        'NETLAB_CNI_INVOKER_RESULT',
        `failed to convert cached result to config version "${list.cniVersion}": ${(e as Error).message}`,
        { cause: e },
      );
    }
  }

  getCachedAttachments(containerID = ''): Promise<NetworkAttachment[]> {
    return cachedAttachments(this.cacheDir, containerID, this.#files);
  }

  async #validatePlugin(type: string, expected: string): Promise<void> {
    const want = expected === '' ? '0.1.0' : expected;
    const vi = await this.getVersionInfo(type);
    if (!vi.supportedVersions.includes(want))
      throw new InvokerError(
        'NETLAB_CNI_INVOKER_VERSION',
        `plugin ${type} does not support config version "${want}"`,
      );
  }

  async #addNetwork(
    list: NetworkConfigList,
    net: NetworkConfig,
    prev: Result | undefined,
    rt: RuntimeConf,
  ): Promise<Result> {
    validateRuntimeConf(list.name, rt);
    const conf = oneConfig(list, net, prev, rt);
    const out = await this.#execOutput('ADD', net.type, conf.stdin, rt, undefined, conf.parsed);
    // An in-process plugin's result need not be printed and parsed back.
    return 'value' in out
      ? decodeResultValue(list.cniVersion, out.value)
      : decodeResult(list.cniVersion, out.stdout);
  }

  #run(
    command: 'ADD' | 'DEL' | 'CHECK',
    list: NetworkConfigList,
    net: NetworkConfig,
    prev: Result | undefined,
    rt: RuntimeConf,
  ): Promise<Buffer> {
    return this.#exec(command, net.type, buildOneConfig(list, net, prev, rt), rt);
  }

  async #exec(
    command: string,
    type: string,
    stdin: Buffer,
    rt: RuntimeConf,
    cniPath?: string,
  ): Promise<Buffer> {
    return (await this.#execOutput(command, type, stdin, rt, cniPath)).stdout;
  }

  #execOutput(
    command: string,
    type: string,
    stdin: Buffer,
    rt: RuntimeConf,
    cniPath?: string,
    parsed?: GoJSONValue,
  ): Promise<ProcessOutput> {
    const path = this.#find(type, this.cniPath);
    const env: Env = {
      ...this.#env,
      CNI_COMMAND: command,
      CNI_CONTAINERID: rt.containerID,
      CNI_NETNS: rt.netns,
      CNI_ARGS: (rt.args ?? []).map(([k, v]) => `${k}=${v}`).join(';'),
      CNI_IFNAME: rt.ifName,
      CNI_PATH: cniPath ?? this.cniPath.join(':'),
    };
    return execPluginOutput(
      { resolver: this.#resolver, stderr: this.#stderr },
      type,
      path,
      stdin,
      env,
      parsed,
    );
  }
}

interface OneConfig {
  stdin: Buffer;
  /** The Go JSON parse of stdin, made from the value printed (goJSONValueOf), for an in-process plugin. */
  parsed?: GoJSONValue | undefined;
}

const firstStdin = new WeakMap<
  NetworkConfig,
  { name: string; cniVersion: string; text: string; parsed: GoJSONValue | undefined }
>();

/**
 * The stdin of one plugin (libcni buildOneConfig): the plugin object with `name`, `cniVersion` and
 * `prevResult` injected, then `runtimeConfig` for the capabilities it enables. Each injection is a
 * json.Marshal of a map, so keys come out sorted; the prevResult keeps its struct order unless the
 * second injection re-sorts it.
 */
export function buildOneConfig(
  list: NetworkConfigList,
  net: NetworkConfig,
  prev: Result | undefined,
  rt: RuntimeConf,
): Buffer {
  return oneConfig(list, net, prev, rt).stdin;
}

function oneConfig(
  list: NetworkConfigList,
  net: NetworkConfig,
  prev: Result | undefined,
  rt: RuntimeConf,
): OneConfig {
  // The first plugin's stdin without runtimeConfig is the same for every attachment: kept per plugin.
  const plain =
    prev === undefined &&
    (rt.capabilityArgs === undefined || !Object.values(net.capabilities).some((on) => on));
  if (plain) {
    const kept = firstStdin.get(net);
    if (kept !== undefined && kept.name === list.name && kept.cniVersion === list.cniVersion)
      return { stdin: Buffer.from(kept.text), parsed: kept.parsed };
  }
  const conf: Record<string, unknown> = { ...net.raw, name: list.name, cniVersion: list.cniVersion };
  // The previous result as its own version's struct (the cached one was converted to the list's).
  if (prev !== undefined) conf.prevResult = ordered(convertResult(prev, prev.cniVersion));
  const rc: Record<string, unknown> = {};
  for (const [cap, on] of Object.entries(net.capabilities))
    if (on && rt.capabilityArgs !== undefined && cap in rt.capabilityArgs) rc[cap] = rt.capabilityArgs[cap];
  if (Object.keys(rc).length === 0) {
    // marshalMap(conf), with the parse of what is printed made from the same value
    const sorted = sortedKeys(conf);
    const text = marshalGo(sorted);
    const parsed = goJSONValueOf(sorted);
    if (plain) firstStdin.set(net, { name: list.name, cniVersion: list.cniVersion, text, parsed });
    return { stdin: Buffer.from(text), parsed };
  }
  const again = unmarshal(marshalMap(conf)) as Record<string, unknown>;
  again.runtimeConfig = rc;
  return { stdin: Buffer.from(marshalMap(again)) };
}

// version.PluginDecoder: what a VERSION answer must hold.
function decodePluginInfo(out: Buffer): VersionInfo {
  let v: { cniVersion?: unknown; supportedVersions?: unknown };
  try {
    v = unmarshal(out) as typeof v;
  } catch (e) {
    throw new InvokerError('NETLAB_CNI_INVOKER_VERSION', `decoding version info: ${(e as Error).message}`);
  }
  const cniVersion = typeof v?.cniVersion === 'string' ? v.cniVersion : '';
  if (cniVersion === '')
    throw new InvokerError('NETLAB_CNI_INVOKER_VERSION', 'decoding version info: missing field cniVersion');
  const supported = Array.isArray(v.supportedVersions)
    ? v.supportedVersions.filter((x): x is string => typeof x === 'string')
    : [];
  if (supported.length === 0) {
    if (cniVersion === '0.2.0') return { cniVersion, supportedVersions: ['0.1.0', '0.2.0'] };
    throw new InvokerError(
      'NETLAB_CNI_INVOKER_VERSION',
      'decoding version info: missing field supportedVersions',
    );
  }
  return { cniVersion, supportedVersions: supported };
}

// libcni checks the attachment before ADD with the same utils the skel uses.
function validateRuntimeConf(network: string, rt: RuntimeConf): void {
  validateContainerID(rt.containerID);
  validateNetworkName(network);
  validateInterfaceName(rt.ifName);
}
