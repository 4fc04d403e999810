// PodLogs, the rings `kubectl logs` reads: each container of each pod its own lines (two containers
// of one pod, the same pod name in two namespaces), follow, tail and since, a pod forgotten, and the
// rings of one name kept per pod uid (a pod made again under its name while the old one terminates).
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

/** What a PodLogs holds of `reads` (`pod/uid container` each), whether web-0 has rings, its size. */
function held(logs: PodLogs, reads: string[]): string {
  const rows = reads.map((r) => {
    const [pod = '', container = ''] = r.split(' ');
    const [name = '', uid] = pod.split('/');
    const lines = texts(logs.read('default', name, container, uid === undefined ? {} : { uid }));
    return `${r}: ${lines.join(' ') || '-'}`;
  });
  return [...rows, `has web-0=${logs.has('default', 'web-0')} size=${logs.size}`].join('\n');
}

t.test("rings by pod uid: a removed pod's go, a pod of the same name keeps its own", async (t) => {
  const cases: { name: string; act: (logs: PodLogs) => void; reads: string[]; want: string }[] = [
    {
      name: "a removed pod's rings go, every container of it, and only its",
      act: (logs) => {
        logs.write('default', 'web-0', 'app', 'a1', at(0), 'A');
        logs.write('default', 'web-0', 'sidecar', 's1', at(1), 'A');
        logs.write('default', 'web-1', 'app', 'c1', at(2), 'C');
        logs.remove('default', 'web-0', 'A');
      },
      reads: ['web-0/A app', 'web-0/A sidecar', 'web-1/C app'],
      want: 'web-0/A app: -\nweb-0/A sidecar: -\nweb-1/C app: c1\nhas web-0=false size=1',
    },
    {
      name: 'the same name made again: each pod its lines, the old one late too',
      act: (logs) => {
        logs.write('default', 'web-0', 'app', 'a1', at(0), 'A');
        logs.write('default', 'web-0', 'app', 'b1', at(1), 'B');
        logs.write('default', 'web-0', 'app', 'a-late', at(2), 'A');
        logs.write('default', 'web-0', 'app', 'b2', at(3), 'B');
      },
      reads: ['web-0/A app', 'web-0/B app'],
      want: 'web-0/A app: a1 a-late\nweb-0/B app: b1 b2\nhas web-0=true size=2',
    },
    {
      name: "the old pod removed after the new one wrote: the new one's lines stay",
      act: (logs) => {
        logs.write('default', 'web-0', 'app', 'a1', at(0), 'A');
        logs.write('default', 'web-0', 'sidecar', 's1', at(0), 'A');
        logs.write('default', 'web-0', 'app', 'b1', at(1), 'B');
        logs.write('default', 'web-0', 'app', 'a-late', at(2), 'A');
        logs.remove('default', 'web-0', 'A');
        logs.write('default', 'web-0', 'app', 'b2', at(3), 'B');
      },
      reads: ['web-0/A app', 'web-0/A sidecar', 'web-0/B app'],
      want: 'web-0/A app: -\nweb-0/A sidecar: -\nweb-0/B app: b1 b2\nhas web-0=true size=1',
    },
    {
      name: 'the new pod removed first (its start failed): the old one keeps its lines',
      act: (logs) => {
        logs.write('default', 'web-0', 'app', 'a1', at(0), 'A');
        logs.write('default', 'web-0', 'app', 'b1', at(1), 'B');
        logs.remove('default', 'web-0', 'B');
        logs.remove('default', 'web-0', 'C');
      },
      reads: ['web-0/A app', 'web-0/B app'],
      want: 'web-0/A app: a1\nweb-0/B app: -\nhas web-0=true size=1',
    },
    {
      name: "lines written without a uid are the name's: a pod reads them until it has its own",
      act: (logs) => {
        logs.write('default', 'web-0', 'app', 'n1', at(0));
        logs.write('default', 'web-0', 'sidecar', 'n2', at(0));
        logs.write('default', 'web-0', 'app', 'b1', at(1), 'B');
      },
      reads: ['web-0 app', 'web-0/B app', 'web-0/B sidecar'],
      want: 'web-0 app: n1\nweb-0/B app: b1\nweb-0/B sidecar: n2\nhas web-0=true size=3',
    },
    {
      name: 'remove without a uid: every ring of the name',
      act: (logs) => {
        logs.write('default', 'web-0', 'app', 'n1', at(0));
        logs.write('default', 'web-0', 'app', 'a1', at(0), 'A');
        logs.write('default', 'web-0', 'app', 'b1', at(1), 'B');
        logs.remove('default', 'web-0');
      },
      reads: ['web-0 app', 'web-0/A app', 'web-0/B app'],
      want: 'web-0 app: -\nweb-0/A app: -\nweb-0/B app: -\nhas web-0=false size=0',
    },
    {
      name: 'a follow of a pod that never wrote leaves nothing once stopped; one that heard keeps its ring',
      act: (logs) => {
        logs.follow('default', 'web-0', 'app', () => {}, 'A')();
        const stop = logs.follow('default', 'web-0', 'app', () => {}, 'B');
        logs.write('default', 'web-0', 'app', 'b1', at(1), 'B');
        stop();
      },
      reads: ['web-0/A app', 'web-0/B app'],
      want: 'web-0/A app: -\nweb-0/B app: b1\nhas web-0=true size=1',
    },
  ];
  for (const c of cases) {
    const logs = new PodLogs();
    c.act(logs);
    t.equal(held(logs, c.reads), c.want, c.name);
  }
});

t.test('a follow hears its own pod only, and nothing once that pod is removed', async (t) => {
  const logs = new PodLogs();
  const heard: string[] = [];
  logs.follow('default', 'web-0', 'app', (l) => heard.push(`B:${l.text}`), 'B');
  logs.follow('default', 'web-0', 'app', (l) => heard.push(`A:${l.text}`), 'A');
  logs.write('default', 'web-0', 'app', 'a1', at(0), 'A');
  logs.write('default', 'web-0', 'app', 'b1', at(1), 'B');
  logs.remove('default', 'web-0', 'A');
  logs.write('default', 'web-0', 'app', 'b2', at(2), 'B');
  t.same(heard, ['A:a1', 'B:b1', 'B:b2']);
  t.equal(logs.has('default', 'web-0', 'A'), false);
  t.equal(logs.has('default', 'web-0', 'B'), true);
});
