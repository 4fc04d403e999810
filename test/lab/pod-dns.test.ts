// A pod's DNS crosses the data plane: its queries go as UDP to the kube-dns ClusterIP through its
// node's rules and conntrack to a CoreDNS pod. A flow that outlives the DNS pod it was DNATed to is
// a stale conntrack entry: with kube-proxy's clean-up off its queries vanish; kube-proxy's clean-up
// (on by default) deletes the entry when the endpoint goes, and the same flow is answered again.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import type { Pod } from '../../api/index.js';
import { Cluster } from '../../lab/cluster.js';
import { ready, waitGone, waitPod } from './kubelet-fixture.js';

const agnhost = `{name: agnhost, image: registry.k8s.io/e2e-test-images/agnhost:2.53, args: [netexec, --http-port=8080], ports: [{containerPort: 8080}]}`;

const manifests = `apiVersion: v1
kind: Node
metadata: {name: node-a, labels: {kubernetes.io/hostname: node-a}}
status: {addresses: [{type: InternalIP, address: 192.168.49.2}]}
---
apiVersion: v1
kind: Node
metadata: {name: node-b, labels: {kubernetes.io/hostname: node-b}}
status: {addresses: [{type: InternalIP, address: 192.168.49.3}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: coredns, namespace: kube-system}
spec:
  replicas: 1
  selector: {matchLabels: {k8s-app: kube-dns}}
  template:
    metadata: {labels: {k8s-app: kube-dns}}
    spec:
      nodeSelector: {kubernetes.io/hostname: node-b}
      containers:
      - name: coredns
        image: registry.k8s.io/coredns/coredns:v1.11.3
        ports: [{name: dns, containerPort: 53, protocol: UDP}, {name: dns-tcp, containerPort: 53}]
        readinessProbe: {httpGet: {path: /ready, port: 8181}, periodSeconds: 1}
---
apiVersion: v1
kind: Service
metadata: {name: kube-dns, namespace: kube-system}
spec:
  selector: {k8s-app: kube-dns}
  clusterIP: 10.96.0.10
  ports: [{name: dns, port: 53, protocol: UDP}, {name: dns-tcp, port: 53, protocol: TCP}]
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec: {clusterIP: 10.96.0.80, selector: {app: web}, ports: [{port: 80, targetPort: 8080}]}
---
apiVersion: v1
kind: Pod
metadata: {name: web-1, namespace: default, labels: {app: web}}
spec: {nodeName: node-b, containers: [${agnhost}]}
---
apiVersion: v1
kind: Pod
metadata: {name: client, namespace: default}
spec:
  nodeName: node-a
  dnsConfig: {options: [{name: timeout, value: "1"}, {name: attempts, value: "1"}]}
  containers: [${agnhost}]
`;

async function boot(t: { teardown(fn: () => Promise<void>): void }, conntrackCleanup: boolean) {
  const dir = mkdtempSync(join(tmpdir(), 'netlab-poddns-'));
  const file = join(dir, 'app.yaml');
  writeFileSync(file, manifests);
  const cluster = await Cluster.boot({
    manifests: [file],
    dnsListen: { host: '127.0.0.1', port: 0 },
    kubelets: { second: 50, realSockets: false },
    dataplane: { proxyListen: false, entryListeners: false, conntrackCleanup },
  });
  t.teardown(async () => {
    await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const client = await waitPod(cluster.store, 'client', ready);
  await waitPod(cluster.store, 'web-1', ready);
  const dnsPod = await dnsReady(cluster);
  return { cluster, client, dnsPod };
}

/** The CoreDNS pod once it is Ready and kube-proxy on node-a DNATs to it. */
async function dnsReady(cluster: Cluster, not?: string): Promise<Pod> {
  const { store } = cluster;
  for (;;) {
    const pod = store
      .list('Pod', { namespace: 'kube-system' })
      .items.find((p) => p.metadata.name !== not && !p.metadata.deletionTimestamp);
    if (pod) {
      const ok = await waitPod(
        store,
        pod.metadata.name ?? '',
        (p) => ready(p) || !!p.metadata.deletionTimestamp,
        'kube-system',
      );
      if (ready(ok)) {
        await cluster.settled();
        if (cluster.proxiers.get('node-a')?.fullPayload().includes(`--to-destination ${ok.status?.podIP}:53`))
          return ok;
      }
    }
    await cluster.settled();
  }
}

/** The client's UDP conntrack entries on node-a, addresses replaced by names. */
function conntrack(cluster: Cluster, names: Record<string, string>): string[] {
  return cluster
    .dataplane!.dataplane.conntrack('node-a')
    .list({ proto: 'udp' })
    .split('\n')
    .filter((l) => l.includes('dport=53'))
    .map((l) => {
      const m = /src=(\S+) dst=(\S+) sport=(\d+) dport=53 src=(\S+) dst=\S+ sport=53/.exec(l);
      return m
        ? `${names[m[1]!] ?? m[1]}:${m[3]} -> ${names[m[2]!] ?? m[2]}:53 => ${names[m[4]!] ?? m[4]}`
        : l;
    });
}

async function lookup(cluster: Cluster, client: Pod, sourcePort: number): Promise<string> {
  try {
    const ips = await cluster.kubelets!.get('node-a')!.lookup(client, 'web.default.svc.cluster.local', 4, {
      sourcePort,
    });
    return ips.join(',');
  } catch (e) {
    return (e as { code?: string }).code ?? (e as Error).message;
  }
}

for (const cleanup of [false, true]) {
  t.test(`the DNS pod replaced, kube-proxy's UDP conntrack clean-up ${cleanup ? 'on' : 'off'}`, async (t) => {
    const { cluster, client, dnsPod } = await boot(t, cleanup);
    const names: Record<string, string> = {
      [client.status!.podIP!]: 'client',
      '10.96.0.10': 'kube-dns',
      [dnsPod.status!.podIP!]: 'coredns-old',
    };
    const rows: string[] = [];
    const row = async (what: string, port: number) => {
      const answer = await lookup(cluster, client, port);
      rows.push(`${what} | ${answer} | ${conntrack(cluster, names).join('; ')}`);
    };
    await row('lookup from port 41000', 41000);
    // The Deployment replaces its DNS pod; the new one gets another address.
    cluster.store.delete('Pod', dnsPod.metadata.name ?? '', {
      namespace: 'kube-system',
      gracePeriodSeconds: 0,
    });
    await waitGone(cluster.store, dnsPod.metadata.name ?? '', 'kube-system');
    const fresh = await dnsReady(cluster, dnsPod.metadata.name);
    names[fresh.status!.podIP!] = 'coredns-new';
    rows.push(`DNS pod replaced | | ${conntrack(cluster, names).join('; ')}`);
    await row('lookup from port 41000 again', 41000);
    await row('lookup from port 41001', 41001);
    t.same(
      rows,
      cleanup
        ? [
            'lookup from port 41000 | 10.96.0.80 | client:41000 -> kube-dns:53 => coredns-old',
            'DNS pod replaced | | ',
            'lookup from port 41000 again | 10.96.0.80 | client:41000 -> kube-dns:53 => coredns-new',
            'lookup from port 41001 | 10.96.0.80 | client:41000 -> kube-dns:53 => coredns-new; client:41001 -> kube-dns:53 => coredns-new',
          ]
        : [
            'lookup from port 41000 | 10.96.0.80 | client:41000 -> kube-dns:53 => coredns-old',
            'DNS pod replaced | | client:41000 -> kube-dns:53 => coredns-old',
            'lookup from port 41000 again | EAI_AGAIN | client:41000 -> kube-dns:53 => coredns-old',
            'lookup from port 41001 | 10.96.0.80 | client:41000 -> kube-dns:53 => coredns-old; client:41001 -> kube-dns:53 => coredns-new',
          ],
    );
  });
}
