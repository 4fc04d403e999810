// The cloud provider's service controller, as kind's cloud-provider-kind does it: a Service of type
// LoadBalancer (without a loadBalancerClass) gets an ingress IP from a pool (default
// 172.18.255.200-172.18.255.250) in status.loadBalancer.ingress; the IP goes back to the pool when the
// Service is deleted or stops being a LoadBalancer. On this machine every ingress IP:port is served
// by a loopback listener of the data plane; the mapping is written to the annotation
// `netlab.dev/loadbalancer-listen` ("172.18.255.200:80/TCP=127.18.255.200:80,...").
// Work is per event: one Service, one allocation.
import type { Service, Store } from '../../api/index.js';
import { loadBalancerLoopback, parseAddr } from '../../proxy/index.js';
import { formatGoIPv4 } from '../../std/index.js';
import { ControllerError } from './errors.js';

export const annotationLoadBalancerListen = 'netlab.dev/loadbalancer-listen';
export const defaultLoadBalancerPool = '172.18.255.200-172.18.255.250';

/** A range of IPv4 addresses, `first-last`, handed out lowest first. */
export class LoadBalancerPool {
  readonly #first: number;
  readonly #last: number;
  readonly #used = new Map<number, string>();

  constructor(range: string = defaultLoadBalancerPool) {
    const [a, b] = range.split('-');
    const first = a === undefined ? undefined : parseAddr(a.trim());
    const last = b === undefined ? first : parseAddr(b.trim());
    if (first === undefined || last === undefined || first.v6 || last.v6 || last.n < first.n) {
      throw new ControllerError(
        'NETLAB_CONTROLLER_LOADBALANCER_POOL',
        `loadBalancer pool "${range}": want FIRST-LAST, two IPv4 addresses in order`,
      );
    }
    this.#first = first.n;
    this.#last = last.n;
  }

  /** Marks `ip` as held by `owner` (an ingress found at start); false when outside the pool or taken. */
  occupy(ip: string, owner: string): boolean {
    const a = parseAddr(ip);
    if (a === undefined || a.v6 || a.n < this.#first || a.n > this.#last) return false;
    const held = this.#used.get(a.n);
    if (held !== undefined && held !== owner) return false;
    this.#used.set(a.n, owner);
    return true;
  }

  /** The lowest free address for `owner` (its own if it has one); undefined when the pool is exhausted. */
  allocate(owner: string, wanted?: string): string | undefined {
    for (const [n, o] of this.#used) if (o === owner) return formatGoIPv4(n);
    if (wanted !== undefined && this.occupy(wanted, owner)) return wanted;
    for (let n = this.#first; n <= this.#last; n++) {
      if (!this.#used.has(n)) {
        this.#used.set(n, owner);
        return formatGoIPv4(n);
      }
    }
    return undefined;
  }

  release(owner: string): void {
    for (const [n, o] of this.#used) if (o === owner) this.#used.delete(n);
  }
}

/** The annotation value for a Service's ports on an ingress IP. */
export function loadBalancerListen(
  svc: Service,
  ip: string,
  loopbackOf: (ip: string) => string | undefined = loadBalancerLoopback,
): string {
  const loopback = loopbackOf(ip) ?? ip;
  return (svc.spec.ports ?? [])
    .map((p) => `${ip}:${p.port}/${p.protocol ?? 'TCP'}=${loopback}:${p.port}`)
    .join(',');
}

const keyOf = (s: Service) => `${s.metadata.namespace ?? 'default'}/${s.metadata.name ?? ''}`;

function wantsIngress(s: Service): boolean {
  return s.spec.type === 'LoadBalancer' && (s.spec.loadBalancerClass ?? '') === '';
}

/**
 * Runs until `signal` aborts. `log` gets one line per Service that could not get an address, and
 * per mapping written (the lab prints those). `loopbackOf` is the data plane's listener address
 * for an ingress IP.
 */
export async function runLoadBalancerController(
  store: Store,
  pool: LoadBalancerPool,
  signal: AbortSignal,
  log: (line: string) => void,
  loopbackOf: (ip: string) => string | undefined = loadBalancerLoopback,
): Promise<void> {
  const reconcile = (svc: Service) => {
    const key = keyOf(svc);
    if (!wantsIngress(svc)) {
      pool.release(key);
      return;
    }
    const have = svc.status?.loadBalancer?.ingress?.[0]?.ip;
    const ip =
      have !== undefined && pool.occupy(have, key) ? have : pool.allocate(key, svc.spec.loadBalancerIP);
    if (ip === undefined) {
      log(`service-controller: Service ${key}: no free address in the loadBalancer pool`);
      return;
    }
    try {
      let current = svc;
      if (have !== ip) {
        current = store.updateStatus({
          ...svc,
          status: { loadBalancer: { ingress: [{ ip, ipMode: 'VIP' }] } },
        });
      }
      const listen = loadBalancerListen(current, ip, loopbackOf);
      if (current.metadata.annotations?.[annotationLoadBalancerListen] !== listen) {
        store.update({
          ...current,
          metadata: {
            ...current.metadata,
            annotations: { ...current.metadata.annotations, [annotationLoadBalancerListen]: listen },
          },
        });
        log(`loadbalancer ${key}: ${listen}`);
      }
    } catch (e) {
      // A conflicting write: the event it caused brings the Service back here.
      log(`service-controller: Service ${key}: ${(e as Error).message}`);
    }
  };
  const initial = store.list('Service');
  for (const s of initial.items) {
    const ip = s.status?.loadBalancer?.ingress?.[0]?.ip;
    if (wantsIngress(s) && ip !== undefined) pool.occupy(ip, keyOf(s));
  }
  for (const s of initial.items) reconcile(s);
  try {
    for await (const ev of store.watch('Service', { signal, resourceVersion: initial.resourceVersion })) {
      if (ev.type === 'DELETED') pool.release(keyOf(ev.object));
      else if (ev.type === 'ADDED' || ev.type === 'MODIFIED') {
        const current = store.find('Service', ev.object.metadata.name ?? '', ev.object.metadata.namespace);
        if (current) reconcile(current);
      }
    }
  } catch (e) {
    if (!signal.aborted) throw e;
  }
}
