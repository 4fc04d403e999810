// From the slices a Service should have (the policy, reconcileEndpointSlices) and the slices it has,
// the writes that get there while keeping what exists: k8s.io/endpointslice reconciler.go
// (reconcileByAddressType, reconcileByPortMapping, finalize). Existing slices keep their names and
// are updated in place, slices being updated are filled before new ones are created, a create that
// meets a slice about to be deleted becomes an update of it, and nothing that did not change is
// written. Pure: the controller applies the result.
import { deepEqual, type Endpoint, type EndpointSlice, type Service } from '../../api/index.js';
import { portMapKey } from './endpointslice.js';

export interface EndpointSliceChanges {
  /** New slices: each has `generateName`, and `name` when the policy's name for it was free. */
  create: EndpointSlice[];
  /** Existing slices with new endpoints or labels (their names and resourceVersions kept). */
  update: EndpointSlice[];
  delete: EndpointSlice[];
}

/**
 * endpointsliceutil's endpoint hash: addresses (sorted), hostname and the target's namespace/name
 * say which endpoint it is; everything else is state that an update may change.
 */
export function endpointIdentity(ep: Endpoint): string {
  const addrs = ep.addresses.length > 1 ? [...ep.addresses].sort() : ep.addresses;
  return `${addrs.join(',')}\u0000${ep.hostname ?? ''}\u0000${ep.targetRef?.namespace ?? ''}/${ep.targetRef?.name ?? ''}`;
}

/** EndpointsEqualBeyondHash: the state of one endpoint (conditions, node, zone, hints, target). */
function endpointsEqualBeyondIdentity(a: Endpoint, b: Endpoint): boolean {
  return (
    (a.conditions?.ready ?? null) === (b.conditions?.ready ?? null) &&
    (a.conditions?.serving ?? null) === (b.conditions?.serving ?? null) &&
    (a.conditions?.terminating ?? null) === (b.conditions?.terminating ?? null) &&
    a.nodeName === b.nodeName &&
    a.zone === b.zone &&
    deepEqual(a.hints, b.hints) &&
    deepEqual(a.targetRef, b.targetRef)
  );
}

function ownedBy(slice: EndpointSlice, service: Service): boolean {
  return (slice.metadata.ownerReferences ?? []).some(
    (r) => r.kind === 'Service' && r.apiVersion === 'v1' && r.uid === service.metadata.uid,
  );
}

interface DesiredGroup {
  template: EndpointSlice;
  endpoints: Map<string, Endpoint>;
}

/**
 * The creates, updates and deletes that turn `existing` (the Service's slices managed by this
 * controller) into what `desired` describes, with at most `maxEndpointsPerSlice` endpoints each.
 *
 * @example
 * const { slices } = reconcileEndpointSlices(svc, pods, nodes);
 * const { create, update, delete: gone } = planEndpointSliceChanges(svc, existing, slices, 100);
 */
export function planEndpointSliceChanges(
  service: Service,
  existing: readonly EndpointSlice[],
  desired: readonly EndpointSlice[],
  maxEndpointsPerSlice: number,
): EndpointSliceChanges {
  const create: EndpointSlice[] = [];
  const update: EndpointSlice[] = [];
  const remove: EndpointSlice[] = [];
  const addressTypes = new Set<EndpointSlice['addressType']>();
  for (const s of desired) addressTypes.add(s.addressType);
  // Slices of an address type the Service no longer has go.
  for (const s of existing) if (!addressTypes.has(s.addressType)) remove.push(s);

  for (const addressType of addressTypes) {
    const createsBefore = create.length;
    const removesBefore = remove.length;
    const existingOfType = existing.filter((s) => s.addressType === addressType);
    const byPorts = new Map<string, EndpointSlice[]>();
    for (const s of existingOfType) {
      if (!ownedBy(s, service)) {
        remove.push(s);
        continue;
      }
      const key = portMapKey(s.ports ?? []);
      const list = byPorts.get(key);
      if (list) list.push(s);
      else byPorts.set(key, [s]);
    }
    const groups = new Map<string, DesiredGroup>();
    let placeholder: EndpointSlice | undefined;
    for (const s of desired) {
      if (s.addressType !== addressType) continue;
      if (!s.endpoints || s.endpoints.length === 0) {
        placeholder = s;
        continue;
      }
      const key = portMapKey(s.ports ?? []);
      let g = groups.get(key);
      if (!g) {
        g = { template: s, endpoints: new Map() };
        groups.set(key, g);
      }
      for (const ep of s.endpoints) g.endpoints.set(endpointIdentity(ep), ep);
    }
    for (const [key, g] of groups) {
      reconcileByPortMapping(g, byPorts.get(key) ?? [], maxEndpointsPerSlice, create, update, remove);
    }
    for (const [key, slices] of byPorts) if (!groups.has(key)) remove.push(...slices);
    // "When no endpoint slices would usually exist, we need to add a placeholder."
    const removedOfType = remove.length - removesBefore;
    if (existingOfType.length === removedOfType && create.length === createsBefore && placeholder) {
      const last = remove[remove.length - 1];
      if (removedOfType === 1 && last && isPlaceholderLike(last, placeholder)) remove.pop();
      else {
        const { name: _n, ...meta } = placeholder.metadata;
        create.push({ ...placeholder, metadata: meta });
      }
    }
  }
  const changes = finalize(service, create, update, remove);
  // The policy names its slices deterministically; creates take those names that no slice of this
  // Service holds, in order (the API server would draw random suffixes).
  const taken = new Set(existing.map((s) => s.metadata.name));
  const names = desired.map((s) => s.metadata.name).filter((n): n is string => !!n && !taken.has(n));
  for (const s of changes.create) {
    const name = names.shift();
    if (name) s.metadata = { name, ...s.metadata };
  }
  return changes;
}

/** The placeholder comparison: no endpoints, no ports, same labels and owner. */
function isPlaceholderLike(have: EndpointSlice, placeholder: EndpointSlice): boolean {
  return (
    (have.endpoints ?? []).length === 0 &&
    (have.ports ?? []).length === 0 &&
    deepEqual(have.metadata.labels ?? {}, placeholder.metadata.labels ?? {})
  );
}

function reconcileByPortMapping(
  group: DesiredGroup,
  existing: readonly EndpointSlice[],
  max: number,
  create: EndpointSlice[],
  update: EndpointSlice[],
  remove: EndpointSlice[],
): void {
  const want = new Map(group.endpoints);
  const labels = group.template.metadata.labels ?? {};
  const toUpdate: EndpointSlice[] = [];
  const unchanged: EndpointSlice[] = [];
  // 1. Drop endpoints no longer desired and refresh the ones that changed, slice by slice.
  for (const slice of existing) {
    const kept: Endpoint[] = [];
    let changed = false;
    for (const ep of slice.endpoints ?? []) {
      const id = endpointIdentity(ep);
      const got = want.get(id);
      if (!got) continue;
      kept.push(got);
      if (!endpointsEqualBeyondIdentity(got, ep)) changed = true;
      want.delete(id);
    }
    const labelsChanged = !deepEqual(slice.metadata.labels ?? {}, labels);
    if (changed || kept.length !== (slice.endpoints ?? []).length) {
      if (kept.length === 0) remove.push(slice);
      else toUpdate.push(withEndpoints(slice, kept, labels));
    } else if (labelsChanged) {
      toUpdate.push(withEndpoints(slice, kept, labels));
    } else unchanged.push(slice);
  }
  // 2. Fill the slices being updated anyway, fullest first.
  if (want.size > 0 && toUpdate.length > 0) {
    toUpdate.sort((a, b) => (b.endpoints?.length ?? 0) - (a.endpoints?.length ?? 0));
    for (const slice of toUpdate) fill(slice, want, max);
  }
  // 3. What is left goes into one unchanged slice with room for all of it, else into new slices.
  while (want.size > 0) {
    let target: EndpointSlice | undefined;
    if (want.size < max && unchanged.length > 0) {
      const i = sliceToFill(unchanged, want.size, max);
      if (i >= 0) {
        target = withEndpoints(unchanged[i]!, [...(unchanged[i]!.endpoints ?? [])], labels);
        unchanged.splice(i, 1);
        toUpdate.push(target);
      }
    }
    if (!target) {
      const { name: _n, ...meta } = group.template.metadata;
      target = { ...group.template, metadata: meta, endpoints: [] };
      create.push(target);
    }
    fill(target, want, max);
  }
  update.push(...toUpdate);
}

/** getSliceToFill: the fullest unchanged slice that still has room for all that is left. */
function sliceToFill(slices: readonly EndpointSlice[], need: number, max: number): number {
  let best = -1;
  let bestLen = -1;
  slices.forEach((s, i) => {
    const len = s.endpoints?.length ?? 0;
    if (max - len >= need && len > bestLen) {
      best = i;
      bestLen = len;
    }
  });
  return best;
}

function fill(slice: EndpointSlice, want: Map<string, Endpoint>, max: number): void {
  const eps = slice.endpoints ?? [];
  for (const [id, ep] of want) {
    if (eps.length >= max) break;
    eps.push(ep);
    want.delete(id);
  }
  slice.endpoints = eps;
}

function withEndpoints(
  slice: EndpointSlice,
  endpoints: Endpoint[],
  labels: Record<string, string>,
): EndpointSlice {
  return { ...slice, metadata: { ...slice.metadata, labels: { ...labels } }, endpoints };
}

/**
 * finalize: a create meeting a delete of the same address type becomes an update of the slice that
 * would have gone, under its name. The policy's deterministic names go to the remaining creates
 * when no existing slice of this Service holds them.
 */
function finalize(
  service: Service,
  create: EndpointSlice[],
  update: EndpointSlice[],
  remove: EndpointSlice[],
): EndpointSliceChanges {
  for (let i = 0; i < remove.length && create.length > 0; ) {
    const gone = remove[i]!;
    const slice = create[create.length - 1]!;
    if (gone.addressType === slice.addressType && ownedBy(gone, service)) {
      create.pop();
      const { generateName: _g, ...meta } = slice.metadata;
      update.push({
        ...slice,
        metadata: {
          ...gone.metadata,
          labels: meta.labels ?? {},
          ownerReferences: meta.ownerReferences ?? [],
        },
      });
      remove.splice(i, 1);
    } else i++;
  }
  return { create: create.map(normalize), update: update.map(normalize), delete: remove };
}

/** Empty lists are stored as null, as the API server returns them. */
function normalize(slice: EndpointSlice): EndpointSlice {
  const eps = slice.endpoints && slice.endpoints.length > 0 ? slice.endpoints : null;
  const ports = slice.ports && slice.ports.length > 0 ? slice.ports : null;
  return { ...slice, endpoints: eps, ports };
}
