// libcni's result cache: <cacheDir>/results/<network>-<containerID>-<ifname>, one JSON object per
// attachment, written after a successful ADD and removed after DEL. GC reads it to find attachments
// the runtime no longer knows. Same file layout, modes and key order as libcni (json.Marshal of the
// cachedInfo struct; the result is a map, so its keys are sorted).
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { marshalMap, ordered, sortedKeys, unmarshal } from '../skel/index.js';
import { InvokerError } from './errors.js';

export const cacheKind = 'cniCacheV1';

export interface RuntimeConf {
  containerID: string;
  netns: string;
  ifName: string;
  /** CNI_ARGS pairs. */
  args?: [string, string][];
  /** Capability arguments; each plugin gets those its `capabilities` enable, as runtimeConfig. */
  capabilityArgs?: Record<string, unknown>;
}

export interface NetworkAttachment {
  containerID: string;
  network: string;
  ifName: string;
  config: Buffer;
  netns: string;
  cniArgs?: [string, string][];
  capabilityArgs?: Record<string, unknown>;
}

/**
 * Where the cache's files are kept: on disk (libcni's layout, what a node has), or in memory for a
 * runtime that keeps no state between runs (same names and bytes, no file system calls per pod).
 */
export interface CacheFiles {
  /** Writes the file; `data` may come in pieces (the file is their concatenation). */
  write(file: string, data: string | readonly string[]): Promise<void>;
  /** The file's bytes; undefined when it does not exist. */
  read(file: string): Promise<Buffer | undefined>;
  remove(file: string): Promise<void>;
  /** The names in a directory; undefined when it does not exist. */
  list(dir: string): Promise<string[] | undefined>;
}

export const diskCacheFiles: CacheFiles = {
  async write(file, data) {
    await mkdir(dirname(file), { recursive: true, mode: 0o700 });
    await writeFile(file, typeof data === 'string' ? data : data.join(''), { mode: 0o600 });
  },
  async read(file) {
    try {
      return await readFile(file);
    } catch {
      return undefined;
    }
  },
  async remove(file) {
    await rm(file, { force: true });
  },
  async list(dir) {
    try {
      return await readdir(dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  },
};

/** The cache's files in memory, by path. */
export class MemoryCacheFiles implements CacheFiles {
  // Kept as text: a small Buffer is a slice of an 8 KB pool slab, and one kept per pod pins a slab each.
  // Kept in the writer's pieces: the conflist's base64, the same in every entry of a network, is one
  // string shared by all of them.
  readonly #files = new Map<string, string | readonly string[]>();
  write(file: string, data: string | readonly string[]): Promise<void> {
    this.#files.set(file, data);
    return Promise.resolve();
  }
  read(file: string): Promise<Buffer | undefined> {
    const data = this.#files.get(file);
    if (data === undefined) return Promise.resolve(undefined);
    return Promise.resolve(Buffer.from(typeof data === 'string' ? data : data.join('')));
  }
  remove(file: string): Promise<void> {
    this.#files.delete(file);
    return Promise.resolve();
  }
  list(dir: string): Promise<string[] | undefined> {
    const out: string[] = [];
    for (const f of this.#files.keys()) if (dirname(f) === dir) out.push(f.slice(dir.length + 1));
    return Promise.resolve(out.length > 0 ? out : undefined);
  }
}

export function cacheFilePath(cacheDir: string, network: string, rt: RuntimeConf): string {
  if (network === '' || rt.containerID === '' || rt.ifName === '')
    throw new InvokerError(
      'NETLAB_CNI_INVOKER_CACHE',
      `cache file path requires network name ("${network}"), container ID ("${rt.containerID}"), and interface name ("${rt.ifName}")`,
    );
  return join(cacheDir, 'results', `${network}-${rt.containerID}-${rt.ifName}`);
}

export async function cacheAdd(
  cacheDir: string,
  result: unknown,
  config: Buffer,
  network: string,
  rt: RuntimeConf,
  files: CacheFiles = diskCacheFiles,
): Promise<void> {
  const file = cacheFilePath(cacheDir, network, rt);
  // Field order of libcni's cachedInfo; omitempty fields left out when empty. Printed in three
  // pieces around the config's base64 (which needs no escaping), the same text as one json.Marshal.
  const head = marshalMap(ordered({ kind: cacheKind, containerId: rt.containerID }));
  const rest = ordered({
    ifName: rt.ifName,
    networkName: network,
    netns: rt.netns === '' ? undefined : rt.netns,
    cniArgs: rt.args !== undefined && rt.args.length > 0 ? rt.args : undefined,
    capabilityArgs:
      rt.capabilityArgs !== undefined && Object.keys(rt.capabilityArgs).length > 0
        ? sortedMap(rt.capabilityArgs)
        : undefined,
    result: result === undefined || result === null ? undefined : sortedMap(result),
  });
  const tail = marshalMap(rest);
  await files.write(file, [`${head.slice(0, -1)},"config":"`, sharedBase64(config), `",${tail.slice(1)}`]);
}

// The conflist's base64, one string for every entry of the network: kept with the list's bytes (and a
// copy of them, so bytes changed in place are encoded afresh).
const base64s = new WeakMap<Buffer, { bytes: Buffer; b64: string }>();
function sharedBase64(config: Buffer): string {
  const have = base64s.get(config);
  if (have?.bytes.equals(config)) return have.b64;
  const b64 = config.toString('base64');
  base64s.set(config, { bytes: Buffer.from(config), b64 });
  return b64;
}

// A value that Go holds as map[string]interface{}: re-encoded with sorted keys inside ordered().
// Printed again inside the cache entry, a value whose numbers are finite and whose objects have no
// `__proto__` key prints the same as its keys sorted in place, without the text round trip.
function sortedMap(v: unknown): unknown {
  return printsBack(v) ? sortedKeys(v) : JSON.parse(marshalMap(v));
}

function printsBack(v: unknown): boolean {
  if (typeof v === 'number') return Number.isFinite(v);
  if (typeof v === 'string' || typeof v === 'boolean' || v === null) return true;
  if (typeof v !== 'object') return false;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) if (!printsBack(v[i])) return false;
    return true;
  }
  for (const k of Object.keys(v)) {
    if (k === '__proto__') return false;
    const x = (v as Record<string, unknown>)[k];
    if (x !== undefined && !printsBack(x)) return false;
  }
  return true;
}

export async function cacheDel(
  cacheDir: string,
  network: string,
  rt: RuntimeConf,
  files: CacheFiles = diskCacheFiles,
): Promise<void> {
  let file: string;
  try {
    file = cacheFilePath(cacheDir, network, rt);
  } catch {
    return;
  }
  await files.remove(file);
}

interface CachedInfo {
  kind?: unknown;
  containerId?: unknown;
  config?: unknown;
  ifName?: unknown;
  networkName?: unknown;
  netns?: unknown;
  cniArgs?: unknown;
  capabilityArgs?: unknown;
  result?: unknown;
}

/** The cached result (plain JSON data), undefined when there is no cache file. */
export async function cachedResult(
  cacheDir: string,
  network: string,
  rt: RuntimeConf,
  files: CacheFiles = diskCacheFiles,
): Promise<unknown> {
  const file = cacheFilePath(cacheDir, network, rt);
  // The cached result may not exist.
  const bytes = await files.read(file);
  if (bytes === undefined) return undefined;
  let info: CachedInfo;
  try {
    info = unmarshal(bytes) as CachedInfo;
  } catch (e) {
    throw new InvokerError('NETLAB_CNI_INVOKER_CACHE', `${file}: ${(e as Error).message}`);
  }
  // A file that is not cniCacheV1 is a legacy cache holding the bare result.
  if (typeof info !== 'object' || info === null || info.kind !== cacheKind) return info;
  return info.result ?? {};
}

/** Every cached attachment (of one container when `containerID` is given), by file name. */
export async function cachedAttachments(
  cacheDir: string,
  containerID = '',
  files: CacheFiles = diskCacheFiles,
): Promise<NetworkAttachment[]> {
  const dir = join(cacheDir, 'results');
  const names = (await files.list(dir))?.sort();
  if (names === undefined) return [];
  const out: NetworkAttachment[] = [];
  for (const name of names) {
    if (containerID !== '') {
      const part = `-${containerID}-`;
      const pos = name.indexOf(part);
      if (pos <= 0 || pos + part.length >= name.length) continue;
    }
    let info: CachedInfo;
    try {
      const bytes = await files.read(join(dir, name));
      if (bytes === undefined) continue;
      info = unmarshal(bytes) as CachedInfo;
    } catch {
      continue;
    }
    if (typeof info !== 'object' || info === null || info.kind !== cacheKind) continue;
    if (containerID !== '' && info.containerId !== containerID) continue;
    if (typeof info.ifName !== 'string' || info.ifName === '') continue;
    if (typeof info.networkName !== 'string' || info.networkName === '') continue;
    out.push({
      containerID: String(info.containerId ?? ''),
      network: info.networkName,
      ifName: info.ifName,
      config: Buffer.from(typeof info.config === 'string' ? info.config : '', 'base64'),
      netns: typeof info.netns === 'string' ? info.netns : '',
      ...(Array.isArray(info.cniArgs) ? { cniArgs: info.cniArgs as [string, string][] } : {}),
      ...(typeof info.capabilityArgs === 'object' && info.capabilityArgs !== null
        ? { capabilityArgs: info.capabilityArgs as Record<string, unknown> }
        : {}),
    });
  }
  return out;
}
