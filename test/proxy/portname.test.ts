// EndpointSlice port names: an omitted name is the unnamed port (kube-apiserver defaults it to "",
// discovery/v1 SetDefaults_EndpointPort, before kube-proxy reads the slice), so it matches a Service's
// unnamed port exactly as "" does, and never a named one. One table, every proxy consumer: the rules
// (iptables-save), the tracer, the fast path, the data plane, and the command line.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { parseManifests } from '../../api/manifest.js';
import type { EndpointSlice, Service } from '../../api/types.js';
import {
  FastPath,
  newKernelState,
  Proxier,
  RuleTable,
  tracePacket,
  withKubeJumpRules,
} from '../../proxy/index.js';
import { seededUint32 } from '../../std/index.js';
import { netlabInProcess } from '../index.js';
import { FakePods, node, startDataplane, TestCluster } from './fixtures/dataplane.js';

// The slice port's `name` as written in YAML ('omitted' leaves the key out).
type SliceName = 'omitted' | '""' | 'http';

function manifests(serviceName: '' | 'http', sliceName: SliceName): string {
  const svcPort = serviceName === '' ? '' : `name: ${serviceName}, `;
  const slicePort = sliceName === 'omitted' ? '' : `name: ${sliceName}, `;
  return `---
apiVersion: v1
kind: Service
metadata: {name: ext, namespace: default}
spec: {type: NodePort, clusterIP: 10.96.0.50, ports: [{${svcPort}port: 80, protocol: TCP, targetPort: 8080, nodePort: 30050}]}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: ext-1, namespace: default, labels: {kubernetes.io/service-name: ext}}
addressType: IPv4
ports: [{${slicePort}port: 8080}]
endpoints: [{addresses: [10.244.0.5], nodeName: node-a}]
`;
}

// [Service port name, slice port name, where a new connection to the ClusterIP goes]
const cases: [svc: '' | 'http', slice: SliceName, expected: string][] = [
  ['', 'omitted', '10.244.0.5:8080'],
  ['', '""', '10.244.0.5:8080'],
  ['', 'http', 'REJECT'],
  ['http', 'omitted', 'REJECT'],
  ['http', '""', 'REJECT'],
  ['http', 'http', '10.244.0.5:8080'],
];

function payloadOf(text: string): string {
  const p = new Proxier({
    nodeName: 'node-a',
    nodeIPs: ['192.168.49.2'],
    clusterCIDRs: ['10.244.0.0/16'],
    minSyncPeriod: 0,
  });
  for (const { object: o } of parseManifests(text, 'ports.yaml')) {
    if (o.kind === 'Service') p.onServiceAdd(o as Service);
    else if (o.kind === 'EndpointSlice') p.onEndpointSliceAdd(o as EndpointSlice);
  }
  p.markSynced();
  return p.syncProxyRules().payload;
}

t.test('proxy: rules, tracer and fast path read an omitted slice port name as ""', async (t) => {
  for (const [svc, slice, expected] of cases) {
    const name = `Service port ${svc === '' ? 'unnamed' : svc}, slice port name ${slice}`;
    const payload = payloadOf(manifests(svc, slice));
    const portName = svc === '' ? 'default/ext' : 'default/ext:http';
    t.equal(
      payload.includes(`--comment "${portName} has no endpoints"`),
      expected === 'REJECT',
      `${name}: iptables-save ${expected === 'REJECT' ? 'says' : 'does not say'} "has no endpoints"`,
    );
    t.equal(
      payload.includes('-j DNAT --to-destination 10.244.0.5:8080'),
      expected !== 'REJECT',
      `${name}: iptables-save DNATs to the endpoint or not`,
    );
    const rules = withKubeJumpRules(RuleTable.parse(payload, 'iptables-save'));
    const packet = { sourceIP: '10.244.1.9', protocol: 'tcp', destIP: '10.96.0.50', destPort: 80 } as const;
    const traced = tracePacket(rules, packet, { nodeIPs: ['192.168.49.2'] });
    t.equal(traced.output, expected, `${name}: tracer`);
    const picked = new FastPath(rules, ['192.168.49.2']).decide(
      packet,
      newKernelState(seededUint32(1), () => 0),
    );
    t.equal(picked.endpoint ?? picked.verdict, expected, `${name}: fast path`);
  }
});

function fetchStatus(url: string): Promise<string> {
  return new Promise((resolve) => {
    const req = get(url, { agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(`answered ${res.statusCode}`));
    });
    req.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });
}

t.test('data plane: a NodePort whose slice port has no name reaches the pod', async (t) => {
  for (const [svc, slice, expected] of cases) {
    const cluster = new TestCluster(node('node-a', '192.168.49.2') + manifests(svc, slice));
    const pods = new FakePods();
    pods.addHttp('ext-1', '10.244.0.5', 8080);
    const { base, close } = await startDataplane(cluster, pods, { seed: 1 });
    const got = await fetchStatus(`http://${base}.1:30050/`);
    await close();
    t.equal(
      got,
      expected === 'REJECT' ? 'ECONNREFUSED' : 'answered 200',
      `Service port ${svc === '' ? 'unnamed' : svc}, slice port name ${slice}`,
    );
  }
});

t.test('netlab iptables-save and trace: a hand-written slice without port names', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'netlab-portname-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'ext.yaml');
  writeFileSync(file, manifests('', 'omitted'));
  const save = await netlabInProcess(['iptables-save', '-f', file, '--hostname-override', 'node-a']);
  t.equal(save.code, 0, 'iptables-save: exit 0');
  t.notMatch(save.stdout, 'has no endpoints', 'iptables-save: no REJECT rule');
  t.match(save.stdout, '-j DNAT --to-destination 10.244.0.5:8080', 'iptables-save: the endpoint');
  const trace = await netlabInProcess([
    'trace',
    '-f',
    file,
    '--hostname-override',
    'node-a',
    '--src',
    '10.244.1.9',
    '--dst',
    '10.96.0.50',
    '--dport',
    '80',
    '-o',
    'json',
  ]);
  t.equal(trace.code, 0, 'trace: exit 0');
  const doc = JSON.parse(trace.stdout) as { endpoints: string[]; verdict: string };
  t.same([doc.endpoints, doc.verdict], [['10.244.0.5:8080'], 'DNAT'], 'trace: DNAT to the endpoint');
});
