// A network configuration list as libcni reads it (ConfListFromBytes), with libcni's error texts.

import { goTypeName, marshalMap, parseVersion, unmarshal } from '../skel/index.js';
import { InvokerError } from './errors.js';

/** The spec version this runtime implements (libcni's version.Current()). */
export const currentVersion = '1.1.0';

function compareVersions(a: string, b: string): number {
  const x = parseVersion(a);
  const y = parseVersion(b);
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return 0;
}

/** One plugin object of the list, as decoded (plain JSON data). */
export interface NetworkConfig {
  type: string;
  /** The plugin object's own `name`, if it has one (libcni's pluginDescription shows it). */
  name?: string;
  capabilities: Record<string, boolean>;
  /** The whole plugin object; libcni passes every key through. */
  raw: Record<string, unknown>;
}

export interface NetworkConfigList {
  name: string;
  /** The selected version: the highest of cniVersion + cniVersions that this runtime implements. */
  cniVersion: string;
  disableCheck: boolean;
  disableGC: boolean;
  plugins: NetworkConfig[];
  /** The list's bytes as read (the result cache keeps them). */
  bytes: Buffer;
}

const fail = (msg: string): never => {
  throw new InvokerError('NETLAB_CNI_INVOKER_CONFLIST', `error parsing configuration list: ${msg}`);
};

export function parseConfList(input: Uint8Array | string): NetworkConfigList {
  const bytes = Buffer.from(input);
  let raw: unknown;
  try {
    raw = unmarshal(bytes);
  } catch (e) {
    return fail((e as Error).message);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    return fail(
      `json: cannot unmarshal ${Array.isArray(raw) ? 'array' : goTypeName(raw) === 'float64' ? 'number' : goTypeName(raw)} into Go value of type map[string]interface {}`,
    );
  const list = raw as Record<string, unknown>;
  if (!('name' in list)) fail('no name');
  if (typeof list.name !== 'string') fail(`invalid name type ${goTypeName(list.name)}`);
  let cniVersion = '';
  if ('cniVersion' in list) {
    if (typeof list.cniVersion !== 'string') fail(`invalid cniVersion type ${goTypeName(list.cniVersion)}`);
    cniVersion = list.cniVersion as string;
  }
  if ('cniVersions' in list) {
    const rvs = list.cniVersions;
    if (!Array.isArray(rvs)) return fail(`invalid type for cniVersions: ${goTypeName(rvs)}`);
    const vs: string[] = [];
    rvs.forEach((rv, i) => {
      if (typeof rv !== 'string') fail(`invalid type for cniVersions index ${i}: ${goTypeName(rv)}`);
      try {
        // Versions above what this runtime implements are skipped.
        if (compareVersions(rv, currentVersion) <= 0) vs.push(rv);
      } catch (e) {
        fail(`invalid cniVersions entry ${rv} at index ${i}: ${(e as Error).message}`);
      }
    });
    if (cniVersion !== '') {
      try {
        if (compareVersions(cniVersion, currentVersion) <= 0) vs.push(cniVersion);
      } catch (e) {
        fail(`invalid cniVersion ${cniVersion}: ${(e as Error).message}`);
      }
    }
    vs.sort(compareVersions);
    if (vs.length > 0) cniVersion = vs[vs.length - 1]!;
  }
  const readBool = (key: string): boolean => {
    if (!(key in list)) return false;
    const v = list[key];
    if (typeof v === 'boolean') return v;
    if (typeof v !== 'string') return fail(`invalid type ${goTypeName(v)} for ${key}`);
    const s = v.toLowerCase();
    if (s === 'true') return true;
    if (s === 'false') return false;
    return fail(`invalid value "${s}" for ${key}`);
  };
  const disableCheck = readBool('disableCheck');
  const disableGC = readBool('disableGC');
  if (!('plugins' in list)) fail("no 'plugins' key");
  if (!Array.isArray(list.plugins)) fail(`invalid 'plugins' type ${goTypeName(list.plugins)}`);
  const plugins = list.plugins as unknown[];
  if (plugins.length === 0) fail('no plugins in list');
  return {
    name: list.name as string,
    cniVersion,
    disableCheck,
    disableGC,
    plugins: plugins.map((p, i) => parsePluginConf(p, i)),
    bytes,
  };
}

function parsePluginConf(p: unknown, i: number): NetworkConfig {
  const bytes = marshalMap(p);
  const bad = (why: string): never => {
    throw new InvokerError(
      'NETLAB_CNI_INVOKER_CONFLIST',
      `failed to parse plugin config ${i}: error parsing ${bytes}: ${why}`,
    );
  };
  if (typeof p !== 'object' || p === null || Array.isArray(p))
    return bad(
      `json: cannot unmarshal ${Array.isArray(p) ? 'array' : goTypeName(p) === 'float64' ? 'number' : goTypeName(p)} into Go value of type types.NetConf`,
    );
  const raw = p as Record<string, unknown>;
  if (raw.type !== undefined && raw.type !== null && typeof raw.type !== 'string')
    bad(
      `json: cannot unmarshal ${typeof raw.type === 'number' ? 'number' : Array.isArray(raw.type) ? 'array' : typeof raw.type === 'boolean' ? 'bool' : 'object'} into Go struct field NetConf.type of type string`,
    );
  if (typeof raw.type !== 'string' || raw.type === '') bad("missing 'type'");
  const capabilities: Record<string, boolean> = {};
  if (typeof raw.capabilities === 'object' && raw.capabilities !== null && !Array.isArray(raw.capabilities))
    for (const [k, v] of Object.entries(raw.capabilities)) if (typeof v === 'boolean') capabilities[k] = v;
  return {
    type: raw.type as string,
    ...(typeof raw.name === 'string' && raw.name !== '' ? { name: raw.name } : {}),
    capabilities,
    raw,
  };
}
