// Pods' logs in a cluster under churn: a deleted pod's rings go once its kubelet is done with it,
// and a pod made again under the same name (a StatefulSet's, here or on another node) while the old
// one still terminates keeps its own lines: the old one's late lines stay out of it, and the old
// one's removal leaves it alone. `kubectl logs` is asked through the kube-API (pods/log), the rings
// through `cluster.podLogs`. Waits are on store watches and log lines, never sleeps.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import type { Pod } from '../../api/index.js';
import type { PodLogs } from '../../lab/apiserver/index.js';
import { Cluster } from '../../lab/cluster.js';
import { agnhostPod, ready, realAddress, waitGone, waitPod } from './kubelet-fixture.js';

const nodes = [0, 1]
  .map(
    (i) => `apiVersion: v1
kind: Node
metadata: {name: node-${i}}
spec: {podCIDR: 10.244.${i}.0/24, podCIDRs: [10.244.${i}.0/24]}
status:
  addresses: [{type: InternalIP, address: 192.168.49.${i + 2}}]
`,
  )
  .join('---\n');

/** web-0 on `node`; `stubborn`: it ignores SIGTERM, running until killed or asked to /exit. */
function web0(node: string, stubborn = false): Pod {
  return agnhostPod(
    'web-0',
    { nodeName: node, terminationGracePeriodSeconds: stubborn ? 3600 : 2 },
    {
      args: ['netexec', '--http-port=8080', '--udp-port=-1'],
      ports: [{ containerPort: 8080 }],
      ...(stubborn ? { env: [{ name: 'NETLAB_IGNORE_SIGTERM', value: 'true' }] } : {}),
    },
  );
}

/** Resolves once the cluster forgets the logs of the pod with `uid`. */
function removal(logs: PodLogs, uid: string): Promise<void> {
  return new Promise((resolve) => {
    const remove = logs.remove.bind(logs);
    logs.remove = (ns, pod, u) => {
      remove(ns, pod, u);
      if (u === uid) resolve();
    };
  });
}

// Each case runs once for each node named in `again` (where web-0 is made again): the answers are
// the same whether the new pod lands beside the old one or on another node.
const cases: { name: string; again?: string[]; want: string }[] = [
  {
    name: "a deleted pod's rings go with it",
    want: `old ready | logs: Started HTTP server on port 8080 | rings: old size=1
old deleted | logs: 404 NotFound pods "web-0" not found | rings: - size=0`,
  },
  {
    name: 'web-0 made again while the old one terminates',
    again: ['node-0', 'node-1'],
    want: `old ready | logs: Started HTTP server on port 8080 | rings: old size=1
old removed from the store | logs: 404 NotFound pods "web-0" not found | rings: old size=1
new ready | logs: Started HTTP server on port 8080 | rings: old new size=2
old serves a late request | logs: Started HTTP server on port 8080 | rings: old new size=2
old exited | logs: Started HTTP server on port 8080 | rings: new size=1
new deleted | logs: 404 NotFound pods "web-0" not found | rings: - size=0`,
  },
];

for (const c of cases)
  for (const again of c.again ?? [undefined])
    t.test(again ? `${c.name}, the new one on ${again}` : c.name, async (t) => {
      const dir = mkdtempSync(join(tmpdir(), 'netlab-pod-logs-'));
      t.teardown(() => rmSync(dir, { recursive: true, force: true }));
      writeFileSync(join(dir, 'nodes.yaml'), nodes);
      const cluster = await Cluster.boot({
        manifests: [join(dir, 'nodes.yaml')],
        dnsListen: { host: '127.0.0.1', port: 0 },
        kubelets: { second: 20 },
        dataplane: false,
        api: { host: '127.0.0.1', port: 0 },
      });
      t.teardown(() => cluster.stop());
      const { store, podLogs } = cluster;
      const url = `${cluster.api?.url}/api/v1/namespaces/default/pods/web-0/log`;
      const uids: Record<string, string> = {};
      const rows: string[] = [];
      const row = async (what: string) => {
        const r = await fetch(url);
        const body = await r.text();
        const logs = r.ok
          ? body.trimEnd().split('\n').join(' / ')
          : `${r.status} ${JSON.parse(body).reason} ${JSON.parse(body).message}`;
        const rings = Object.keys(uids).filter((k) => podLogs.has('default', 'web-0', uids[k]));
        rows.push(`${what} | logs: ${logs} | rings: ${rings.join(' ') || '-'} size=${podLogs.size}`);
      };

      store.create(web0('node-0', again !== undefined));
      const old = await waitPod(store, 'web-0', ready);
      uids.old = old.metadata.uid ?? '';
      await row('old ready');
      if (!again) {
        store.delete('Pod', 'web-0', { namespace: 'default' });
        // The kubelet removes the pod from the store, then forgets it, in one turn.
        await waitGone(store, 'web-0');
        await row('old deleted');
        t.equal(rows.join('\n'), c.want);
        return;
      }

      // A graceful delete the process ignores, then a forced one (grace 0): the object is gone, the
      // old container still runs (its kubelet waits out the grace period it began with).
      store.delete('Pod', 'web-0', { namespace: 'default' });
      store.delete('Pod', 'web-0', { namespace: 'default', gracePeriodSeconds: 0 });
      await waitGone(store, 'web-0');
      await row('old removed from the store');

      store.create(web0(again));
      const made = await waitPod(store, 'web-0', (p) => p.metadata.uid !== uids.old && ready(p));
      uids.new = made.metadata.uid ?? '';
      await row('new ready');

      // A late line of the old pod: a request to its own socket, answered while it terminates.
      const oldAt = `http://${realAddress(old, '8080/TCP')}`;
      t.equal(await (await fetch(`${oldAt}/hostname`)).text(), 'web-0');
      t.same(
        podLogs.read('default', 'web-0', 'agnhost', { uid: uids.old }).map((l) => l.text),
        ['Started HTTP server on port 8080', 'GET /hostname'],
        'the late line is the old pod’s',
      );
      await row('old serves a late request');

      // The old process exits (agnhost's /exit): its kubelet tears it down and forgets it.
      const removed = removal(podLogs, uids.old);
      await fetch(`${oldAt}/exit`).catch(() => {});
      await removed;
      await row('old exited');

      store.delete('Pod', 'web-0', { namespace: 'default' });
      await waitGone(store, 'web-0');
      await row('new deleted');
      t.equal(rows.join('\n'), c.want);
    });
