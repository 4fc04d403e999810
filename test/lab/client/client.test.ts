// The kubectl-like command line against a running kube-API (port 0, a kubeconfig in a temporary
// directory) and offline on manifests: get with kubectl's columns, -o json|yaml|name, apply,
// scale, rollout, delete, logs, usage errors and exit codes. Where the real kubectl is installed,
// its output against the same server is the golden text.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { type AnyObject, type Deployment, type Pod, Store } from '../../../api/index.js';
import { ApiServer, PodLogs, writeKubeconfig } from '../../../lab/apiserver/index.js';
import { deploymentRolloutStatus } from '../../../lab/client/write.js';
import { interopTest, netlab } from '../../index.js';
import { cli } from './cli.js';

const kubectl = ['/usr/bin/kubectl', '/usr/local/bin/kubectl'].find((p) => existsSync(p));
const missing = kubectl ? false : 'kubectl not installed (v1.32 from the Kubernetes release: dl.k8s.io)';

const created = new Date('2026-12-05T09:00:00Z');
const now = new Date('2026-12-05T09:05:00Z');

const web = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 3
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: agnhost
        image: registry.k8s.io/e2e-test-images/agnhost:2.53
        args: [netexec, --http-port=8080]
        ports:
        - {name: http, containerPort: 8080}
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  type: NodePort
  selector: {app: web}
  clusterIP: 10.96.10.80
  ports:
  - {name: http, port: 80, targetPort: http, nodePort: 30080}
`;

async function lab(t: { teardown(fn: () => unknown): void }) {
  const dir = mkdtempSync(join(tmpdir(), 'netlab-client-'));
  const store = new Store({ now: () => created, bookmarkIntervalMs: 0 });
  const logs = new PodLogs();
  const server = new ApiServer({ store, logs, now: () => now });
  await server.listen();
  const kubeconfig = join(dir, 'kubeconfig');
  writeKubeconfig(kubeconfig, { server: server.url });
  writeFileSync(join(dir, 'web.yaml'), web);
  t.teardown(async () => {
    await server.close();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const n = (...args: string[]) => cli([...args, '--kubeconfig', kubeconfig]);
  const k = (...args: string[]) =>
    new Promise<{ stdout: string; stderr: string; code: number }>((resolve) => {
      execFile(
        kubectl!,
        args,
        { env: { ...process.env, KUBECONFIG: kubeconfig, HOME: dir } },
        (e, stdout, stderr) =>
          resolve({ stdout, stderr, code: e ? ((e as { code?: number }).code ?? 1) : 0 }),
      );
    });
  return { store, logs, dir, kubeconfig, n, k };
}

/** A pod as the kubelet reports it: Running, Ready, with an address. */
function runningPod(store: Store, name: string, ip: string, node = 'node-a'): void {
  store.create({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', labels: { app: 'web' } },
    spec: {
      nodeName: node,
      containers: [{ name: 'agnhost', image: 'registry.k8s.io/e2e-test-images/agnhost:2.53' }],
    },
  } as Pod);
  const p = structuredClone(store.get('Pod', name)) as Pod & { status: Record<string, unknown> };
  p.status = {
    phase: 'Running',
    podIP: ip,
    podIPs: [{ ip }],
    hostIP: '172.18.0.2',
    conditions: [{ type: 'Ready', status: 'True' }],
    containerStatuses: [
      {
        name: 'agnhost',
        ready: true,
        started: true,
        restartCount: 0,
        image: 'registry.k8s.io/e2e-test-images/agnhost:2.53',
        imageID: '',
        state: { running: { startedAt: '2026-12-05T09:00:01Z' } },
      },
    ],
  };
  store.updateStatus(p as unknown as AnyObject);
}

function fill(store: Store): void {
  runningPod(store, 'web-1', '10.244.0.5');
  runningPod(store, 'web-2', '10.244.1.7', 'node-b');
  store.create({
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: 'web-abcde', namespace: 'default', labels: { 'kubernetes.io/service-name': 'web' } },
    addressType: 'IPv4',
    ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    endpoints: [{ addresses: ['10.244.0.5'] }, { addresses: ['10.244.1.7'] }],
  } as AnyObject);
}

t.test('apply, get with kubectl columns, -o name|json, errors', async (t) => {
  const { store, dir, n } = await lab(t);
  const file = join(dir, 'web.yaml');
  t.same(await n('apply', '-f', file), {
    code: 0,
    stdout: 'deployment.apps/web created\nservice/web created\n',
    stderr: '',
  });
  t.same(await n('apply', '-f', file), {
    code: 0,
    stdout: 'deployment.apps/web unchanged\nservice/web unchanged\n',
    stderr: '',
  });
  fill(store);

  const cases: [string[], string, string, number][] = [
    [
      ['get', 'pods,svc,endpointslices', '-o', 'wide'],
      `NAME        READY   STATUS    RESTARTS   AGE   IP           NODE     NOMINATED NODE   READINESS GATES
pod/web-1   1/1     Running   0          5m    10.244.0.5   node-a   <none>           <none>
pod/web-2   1/1     Running   0          5m    10.244.1.7   node-b   <none>           <none>

NAME                 TYPE        CLUSTER-IP    EXTERNAL-IP   PORT(S)        AGE   SELECTOR
service/kubernetes   ClusterIP   10.96.0.1     <none>        443/TCP        5m    <none>
service/web          NodePort    10.96.10.80   <none>        80:30080/TCP   5m    app=web

NAME                                       ADDRESSTYPE   PORTS   ENDPOINTS               AGE
endpointslice.discovery.k8s.io/web-abcde   IPv4          8080    10.244.0.5,10.244.1.7   5m
`,
      '',
      0,
    ],
    [
      ['get', 'deploy'],
      'NAME   READY   UP-TO-DATE   AVAILABLE   AGE\nweb    0/3     0            0           5m\n',
      '',
      0,
    ],
    [
      ['get', 'svc', '-A', '-l', 'app!=x', '--show-labels'],
      `NAMESPACE   NAME         TYPE        CLUSTER-IP    EXTERNAL-IP   PORT(S)        AGE   LABELS
default     kubernetes   ClusterIP   10.96.0.1     <none>        443/TCP        5m    component=apiserver,provider=kubernetes
default     web          NodePort    10.96.10.80   <none>        80:30080/TCP   5m    <none>
`,
      '',
      0,
    ],
    [['get', 'pod', 'web-2', '--no-headers'], 'web-2   1/1   Running   0     5m\n', '', 0],
    [['get', 'pods', '-o', 'name', '-l', 'app=web'], 'pod/web-1\npod/web-2\n', '', 0],
    [['get', 'deploy/web', 'svc/web', '-o', 'name'], 'deployment.apps/web\nservice/web\n', '', 0],
    [['get', 'pods', '-n', 'kube-system'], '', 'No resources found in kube-system namespace.\n', 0],
    [['get', 'svc', 'nope'], '', 'Error from server (NotFound): services "nope" not found\n', 1],
    [['get', 'frobs'], '', 'error: the server doesn\'t have a resource type "frobs"\n', 1],
    [
      ['get', 'pods', '-o', 'table'],
      '',
      'error: -o: Unsupported value: "table": supported values: "wide", "json", "yaml", "name"\n',
      1,
    ],
  ];
  for (const [args, stdout, stderr, code] of cases)
    t.same(await n(...args), { stdout, stderr, code }, args.join(' '));

  const one = await n('get', 'svc', 'web', '-o', 'json');
  const svc = JSON.parse(one.stdout) as { kind: string; spec: { clusterIP: string } };
  t.equal(svc.kind, 'Service');
  t.equal(svc.spec.clusterIP, '10.96.10.80');
  t.match(one.stdout, /^\{\n {4}"apiVersion": "v1",\n {4}"kind": "Service",\n/, 'keys sorted, 4 spaces');
  const list = await n('get', 'pods', '-o', 'yaml');
  t.match(list.stdout, /^apiVersion: v1\nitems:\n- apiVersion: v1\n {2}kind: Pod\n/);
  t.match(list.stdout, /\nkind: List\nmetadata:\n {2}resourceVersion: ""\n$/);
});

t.test('scale, rollout restart and status, logs, delete', async (t) => {
  const { store, logs, dir, n } = await lab(t);
  await n('apply', '-f', join(dir, 'web.yaml'));
  t.same(await n('scale', 'deploy/web', '--replicas', '5'), {
    code: 0,
    stdout: 'deployment.apps/web scaled\n',
    stderr: '',
  });
  t.equal(store.get('Deployment', 'web').spec.replicas, 5);
  t.same(await n('scale', 'svc/web', '--replicas', '2'), {
    code: 1,
    stdout: '',
    stderr: 'error: service/web cannot be scaled (no scale subresource)\n',
  });

  // Status as the deployment controller writes it, one step short of done; the watch sees the rest.
  const d = structuredClone(store.get('Deployment', 'web')) as Deployment;
  d.status = {
    observedGeneration: d.metadata.generation!,
    replicas: 5,
    updatedReplicas: 5,
    readyReplicas: 4,
    availableReplicas: 4,
  };
  store.updateStatus(d);
  // rollout status prints the waiting message, watches, and ends when the rollout completes.
  let printed: () => void = () => {};
  const firstLine = new Promise<void>((resolve) => {
    printed = resolve;
  });
  const running = cli(['rollout', 'status', 'deploy/web', '--kubeconfig', join(dir, 'kubeconfig')], (out) => {
    if (out.includes('\n')) printed();
  });
  await firstLine;
  const cur = structuredClone(store.get('Deployment', 'web')) as Deployment;
  cur.status = { ...cur.status!, readyReplicas: 5, availableReplicas: 5 };
  store.updateStatus(cur);
  const st = await running;
  t.equal(st.code, 0, st.stderr);
  t.equal(
    st.stdout,
    'Waiting for deployment "web" rollout to finish: 4 of 5 updated replicas are available...\ndeployment "web" successfully rolled out\n',
  );

  t.same(await n('rollout', 'restart', 'deploy/web'), {
    code: 0,
    stdout: 'deployment.apps/web restarted\n',
    stderr: '',
  });
  t.ok(
    store.get('Deployment', 'web').spec.template.metadata?.annotations?.['kubectl.kubernetes.io/restartedAt'],
  );
  t.same(await n('rollout', 'status', 'svc/web'), {
    code: 1,
    stdout: '',
    stderr: 'error: no rollout for service/web: Deployments and StatefulSets have one\n',
  });

  runningPod(store, 'web-1', '10.244.0.5');
  logs.write('default', 'web-1', 'agnhost', 'Started HTTP server on port 8080', created);
  logs.write('default', 'web-1', 'agnhost', 'GET /hostname', now);
  t.same(await n('logs', 'web-1'), {
    code: 0,
    stdout: 'Started HTTP server on port 8080\nGET /hostname\n',
    stderr: '',
  });
  t.same(await n('logs', 'pod/web-1', '--tail', '1'), { code: 0, stdout: 'GET /hostname\n', stderr: '' });
  t.same(await n('logs', 'web-9'), {
    code: 1,
    stdout: '',
    stderr: 'Error from server (NotFound): pods "web-9" not found\n',
  });

  t.same(await n('delete', 'svc', 'web'), { code: 0, stdout: 'service "web" deleted\n', stderr: '' });
  t.equal(store.find('Service', 'web'), undefined);
  t.same(await n('delete', '-f', join(dir, 'web.yaml')), {
    code: 1,
    stdout: 'deployment.apps "web" deleted\n',
    stderr: 'Error from server (NotFound): services "web" not found\n',
  });
});

t.test("rollout status: kubectl's messages for each state", async (t) => {
  const d = (generation: number, status: Deployment['status'], replicas = 3) =>
    ({ metadata: { name: 'web', generation }, spec: { replicas }, status }) as unknown as Deployment;
  const cases: [Deployment, string, boolean][] = [
    [d(2, { observedGeneration: 1 }), 'Waiting for deployment spec update to be observed...', false],
    [
      d(2, { observedGeneration: 2, replicas: 4, updatedReplicas: 1 }),
      'Waiting for deployment "web" rollout to finish: 1 out of 3 new replicas have been updated...',
      false,
    ],
    [
      d(2, { observedGeneration: 2, replicas: 4, updatedReplicas: 3 }),
      'Waiting for deployment "web" rollout to finish: 1 old replicas are pending termination...',
      false,
    ],
    [
      d(2, { observedGeneration: 2, replicas: 3, updatedReplicas: 3, availableReplicas: 2 }),
      'Waiting for deployment "web" rollout to finish: 2 of 3 updated replicas are available...',
      false,
    ],
    [
      d(2, { observedGeneration: 2, replicas: 3, updatedReplicas: 3, availableReplicas: 3 }),
      'deployment "web" successfully rolled out',
      true,
    ],
  ];
  for (const [dep, message, done] of cases) t.same(deploymentRolloutStatus(dep), { message, done }, message);
  t.throws(
    () =>
      deploymentRolloutStatus({
        ...d(1, { observedGeneration: 1 }),
        status: {
          observedGeneration: 1,
          conditions: [{ type: 'Progressing', reason: 'ProgressDeadlineExceeded' }],
        },
      } as unknown as Deployment),
    { message: 'deployment "web" exceeded its progress deadline' },
  );
});

t.test('usage errors: one line and a hint; a lab that is not there', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'netlab-client-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const cases: [string[], string][] = [
    [
      ['scale', 'deploy/web'],
      "error: required option '--replicas <n>' not specified\n(see 'netlab scale --help')\n",
    ],
    [
      ['apply'],
      "error: required option '-f, --filename <files...>' not specified\n(see 'netlab apply --help')\n",
    ],
  ];
  // The bin itself (a child process each, run side by side): its usage errors and hints.
  const got = await Promise.all(cases.map(([args]) => netlab(args)));
  cases.forEach(([args, stderr], i) => {
    t.same(got[i], { code: 1, stdout: '', stderr }, args.join(' '));
  });
  t.same(await cli(['scale', 'deploy/web', '--replicas', 'x']), {
    code: 1,
    stdout: '',
    stderr:
      "error: option '--replicas <n>' argument 'x' is invalid. --replicas must be a whole number from 0 to 1000000.\n",
  });
  t.same(await cli(['get', 'pods', '--kubeconfig', join(dir, 'none')]), {
    code: 1,
    stdout: '',
    stderr: `error: no kubeconfig at ${join(dir, 'none')}: start a lab with \`netlab up\` (it writes one there), or pass --kubeconfig FILE\n`,
  });
  // A kubeconfig whose server is gone.
  const kc = join(dir, 'kubeconfig');
  const server = new ApiServer({ store: new Store({ bookmarkIntervalMs: 0 }) });
  await server.listen();
  const url = server.url;
  await server.close();
  writeKubeconfig(kc, { server: url });
  t.same(await cli(['get', 'pods', '--kubeconfig', kc]), {
    code: 1,
    stdout: '',
    stderr: `error: the kube-API at ${url} does not answer (ECONNREFUSED): is \`netlab up\` running? (kubeconfig ${kc})\n`,
  });
});

t.test('get -f: manifests printed with the same columns, no lab needed', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'netlab-client-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'web.yaml'), web);
  const r = await cli(['get', 'svc,deploy', '-f', join(dir, 'web.yaml'), '-o', 'wide']);
  t.equal(r.stderr, '');
  t.equal(
    r.stdout,
    `NAME                 TYPE        CLUSTER-IP    EXTERNAL-IP   PORT(S)        AGE   SELECTOR
service/kubernetes   ClusterIP   10.96.0.1     <none>        443/TCP        0s    <none>
service/web          NodePort    10.96.10.80   <none>        80:30080/TCP   0s    app=web

NAME                  READY   UP-TO-DATE   AVAILABLE   AGE   CONTAINERS   IMAGES                                         SELECTOR
deployment.apps/web   0/3     0            0           0s    agnhost      registry.k8s.io/e2e-test-images/agnhost:2.53   app=web
`,
  );
  writeFileSync(
    join(dir, 'bad.yaml'),
    'apiVersion: v1\nkind: Service\nmetadata: {name: bad}\nspec:\n  ports:\n  - {port: 70000}\n',
  );
  const bad = await cli(['get', 'svc', '-f', join(dir, 'bad.yaml')]);
  t.equal(bad.code, 1);
  t.match(
    bad.stderr,
    `${join(dir, 'bad.yaml')}:6: Service default/bad: spec.ports[0].port: Invalid value: 70000`,
  );
});

interopTest(t, 'netlab get prints what kubectl get prints against the same lab', missing, async (t) => {
  const { store, dir, n, k, kubeconfig } = await lab(t);
  await k('apply', '-f', join(dir, 'web.yaml'));
  fill(store);
  for (const args of [
    ['get', 'pods,svc,endpointslices,deploy', '-o', 'wide'],
    ['get', 'pods', '-A'],
    ['get', 'svc', '--show-labels'],
    ['get', 'pod', 'web-1', 'web-2'],
    ['get', 'deploy/web'],
    ['get', 'svc', 'web', '--no-headers', '-o', 'wide'],
    ['get', 'pods', '-l', 'app=web', '-o', 'name'],
    ['get', 'pods', '--field-selector', 'spec.nodeName=node-b'],
    ['get', 'svc', 'web', '-o', 'json'],
    ['get', 'pods', '-n', 'kube-system'],
    ['get', 'svc', 'nope'],
  ]) {
    const [ours, theirs] = await Promise.all([n(...args), k(...args)]);
    t.equal(ours.stdout, theirs.stdout, `${args.join(' ')}: stdout`);
    t.equal(ours.stderr, theirs.stderr, `${args.join(' ')}: stderr`);
    t.equal(ours.code, theirs.code, `${args.join(' ')}: exit code`);
  }
  // YAML through the bin: tap's own YAML use changes the yaml package's 1.1 tags in its process.
  const args = ['get', 'endpointslices', '-o', 'yaml'];
  const [ours, theirs] = await Promise.all([netlab([...args, '--kubeconfig', kubeconfig]), k(...args)]);
  t.same(ours, theirs, args.join(' '));
});
