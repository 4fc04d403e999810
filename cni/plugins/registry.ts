// The plugin registry: the in-process plugins by type, and the resolver that routes a binary of
// ours found on CNI_PATH to its in-process object, so a plugin behaves the same whether a runtime
// forks its binary or the invoker calls it in-process. The executables in cni/bin/ (each a
// two-line file calling runBuiltinPlugin) enter here.
import { closeSync, existsSync, openSync, readSync, realpathSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FabricStore } from '../fabric/index.js';
import type { InProcessPlugin, InProcessResolver, PluginFinder } from '../invoker/index.js';
import { notPlain, type Plugin, pluginMain, runPluginInProcess } from '../skel/index.js';
import { flatPlugin } from './flat.js';
import { type HostLocalPluginOptions, hostLocalPlugin } from './host-local.js';
import { loopbackPlugin } from './loopback.js';

/** The line every executable in cni/bin carries, so a binary found on CNI_PATH is known as ours. */
export const pluginMarker = 'kube-netlab cni plugin:';

// From source (cni/plugins/registry.ts) the binaries are in ../bin; built (dist/cni/plugins/registry.js)
// they are in ../../../cni/bin.
function findBinDir(): string {
  for (const rel of ['../bin/', '../../../cni/bin/']) {
    const dir = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(`${dir}flat`)) return dir.replace(/\/$/, '');
  }
  return fileURLToPath(new URL('../bin/', import.meta.url)).replace(/\/$/, '');
}

/** The directory holding this project's plugin executables (put it on CNI_PATH). */
export const builtinPluginDir = findBinDir();

export interface PluginRegistryOptions {
  /** The fabric flat and loopback attach to; otherwise each uses the file its config names. */
  store?: FabricStore;
  /** host-local's options (e.g. an in-memory store); its disk store unless given. */
  hostLocal?: HostLocalPluginOptions;
  /** Where loopback looks when nothing names its fabric; flat's default dataDir unless given. */
  loopbackDefaultDataDir?: string;
  /** More in-process plugins (or replacements), by type. */
  extra?: Readonly<Record<string, Plugin>>;
  /** How flat finds its IPAM plugin on CNI_PATH (findInPath unless given). */
  findPlugin?: PluginFinder;
}

export interface PluginRegistry {
  readonly plugins: ReadonlyMap<string, Plugin>;
  /** For the invoker and for flat's IPAM delegation: our binaries run in-process. */
  readonly resolver: InProcessResolver;
}

function realDir(path: string): string | undefined {
  try {
    return dirname(realpathSync(path));
  } catch {
    return undefined;
  }
}

// A binary is ours when it sits in our bin directory or carries the marker for that type. The answer
// per path is kept: the check costs two realpaths and a read, and runs on every plugin call.
const ownBinDir = realDir(`${builtinPluginDir}/flat`);
const ours = new Map<string, boolean>();

function isOurs(type: string, path: string): boolean {
  const key = `${type}\u0000${path}`;
  let v = ours.get(key);
  if (v === undefined) {
    v = checkOurs(type, path);
    ours.set(key, v);
  }
  return v;
}

function checkOurs(type: string, path: string): boolean {
  if (ownBinDir !== undefined && realDir(path) === ownBinDir) return true;
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const head = Buffer.alloc(256);
    const n = readSync(fd, head, 0, head.length, 0);
    return head.subarray(0, n).toString('latin1').includes(`${pluginMarker} ${type}\n`);
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

const noBytes = Buffer.alloc(0);

// An ADD's result goes back as the value its printed text reads back as: the invoker (or flat, for
// its IPAM delegate) takes that, and the text is printed only if someone reads stdout.
function inProcess(plugin: Plugin): InProcessPlugin {
  return async (stdin, env, parsed) => {
    const out = await runPluginInProcess(plugin, { env, stdin, ...(parsed === undefined ? {} : { parsed }) });
    const stderr = out.stderr === '' ? noBytes : Buffer.from(out.stderr);
    if (out.value === notPlain) return { exitCode: out.exitCode, stdout: Buffer.from(out.stdout()), stderr };
    let stdout: Buffer | undefined;
    return {
      exitCode: out.exitCode,
      get stdout() {
        stdout ??= Buffer.from(out.stdout());
        return stdout;
      },
      stderr,
      value: out.value,
    };
  };
}

/** The in-process plugins and the resolver that routes our binaries to them. */
export function createPluginRegistry(opts: PluginRegistryOptions = {}): PluginRegistry {
  const plugins = new Map<string, Plugin>();
  const runners = new Map<string, InProcessPlugin>();
  const resolver: InProcessResolver = (type, path) => {
    const run = runners.get(type);
    return run !== undefined && isOurs(type, path) ? run : undefined;
  };
  const storeOpt = opts.store === undefined ? {} : { store: opts.store };
  // flat notes where it put each netns, so loopback after it in a conflist finds the same fabric.
  const sandboxDataDirs = new Map<string, string>();
  plugins.set('host-local', hostLocalPlugin(opts.hostLocal ?? {}));
  plugins.set(
    'flat',
    flatPlugin({
      ...storeOpt,
      resolver,
      sandboxDataDirs,
      ...(opts.findPlugin === undefined ? {} : { findPlugin: opts.findPlugin }),
    }),
  );
  plugins.set(
    'loopback',
    loopbackPlugin({
      ...storeOpt,
      sandboxDataDirs,
      ...(opts.loopbackDefaultDataDir === undefined ? {} : { defaultDataDir: opts.loopbackDefaultDataDir }),
    }),
  );
  for (const [type, p] of Object.entries(opts.extra ?? {})) plugins.set(type, p);
  for (const [type, p] of plugins) runners.set(type, inProcess(p));
  return { plugins, resolver };
}

/** The executables' entry: runs the named plugin on this process's env, stdin and stdout. */
export function runBuiltinPlugin(type: string): Promise<void> {
  const plugin = createPluginRegistry().plugins.get(type);
  if (plugin === undefined) {
    process.stderr.write(`kube-netlab: no plugin ${type}\n`);
    process.exitCode = 1;
    return Promise.resolve();
  }
  return pluginMain(plugin);
}
