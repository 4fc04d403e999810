// `netlab trace --live` against a data plane's forward proxy: one line per new connection; the
// command's errors.
import { get } from 'node:http';
import { PassThrough } from 'node:stream';
import t from 'tap';
import { traceLive } from '../../lab/commands/trace-live.js';
import { ForwardProxy } from '../../proxy/index.js';
import { netlabInProcess } from '../index.js';
import { FakePods, node, service, slice, startDataplane, TestCluster } from '../proxy/fixtures/dataplane.js';

t.test('one line per new connection', async (t) => {
  const cluster = new TestCluster(
    node('node-a', '192.168.49.2') +
      service(
        'web',
        '{type: NodePort, clusterIP: 10.96.0.20, ports: [{name: p, port: 80, protocol: TCP, targetPort: 8080, nodePort: 30080}]}',
      ) +
      slice('web', ['10.244.0.5@node-a']),
  );
  const pods = new FakePods();
  pods.addHttp('web-1', '10.244.0.5', 8080);
  const d = await startDataplane(cluster, pods);
  const proxy = new ForwardProxy({ dataplane: d.dp, client: () => undefined, port: 0 });
  const addr = await proxy.listen();
  t.teardown(async () => {
    await proxy.close();
    await d.close();
  });
  const out = new PassThrough();
  let text = '';
  out.on('data', (c: Buffer) => {
    text += c.toString();
  });
  const done = traceLive({ proxy: `${addr.host}:${addr.port}` }, out);
  // Until the stream is open, connections go unseen: connect until one line arrives.
  while (!text.includes('\n')) {
    await new Promise<void>((resolve) =>
      get(`http://${d.base}.1:30080/`, { agent: false }, (res) => res.resume().on('end', resolve)),
    );
    await new Promise((r) => setTimeout(r, 20));
  }
  text = text.slice(0, text.indexOf('\n') + 1);
  t.match(
    text,
    /^\d\d:\d\d:\d\d\.\d{3} node-a nodeport TCP 203\.0\.113\.10:\d+ -> 192\.168\.49\.2:30080 DNAT 10\.244\.0\.5:8080 seen-from 192\.168\.49\.2:\d+ rules PREROUTING,KUBE-SERVICES,KUBE-NODEPORTS,KUBE-EXT-\w+,KUBE-MARK-MASQ,KUBE-EXT-\w+,KUBE-SVC-\w+,KUBE-SEP-\w+,FORWARD,KUBE-FORWARD,POSTROUTING,KUBE-POSTROUTING\n$/,
  );
  await proxy.close();
  await done;
});

t.test('errors', async (t) => {
  const cases: [string[], string][] = [
    [
      ['trace', '--live', '--proxy', '127.0.0.1:1'],
      'error: no running lab at 127.0.0.1:1 (ECONNREFUSED); see --proxy\n',
    ],
    [['trace', '--live', '--proxy', 'nope'], 'error: --proxy: Invalid value: "nope": want HOST:PORT\n'],
    [
      ['trace', '-f', 'x.yaml', '--dst', '10.0.0.1', '--dport', '80'],
      "error: required option '--src <ip>' not specified\n",
    ],
    [['trace', '--src', '10.0.0.1'], "error: required option '--dst <ip>' not specified\n"],
  ];
  for (const [args, stderr] of cases)
    t.match(await netlabInProcess(args), { code: 1, stderr }, args.join(' '));
});
