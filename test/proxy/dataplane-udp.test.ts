// UDP through the data plane: DNS from a pod to the kube-dns ClusterIP follows its conntrack entry;
// after the DNS pod is replaced, the stale entry keeps sending to the old address until kube-proxy's
// clean-up deletes it (or, without the clean-up, until the entry times out); and the real dig
// reaches a DNS pod through a UDP NodePort.
import { execFile } from 'node:child_process';
import dnsPacket from 'dns-packet';
import t from 'tap';
import type { UdpHandler } from '../../proxy/index.js';
import { FakePods, node, service, slice, startDataplane, TestCluster } from './fixtures/dataplane.js';

const manifests = (dnsPod: string) =>
  node('node-a', '192.168.49.2') +
  node('node-b', '192.168.49.3') +
  service(
    'kube-dns',
    '{type: NodePort, clusterIP: 10.96.0.10, ports: [{name: p, port: 53, protocol: UDP, targetPort: 53, nodePort: 30053}]}',
  ) +
  slice('kube-dns', [`${dnsPod}@node-b`], 53, 'UDP');

/** A DNS pod: answers every A question with 10.0.0.<n>, n its instance number. */
function dnsPod(n: number): UdpHandler {
  return (msg, _flow, reply) => {
    const q = dnsPacket.decode(Buffer.from(msg));
    reply(
      dnsPacket.encode({
        type: 'response',
        id: q.id,
        flags: dnsPacket.RECURSION_DESIRED,
        questions: q.questions,
        answers: (q.questions ?? []).map((x) => ({ type: 'A', name: x.name, ttl: 5, data: `10.0.0.${n}` })),
      }),
    );
  };
}

const query = (id: number) =>
  dnsPacket.encode({ type: 'query', id, questions: [{ type: 'A', name: 'web' }] });

for (const cleanup of [true, false]) {
  t.test(
    `a stale UDP entry after the DNS pod is replaced (clean-up ${cleanup ? 'on' : 'off'})`,
    async (t) => {
      let now = 0;
      const cluster = new TestCluster(manifests('10.244.1.10'));
      const pods = new FakePods();
      pods.udpHandlers.set('10.244.1.10:53', dnsPod(1));
      const { dp, close } = await startDataplane(cluster, pods, {
        clock: () => now,
        conntrackCleanup: cleanup,
      });
      t.teardown(close);
      const answers: string[] = [];
      let got: () => void = () => {};
      const sock = dp.udp({ node: 'node-a', ip: '10.244.0.9' }, (msg, from) => {
        const a = dnsPacket.decode(Buffer.from(msg)).answers?.[0];
        answers.push(`${from.ip}:${from.port} ${a?.type === 'A' ? a.data : ''}`);
        got();
      });
      const ask = (id: number) =>
        new Promise<boolean>((resolve) => {
          got = () => resolve(true);
          if (!sock.send(query(id), '10.96.0.10', 53)) resolve(false);
        });
      t.equal(await ask(1), true);
      t.same(answers, ['10.96.0.10:53 10.0.0.1'], 'the reply comes from the ClusterIP');
      t.match(
        dp.conntrack('node-a').list({ proto: 'udp' }),
        /src=10\.244\.0\.9 dst=10\.96\.0\.10 .* src=10\.244\.1\.10 /,
      );
      // The DNS pod restarts with a new address.
      pods.remove('10.244.1.10', 53);
      pods.udpHandlers.set('10.244.1.11:53', dnsPod(2));
      cluster.update(slice('kube-dns', ['10.244.1.11@node-b'], 53, 'UDP'));
      now += 5_000;
      if (cleanup) {
        t.equal(await ask(2), true, 'the entry was deleted: a new one goes to the new pod');
        t.same(answers.at(-1), '10.96.0.10:53 10.0.0.2');
      } else {
        t.equal(await ask(2), false, 'the stale entry still sends to the old address: lost');
        // A packet more than 2 s after the first reply made the flow a stream: 120 s.
        t.match(dp.conntrack('node-a').list({ proto: 'udp' }), /^udp +17 120 .*\[ASSURED\]/);
        now += 121_000;
        t.equal(await ask(3), true, 'after the stream timeout (120 s) a new entry is made');
        t.same(answers.at(-1), '10.96.0.10:53 10.0.0.2');
      }
    },
  );
}

t.test('the real dig through a UDP NodePort', async (t) => {
  const cluster = new TestCluster(manifests('10.244.1.10'));
  const pods = new FakePods();
  pods.udpHandlers.set('10.244.1.10:53', dnsPod(7));
  const { base, close } = await startDataplane(cluster, pods);
  t.teardown(close);
  const out = await new Promise<string>((resolve) =>
    execFile(
      'dig',
      [`@${base}.1`, '-p', '30053', 'web', '+short', '+tries=1', '+time=5'],
      (err, stdout, stderr) => resolve(err === null ? stdout : `error: ${stderr}${stdout}`),
    ),
  );
  t.equal(out, '10.0.0.7\n');
});

t.test('a relay: the real dig as a pod, through its node to the kube-dns ClusterIP', async (t) => {
  const cluster = new TestCluster(manifests('10.244.1.10'));
  const pods = new FakePods();
  pods.udpHandlers.set('10.244.1.10:53', dnsPod(9));
  const { dp, close } = await startDataplane(cluster, pods);
  t.teardown(close);
  const relay = await dp.relay({ node: 'node-a', ip: '10.244.0.9' }, '10.96.0.10', 53);
  t.teardown(relay.close);
  const out = await new Promise<string>((resolve) =>
    execFile(
      'dig',
      [`@${relay.host}`, '-p', String(relay.port), 'web', '+short', '+tries=1', '+time=5'],
      (err, stdout, stderr) => resolve(err === null ? stdout : `error: ${stderr}${stdout}`),
    ),
  );
  t.equal(out, '10.0.0.9\n');
  t.match(
    dp.conntrack('node-a').list({ proto: 'udp' }),
    /src=10\.244\.0\.9 dst=10\.96\.0\.10 sport=\d+ dport=53 src=10\.244\.1\.10 dst=10\.244\.0\.9 sport=53/,
  );
});

t.test("exchangeUdp: a pod's request and its first reply, or ETIMEDOUT", async (t) => {
  const cluster = new TestCluster(manifests('10.244.1.10'));
  const pods = new FakePods();
  pods.udpHandlers.set('10.244.1.10:53', dnsPod(4));
  const { dp, close } = await startDataplane(cluster, pods);
  t.teardown(close);
  const pod = { node: 'node-b', ip: '10.244.1.20' };
  const reply = await dp.exchangeUdp(pod, '10.96.0.10', 53, query(5), 1000);
  t.match(dnsPacket.decode(reply).answers?.[0], { data: '10.0.0.4' });
  await t.rejects(dp.exchangeUdp(pod, '10.96.0.99', 53, query(6), 20), { code: 'ETIMEDOUT' });
});
