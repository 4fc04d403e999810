// kubectl's columns and text: cells as pkg/printers/internalversion computes them, rendered as
// `kubectl get` prints a server-side Table (tabwriter, minwidth 6, padding 3).
import t from 'tap';
import { humanDuration } from '../../../lab/printers/duration.js';
import { renderTable, toTable } from '../../../lab/printers/index.js';

const now = new Date('2026-12-05T10:00:00Z');
const created = '2026-12-05T09:55:00Z';

const pod = (name: string, over: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default', creationTimestamp: created, labels: { app: 'web' } },
  spec: {
    nodeName: 'node-a',
    containers: [{ name: 'agnhost', image: 'registry.k8s.io/e2e-test-images/agnhost:2.53' }],
  },
  status: {
    phase: 'Running',
    podIP: '10.244.0.5',
    podIPs: [{ ip: '10.244.0.5' }],
    conditions: [{ type: 'Ready', status: 'True' }],
    containerStatuses: [
      { name: 'agnhost', ready: true, restartCount: 0, state: { running: { startedAt: created } } },
    ],
  },
  ...over,
});

t.test('AGE as duration.HumanDuration', async (t) => {
  const cases: [number, string][] = [
    [-5000, '<invalid>'],
    [-1000, '0s'],
    [59_000, '59s'],
    [119_000, '119s'],
    [200_000, '3m20s'],
    [600_000, '10m'],
    [4 * 3600_000 + 5 * 60_000, '4h5m'],
    [30 * 3600_000, '30h'],
    [50 * 3600_000, '2d2h'],
    [30 * 86400_000, '30d'],
    [3 * 365 * 86400_000 + 86400_000, '3y1d'],
  ];
  for (const [ms, want] of cases) t.equal(humanDuration(ms), want, `${ms} ms`);
});

t.test('kubectl get pods, -o wide, -A', async (t) => {
  const pods = [
    pod('web-1'),
    pod('web-2', {
      metadata: {
        name: 'web-2',
        namespace: 'default',
        creationTimestamp: created,
        deletionTimestamp: '2026-12-05T10:00:30Z',
      },
    }),
    pod('web-3', {
      spec: { containers: [{ name: 'a' }, { name: 'b' }], readinessGates: [{ conditionType: 'x' }] },
      status: {
        phase: 'Running',
        containerStatuses: [
          {
            name: 'a',
            ready: false,
            restartCount: 2,
            state: { waiting: { reason: 'CrashLoopBackOff' } },
            lastState: { terminated: { finishedAt: '2026-12-05T09:59:00Z' } },
          },
          { name: 'b', ready: true, restartCount: 1, state: { running: {} } },
        ],
      },
    }),
    pod('web-4', { status: { phase: 'Pending' }, spec: { containers: [{ name: 'a' }] } }),
  ];
  const table = toTable(pods, { now });
  t.equal(
    renderTable(table),
    `NAME    READY   STATUS             RESTARTS      AGE
web-1   1/1     Running            0             5m
web-2   1/1     Terminating        0             5m
web-3   1/2     CrashLoopBackOff   3 (60s ago)   5m
web-4   0/1     Pending            0             5m
`,
  );
  t.equal(
    renderTable(table, { wide: true, withNamespace: true }),
    `NAMESPACE   NAME    READY   STATUS             RESTARTS      AGE   IP           NODE     NOMINATED NODE   READINESS GATES
default     web-1   1/1     Running            0             5m    10.244.0.5   node-a   <none>           <none>
default     web-2   1/1     Terminating        0             5m    10.244.0.5   node-a   <none>           <none>
default     web-3   1/2     CrashLoopBackOff   3 (60s ago)   5m    <none>       <none>   <none>           0/1
default     web-4   0/1     Pending            0             5m    <none>       <none>   <none>           <none>
`,
  );
  t.same(table.rows[0]!.object, {
    kind: 'PartialObjectMetadata',
    apiVersion: 'meta.k8s.io/v1',
    metadata: pods[0]!.metadata,
  });
});

t.test('services, slices, endpoints, workloads, nodes, namespaces, events, leases', async (t) => {
  const meta = (name: string) => ({ name, namespace: 'default', creationTimestamp: created });
  const cases: { name: string; objects: unknown[]; wide?: boolean; withKind?: string; want: string }[] = [
    {
      name: 'services -o wide',
      wide: true,
      objects: [
        {
          kind: 'Service',
          metadata: meta('kubernetes'),
          spec: { type: 'ClusterIP', clusterIPs: ['10.96.0.1'], ports: [{ port: 443, protocol: 'TCP' }] },
        },
        {
          kind: 'Service',
          metadata: meta('web'),
          spec: {
            type: 'NodePort',
            clusterIPs: ['10.96.10.80'],
            selector: { app: 'web', tier: 'front' },
            ports: [
              { port: 80, nodePort: 30080, protocol: 'TCP' },
              { port: 53, protocol: 'UDP' },
            ],
          },
        },
        {
          kind: 'Service',
          metadata: meta('lb'),
          spec: { type: 'LoadBalancer', clusterIPs: ['10.96.0.9'], ports: [] },
          status: { loadBalancer: {} },
        },
        {
          kind: 'Service',
          metadata: meta('ext'),
          spec: { type: 'ExternalName', externalName: 'example.com' },
        },
      ],
      want: `NAME         TYPE           CLUSTER-IP    EXTERNAL-IP   PORT(S)               AGE   SELECTOR
kubernetes   ClusterIP      10.96.0.1     <none>        443/TCP               5m    <none>
web          NodePort       10.96.10.80   <none>        80:30080/TCP,53/UDP   5m    app=web,tier=front
lb           LoadBalancer   10.96.0.9     <pending>     <none>                5m    <none>
ext          ExternalName   <none>        example.com   <none>                5m    <none>
`,
    },
    {
      name: 'endpointslices with a kind prefix',
      withKind: 'endpointslice.discovery.k8s.io',
      objects: [
        {
          kind: 'EndpointSlice',
          metadata: meta('web-abcde'),
          addressType: 'IPv4',
          ports: [{ port: 8080 }],
          endpoints: [1, 2, 3, 4, 5].map((i) => ({ addresses: [`10.244.0.${i}`] })),
        },
        { kind: 'EndpointSlice', metadata: meta('db-xyz'), addressType: 'IPv4', ports: null, endpoints: [] },
      ],
      want: `NAME                                       ADDRESSTYPE   PORTS     ENDPOINTS                                      AGE
endpointslice.discovery.k8s.io/web-abcde   IPv4          8080      10.244.0.1,10.244.0.2,10.244.0.3 + 2 more...   5m
endpointslice.discovery.k8s.io/db-xyz      IPv4          <unset>   <unset>                                        5m
`,
    },
    {
      name: 'endpoints',
      objects: [
        {
          kind: 'Endpoints',
          metadata: meta('web'),
          subsets: [{ addresses: [{ ip: '10.244.0.5' }, { ip: '10.244.1.7' }], ports: [{ port: 8080 }] }],
        },
        { kind: 'Endpoints', metadata: meta('none') },
      ],
      want: `NAME   ENDPOINTS                         AGE
web    10.244.0.5:8080,10.244.1.7:8080   5m
none   <none>                            5m
`,
    },
    {
      name: 'deployments -o wide',
      wide: true,
      objects: [
        {
          kind: 'Deployment',
          metadata: meta('web'),
          spec: {
            replicas: 3,
            selector: { matchLabels: { app: 'web' } },
            template: { spec: { containers: [{ name: 'agnhost', image: 'agnhost:2.53' }] } },
          },
          status: { readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2 },
        },
      ],
      want: `NAME   READY   UP-TO-DATE   AVAILABLE   AGE   CONTAINERS   IMAGES         SELECTOR
web    2/3     3            2           5m    agnhost      agnhost:2.53   app=web
`,
    },
    {
      name: 'replicasets and statefulsets',
      objects: [
        {
          kind: 'ReplicaSet',
          metadata: meta('web-5d8f7'),
          spec: { replicas: 3, selector: { matchLabels: { app: 'web' } } },
          status: { replicas: 3, readyReplicas: 1 },
        },
      ],
      want: `NAME        DESIRED   CURRENT   READY   AGE
web-5d8f7   3         3         1       5m
`,
    },
    {
      name: 'statefulsets',
      objects: [
        { kind: 'StatefulSet', metadata: meta('db'), spec: { replicas: 3 }, status: { readyReplicas: 3 } },
      ],
      want: `NAME   READY   AGE
db     3/3     5m
`,
    },
    {
      name: 'nodes -o wide',
      wide: true,
      objects: [
        {
          kind: 'Node',
          metadata: {
            name: 'node-a',
            creationTimestamp: created,
            labels: { 'node-role.kubernetes.io/control-plane': '' },
          },
          status: {
            conditions: [{ type: 'Ready', status: 'True' }],
            addresses: [{ type: 'InternalIP', address: '192.168.49.2' }],
            nodeInfo: { kubeletVersion: 'v1.32.0' },
          },
        },
        {
          kind: 'Node',
          metadata: { name: 'node-b', creationTimestamp: created },
          spec: { unschedulable: true },
          status: { conditions: [{ type: 'Ready', status: 'Unknown' }] },
        },
      ],
      want: `NAME     STATUS                        ROLES           AGE   VERSION   INTERNAL-IP    EXTERNAL-IP   OS-IMAGE    KERNEL-VERSION   CONTAINER-RUNTIME
node-a   Ready                         control-plane   5m    v1.32.0   192.168.49.2   <none>        <unknown>   <unknown>        <unknown>
node-b   NotReady,SchedulingDisabled   <none>          5m              <none>         <none>        <unknown>   <unknown>        <unknown>
`,
    },
    {
      name: 'namespaces',
      objects: [
        {
          kind: 'Namespace',
          metadata: { name: 'default', creationTimestamp: created },
          status: { phase: 'Active' },
        },
      ],
      want: `NAME      STATUS   AGE
default   Active   5m
`,
    },
    {
      name: 'events',
      objects: [
        {
          kind: 'Event',
          metadata: meta('web-1.1'),
          involvedObject: { kind: 'Pod', name: 'web-1' },
          type: 'Normal',
          reason: 'Started',
          message: 'Started container agnhost\n',
          firstTimestamp: created,
          lastTimestamp: '2026-12-05T09:59:30Z',
          count: 1,
          source: { component: 'kubelet', host: 'node-a' },
        },
      ],
      want: `LAST SEEN   TYPE     REASON    OBJECT      MESSAGE
30s         Normal   Started   pod/web-1   Started container agnhost
`,
    },
    {
      name: 'events -o wide',
      wide: true,
      objects: [
        {
          kind: 'Event',
          metadata: meta('web-1.1'),
          involvedObject: { kind: 'Pod', name: 'web-1' },
          type: 'Normal',
          reason: 'Started',
          message: 'Started',
          firstTimestamp: created,
          lastTimestamp: created,
          count: 2,
          source: { component: 'kubelet', host: 'node-a' },
        },
      ],
      want: `LAST SEEN   TYPE     REASON    OBJECT      SUBOBJECT   SOURCE            MESSAGE   FIRST SEEN   COUNT   NAME
5m          Normal   Started   pod/web-1               kubelet, node-a   Started   5m           2       web-1.1
`,
    },
    {
      name: 'leases',
      objects: [
        {
          kind: 'Lease',
          metadata: { name: 'node-a', namespace: 'kube-node-lease', creationTimestamp: created },
          spec: { holderIdentity: 'node-a' },
        },
      ],
      want: `NAME     HOLDER   AGE
node-a   node-a   5m
`,
    },
  ];
  for (const c of cases)
    t.equal(renderTable(toTable(c.objects, { now }), { wide: c.wide, withKind: c.withKind }), c.want, c.name);
});
