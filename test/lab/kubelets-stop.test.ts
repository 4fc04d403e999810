// When the lab stops, every pod goes through CNI DEL, a few nodes at a time: the kubelets stop
// `stopConcurrency` at once, so a large cluster does not hold every pod's teardown in memory at the
// same moment.
import t from 'tap';
import { stopConcurrency } from '../../lab/kubelet/kubelets.js';
import { agnhostPod, ready, startLab, waitPod } from './kubelet-fixture.js';

t.test('the kubelets stop a few at a time; every pod is torn down through CNI DEL', async (t) => {
  const nodes = 20;
  let lab: ReturnType<typeof startLab> | undefined;
  // At each container stop: the pods whose teardown has begun and whose interface is still there.
  let begun = 0;
  let most = 0;
  lab = startLab({
    nodes,
    realSockets: false,
    onStopping: () => {
      begun++;
      const attached = lab!.kubelets.network.fabric.attachments().length;
      most = Math.max(most, begun - (nodes - attached));
    },
  });
  for (let i = 0; i < nodes; i++) lab.store.create(agnhostPod(`web-${i}`, { nodeName: `node-${i}` }));
  for (let i = 0; i < nodes; i++) await waitPod(lab.store, `web-${i}`, ready);
  await lab.stop();
  t.equal(
    [
      `pods torn down: ${begun}`,
      `at most ${most} at once (stopConcurrency ${stopConcurrency}, one pod a node)`,
      `interfaces left: ${lab.kubelets.network.fabric.attachments().length}`,
    ].join('\n'),
    [
      'pods torn down: 20',
      'at most 8 at once (stopConcurrency 8, one pod a node)',
      'interfaces left: 0',
    ].join('\n'),
  );
});

t.test('a kubelet whose stop fails keeps none of the others from stopping', async (t) => {
  const nodes = 12;
  const lab = startLab({ nodes, realSockets: false });
  for (let i = 0; i < nodes; i++) lab.store.create(agnhostPod(`web-${i}`, { nodeName: `node-${i}` }));
  for (let i = 0; i < nodes; i++) await waitPod(lab.store, `web-${i}`, ready);
  // Stops that fail, one in each of the first two waves.
  const failing = ['node-0', 'node-9'].map((n) => lab.kubelets.all.get(n)!);
  const realStops = failing.map((k) => k.stop.bind(k));
  t.teardown(() => Promise.all(realStops.map((stop) => stop())));
  for (const k of failing)
    k.stop = async () => {
      throw new Error(`${k.nodeName}: stop failed`);
    };
  const err = await lab.kubelets.stop().catch((e: unknown) => e as AggregateError);
  lab.store.close();
  t.equal(
    [
      `error: ${err?.message}: ${err?.errors?.map((e: Error) => e.message).join(', ')}`,
      `interfaces left: ${lab.kubelets.network.fabric
        .attachments()
        .map((a) => a.node)
        .sort()
        .join(' ')}`,
    ].join('\n'),
    [
      'error: 2 kubelets failed to stop: node-0: stop failed, node-9: stop failed',
      'interfaces left: node-0 node-9',
    ].join('\n'),
  );
});
