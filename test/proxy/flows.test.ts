// Packet flows through the rules the generator (proxy/iptables) writes for one node, traced with
// kube-proxy's tracer semantics. Each case: {source, protocol, destination, port} -> kube-proxy's
// tracer output (endpoints, or DROP / REJECT / ACCEPT, '' when no rule touched it) and masquerade.
// Every case is also run through the fast path (must agree exactly) and the kernel mode (the one
// endpoint it picks must be one of the possible ones), and through `traceKernel` (netlab trace's
// default), whose verdict `--pick` (the fast path's decide) must never contradict.
import t from 'tap';
import { type EndpointSlice, type Node, nodeAddresses, type Service } from '../../api/index.js';
import { parseManifests } from '../../api/manifest.js';
import {
  FastPath,
  newKernelState,
  Proxier,
  type ProxierOptions,
  RuleTable,
  traceKernel,
  tracePacket,
} from '../../proxy/index.js';
import { simulatePacket } from '../../proxy/tracer/kernel.js';
import type { PacketProtocol } from '../../proxy/tracer/packet.js';
import { seededUint32 } from '../../std/index.js';

function slice(
  svc: string,
  eps: string,
  ports = '[{name: p, port: 80, protocol: TCP}]',
  ns = 'default',
): string {
  return `---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: ${svc}-x, namespace: ${ns}, labels: {kubernetes.io/service-name: ${svc}}}
addressType: IPv4
ports: ${ports}
endpoints: ${eps}
`;
}

function svc(name: string, spec: string, status = ''): string {
  return `---
apiVersion: v1
kind: Service
metadata: {name: ${name}, namespace: default}
spec: ${spec}
${status}`;
}

const P80 = '[{name: p, port: 80, protocol: TCP}]';

// node-a (this node, 192.168.0.2) and node-b (192.168.0.3); pods in 10.180.0.0/16 inside the
// cluster CIDR 10.0.0.0/8.
const cluster = [
  `apiVersion: v1
kind: Node
metadata: {name: node-a}
status: {addresses: [{type: InternalIP, address: 192.168.0.2}, {type: Hostname, address: node-a}]}
---
apiVersion: v1
kind: Node
metadata: {name: node-b}
status: {addresses: [{type: InternalIP, address: 192.168.0.3}]}
`,
  svc(
    'web',
    `{type: ClusterIP, clusterIP: 172.30.0.10, ports: [{name: p, port: 80, protocol: TCP, targetPort: 8080}]}`,
  ),
  slice(
    'web',
    '[{addresses: [10.180.0.1], nodeName: node-a}, {addresses: [10.180.0.2], nodeName: node-b}, {addresses: [10.180.1.3], nodeName: node-b}]',
    '[{name: p, port: 8080, protocol: TCP}]',
  ),
  svc(
    'np',
    `{type: NodePort, clusterIP: 172.30.0.11, ports: [{name: p, port: 80, protocol: TCP, nodePort: 30080}]}`,
  ),
  slice('np', '[{addresses: [10.180.0.4], nodeName: node-b}]'),
  svc(
    'np-local',
    `{type: NodePort, clusterIP: 172.30.0.12, externalTrafficPolicy: Local, ports: [{name: p, port: 80, protocol: TCP, nodePort: 30081}]}`,
  ),
  slice(
    'np-local',
    '[{addresses: [10.180.0.5], nodeName: node-a}, {addresses: [10.180.0.6], nodeName: node-b}]',
  ),
  svc(
    'np-local-none',
    `{type: NodePort, clusterIP: 172.30.0.13, externalTrafficPolicy: Local, ports: [{name: p, port: 80, protocol: TCP, nodePort: 30082}]}`,
  ),
  slice('np-local-none', '[{addresses: [10.180.0.7], nodeName: node-b}]'),
  svc(
    'lb',
    `{type: LoadBalancer, clusterIP: 172.30.0.14, ports: [{name: p, port: 443, protocol: TCP, nodePort: 30443}]}`,
    'status: {loadBalancer: {ingress: [{ip: 5.6.7.8}]}}\n',
  ),
  slice('lb', '[{addresses: [10.180.0.8], nodeName: node-a}]', '[{name: p, port: 8443, protocol: TCP}]'),
  svc(
    'lb-ranges',
    `{type: LoadBalancer, clusterIP: 172.30.0.15, loadBalancerSourceRanges: [203.0.113.0/25], ports: [{name: p, port: 80, protocol: TCP, nodePort: 30085}]}`,
    'status: {loadBalancer: {ingress: [{ip: 5.6.7.9}]}}\n',
  ),
  slice('lb-ranges', '[{addresses: [10.180.0.9], nodeName: node-b}]'),
  svc(
    'lb-local',
    `{type: LoadBalancer, clusterIP: 172.30.0.16, externalTrafficPolicy: Local, healthCheckNodePort: 32000, ports: [{name: p, port: 80, protocol: TCP, nodePort: 30086}]}`,
    'status: {loadBalancer: {ingress: [{ip: 5.6.7.10}]}}\n',
  ),
  slice('lb-local', '[{addresses: [10.180.0.10], nodeName: node-a}]'),
  svc(
    'lb-local-none',
    `{type: LoadBalancer, clusterIP: 172.30.0.29, externalTrafficPolicy: Local, healthCheckNodePort: 32001, ports: [{name: p, port: 80, protocol: TCP, nodePort: 30089}]}`,
    'status: {loadBalancer: {ingress: [{ip: 5.6.7.11}]}}\n',
  ),
  slice('lb-local-none', '[{addresses: [10.180.0.26], nodeName: node-b}]'),
  svc('ext', `{type: ClusterIP, clusterIP: 172.30.0.17, externalIPs: [192.168.99.33], ports: ${P80}}`),
  slice('ext', '[{addresses: [10.180.0.11], nodeName: node-b}]'),
  svc('itp-local', `{type: ClusterIP, clusterIP: 172.30.0.18, internalTrafficPolicy: Local, ports: ${P80}}`),
  slice(
    'itp-local',
    '[{addresses: [10.180.0.12], nodeName: node-a}, {addresses: [10.180.0.13], nodeName: node-b}]',
  ),
  svc(
    'itp-local-none',
    `{type: ClusterIP, clusterIP: 172.30.0.19, internalTrafficPolicy: Local, ports: ${P80}}`,
  ),
  slice('itp-local-none', '[{addresses: [10.180.0.14], nodeName: node-b}]'),
  svc(
    'sticky',
    `{type: ClusterIP, clusterIP: 172.30.0.20, sessionAffinity: ClientIP, sessionAffinityConfig: {clientIP: {timeoutSeconds: 10800}}, ports: ${P80}}`,
  ),
  slice(
    'sticky',
    '[{addresses: [10.180.0.15], nodeName: node-a}, {addresses: [10.180.0.16], nodeName: node-b}]',
  ),
  svc('term', `{type: ClusterIP, clusterIP: 172.30.0.21, ports: ${P80}}`),
  slice(
    'term',
    '[{addresses: [10.180.0.17], conditions: {ready: false, serving: true, terminating: true}}, {addresses: [10.180.0.18], conditions: {ready: true}}]',
  ),
  svc('term-only', `{type: ClusterIP, clusterIP: 172.30.0.22, ports: ${P80}}`),
  slice(
    'term-only',
    '[{addresses: [10.180.0.19], conditions: {ready: false, serving: true, terminating: true}}, {addresses: [10.180.0.20], conditions: {ready: false, serving: false, terminating: true}}]',
  ),
  svc(
    'empty',
    `{type: NodePort, clusterIP: 172.30.0.23, ports: [{name: p, port: 80, protocol: TCP, nodePort: 30087}]}`,
  ),
  svc(
    'dns',
    `{type: ClusterIP, clusterIP: 172.30.0.24, ports: [{name: dns, port: 53, protocol: UDP}, {name: dns-tcp, port: 53, protocol: TCP}]}`,
  ),
  slice(
    'dns',
    '[{addresses: [10.180.0.21]}]',
    '[{name: dns, port: 53, protocol: UDP}, {name: dns-tcp, port: 53, protocol: TCP}]',
  ),
  svc('sctp', `{type: ClusterIP, clusterIP: 172.30.0.25, ports: [{name: p, port: 9999, protocol: SCTP}]}`),
  slice('sctp', '[{addresses: [10.180.0.22]}]', '[{name: p, port: 9999, protocol: SCTP}]'),
  svc('notready', `{type: ClusterIP, clusterIP: 172.30.0.26, ports: ${P80}}`),
  slice('notready', '[{addresses: [10.180.0.30], conditions: {ready: false, serving: false}}]'),
  svc(
    'multi',
    `{type: ClusterIP, clusterIP: 172.30.0.27, ports: [{name: http, port: 80, protocol: TCP}, {name: metrics, port: 81, protocol: TCP}]}`,
  ),
  slice(
    'multi',
    '[{addresses: [10.180.0.23]}]',
    '[{name: http, port: 8080, protocol: TCP}, {name: metrics, port: 9090, protocol: TCP}]',
  ),
  svc(
    'udp-np',
    `{type: NodePort, clusterIP: 172.30.0.28, ports: [{name: p, port: 514, protocol: UDP, nodePort: 30514}]}`,
  ),
  slice('udp-np', '[{addresses: [10.180.0.25]}]', '[{name: p, port: 514, protocol: UDP}]'),
  svc('headless', `{clusterIP: None, ports: ${P80}}`),
  slice('headless', '[{addresses: [10.180.0.24]}]'),
].join('');

/** The restore payload the generator writes for `nodeName`, as a rule table, and the node's IPs. */
function nodeRules(
  manifests: string,
  nodeName: string,
  extra: Partial<ProxierOptions> = {},
): { rules: RuleTable; nodeIPs: string[] } {
  const objects = parseManifests(manifests, 'flows.yaml').map((o) => o.object);
  const nodes = objects.filter((o): o is Node => o.kind === 'Node');
  const node = nodes.find((n) => n.metadata.name === nodeName);
  const nodeIPs = node ? nodeAddresses(node) : [];
  const p = new Proxier({ nodeName, nodeIPs, clusterCIDRs: ['10.0.0.0/8'], minSyncPeriod: 0, ...extra });
  for (const n of nodes) p.onNodeAdd(n);
  for (const o of objects) if (o.kind === 'Service') p.onServiceAdd(o as Service);
  for (const o of objects) if (o.kind === 'EndpointSlice') p.onEndpointSliceAdd(o as EndpointSlice);
  p.markSynced();
  return { rules: RuleTable.parse(p.syncProxyRules().payload), nodeIPs };
}

interface Flow {
  name: string;
  src: string;
  proto?: PacketProtocol;
  dst: string;
  port: number;
  output: string;
  masq: boolean;
}

const POD = '10.0.0.2';
const EXT = '203.0.113.5';
const HOST = '192.168.0.2';
const WEB = '10.180.0.1:8080, 10.180.0.2:8080, 10.180.1.3:8080';

const flows: Flow[] = [
  // ClusterIP
  {
    name: 'pod to cluster IP, three endpoints',
    src: POD,
    dst: '172.30.0.10',
    port: 80,
    output: WEB,
    masq: false,
  },
  {
    name: 'off-cluster source to cluster IP is masqueraded',
    src: EXT,
    dst: '172.30.0.10',
    port: 80,
    output: WEB,
    masq: true,
  },
  {
    name: 'host to cluster IP is masqueraded',
    src: HOST,
    dst: '172.30.0.10',
    port: 80,
    output: WEB,
    masq: true,
  },
  {
    name: 'hairpin: endpoint to its own service',
    src: '10.180.0.1',
    dst: '172.30.0.10',
    port: 80,
    output: WEB,
    masq: true,
  },
  { name: 'cluster IP, port not served', src: POD, dst: '172.30.0.10', port: 81, output: '', masq: false },
  {
    name: 'cluster IP, wrong protocol',
    src: POD,
    proto: 'udp',
    dst: '172.30.0.10',
    port: 80,
    output: '',
    masq: false,
  },
  { name: 'pod IP directly: no rule', src: POD, dst: '10.180.0.2', port: 8080, output: '', masq: false },
  // NodePort, eTP Cluster
  { name: 'external to NodePort', src: EXT, dst: HOST, port: 30080, output: '10.180.0.4:80', masq: true },
  {
    name: 'pod to NodePort (eTP Cluster masquerades)',
    src: POD,
    dst: HOST,
    port: 30080,
    output: '10.180.0.4:80',
    masq: true,
  },
  {
    name: 'localhost NodePort',
    src: '127.0.0.1',
    dst: '127.0.0.1',
    port: 30080,
    output: '10.180.0.4:80',
    masq: true,
  },
  {
    name: "another node's IP is not local here",
    src: EXT,
    dst: '192.168.0.3',
    port: 30080,
    output: '',
    masq: false,
  },
  { name: 'unused NodePort', src: EXT, dst: HOST, port: 30099, output: '', masq: false },
  {
    name: 'NodePort service cluster IP',
    src: POD,
    dst: '172.30.0.11',
    port: 80,
    output: '10.180.0.4:80',
    masq: false,
  },
  // NodePort, eTP Local with a local endpoint
  {
    name: 'eTP Local: external keeps its source, local endpoint only',
    src: EXT,
    dst: HOST,
    port: 30081,
    output: '10.180.0.5:80',
    masq: false,
  },
  {
    name: 'eTP Local: pods short-circuit to all endpoints',
    src: POD,
    dst: HOST,
    port: 30081,
    output: '10.180.0.5:80, 10.180.0.6:80',
    masq: false,
  },
  {
    name: 'eTP Local: host traffic is masqueraded to all endpoints',
    src: HOST,
    dst: HOST,
    port: 30081,
    output: '10.180.0.5:80, 10.180.0.6:80',
    masq: true,
  },
  {
    name: 'eTP Local: localhost NodePort',
    src: '127.0.0.1',
    dst: '127.0.0.1',
    port: 30081,
    output: '10.180.0.5:80, 10.180.0.6:80',
    masq: true,
  },
  {
    name: 'eTP Local: cluster IP uses every endpoint',
    src: POD,
    dst: '172.30.0.12',
    port: 80,
    output: '10.180.0.5:80, 10.180.0.6:80',
    masq: false,
  },
  // NodePort, eTP Local, no local endpoint
  {
    name: 'eTP Local, no local endpoint: external dropped',
    src: EXT,
    dst: HOST,
    port: 30082,
    output: 'DROP',
    masq: false,
  },
  {
    name: 'eTP Local, no local endpoint: pods still reach it',
    src: POD,
    dst: HOST,
    port: 30082,
    output: '10.180.0.7:80',
    masq: false,
  },
  {
    name: 'eTP Local, no local endpoint: host still reaches it',
    src: HOST,
    dst: HOST,
    port: 30082,
    output: '10.180.0.7:80',
    masq: true,
  },
  {
    name: 'eTP Local, no local endpoint: cluster IP from outside',
    src: EXT,
    dst: '172.30.0.13',
    port: 80,
    output: '10.180.0.7:80',
    masq: true,
  },
  // LoadBalancer
  { name: 'LB IP from outside', src: EXT, dst: '5.6.7.8', port: 443, output: '10.180.0.8:8443', masq: true },
  {
    name: 'LB NodePort from outside',
    src: EXT,
    dst: HOST,
    port: 30443,
    output: '10.180.0.8:8443',
    masq: true,
  },
  {
    name: 'LB cluster IP from a pod',
    src: POD,
    dst: '172.30.0.14',
    port: 443,
    output: '10.180.0.8:8443',
    masq: false,
  },
  { name: 'LB IP, wrong port', src: EXT, dst: '5.6.7.8', port: 80, output: '', masq: false },
  // LoadBalancer with source ranges
  {
    name: 'source ranges: allowed client',
    src: EXT,
    dst: '5.6.7.9',
    port: 80,
    output: '10.180.0.9:80',
    masq: true,
  },
  {
    name: 'source ranges: other client dropped',
    src: '203.0.113.200',
    dst: '5.6.7.9',
    port: 80,
    output: 'DROP',
    masq: false,
  },
  {
    name: 'source ranges: pods are outside the ranges too',
    src: POD,
    dst: '5.6.7.9',
    port: 80,
    output: 'DROP',
    masq: false,
  },
  {
    name: 'source ranges: the node is outside them',
    src: HOST,
    dst: '5.6.7.9',
    port: 80,
    output: 'DROP',
    masq: false,
  },
  {
    name: 'source ranges do not guard the NodePort',
    src: '203.0.113.200',
    dst: HOST,
    port: 30085,
    output: '10.180.0.9:80',
    masq: true,
  },
  {
    name: 'source ranges: cluster IP unaffected',
    src: POD,
    dst: '172.30.0.15',
    port: 80,
    output: '10.180.0.9:80',
    masq: false,
  },
  // LoadBalancer eTP Local
  {
    name: 'LB eTP Local: external to LB IP keeps source',
    src: EXT,
    dst: '5.6.7.10',
    port: 80,
    output: '10.180.0.10:80',
    masq: false,
  },
  { name: 'LB eTP Local: NodePort', src: EXT, dst: HOST, port: 30086, output: '10.180.0.10:80', masq: false },
  {
    name: 'LB eTP Local: health check node port accepted',
    src: EXT,
    dst: HOST,
    port: 32000,
    output: 'ACCEPT',
    masq: false,
  },
  {
    name: 'LB eTP Local: pod to LB IP',
    src: POD,
    dst: '5.6.7.10',
    port: 80,
    output: '10.180.0.10:80',
    masq: false,
  },
  {
    name: 'LB eTP Local, no local endpoint: LB IP dropped',
    src: EXT,
    dst: '5.6.7.11',
    port: 80,
    output: 'DROP',
    masq: false,
  },
  {
    name: 'LB eTP Local, no local endpoint: NodePort dropped',
    src: EXT,
    dst: HOST,
    port: 30089,
    output: 'DROP',
    masq: false,
  },
  {
    name: 'LB eTP Local, no local endpoint: pod to LB IP',
    src: POD,
    dst: '5.6.7.11',
    port: 80,
    output: '10.180.0.26:80',
    masq: false,
  },
  {
    name: 'LB eTP Local, no local endpoint: health check port still open',
    src: EXT,
    dst: HOST,
    port: 32001,
    output: 'ACCEPT',
    masq: false,
  },
  // externalIPs
  {
    name: 'externalIP from outside',
    src: EXT,
    dst: '192.168.99.33',
    port: 80,
    output: '10.180.0.11:80',
    masq: true,
  },
  {
    name: 'externalIP from a pod (eTP Cluster masquerades)',
    src: POD,
    dst: '192.168.99.33',
    port: 80,
    output: '10.180.0.11:80',
    masq: true,
  },
  {
    name: 'externalIP from the host',
    src: HOST,
    dst: '192.168.99.33',
    port: 80,
    output: '10.180.0.11:80',
    masq: true,
  },
  { name: 'externalIP, port not served', src: EXT, dst: '192.168.99.33', port: 81, output: '', masq: false },
  // iTP Local
  {
    name: 'iTP Local: only the local endpoint',
    src: POD,
    dst: '172.30.0.18',
    port: 80,
    output: '10.180.0.12:80',
    masq: false,
  },
  {
    name: 'iTP Local: outside source masqueraded',
    src: EXT,
    dst: '172.30.0.18',
    port: 80,
    output: '10.180.0.12:80',
    masq: true,
  },
  {
    name: 'iTP Local, no local endpoint: dropped',
    src: POD,
    dst: '172.30.0.19',
    port: 80,
    output: 'DROP',
    masq: false,
  },
  // affinity
  {
    name: 'ClientIP affinity: both endpoints possible',
    src: POD,
    dst: '172.30.0.20',
    port: 80,
    output: '10.180.0.15:80, 10.180.0.16:80',
    masq: false,
  },
  {
    name: 'ClientIP affinity: outside source',
    src: EXT,
    dst: '172.30.0.20',
    port: 80,
    output: '10.180.0.15:80, 10.180.0.16:80',
    masq: true,
  },
  // terminating endpoints
  {
    name: 'terminating endpoint skipped while a ready one exists',
    src: POD,
    dst: '172.30.0.21',
    port: 80,
    output: '10.180.0.18:80',
    masq: false,
  },
  {
    name: 'only terminating: serving ones are used',
    src: POD,
    dst: '172.30.0.22',
    port: 80,
    output: '10.180.0.19:80',
    masq: false,
  },
  // no endpoints
  {
    name: 'no endpoints: cluster IP rejected',
    src: POD,
    dst: '172.30.0.23',
    port: 80,
    output: 'REJECT',
    masq: false,
  },
  {
    name: 'no endpoints: NodePort rejected',
    src: EXT,
    dst: HOST,
    port: 30087,
    output: 'REJECT',
    masq: false,
  },
  {
    name: 'not ready, not serving: rejected',
    src: POD,
    dst: '172.30.0.26',
    port: 80,
    output: 'REJECT',
    masq: false,
  },
  // UDP and SCTP
  {
    name: 'UDP DNS',
    src: POD,
    proto: 'udp',
    dst: '172.30.0.24',
    port: 53,
    output: '10.180.0.21:53',
    masq: false,
  },
  {
    name: 'TCP DNS on the same IP',
    src: POD,
    proto: 'tcp',
    dst: '172.30.0.24',
    port: 53,
    output: '10.180.0.21:53',
    masq: false,
  },
  {
    name: 'SCTP to the DNS port: no rule',
    src: POD,
    proto: 'sctp',
    dst: '172.30.0.24',
    port: 53,
    output: '',
    masq: false,
  },
  {
    name: 'SCTP service',
    src: POD,
    proto: 'sctp',
    dst: '172.30.0.25',
    port: 9999,
    output: '10.180.0.22:9999',
    masq: false,
  },
  {
    name: 'TCP to the SCTP service: no rule',
    src: POD,
    proto: 'tcp',
    dst: '172.30.0.25',
    port: 9999,
    output: '',
    masq: false,
  },
  {
    name: 'UDP NodePort',
    src: EXT,
    proto: 'udp',
    dst: HOST,
    port: 30514,
    output: '10.180.0.25:514',
    masq: true,
  },
  { name: 'TCP to a UDP NodePort', src: EXT, proto: 'tcp', dst: HOST, port: 30514, output: '', masq: false },
  // multi-port, headless
  {
    name: 'multi-port: first port',
    src: POD,
    dst: '172.30.0.27',
    port: 80,
    output: '10.180.0.23:8080',
    masq: false,
  },
  {
    name: 'multi-port: second port',
    src: POD,
    dst: '172.30.0.27',
    port: 81,
    output: '10.180.0.23:9090',
    masq: false,
  },
  { name: 'headless service: no rules', src: POD, dst: '10.180.0.24', port: 80, output: '', masq: false },
];

t.test(`${flows.length} packet flows on node-a`, async (t) => {
  const { rules, nodeIPs } = nodeRules(cluster, 'node-a');
  const fast = new FastPath(rules, nodeIPs);
  for (const f of flows) {
    const packet = { sourceIP: f.src, protocol: f.proto ?? 'tcp', destIP: f.dst, destPort: f.port };
    const r = tracePacket(rules, packet, { nodeIPs });
    t.equal(r.output, f.output, `${f.name}: output`);
    t.equal(r.masquerade, f.masq, `${f.name}: masquerade`);
    if (r.endpoints.length > 0) {
      // The statistic rules give every endpoint of a service port the same share.
      const even = r.shares.every((x) => Math.abs(x - 1 / r.endpoints.length) < 1e-9);
      t.ok(even, `${f.name}: shares ${r.shares.map((x) => x.toFixed(4)).join(', ')}`);
    }
    const fr = fast.trace(packet);
    t.same(fr, r, `${f.name}: fast path agrees`);
    const k = simulatePacket(
      rules,
      packet,
      newKernelState(seededUint32(9), () => 0),
      { nodeIPs },
    );
    if (r.verdict === 'DNAT')
      t.ok(r.endpoints.includes(k.endpoint ?? ''), `${f.name}: kernel picks one of them (${k.endpoint})`);
    else if (r.verdict === 'DROP' || r.verdict === 'REJECT')
      t.equal(k.verdict, r.verdict, `${f.name}: kernel verdict`);
    // The default of netlab trace against --pick, over several seeds.
    const kt = traceKernel(rules, packet, { nodeIPs });
    t.same(kt.verdicts, [], `${f.name}: every path ends alike`);
    t.ok(Math.abs(kt.paths.reduce((a, x) => a + x.share, 0) - 1) < 1e-9, `${f.name}: shares add up to 1`);
    const picks = [1, 2, 3, 4, 5, 6].map((seed) =>
      fast.decide(
        packet,
        newKernelState(seededUint32(seed), () => 0),
      ),
    );
    t.ok(
      picks.every(
        (k) =>
          k.verdict === kt.verdict &&
          (k.verdict !== 'DNAT' || kt.endpoints.includes(k.endpoint ?? '')) &&
          (!k.masquerade || kt.masquerade),
      ),
      `${f.name}: --pick agrees with ${kt.verdict} ${kt.endpoints.join(', ')} (${picks.map((k) => k.endpoint ?? k.verdict).join(' ')})`,
    );
  }
});

t.test('the same services seen from node-b', async (t) => {
  const { rules, nodeIPs } = nodeRules(cluster, 'node-b');
  const cases: Flow[] = [
    {
      name: 'eTP Local on node-b: its own endpoint',
      src: EXT,
      dst: '192.168.0.3',
      port: 30081,
      output: '10.180.0.6:80',
      masq: false,
    },
    {
      name: 'eTP Local on node-b: now has a local endpoint',
      src: EXT,
      dst: '192.168.0.3',
      port: 30082,
      output: '10.180.0.7:80',
      masq: false,
    },
    {
      name: 'LB eTP Local on node-b: no local endpoint',
      src: EXT,
      dst: '5.6.7.10',
      port: 80,
      output: 'DROP',
      masq: false,
    },
    {
      name: 'iTP Local on node-b',
      src: POD,
      dst: '172.30.0.18',
      port: 80,
      output: '10.180.0.13:80',
      masq: false,
    },
    {
      name: 'iTP Local on node-b: has the endpoint',
      src: POD,
      dst: '172.30.0.19',
      port: 80,
      output: '10.180.0.14:80',
      masq: false,
    },
    { name: "node-a's IP is not local on node-b", src: EXT, dst: HOST, port: 30080, output: '', masq: false },
  ];
  for (const f of cases) {
    const r = tracePacket(
      rules,
      { sourceIP: f.src, protocol: f.proto ?? 'tcp', destIP: f.dst, destPort: f.port },
      { nodeIPs },
    );
    t.equal(r.output, f.output, `${f.name}: output`);
    t.equal(r.masquerade, f.masq, `${f.name}: masquerade`);
  }
});

t.test('IPv6 flows', async (t) => {
  const v6 = `apiVersion: v1
kind: Node
metadata: {name: node-a}
status: {addresses: [{type: InternalIP, address: '2001:db8::1'}]}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec: {clusterIP: 'fd00:30::10', ipFamilies: [IPv6], ports: [{name: p, port: 80, protocol: TCP}]}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: web-x, namespace: default, labels: {kubernetes.io/service-name: web}}
addressType: IPv6
ports: [{name: p, port: 8080, protocol: TCP}]
endpoints: [{addresses: ['fd00:10::1'], nodeName: node-a}, {addresses: ['fd00:10::2']}]
---
apiVersion: v1
kind: Service
metadata: {name: np, namespace: default}
spec: {type: NodePort, clusterIP: 'fd00:30::11', ipFamilies: [IPv6], ports: [{name: p, port: 53, protocol: UDP, nodePort: 30053}]}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: np-x, namespace: default, labels: {kubernetes.io/service-name: np}}
addressType: IPv6
ports: [{name: p, port: 53, protocol: UDP}]
endpoints: [{addresses: ['fd00:10::3']}]
---
apiVersion: v1
kind: Service
metadata: {name: empty, namespace: default}
spec: {clusterIP: 'fd00:30::12', ipFamilies: [IPv6], ports: [{name: p, port: 80, protocol: TCP}]}
`;
  const objects = parseManifests(v6, 'v6.yaml').map((o) => o.object);
  const p = new Proxier({
    nodeName: 'node-a',
    ipFamily: 'IPv6',
    nodeIPs: ['2001:db8::1'],
    clusterCIDRs: ['fd00:10::/64'],
    minSyncPeriod: 0,
  });
  for (const o of objects) if (o.kind === 'Node') p.onNodeAdd(o as Node);
  for (const o of objects) if (o.kind === 'Service') p.onServiceAdd(o as Service);
  for (const o of objects) if (o.kind === 'EndpointSlice') p.onEndpointSliceAdd(o as EndpointSlice);
  p.markSynced();
  const rules = RuleTable.parse(p.syncProxyRules().payload);
  const nodeIPs = ['2001:db8::1'];
  const fast = new FastPath(rules, nodeIPs);
  const cases: Flow[] = [
    {
      name: 'v6 pod to cluster IP',
      src: 'fd00:10::9',
      dst: 'fd00:30::10',
      port: 80,
      output: '[fd00:10::1]:8080, [fd00:10::2]:8080',
      masq: false,
    },
    {
      name: 'v6 outside source masqueraded',
      src: '2001:db8:5::5',
      dst: 'fd00:30::10',
      port: 80,
      output: '[fd00:10::1]:8080, [fd00:10::2]:8080',
      masq: true,
    },
    {
      name: 'v6 hairpin',
      src: 'fd00:10::2',
      dst: 'fd00:30::10',
      port: 80,
      output: '[fd00:10::1]:8080, [fd00:10::2]:8080',
      masq: true,
    },
    {
      name: 'v6 UDP NodePort',
      src: '2001:db8:5::5',
      proto: 'udp',
      dst: '2001:db8::1',
      port: 30053,
      output: '[fd00:10::3]:53',
      masq: true,
    },
    {
      name: 'v6 no localhost NodePorts',
      src: '::1',
      proto: 'udp',
      dst: '::1',
      port: 30053,
      output: '',
      masq: false,
    },
    {
      name: 'v6 no endpoints',
      src: 'fd00:10::9',
      dst: 'fd00:30::12',
      port: 80,
      output: 'REJECT',
      masq: false,
    },
    {
      name: 'v6 unknown destination',
      src: 'fd00:10::9',
      dst: 'fd00:30::99',
      port: 80,
      output: '',
      masq: false,
    },
  ];
  for (const f of cases) {
    const packet = { sourceIP: f.src, protocol: f.proto ?? 'tcp', destIP: f.dst, destPort: f.port };
    const r = tracePacket(rules, packet, { nodeIPs });
    t.equal(r.output, f.output, `${f.name}: output`);
    t.equal(r.masquerade, f.masq, `${f.name}: masquerade`);
    t.same(fast.trace(packet), r, `${f.name}: fast path agrees`);
    const k = fast.decide(
      packet,
      newKernelState(seededUint32(2), () => 0),
    );
    if (r.verdict === 'DNAT')
      t.ok(r.endpoints.includes(k.endpoint ?? ''), `${f.name}: kernel picks ${k.endpoint}`);
  }
});

// kube-proxy's TestInternalExternalMasquerade idea: the same traffic under --masquerade-all, and with
// no local-traffic detector (no --cluster-cidr).
t.test('masquerade-all and no cluster CIDR', async (t) => {
  const cases: { name: string; opts: Partial<ProxierOptions>; flow: Flow }[] = [
    {
      name: 'masquerade-all: pod to cluster IP is masqueraded',
      opts: { masqueradeAll: true },
      flow: { name: '', src: POD, dst: '172.30.0.10', port: 80, output: WEB, masq: true },
    },
    {
      name: 'masquerade-all: eTP Local NodePort from outside keeps its source',
      opts: { masqueradeAll: true },
      flow: { name: '', src: EXT, dst: HOST, port: 30081, output: '10.180.0.5:80', masq: false },
    },
    {
      name: 'masquerade-all: iTP Local from a pod is masqueraded',
      opts: { masqueradeAll: true },
      flow: { name: '', src: POD, dst: '172.30.0.18', port: 80, output: '10.180.0.12:80', masq: true },
    },
    {
      name: 'no detector: outside source to cluster IP is not masqueraded',
      opts: { clusterCIDRs: [] },
      flow: { name: '', src: EXT, dst: '172.30.0.10', port: 80, output: WEB, masq: false },
    },
    {
      name: 'no detector: hairpin still masqueraded',
      opts: { clusterCIDRs: [] },
      flow: { name: '', src: '10.180.0.1', dst: '172.30.0.10', port: 80, output: WEB, masq: true },
    },
    {
      name: 'no detector: pod to eTP Local NodePort gets only the local endpoint',
      opts: { clusterCIDRs: [] },
      flow: { name: '', src: POD, dst: HOST, port: 30081, output: '10.180.0.5:80', masq: false },
    },
    {
      name: 'no detector: pod to eTP Local without local endpoint is dropped',
      opts: { clusterCIDRs: [] },
      flow: { name: '', src: POD, dst: HOST, port: 30082, output: 'DROP', masq: false },
    },
    {
      name: 'no detector: host to eTP Local NodePort still masqueraded to all endpoints',
      opts: { clusterCIDRs: [] },
      flow: {
        name: '',
        src: HOST,
        dst: HOST,
        port: 30081,
        output: '10.180.0.5:80, 10.180.0.6:80',
        masq: true,
      },
    },
    {
      name: 'no detector: NodePort eTP Cluster masqueraded',
      opts: { clusterCIDRs: [] },
      flow: { name: '', src: EXT, dst: HOST, port: 30080, output: '10.180.0.4:80', masq: true },
    },
  ];
  for (const c of cases) {
    const { rules, nodeIPs } = nodeRules(cluster, 'node-a', c.opts);
    const f = c.flow;
    const packet = { sourceIP: f.src, protocol: f.proto ?? 'tcp', destIP: f.dst, destPort: f.port };
    const r = tracePacket(rules, packet, { nodeIPs });
    t.equal(r.output, f.output, `${c.name}: output`);
    t.equal(r.masquerade, f.masq, `${c.name}: masquerade`);
    t.same(new FastPath(rules, nodeIPs).trace(packet), r, `${c.name}: fast path agrees`);
  }
});
