// The kube-API's costs. (1) Watch fan-out: 100 HTTP watchers of Services while 10,000 changes are
// written; events delivered per second beside the store's own rate for the same writes with the
// same 100 watchers in-process (the baseline). (2) Listing 100,000 Pods in pages of 500 over HTTP,
// beside one in-process store.list of them all.
import { request } from 'node:http';
import { type AnyObject, Store } from '../api/index.js';
import { ApiServer } from '../lab/apiserver/index.js';

const watchers = 100;
const changes = Number(process.env.BENCH_CHANGES ?? 10_000);
const pods = Number(process.env.BENCH_PODS ?? 100_000);

const svc = (i: number) =>
  ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: `s${i}`, namespace: 'default' },
    spec: { clusterIP: 'None', selector: { app: `s${i}` }, ports: [{ port: 80 }] },
  }) as AnyObject;

async function storeFanOut(): Promise<number> {
  const store = new Store({ bookmarkIntervalMs: 0, historySize: changes + 10 });
  const rv = store.resourceVersion;
  const counts = Array.from({ length: watchers }, () => 0);
  const done = counts.map(async (_, i) => {
    for await (const _ev of store.watch('Service', { resourceVersion: rv }))
      if (++counts[i]! === changes) return;
  });
  const t0 = performance.now();
  for (let i = 0; i < changes; i++) store.create(svc(i));
  await Promise.all(done);
  const s = (performance.now() - t0) / 1000;
  store.close();
  return (changes * watchers) / s;
}

async function httpFanOut(): Promise<number> {
  const store = new Store({ bookmarkIntervalMs: 0, historySize: changes + 10 });
  const server = new ApiServer({ store });
  await server.listen();
  const rv = store.resourceVersion;
  const { port } = server.address;
  const streams = Array.from(
    { length: watchers },
    () =>
      new Promise<void>((resolve, reject) => {
        const req = request(
          { host: '127.0.0.1', port, path: `/api/v1/services?watch=true&resourceVersion=${rv}` },
          (res) => {
            let n = 0;
            res.on('data', (b: Buffer) => {
              for (const c of b) if (c === 10) n++;
              if (n >= changes) {
                req.destroy();
                resolve();
              }
            });
          },
        );
        req.on('error', (e) => ((e as NodeJS.ErrnoException).code === 'ECONNRESET' ? undefined : reject(e)));
        req.end();
      }),
  );
  await new Promise((r) => setTimeout(r, 200));
  const t0 = performance.now();
  for (let i = 0; i < changes; i++) {
    store.create(svc(i));
    // Let the watch streams drain now and then, as a real writer's requests would.
    if (i % 500 === 499) await new Promise((r) => setImmediate(r));
  }
  await Promise.all(streams);
  const s = (performance.now() - t0) / 1000;
  await server.close();
  store.close();
  return (changes * watchers) / s;
}

async function listPages(): Promise<{ http: number; baseline: number; pages: number }> {
  const store = new Store({ bookmarkIntervalMs: 0 });
  const batch: AnyObject[] = [];
  for (let i = 0; i < pods; i++)
    batch.push({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: `p${String(i).padStart(6, '0')}`,
        namespace: 'default',
        labels: { app: `a${i % 100}` },
      },
      spec: { containers: [{ name: 'c', image: 'agnhost' }] },
    } as AnyObject);
  store.apply(batch);
  const server = new ApiServer({ store });
  await server.listen();
  let t0 = performance.now();
  store.list('Pod');
  const baseline = performance.now() - t0;
  t0 = performance.now();
  let cont = '';
  let pages = 0;
  let items = 0;
  do {
    const r = await fetch(
      `${server.url}/api/v1/namespaces/default/pods?limit=500${cont ? `&continue=${cont}` : ''}`,
    );
    const list = (await r.json()) as { items: unknown[]; metadata: { continue?: string } };
    items += list.items.length;
    cont = list.metadata.continue ?? '';
    pages++;
  } while (cont);
  const http = performance.now() - t0;
  if (items !== pods) throw new Error(`listed ${items} pods, want ${pods}`);
  await server.close();
  store.close();
  return { http, baseline, pages };
}

const base = await storeFanOut();
const http = await httpFanOut();
console.log(
  `watch fan-out, ${watchers} watchers x ${changes} changes: ${Math.round(http).toLocaleString('en')} events/s over HTTP; store alone ${Math.round(base).toLocaleString('en')} events/s (${(http / base).toFixed(2)} of it)`,
);
const l = await listPages();
console.log(
  `list ${pods.toLocaleString('en')} pods in ${l.pages} pages of 500: ${(l.http / 1000).toFixed(2)} s over HTTP (${(l.http / l.pages).toFixed(1)} ms a page); one in-process list of all: ${l.baseline.toFixed(0)} ms`,
);
