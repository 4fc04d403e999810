// The kubelets' CNI in a thread of its own (`netlab up`, large clusters) against the same plugins in
// the lab's thread: the same sequence of ADDs and DELs gives the same addresses, the same errors, the
// same fabric (as the data path and `ip addr` read it) and the same host-local files on disk.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { renderNodeAddrBrief, renderPodAddrBrief } from '../../cni/index.js';
import { ClusterNetwork } from '../../lab/kubelet/network.js';

const sandbox = (id: string) => ({ containerID: id, netns: `/var/run/netns/cni-${id}`, ifName: 'eth0' });

// Each step: what is done, and what it answers (addresses, `ok` for a DEL, or the error line).
const steps: { op: 'add' | 'del'; node: 'node-a' | 'node-b'; id: string; want: string }[] = [
  { op: 'add', node: 'node-a', id: 'p1', want: '10.244.0.2' },
  { op: 'add', node: 'node-a', id: 'p2', want: '10.244.0.3' },
  { op: 'add', node: 'node-b', id: 'p3', want: '10.244.1.2' },
  { op: 'del', node: 'node-a', id: 'p1', want: 'ok' },
  // host-local goes on from the last reserved address, as it does on a node.
  { op: 'add', node: 'node-a', id: 'p4', want: '10.244.0.4' },
  {
    op: 'add',
    node: 'node-a',
    id: 'p2',
    want: 'plugin type="flat" failed (add): container veth name provided (eth0) already exists',
  },
  { op: 'del', node: 'node-a', id: 'p9', want: 'ok' },
  { op: 'del', node: 'node-b', id: 'p3', want: 'ok' },
  { op: 'add', node: 'node-b', id: 'p5', want: '10.244.1.3' },
];

async function run(thread: boolean, stateDir?: string) {
  const net = new ClusterNetwork({ ...(stateDir ? { stateDir } : {}), thread });
  const lists = {
    'node-a': net.nodeNetwork('node-a', ['192.168.49.2'], ['10.244.0.0/24']),
    'node-b': net.nodeNetwork('node-b', ['192.168.49.3'], ['10.244.1.0/24']),
  };
  const answers: string[] = [];
  for (const s of steps) {
    try {
      if (s.op === 'add') answers.push((await net.add(lists[s.node], sandbox(s.id))).join(','));
      else {
        await net.del(lists[s.node], sandbox(s.id));
        answers.push('ok');
      }
    } catch (e) {
      answers.push((e as Error).message);
    }
  }
  const addr = ['node-a', 'node-b'].map((n) => renderNodeAddrBrief(net.fabric, n)).join('');
  const pods = ['p2', 'p4', 'p5'].map((id) => renderPodAddrBrief(net.fabric, sandbox(id).netns)).join('');
  const state = JSON.stringify(net.fabric);
  await net.close();
  return { answers, addr, pods, state };
}

t.test('the same ADDs and DELs in the CNI thread and in the lab thread', async (t) => {
  const inline = await run(false);
  const threaded = await run(true);
  t.same(
    threaded.answers,
    steps.map((s) => s.want),
    'the thread answers each step',
  );
  t.same(inline.answers, threaded.answers, 'as the lab thread does');
  t.equal(threaded.addr, inline.addr, 'ip addr on the nodes');
  t.equal(threaded.pods, inline.pods, 'ip addr in the pods');
  t.equal(threaded.state, inline.state, 'the whole fabric');
  t.match(threaded.pods, /eth0@if\d+ +UP +10\.244\.0\.3\/24/, 'a pod holds its address');
});

/** Every file host-local keeps under a state directory, by its path there, with its content. */
function hostLocalFiles(dir: string): string[] {
  const out: string[] = [];
  for (const node of ['node-a', 'node-b']) {
    const d = join(dir, node, 'networks', 'pods');
    for (const f of readdirSync(d).sort()) out.push(`${node}/${f}: ${readFileSync(join(d, f), 'utf8')}`);
  }
  return out;
}

t.test('with a state directory the thread writes the files host-local writes', async (t) => {
  const a = mkdtempSync(join(tmpdir(), 'netlab-cni-inline-'));
  const b = mkdtempSync(join(tmpdir(), 'netlab-cni-thread-'));
  t.teardown(() => {
    rmSync(a, { recursive: true, force: true });
    rmSync(b, { recursive: true, force: true });
  });
  await run(false, a);
  await run(true, b);
  t.same(hostLocalFiles(b), hostLocalFiles(a));
  t.same(hostLocalFiles(b), [
    'node-a/10.244.0.3: p2\r\neth0',
    'node-a/10.244.0.4: p4\r\neth0',
    'node-a/last_reserved_ip.0: 10.244.0.4',
    'node-a/lock: ',
    'node-b/10.244.1.3: p5\r\neth0',
    'node-b/last_reserved_ip.0: 10.244.1.3',
    'node-b/lock: ',
  ]);
});

t.test('a thread that is gone fails every call with one line', async (t) => {
  const net = new ClusterNetwork({ thread: true });
  const list = net.nodeNetwork('node-a', ['192.168.49.2'], ['10.244.0.0/24']);
  t.same(await net.add(list, sandbox('p1')), ['10.244.0.2']);
  await net.close();
  await t.rejects(net.add(list, sandbox('p2')), { message: 'the CNI thread is closed' });
});

t.test('close answers the calls made before it, then fails the later ones', async (t) => {
  const net = new ClusterNetwork({ thread: true });
  const list = net.nodeNetwork('node-a', ['192.168.49.2'], ['10.244.0.0/24']);
  await net.add(list, sandbox('p1'));
  // A kubelet's teardown still on its way when the lab closes the network: a DEL and an ADD.
  const calls = [
    { name: 'DEL of p1', call: net.del(list, sandbox('p1')).then(() => 'ok'), want: 'ok' },
    {
      name: 'ADD of p2',
      call: net.add(list, sandbox('p2')).then((ips) => ips.join(',')),
      want: '10.244.0.3',
    },
  ];
  const answers = calls.map((c) => c.call.catch((e: Error) => e.message));
  await net.close();
  for (const [i, c] of calls.entries()) t.equal(await answers[i], c.want, c.name);
  t.same(
    net.fabric.attachments().map((a) => `${a.containerID} ${a.ips.map((ip) => ip.address).join(',')}`),
    ['p2 10.244.0.3/24'],
    'the lab fabric holds what they left',
  );
  await t.rejects(net.del(list, sandbox('p2')), { message: 'the CNI thread is closed' });
});
