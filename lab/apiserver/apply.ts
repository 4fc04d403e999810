// Server-side apply, as far as `kubectl apply --server-side` needs it: the applied configuration is
// merged into the live object with the structural merge of the kinds' list keys, the fields a
// manager applied before and no longer applies are removed, and metadata.managedFields records each
// manager's field set in the FieldsV1 form (`f:spec`, `k:{"name":"web"}`, `v:"x"`, `.`).
import { NetlabError } from '../../std/index.js';
import { listMeta, strategicMerge } from './strategic.js';

type JSONObject = Record<string, unknown>;
const isObject = (v: unknown): v is JSONObject => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Metadata the server owns; never part of a manager's field set. */
const systemMeta = new Set([
  'name',
  'namespace',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'managedFields',
  'selfLink',
]);

export interface ManagedFieldsEntry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time: string;
  fieldsType: 'FieldsV1';
  fieldsV1: JSONObject;
  subresource?: string;
}

/** The FieldsV1 set of what an object (or an applied configuration) sets. */
export function fieldsOf(kind: string, obj: unknown): JSONObject {
  const out: JSONObject = {};
  if (!isObject(obj)) return out;
  for (const [k, v] of Object.entries(obj)) {
    if (k === 'apiVersion' || k === 'kind' || k === 'status') continue;
    if (k === 'metadata' && isObject(v)) {
      const m: JSONObject = {};
      for (const [mk, mv] of Object.entries(v))
        if (!systemMeta.has(mk)) m[`f:${mk}`] = walk(kind, mv, ['metadata', mk]);
      if (Object.keys(m).length) out['f:metadata'] = m;
      continue;
    }
    out[`f:${k}`] = walk(kind, v, [k]);
  }
  return out;
}

function walk(kind: string, v: unknown, path: string[]): JSONObject {
  if (isObject(v)) {
    const out: JSONObject = {};
    for (const [k, x] of Object.entries(v)) out[`f:${k}`] = walk(kind, x, [...path, k]);
    return out;
  }
  if (Array.isArray(v)) {
    const meta = listMeta(kind, path);
    const out: JSONObject = {};
    if (meta.mergeKey && v.every(isObject)) {
      for (const item of v as JSONObject[]) {
        const entry = walk(kind, item, path);
        out[`k:${JSON.stringify({ [meta.mergeKey]: item[meta.mergeKey] })}`] = { '.': {}, ...entry };
      }
      return out;
    }
    if (meta.set) {
      for (const x of v) out[`v:${JSON.stringify(x)}`] = {};
      return out;
    }
  }
  return {};
}

/** Leaf paths of a FieldsV1 set (each a list of its keys). */
function leaves(set: JSONObject, prefix: string[] = [], out: string[][] = []): string[][] {
  for (const [k, v] of Object.entries(set)) {
    if (k === '.') continue;
    const p = [...prefix, k];
    if (isObject(v) && Object.keys(v).some((x) => x !== '.')) leaves(v, p, out);
    else out.push(p);
  }
  return out;
}

function has(set: JSONObject, path: readonly string[]): boolean {
  let cur: unknown = set;
  for (const k of path) {
    if (!isObject(cur) || !(k in cur)) return false;
    cur = cur[k];
  }
  return true;
}

/** Removes one FieldsV1 path from an object (a `k:` item or `v:` value goes as a whole). */
function removePath(obj: JSONObject, path: readonly string[]): void {
  let cur: unknown = obj;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i]!;
    const last = i === path.length - 1;
    if (seg.startsWith('f:')) {
      if (!isObject(cur)) return;
      const f = seg.slice(2);
      if (last) {
        delete cur[f];
        return;
      }
      cur = cur[f];
    } else if (seg.startsWith('k:') || seg.startsWith('v:')) {
      if (!Array.isArray(cur)) return;
      const want = JSON.parse(seg.slice(2)) as unknown;
      const at = seg.startsWith('v:')
        ? cur.findIndex((x) => JSON.stringify(x) === JSON.stringify(want))
        : cur.findIndex(
            (x) => isObject(x) && Object.entries(want as JSONObject).every(([k, v]) => x[k] === v),
          );
      if (at < 0) return;
      if (last || path[i + 1] === '.') {
        cur.splice(at, 1);
        return;
      }
      cur = cur[at];
    }
  }
}

export interface ApplyResult {
  object: JSONObject;
  managedFields: ManagedFieldsEntry[];
}

/** One field another manager owns with a different value than the one applied. */
export interface ApplyConflict {
  /** How the apiserver names the manager: `"kubectl-scale" using apps/v1`, `"helm"`. */
  manager: string;
  /** The field as structured-merge-diff prints a path: `.spec.replicas`, `.spec.ports[port=80,protocol="TCP"].name`. */
  field: string;
}

/** 409 Conflict: the applied configuration changes fields other managers own (kube-apiserver's words). */
export class ApplyConflictError extends NetlabError {
  override readonly name = 'ApplyConflictError';
  readonly code = 'NETLAB_APISERVER_APPLY_CONFLICT';
  constructor(readonly conflicts: readonly ApplyConflict[]) {
    super(conflictMessage(conflicts));
  }
}

function conflictMessage(conflicts: readonly ApplyConflict[]): string {
  if (conflicts.length === 1)
    return `Apply failed with 1 conflict: conflict with ${conflicts[0]!.manager}: ${conflicts[0]!.field}`;
  const byManager = new Map<string, string[]>();
  for (const c of conflicts) byManager.set(c.manager, [...(byManager.get(c.manager) ?? []), c.field]);
  const lines: string[] = [];
  for (const m of [...byManager.keys()].sort()) {
    lines.push(`conflicts with ${m}:`);
    for (const f of byManager.get(m)!) lines.push(`- ${f}`);
  }
  return `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`;
}

/** printManager: the name quoted, its subresource, and `using VERSION` for an Update manager. */
function managerName(m: ManagedFieldsEntry): string {
  let s = JSON.stringify(m.manager);
  if (m.subresource) s += ` with subresource ${JSON.stringify(m.subresource)}`;
  return m.operation === 'Update' ? `${s} using ${m.apiVersion}` : s;
}

/** A FieldsV1 path as fieldpath.Path.String() prints it. */
function pathText(path: readonly string[]): string {
  let out = '';
  for (const seg of path) {
    if (seg.startsWith('f:')) out += `.${seg.slice(2)}`;
    else if (seg.startsWith('k:')) {
      const key = JSON.parse(seg.slice(2)) as JSONObject;
      out += `[${Object.keys(key)
        .sort()
        .map((k) => `${k}=${JSON.stringify(key[k])}`)
        .join(',')}]`;
    } else if (seg.startsWith('v:')) out += `[=${seg.slice(2)}]`;
  }
  return out;
}

/** The value at a FieldsV1 path of an object (undefined when absent). */
function valueAt(obj: unknown, path: readonly string[]): unknown {
  let cur: unknown = obj;
  for (const seg of path) {
    if (cur === undefined) return undefined;
    if (seg.startsWith('f:')) cur = isObject(cur) ? cur[seg.slice(2)] : undefined;
    else if (seg.startsWith('k:')) {
      const want = JSON.parse(seg.slice(2)) as JSONObject;
      cur = Array.isArray(cur)
        ? cur.find((x) => isObject(x) && Object.entries(want).every(([k, v]) => x[k] === v))
        : undefined;
    } else if (seg.startsWith('v:')) {
      const want = seg.slice(2);
      cur = Array.isArray(cur) ? cur.find((x) => JSON.stringify(x) === want) : undefined;
    }
  }
  return cur;
}

/** Removes a leaf path from a FieldsV1 set, and the parents it leaves empty. */
function dropPath(set: JSONObject, path: readonly string[]): void {
  const [head, ...rest] = path;
  if (head === undefined || !(head in set)) return;
  if (rest.length === 0) {
    delete set[head];
    return;
  }
  const child = set[head];
  if (!isObject(child)) return;
  dropPath(child, rest);
  if (Object.keys(child).filter((k) => k !== '.').length === 0 && !('.' in child)) delete set[head];
}

const sameValue = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * Applies `applied` for `manager` on `live` (undefined: the object is created). Fields this manager
 * applied last time and leaves out now are removed unless another manager also owns them. A field
 * another manager owns and the applied configuration sets to another value is a conflict
 * (ApplyConflictError, 409) unless `force`, which moves the field to this manager.
 */
export function serverSideApply(
  kind: string,
  live: JSONObject | undefined,
  applied: JSONObject,
  manager: string,
  time: string,
  force = false,
): ApplyResult {
  const managed = structuredClone(
    ((live?.metadata as JSONObject | undefined)?.managedFields ?? []) as ManagedFieldsEntry[],
  );
  const mine = fieldsOf(kind, applied);
  const previous = managed.find((m) => m.manager === manager && m.operation === 'Apply');
  const others = managed.filter((m) => !(m.manager === manager && m.operation === 'Apply'));
  if (live) {
    const conflicts: ApplyConflict[] = [];
    for (const p of leaves(mine)) {
      if (sameValue(valueAt(live, p), valueAt(applied, p))) continue;
      for (const o of others) {
        if (!has(o.fieldsV1, p)) continue;
        if (force) dropPath(o.fieldsV1, p);
        else conflicts.push({ manager: managerName(o), field: pathText(p) });
      }
    }
    if (conflicts.length > 0) throw new ApplyConflictError(conflicts);
  }
  const merged = (live ? strategicMerge(kind, live, applied) : structuredClone(applied)) as JSONObject;
  if (previous) {
    for (const p of leaves(previous.fieldsV1)) {
      if (has(mine, p) || others.some((o) => has(o.fieldsV1, p))) continue;
      removePath(merged, p);
    }
  }
  const entry: ManagedFieldsEntry = {
    manager,
    operation: 'Apply',
    apiVersion: String(applied.apiVersion ?? ''),
    time,
    fieldsType: 'FieldsV1',
    fieldsV1: mine,
  };
  // A manager left with no fields is no longer listed.
  const kept = others.filter((o) => Object.keys(o.fieldsV1).length > 0);
  return { object: merged, managedFields: [...kept, entry] };
}

/** Adds a leaf path to a FieldsV1 set (a list item by key gets its `.` entry). */
function addPath(set: JSONObject, path: readonly string[]): void {
  let cur = set;
  for (const seg of path) {
    if (!isObject(cur[seg])) cur[seg] = {};
    cur = cur[seg] as JSONObject;
    if (seg.startsWith('k:') && !('.' in cur)) cur['.'] = {};
  }
}

/**
 * The managedFields after an Update (PUT or a non-apply PATCH) by `manager`: the fields it changed or
 * added move to its Update entry and leave every other manager, fields it removed leave everyone, as
 * kube-apiserver's field manager records an update. `managed` is what the request carried, else the
 * live object's.
 */
export function recordChange(
  kind: string,
  managed: readonly ManagedFieldsEntry[] | undefined,
  before: JSONObject,
  after: JSONObject,
  manager: string,
  apiVersion: string,
  time: string,
): ManagedFieldsEntry[] {
  const entries = structuredClone([...(managed ?? [])]);
  const beforeSet = fieldsOf(kind, before);
  const afterSet = fieldsOf(kind, after);
  const changed = leaves(afterSet).filter(
    (p) => !has(beforeSet, p) || !sameValue(valueAt(before, p), valueAt(after, p)),
  );
  const removed = leaves(beforeSet).filter((p) => !has(afterSet, p));
  if (changed.length === 0 && removed.length === 0) return entries;
  let mine = entries.find((m) => m.manager === manager && m.operation === 'Update' && !m.subresource);
  for (const m of entries) {
    if (m === mine) continue;
    for (const p of [...changed, ...removed]) dropPath(m.fieldsV1, p);
  }
  if (!mine) {
    mine = { manager, operation: 'Update', apiVersion, time, fieldsType: 'FieldsV1', fieldsV1: {} };
    entries.push(mine);
  }
  for (const p of removed) dropPath(mine.fieldsV1, p);
  for (const p of changed) addPath(mine.fieldsV1, p);
  mine.time = time;
  mine.apiVersion = apiVersion;
  return entries.filter((m) => Object.keys(m.fieldsV1).length > 0);
}

/**
 * An Update through the scale subresource: `manager` now owns `.spec.replicas` (subresource
 * `scale`), and every other manager loses it, as an Update takes the fields it changes.
 */
export function recordScale(
  managed: readonly ManagedFieldsEntry[] | undefined,
  manager: string,
  apiVersion: string,
  time: string,
): ManagedFieldsEntry[] {
  const path = ['f:spec', 'f:replicas'];
  const rest = structuredClone([...(managed ?? [])])
    .filter((m) => !(m.manager === manager && m.operation === 'Update' && m.subresource === 'scale'))
    .map((m) => {
      dropPath(m.fieldsV1, path);
      return m;
    })
    .filter((m) => Object.keys(m.fieldsV1).length > 0);
  return [...rest, updateEntry(manager, apiVersion, time, { 'f:spec': { 'f:replicas': {} } }, 'scale')];
}

/** The managedFields entry of an Update by `manager` (on `subresource` when there is one). */
function updateEntry(
  manager: string,
  apiVersion: string,
  time: string,
  fieldsV1: ManagedFieldsEntry['fieldsV1'],
  subresource?: string,
): ManagedFieldsEntry {
  return {
    manager,
    operation: 'Update',
    apiVersion,
    time,
    fieldsType: 'FieldsV1',
    fieldsV1,
    ...(subresource ? { subresource } : {}),
  };
}

/** The managedFields after a non-apply write by `manager`: its Update entry covers what it set. */
export function recordUpdate(
  kind: string,
  managed: readonly ManagedFieldsEntry[] | undefined,
  written: unknown,
  manager: string,
  apiVersion: string,
  time: string,
  subresource?: string,
): ManagedFieldsEntry[] {
  const rest = (managed ?? []).filter(
    (m) => !(m.manager === manager && m.operation === 'Update' && m.subresource === subresource),
  );
  const fieldsV1 = subresource === 'status' ? { 'f:status': {} } : fieldsOf(kind, written);
  return [...rest, updateEntry(manager, apiVersion, time, fieldsV1, subresource)];
}
