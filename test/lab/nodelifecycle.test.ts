// The node lifecycle controller on a FakeClock: a Node is NotReady once its Lease has not been
// renewed for nodeMonitorGracePeriod, whenever its kubelet stopped, and Ready again on a renewal.
// Regression: each renewal asked for a check grace later, but an earlier pending check wins in the
// work queue; that check found the Lease fresh and asked for none, so a kubelet that stopped after
// renewing more than once per grace period left its Node Ready forever.
import t from 'tap';
import { boot, node } from './workload-fixture.js';

const grace = 40_000;

t.test('NotReady grace after the last renewal, however many renewals came before', async (t) => {
  // Renewals, 10 s apart, before the kubelet stops.
  const cases = [1, 2, 4, 7];
  const rows: string[] = [];
  for (const renewals of cases) {
    const { store, cm, clock } = boot(t);
    store.create(node('node-1', 'zone-a'));
    const lease = () => {
      const renewTime = new Date(clock.now()).toISOString().replace('Z', '000Z');
      const have = store.find('Lease', 'node-1', 'kube-node-lease');
      const spec = { holderIdentity: 'node-1', leaseDurationSeconds: 40, renewTime };
      if (have) store.update({ ...have, spec });
      else
        store.create({
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { name: 'node-1', namespace: 'kube-node-lease' },
          spec,
        });
    };
    const ready = () =>
      store.get('Node', 'node-1', '').status?.conditions?.find((c) => c.type === 'Ready')?.status ?? '-';
    cm.start();
    for (let i = 0; i < renewals; i++) {
      if (i > 0) clock.step(10_000);
      lease();
      await cm.settled();
    }
    // The kubelet stops: one ms short of the grace period the Node is still Ready, at it Unknown.
    clock.step(grace - 1);
    await cm.settled();
    const before = ready();
    clock.step(1);
    await cm.settled();
    rows.push(`${renewals} renewals: before grace Ready=${before}, at grace Ready=${ready()}`);
    // A renewal lifts the unreachable taints at once.
    lease();
    await cm.settled();
    rows.push(
      `${renewals} renewals: renewed again, taints ${store.get('Node', 'node-1', '').spec?.taints?.length ?? 0}`,
    );
  }
  t.same(
    rows,
    cases.flatMap((n) => [
      `${n} renewals: before grace Ready=-, at grace Ready=Unknown`,
      `${n} renewals: renewed again, taints 0`,
    ]),
  );
});
