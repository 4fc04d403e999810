// PodLogs, the rings `kubectl logs` reads: each container of each pod its own lines (two containers
// of one pod, the same pod name in two namespaces), follow, tail and since, and a pod forgotten.
import t from 'tap';
import { PodLogs } from '../../../lab/apiserver/logs.js';

const at = (s: number) => new Date(Date.UTC(2026, 11, 6, 9, 0, s));
const texts = (lines: { text: string }[]) => lines.map((l) => l.text);

t.test('each container of each pod keeps its own lines', async (t) => {
  const logs = new PodLogs();
  logs.write('default', 'web-1', 'app', 'a1', at(0));
  logs.write('default', 'web-1', 'sidecar', 's1', at(1));
  logs.write('other', 'web-1', 'app', 'o1', at(2));
  logs.write('default', 'web-1', 'app', 'a2', at(3));
  logs.write('default', 'web-1', 'third', 't1', at(4));
  t.same(texts(logs.read('default', 'web-1', 'app')), ['a1', 'a2']);
  t.same(texts(logs.read('default', 'web-1', 'sidecar')), ['s1']);
  t.same(texts(logs.read('default', 'web-1', 'third')), ['t1']);
  t.same(texts(logs.read('other', 'web-1', 'app')), ['o1']);
  t.same(logs.read('default', 'web-2', 'app'), [], 'a pod without lines');
  t.same(logs.read('default', 'web-1', 'app')[1]?.time, at(3), 'the time as written');
  t.same(texts(logs.read('default', 'web-1', 'app', { tailLines: 1 })), ['a2']);
  t.same(texts(logs.read('default', 'web-1', 'app', { sinceSeconds: 1, now: at(3) })), ['a2']);
});

t.test('follow hears new lines of its container until stopped', async (t) => {
  const logs = new PodLogs();
  const heard: string[] = [];
  const stop = logs.follow('default', 'web-1', 'sidecar', (l) => heard.push(`${l.text}@${l.time.getTime()}`));
  logs.write('default', 'web-1', 'app', 'a1', at(0));
  logs.write('default', 'web-1', 'sidecar', 's1', at(1));
  stop();
  logs.write('default', 'web-1', 'sidecar', 's2', at(2));
  t.same(heard, [`s1@${at(1).getTime()}`]);
  t.same(texts(logs.read('default', 'web-1', 'sidecar')), ['s1', 's2']);
});

t.test('a removed pod forgets every container, and only its own', async (t) => {
  const logs = new PodLogs();
  logs.write('default', 'web-1', 'app', 'a1');
  logs.write('default', 'web-1', 'sidecar', 's1');
  logs.write('default', 'web-10', 'app', 'b1');
  logs.write('other', 'web-1', 'app', 'o1');
  logs.remove('default', 'web-1');
  t.same(logs.read('default', 'web-1', 'app'), []);
  t.same(logs.read('default', 'web-1', 'sidecar'), []);
  t.same(texts(logs.read('default', 'web-10', 'app')), ['b1']);
  t.same(texts(logs.read('other', 'web-1', 'app')), ['o1']);
  logs.remove('nowhere', 'web-1');
});

t.test('a ring keeps the last maxLines lines', async (t) => {
  const logs = new PodLogs(4);
  for (let i = 0; i < 10; i++) logs.write('default', 'web-1', 'app', `l${i}`, at(i));
  t.same(texts(logs.read('default', 'web-1', 'app')), ['l6', 'l7', 'l8', 'l9']);
});
