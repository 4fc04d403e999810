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
