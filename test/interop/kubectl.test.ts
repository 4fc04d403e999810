// The real kubectl (v1.32) against the lab's kube-API: apply (client-side and --server-side), get
// with kubectl's columns, describe, scale, rollout status and restart, delete, get -w, logs,
// explain, and the apiserver's own words for a bad manifest. A clock is injected so AGE is fixed.
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { type AnyObject, type Deployment, type Pod, Store } from '../../api/index.js';
import { ApiServer, PodLogs, writeKubeconfig } from '../../lab/apiserver/index.js';
import { interopTest } from '../index.js';

const kubectl = ['/usr/bin/kubectl', '/usr/local/bin/kubectl'].find((p) => existsSync(p));
const missing = kubectl ? false : 'kubectl not installed (v1.32 from the Kubernetes release: dl.k8s.io)';

const created = new Date('2026-12-05T09:00:00Z');
const now = new Date('2026-12-05T09:05:00Z');

function kubectlRun(
  kubeconfig: string,
  args: string[],
  input?: string,
): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    const p = execFile(
      kubectl!,
      args,
      { env: { ...process.env, KUBECONFIG: kubeconfig, HOME: tmpdir() }, timeout: 60_000 },
      (e, out, err) => resolve({ code: e ? ((e as { code?: number }).code ?? 1) : 0, out, err }),
    );
    if (input !== undefined) p.stdin!.end(input);
  });
}

const manifests = `apiVersion: apps/v1
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
  ports:
  - {name: http, port: 80, targetPort: http}
`;

async function lab(t: { teardown(fn: () => unknown): void }) {
  const dir = mkdtempSync(join(tmpdir(), 'netlab-kubectl-'));
  const store = new Store({ now: () => created, bookmarkIntervalMs: 0 });
  const logs = new PodLogs();
  const server = new ApiServer({ store, logs, now: () => now });
  await server.listen();
  const kubeconfig = join(dir, 'kubeconfig');
  writeKubeconfig(kubeconfig, { server: server.url });
  t.teardown(async () => {
    await server.close();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  writeFileSync(join(dir, 'web.yaml'), manifests);
  const k = (...args: string[]) => kubectlRun(kubeconfig, args);
  return { store, logs, server, dir, kubeconfig, k };
}

/** A pod as the kubelet would have reported it: Running, Ready, with an address. */
function runningPod(store: Store, name: string, ip: string): void {
  store.create({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', labels: { app: 'web' } },
    spec: {
      nodeName: 'node-a',
      containers: [{ name: 'agnhost', image: 'registry.k8s.io/e2e-test-images/agnhost:2.53' }],
    },
  } as Pod);
  const p = structuredClone(store.get('Pod', name)) as Pod & { status: Record<string, unknown> };
  p.status = {
    phase: 'Running',
    podIP: ip,
    podIPs: [{ ip }],
    hostIP: '192.168.49.2',
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

interopTest(t, 'kubectl apply, get -o wide, describe, scale, rollout, delete', missing, async (t) => {
  const { store, dir, k } = await lab(t);
  const file = join(dir, 'web.yaml');
  t.same(await k('apply', '-f', file), {
    code: 0,
    out: 'deployment.apps/web created\nservice/web created\n',
    err: '',
  });
  t.same(await k('apply', '-f', file), {
    code: 0,
    out: 'deployment.apps/web unchanged\nservice/web unchanged\n',
    err: '',
  });
  t.same(await k('apply', '--server-side', '-f', file), {
    code: 0,
    out: 'deployment.apps/web serverside-applied\nservice/web serverside-applied\n',
    err: '',
  });
  const managers = (
    store.get('Deployment', 'web').metadata as { managedFields?: { manager: string; operation: string }[] }
  ).managedFields?.map((m) => `${m.manager} ${m.operation}`);
  // kubectl moves the client-side-apply manager over to server-side apply on the way (csaupgrade).
  t.same(managers, ['kubectl-last-applied Apply', 'kubectl Apply'], 'managedFields as kubectl left them');

  runningPod(store, 'web-1', '10.244.0.5');
  runningPod(store, 'web-2', '10.244.1.7');
  store.create({
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: 'web-abcde', namespace: 'default', labels: { 'kubernetes.io/service-name': 'web' } },
    addressType: 'IPv4',
    ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    endpoints: [{ addresses: ['10.244.0.5'] }, { addresses: ['10.244.1.7'] }],
  } as AnyObject);
  const svc = store.get('Service', 'web');
  const nodePort = svc.spec.ports![0]!.nodePort;
  const got = await k('get', 'pods,svc,endpointslices', '-o', 'wide');
  t.equal(got.err, '');
  t.equal(
    got.out,
    `NAME        READY   STATUS    RESTARTS   AGE   IP           NODE     NOMINATED NODE   READINESS GATES
pod/web-1   1/1     Running   0          5m    10.244.0.5   node-a   <none>           <none>
pod/web-2   1/1     Running   0          5m    10.244.1.7   node-a   <none>           <none>

NAME                 TYPE        CLUSTER-IP     EXTERNAL-IP   PORT(S)        AGE   SELECTOR
service/kubernetes   ClusterIP   10.96.0.1      <none>        443/TCP        5m    <none>
service/web          NodePort    ${svc.spec.clusterIP}   <none>        80:${nodePort}/TCP   5m    app=web

NAME                                       ADDRESSTYPE   PORTS   ENDPOINTS               AGE
endpointslice.discovery.k8s.io/web-abcde   IPv4          8080    10.244.0.5,10.244.1.7   5m
`,
  );

  const describeSvc = await k('describe', 'svc', 'web');
  t.match(describeSvc.out, /^Name:\s+web\nNamespace:\s+default\n/);
  t.match(describeSvc.out, new RegExp(`\nIP:\\s+${svc.spec.clusterIP!.replaceAll('.', '\\.')}\n`));
  t.match(
    describeSvc.out,
    /\nPort:\s+http {2}80\/TCP\nTargetPort:\s+http\/TCP\nNodePort:\s+http {2}\d+\/TCP\n/,
  );
  t.match(
    describeSvc.out,
    /\nEndpoints:\s+10\.244\.0\.5:8080,10\.244\.1\.7:8080\n/,
    'endpoints read from the slices',
  );
  const describePod = await k('describe', 'pod', 'web-1');
  t.match(describePod.out, /^Name:\s+web-1\nNamespace:\s+default\n/);
  t.match(describePod.out, /\nStatus:\s+Running\nIP:\s+10\.244\.0\.5\n/);
  t.match(describePod.out, /\n {2}agnhost:\n/);

  t.same(await k('scale', 'deploy/web', '--replicas=5'), {
    code: 0,
    out: 'deployment.apps/web scaled\n',
    err: '',
  });
  t.equal(store.get('Deployment', 'web').spec.replicas, 5);

  // rollout status reads what the deployment controller writes.
  const d = structuredClone(store.get('Deployment', 'web')) as Deployment;
  d.status = {
    observedGeneration: d.metadata.generation!,
    replicas: 5,
    updatedReplicas: 5,
    readyReplicas: 5,
    availableReplicas: 5,
  };
  store.updateStatus(d);
  t.same(await k('rollout', 'status', 'deploy/web', '--timeout=20s'), {
    code: 0,
    out: 'deployment "web" successfully rolled out\n',
    err: '',
  });
  t.same(await k('rollout', 'restart', 'deploy/web'), {
    code: 0,
    out: 'deployment.apps/web restarted\n',
    err: '',
  });
  t.ok(
    store.get('Deployment', 'web').spec.template.metadata?.annotations?.['kubectl.kubernetes.io/restartedAt'],
    'restart stamps the template',
  );
  t.same(await k('delete', 'svc', 'web'), { code: 0, out: 'service "web" deleted\n', err: '' });
  t.equal(store.find('Service', 'web'), undefined);
});

interopTest(t, 'kubectl explain, logs, a bad manifest, api-resources', missing, async (t) => {
  const { store, logs, dir, k } = await lab(t);
  const explain = await k('explain', 'service.spec');
  t.equal(explain.code, 0, explain.err);
  t.match(explain.out, /^KIND: {7}Service\nVERSION: {4}v1\n\nFIELD: spec <ServiceSpec>\n/);
  t.match(explain.out, /\n {2}clusterIP\t<string>\n {4}clusterIP is the IP address of the service/);
  t.match(explain.out, /\n {2}ports\t<\[\]ServicePort>\n/);

  runningPod(store, 'web-1', '10.244.0.5');
  logs.write(
    'default',
    'web-1',
    'agnhost',
    'Started HTTP server on port 8080',
    new Date('2026-12-05T09:00:01Z'),
  );
  logs.write('default', 'web-1', 'agnhost', 'GET /hostname', new Date('2026-12-05T09:00:02Z'));
  t.same(await k('logs', 'web-1'), {
    code: 0,
    out: 'Started HTTP server on port 8080\nGET /hostname\n',
    err: '',
  });
  t.same(await k('logs', 'web-1', '--tail=1'), { code: 0, out: 'GET /hostname\n', err: '' });

  writeFileSync(
    join(dir, 'bad.yaml'),
    'apiVersion: v1\nkind: Service\nmetadata: {name: bad}\nspec:\n  selector: {app: web}\n  ports:\n  - {port: 70000, protocol: TCPX}\n',
  );
  t.same(await k('apply', '-f', join(dir, 'bad.yaml')), {
    code: 1,
    out: '',
    err: `The Service "bad" is invalid: \n* spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive\n* spec.ports[0].protocol: Unsupported value: "TCPX": supported values: "SCTP", "TCP", "UDP"\n* spec.ports[0].targetPort: Invalid value: 70000: must be between 1 and 65535, inclusive\n`,
  });
  writeFileSync(
    join(dir, 'unknown.yaml'),
    'apiVersion: v1\nkind: Service\nmetadata: {name: u}\nspec:\n  portz: []\n',
  );
  t.same(await k('apply', '-f', join(dir, 'unknown.yaml')), {
    code: 1,
    out: '',
    err: `Error from server (BadRequest): error when creating "${join(dir, 'unknown.yaml')}": Service in version "v1" cannot be handled as a Service: strict decoding error: unknown field "spec.portz"\n`,
  });
  const resources = await k('api-resources', '--no-headers', '-o', 'name');
  t.same(resources.out.trim().split('\n').sort(), [
    'controllerrevisions.apps',
    'deployments.apps',
    'endpoints',
    'endpointslices.discovery.k8s.io',
    'events',
    'leases.coordination.k8s.io',
    'namespaces',
    'nodes',
    'pods',
    'replicasets.apps',
    'services',
    'statefulsets.apps',
  ]);
});

interopTest(t, 'kubectl get pods -w streams changes', missing, async (t) => {
  const { store, kubeconfig } = await lab(t);
  runningPod(store, 'web-1', '10.244.0.5');
  const child = spawn(kubectl!, ['get', 'pods', '-w'], {
    env: { ...process.env, KUBECONFIG: kubeconfig, HOME: tmpdir() },
  });
  t.teardown(() => child.kill());
  let out = '';
  const waitFor = (re: RegExp) =>
    new Promise<void>((resolve) => {
      const check = () => {
        if (re.test(out)) {
          child.stdout.off('data', onData);
          resolve();
        }
      };
      const onData = (b: Buffer) => {
        out += b.toString();
        check();
      };
      child.stdout.on('data', onData);
      check();
    });
  await waitFor(/web-1 .*Running/);
  runningPod(store, 'web-2', '10.244.1.7');
  await waitFor(/web-2 .*Running/);
  store.delete('Pod', 'web-2', { gracePeriodSeconds: 30 });
  await waitFor(/web-2 .*Terminating/);
  t.match(out, /^NAME {4}READY {3}STATUS {4}RESTARTS {3}AGE\nweb-1 {3}1\/1 {5}Running {3}0 {10}5m\n/);
});
