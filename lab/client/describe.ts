// `netlab describe svc|pod|deploy|node|endpointslice [NAME...]`, laid out as kubectl v1.32's
// describers lay them out (Go's tabwriter, two spaces per level), from any ReadSource: a running
// lab's kube-API or manifests (-f). Events are found as kubectl finds them: a field selector on
// involvedObject.name, namespace, kind and uid.
import { labelSelectorAsSelector } from '../../api/index.js';
import { joinHostPort } from '../../std/index.js';
import type { Resource } from '../apiserver/index.js';
import { DescribeWriter, formatLabels, since } from '../printers/index.js';
import type { CommandOutput } from './get.js';
import { parseResourceArgs, resourceFor } from './resources.js';
import { ApiStatusError, ClientError } from './rest.js';
import type { ReadSource } from './source.js';

// biome-ignore lint/suspicious/noExplicitAny: objects as read from the API, any kind
type Obj = any;

const L0 = 0;
const L1 = 1;
const L2 = 2;
const L3 = 3;

/** Go's time.RFC1123Z in UTC (`Sat, 05 Dec 2026 09:00:01 +0000`), as kubectl prints times. */
export function rfc1123z(ts: string | undefined | null): string {
  const d = new Date(ts ?? 0);
  if (!ts || Number.isNaN(d.getTime())) return 'Mon, 01 Jan 0001 00:00:00 +0000';
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const p = (n: number) => String(n).padStart(2, '0');
  return `${days[d.getUTCDay()]}, ${p(d.getUTCDate())} ${months[d.getUTCMonth()]} ${d.getUTCFullYear()} ${p(
    d.getUTCHours(),
  )}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}

const skipAnnotations = new Set(['kubectl.kubernetes.io/last-applied-configuration']);
const maxAnnotationLen = 140;

function printLabels(
  w: DescribeWriter,
  title: string,
  labels: Record<string, string> | undefined,
  indent = '',
): void {
  w.write(L0, `${indent}${title}:\t`);
  const keys = Object.keys(labels ?? {}).sort();
  if (keys.length === 0) {
    w.write(L0, '<none>\n');
    return;
  }
  keys.forEach((k, i) => {
    if (i !== 0) w.write(L0, `${indent}\t`);
    w.write(L0, `${k}=${labels![k]}\n`);
  });
}

function printAnnotations(
  w: DescribeWriter,
  title: string,
  annotations: Record<string, string> | undefined,
): void {
  w.write(L0, `${title}:\t`);
  const keys = Object.keys(annotations ?? {})
    .filter((k) => !skipAnnotations.has(k))
    .sort();
  if (keys.length === 0) {
    w.write(L0, '<none>\n');
    return;
  }
  keys.forEach((k, i) => {
    if (i !== 0) w.write(L0, '\t');
    const value = annotations![k]!.replace(/\n$/, '');
    if (value.length + k.length + 2 > maxAnnotationLen || value.includes('\n')) {
      w.write(L0, `${k}:\n`);
      for (const s of value.split('\n'))
        w.write(
          L0,
          `\t  ${s.length > maxAnnotationLen - 2 ? `${s.slice(0, maxAnnotationLen - 2)}...` : s}\n`,
        );
    } else w.write(L0, `${k}: ${value}\n`);
  });
}

function printTolerations(w: DescribeWriter, title: string, tolerations: Obj[] | undefined): void {
  w.write(L0, `${title}:\t`);
  if (!tolerations?.length) {
    w.write(L0, '<none>\n');
    return;
  }
  [...tolerations]
    .sort((a, b) => String(a.key ?? '').localeCompare(String(b.key ?? '')))
    .forEach((t, i) => {
      if (i !== 0) w.write(L0, '\t');
      let s = t.key ?? '';
      if (t.value) s += `=${t.value}`;
      if (t.effect) s += `:${t.effect}`;
      if (t.operator === 'Exists' && !t.value) s += t.key || t.effect ? ' op=Exists' : 'op=Exists';
      if (t.tolerationSeconds !== undefined && t.tolerationSeconds !== null)
        s += ` for ${t.tolerationSeconds}s`;
      w.write(L0, `${s}\n`);
    });
}

function printTaints(w: DescribeWriter, taints: Obj[] | undefined): void {
  w.write(L0, 'Taints:\t');
  if (!taints?.length) {
    w.write(L0, '<none>\n');
    return;
  }
  const key = (t: Obj) => `${t.effect},${t.key}`;
  [...taints]
    .sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0))
    .forEach((t, i) => {
      if (i !== 0) w.write(L0, '\t');
      w.write(L0, `${t.key}${t.value ? `=${t.value}` : ''}:${t.effect}\n`);
    });
}

function describeEvents(w: DescribeWriter, events: Obj[] | undefined, now: Date): void {
  if (events === undefined) return;
  if (events.length === 0) {
    w.write(L0, 'Events:\t<none>\n');
    return;
  }
  w.flush();
  const last = (e: Obj) => Date.parse(e.lastTimestamp ?? '') || 0;
  const sorted = [...events].sort((a, b) => last(a) - last(b));
  w.write(L0, 'Events:\n  Type\tReason\tAge\tFrom\tMessage\n');
  w.write(L1, '----\t------\t----\t----\t-------\n');
  for (const e of sorted) {
    const first = e.eventTime ? since(e.eventTime, now) : since(e.firstTimestamp, now);
    let interval = first;
    if (e.series) interval = `${since(e.series.lastObservedTime, now)} (x${e.series.count} over ${first})`;
    else if ((e.count ?? 0) > 1) interval = `${since(e.lastTimestamp, now)} (x${e.count} over ${first})`;
    const source = e.source?.component || e.reportingComponent || '';
    const message = String(e.message ?? '').trim();
    w.write(L1, `${e.type ?? ''}\t${e.reason ?? ''}\t${interval}\t${source}\t${message}\n`);
  }
}

function describeContainers(
  w: DescribeWriter,
  label: string,
  containers: Obj[],
  statuses: Obj[] | undefined,
  space: string,
): void {
  w.write(L0, `${space}${label}:${containers.length === 0 ? ' <none>' : ''}\n`);
  const byName = new Map<string, Obj>((statuses ?? []).map((s: Obj) => [s.name, s]));
  const nameIndent = space ? ' ' : '';
  for (const c of containers) {
    const st = statuses ? byName.get(c.name) : undefined;
    w.write(L1, `${nameIndent}${c.name}:\n`);
    if (st) w.write(L2, `Container ID:\t${st.containerID ?? ''}\n`);
    w.write(L2, `Image:\t${c.image ?? ''}\n`);
    if (st) w.write(L2, `Image ID:\t${st.imageID ?? ''}\n`);
    const ports = (c.ports ?? []).map((p: Obj) => `${p.containerPort}/${p.protocol ?? 'TCP'}`).join(', ');
    const hostPorts = (c.ports ?? []).map((p: Obj) => `${p.hostPort ?? 0}/${p.protocol ?? 'TCP'}`).join(', ');
    w.write(L2, ports.includes(',') ? `Ports:\t${ports}\n` : `Port:\t${ports || '<none>'}\n`);
    w.write(
      L2,
      hostPorts.includes(',') ? `Host Ports:\t${hostPorts}\n` : `Host Port:\t${hostPorts || '<none>'}\n`,
    );
    for (const [title, list] of [
      ['Command', c.command],
      ['Args', c.args],
    ] as const) {
      if (!list?.length) continue;
      w.write(L2, `${title}:\n`);
      for (const a of list as string[]) for (const s of a.split('\n')) w.write(L3, `${s}\n`);
    }
    if (st) {
      describeState(w, 'State', st.state);
      if (st.lastState?.terminated) describeState(w, 'Last State', st.lastState);
      w.write(L2, `Ready:\t${st.ready ? 'True' : 'False'}\n`);
      w.write(L2, `Restart Count:\t${st.restartCount ?? 0}\n`);
    }
    for (const [title, list] of [
      ['Limits', c.resources?.limits],
      ['Requests', c.resources?.requests],
    ] as const) {
      const keys = Object.keys(list ?? {}).sort();
      if (keys.length === 0) continue;
      w.write(L2, `${title}:\n`);
      for (const k of keys) w.write(L3, `${k}:\t${formatQuantity(parseQuantity(String(list[k])))}\n`);
    }
    for (const [title, probe] of [
      ['Liveness', c.livenessProbe],
      ['Readiness', c.readinessProbe],
      ['Startup', c.startupProbe],
    ] as const) {
      if (probe) w.write(L2, `${title}:\t${describeProbe(probe)}\n`);
    }
    const env = c.env ?? [];
    w.write(L2, `Environment:${env.length === 0 ? '\t<none>' : ''}\n`);
    for (const e of env) {
      if (e.valueFrom?.fieldRef)
        w.write(
          L3,
          `${e.name}:\t (${e.valueFrom.fieldRef.apiVersion ?? 'v1'}:${e.valueFrom.fieldRef.fieldPath})\n`,
        );
      else if (e.valueFrom) w.write(L3, `${e.name}:\t<set from a reference>\n`);
      else
        String(e.value ?? '')
          .split('\n')
          .forEach((s, i) => {
            w.write(L3, i === 0 ? `${e.name}:\t${s}\n` : `\t${s}\n`);
          });
    }
    const mounts = [...(c.volumeMounts ?? [])].sort((a: Obj, b: Obj) =>
      String(a.mountPath).localeCompare(b.mountPath),
    );
    w.write(L2, `Mounts:${mounts.length === 0 ? '\t<none>' : ''}\n`);
    for (const m of mounts) {
      const flags = [m.readOnly ? 'ro' : 'rw', ...(m.subPath ? [`path="${m.subPath}"`] : [])];
      w.write(L3, `${m.mountPath} from ${m.name} (${flags.join(',')})\n`);
    }
  }
}

function describeState(w: DescribeWriter, name: string, state: Obj): void {
  if (state?.running) {
    w.write(L2, `${name}:\tRunning\n`);
    w.write(L3, `Started:\t${rfc1123z(state.running.startedAt)}\n`);
  } else if (state?.terminated) {
    const t = state.terminated;
    w.write(L2, `${name}:\tTerminated\n`);
    if (t.reason) w.write(L3, `Reason:\t${t.reason}\n`);
    if (t.message) w.write(L3, `Message:\t${t.message}\n`);
    w.write(L3, `Exit Code:\t${t.exitCode ?? 0}\n`);
    if (t.signal > 0) w.write(L3, `Signal:\t${t.signal}\n`);
    w.write(L3, `Started:\t${rfc1123z(t.startedAt)}\n`);
    w.write(L3, `Finished:\t${rfc1123z(t.finishedAt)}\n`);
  } else {
    w.write(L2, `${name}:\tWaiting\n`);
    if (state?.waiting?.reason) w.write(L3, `Reason:\t${state.waiting.reason}\n`);
  }
}

function describeProbe(p: Obj): string {
  const attrs = `delay=${p.initialDelaySeconds ?? 0}s timeout=${p.timeoutSeconds ?? 1}s period=${
    p.periodSeconds ?? 10
  }s #success=${p.successThreshold ?? 1} #failure=${p.failureThreshold ?? 3}`;
  if (p.exec) return `exec [${(p.exec.command ?? []).join(' ')}] ${attrs}`;
  if (p.httpGet) {
    const host = p.httpGet.host ?? '';
    const port = String(p.httpGet.port ?? '');
    const hostPort = port ? joinHostPort(host, port) : host;
    return `http-get ${String(p.httpGet.scheme ?? 'HTTP').toLowerCase()}://${hostPort}${p.httpGet.path ?? ''} ${attrs}`;
  }
  if (p.tcpSocket) return `tcp-socket ${p.tcpSocket.host ?? ''}:${p.tcpSocket.port} ${attrs}`;
  if (p.grpc) return `grpc <pod>:${p.grpc.port} ${p.grpc.service ?? ''} ${attrs}`;
  return `unknown ${attrs}`;
}

function describeVolumes(w: DescribeWriter, volumes: Obj[] | undefined, space: string): void {
  if (!volumes?.length) {
    w.write(L0, `${space}Volumes:\t<none>\n`);
    return;
  }
  w.write(L0, `${space}Volumes:\n`);
  for (const v of volumes) {
    w.write(L1, `${space ? ' ' : ''}${v.name}:\n`);
    if (v.emptyDir) {
      w.write(L2, "Type:\tEmptyDir (a temporary directory that shares a pod's lifetime)\n");
      w.write(L2, `Medium:\t${v.emptyDir.medium ?? ''}\n`);
      w.write(L2, `SizeLimit:\t${v.emptyDir.sizeLimit ?? '<unset>'}\n`);
    } else if (v.hostPath) {
      w.write(L2, 'Type:\tHostPath (bare host directory volume)\n');
      w.write(L2, `Path:\t${v.hostPath.path}\n`);
      w.write(L2, `HostPathType:\t${v.hostPath.type ?? ''}\n`);
    } else w.write(L2, `Type:\t${Object.keys(v).find((k) => k !== 'name') ?? '<unknown>'}\n`);
  }
}

/** qos.GetPodQOS: BestEffort without requests and limits, Guaranteed when they are equal for cpu and memory. */
function podQOS(pod: Obj): string {
  const containers: Obj[] = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])];
  let any = false;
  let guaranteed = true;
  for (const c of containers) {
    const req = c.resources?.requests ?? {};
    const lim = c.resources?.limits ?? {};
    for (const r of ['cpu', 'memory']) {
      if (req[r] !== undefined || lim[r] !== undefined) any = true;
      const l = lim[r];
      const q = req[r] ?? l;
      if (l === undefined || parseQuantity(String(q)).milli !== parseQuantity(String(l)).milli)
        guaranteed = false;
    }
  }
  if (!any) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

/** A resource.Quantity: its value in thousandths, and the format its String() keeps. */
export interface Quantity {
  milli: bigint;
  binary: boolean;
}

const binarySuffix: Record<string, number> = { Ki: 1, Mi: 2, Gi: 3, Ti: 4, Pi: 5, Ei: 6 };
const decimalSuffix: Record<string, number> = {
  n: -9,
  u: -6,
  m: -3,
  '': 0,
  k: 3,
  M: 6,
  G: 9,
  T: 12,
  P: 15,
  E: 18,
};

export function parseQuantity(s: string): Quantity {
  const m = /^([+-]?\d*\.?\d*)(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])?)$/.exec(s.trim());
  if (!m || m[1] === '' || m[1] === '.') return { milli: 0n, binary: false };
  const [int = '0', frac = ''] = m[1]!.replace(/^\+/, '').split('.');
  const neg = int.startsWith('-');
  const digits = `${int.replace('-', '')}${frac}`;
  let milli: bigint;
  const scale = (exp10: number) => {
    // digits * 10^(exp10 - frac.length) * 1000
    const e = exp10 - frac.length + 3;
    const base = BigInt(digits || '0');
    return e >= 0 ? base * 10n ** BigInt(e) : (base + 10n ** BigInt(-e) - 1n) / 10n ** BigInt(-e);
  };
  let binary = false;
  if (m[3] && m[3] in binarySuffix) {
    binary = true;
    milli = (scale(0) * 1024n ** BigInt(binarySuffix[m[3]]!)) as bigint;
  } else if (m[2]) milli = scale(Number(m[2].slice(1)));
  else milli = scale(decimalSuffix[m[3] ?? '']!);
  return { milli: neg ? -milli : milli, binary };
}

/** Quantity.String(): the canonical form, in the format it was written in. */
export function formatQuantity(q: Quantity): string {
  const v = q.milli < 0n ? -q.milli : q.milli;
  const sign = q.milli < 0n ? '-' : '';
  if (v === 0n) return '0';
  if (q.binary && v % 1000n === 0n && v / 1000n >= 1024n) {
    let n = v / 1000n;
    let i = 0;
    while (n % 1024n === 0n && i < 6) {
      n /= 1024n;
      i++;
    }
    return `${sign}${n}${i === 0 ? '' : ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'][i]}`;
  }
  // DecimalSI: the largest exponent of 3 that keeps the number whole.
  let n = v;
  let exp = -3;
  while (n % 1000n === 0n && exp < 18) {
    n /= 1000n;
    exp += 3;
  }
  const suffix = Object.entries(decimalSuffix).find(([, e]) => e === exp)![0];
  return `${sign}${n}${suffix}`;
}

/** Go's int64(float64) on amd64: NaN and overflow give the smallest int64. */
function pct(num: bigint, den: bigint): string {
  const f = (Number(num) / Number(den)) * 100;
  if (!Number.isFinite(f) || Math.abs(f) >= 2 ** 63) return '-9223372036854775808';
  return String(Math.trunc(f));
}

function podResources(pod: Obj, which: 'requests' | 'limits'): Map<string, Quantity> {
  const out = new Map<string, Quantity>();
  const add = (m: Map<string, Quantity>, k: string, q: Quantity) => {
    const cur = m.get(k);
    m.set(k, cur ? { milli: cur.milli + q.milli, binary: cur.binary } : q);
  };
  for (const c of pod.spec?.containers ?? [])
    for (const [k, v] of Object.entries(c.resources?.[which] ?? {})) add(out, k, parseQuantity(String(v)));
  // Init containers run one at a time: the pod needs the largest of them if it is more.
  for (const c of pod.spec?.initContainers ?? [])
    for (const [k, v] of Object.entries(c.resources?.[which] ?? {})) {
      const q = parseQuantity(String(v));
      const cur = out.get(k);
      if (!cur || q.milli > cur.milli) out.set(k, q);
    }
  return out;
}

/** The kinds netlab describes, by kubectl's resource names. */
const describers = new Set(['Service', 'Pod', 'Deployment', 'Node', 'EndpointSlice']);

export interface DescribeOptions {
  namespace?: string | undefined;
  selector?: string | undefined;
  now?: Date;
}

/** `describe TYPE [NAME...]` or `TYPE/NAME...`: each object described, separated by a blank line. */
export async function runDescribe(
  source: ReadSource,
  args: readonly string[],
  opts: DescribeOptions = {},
): Promise<CommandOutput> {
  const now = opts.now ?? new Date();
  const namespace = opts.namespace ?? source.defaultNamespace;
  const targets = parseResourceArgs(args);
  const out: string[] = [];
  for (const t of targets) {
    if (!describers.has(t.resource.kind))
      throw new ClientError(
        `netlab describes services, pods, deployments, nodes and endpointslices, not ${t.resource.resource}`,
      );
    const objects =
      t.name !== undefined
        ? [await source.get(t.resource, t.name, namespace)]
        : await source.list(t.resource, {
            namespace: t.resource.namespaced ? namespace : undefined,
            ...(opts.selector ? { labelSelector: opts.selector } : {}),
          });
    if (objects.length === 0 && t.name === undefined) {
      return {
        stdout: '',
        stderr: t.resource.namespaced
          ? `No resources found in ${namespace} namespace.\n`
          : 'No resources found\n',
        code: 0,
      };
    }
    for (const o of objects) out.push(await objectDescription(source, t.resource, o, now));
  }
  return { stdout: out.join('\n\n'), stderr: '', code: 0 };
}

async function eventsFor(source: ReadSource, o: Obj, kind: string | undefined): Promise<Obj[]> {
  const fields = [
    `involvedObject.name=${o.metadata.name}`,
    ...(o.metadata.namespace ? [`involvedObject.namespace=${o.metadata.namespace}`] : []),
    ...(kind ? [`involvedObject.kind=${kind}`] : []),
    ...(o.metadata.uid ? [`involvedObject.uid=${o.metadata.uid}`] : []),
  ];
  try {
    return await source.list(resourceFor('events'), {
      namespace: o.metadata.namespace || undefined,
      fieldSelector: fields.join(','),
    });
  } catch {
    return [];
  }
}

/** One object as kubectl describe prints it. */
export async function objectDescription(source: ReadSource, r: Resource, o: Obj, now: Date): Promise<string> {
  const w = new DescribeWriter();
  switch (r.kind) {
    case 'Service': {
      const slices = await source.list(resourceFor('endpointslices'), {
        namespace: o.metadata.namespace,
        labelSelector: `kubernetes.io/service-name=${o.metadata.name}`,
      });
      describeService(w, o, slices);
      describeEvents(w, await eventsFor(source, o, 'Service'), now);
      break;
    }
    case 'Pod':
      describePod(w, o, now);
      // kubectl leaves the kind out of a pod's event search.
      describeEvents(w, await eventsFor(source, o, undefined), now);
      break;
    case 'EndpointSlice':
      describeEndpointSlice(w, o);
      describeEvents(w, await eventsFor(source, o, 'EndpointSlice'), now);
      break;
    case 'Deployment':
      await describeDeployment(w, source, o);
      describeEvents(w, await eventsFor(source, o, 'Deployment'), now);
      break;
    case 'Node': {
      await describeNode(w, source, o, now);
      // Controllers name a Node by uid, the kubelet by its name: both searches, merged.
      const byUid = await eventsFor(source, o, 'Node');
      const byName = await eventsFor(source, { metadata: { ...o.metadata, uid: o.metadata.name } }, 'Node');
      describeEvents(w, [...byUid, ...byName], now);
      break;
    }
  }
  return w.toString();
}

function describeService(w: DescribeWriter, s: Obj, slices: Obj[]): void {
  const spec = s.spec ?? {};
  w.write(L0, `Name:\t${s.metadata.name}\n`);
  w.write(L0, `Namespace:\t${s.metadata.namespace ?? ''}\n`);
  printLabels(w, 'Labels', s.metadata.labels);
  printAnnotations(w, 'Annotations', s.metadata.annotations);
  w.write(L0, `Selector:\t${formatLabels(spec.selector)}\n`);
  w.write(L0, `Type:\t${spec.type ?? ''}\n`);
  if (spec.ipFamilyPolicy) w.write(L0, `IP Family Policy:\t${spec.ipFamilyPolicy}\n`);
  w.write(L0, `IP Families:\t${spec.ipFamilies?.length ? spec.ipFamilies.join(',') : '<none>'}\n`);
  w.write(L0, `IP:\t${spec.clusterIP ?? ''}\n`);
  w.write(L0, `IPs:\t${spec.clusterIPs?.length ? spec.clusterIPs.join(',') : '<none>'}\n`);
  if (spec.externalIPs?.length) w.write(L0, `External IPs:\t${spec.externalIPs.join(',')}\n`);
  if (spec.loadBalancerIP) w.write(L0, `Desired LoadBalancer IP:\t${spec.loadBalancerIP}\n`);
  if (spec.externalName) w.write(L0, `External Name:\t${spec.externalName}\n`);
  const ingress = s.status?.loadBalancer?.ingress ?? [];
  if (ingress.length)
    w.write(L0, `LoadBalancer Ingress:\t${ingress.map((i: Obj) => i.ip || i.hostname).join(', ')}\n`);
  for (const p of spec.ports ?? []) {
    const name = p.name || '<unset>';
    const proto = p.protocol ?? 'TCP';
    w.write(L0, `Port:\t${name}\t${p.port}/${proto}\n`);
    w.write(L0, `TargetPort:\t${p.targetPort ?? p.port}/${proto}\n`);
    if (p.appProtocol) w.write(L0, `AppProtocol:\t${p.appProtocol}\n`);
    if (p.nodePort) w.write(L0, `NodePort:\t${name}\t${p.nodePort}/${proto}\n`);
    w.write(L0, `Endpoints:\t${formatEndpointSlices(slices, p.name ?? '')}\n`);
  }
  w.write(L0, `Session Affinity:\t${spec.sessionAffinity ?? ''}\n`);
  if (spec.externalTrafficPolicy) w.write(L0, `External Traffic Policy:\t${spec.externalTrafficPolicy}\n`);
  if (spec.internalTrafficPolicy) w.write(L0, `Internal Traffic Policy:\t${spec.internalTrafficPolicy}\n`);
  if (spec.healthCheckNodePort) w.write(L0, `HealthCheck NodePort:\t${spec.healthCheckNodePort}\n`);
  if (spec.loadBalancerSourceRanges?.length)
    w.write(L0, `LoadBalancer Source Ranges:\t${spec.loadBalancerSourceRanges.join(',')}\n`);
  if (spec.trafficDistribution) w.write(L0, `Traffic Distribution:\t${spec.trafficDistribution}\n`);
}

/** kubectl's Endpoints line: ready addresses with the port of that name, three at most. */
function formatEndpointSlices(slices: Obj[], portName: string): string {
  if (slices.length === 0) return '<none>';
  const list: string[] = [];
  let more = false;
  let count = 0;
  const ready = (e: Obj) => e.conditions?.ready !== false;
  for (const s of slices) {
    const ports = s.ports ?? [];
    if (ports.length === 0) {
      for (const e of s.endpoints ?? []) {
        if (list.length === 3) more = true;
        if (!ready(e)) continue;
        if (!more) list.push(e.addresses[0]);
        count++;
      }
      continue;
    }
    for (const p of ports) {
      if ((p.name ?? '') !== portName) continue;
      for (const e of s.endpoints ?? []) {
        if (list.length === 3) more = true;
        if (!ready(e)) continue;
        const a = String(e.addresses[0]);
        if (!more) list.push(joinHostPort(a, p.port));
        count++;
      }
    }
  }
  return more ? `${list.join(',')} + ${count - 3} more...` : list.join(',');
}

function describePod(w: DescribeWriter, pod: Obj, now: Date): void {
  const spec = pod.spec ?? {};
  const status = pod.status ?? {};
  w.write(L0, `Name:\t${pod.metadata.name}\n`);
  w.write(L0, `Namespace:\t${pod.metadata.namespace ?? ''}\n`);
  if (spec.priority !== undefined) w.write(L0, `Priority:\t${spec.priority}\n`);
  if (spec.priorityClassName) w.write(L0, `Priority Class Name:\t${spec.priorityClassName}\n`);
  if (spec.runtimeClassName) w.write(L0, `Runtime Class Name:\t${spec.runtimeClassName}\n`);
  if (spec.serviceAccountName) w.write(L0, `Service Account:\t${spec.serviceAccountName}\n`);
  w.write(L0, spec.nodeName ? `Node:\t${spec.nodeName}/${status.hostIP ?? ''}\n` : 'Node:\t<none>\n');
  if (status.startTime) w.write(L0, `Start Time:\t${rfc1123z(status.startTime)}\n`);
  printLabels(w, 'Labels', pod.metadata.labels);
  printAnnotations(w, 'Annotations', pod.metadata.annotations);
  if (pod.metadata.deletionTimestamp && status.phase !== 'Failed' && status.phase !== 'Succeeded') {
    w.write(L0, `Status:\tTerminating (lasts ${since(pod.metadata.deletionTimestamp, now)})\n`);
    w.write(L0, `Termination Grace Period:\t${pod.metadata.deletionGracePeriodSeconds ?? 0}s\n`);
  } else w.write(L0, `Status:\t${status.phase ?? ''}\n`);
  if (status.reason) w.write(L0, `Reason:\t${status.reason}\n`);
  if (status.message) w.write(L0, `Message:\t${status.message}\n`);
  w.write(L0, `IP:\t${status.podIP ?? ''}\n`);
  if (!status.podIPs?.length) w.write(L0, 'IPs:\t<none>\n');
  else {
    w.write(L0, 'IPs:\n');
    for (const ip of status.podIPs) w.write(L1, `IP:\t${ip.ip}\n`);
  }
  const owner = (pod.metadata.ownerReferences ?? []).find((r: Obj) => r.controller);
  if (owner) w.write(L0, `Controlled By:\t${owner.kind}/${owner.name}\n`);
  if (status.nominatedNodeName) w.write(L0, `NominatedNodeName:\t${status.nominatedNodeName}\n`);
  if (spec.initContainers?.length)
    describeContainers(w, 'Init Containers', spec.initContainers, status.initContainerStatuses ?? [], '');
  describeContainers(w, 'Containers', spec.containers ?? [], status.containerStatuses ?? [], '');
  if (spec.readinessGates?.length) {
    w.write(L0, 'Readiness Gates:\n  Type\tStatus\n');
    for (const g of spec.readinessGates) {
      const c = (status.conditions ?? []).find((x: Obj) => x.type === g.conditionType);
      w.write(L1, `${g.conditionType} \t${c ? c.status : '<none>'} \n`);
    }
  }
  if (status.conditions?.length) {
    w.write(L0, 'Conditions:\n  Type\tStatus\n');
    for (const c of status.conditions) w.write(L1, `${c.type} \t${c.status} \n`);
  }
  describeVolumes(w, spec.volumes, '');
  w.write(L0, `QoS Class:\t${podQOS(pod)}\n`);
  printLabels(w, 'Node-Selectors', spec.nodeSelector);
  printTolerations(w, 'Tolerations', spec.tolerations);
}

function describeEndpointSlice(w: DescribeWriter, s: Obj): void {
  w.write(L0, `Name:\t${s.metadata.name}\n`);
  w.write(L0, `Namespace:\t${s.metadata.namespace ?? ''}\n`);
  printLabels(w, 'Labels', s.metadata.labels);
  printAnnotations(w, 'Annotations', s.metadata.annotations);
  w.write(L0, `AddressType:\t${s.addressType ?? ''}\n`);
  if (!s.ports?.length) w.write(L0, 'Ports: <unset>\n');
  else {
    w.write(L0, 'Ports:\n');
    w.write(L1, 'Name\tPort\tProtocol\n');
    w.write(L1, '----\t----\t--------\n');
    for (const p of s.ports)
      w.write(L1, `${p.name || '<unset>'}\t${p.port ?? '<unset>'}\t${p.protocol ?? 'TCP'}\n`);
  }
  if (!s.endpoints?.length) w.write(L0, 'Endpoints: <none>\n');
  else {
    w.write(L0, 'Endpoints:\n');
    for (const e of s.endpoints) {
      w.write(L1, `- Addresses:\t${(e.addresses ?? []).join(', ') || '<none>'}\n`);
      w.write(L2, 'Conditions:\n');
      w.write(L3, `Ready:\t${e.conditions?.ready === undefined ? '<unset>' : String(e.conditions.ready)}\n`);
      w.write(L2, `Hostname:\t${e.hostname ?? '<unset>'}\n`);
      if (e.targetRef) w.write(L2, `TargetRef:\t${e.targetRef.kind ?? ''}/${e.targetRef.name ?? ''}\n`);
      w.write(L2, `NodeName:\t${e.nodeName ?? '<unset>'}\n`);
      w.write(L2, `Zone:\t${e.zone ?? '<unset>'}\n`);
    }
  }
}

/** A ReplicaSet's template equals the Deployment's, the pod-template-hash label aside. */
function sameTemplate(rs: Obj, d: Obj): boolean {
  const strip = (t: Obj) => {
    const c = structuredClone(t ?? {});
    if (c.metadata?.labels) delete c.metadata.labels['pod-template-hash'];
    return JSON.stringify(canonicalJSON(c));
  };
  return strip(rs.spec?.template) === strip(d.spec?.template);
}

function canonicalJSON(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonicalJSON);
  if (v === null || typeof v !== 'object') return v;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v).sort()) {
    const x = (v as Record<string, unknown>)[k];
    // Semantic equality: an empty map is no map.
    if (x !== null && typeof x === 'object' && !Array.isArray(x) && Object.keys(x).length === 0) continue;
    out[k] = canonicalJSON(x);
  }
  return out;
}

function selectorText(sel: Obj): string {
  try {
    return labelSelectorAsSelector(sel).toString();
  } catch {
    return '<invalid>';
  }
}

async function describeDeployment(w: DescribeWriter, source: ReadSource, d: Obj): Promise<void> {
  const spec = d.spec ?? {};
  const st = d.status ?? {};
  const selector = selectorText(spec.selector);
  w.write(L0, `Name:\t${d.metadata.name}\n`);
  w.write(L0, `Namespace:\t${d.metadata.namespace ?? ''}\n`);
  w.write(L0, `CreationTimestamp:\t${rfc1123z(d.metadata.creationTimestamp)}\n`);
  printLabels(w, 'Labels', d.metadata.labels);
  printAnnotations(w, 'Annotations', d.metadata.annotations);
  w.write(L0, `Selector:\t${selector}\n`);
  w.write(
    L0,
    `Replicas:\t${spec.replicas ?? 1} desired | ${st.updatedReplicas ?? 0} updated | ${st.replicas ?? 0} total | ${
      st.availableReplicas ?? 0
    } available | ${st.unavailableReplicas ?? 0} unavailable\n`,
  );
  w.write(L0, `StrategyType:\t${spec.strategy?.type ?? ''}\n`);
  w.write(L0, `MinReadySeconds:\t${spec.minReadySeconds ?? 0}\n`);
  const ru = spec.strategy?.rollingUpdate;
  if (ru)
    w.write(L0, `RollingUpdateStrategy:\t${ru.maxUnavailable} max unavailable, ${ru.maxSurge} max surge\n`);
  const t = spec.template ?? {};
  w.write(L0, 'Pod Template:\n');
  printLabels(w, '  Labels', t.metadata?.labels);
  if (Object.keys(t.metadata?.annotations ?? {}).length > 0)
    printAnnotations(w, '  Annotations', t.metadata.annotations);
  if (t.spec?.serviceAccountName) w.write(L1, `Service Account:\t${t.spec.serviceAccountName}\n`);
  if (t.spec?.initContainers?.length)
    describeContainers(w, 'Init Containers', t.spec.initContainers, undefined, '  ');
  describeContainers(w, 'Containers', t.spec?.containers ?? [], undefined, '  ');
  describeVolumes(w, t.spec?.volumes, '  ');
  if (t.spec?.priorityClassName) w.write(L1, `Priority Class Name:\t${t.spec.priorityClassName}\n`);
  printLabels(w, '  Node-Selectors', t.spec?.nodeSelector);
  printTolerations(w, '  Tolerations', t.spec?.tolerations);
  if (st.conditions?.length) {
    w.write(L0, 'Conditions:\n  Type\tStatus\tReason\n');
    w.write(L1, '----\t------\t------\n');
    for (const c of st.conditions) w.write(L1, `${c.type} \t${c.status}\t${c.reason ?? ''}\n`);
  }
  let owned: Obj[] = [];
  try {
    owned = (
      await source.list(resourceFor('replicasets'), {
        namespace: d.metadata.namespace,
        ...(selector && selector !== '<invalid>' ? { labelSelector: selector } : {}),
      })
    ).filter((rs: Obj) =>
      (rs.metadata.ownerReferences ?? []).some((o: Obj) => o.controller && o.uid === d.metadata.uid),
    );
  } catch (e) {
    if (!(e instanceof ApiStatusError)) throw e;
  }
  const byAge = [...owned].sort(
    (a, b) =>
      Date.parse(a.metadata.creationTimestamp ?? '') - Date.parse(b.metadata.creationTimestamp ?? '') ||
      String(a.metadata.name).localeCompare(String(b.metadata.name)),
  );
  const newRS = byAge.find((rs) => sameTemplate(rs, d));
  const old = byAge.filter((rs) => rs !== newRS);
  if (owned.length > 0) {
    const list = (rss: Obj[]) =>
      rss
        .map(
          (rs) =>
            `${rs.metadata.name} (${rs.status?.replicas ?? 0}/${rs.spec?.replicas ?? 1} replicas created)`,
        )
        .join(', ') || '<none>';
    w.write(L0, `OldReplicaSets:\t${list(old)}\n`);
    w.write(L0, `NewReplicaSet:\t${list(newRS ? [newRS] : [])}\n`);
  }
}

async function describeNode(w: DescribeWriter, source: ReadSource, n: Obj, now: Date): Promise<void> {
  const spec = n.spec ?? {};
  const st = n.status ?? {};
  const labels: Record<string, string> = n.metadata.labels ?? {};
  const roles = new Set<string>();
  for (const [k, v] of Object.entries(labels)) {
    if (k.startsWith('node-role.kubernetes.io/') && k.length > 'node-role.kubernetes.io/'.length)
      roles.add(k.slice('node-role.kubernetes.io/'.length));
    else if (k === 'kubernetes.io/role' && v !== '') roles.add(v);
  }
  w.write(L0, `Name:\t${n.metadata.name}\n`);
  w.write(L0, `Roles:\t${roles.size ? [...roles].sort().join(',') : '<none>'}\n`);
  printLabels(w, 'Labels', labels);
  printAnnotations(w, 'Annotations', n.metadata.annotations);
  w.write(L0, `CreationTimestamp:\t${rfc1123z(n.metadata.creationTimestamp)}\n`);
  printTaints(w, spec.taints);
  w.write(L0, `Unschedulable:\t${spec.unschedulable === true}\n`);
  try {
    const lease: Obj = await source.get(resourceFor('leases'), n.metadata.name, 'kube-node-lease');
    w.write(L0, 'Lease:\n');
    w.write(L1, `HolderIdentity:\t${lease.spec?.holderIdentity ?? '<unset>'}\n`);
    w.write(L1, `AcquireTime:\t${lease.spec?.acquireTime ? rfc1123z(lease.spec.acquireTime) : '<unset>'}\n`);
    w.write(L1, `RenewTime:\t${lease.spec?.renewTime ? rfc1123z(lease.spec.renewTime) : '<unset>'}\n`);
  } catch (e) {
    if (!(e instanceof ApiStatusError)) throw e;
    w.write(L0, `Lease:\tFailed to get lease: ${e.status.message ?? ''}\n`);
  }
  if (st.conditions?.length) {
    w.write(L0, 'Conditions:\n  Type\tStatus\tLastHeartbeatTime\tLastTransitionTime\tReason\tMessage\n');
    w.write(L1, '----\t------\t-----------------\t------------------\t------\t-------\n');
    for (const c of st.conditions)
      w.write(
        L1,
        `${c.type} \t${c.status} \t${rfc1123z(c.lastHeartbeatTime)} \t${rfc1123z(c.lastTransitionTime)} \t${
          c.reason ?? ''
        } \t${c.message ?? ''}\n`,
      );
  }
  w.write(L0, 'Addresses:\n');
  for (const a of st.addresses ?? []) w.write(L1, `${a.type}:\t${a.address}\n`);
  const printResources = (title: string, list: Record<string, string> | undefined) => {
    const keys = Object.keys(list ?? {}).sort();
    if (keys.length === 0) return;
    w.write(L0, `${title}:\n`);
    for (const k of keys) w.write(L0, `  ${k}:\t${formatQuantity(parseQuantity(String(list![k])))}\n`);
  };
  printResources('Capacity', st.capacity);
  printResources('Allocatable', st.allocatable);
  const info = st.nodeInfo ?? {};
  w.write(L0, 'System Info:\n');
  for (const [title, key] of [
    ['Machine ID', 'machineID'],
    ['System UUID', 'systemUUID'],
    ['Boot ID', 'bootID'],
    ['Kernel Version', 'kernelVersion'],
    ['OS Image', 'osImage'],
    ['Operating System', 'operatingSystem'],
    ['Architecture', 'architecture'],
    ['Container Runtime Version', 'containerRuntimeVersion'],
    ['Kubelet Version', 'kubeletVersion'],
    ['Kube-Proxy Version', 'kubeProxyVersion'],
  ] as const)
    w.write(L0, `  ${title}:\t${info[key] ?? ''}\n`);
  if (spec.podCIDR) w.write(L0, `PodCIDR:\t${spec.podCIDR}\n`);
  if (spec.podCIDRs?.length) w.write(L0, `PodCIDRs:\t${spec.podCIDRs.join(',')}\n`);
  if (spec.providerID) w.write(L0, `ProviderID:\t${spec.providerID}\n`);
  let pods: Obj[];
  try {
    pods = await source.list(resourceFor('pods'), {
      namespace: undefined,
      fieldSelector: `spec.nodeName=${n.metadata.name},status.phase!=Succeeded,status.phase!=Failed`,
    });
  } catch (e) {
    if (!(e instanceof ApiStatusError) || e.httpCode !== 403) throw e;
    w.write(L0, 'Pods:\tnot authorized\n');
    return;
  }
  const allocatable: Record<string, string> =
    Object.keys(st.allocatable ?? {}).length > 0 ? st.allocatable : (st.capacity ?? {});
  const alloc = (k: string) => parseQuantity(String(allocatable[k] ?? '0'));
  const zero: Quantity = { milli: 0n, binary: false };
  // CPU in thousandths; memory and storage in whole units (Value() rounds up).
  const units = (q: Quantity, k: string) => (k === 'cpu' ? q.milli : (q.milli + 999n) / 1000n);
  w.write(L0, `Non-terminated Pods:\t(${pods.length} in total)\n`);
  w.write(L1, 'Namespace\tName\t\tCPU Requests\tCPU Limits\tMemory Requests\tMemory Limits\tAge\n');
  w.write(L1, '---------\t----\t\t------------\t----------\t---------------\t-------------\t---\n');
  const totals = { requests: new Map<string, Quantity>(), limits: new Map<string, Quantity>() };
  for (const p of pods) {
    const req = podResources(p, 'requests');
    const lim = podResources(p, 'limits');
    for (const [which, m] of [
      ['requests', req],
      ['limits', lim],
    ] as const)
      for (const [k, q] of m) {
        const cur = totals[which].get(k);
        totals[which].set(k, cur ? { milli: cur.milli + q.milli, binary: cur.binary } : q);
      }
    const cell = (m: Map<string, Quantity>, k: string) => {
      const q = m.get(k) ?? zero;
      return `${formatQuantity(q)} (${pct(units(q, k), units(alloc(k), k))}%)`;
    };
    w.write(
      L1,
      `${p.metadata.namespace}\t${p.metadata.name}\t\t${cell(req, 'cpu')}\t${cell(lim, 'cpu')}\t${cell(
        req,
        'memory',
      )}\t${cell(lim, 'memory')}\t${since(p.metadata.creationTimestamp, now)}\n`,
    );
  }
  w.write(L0, 'Allocated resources:\n  (Total limits may be over 100 percent, i.e., overcommitted.)\n');
  w.write(L1, 'Resource\tRequests\tLimits\n');
  w.write(L1, '--------\t--------\t------\n');
  for (const k of ['cpu', 'memory', 'ephemeral-storage']) {
    const a = units(alloc(k), k);
    const cell = (q: Quantity) => `${formatQuantity(q)} (${a === 0n ? '0' : pct(units(q, k), a)}%)`;
    w.write(L1, `${k}\t${cell(totals.requests.get(k) ?? zero)}\t${cell(totals.limits.get(k) ?? zero)}\n`);
  }
  for (const k of Object.keys(allocatable)
    .filter((k) => k.startsWith('hugepages-'))
    .sort()) {
    const a = units(alloc(k), k);
    const cell = (q: Quantity) => `${formatQuantity(q)} (${a === 0n ? '0' : pct(units(q, k), a)}%)`;
    w.write(L1, `${k}\t${cell(totals.requests.get(k) ?? zero)}\t${cell(totals.limits.get(k) ?? zero)}\n`);
  }
}
