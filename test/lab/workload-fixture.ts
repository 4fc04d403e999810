// The controllers alone on a store, with a FakeClock and a stand-in for the kubelets, for the
// workload tests (Deployments, StatefulSets, node lifecycle).
import { type Node, Store } from '../../api/index.js';
import { FakeClock } from '../../lab/controllers/clock.js';
import { ControllerManager } from '../../lab/controllers/index.js';

/**
 * A stand-in for the kubelets, so these tests see the controllers alone: a bound Pod gets the next
 * address of its Node's podCIDR and Running; Ready only when the test says; a deleting Pod stays
 * terminating until the test finishes it.
 */
export class Kubelets {
  readonly #next = new Map<string, number>();
  constructor(
    readonly store: Store,
    readonly clock: FakeClock,
  ) {}

  /** Starts every bound Pod that has no address yet. */
  start(): void {
    for (const p of this.store.list('Pod').items) {
      if (!p.spec.nodeName || p.status?.podIP || p.metadata.deletionTimestamp) continue;
      const node = this.store.get('Node', p.spec.nodeName, '');
      const cidr = node.spec?.podCIDR ?? '10.244.0.0/24';
      const n = (this.#next.get(cidr) ?? 1) + 1;
      this.#next.set(cidr, n);
      const ip = cidr.replace(/\.0\/24$/, `.${n}`);
      this.store.updateStatus({
        ...p,
        status: {
          ...p.status,
          phase: 'Running',
          podIP: ip,
          podIPs: [{ ip }],
          conditions: [{ type: 'Ready', status: 'False' }],
        },
      });
    }
  }

  /** Marks running Pods Ready (all, or the named ones). */
  ready(names?: string[]): void {
    const at = new Date(this.clock.now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
    for (const p of this.store.list('Pod').items) {
      if (!p.status?.podIP || p.metadata.deletionTimestamp) continue;
      if (names && !names.includes(p.metadata.name ?? '')) continue;
      if (p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) continue;
      this.store.updateStatus({
        ...p,
        status: { ...p.status, conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: at }] },
      });
    }
  }

  /** Ends every terminating Pod. */
  finishDeletions(): void {
    for (const p of this.store.list('Pod').items)
      if (p.metadata.deletionTimestamp)
        this.store.delete('Pod', p.metadata.name ?? '', {
          namespace: p.metadata.namespace ?? 'default',
          gracePeriodSeconds: 0,
        });
  }
}

export function node(name: string, zone: string, extra: Partial<Node> = {}): Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'topology.kubernetes.io/zone': zone, 'kubernetes.io/hostname': name } },
    spec: { podCIDR: `10.244.${name.slice(-1)}.0/24`, podCIDRs: [`10.244.${name.slice(-1)}.0/24`] },
    ...extra,
  };
}

export function boot(t: { teardown(fn: () => void): void }) {
  const clock = new FakeClock();
  const store = new Store({ bookmarkIntervalMs: 0, now: () => new Date(clock.now()) });
  const ac = new AbortController();
  const cm = new ControllerManager(store, { signal: ac.signal, clock });
  t.teardown(() => {
    ac.abort();
    store.close();
  });
  return { store, cm, clock, kubelets: new Kubelets(store, clock), stopControllers: () => ac.abort() };
}

export function endpointsText(store: Store, svc: string): string {
  const eps = store
    .list('EndpointSlice', { labelSelector: `kubernetes.io/service-name=${svc}` })
    .items.flatMap((s) => s.endpoints ?? [])
    .map((e) => {
      const c = e.conditions ?? {};
      const flags = `${c.ready ? 'R' : '-'}${c.serving ? 'S' : '-'}${c.terminating ? 'T' : '-'}`;
      return `${e.targetRef?.name}=${flags}`;
    })
    .sort();
  return eps.join(' ');
}
