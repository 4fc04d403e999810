// The commands that change a running lab through its kube-API, each printing what kubectl prints:
// apply (`deployment.apps/web created|configured|unchanged`), delete (`service "web" deleted`),
// scale, `rollout restart` and `rollout status` (kubectl's own status messages, read from the
// Deployment or StatefulSet status the controllers write), and logs.
import { type AnyObject, type Deployment, type ManifestObject, readManifestFiles } from '../../api/index.js';
import type { Resource } from '../apiserver/index.js';
import { formatStatus } from '../run/errors.js';
import { objectName, objectPath, parseResourceArgs, resourceFor } from './resources.js';
import { ApiStatusError, ClientError, type KubeClient } from './rest.js';
import { ManifestApplyError } from './source.js';

/** The manager netlab's writes are recorded under in managedFields. */
export const fieldManager = 'netlab';

function readFiles(files: readonly string[]): ManifestObject[] {
  const read = readManifestFiles([...files]);
  if (read.issues.length > 0) throw new ManifestApplyError(read.issues);
  if (read.objects.length === 0) throw new ClientError('no objects passed to apply');
  return read.objects;
}

function resourceOf(o: AnyObject): Resource {
  try {
    return resourceFor(o.kind);
  } catch {
    throw new ClientError(`the server doesn't have a resource type "${o.kind}"`);
  }
}

function namespaceOf(r: Resource, o: AnyObject, flag: string | undefined, client: KubeClient): string {
  return r.namespaced ? (o.metadata.namespace ?? flag ?? client.namespace) : '';
}

export interface Lines {
  stdout: string;
  stderr: string;
  code: number;
}

/**
 * `apply -f`: a missing object is created, an existing one server-side applied (taking over the
 * fields, as client-side apply overwrites them); `unchanged` when the server stored nothing new.
 * Each object on its own, as kubectl: a failure is reported and the rest still go.
 */
export async function runApply(
  client: KubeClient,
  files: readonly string[],
  namespace: string | undefined,
): Promise<Lines> {
  const out: Lines = { stdout: '', stderr: '', code: 0 };
  for (const { object, source } of readFiles(files)) {
    const r = resourceOf(object);
    const ns = namespaceOf(r, object, namespace, client);
    const name = object.metadata.name ?? '';
    const path = objectPath(r, ns, name);
    const body = { ...object, metadata: { ...object.metadata, ...(r.namespaced ? { namespace: ns } : {}) } };
    try {
      let current: AnyObject | undefined;
      try {
        current = await client.json<AnyObject>('GET', path);
      } catch (e) {
        if (!(e instanceof ApiStatusError) || e.httpCode !== 404) throw e;
      }
      // Server-side apply creates a missing object too: one field manager owns it from the start,
      // so applying the same file again changes nothing.
      const after = await client.json<AnyObject>('PATCH', `${path}?fieldManager=${fieldManager}&force=true`, {
        body: JSON.stringify(body),
        contentType: 'application/apply-patch+yaml',
      });
      if (!current) {
        out.stdout += `${objectName(r, name)} created\n`;
        continue;
      }
      const changed = after.metadata.resourceVersion !== current.metadata.resourceVersion;
      out.stdout += `${objectName(r, name)} ${changed ? 'configured' : 'unchanged'}\n`;
    } catch (e) {
      if (!(e instanceof ApiStatusError)) throw e;
      out.stderr += `${formatStatus(e.status)} (${source.file}:${source.line})\n`;
      out.code = 1;
    }
  }
  return out;
}

/** `delete TYPE NAME... | TYPE/NAME... | -f FILE`: `service "web" deleted`, each as it goes. */
export async function runDelete(
  client: KubeClient,
  args: readonly string[],
  opts: { filename?: string[] | undefined; namespace?: string | undefined; wait: boolean },
): Promise<Lines> {
  const targets: { r: Resource; ns: string; name: string }[] = [];
  if (opts.filename?.length) {
    if (args.length > 0) throw new ClientError('give either -f FILE or TYPE NAME, not both');
    for (const { object } of readFiles(opts.filename)) {
      const r = resourceOf(object);
      targets.push({
        r,
        ns: namespaceOf(r, object, opts.namespace, client),
        name: object.metadata.name ?? '',
      });
    }
  } else {
    const wanted = parseResourceArgs(args);
    for (const w of wanted) {
      if (w.name === undefined)
        throw new ClientError(
          'resource(s) were provided, but no name was specified: name the objects (netlab delete TYPE NAME)',
        );
      targets.push({ r: w.resource, ns: opts.namespace ?? client.namespace, name: w.name });
    }
  }
  const out: Lines = { stdout: '', stderr: '', code: 0 };
  for (const t of targets) {
    const path = objectPath(t.r, t.ns, t.name);
    try {
      const gone = await client.json<AnyObject>('DELETE', path);
      out.stdout += `${t.r.group === '' ? t.r.singular : `${t.r.singular}.${t.r.group}`} "${t.name}" deleted\n`;
      // As kubectl (--wait=true): a graceful deletion is over when the object is gone.
      if (opts.wait && gone.metadata?.deletionTimestamp) await waitGone(client, t.r, t.ns, t.name);
    } catch (e) {
      if (!(e instanceof ApiStatusError)) throw e;
      out.stderr += `${formatStatus(e.status)}\n`;
      out.code = 1;
    }
  }
  return out;
}

/** Watches one object until its DELETED event (or it is already gone). */
async function waitGone(client: KubeClient, r: Resource, ns: string, name: string): Promise<void> {
  const ac = new AbortController();
  const coll = objectPath(r, ns, name);
  const list = coll.slice(0, coll.lastIndexOf('/'));
  const field = encodeURIComponent(`metadata.name=${name}`);
  let current: AnyObject;
  try {
    current = await client.json<AnyObject>('GET', coll);
  } catch (e) {
    if (e instanceof ApiStatusError && e.httpCode === 404) return;
    throw e;
  }
  await client.lines(
    `${list}?watch=true&fieldSelector=${field}&resourceVersion=${current.metadata.resourceVersion}`,
    (line) => {
      const ev = JSON.parse(line) as { type: string };
      if (ev.type === 'DELETED') ac.abort();
    },
    { signal: ac.signal },
  );
}

/** `scale TYPE/NAME --replicas=N` through the scale subresource: `deployment.apps/web scaled`. */
export async function runScale(
  client: KubeClient,
  args: readonly string[],
  replicas: number,
  namespace: string | undefined,
): Promise<Lines> {
  const out: Lines = { stdout: '', stderr: '', code: 0 };
  for (const w of parseResourceArgs(args)) {
    if (w.name === undefined) throw new ClientError('name the object to scale: netlab scale deploy/NAME');
    if (!w.resource.subresources.includes('scale'))
      throw new ClientError(`${objectName(w.resource, w.name)} cannot be scaled (no scale subresource)`);
    try {
      await client.json('PATCH', objectPath(w.resource, namespace ?? client.namespace, w.name, 'scale'), {
        body: JSON.stringify({ spec: { replicas } }),
        contentType: 'application/merge-patch+json',
      });
      out.stdout += `${objectName(w.resource, w.name)} scaled\n`;
    } catch (e) {
      if (!(e instanceof ApiStatusError)) throw e;
      out.stderr += `${formatStatus(e.status)}\n`;
      out.code = 1;
    }
  }
  return out;
}

function rolloutTarget(args: readonly string[]): { r: Resource; name: string } {
  const w = parseResourceArgs(args);
  if (w.length !== 1 || w[0]!.name === undefined)
    throw new ClientError('name one object: netlab rollout status|restart deploy/NAME');
  const r = w[0]!.resource;
  if (r.kind !== 'Deployment' && r.kind !== 'StatefulSet')
    throw new ClientError(
      `no rollout for ${objectName(r, w[0]!.name)}: Deployments and StatefulSets have one`,
    );
  return { r, name: w[0]!.name };
}

/** `rollout restart`: a new template (the restartedAt annotation), so a new rollout. */
export async function runRolloutRestart(
  client: KubeClient,
  args: readonly string[],
  namespace: string | undefined,
  now = new Date(),
): Promise<Lines> {
  const { r, name } = rolloutTarget(args);
  const stamp = `${now.toISOString().slice(0, 19)}Z`;
  await client.json('PATCH', objectPath(r, namespace ?? client.namespace, name), {
    body: JSON.stringify({
      spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': stamp } } } },
    }),
    contentType: 'application/strategic-merge-patch+json',
  });
  return { stdout: `${objectName(r, name)} restarted\n`, stderr: '', code: 0 };
}

interface RolloutState {
  message: string;
  done: boolean;
}

/** kubectl's DeploymentStatusViewer, message for message. */
export function deploymentRolloutStatus(d: Deployment): RolloutState {
  const name = d.metadata.name;
  const st = d.status ?? {};
  if ((d.metadata.generation ?? 0) <= (st.observedGeneration ?? 0)) {
    const conditions = (st as { conditions?: { type: string; reason?: string }[] }).conditions;
    const progressing = conditions?.find((c) => c.type === 'Progressing');
    if (progressing?.reason === 'ProgressDeadlineExceeded')
      throw new ClientError(`deployment "${name}" exceeded its progress deadline`);
    const replicas = d.spec.replicas ?? 1;
    const updated = st.updatedReplicas ?? 0;
    if (updated < replicas)
      return {
        message: `Waiting for deployment "${name}" rollout to finish: ${updated} out of ${replicas} new replicas have been updated...`,
        done: false,
      };
    if ((st.replicas ?? 0) > updated)
      return {
        message: `Waiting for deployment "${name}" rollout to finish: ${(st.replicas ?? 0) - updated} old replicas are pending termination...`,
        done: false,
      };
    if ((st.availableReplicas ?? 0) < updated)
      return {
        message: `Waiting for deployment "${name}" rollout to finish: ${st.availableReplicas ?? 0} of ${updated} updated replicas are available...`,
        done: false,
      };
    return { message: `deployment "${name}" successfully rolled out`, done: true };
  }
  return { message: 'Waiting for deployment spec update to be observed...', done: false };
}

interface StatefulSetLike {
  metadata: { name?: string; generation?: number };
  spec: { replicas?: number; updateStrategy?: { type?: string } };
  status?: {
    observedGeneration?: number;
    readyReplicas?: number;
    updatedReplicas?: number;
    currentReplicas?: number;
    updateRevision?: string;
    currentRevision?: string;
  };
}

/** kubectl's StatefulSetStatusViewer. */
export function statefulSetRolloutStatus(s: StatefulSetLike): RolloutState {
  if ((s.spec.updateStrategy?.type ?? 'RollingUpdate') !== 'RollingUpdate')
    throw new ClientError('rollout status is only available for RollingUpdate strategy type');
  const st = s.status ?? {};
  if (!st.observedGeneration || (s.metadata.generation ?? 0) > st.observedGeneration)
    return { message: 'Waiting for statefulset spec update to be observed...', done: false };
  const replicas = s.spec.replicas ?? 1;
  if ((st.readyReplicas ?? 0) < replicas)
    return { message: `Waiting for ${replicas - (st.readyReplicas ?? 0)} pods to be ready...`, done: false };
  if (st.updateRevision !== st.currentRevision)
    return {
      message: `waiting for statefulset rolling update to complete ${st.updatedReplicas ?? 0} pods at revision ${st.updateRevision}...`,
      done: false,
    };
  return {
    message: `statefulset rolling update complete ${st.currentReplicas ?? 0} pods at revision ${st.currentRevision}...`,
    done: true,
  };
}

/**
 * `rollout status`: watches the object and prints kubectl's message each time it changes, until the
 * rollout is complete (exit 0), its deadline passed, or `timeoutMs` (0: no limit) ran out.
 */
export async function runRolloutStatus(
  client: KubeClient,
  args: readonly string[],
  namespace: string | undefined,
  timeoutMs: number,
  write: (line: string) => void,
): Promise<void> {
  const { r, name } = rolloutTarget(args);
  const ns = namespace ?? client.namespace;
  const path = objectPath(r, ns, name);
  const view = (o: AnyObject) =>
    r.kind === 'Deployment'
      ? deploymentRolloutStatus(o as Deployment)
      : statefulSetRolloutStatus(o as unknown as StatefulSetLike);
  const first = await client.json<AnyObject>('GET', path);
  let last = view(first);
  write(`${last.message}\n`);
  if (last.done) return;
  const ac = new AbortController();
  const timer = timeoutMs > 0 ? setTimeout(() => ac.abort(), timeoutMs) : undefined;
  let failure: unknown;
  try {
    const list = path.slice(0, path.lastIndexOf('/'));
    await client.lines(
      `${list}?watch=true&fieldSelector=${encodeURIComponent(`metadata.name=${name}`)}&resourceVersion=${first.metadata.resourceVersion}`,
      (line) => {
        if (ac.signal.aborted) return;
        const ev = JSON.parse(line) as { type: string; object: AnyObject };
        if (ev.type === 'DELETED') {
          failure = new ClientError(`${objectName(r, name)} was deleted`);
          return ac.abort();
        }
        if (ev.type !== 'MODIFIED' && ev.type !== 'ADDED') return;
        try {
          const state = view(ev.object);
          if (state.message !== last.message) write(`${state.message}\n`);
          last = state;
          if (state.done) ac.abort();
        } catch (e) {
          failure = e;
          ac.abort();
        }
      },
      { signal: ac.signal },
    );
  } finally {
    clearTimeout(timer);
  }
  if (failure) throw failure;
  if (!last.done) throw new ClientError('timed out waiting for the condition');
}

/** `logs [pod/]NAME [-c C] [--tail N] [--timestamps] [-f]`: the container's lines as the kubelet kept them. */
export async function runLogs(
  client: KubeClient,
  target: string,
  opts: {
    namespace?: string | undefined;
    container?: string | undefined;
    tail?: number | undefined;
    timestamps?: boolean | undefined;
    follow?: boolean | undefined;
    sinceSeconds?: number | undefined;
  },
  write: (text: string) => void,
  signal?: AbortSignal,
): Promise<void> {
  const slash = target.indexOf('/');
  if (slash >= 0 && resourceFor(target.slice(0, slash)).kind !== 'Pod')
    throw new ClientError(`logs: ${target}: only pods have logs here (pod/NAME or NAME)`);
  const name = slash >= 0 ? target.slice(slash + 1) : target;
  const q = new URLSearchParams();
  if (opts.container) q.set('container', opts.container);
  if (opts.tail !== undefined && opts.tail >= 0) q.set('tailLines', String(opts.tail));
  if (opts.timestamps) q.set('timestamps', 'true');
  if (opts.sinceSeconds !== undefined) q.set('sinceSeconds', String(opts.sinceSeconds));
  if (opts.follow) q.set('follow', 'true');
  const path = `/api/v1/namespaces/${encodeURIComponent(opts.namespace ?? client.namespace)}/pods/${encodeURIComponent(name)}/log${
    q.size ? `?${q}` : ''
  }`;
  if (!opts.follow) {
    write(await client.text('GET', path));
    return;
  }
  await client.lines(path, (line) => write(`${line}\n`), signal ? { signal } : {});
}
