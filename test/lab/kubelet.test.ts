import { request as httpRequest } from 'node:http';
import t from 'tap';
import { request } from 'undici';
import { agnhostPod, ready, realAddress, startLab, waitGone, waitPod } from './kubelet-fixture.js';

t.test(
  'a pod bound to the node runs: CNI address in the podCIDR, status as kubelet writes it, a real socket',
  async (t) => {
    const lab = startLab();
    t.teardown(() => lab.stop());
    lab.store.create(agnhostPod('web-0'));
    const pod = await waitPod(
      lab.store,
      'web-0',
      (p) => ready(p) && !!p.metadata.annotations?.['netlab.dev/listen'],
    );
    t.equal(pod.status?.phase, 'Running');
    t.equal(pod.status?.podIP, '10.244.0.2');
    t.same(pod.status?.podIPs, [{ ip: '10.244.0.2' }]);
    t.equal(pod.status?.hostIP, '192.168.49.2');
    t.same(
      pod.status?.conditions?.map((c) => `${c.type}=${c.status}`),
      [
        'PodReadyToStartContainers=True',
        'Initialized=True',
        'Ready=True',
        'ContainersReady=True',
        'PodScheduled=True',
      ],
    );
    const cs = pod.status?.containerStatuses?.[0];
    t.match(cs, {
      name: 'agnhost',
      ready: true,
      started: true,
      restartCount: 0,
      lastState: {},
      state: { running: {} },
    });
    t.match(
      pod.metadata.annotations?.['netlab.dev/listen'],
      /^8080\/TCP=127\.0\.0\.1:\d+,8081\/UDP=127\.0\.0\.1:\d+$/,
    );
    const res = await request(`http://${realAddress(pod, '8080/TCP')}/hostname`);
    t.equal(await res.body.text(), 'web-0');
    t.ok(lab.kubelets.ports.tcp('10.244.0.2', 8080), 'PodPorts has the server');
    const lease = lab.store.find('Lease', 'node-0', 'kube-node-lease');
    t.match(lease?.spec, { holderIdentity: 'node-0', leaseDurationSeconds: 40, renewTime: /\.\d{6}Z$/ });
    t.equal(
      lab.store.get('Node', 'node-0', '').status?.conditions?.find((c) => c.type === 'Ready')?.status,
      'True',
    );
  },
);

t.test(
  'graceful delete: preStop, SIGTERM, CNI DEL, then the pod is removed and its address reused',
  async (t) => {
    const lab = startLab();
    t.teardown(() => lab.stop());
    lab.store.create(
      agnhostPod(
        'web-0',
        { terminationGracePeriodSeconds: 5 },
        { lifecycle: { preStop: { sleep: { seconds: 1 } } } },
      ),
    );
    await waitPod(lab.store, 'web-0', ready);
    lab.store.delete('Pod', 'web-0', { namespace: 'default' });
    const terminating = lab.store.get('Pod', 'web-0');
    t.ok(terminating.metadata.deletionTimestamp, 'marked terminating first');
    await waitGone(lab.store, 'web-0');
    t.same(lab.stopping, ['web-0/agnhost']);
    t.equal(lab.kubelets.ports.tcp('10.244.0.2', 8080), undefined, 'socket gone');
    lab.store.create(agnhostPod('web-1'));
    const next = await waitPod(lab.store, 'web-1', ready);
    t.equal(next.status?.podIP, '10.244.0.3', 'host-local moves on (its last-reserved)');
  },
);

t.test('heartbeat: the Lease is renewed; a stopped heartbeat resumes with a renewal and Ready', async (t) => {
  const lab = startLab({ nodeLeaseRenewIntervalSeconds: 1 });
  t.teardown(() => lab.stop());
  const kubelet = lab.kubelets.get('node-0') ?? (await waitKubelet(lab));
  const renewals = async (n: number) => {
    const seen: string[] = [];
    const ac = new AbortController();
    for await (const ev of lab.store.watch('Lease', {
      namespace: 'kube-node-lease',
      resourceVersion: lab.store.resourceVersion,
      signal: ac.signal,
    })) {
      seen.push(ev.object.spec?.renewTime ?? '');
      if (seen.length === n) ac.abort();
    }
    return seen;
  };
  t.equal((await renewals(2)).length, 2, 'renewed every interval');
  kubelet.stopHeartbeat();
  t.equal(kubelet.heartbeating, false);
  // The node lifecycle controller's view: the Node is marked Unknown while the Lease is stale.
  const node = lab.store.get('Node', 'node-0', '');
  lab.store.updateStatus({
    ...node,
    status: {
      ...node.status,
      conditions: [{ type: 'Ready', status: 'Unknown', reason: 'NodeStatusUnknown' }],
    },
  });
  const next = renewals(1);
  kubelet.resumeHeartbeat();
  t.equal((await next).length, 1, 'renewed at once on resume');
  t.match(lab.store.get('Node', 'node-0', '').status?.conditions, [
    { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' },
  ]);
});

t.test(
  'a pod marked not ready by someone else (the node lifecycle controller) is written back ready while the kubelet heart-beats, not while it has stopped',
  async (t) => {
    const lab = startLab({ nodeLeaseRenewIntervalSeconds: 1 });
    t.teardown(() => lab.stop());
    lab.store.create(agnhostPod('web-0'));
    const running = await waitPod(lab.store, 'web-0', ready);
    const kubelet = lab.kubelets.get('node-0')!;
    const markNotReady = () => {
      const p = lab.store.get('Pod', 'web-0', 'default');
      const conditions = (p.status?.conditions ?? []).map((c) =>
        c.type === 'Ready' ? { ...c, status: 'False' as const } : c,
      );
      lab.store.updateStatus({ ...p, status: { ...p.status, conditions } });
    };
    const readiness = () => (ready(lab.store.get('Pod', 'web-0', 'default')) ? 'ready' : 'not ready');
    const rows: string[] = [];
    kubelet.stopHeartbeat();
    markNotReady();
    // Nothing to await for a write that must not come: give the kubelet's watch a few turns.
    for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
    rows.push(`heartbeat stopped: ${readiness()}`);
    kubelet.resumeHeartbeat();
    await waitPod(lab.store, 'web-0', ready);
    rows.push(`heartbeat resumed: ${readiness()}`);
    markNotReady();
    await waitPod(lab.store, 'web-0', ready);
    rows.push(`marked not ready while heart-beating: ${readiness()}`);
    t.same(rows, [
      'heartbeat stopped: not ready',
      'heartbeat resumed: ready',
      'marked not ready while heart-beating: ready',
    ]);
    t.equal(lab.store.get('Pod', 'web-0', 'default').metadata.uid, running.metadata.uid, 'the same pod');
  },
);

async function waitKubelet(lab: ReturnType<typeof startLab>) {
  for (;;) {
    const k = lab.kubelets.get('node-0');
    if (k) return k;
    await new Promise((r) => setImmediate(r));
  }
}

t.test(
  'real sockets off: pods exist only in-process; probes and pods reach each other through PodPorts',
  async (t) => {
    // Real seconds: agnhost's /dial gives up after 5 of the pod's seconds, which at the fixture's
    // 20 ms a second a loaded machine can exceed in-process.
    const lab = startLab({ realSockets: false, second: 1000 });
    t.teardown(() => lab.stop());
    const probe = { httpGet: { path: '/readyz', port: 8080 }, periodSeconds: 1, timeoutSeconds: 100 };
    lab.store.create(agnhostPod('a', {}, { readinessProbe: probe }));
    lab.store.create(agnhostPod('b'));
    const a = await waitPod(lab.store, 'a', ready);
    const b = await waitPod(lab.store, 'b', ready);
    t.equal(a.metadata.annotations?.['netlab.dev/listen'], undefined, 'no real socket recorded');
    const flow = {
      protocol: 'TCP' as const,
      src: { ip: '203.0.113.10', port: 50000 },
      dst: { ip: a.status?.podIP ?? '', port: 8080 },
      origDst: { ip: a.status?.podIP ?? '', port: 8080 },
      node: 'node-0',
    };
    const get = (path: string) =>
      new Promise<string>((resolve, reject) => {
        const req = httpRequest(
          { createConnection: () => lab.kubelets.ports.dial(flow.dst.ip, 8080, flow), path },
          (res) => {
            let body = '';
            res.on('data', (c: Buffer) => {
              body += c.toString();
            });
            res.on('end', () => resolve(body));
          },
        );
        req.once('error', reject);
        req.end();
      });
    t.equal(await get('/clientip'), '203.0.113.10:50000', 'the flow recorded with the socket');
    t.match(
      await get(`/dial?request=clientip&host=${b.status?.podIP}&port=8080`),
      new RegExp(`^\\{"responses":\\["${(a.status?.podIP ?? '').replace(/\./g, '\\.')}:\\d+"\\]\\}$`),
      'pod a -> pod b in-process, b sees a',
    );
  },
);
