import t from 'tap';
import type { AnyObject, EndpointSlice, Node, Pod, Service } from '../../api/index.js';
import { endpointSlicesForService, reconcileEndpointSlices } from '../../lab/controllers/endpointslice.js';
import { InvalidMaxEndpointsPerSliceError } from '../../lab/controllers/errors.js';
import { withDerivedEndpointSlices } from '../../lab/controllers/index.js';

// Fixture builders: only what each case varies is spelled out in the table.
function svc(name: string, spec: Partial<Service['spec']>, meta: Partial<Service['metadata']> = {}): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: 'default', uid: `uid-${name}`, ...meta },
    spec: { type: 'ClusterIP', clusterIP: '10.96.0.20', ports: [{ port: 80 }], ...spec },
  };
}

interface PodOpts {
  ns?: string;
  labels?: Record<string, string>;
  ips?: string[];
  node?: string;
  ready?: boolean;
  phase?: 'Running' | 'Succeeded' | 'Failed';
  deleting?: boolean;
  hostname?: string;
  subdomain?: string;
  ports?: { name: string; containerPort: number; protocol?: 'TCP' | 'UDP' }[];
}

function pod(name: string, o: PodOpts = {}): Pod {
  const p: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: o.ns ?? 'default', uid: `uid-${name}`, labels: o.labels ?? { app: 'web' } },
    spec: { nodeName: o.node ?? 'node-a', containers: [{ name: 'c', ports: o.ports ?? [] }] },
    status: {
      phase: o.phase ?? 'Running',
      podIPs: (o.ips ?? []).map((ip) => ({ ip })),
      conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True' }],
    },
  };
  if (o.ips?.[0]) p.status!.podIP = o.ips[0];
  if (o.deleting) p.metadata.deletionTimestamp = '2026-01-01T00:00:00Z';
  if (o.hostname) p.spec.hostname = o.hostname;
  if (o.subdomain) p.spec.subdomain = o.subdomain;
  return p;
}

function node(name: string, zone?: string): Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: zone ? { name, labels: { 'topology.kubernetes.io/zone': zone } } : { name },
  };
}

const nodes = [node('node-a', 'zone-1'), node('node-b', 'zone-2'), node('node-c')];

// One line per slice, one indented line per endpoint: everything but the fixed metadata, which the
// "full object" test below checks once.
function render(slices: EndpointSlice[]): string {
  const out: string[] = [];
  for (const s of slices) {
    const ports = (s.ports ?? [])
      .map((p) => `${p.name || '-'}/${p.protocol}/${p.port}${p.appProtocol ? `/${p.appProtocol}` : ''}`)
      .join(',');
    const headless = s.metadata.labels?.['service.kubernetes.io/headless'] === '' ? ' headless' : '';
    out.push(`${s.metadata.name} ${s.addressType} ports=[${ports}]${headless}`);
    for (const e of s.endpoints ?? []) {
      const c = e.conditions ?? {};
      let line = `  ${e.addresses.join(',')} ready=${c.ready} serving=${c.serving} terminating=${c.terminating}`;
      if (e.hostname) line += ` hostname=${e.hostname}`;
      line += ` pod=${e.targetRef?.namespace}/${e.targetRef?.name}`;
      if (e.nodeName) line += ` node=${e.nodeName}`;
      if (e.zone) line += ` zone=${e.zone}`;
      if (e.hints) line += ` hints=${JSON.stringify(e.hints)}`;
      out.push(line);
    }
  }
  return out.join('\n');
}

interface Case {
  name: string;
  service: Service;
  pods: Pod[];
  nodes?: Node[];
  max?: number;
  expect: string;
  errors?: string[];
}

const cases: Case[] = [
  {
    name: 'ready, not ready, terminating, terminal and IP-less pods',
    service: svc('web', { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] }),
    pods: [
      pod('web-1', { ips: ['10.244.1.5'], node: 'node-a' }),
      pod('web-2', { ips: ['10.244.2.7'], node: 'node-b', ready: false }),
      pod('web-3', { ips: ['10.244.3.9'], node: 'node-c', deleting: true }),
      pod('web-4', { ips: ['10.244.1.6'], phase: 'Succeeded' }),
      pod('web-5', { ips: [] }),
      pod('other', { ips: ['10.244.1.8'], labels: { app: 'db' } }),
      pod('web-ns2', { ips: ['10.244.1.9'], ns: 'prod' }),
    ],
    expect: `web-bmbtf IPv4 ports=[http/TCP/8080]
  10.244.1.5 ready=true serving=true terminating=false pod=default/web-1 node=node-a zone=zone-1
  10.244.2.7 ready=false serving=false terminating=false pod=default/web-2 node=node-b zone=zone-2
  10.244.3.9 ready=false serving=true terminating=true pod=default/web-3 node=node-c`,
  },
  {
    name: 'publishNotReadyAddresses makes not-ready and terminating endpoints ready',
    service: svc('web', { selector: { app: 'web' }, publishNotReadyAddresses: true }),
    pods: [
      pod('web-2', { ips: ['10.244.2.7'], node: 'node-b', ready: false }),
      pod('web-3', { ips: ['10.244.3.9'], deleting: true, ready: false }),
    ],
    expect: `web-bmbtf IPv4 ports=[-/TCP/80]
  10.244.2.7 ready=true serving=false terminating=false pod=default/web-2 node=node-b zone=zone-2
  10.244.3.9 ready=true serving=false terminating=true pod=default/web-3 node=node-a zone=zone-1`,
  },
  {
    name: 'hostname only when subdomain names this Service; headless label',
    service: svc('db', { clusterIP: 'None', selector: { app: 'db' }, ports: [{ name: 'pg', port: 5432 }] }),
    pods: [
      pod('db-0', { ips: ['10.244.1.10'], labels: { app: 'db' }, hostname: 'db-0', subdomain: 'db' }),
      pod('db-1', { ips: ['10.244.1.11'], labels: { app: 'db' }, hostname: 'db-1', subdomain: 'other' }),
      pod('db-2', { ips: ['10.244.1.12'], labels: { app: 'db' }, subdomain: 'db' }),
    ],
    expect: `db-946fn IPv4 ports=[pg/TCP/5432] headless
  10.244.1.10 ready=true serving=true terminating=false hostname=db-0 pod=default/db-0 node=node-a zone=zone-1
  10.244.1.11 ready=true serving=true terminating=false pod=default/db-1 node=node-a zone=zone-1
  10.244.1.12 ready=true serving=true terminating=false pod=default/db-2 node=node-a zone=zone-1
db-99rbb IPv6 ports=[] headless`,
  },
  {
    name: 'named targetPort resolved per pod splits slices by port set',
    service: svc('api', {
      selector: { app: 'web' },
      ports: [
        { name: 'http', port: 80, targetPort: 'web' },
        { name: 'dns', port: 53, protocol: 'UDP', targetPort: 'dns' },
        { name: 'metrics', port: 9090, targetPort: 9090, appProtocol: 'http' },
      ],
    }),
    pods: [
      pod('a', { ips: ['10.244.1.2'], ports: [{ name: 'web', containerPort: 8080 }] }),
      pod('b', { ips: ['10.244.1.3'], ports: [{ name: 'web', containerPort: 8081 }] }),
      pod('c', {
        ips: ['10.244.1.4'],
        ports: [
          { name: 'web', containerPort: 8080 },
          { name: 'dns', containerPort: 5353, protocol: 'UDP' },
        ],
      }),
      // Same name, wrong protocol: the dns port does not resolve on this pod.
      pod('d', { ips: ['10.244.1.5'], ports: [{ name: 'dns', containerPort: 5353 }] }),
    ],
    expect: `api-zkcq8 IPv4 ports=[http/TCP/8080,metrics/TCP/9090/http]
  10.244.1.2 ready=true serving=true terminating=false pod=default/a node=node-a zone=zone-1
api-k6qz8 IPv4 ports=[http/TCP/8081,metrics/TCP/9090/http]
  10.244.1.3 ready=true serving=true terminating=false pod=default/b node=node-a zone=zone-1
api-g8k8q IPv4 ports=[http/TCP/8080,dns/UDP/5353,metrics/TCP/9090/http]
  10.244.1.4 ready=true serving=true terminating=false pod=default/c node=node-a zone=zone-1
api-gcb99 IPv4 ports=[metrics/TCP/9090/http]
  10.244.1.5 ready=true serving=true terminating=false pod=default/d node=node-a zone=zone-1`,
  },
  {
    name: 'dual-stack: one slice per family, addresses split by family',
    service: svc('dual', {
      selector: { app: 'web' },
      clusterIPs: ['10.96.0.30', 'fd00:10:96::30'],
      ipFamilies: ['IPv6', 'IPv4'],
    }),
    pods: [pod('w', { ips: ['10.244.1.2', 'fd00:10:244:1::2'] })],
    expect: `dual-nvl46 IPv4 ports=[-/TCP/80]
  10.244.1.2 ready=true serving=true terminating=false pod=default/w node=node-a zone=zone-1
dual-pzfhf IPv6 ports=[-/TCP/80]
  fd00:10:244:1::2 ready=true serving=true terminating=false pod=default/w node=node-a zone=zone-1`,
  },
  {
    name: 'no ipFamilies: family of the ClusterIP',
    service: svc('v6', { selector: { app: 'web' }, clusterIP: 'fd00:10:96::40' }),
    pods: [pod('w', { ips: ['10.244.1.2', 'fd00:10:244:1::2'] })],
    expect: `v6-jb2hm IPv6 ports=[-/TCP/80]
  fd00:10:244:1::2 ready=true serving=true terminating=false pod=default/w node=node-a zone=zone-1`,
  },
  {
    name: 'no pods: one placeholder slice',
    service: svc('empty', { selector: { app: 'nothing' } }),
    pods: [pod('w', { ips: ['10.244.1.2'] })],
    expect: 'empty-x5fwz IPv4 ports=[]',
  },
  {
    name: 'pod on an unknown node is skipped (and logged) -> placeholder',
    service: svc('web', { selector: { app: 'web' } }),
    pods: [pod('lost', { ips: ['10.244.9.2'], node: 'node-9' })],
    expect: 'web-bmbtf IPv4 ports=[]',
    errors: ['skipping Pod lost for Service default/web: Node node-9 Not Found'],
  },
  {
    name: 'pod on an unknown node is kept with publishNotReadyAddresses (no zone)',
    service: svc('web', { selector: { app: 'web' }, publishNotReadyAddresses: true }),
    pods: [pod('lost', { ips: ['10.244.9.2'], node: 'node-9' })],
    expect: `web-bmbtf IPv4 ports=[-/TCP/80]
  10.244.9.2 ready=true serving=true terminating=false pod=default/lost node=node-9`,
  },
  {
    name: 'maxEndpointsPerSlice splits a port set into full slices',
    service: svc('big', { selector: { app: 'web' } }),
    pods: [1, 2, 3, 4, 5].map((i) => pod(`big-${i}`, { ips: [`10.244.1.${i}`] })),
    max: 2,
    expect: `big-5xtfd IPv4 ports=[-/TCP/80]
  10.244.1.1 ready=true serving=true terminating=false pod=default/big-1 node=node-a zone=zone-1
  10.244.1.2 ready=true serving=true terminating=false pod=default/big-2 node=node-a zone=zone-1
big-pg2c9 IPv4 ports=[-/TCP/80]
  10.244.1.3 ready=true serving=true terminating=false pod=default/big-3 node=node-a zone=zone-1
  10.244.1.4 ready=true serving=true terminating=false pod=default/big-4 node=node-a zone=zone-1
big-4gcz8 IPv4 ports=[-/TCP/80]
  10.244.1.5 ready=true serving=true terminating=false pod=default/big-5 node=node-a zone=zone-1`,
  },
  {
    name: 'trafficDistribution PreferSameNode: zone + node hints on ready endpoints only',
    service: svc('near', { selector: { app: 'web' }, trafficDistribution: 'PreferSameNode' }),
    pods: [
      pod('n1', { ips: ['10.244.1.2'], node: 'node-a' }),
      pod('n2', { ips: ['10.244.3.2'], node: 'node-c' }),
      pod('n3', { ips: ['10.244.2.2'], node: 'node-b', ready: false }),
    ],
    expect: `near-6hnk7 IPv4 ports=[-/TCP/80]
  10.244.1.2 ready=true serving=true terminating=false pod=default/n1 node=node-a zone=zone-1 hints={"forZones":[{"name":"zone-1"}],"forNodes":[{"name":"node-a"}]}
  10.244.3.2 ready=true serving=true terminating=false pod=default/n2 node=node-c hints={"forNodes":[{"name":"node-c"}]}
  10.244.2.2 ready=false serving=false terminating=false pod=default/n3 node=node-b zone=zone-2`,
  },
  {
    name: 'trafficDistribution PreferClose: zone hints only',
    service: svc('near', { selector: { app: 'web' }, trafficDistribution: 'PreferClose' }),
    pods: [
      pod('n1', { ips: ['10.244.1.2'], node: 'node-a' }),
      pod('n2', { ips: ['10.244.3.2'], node: 'node-c' }),
    ],
    expect: `near-6hnk7 IPv4 ports=[-/TCP/80]
  10.244.1.2 ready=true serving=true terminating=false pod=default/n1 node=node-a zone=zone-1 hints={"forZones":[{"name":"zone-1"}]}
  10.244.3.2 ready=true serving=true terminating=false pod=default/n2 node=node-c`,
  },
  {
    name: 'no selector: no slices',
    service: svc('manual', {}),
    pods: [pod('w', { ips: ['10.244.1.2'] })],
    expect: '',
  },
  {
    name: 'empty selector is no selector',
    service: svc('manual', { selector: {} }),
    pods: [pod('w', { ips: ['10.244.1.2'] })],
    expect: '',
  },
  {
    name: 'ExternalName: no slices even with a selector',
    service: svc('ext', { type: 'ExternalName', externalName: 'example.com', selector: { app: 'web' } }),
    pods: [pod('w', { ips: ['10.244.1.2'] })],
    expect: '',
  },
];

t.test('EndpointSlices per Service', async (t) => {
  for (const c of cases) {
    const r = reconcileEndpointSlices(
      c.service,
      c.pods,
      c.nodes ?? nodes,
      c.max === undefined ? {} : { maxEndpointsPerSlice: c.max },
    );
    t.equal(render(r.slices), c.expect, c.name);
    t.same(r.errors, c.errors ?? [], `${c.name}: errors`);
  }
});

t.test('full object as the controller writes it', async (t) => {
  const service = svc('web', {
    selector: { app: 'web' },
    ports: [{ name: 'http', port: 80, targetPort: 8080 }],
  });
  service.metadata.labels = {
    team: 'a',
    'kubernetes.io/service-name': 'spoofed',
    'endpointslice.kubernetes.io/managed-by': 'me',
  };
  const slices = endpointSlicesForService(service, [pod('web-1', { ips: ['10.244.1.5'] })], nodes);
  t.strictSame(slices, [
    {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: {
        name: 'web-bmbtf',
        generateName: 'web-',
        namespace: 'default',
        labels: {
          team: 'a',
          'kubernetes.io/service-name': 'web',
          'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io',
        },
        ownerReferences: [
          {
            apiVersion: 'v1',
            kind: 'Service',
            name: 'web',
            uid: 'uid-web',
            controller: true,
            blockOwnerDeletion: true,
          },
        ],
      },
      addressType: 'IPv4',
      endpoints: [
        {
          addresses: ['10.244.1.5'],
          conditions: { ready: true, serving: true, terminating: false },
          targetRef: { kind: 'Pod', namespace: 'default', name: 'web-1', uid: 'uid-web-1' },
          nodeName: 'node-a',
          zone: 'zone-1',
        },
      ],
      ports: [{ name: 'http', protocol: 'TCP', port: 8080 }],
    },
  ]);
  // Same inputs in another order give the same slices: nothing depends on input order.
  const again = endpointSlicesForService(
    service,
    [pod('web-1', { ips: ['10.244.1.5'] })],
    [...nodes].reverse(),
  );
  t.strictSame(again, slices, 'deterministic');
});

t.test('maxEndpointsPerSlice outside 1..1000 is rejected', async (t) => {
  for (const bad of [0, 1001, 1.5]) {
    t.throws(
      () =>
        endpointSlicesForService(svc('x', { selector: { a: 'b' } }), [], [], { maxEndpointsPerSlice: bad }),
      {
        constructor: InvalidMaxEndpointsPerSliceError,
        code: 'NETLAB_CONTROLLER_MAX_ENDPOINTS_PER_SLICE',
        message: `maxEndpointsPerSlice: Invalid value: ${bad}: must be between 1 and 1000, inclusive`,
      },
      String(bad),
    );
  }
});

// withDerivedEndpointSlices: what commands reading manifests (dns serve, iptables-save, trace) see.
const ownSlice: EndpointSlice = {
  apiVersion: 'discovery.k8s.io/v1',
  kind: 'EndpointSlice',
  metadata: { name: 'manual-1', namespace: 'default', labels: { 'kubernetes.io/service-name': 'manual' } },
  addressType: 'IPv4',
  endpoints: [{ addresses: ['10.244.9.9'] }],
};
const web = svc('web', { selector: { app: 'web' } });
const manual = svc('manual', { clusterIP: '10.96.0.21', selector: { app: 'web' } });
const deriveCases: { name: string; objects: AnyObject[]; expect: string; warnings?: string[] }[] = [
  {
    name: 'no Node in the manifests: each nodeName stands for a bare Node (no zone)',
    objects: [
      web,
      pod('web-1', { ips: ['10.244.1.5'], node: 'node-x' }),
      pod('web-2', { ips: ['10.244.2.5'], node: 'node-y' }),
    ],
    expect: `web-bmbtf IPv4 ports=[-/TCP/80]
  10.244.1.5 ready=true serving=true terminating=false pod=default/web-1 node=node-x
  10.244.2.5 ready=true serving=true terminating=false pod=default/web-2 node=node-y`,
  },
  {
    name: 'Nodes in the manifests: a Pod on another Node is skipped, as the controller does',
    objects: [
      web,
      node('node-a', 'zone-1'),
      pod('web-1', { ips: ['10.244.1.5'] }),
      pod('web-2', { ips: ['10.244.2.5'], node: 'node-9' }),
    ],
    expect: `web-bmbtf IPv4 ports=[-/TCP/80]
  10.244.1.5 ready=true serving=true terminating=false pod=default/web-1 node=node-a zone=zone-1`,
    warnings: ['skipping Pod web-2 for Service default/web: Node node-9 Not Found'],
  },
  {
    name: 'a Service with its own EndpointSlice keeps it; no Pods: a placeholder',
    objects: [manual, ownSlice, web],
    expect: 'web-bmbtf IPv4 ports=[]',
  },
  {
    name: 'a Service without a selector gets nothing',
    objects: [svc('bare', {}), pod('web-1', { ips: ['10.244.1.5'] })],
    expect: '',
  },
];

t.test('EndpointSlices derived from manifests', async (t) => {
  for (const c of deriveCases) {
    const r = withDerivedEndpointSlices(c.objects);
    t.equal(render(r.derived), c.expect, c.name);
    t.same(r.warnings, c.warnings ?? [], `${c.name}: warnings`);
    t.strictSame(r.objects, [...c.objects, ...r.derived], `${c.name}: objects then derived slices`);
  }
});
