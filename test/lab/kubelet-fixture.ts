// A store with Nodes and kubelets on them, for kubelet and image tests. Durations are short: one
// "second" of the cluster is `second` milliseconds. Waits are on store watch events, never sleeps.
import type { Pod, Store as StoreT } from '../../api/index.js';
import { Store } from '../../api/index.js';
import { builtinImages } from '../../lab/images/index.js';
import { Kubelets, type KubeletsOptions } from '../../lab/kubelet/index.js';

export interface Lab {
  store: StoreT;
  kubelets: Kubelets;
  /** Events recorded in the store, oldest first, as `reason: message`. */
  events(): string[];
  stopping: string[];
  stop(): Promise<void>;
}

export function startLab(opts: Partial<KubeletsOptions> & { nodes?: number } = {}): Lab {
  const store = new Store({ bookmarkIntervalMs: 0 });
  const n = opts.nodes ?? 1;
  for (let i = 0; i < n; i++)
    store.create({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: `node-${i}` },
      spec: { podCIDR: `10.244.${i}.0/24`, podCIDRs: [`10.244.${i}.0/24`] },
      status: { addresses: [{ type: 'InternalIP', address: `192.168.49.${i + 2}` }] },
    });
  const stopping: string[] = [];
  const kubelets = new Kubelets(store, {
    images: builtinImages(),
    second: 20,
    backoffInitialSeconds: 1,
    backoffMaxSeconds: 4,
    onStopping: (pod, c) => stopping.push(`${pod.metadata.name}/${c}`),
    ...opts,
  });
  kubelets.start();
  return {
    store,
    kubelets,
    events: () =>
      store
        .list('Event')
        .items.sort((a, b) => Number(a.metadata.resourceVersion) - Number(b.metadata.resourceVersion))
        .map((e) => `${e.reason}: ${e.message}`),
    stopping,
    async stop() {
      await kubelets.stop();
      store.close();
    },
  };
}

/** Resolves with the pod once `ok` holds for it (checked now and on every change). */
export async function waitPod(
  store: StoreT,
  name: string,
  ok: (p: Pod) => boolean,
  ns = 'default',
): Promise<Pod> {
  const now = store.find('Pod', name, ns);
  if (now && ok(now)) return now;
  const ac = new AbortController();
  for await (const ev of store.watch('Pod', {
    fieldSelector: `metadata.name=${name}`,
    resourceVersion: store.resourceVersion,
    signal: ac.signal,
  })) {
    if (ev.type !== 'DELETED' && ok(ev.object)) {
      ac.abort();
      return ev.object;
    }
  }
  throw new Error(`pod ${name}: watch ended`);
}

/** Resolves once the pod is gone from the store. */
export async function waitGone(store: StoreT, name: string, ns = 'default'): Promise<void> {
  if (!store.find('Pod', name, ns)) return;
  const ac = new AbortController();
  for await (const ev of store.watch('Pod', {
    fieldSelector: `metadata.name=${name}`,
    resourceVersion: store.resourceVersion,
    signal: ac.signal,
  })) {
    if (ev.type === 'DELETED') {
      ac.abort();
      return;
    }
  }
}

export function agnhostPod(
  name: string,
  spec: Record<string, unknown> = {},
  container: Record<string, unknown> = {},
): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { app: 'web' } },
    spec: {
      nodeName: 'node-0',
      containers: [
        {
          name: 'agnhost',
          image: 'registry.k8s.io/e2e-test-images/agnhost:2.53',
          args: ['netexec', '--http-port=8080', '--udp-port=8081'],
          ports: [{ containerPort: 8080 }, { containerPort: 8081, protocol: 'UDP' }],
          ...container,
        },
      ],
      ...spec,
    },
  } as Pod;
}

export const ready = (p: Pod) => p.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';

/** The real loopback address of a container port, from netlab.dev/listen. */
export function realAddress(p: Pod, port: string): string {
  const entry = (p.metadata.annotations?.['netlab.dev/listen'] ?? '')
    .split(',')
    .find((e) => e.startsWith(`${port}=`));
  if (!entry) throw new Error(`pod ${p.metadata.name}: no ${port} in netlab.dev/listen`);
  return entry.slice(port.length + 1);
}
