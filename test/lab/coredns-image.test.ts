// The coredns image serves the lab's zone as a pod, and a pod's lookup (its resolv.conf, ndots:5
// and the search list) resolves through it.
import t from 'tap';
import { type HostPort, parseZoneConfig, StoreSource, Zone } from '../../dns/index.js';
import { builtinImages } from '../../lab/images/index.js';
import { agnhostPod, ready, realAddress, startLab, waitPod } from './kubelet-fixture.js';

t.test('coredns as a pod answers the cluster zone; a pod looks names up through it', async (t) => {
  let dns: HostPort | undefined;
  const ac = new AbortController();
  const lab = startLab({ dnsAddress: (ip) => (ip === '10.96.0.10' ? dns : undefined) });
  t.teardown(async () => {
    ac.abort();
    await lab.stop();
  });
  const zone = new Zone(
    new StoreSource(lab.store, { signal: ac.signal }),
    parseZoneConfig({ zones: ['cluster.local'] }),
  );
  // The images are read per container start, so the zone's image can join the fixture's map.
  const images = builtinImages({ zone });
  const map = lab.kubelets.opts.images as Map<string, unknown>;
  map.set('registry.k8s.io/coredns/coredns', images.get('registry.k8s.io/coredns/coredns'));
  lab.store.create(
    agnhostPod(
      'coredns',
      {},
      {
        name: 'coredns',
        image: 'registry.k8s.io/coredns/coredns:v1.11.3',
        args: ['-conf', '/etc/coredns/Corefile'],
        ports: [{ containerPort: 53, protocol: 'UDP' }, { containerPort: 53 }],
        readinessProbe: { httpGet: { path: '/ready', port: 8181 }, timeoutSeconds: 100 },
      },
    ),
  );
  const coredns = await waitPod(
    lab.store,
    'coredns',
    (p) => ready(p) && !!p.metadata.annotations?.['netlab.dev/listen'],
  );
  const [host, port] = realAddress(coredns, '53/UDP').split(':');
  dns = { host: host ?? '', port: Number(port) };
  lab.store.create(agnhostPod('client'));
  const client = await waitPod(lab.store, 'client', ready);
  const kubelet = lab.kubelets.get('node-0');
  if (!kubelet) throw new Error('no kubelet');
  t.same(
    await kubelet.lookup(client, 'kubernetes', 4),
    ['10.96.0.1'],
    'the search list: kubernetes.default.svc.cluster.local',
  );
  t.same(await kubelet.lookup(client, 'kubernetes.default.svc.cluster.local.', 4), ['10.96.0.1']);
  await t.rejects(kubelet.lookup(client, 'nope.default.svc.cluster.local.', 4), { code: 'EAI_NONAME' });
});
