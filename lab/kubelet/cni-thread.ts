// The CNI thread (network.ts, `thread: true`): the plugins, host-local's stores and the result cache
// of every node, over a copy of the fabric. Requests come in batches and run one after another, in
// order; each reply goes back after every fabric change made before it, so the lab's fabric has a
// pod's interface by the time its kubelet learns the pod's addresses. Replies of one turn of the
// event loop go back together.
import { parentPort, workerData } from 'node:worker_threads';
import { Fabric, type FabricChange } from '../../cni/index.js';
import { type CniReplies, type CniRequest, CniRuntime, type CniThreadData } from './network.js';

const port = parentPort!;
const data = workerData as CniThreadData;
let changes: FabricChange[] = [];
let replies: CniReplies['replies'] = [];
const runtime = new CniRuntime(new Fabric({ onChange: (c) => changes.push(c) }), data.stateDir, data.network);

function answer(r: CniReplies['replies'][number]): void {
  if (replies.push(r) === 1)
    setImmediate(() => {
      const m: CniReplies = { changes, replies };
      changes = [];
      replies = [];
      port.postMessage(m);
    });
}

async function run(req: Extract<CniRequest, { id: number }>): Promise<void> {
  try {
    const list = runtime.list(req.node);
    if (!list) throw new Error(`node ${req.node}: no network yet`);
    let ips: string[] = [];
    if (req.op === 'add') ips = await runtime.add(list, req.sandbox);
    else await runtime.del(list, req.sandbox);
    answer({ id: req.id, ips });
  } catch (e) {
    answer({ id: req.id, error: (e as Error).message });
  }
}

// One request at a time, in the order sent: a lab that stops sends every pod's DEL at once, and a
// hundred thousand of them under way together held gigabytes (each its plugins' parsed configs,
// results and promises); in turn, the thread holds one.
const queue: CniRequest[] = [];
let head = 0;
let pumping = false;
let ran = 0;

async function pump(): Promise<void> {
  pumping = true;
  while (head < queue.length) {
    const req = queue[head++]!;
    if (req.op === 'node') runtime.nodeNetwork(req.node, req.nodeIPs, req.podCIDRs);
    else await run(req);
    if (head === queue.length || head > 4096) {
      queue.splice(0, head);
      head = 0;
    }
    // A turn of the event loop now and then, so that replies go back while a long queue runs.
    if (++ran % 64 === 0) await new Promise((r) => setImmediate(r));
  }
  pumping = false;
}

port.on('message', (batch: CniRequest[]) => {
  for (const req of batch) queue.push(req);
  if (!pumping) void pump();
});
