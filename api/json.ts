// JSON helpers for the plain JSON objects the store holds and hands out: copy, RFC 7386 merge
// patch, key-order-blind equality, and freezing what the store hands out.

/**
 * A deep copy of a JSON value. Objects in the store are plain JSON, and structuredClone (which
 * handles every type there is) costs about ten times as much: it was most of a create.
 */
export function cloneJSON<T>(v: T): T {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) {
    const out = new Array(v.length);
    for (let i = 0; i < v.length; i++) out[i] = cloneJSON(v[i]);
    return out as T;
  }
  const out: Record<string, unknown> = {};
  for (const k in v) if (Object.hasOwn(v, k)) out[k] = cloneJSON((v as Record<string, unknown>)[k]);
  return out as T;
}

/** RFC 7386 JSON merge patch. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return cloneJSON(patch);
  const out: Record<string, unknown> =
    target !== null && typeof target === 'object' && !Array.isArray(target)
      ? { ...(target as Record<string, unknown>) }
      : {};
  for (const [k, v] of Object.entries(patch as Record<string, unknown>)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/** Semantic equality of JSON values: key order does not matter, absent equals undefined. */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    if (a.length !== bb.length) return false;
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], bb[i])) return false;
    return true;
  }
  // Every key of either side (no set of the keys built: this runs on every write).
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  for (const k in ao) if (Object.hasOwn(ao, k) && !deepEqual(ao[k], bo[k])) return false;
  for (const k in bo) if (Object.hasOwn(bo, k) && !Object.hasOwn(ao, k) && bo[k] !== undefined) return false;
  return true;
}

const jsonTexts = new WeakMap<object, string>();

/**
 * JSON.stringify of an object the store handed out. Those are frozen, so the text is made once and
 * kept while the object lives: a hundred watchers of one change serialize it once, not each.
 * Objects that are not frozen are serialized every time.
 */
export function jsonOf(o: object): string {
  if (!Object.isFrozen(o)) return JSON.stringify(o);
  let text = jsonTexts.get(o);
  if (text === undefined) {
    text = JSON.stringify(o);
    jsonTexts.set(o, text);
  }
  return text;
}

/**
 * Freezes a JSON value and everything in it: what the store hands out is read-only. A frozen object
 * is one the store froze, so it is frozen all the way down and the walk stops there.
 */
export function deepFreeze<T>(o: T): T {
  if (o !== null && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o);
    if (Array.isArray(o)) for (let i = 0; i < o.length; i++) deepFreeze(o[i]);
    else for (const k in o) if (Object.hasOwn(o, k)) deepFreeze((o as Record<string, unknown>)[k]);
  }
  return o;
}

/**
 * A copy whose top is its own and everything below it frozen (frozen values shared, the rest
 * copied and frozen as it is copied): for a part the write path changes only at its top, so the
 * store's freeze at the end stops at the top instead of walking the copy a second time.
 */
export function cloneFrozenBelow<T>(v: T): T {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) {
    const out = new Array(v.length);
    for (let i = 0; i < v.length; i++) out[i] = cloneFrozen(v[i]);
    return out as T;
  }
  const out: Record<string, unknown> = {};
  for (const k in v) if (Object.hasOwn(v, k)) out[k] = cloneFrozen((v as Record<string, unknown>)[k]);
  return out as T;
}

/** cloneShared's copy, frozen all the way down as it is made. */
function cloneFrozen<T>(v: T): T {
  if (v === null || typeof v !== 'object' || Object.isFrozen(v)) return v;
  if (Array.isArray(v)) {
    const out = new Array(v.length);
    for (let i = 0; i < v.length; i++) out[i] = cloneFrozen(v[i]);
    return Object.freeze(out) as T;
  }
  const out: Record<string, unknown> = {};
  for (const k in v) if (Object.hasOwn(v, k)) out[k] = cloneFrozen((v as Record<string, unknown>)[k]);
  return Object.freeze(out) as T;
}

/**
 * cloneJSON that keeps frozen values as they are: those are the store's own (frozen all the way
 * down, never changed again), so a new version can share them with the old one, or a Pod with its
 * ReplicaSet's template. Whoever writes into the copy may only write where it was copied.
 */
export function cloneShared<T>(v: T): T {
  if (v === null || typeof v !== 'object' || Object.isFrozen(v)) return v;
  if (Array.isArray(v)) {
    const out = new Array(v.length);
    for (let i = 0; i < v.length; i++) out[i] = cloneShared(v[i]);
    return out as T;
  }
  const out: Record<string, unknown> = {};
  for (const k in v) if (Object.hasOwn(v, k)) out[k] = cloneShared((v as Record<string, unknown>)[k]);
  return out as T;
}
