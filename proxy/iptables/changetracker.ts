// kube-proxy's ServiceChangeTracker: `{previous, current}` per Service (as service-port records of
// this IP family), accumulated between syncs; a change that ends where it started is dropped. The
// EndpointSlice side lives in endpoints.ts (EndpointSliceCache keeps the same pending/applied pair).
import type { IPFamily, Service } from '../../api/index.js';
import { type ServicePortInfo, serviceToServicePortMap } from './serviceport.js';

export type ServicePortMap = Map<string, ServicePortInfo>;

export interface ServiceChange {
  previous: ServicePortMap;
  current: ServicePortMap;
}

function portMapsEqual(a: ServicePortMap, b: ServicePortMap): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) {
    const w = b.get(k);
    if (!w || w.signature !== v.signature) return false;
  }
  return true;
}

export function serviceKey(svc: Service): string {
  return `${svc.metadata.namespace || 'default'}/${svc.metadata.name ?? ''}`;
}

export class ServiceChangeTracker {
  readonly #family: IPFamily;
  readonly #items = new Map<string, ServiceChange>();

  constructor(family: IPFamily) {
    this.#family = family;
  }

  /**
   * Records an add (previous undefined), update, or delete (current undefined). Returns whether
   * any change is pending, as kube-proxy's `Update` does.
   */
  update(previous: Service | undefined, current: Service | undefined): boolean {
    const svc = current ?? previous;
    if (!svc) return this.#items.size > 0;
    const key = serviceKey(svc);
    let change = this.#items.get(key);
    if (!change) {
      change = {
        previous: previous ? serviceToServicePortMap(previous, this.#family) : new Map(),
        current: new Map(),
      };
      this.#items.set(key, change);
    }
    change.current = current ? serviceToServicePortMap(current, this.#family) : new Map();
    if (portMapsEqual(change.previous, change.current)) this.#items.delete(key);
    return this.#items.size > 0;
  }

  pending(): number {
    return this.#items.size;
  }

  /** Hands over the accumulated changes and starts afresh. */
  checkout(): Map<string, ServiceChange> {
    const out = new Map(this.#items);
    this.#items.clear();
    return out;
  }
}
