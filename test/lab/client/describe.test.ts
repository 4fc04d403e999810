// netlab describe: kubectl's describe layout for Services, Pods, Deployments, Nodes and
// EndpointSlices. Golden: the real kubectl v1.32's `describe` against the same kube-API (one server
// for the file) is the expected text, object by object; offline on -f, the text inline.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { type AnyObject, Store } from '../../../api/index.js';
import { ApiServer, writeKubeconfig } from '../../../lab/apiserver/index.js';
import { formatTabbed } from '../../../lab/printers/tabwriter.js';
import { interopTest } from '../../index.js';
import { cli } from './cli.js';

const kubectl = ['/usr/bin/kubectl', '/usr/local/bin/kubectl'].find((p) => existsSync(p));
const missing = kubectl ? false : 'kubectl not installed (v1.32 from the Kubernetes release: dl.k8s.io)';

// Ten and a half days ago: kubectl and netlab both print ages against the wall clock, and every age
// (from 10d12h down to 10d11h) prints as "10d" whenever either one runs.
const created = new Date(Math.floor((Date.now() - 10.5 * 86_400_000) / 1000) * 1000);
const at = (s: number) => new Date(created.getTime() + s * 1000).toISOString().replace('.000Z', 'Z');

const dir = mkdtempSync(join(tmpdir(), 'netlab-describe-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

function fill(store: Store): void {
  const create = (o: unknown) => store.create(o as AnyObject);
  const status = (kind: string, name: string, ns: string, s: unknown) => {
    const o = structuredClone(store.get(kind as 'Pod', name, ns)) as AnyObject & { status: unknown };
    o.status = s;
    store.updateStatus(o);
  };
  create({
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: 'node-a',
      labels: {
        'kubernetes.io/hostname': 'node-a',
        'node-role.kubernetes.io/control-plane': '',
        'topology.kubernetes.io/zone': 'zone-a',
      },
      annotations: { 'node.alpha.kubernetes.io/ttl': '0' },
    },
    spec: {
      podCIDR: '10.244.0.0/24',
      podCIDRs: ['10.244.0.0/24'],
      taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }],
    },
  });
  status('Node', 'node-a', '', {
    capacity: { cpu: '2', memory: '8136604Ki', pods: '110', 'ephemeral-storage': '61202244Ki' },
    allocatable: { cpu: '2', memory: '8136604Ki', pods: '110', 'ephemeral-storage': '61202244Ki' },
    addresses: [
      { type: 'InternalIP', address: '172.18.0.2' },
      { type: 'Hostname', address: 'node-a' },
    ],
    conditions: [
      {
        type: 'Ready',
        status: 'True',
        reason: 'KubeletReady',
        message: 'kubelet is posting ready status',
        lastHeartbeatTime: at(590),
        lastTransitionTime: at(0),
      },
    ],
    nodeInfo: {
      kubeletVersion: 'v1.32.0',
      operatingSystem: 'linux',
      architecture: 'amd64',
      osImage: 'netlab',
    },
  });
  create({
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name: 'node-a', namespace: 'kube-node-lease' },
    spec: { holderIdentity: 'node-a', leaseDurationSeconds: 40, renewTime: '2026-12-05T09:04:50.000000Z' },
  });
  create({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: 'web',
      labels: { app: 'web' },
      annotations: { 'deployment.kubernetes.io/revision': '1' },
    },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [
            {
              name: 'agnhost',
              image: 'registry.k8s.io/e2e-test-images/agnhost:2.53',
              args: ['netexec', '--http-port=8080'],
              ports: [{ name: 'http', containerPort: 8080 }],
              readinessProbe: { httpGet: { path: '/readyz', port: 8080 }, periodSeconds: 2 },
              resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { memory: '128Mi' } },
              env: [{ name: 'MODE', value: 'demo' }],
            },
          ],
          tolerations: [
            {
              key: 'node.kubernetes.io/not-ready',
              operator: 'Exists',
              effect: 'NoExecute',
              tolerationSeconds: 300,
            },
          ],
        },
      },
    },
  });
  const d = store.get('Deployment', 'web');
  const template = structuredClone(d.spec.template);
  template.metadata!.labels = { ...template.metadata!.labels, 'pod-template-hash': '7d4b9c8f6' };
  create({
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: 'web-7d4b9c8f6',
      labels: { app: 'web', 'pod-template-hash': '7d4b9c8f6' },
      ownerReferences: [
        {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          name: 'web',
          uid: d.metadata.uid,
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'web', 'pod-template-hash': '7d4b9c8f6' } },
      template,
    },
  });
  status('ReplicaSet', 'web-7d4b9c8f6', 'default', { replicas: 2, readyReplicas: 1, availableReplicas: 1 });
  status('Deployment', 'web', 'default', {
    observedGeneration: 1,
    replicas: 2,
    updatedReplicas: 2,
    readyReplicas: 1,
    availableReplicas: 1,
    unavailableReplicas: 1,
    conditions: [
      {
        type: 'Available',
        status: 'False',
        reason: 'MinimumReplicasUnavailable',
        message: 'Deployment does not have minimum availability.',
      },
      {
        type: 'Progressing',
        status: 'True',
        reason: 'ReplicaSetUpdated',
        message: 'ReplicaSet "web-7d4b9c8f6" is progressing.',
      },
    ],
  });
  const rs = store.get('ReplicaSet', 'web-7d4b9c8f6');
  for (const [name, ip, ready] of [
    ['web-7d4b9c8f6-2kq9x', '10.244.0.5', true],
    ['web-7d4b9c8f6-m5t7w', '10.244.0.6', false],
  ] as const) {
    create({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name,
        labels: { app: 'web', 'pod-template-hash': '7d4b9c8f6' },
        ownerReferences: [
          {
            apiVersion: 'apps/v1',
            kind: 'ReplicaSet',
            name: rs.metadata.name,
            uid: rs.metadata.uid,
            controller: true,
            blockOwnerDeletion: true,
          },
        ],
      },
      spec: { ...structuredClone(template.spec), nodeName: 'node-a' },
    });
    status('Pod', name, 'default', {
      phase: 'Running',
      podIP: ip,
      podIPs: [{ ip }],
      hostIP: '172.18.0.2',
      hostIPs: [{ ip: '172.18.0.2' }],
      startTime: at(1),
      conditions: [
        { type: 'PodReadyToStartContainers', status: 'True', lastTransitionTime: at(2) },
        { type: 'Initialized', status: 'True', lastTransitionTime: at(1) },
        { type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: at(3) },
        { type: 'ContainersReady', status: ready ? 'True' : 'False', lastTransitionTime: at(3) },
        { type: 'PodScheduled', status: 'True', lastTransitionTime: at(0) },
      ],
      containerStatuses: [
        {
          name: 'agnhost',
          ready,
          started: true,
          restartCount: ready ? 0 : 2,
          image: 'registry.k8s.io/e2e-test-images/agnhost:2.53',
          imageID:
            'registry.k8s.io/e2e-test-images/agnhost@sha256:99c6b4bb4a1e1df3f0b3752168c89358794d02258ebebc26bf21c29399011a85',
          containerID: `netlab://${name}-agnhost`,
          state: { running: { startedAt: at(2) } },
          ...(ready
            ? {}
            : {
                lastState: {
                  terminated: { exitCode: 137, reason: 'Error', startedAt: at(1), finishedAt: at(2) },
                },
              }),
        },
      ],
    });
  }
  create({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: 'web',
      labels: { app: 'web' },
      annotations: { 'netlab.dev/note': 'the demo web Service' },
    },
    spec: {
      type: 'NodePort',
      selector: { app: 'web' },
      clusterIP: '10.96.10.80',
      ports: [
        { name: 'http', port: 80, targetPort: 'http', nodePort: 30080 },
        { name: 'udp', port: 8081, targetPort: 8081, protocol: 'UDP', nodePort: 30081 },
      ],
    },
  });
  create({
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      name: 'web-8xk2p',
      labels: {
        'kubernetes.io/service-name': 'web',
        'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io',
      },
    },
    addressType: 'IPv4',
    ports: [
      { name: 'http', port: 8080, protocol: 'TCP' },
      { name: 'udp', port: 8081, protocol: 'UDP' },
    ],
    endpoints: [
      {
        addresses: ['10.244.0.5'],
        conditions: { ready: true, serving: true, terminating: false },
        nodeName: 'node-a',
        zone: 'zone-a',
        targetRef: { kind: 'Pod', name: 'web-7d4b9c8f6-2kq9x', namespace: 'default' },
      },
      {
        addresses: ['10.244.0.6'],
        conditions: { ready: false, serving: false, terminating: false },
        nodeName: 'node-a',
        zone: 'zone-a',
        targetRef: { kind: 'Pod', name: 'web-7d4b9c8f6-m5t7w', namespace: 'default' },
      },
    ],
  });
  const pod = store.get('Pod', 'web-7d4b9c8f6-m5t7w');
  const event = (name: string, involved: AnyObject, extra: Record<string, unknown>) =>
    create({
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace: involved.metadata.namespace || 'default' },
      involvedObject: {
        apiVersion: involved.apiVersion,
        kind: involved.kind,
        name: involved.metadata.name,
        namespace: involved.metadata.namespace,
        uid: involved.metadata.uid,
        ...(extra.fieldPath ? { fieldPath: extra.fieldPath } : {}),
      },
      type: 'Normal',
      count: 1,
      firstTimestamp: at(1),
      lastTimestamp: at(1),
      ...Object.fromEntries(Object.entries(extra).filter(([k]) => k !== 'fieldPath')),
    });
  event('pod.1', pod, {
    reason: 'Scheduled',
    message: 'Successfully assigned default/web-7d4b9c8f6-m5t7w to node-a',
    source: { component: 'default-scheduler' },
  });
  event('pod.2', pod, {
    reason: 'Unhealthy',
    type: 'Warning',
    message: 'Readiness probe failed: HTTP probe failed with statuscode: 503',
    source: { component: 'kubelet', host: 'node-a' },
    fieldPath: 'spec.containers{agnhost}',
    count: 14,
    lastTimestamp: at(60),
  });
  event('svc.1', store.get('Service', 'web'), {
    reason: 'Type',
    message: 'ClusterIP -> NodePort',
    source: { component: 'service-controller' },
  });
  event('deploy.1', d, {
    reason: 'ScalingReplicaSet',
    message: 'Scaled up replica set web-7d4b9c8f6 from 0 to 2',
    source: { component: 'deployment-controller' },
  });
}

t.test("Go's tabwriter: columns per block of lines, a line without a tab ends every column", async (t) => {
  t.equal(
    formatTabbed(
      'Name:\tweb\nNamespace:\tdefault\nIPs:\n  IP:\t10.0.0.1\nConditions:\n  Type\tStatus\n  Ready \tTrue \nVolumes:\t<none>\n',
    ),
    'Name:       web\nNamespace:  default\nIPs:\n  IP:  10.0.0.1\nConditions:\n  Type    Status\n  Ready   True \nVolumes:  <none>\n',
  );
  t.equal(formatTabbed('a\t\tb\nccc\tdd\t\n'), 'a        b\nccc  dd  \n', 'an empty cell is padding wide');
});

const store = new Store({ now: () => created, bookmarkIntervalMs: 0 });
fill(store);
const serving = (async () => {
  const server = new ApiServer({ store });
  await server.listen();
  const kubeconfig = join(dir, 'kubeconfig');
  writeKubeconfig(kubeconfig, { server: server.url });
  t.teardown(async () => {
    await server.close();
    store.close();
  });
  return kubeconfig;
})();

const cases = [
  ['svc', 'web'],
  ['pod', 'web-7d4b9c8f6-m5t7w'],
  ['pod', 'web-7d4b9c8f6-2kq9x'],
  ['deploy', 'web'],
  ['node', 'node-a'],
  ['endpointslice', 'web-8xk2p'],
  ['pods'],
];

interopTest(
  t,
  'netlab describe prints what kubectl describe prints against the same kube-API',
  missing,
  async (t) => {
    const kubeconfig = await serving;
    const k = (args: string[]) =>
      new Promise<{ stdout: string; stderr: string; code: number }>((resolve) => {
        execFile(
          kubectl!,
          args,
          { env: { ...process.env, KUBECONFIG: kubeconfig, HOME: dir } },
          (e, stdout, stderr) =>
            resolve({ stdout, stderr, code: e ? ((e as { code?: number }).code ?? 1) : 0 }),
        );
      });
    for (const args of cases) {
      const [want, got] = await Promise.all([
        k(['describe', ...args]),
        cli(['describe', ...args, '--kubeconfig', kubeconfig]),
      ]);
      t.equal(want.code, 0, `kubectl describe ${args.join(' ')}: ${want.stderr}`);
      t.same(got, want, `describe ${args.join(' ')}`);
    }
  },
);

t.test('describe -f: manifests applied to a fresh store, no lab needed', async (t) => {
  const file = join(dir, 'web.yaml');
  writeFileSync(
    file,
    `apiVersion: v1
kind: Service
metadata: {name: web, labels: {app: web}}
spec:
  selector: {app: web}
  clusterIP: 10.96.10.80
  ports: [{name: http, port: 80, targetPort: 8080}]
`,
  );
  t.same(await cli(['describe', 'svc', 'web', '-f', file]), {
    code: 0,
    stderr: '',
    stdout: `Name:                     web
Namespace:                default
Labels:                   app=web
Annotations:              <none>
Selector:                 app=web
Type:                     ClusterIP
IP Family Policy:         SingleStack
IP Families:              IPv4
IP:                       10.96.10.80
IPs:                      10.96.10.80
Port:                     http  80/TCP
TargetPort:               8080/TCP
Endpoints:                <none>
Session Affinity:         None
Internal Traffic Policy:  Cluster
Events:                   <none>
`,
  });
  t.same(await cli(['describe', 'configmaps', '-f', file]), {
    code: 1,
    stdout: '',
    stderr: `error: the server doesn't have a resource type "configmaps"\n`,
  });
  t.same(await cli(['describe', 'replicasets', '-f', file]), {
    code: 1,
    stdout: '',
    stderr:
      'error: netlab describes services, pods, deployments, nodes and endpointslices, not replicasets\n',
  });
});
