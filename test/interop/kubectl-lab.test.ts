// The real kubectl (v1.32) against a lab that runs: controllers and kubelets (in-process images, no
// real sockets, no data plane) behind the kube-API, one lab for the file. `scale deploy/web
// --replicas=5` ends with five ready endpoints in the Service's EndpointSlice; server-side apply by
// two field managers conflicts on .spec.replicas with kube-apiserver's words, --force-conflicts
// takes the field over, and a scale's owner conflicts too.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import type { AnyObject } from '../../api/index.js';
import { writeKubeconfig } from '../../lab/apiserver/index.js';
import { Cluster } from '../../lab/cluster.js';
import { interopTest } from '../index.js';

const kubectl = ['/usr/bin/kubectl', '/usr/local/bin/kubectl'].find((p) => existsSync(p));
const missing = kubectl ? false : 'kubectl not installed (v1.32 from the Kubernetes release: dl.k8s.io)';

const dir = mkdtempSync(join(tmpdir(), 'netlab-kubectl-lab-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

const nodes = `apiVersion: v1
kind: Node
metadata: {name: node-a}
status: {addresses: [{type: InternalIP, address: 192.168.49.2}]}
---
apiVersion: v1
kind: Node
metadata: {name: node-b}
status: {addresses: [{type: InternalIP, address: 192.168.49.3}]}
`;

const web = (replicas: number) => `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: agnhost
        image: registry.k8s.io/e2e-test-images/agnhost:2.53
        args: [netexec, --http-port=8080]
        ports: [{name: http, containerPort: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: http}]
`;

async function boot() {
  writeFileSync(join(dir, 'nodes.yaml'), nodes);
  const cluster = await Cluster.boot({
    manifests: [join(dir, 'nodes.yaml')],
    dnsListen: { host: '127.0.0.1', port: 0 },
    kubelets: { second: 50, realSockets: false },
    dataplane: false,
    api: { host: '127.0.0.1', port: 0 },
  });
  t.teardown(() => cluster.stop());
  const kubeconfig = join(dir, 'kubeconfig');
  writeKubeconfig(kubeconfig, { server: cluster.api!.url });
  const k = (...args: string[]) =>
    new Promise<{ code: number; out: string; err: string }>((resolve) => {
      execFile(
        kubectl!,
        args,
        { env: { ...process.env, KUBECONFIG: kubeconfig, HOME: dir }, timeout: 60_000 },
        (e, out, err) => resolve({ code: e ? ((e as { code?: number }).code ?? 1) : 0, out, err }),
      );
    });
  return { cluster, k };
}

const lab = missing ? undefined : boot();

/** Resolves once `check` holds for the store's EndpointSlices of Service web (watched, not polled). */
async function slicesUntil(cluster: Cluster, check: (slices: AnyObject[]) => boolean): Promise<AnyObject[]> {
  const ac = new AbortController();
  const read = () =>
    cluster.store.list('EndpointSlice', { labelSelector: 'kubernetes.io/service-name=web' })
      .items as AnyObject[];
  try {
    const list = cluster.store.list('EndpointSlice');
    if (check(read())) return read();
    for await (const _ of cluster.store.watch('EndpointSlice', {
      resourceVersion: list.resourceVersion,
      signal: ac.signal,
    })) {
      if (check(read())) return read();
    }
  } finally {
    ac.abort();
  }
  throw new Error('the watch ended');
}

const readyEndpoints = (slices: AnyObject[]) =>
  slices.flatMap((s) =>
    ((s as { endpoints?: { conditions?: { ready?: boolean } }[] }).endpoints ?? []).filter(
      (e) => e.conditions?.ready === true,
    ),
  ).length;

interopTest(
  t,
  'kubectl scale deploy/web --replicas=5: the EndpointSlice lists 5 ready endpoints',
  missing,
  async (t) => {
    const { cluster, k } = await lab!;
    writeFileSync(join(dir, 'web.yaml'), web(2));
    t.same(await k('apply', '-f', join(dir, 'web.yaml')), {
      code: 0,
      out: 'deployment.apps/web created\nservice/web created\n',
      err: '',
    });
    await slicesUntil(cluster, (s) => readyEndpoints(s) === 2);
    t.same(await k('scale', 'deploy/web', '--replicas=5'), {
      code: 0,
      out: 'deployment.apps/web scaled\n',
      err: '',
    });
    const slices = await slicesUntil(cluster, (s) => readyEndpoints(s) === 5);
    t.equal(readyEndpoints(slices), 5, 'five ready endpoints');
    const got = await k(
      'get',
      'endpointslices',
      '-l',
      'kubernetes.io/service-name=web',
      '-o',
      'jsonpath={range .items[*].endpoints[*]}{.conditions.ready} {end}',
    );
    t.same(got, { code: 0, out: 'true true true true true ', err: '' });
    t.same(await k('rollout', 'status', 'deploy/web', '--timeout=60s'), {
      code: 0,
      out: 'deployment "web" successfully rolled out\n',
      err: '',
    });
  },
);

interopTest(
  t,
  'kubectl rollout restart: a new ReplicaSet takes over, its pods become the endpoints',
  missing,
  async (t) => {
    const { cluster, k } = await lab!;
    const before = new Set(
      cluster.store.list('Pod', { labelSelector: 'app=web' }).items.map((p) => p.metadata.name),
    );
    t.same(await k('rollout', 'restart', 'deploy/web'), {
      code: 0,
      out: 'deployment.apps/web restarted\n',
      err: '',
    });
    const status = await k('rollout', 'status', 'deploy/web', '--timeout=120s');
    t.equal(status.code, 0, status.err);
    t.match(status.out, /deployment "web" successfully rolled out\n$/);
    const sets = cluster.store
      .list('ReplicaSet', { labelSelector: 'app=web' })
      .items.map(
        (rs) => `${rs.metadata.annotations?.['deployment.kubernetes.io/revision']}:${rs.spec.replicas}`,
      )
      .sort();
    t.same(sets, ['1:0', '2:5'], 'revision 2 has the replicas');
    const slices = await slicesUntil(cluster, (s) => {
      const ready = s.flatMap((x) =>
        (
          (x as { endpoints?: { conditions?: { ready?: boolean }; targetRef?: { name?: string } }[] })
            .endpoints ?? []
        ).filter((e) => e.conditions?.ready === true),
      );
      return ready.length === 5 && ready.every((e) => !before.has(e.targetRef?.name ?? ''));
    });
    t.equal(readyEndpoints(slices), 5, 'five ready endpoints, none of them an old pod');
  },
);

const conflictHelp = `Please review the fields above--they currently have other managers. Here
are the ways you can resolve this warning:
* If you intend to manage all of these fields, please re-run the apply
  command with the \`--force-conflicts\` flag.
* If you do not intend to manage all of the fields, please edit your
  manifest to remove references to the fields that should keep their
  current managers.
* You may co-own fields by updating your manifest to match the existing
  value; in this case, you'll become the manager if the other manager(s)
  stop managing the field (remove it from their configuration).
See https://kubernetes.io/docs/reference/using-api/server-side-apply/#conflicts
`;

interopTest(
  t,
  'kubectl apply --server-side: two field managers conflict, --force-conflicts takes over',
  missing,
  async (t) => {
    const { cluster, k } = await lab!;
    const api = (replicas: number) =>
      `apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec: {containers: [{name: pause, image: "registry.k8s.io/pause:3.10"}]}
`;
    writeFileSync(join(dir, 'api-1.yaml'), api(1));
    writeFileSync(join(dir, 'api-2.yaml'), api(2));
    const owners = () =>
      (
        (
          cluster.store.get('Deployment', 'api').metadata as {
            managedFields?: {
              manager: string;
              operation: string;
              subresource?: string;
              fieldsV1: { 'f:spec'?: Record<string, unknown> };
            }[];
          }
        ).managedFields ?? []
      )
        .filter((m) => m.fieldsV1['f:spec']?.['f:replicas'] !== undefined)
        .map((m) => `${m.manager} ${m.operation}${m.subresource ? ` ${m.subresource}` : ''}`);

    t.same(await k('apply', '--server-side', '--field-manager=alice', '-f', join(dir, 'api-1.yaml')), {
      code: 0,
      out: 'deployment.apps/api serverside-applied\n',
      err: '',
    });
    // The same value from a second manager is shared ownership, not a conflict.
    t.same(await k('apply', '--server-side', '--field-manager=carol', '-f', join(dir, 'api-1.yaml')), {
      code: 0,
      out: 'deployment.apps/api serverside-applied\n',
      err: '',
    });
    t.same(owners(), ['alice Apply', 'carol Apply']);
    t.same(await k('apply', '--server-side', '--field-manager=bob', '-f', join(dir, 'api-2.yaml')), {
      code: 1,
      out: '',
      err: `error: Apply failed with 2 conflicts: conflicts with "alice":\n- .spec.replicas\nconflicts with "carol":\n- .spec.replicas\n${conflictHelp}`,
    });
    t.equal(cluster.store.get('Deployment', 'api').spec.replicas, 1, 'nothing written');
    t.same(
      await k(
        'apply',
        '--server-side',
        '--field-manager=bob',
        '--force-conflicts',
        '-f',
        join(dir, 'api-2.yaml'),
      ),
      { code: 0, out: 'deployment.apps/api serverside-applied\n', err: '' },
    );
    t.equal(cluster.store.get('Deployment', 'api').spec.replicas, 2);
    t.same(owners(), ['bob Apply'], 'bob owns .spec.replicas; alice and carol keep the rest');
    t.same(
      (
        cluster.store.get('Deployment', 'api').metadata as { managedFields?: { manager: string }[] }
      ).managedFields?.map((m) => m.manager),
      ['alice', 'carol', 'bob'],
    );
    // kubectl scale writes through the scale subresource: its manager (kubectl, from the User-Agent) owns replicas.
    t.same(await k('scale', 'deploy/api', '--replicas=3'), {
      code: 0,
      out: 'deployment.apps/api scaled\n',
      err: '',
    });
    t.same(owners(), ['kubectl Update scale']);
    t.same(await k('apply', '--server-side', '--field-manager=bob', '-f', join(dir, 'api-2.yaml')), {
      code: 1,
      out: '',
      err: `error: Apply failed with 1 conflict: conflict with "kubectl" with subresource "scale" using apps/v1: .spec.replicas\n${conflictHelp}`,
    });
    // kubectl patch is an Update: the field it changes becomes kubectl-patch's and leaves alice.
    t.same(
      await k(
        'patch',
        'deploy/api',
        '-p',
        '{"spec":{"template":{"spec":{"containers":[{"name":"pause","image":"registry.k8s.io/pause:3.9"}]}}}}',
      ),
      { code: 0, out: 'deployment.apps/api patched\n', err: '' },
    );
    t.same(await k('apply', '--server-side', '--field-manager=alice', '-f', join(dir, 'api-1.yaml')), {
      code: 1,
      out: '',
      err: `error: Apply failed with 2 conflicts: conflicts with "kubectl" with subresource "scale" using apps/v1:\n- .spec.replicas\nconflicts with "kubectl-patch" using apps/v1:\n- .spec.template.spec.containers[name="pause"].image\n${conflictHelp}`,
    });
  },
);
