// Strategic merge patch (k8s.io/apimachinery/pkg/util/strategicpatch) for the kinds the kube-API
// serves: lists of structs merge by their `patchMergeKey` (containers by name, container ports by
// containerPort, Service ports by port, conditions by type, ...), other lists are replaced, and the
// directives kubectl writes are honoured: `$patch: replace|delete|merge`, `$retainKeys`,
// `$setElementOrder/<list>`, `$deleteFromPrimitiveList/<list>`.
import { NetlabError } from '../../std/index.js';

type JSONObject = Record<string, unknown>;

const isObject = (v: unknown): v is JSONObject => v !== null && typeof v === 'object' && !Array.isArray(v);

/** How a list field merges: by a key, as a set of primitives, or (absent) replaced whole. */
export interface ListMeta {
  mergeKey?: string;
  /** A list of scalars merged as a set (`finalizers`). */
  set?: boolean;
}

/**
 * The patch metadata of a list field, from the Go struct tags of the kinds served. `path` is the
 * field names from the object's root, list indices left out (`spec.template.spec.containers.ports`).
 */
export function listMeta(kind: string, path: readonly string[]): ListMeta {
  const last = path[path.length - 1];
  const parent = path[path.length - 2];
  switch (last) {
    case 'containers':
    case 'initContainers':
    case 'ephemeralContainers':
    case 'volumes':
    case 'imagePullSecrets':
    case 'env':
    case 'resourceClaims':
      return { mergeKey: 'name' };
    case 'ports':
      // Container ports merge by containerPort; a Service's by port; EndpointSlice ports are atomic.
      if (parent === 'containers' || parent === 'initContainers' || parent === 'ephemeralContainers')
        return { mergeKey: 'containerPort' };
      if (kind === 'Service' && path.length === 2) return { mergeKey: 'port' };
      return {};
    case 'volumeMounts':
      return { mergeKey: 'mountPath' };
    case 'volumeDevices':
      return { mergeKey: 'devicePath' };
    case 'conditions':
      return { mergeKey: 'type' };
    case 'addresses':
      return kind === 'Node' ? { mergeKey: 'type' } : {};
    case 'ownerReferences':
      return { mergeKey: 'uid' };
    case 'hostAliases':
      return { mergeKey: 'ip' };
    case 'topologySpreadConstraints':
      return { mergeKey: 'topologyKey' };
    case 'finalizers':
      return path.length === 2 && path[0] === 'metadata' ? { set: true } : {};
    default:
      return {};
  }
}

/** A StatusError-shaped failure for a patch that cannot be applied. */
export class PatchError extends NetlabError {
  override readonly name = 'PatchError';
  readonly code = 'NETLAB_APISERVER_PATCH';
}

/** Applies a strategic merge patch to a copy of `original`. */
export function strategicMerge(kind: string, original: unknown, patch: unknown): unknown {
  if (!isObject(patch)) throw new PatchError('strategic merge patch must be a JSON object');
  return mergeMap(kind, isObject(original) ? original : {}, patch, []);
}

function mergeMap(kind: string, original: JSONObject, patch: JSONObject, path: string[]): JSONObject {
  const directive = patch.$patch;
  if (directive === 'replace') {
    const out = { ...patch };
    delete out.$patch;
    return stripDirectives(out) as JSONObject;
  }
  const out: JSONObject = { ...original };
  const orders = new Map<string, unknown[]>();
  let retainKeys: string[] | undefined;
  for (const [k, v] of Object.entries(patch)) {
    if (k === '$patch') continue;
    if (k === '$retainKeys') {
      retainKeys = Array.isArray(v) ? (v as string[]) : [];
      continue;
    }
    if (k.startsWith('$setElementOrder/')) {
      orders.set(k.slice('$setElementOrder/'.length), Array.isArray(v) ? v : []);
      continue;
    }
    if (k.startsWith('$deleteFromPrimitiveList/')) {
      const f = k.slice('$deleteFromPrimitiveList/'.length);
      const drop = new Set((Array.isArray(v) ? v : []).map((x) => JSON.stringify(x)));
      if (Array.isArray(out[f])) out[f] = (out[f] as unknown[]).filter((x) => !drop.has(JSON.stringify(x)));
      continue;
    }
    const sub = [...path, k];
    if (v === null) {
      delete out[k];
    } else if (isObject(v)) {
      if (v.$patch === 'delete') delete out[k];
      else out[k] = mergeMap(kind, isObject(out[k]) ? (out[k] as JSONObject) : {}, v, sub);
    } else if (Array.isArray(v)) {
      out[k] = mergeList(kind, Array.isArray(out[k]) ? (out[k] as unknown[]) : [], v, sub);
    } else out[k] = v;
  }
  for (const [f, order] of orders) {
    if (Array.isArray(out[f])) out[f] = applyOrder(out[f] as unknown[], order, listMeta(kind, [...path, f]));
  }
  if (retainKeys) for (const k of Object.keys(out)) if (!retainKeys.includes(k)) delete out[k];
  return out;
}

function mergeList(kind: string, original: unknown[], patch: unknown[], path: string[]): unknown[] {
  const replace = patch.some((e) => isObject(e) && e.$patch === 'replace');
  if (replace) return patch.filter((e) => !(isObject(e) && e.$patch === 'replace')).map(stripDirectives);
  const meta = listMeta(kind, path);
  if (meta.set) {
    const out = [...original];
    const seen = new Set(out.map((x) => JSON.stringify(x)));
    for (const x of patch)
      if (!seen.has(JSON.stringify(x))) {
        seen.add(JSON.stringify(x));
        out.push(x);
      }
    return out;
  }
  const key = meta.mergeKey;
  if (!key || !patch.every(isObject)) return patch.map(stripDirectives);
  const out = original.map((x) => x);
  for (const raw of patch as JSONObject[]) {
    const id = raw[key];
    const at = out.findIndex((x) => isObject(x) && x[key] === id);
    if (raw.$patch === 'delete') {
      if (at >= 0) out.splice(at, 1);
      continue;
    }
    if (at >= 0) out[at] = mergeMap(kind, out[at] as JSONObject, raw, path);
    else out.push(mergeMap(kind, {}, raw, path));
  }
  return out;
}

/** `$setElementOrder`: the listed elements in the listed order; any others after them, as they were. */
function applyOrder(list: unknown[], order: unknown[], meta: ListMeta): unknown[] {
  const idOf = (x: unknown) => JSON.stringify(meta.mergeKey && isObject(x) ? x[meta.mergeKey] : x);
  const rank = new Map(order.map((o, i) => [idOf(o), i]));
  return list
    .map((x, i) => ({ x, i, r: rank.get(idOf(x)) ?? Number.POSITIVE_INFINITY }))
    .sort((a, b) => a.r - b.r || a.i - b.i)
    .map((e) => e.x);
}

function stripDirectives(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(stripDirectives);
  if (!isObject(v)) return v;
  const out: JSONObject = {};
  for (const [k, x] of Object.entries(v)) if (!k.startsWith('$')) out[k] = stripDirectives(x);
  return out;
}
