// The fast path must agree with the tracer on every packet. Property tests over random clusters (the
// generator's rules for a node) and random packets aimed at what those clusters expose.
import fc from 'fast-check';
import t from 'tap';
import type { EndpointSlice, Node, Service } from '../../api/index.js';
import type { Protocol } from '../../api/types.js';
import { FastPath, newKernelState, Proxier, RuleTable, traceKernel, tracePacket } from '../../proxy/index.js';
import { renderIptablesSave } from '../../proxy/ruletable/kernel.js';
import { simulatePacket } from '../../proxy/tracer/kernel.js';
import { seededUint32 } from '../../std/index.js';

interface EndpointSpec {
  node: 'node-a' | 'node-b' | undefined;
  ready: boolean;
  serving: boolean;
  terminating: boolean;
}

interface ServiceSpecArb {
  type: 'ClusterIP' | 'NodePort' | 'LoadBalancer';
  protocol: Protocol;
  ports: number;
  externalIP: boolean;
  sourceRange: '' | '203.0.113.0/25' | '192.168.0.0/24';
  etpLocal: boolean;
  itpLocal: boolean;
  affinity: boolean;
  endpoints: EndpointSpec[];
}

const endpointArb: fc.Arbitrary<EndpointSpec> = fc.record({
  node: fc.constantFrom<('node-a' | 'node-b' | undefined)[]>('node-a', 'node-b', undefined),
  ready: fc.boolean(),
  serving: fc.boolean(),
  terminating: fc.boolean(),
});

const serviceArb: fc.Arbitrary<ServiceSpecArb> = fc.record({
  type: fc.constantFrom<('ClusterIP' | 'NodePort' | 'LoadBalancer')[]>(
    'ClusterIP',
    'NodePort',
    'LoadBalancer',
  ),
  protocol: fc.constantFrom<Protocol[]>('TCP', 'UDP', 'SCTP'),
  ports: fc.integer({ min: 1, max: 2 }),
  externalIP: fc.boolean(),
  sourceRange: fc.constantFrom<('' | '203.0.113.0/25' | '192.168.0.0/24')[]>(
    '',
    '203.0.113.0/25',
    '192.168.0.0/24',
  ),
  etpLocal: fc.boolean(),
  itpLocal: fc.boolean(),
  affinity: fc.boolean(),
  endpoints: fc.array(endpointArb, { maxLength: 4 }),
});

const nodes: Node[] = [
  {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: 'node-a' },
    status: { addresses: [{ type: 'InternalIP', address: '192.168.0.2' }] },
  },
  {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: 'node-b' },
    status: { addresses: [{ type: 'InternalIP', address: '192.168.0.3' }] },
  },
];

interface Target {
  dst: string;
  port: number;
  proto: 'tcp' | 'udp' | 'sctp';
}

interface Built {
  rules: RuleTable;
  dsts: string[];
  ports: number[];
  srcs: string[];
  /** Every address:port/protocol a service answers on (cluster IP, external IP, LB IP, NodePorts). */
  targets: Target[];
}

function build(specs: ServiceSpecArb[]): Built {
  const proxier = new Proxier({
    nodeName: 'node-a',
    nodeIPs: ['192.168.0.2'],
    clusterCIDRs: ['10.0.0.0/8'],
    minSyncPeriod: 0,
  });
  for (const n of nodes) proxier.onNodeAdd(n);
  const dsts = ['192.168.0.2', '192.168.0.3', '127.0.0.1', '10.0.0.9'];
  const ports = [80, 1];
  const srcs = ['10.0.0.2', '192.168.0.2', '127.0.0.1', '203.0.113.5', '203.0.113.200'];
  const targets: Target[] = [];
  specs.forEach((s, i) => {
    const name = `svc${i}`;
    const svcPorts = Array.from({ length: s.ports }, (_, j) => ({
      name: `p${j}`,
      port: 80 + j,
      protocol: s.protocol,
      ...(s.type !== 'ClusterIP' ? { nodePort: 30000 + i * 10 + j } : {}),
    }));
    const external = s.type !== 'ClusterIP';
    const service: Service = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name, namespace: 'ns' },
      spec: {
        type: s.type,
        clusterIP: `172.30.0.${10 + i}`,
        ports: svcPorts,
        ...(s.externalIP ? { externalIPs: [`192.168.99.${10 + i}`] } : {}),
        ...(s.type === 'LoadBalancer' && s.sourceRange !== ''
          ? { loadBalancerSourceRanges: [s.sourceRange] }
          : {}),
        ...(external && s.etpLocal ? { externalTrafficPolicy: 'Local' as const } : {}),
        ...(s.type === 'LoadBalancer' && s.etpLocal ? { healthCheckNodePort: 32000 + i } : {}),
        ...(s.itpLocal ? { internalTrafficPolicy: 'Local' as const } : {}),
        ...(s.affinity
          ? {
              sessionAffinity: 'ClientIP' as const,
              sessionAffinityConfig: { clientIP: { timeoutSeconds: 10800 } },
            }
          : {}),
      },
      ...(s.type === 'LoadBalancer'
        ? { status: { loadBalancer: { ingress: [{ ip: `5.6.7.${10 + i}` }] } } }
        : {}),
    } as Service;
    const slice: EndpointSlice = {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: `${name}-x`, namespace: 'ns', labels: { 'kubernetes.io/service-name': name } },
      addressType: 'IPv4',
      ports: svcPorts.map((p) => ({ name: p.name, port: p.port + 8000, protocol: p.protocol })),
      endpoints: s.endpoints.map((e, j) => ({
        addresses: [`10.180.${i}.${j + 1}`],
        conditions: { ready: e.ready, serving: e.serving, terminating: e.terminating },
        ...(e.node !== undefined ? { nodeName: e.node } : {}),
      })),
    } as EndpointSlice;
    proxier.onServiceAdd(service);
    proxier.onEndpointSliceAdd(slice);
    dsts.push(`172.30.0.${10 + i}`, `192.168.99.${10 + i}`, `5.6.7.${10 + i}`);
    const proto = s.protocol.toLowerCase() as Target['proto'];
    for (const p of svcPorts) {
      ports.push(p.port, p.nodePort ?? 80);
      targets.push({ dst: `172.30.0.${10 + i}`, port: p.port, proto });
      if (s.externalIP) targets.push({ dst: `192.168.99.${10 + i}`, port: p.port, proto });
      if (s.type === 'LoadBalancer') targets.push({ dst: `5.6.7.${10 + i}`, port: p.port, proto });
      if (p.nodePort !== undefined) {
        for (const ip of ['192.168.0.2', '127.0.0.1', '192.168.0.3'])
          targets.push({ dst: ip, port: p.nodePort, proto });
      }
    }
    if (s.type === 'LoadBalancer' && s.etpLocal)
      targets.push({ dst: '192.168.0.2', port: 32000 + i, proto: 'tcp' });
    if (s.type === 'LoadBalancer' && s.etpLocal) ports.push(32000 + i);
    for (let j = 0; j < s.endpoints.length; j++) srcs.push(`10.180.${i}.${j + 1}`);
  });
  proxier.markSynced();
  return { rules: RuleTable.parse(proxier.syncProxyRules().payload), dsts, ports, srcs, targets };
}

const nodeIPs = ['192.168.0.2'];

t.test('fast path == tracer over random clusters and packets', async (t) => {
  let packets = 0;
  let dnat = 0;
  let mixed = 0;
  let parted = 0;
  fc.assert(
    fc.property(
      fc.array(serviceArb, { minLength: 1, maxLength: 6 }),
      fc.array(
        fc.tuple(
          fc.nat(),
          fc.nat(),
          fc.nat(),
          fc.constantFrom('tcp', 'udp', 'sctp'),
          fc.nat(),
          fc.integer({ min: 0, max: 9 }),
        ),
        { minLength: 10, maxLength: 30 },
      ),
      (specs, picks) => {
        const b = build(specs);
        const fast = new FastPath(b.rules, nodeIPs);
        for (const [si, di, pi, proto, seed, aim] of picks) {
          // Mostly aimed at something a service answers on; sometimes anywhere.
          const target = aim < 8 ? b.targets[di % b.targets.length] : undefined;
          const packet = {
            sourceIP: b.srcs[si % b.srcs.length]!,
            protocol: target?.proto ?? (proto as 'tcp'),
            destIP: target?.dst ?? b.dsts[di % b.dsts.length]!,
            destPort: target?.port ?? b.ports[pi % b.ports.length]!,
          };
          const want = tracePacket(b.rules, packet, { nodeIPs });
          const got = fast.trace(packet);
          if (JSON.stringify(got) !== JSON.stringify(want)) {
            throw new Error(
              `possible outcomes differ for ${JSON.stringify(packet)}:\n${JSON.stringify(got)}\n${JSON.stringify(want)}`,
            );
          }
          const k1 = simulatePacket(
            b.rules,
            packet,
            newKernelState(seededUint32(seed), () => 0),
            { nodeIPs },
          );
          const k2 = fast.decide(
            packet,
            newKernelState(seededUint32(seed), () => 0),
          );
          if (JSON.stringify(k1) !== JSON.stringify(k2)) {
            throw new Error(
              `kernel outcomes differ for ${JSON.stringify(packet)}:\n${JSON.stringify(k2)}\n${JSON.stringify(k1)}`,
            );
          }
          if (k1.verdict === 'DNAT' && !want.endpoints.includes(k1.endpoint!)) {
            throw new Error(
              `kernel chose ${k1.endpoint}, not a possible endpoint ${want.output} for ${JSON.stringify(packet)}`,
            );
          }
          // netlab trace's default (every kernel outcome) and --pick (decide) never disagree.
          const kt = traceKernel(b.rules, packet, { nodeIPs });
          const verdictAgrees =
            kt.verdicts.length === 0
              ? k2.verdict === kt.verdict
              : kt.verdicts.some((v) => v.verdict === k2.verdict);
          if (!verdictAgrees || (k2.verdict === 'DNAT' && !kt.endpoints.includes(k2.endpoint!))) {
            throw new Error(
              `--pick gave ${k2.endpoint ?? k2.verdict}, the kernel trace ${kt.verdict} ${kt.output} for ${JSON.stringify(packet)}`,
            );
          }
          if (kt.verdicts.length > 0) mixed++;
          if (kt.verdict !== want.verdict) parted++;
          packets++;
          if (want.verdict === 'DNAT') dnat++;
        }
      },
    ),
    { numRuns: 200, seed: 20260101 },
  );
  t.ok(packets > 2000, `${packets} packets compared`);
  t.equal(mixed, 0, 'no generated cluster has paths that end differently');
  t.comment(`the kernel's verdict and kube-proxy's test tracer's differ for ${parted} of them`);
  t.ok(dnat > packets / 4, `${dnat} of them DNAT'd (the packets hit services)`);
});

t.test('the same clusters as iptables-save would print them trace the same', async (t) => {
  let compared = 0;
  fc.assert(
    fc.property(
      fc.array(serviceArb, { minLength: 1, maxLength: 5 }),
      fc.array(fc.tuple(fc.nat(), fc.nat()), { minLength: 5, maxLength: 15 }),
      (specs, picks) => {
        const b = build(specs);
        const text = b.rules.render();
        if (RuleTable.parse(text).render() !== text) throw new Error('round trip');
        const dump = RuleTable.parse(renderIptablesSave(b.rules));
        for (const [si, ti] of picks) {
          const target = b.targets[ti % b.targets.length]!;
          const packet = {
            sourceIP: b.srcs[si % b.srcs.length]!,
            protocol: target.proto,
            destIP: target.dst,
            destPort: target.port,
          };
          const want = tracePacket(b.rules, packet, { nodeIPs });
          const got = tracePacket(dump, packet, { nodeIPs });
          if (
            got.output !== want.output ||
            got.masquerade !== want.masquerade ||
            got.rules.length !== want.rules.length
          ) {
            throw new Error(
              `kernel text traces differently for ${JSON.stringify(packet)}: ${got.output} vs ${want.output}`,
            );
          }
          compared++;
        }
      },
    ),
    { numRuns: 60, seed: 7 },
  );
  t.ok(compared > 300, `${compared} packets compared`);
});

t.test('the kernel picks endpoints with the rules probabilities', async (t) => {
  // Three endpoints: 1/3 each through probabilities 0.3333333333 and 0.5000000000.
  const b = build([
    {
      type: 'ClusterIP',
      protocol: 'TCP',
      ports: 1,
      externalIP: false,
      sourceRange: '',
      etpLocal: false,
      itpLocal: false,
      affinity: false,
      endpoints: [
        { node: 'node-a', ready: true, serving: true, terminating: false },
        { node: 'node-b', ready: true, serving: true, terminating: false },
        { node: 'node-b', ready: true, serving: true, terminating: false },
      ],
    },
  ]);
  const fast = new FastPath(b.rules, nodeIPs);
  const state = newKernelState(seededUint32(77), () => 0);
  const counts = new Map<string, number>();
  for (let i = 0; i < 3000; i++) {
    const r = fast.decide({ sourceIP: '10.0.0.2', destIP: '172.30.0.10', destPort: 80 }, state);
    counts.set(r.endpoint!, (counts.get(r.endpoint!) ?? 0) + 1);
  }
  t.same([...counts.keys()].sort(), ['10.180.0.1:8080', '10.180.0.2:8080', '10.180.0.3:8080']);
  for (const [ep, n] of counts) t.ok(n > 850 && n < 1150, `${ep}: ${n} of 3000`);
});

t.test('affinity in the fast path: a client sticks, others spread', async (t) => {
  const b = build([
    {
      type: 'ClusterIP',
      protocol: 'TCP',
      ports: 1,
      externalIP: false,
      sourceRange: '',
      etpLocal: false,
      itpLocal: false,
      affinity: true,
      endpoints: [
        { node: 'node-a', ready: true, serving: true, terminating: false },
        { node: 'node-b', ready: true, serving: true, terminating: false },
      ],
    },
  ]);
  const fast = new FastPath(b.rules, nodeIPs);
  const state = newKernelState(seededUint32(5), () => 100);
  const chosen = new Set<string>();
  for (let c = 2; c < 12; c++) {
    const src = `10.0.0.${c}`;
    const first = fast.decide({ sourceIP: src, destIP: '172.30.0.10', destPort: 80 }, state).endpoint!;
    for (let i = 0; i < 5; i++) {
      t.equal(
        fast.decide({ sourceIP: src, destIP: '172.30.0.10', destPort: 80 }, state).endpoint,
        first,
        `${src} sticks`,
      );
    }
    chosen.add(first);
  }
  t.equal(chosen.size, 2, 'ten clients use both endpoints');
  t.equal(fast.warm(), 1, 'warm compiles the one service destination');
});

t.test('hand-written rules: numeric protocols, port ranges, negations, RETURN, goto', async (t) => {
  const rules = RuleTable.parse(`*nat
:KUBE-SERVICES - [0:0]
:A - [0:0]
:B - [0:0]
-A KUBE-SERVICES -p 6 -d 172.30.0.1 --dport 80 -j A
-A KUBE-SERVICES -p tcp -d 172.30.0.2 -m multiport --dports 8000:8100 -j B
-A KUBE-SERVICES ! -p udp -d 172.30.0.3 -j B
-A KUBE-SERVICES -p all ! -d 172.30.0.0/16 -j RETURN
-A KUBE-SERVICES -p udp -d 172.30.0.4 --dport 53 -g A
-A A ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ
-A A -s 10.1.0.0/16 -j RETURN
-A A -j DNAT --to-destination 10.180.0.1:80
-A B -j DNAT --to-destination 10.180.0.2:80
COMMIT
`);
  const fast = new FastPath(rules, nodeIPs);
  const cases: [string, 'tcp' | 'udp' | 'sctp', string, number, string][] = [
    ['10.0.0.2', 'tcp', '172.30.0.1', 80, '10.180.0.1:80'],
    ['10.1.0.2', 'tcp', '172.30.0.1', 80, ''],
    ['203.0.113.1', 'tcp', '172.30.0.1', 80, '10.180.0.1:80'],
    ['10.0.0.2', 'tcp', '172.30.0.2', 8050, '10.180.0.2:80'],
    ['10.0.0.2', 'tcp', '172.30.0.2', 8200, ''],
    ['10.0.0.2', 'sctp', '172.30.0.3', 1, '10.180.0.2:80'],
    ['10.0.0.2', 'udp', '172.30.0.3', 1, ''],
    ['10.0.0.2', 'udp', '172.30.0.4', 53, '10.180.0.1:80'],
    ['10.0.0.2', 'tcp', '8.8.8.8', 53, ''],
  ];
  for (const [src, proto, dst, port, output] of cases) {
    const packet = { sourceIP: src, protocol: proto, destIP: dst, destPort: port };
    const r = tracePacket(rules, packet, { nodeIPs });
    t.equal(r.output, output, `${proto} ${src} -> ${dst}:${port}`);
    t.same(fast.trace(packet), r, 'fast path agrees');
    const k1 = simulatePacket(
      rules,
      packet,
      newKernelState(seededUint32(1), () => 0),
      { nodeIPs },
    );
    t.same(
      fast.decide(
        packet,
        newKernelState(seededUint32(1), () => 0),
      ),
      k1,
      'kernel mode agrees',
    );
  }
});
