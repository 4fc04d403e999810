// Allocation through the store, as kube-apiserver's Service storage does it: exhaustion errors,
// the static band, release and reuse, and what type changes allocate and release.
import t from 'tap';
import type { AnyObject, Service, StatusError } from '../../api/index.js';
import { newStore, service as svc } from './objects.js';

t.test('exhaustion: Service IPs and NodePorts', async (t) => {
  const s = newStore({ serviceCIDRs: ['10.96.0.0/29'], nodePortRange: '30000-30001' });
  for (let i = 0; i < 5; i++) s.create(svc(`s${i}`));
  const e = t.throws(() => s.create(svc('s5'))) as StatusError;
  t.equal(e.message, 'Internal error occurred: failed to allocate a serviceIP: range is full');
  t.equal(e.status.code, 500);
  t.equal(e.reason, 'InternalError');
  s.delete('Service', 's4');
  s.create(
    svc('np', {
      type: 'NodePort',
      ports: [
        { port: 80, name: 'a' },
        { port: 81, name: 'b' },
      ],
    }),
  );
  s.delete('Service', 's3');
  const np = t.throws(() => s.create(svc('np2', { type: 'NodePort' }))) as StatusError;
  t.equal(np.message, 'Internal error occurred: failed to allocate a nodePort: range is full');
  t.ok(s.allocators.byFamily.get('IPv4')!.free() === 1, 'the failed create gave its ClusterIP back');
  s.close();
});

t.test('static band: dynamic ClusterIPs stay above it, requested ones go in it', async (t) => {
  const s = newStore({ serviceCIDRs: ['10.96.0.0/24'] });
  for (let i = 0; i < 40; i++) {
    const ip = s.create(svc(`d${i}`)).spec.clusterIP!;
    t.ok(Number(ip.split('.')[3]) > 16, `${ip} is above 10.96.0.16`);
  }
  t.equal(s.create(svc('dns', { clusterIP: '10.96.0.10' })).spec.clusterIP, '10.96.0.10');
  const np = s.create(svc('np', { type: 'NodePort' })).spec.ports![0]!.nodePort!;
  t.ok(np >= 30086, `dynamic nodePort ${np} is above the static band`);
  t.equal(
    s.create(svc('np-fixed', { type: 'NodePort', ports: [{ port: 80, nodePort: 30007 }] })).spec.ports![0]!
      .nodePort,
    30007,
  );
  s.close();
});

t.test('delete releases; the same values can be requested again', async (t) => {
  const s = newStore();
  const a = s.create(svc('a', { type: 'LoadBalancer', externalTrafficPolicy: 'Local' }));
  const ip = a.spec.clusterIP!;
  const np = a.spec.ports![0]!.nodePort!;
  const hc = a.spec.healthCheckNodePort!;
  t.ok(hc >= 30000 && hc <= 32767, 'healthCheckNodePort allocated for LoadBalancer + Local');
  t.ok(s.allocators.nodePorts.has(hc));
  s.delete('Service', 'a');
  for (const p of [np, hc]) t.notOk(s.allocators.nodePorts.has(p), `${p} released`);
  t.notOk(s.allocators.byFamily.get('IPv4')!.has(ip), `${ip} released`);
  const b = s.create(
    svc('b', {
      type: 'LoadBalancer',
      externalTrafficPolicy: 'Local',
      clusterIP: ip,
      healthCheckNodePort: hc,
      ports: [{ port: 80, nodePort: np }],
    }),
  );
  t.same([b.spec.clusterIP, b.spec.ports![0]!.nodePort, b.spec.healthCheckNodePort], [ip, np, hc]);
  s.close();
});

t.test('TCP and UDP on one port number share a nodePort', async (t) => {
  const s = newStore();
  const d = s.create(
    svc('dns', {
      type: 'NodePort',
      ports: [
        { name: 'dns', port: 53, protocol: 'UDP' },
        { name: 'dns-tcp', port: 53, protocol: 'TCP' },
        { name: 'metrics', port: 9153 },
      ],
    }),
  );
  const [udp, tcp, metrics] = d.spec.ports!.map((p) => p.nodePort!);
  t.equal(udp, tcp);
  t.not(udp, metrics);
  s.close();
});

t.test('type changes allocate and release', async (t) => {
  const s = newStore();
  const put = (name: string, spec: Record<string, unknown>) => s.update(svc(name, spec));
  const c = s.create(svc('web'));
  const ip = c.spec.clusterIP!;
  // ClusterIP -> NodePort: nodePorts allocated, the ClusterIP kept although the manifest omits it.
  const n = put('web', { type: 'NodePort' });
  const np = n.spec.ports![0]!.nodePort!;
  t.equal(n.spec.clusterIP, ip);
  t.ok(s.allocators.nodePorts.has(np));
  t.equal(n.spec.externalTrafficPolicy, 'Cluster');
  // NodePort -> ClusterIP: the nodePort goes back and leaves the object.
  const back = s.update({
    ...structuredClone(s.get('Service', 'web')),
    spec: { ...structuredClone(s.get('Service', 'web').spec), type: 'ClusterIP' },
  } as Service);
  t.equal(back.spec.ports![0]!.nodePort, undefined);
  t.equal(back.spec.externalTrafficPolicy, undefined);
  t.notOk(s.allocators.nodePorts.has(np));
  // -> LoadBalancer with Local: nodePorts and healthCheckNodePort.
  const lb = put('web', { type: 'LoadBalancer', externalTrafficPolicy: 'Local' });
  const hc = lb.spec.healthCheckNodePort!;
  t.ok(s.allocators.nodePorts.has(hc));
  // -> Cluster: the health check port is released.
  const lbc = put('web', { type: 'LoadBalancer', externalTrafficPolicy: 'Cluster' });
  t.equal(lbc.spec.healthCheckNodePort, undefined);
  t.notOk(s.allocators.nodePorts.has(hc));
  t.equal(lbc.spec.ports![0]!.nodePort, lb.spec.ports![0]!.nodePort, 'nodePorts kept across the update');
  // -> ExternalName: ClusterIP and nodePorts released.
  const cur = structuredClone(s.get('Service', 'web'));
  const ext = s.update({
    ...cur,
    spec: {
      ...cur.spec,
      type: 'ExternalName',
      externalName: 'db.example.com',
      externalTrafficPolicy: undefined,
    },
  } as unknown as Service);
  t.equal(ext.spec.clusterIP, undefined);
  t.equal(ext.spec.clusterIPs, undefined);
  t.notOk(s.allocators.byFamily.get('IPv4')!.has(ip));
  t.notOk(s.allocators.nodePorts.has(lb.spec.ports![0]!.nodePort!));
  // ExternalName -> ClusterIP: a new ClusterIP.
  const again = put('web', { type: 'ClusterIP' });
  t.ok(again.spec.clusterIP && s.allocators.byFamily.get('IPv4')!.has(again.spec.clusterIP));
  // the ClusterIP is immutable
  const moved = t.throws(() => put('web', { clusterIP: '10.96.0.50' })) as StatusError;
  t.equal(
    moved.message,
    `Service "web" is invalid: spec.clusterIPs[0]: Invalid value: []string{"10.96.0.50"}: may not change once set`,
  );
  t.ok(
    s.allocators.byFamily.get('IPv4')!.has(again.spec.clusterIP!),
    'a failed update keeps what was allocated',
  );
  t.notOk(s.allocators.byFamily.get('IPv4')!.has('10.96.0.50'), 'and holds nothing new');
  s.close();
});

t.test('dual-stack clusters', async (t) => {
  const s = newStore({ serviceCIDRs: ['10.96.0.0/16', 'fd00:10:96::/112'] });
  t.same(s.create(svc('single')).spec.ipFamilies, ['IPv4'], 'SingleStack by default, the first family');
  const dual = s.create(svc('dual', { ipFamilyPolicy: 'PreferDualStack' }));
  t.same(dual.spec.ipFamilies, ['IPv4', 'IPv6']);
  t.equal(dual.spec.clusterIPs!.length, 2);
  t.match(dual.spec.clusterIPs![1]!, /^fd00:10:96::/);
  const six = s.create(svc('six', { ipFamilies: ['IPv6', 'IPv4'], ipFamilyPolicy: 'RequireDualStack' }));
  t.match(six.spec.clusterIP!, /^fd00:10:96::/, 'the first family is the primary');
  const headless = s.create({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'hl' },
    spec: { clusterIP: 'None' },
  } as AnyObject) as Service;
  t.same(
    [headless.spec.ipFamilyPolicy, headless.spec.ipFamilies],
    ['RequireDualStack', ['IPv4', 'IPv6']],
    'headless without selector',
  );
  // Upgrade a single-stack Service to dual-stack and back: the secondary address comes and goes.
  const up = s.update(svc('single', { ipFamilyPolicy: 'PreferDualStack' }));
  t.same(up.spec.ipFamilies, ['IPv4', 'IPv6']);
  const second = up.spec.clusterIPs![1]!;
  t.ok(s.allocators.byFamily.get('IPv6')!.has(second));
  const down = s.update(svc('single', { ipFamilyPolicy: 'SingleStack' }));
  t.same([down.spec.clusterIPs, down.spec.ipFamilies], [[up.spec.clusterIP], ['IPv4']]);
  t.notOk(s.allocators.byFamily.get('IPv6')!.has(second), 'the secondary address is released');
  s.close();
});

t.test('allocators hold exactly what stored Services hold, whatever happens', async (t) => {
  const fc = await import('fast-check');
  const types = ['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'] as const;
  const op = fc.record({
    name: fc.constantFrom('a', 'b', 'c', 'd'),
    action: fc.constantFrom('apply', 'apply', 'delete', 'batch'),
    type: fc.constantFrom(...types),
    local: fc.boolean(),
    ip: fc.option(fc.integer({ min: 1, max: 30 }), { nil: undefined }),
    nodePort: fc.option(fc.integer({ min: 29990, max: 30010 }), { nil: undefined }),
    bad: fc.boolean(),
  });
  const manifest = (o: {
    name: string;
    type: (typeof types)[number];
    local: boolean;
    ip: number | undefined;
    nodePort: number | undefined;
    bad: boolean;
  }): Service => {
    const spec: Record<string, unknown> = { type: o.type, selector: { app: o.name } };
    if (o.type === 'ExternalName') spec.externalName = 'db.example.com';
    else {
      spec.ports = [
        {
          name: 'http',
          port: o.bad ? 70000 : 80,
          ...(o.nodePort && o.type !== 'ClusterIP' ? { nodePort: o.nodePort } : {}),
        },
      ];
      if (o.ip) spec.clusterIP = `10.96.0.${o.ip}`;
      if (o.type === 'LoadBalancer' && o.local) spec.externalTrafficPolicy = 'Local';
    }
    return { apiVersion: 'v1', kind: 'Service', metadata: { name: o.name }, spec } as unknown as Service;
  };
  fc.assert(
    fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
      const s = newStore({ serviceCIDRs: ['10.96.0.0/27'], nodePortRange: '30000-30040' });
      for (const o of ops) {
        try {
          if (o.action === 'delete') s.delete('Service', o.name);
          else if (o.action === 'batch') s.apply([manifest(o), manifest({ ...o, name: 'e', bad: !o.bad })]);
          else s.apply([manifest(o)]);
        } catch {
          // refused: nothing may have changed, which the invariant below checks
        }
        const ips = new Set<string>();
        const ports = new Set<number>();
        for (const v of s.list('Service').items) {
          for (const ip of v.spec.clusterIPs ?? []) if (ip !== 'None') ips.add(ip);
          for (const p of v.spec.ports ?? []) if (p.nodePort) ports.add(p.nodePort);
          if (v.spec.healthCheckNodePort) ports.add(v.spec.healthCheckNodePort);
        }
        const heldIPs = [...s.allocators.byFamily.get('IPv4')!.allocated()];
        const heldPorts = [...s.allocators.nodePorts.allocated()];
        if (
          heldIPs.join() !== [...ips].sort((x, y) => Number(x.split('.')[3]) - Number(y.split('.')[3])).join()
        )
          return false;
        if (heldPorts.join() !== [...ports].sort((x, y) => x - y).join()) return false;
      }
      s.close();
      return true;
    }),
    { numRuns: 150, seed: 7 },
  );
  t.pass('150 random histories without a leak or a double hold');
});
