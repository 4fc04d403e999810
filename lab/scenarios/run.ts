// Runs a scenario: boots a cluster with kubelets and the data plane, plays the timeline step by step
// against it (every change goes through the store, as kubectl's would), measures traffic and DNS,
// checks each expect, and returns what happened as data that the summary, `-o json` and the HTML
// report all print from. Durations are lab seconds: `spec.cluster.second` says how long one lasts,
// for the scenario's waits and for every duration in its Pods (probes, grace periods, preStop).

import { performance } from 'node:perf_hooks';
import { request as undiciRequest } from 'undici';
import {
  type AnyObject,
  type Deployment,
  type EndpointSlice,
  type Kind,
  type ManifestObject,
  type Pod,
  readManifests,
  type Service,
} from '../../api/index.js';
import { clusterSearchDomains, dig, type Libc, parseResolvConf, podDNS, resolve } from '../../dns/index.js';
import { NetlabError } from '../../std/index.js';
import { Cluster, ClusterBootError } from '../cluster.js';
import { defaultClusterConfig, nodeObjects, withNodeCount } from '../config/cluster-config.js';
import { systemAddons } from '../config/default-cluster.js';
import { listenAnnotation } from '../kubelet/index.js';
import { type Progress, silentProgress } from '../run/progress.js';
import { checkDns, checkTraffic, type ExpectResult } from './expect.js';
import type { DnsStep, Scenario, ServiceTarget, Step, TrafficStep, WaitFor } from './file.js';
import { type Dialer, type RequestRecord, runTraffic } from './traffic.js';
import { WorldDns } from './world.js';

/** A step could not run (a Pod, a Service or a port it names does not exist, a wait timed out). */
export class ScenarioStepError extends NetlabError {
  override readonly name = 'ScenarioStepError';
  readonly code = 'NETLAB_LAB_SCENARIO_STEP';
}

export interface RunOptions {
  progress?: Progress;
  /** Node n's NodePorts listen on `<loopbackBase>.<n+1>` (default: a random 127.x.y block). */
  loopbackBase?: string;
}

export interface Responder {
  /** The answer: a pod's hostname for /hostname, the source address for /clientip. */
  response: string;
  count: number;
  /** The node of the pod that answered, when the answer names a pod. */
  node?: string;
}

export interface TrafficSummary {
  from: string;
  to: string;
  connections: number;
  requests: number;
  ok: number;
  errors: number;
  /** Failed requests by reason (ECONNREFUSED, HTTP 503, ...). */
  errorKinds: Record<string, number>;
  responders: Responder[];
  /**
   * The data plane's verdict for each new connection of the step it saw (DNAT, REJECT, DROP). A
   * connection refused before it reached the data plane (an unbound entry listener) is not here.
   */
  decisions: Record<string, number>;
  /** What the figures mean where they could mislead (ECONNREFUSED without REJECT decisions). */
  notes: string[];
  /** Wall-clock figures: they differ from run to run. */
  latencyMs: { p50: number; p90: number; p99: number; max: number };
}

export interface DnsSummary {
  from: string;
  name: string;
  type: DnsStep['type'];
  libc: Libc;
  ndots: number;
  status: string;
  /** A and AAAA: getaddrinfo's addresses; SRV: the addresses of the additional section. */
  addresses: string[];
  /** SRV: the answer's records as `priority weight port target.`, in the order answered. */
  records?: string[];
  /** Every query sent, in order: `name type rcode`. */
  queries: string[];
  /** From a sourcePort: the flow's UDP conntrack entry on the pod's node before and after the lookup. */
  conntrack?: { state: 'none' | 'live' | 'stale'; before: string; after: string };
}

export interface StepResult {
  name: string;
  kind: Step['action']['kind'];
  line: number;
  /** Lab seconds since the scenario started. */
  start: number;
  end: number;
  /** What happened, one line. */
  detail: string;
  traffic?: TrafficSummary;
  dns?: DnsSummary;
  expects: ExpectResult[];
}

export interface TimelinePoint {
  /** Lab seconds since the scenario started. */
  t: number;
  requests: number;
  errors: number;
}

export interface ScenarioResult {
  name: string;
  description: string;
  file: string;
  seed: number;
  /** Milliseconds one lab second lasted. */
  second: number;
  passed: boolean;
  steps: StepResult[];
  /** Ready endpoints of each Service over time (lab seconds), as the EndpointSlices said. */
  endpoints: { service: string; points: { t: number; ready: number }[] }[];
  /** Requests and failures of all traffic steps, per bucket of lab time (wall-clock dependent). */
  timeline: TimelinePoint[];
  /** Request latencies of all traffic steps: bucket upper bounds (ms) and counts (wall clock). */
  latencyHistogram: { boundsMs: number[]; counts: number[] };
}

const latencyBoundsMs = [0.25, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, Infinity];

/** The cluster objects a scenario starts from: its Nodes (when the manifests have none), CoreDNS, the manifests. */
export function scenarioObjects(s: Scenario): ManifestObject[] {
  const cfg = withNodeCount(defaultClusterConfig(), s.cluster.nodes);
  const declares = s.objects.some((m) => m.object.kind === 'Node');
  const nodes = declares
    ? []
    : nodeObjects(cfg).map((object) => ({ object, source: { file: s.file, line: 0 } }) as ManifestObject);
  const addons = readManifests(systemAddons(cfg.serviceSubnets), 'netlab:addons.yaml').objects.map((m) => ({
    ...m,
    object: withWallProbeTimeouts(m.object, s.cluster.second),
  }));
  return [...nodes, ...addons, ...s.objects];
}

/**
 * The add-ons' probes keep their timeout in wall time (kubeadm's 1 s): a lab second of 20 ms would
 * make it 20 ms, and CoreDNS's readiness would flap whenever the machine is busy, taking cluster DNS
 * away from the pods. The scenario's own Pods say their timeouts themselves.
 */
function withWallProbeTimeouts(o: ManifestObject['object'], second: number): ManifestObject['object'] {
  if (o.kind !== 'Deployment') return o;
  const d = structuredClone(o) as Deployment;
  const lab = Math.max(1, Math.ceil(1000 / second));
  for (const c of d.spec?.template?.spec?.containers ?? [])
    for (const p of [c.readinessProbe, c.livenessProbe, c.startupProbe])
      if (p) p.timeoutSeconds = Math.max(p.timeoutSeconds ?? 1, lab);
  return d;
}

function randomBase(): string {
  const r = () => 1 + Math.floor(Math.random() * 250);
  return `127.${r()}.${r()}`;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

const round = (n: number, digits = 3) => Math.round(n * 10 ** digits) / 10 ** digits;

/** Runs `s` to the end (a failed expect does not stop it); throws only when a step cannot run. */
export async function runScenario(s: Scenario, opts: RunOptions = {}): Promise<ScenarioResult> {
  const progress = opts.progress ?? silentProgress;
  const second = s.cluster.second;
  const base = opts.loopbackBase ?? randomBase();
  progress.step(`scenario ${s.name}: booting ${s.cluster.nodes} nodes`);
  const world = new WorldDns(s.cluster.externalNames);
  const upstream = await world.listen();
  let cluster: Cluster;
  try {
    cluster = await Cluster.boot({
      manifests: [],
      objects: scenarioObjects(s),
      seed: s.seed,
      // Names and uids per owner: the same seed names the same pods whatever the interleaving of
      // the controllers (a work queue yields after 20 ms of wall time, so load reorders creates).
      generatedNames: 'perName',
      dnsListen: { host: '127.0.0.1', port: 0 },
      dns: { upstream },
      proxyMinSyncPeriodMs: Math.round(s.cluster.proxyMinSyncPeriod * second),
      controllers: {
        seed: s.seed,
        nodeMonitorGracePeriodMs: Math.round(s.cluster.nodeMonitorGracePeriod * second),
        podEvictionTimeoutMs: Math.round(s.cluster.podEvictionTimeout * second),
      },
      kubelets: {
        second,
        nodeLeaseRenewIntervalSeconds: s.cluster.nodeLeaseRenewInterval,
        backoffInitialSeconds: 1,
        backoffMaxSeconds: 10,
      },
      dataplane: {
        proxyListen: false,
        nodeAddress: (i) => `${base}.${i + 1}`,
        loadBalancerAddress: (ip) => `${base}.${200 + (Number(ip.split('.')[3]) % 50)}`,
        seed: s.seed,
        conntrackCleanup: s.cluster.conntrackCleanup,
        dropTimeoutMs: 10 * second,
      },
    });
  } catch (e) {
    world.close();
    throw e;
  }
  const run = new Run(s, cluster, progress);
  try {
    return await run.play();
  } finally {
    await run.close();
    await cluster.stop();
    world.close();
  }
}

class Run {
  #t0 = performance.now();
  readonly #ac = new AbortController();
  readonly #background = new Map<string, { promise: Promise<void>; result: StepResult }>();
  readonly #results = new Map<string, StepResult>();
  readonly #endpoints = new Map<string, { t: number; ready: number }[]>();
  readonly #records: RequestRecord[] = [];
  readonly #loops: Promise<unknown>[] = [];

  constructor(
    readonly s: Scenario,
    readonly cluster: Cluster,
    readonly progress: Progress,
  ) {
    this.#loops.push(this.#watchEndpoints());
  }

  /** Lab seconds since the start. */
  labNow(): number {
    return (performance.now() - this.#t0) / this.s.cluster.second;
  }

  async close(): Promise<void> {
    this.#ac.abort();
    await Promise.allSettled([...this.#loops, ...[...this.#background.values()].map((b) => b.promise)]);
  }

  async play(): Promise<ScenarioResult> {
    // The timeline starts once cluster DNS serves (kube-dns has a ready endpoint and every
    // kube-proxy has its rules), as a fresh cluster is handed over: a pod's first lookup is answered.
    const dnsReady = () =>
      this.cluster.store
        .list('EndpointSlice', {
          namespace: 'kube-system',
          labelSelector: 'kubernetes.io/service-name=kube-dns',
        })
        .items.some((es) => (es.endpoints ?? []).some((e) => e.conditions?.ready !== false));
    this.progress.step(`scenario ${this.s.name}: waiting for cluster DNS`);
    await this.#until(['EndpointSlice'], dnsReady, 120, { name: 'boot' }, 'a ready kube-dns endpoint');
    await this.#synced();
    this.#t0 = performance.now();
    // The lab time starts now: what the endpoints were during boot is their state at 0.
    for (const [service, points] of this.#endpoints)
      this.#endpoints.set(
        service,
        points.length > 0 ? [{ t: 0, ready: points[points.length - 1]!.ready }] : [],
      );
    const steps: StepResult[] = [];
    for (const step of this.s.steps) {
      const result: StepResult = {
        name: step.name,
        kind: step.action.kind,
        line: step.line,
        start: round(this.labNow()),
        end: 0,
        detail: '',
        expects: [],
      };
      steps.push(result);
      this.#results.set(step.name, result);
      this.progress.step(`[${result.start.toFixed(1)}s] ${step.name}`);
      await this.#step(step, result);
      if (result.end === 0) result.end = round(this.labNow());
    }
    for (const b of this.#background.values()) await b.promise;
    const passed = steps.every((r) => r.expects.every((e) => e.passed));
    return {
      name: this.s.name,
      description: this.s.description,
      file: this.s.file,
      seed: this.s.seed,
      second: this.s.cluster.second,
      passed,
      steps,
      endpoints: [...this.#endpoints]
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([service, points]) => ({ service, points })),
      timeline: this.#timeline(),
      latencyHistogram: this.#histogram(),
    };
  }

  #timeline(): TimelinePoint[] {
    if (this.#records.length === 0) return [];
    const end = Math.max(...this.#records.map((r) => r.t)) / this.s.cluster.second;
    // About 60 buckets over the traffic, on a round number of lab seconds.
    const steps = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60];
    const width = steps.find((w) => end / w <= 60) ?? 60;
    const n = Math.floor(end / width) + 1;
    const points = Array.from({ length: n }, (_, k) => ({ t: round(k * width), requests: 0, errors: 0 }));
    for (const r of this.#records) {
      const p = points[Math.floor(r.t / this.s.cluster.second / width)]!;
      p.requests++;
      if (r.error !== undefined) p.errors++;
    }
    return points;
  }

  #histogram(): ScenarioResult['latencyHistogram'] {
    const counts = latencyBoundsMs.map(() => 0);
    for (const r of this.#records) {
      const k = latencyBoundsMs.findIndex((b) => r.latencyMs <= b);
      counts[k]!++;
    }
    return { boundsMs: latencyBoundsMs.map((b) => (b === Infinity ? -1 : b)), counts };
  }

  // Ready endpoints per Service, from every EndpointSlice change (what kube-proxy acts on).
  async #watchEndpoints(): Promise<void> {
    const slices = new Map<string, { service: string; ready: number }>();
    const store = this.cluster.store;
    const record = (service: string) => {
      let ready = 0;
      for (const v of slices.values()) if (v.service === service) ready += v.ready;
      let points = this.#endpoints.get(service);
      if (points === undefined) {
        points = [];
        this.#endpoints.set(service, points);
      }
      if (points[points.length - 1]?.ready === ready) return;
      points.push({ t: Math.max(0, round(this.labNow())), ready });
    };
    const apply = (type: string, es: EndpointSlice): void => {
      const ns = es.metadata.namespace ?? 'default';
      if (ns === 'kube-system') return;
      const svc = es.metadata.labels?.['kubernetes.io/service-name'];
      if (svc === undefined) return;
      const key = `${ns}/${es.metadata.name}`;
      const service = `${ns}/${svc}`;
      if (type === 'DELETED') slices.delete(key);
      else if (type === 'ADDED' || type === 'MODIFIED') {
        const ready = (es.endpoints ?? []).filter((e) => e.conditions?.ready !== false).length;
        slices.set(key, { service, ready });
      } else return;
      record(service);
    };
    // What the slices say now, then every change from here: a watch from the start would replay the
    // boot's history and stamp it with the time it was read.
    const rv = store.resourceVersion;
    for (const es of store.list('EndpointSlice').items) apply('ADDED', es);
    try {
      for await (const ev of store.watch('EndpointSlice', { signal: this.#ac.signal, resourceVersion: rv }))
        apply(ev.type, ev.object);
    } catch (e) {
      if (!this.#ac.signal.aborted) throw e;
    }
  }

  async #step(step: Step, result: StepResult): Promise<void> {
    const a = step.action;
    const store = this.cluster.store;
    switch (a.kind) {
      case 'apply': {
        try {
          const out = store.apply(a.objects);
          result.detail = out.map((o) => `${o.kind.toLowerCase()}/${o.metadata.name} applied`).join(', ');
        } catch (e) {
          throw new ScenarioStepError(`step ${step.name}: ${(e as Error).message}`);
        }
        return;
      }
      case 'delete': {
        const t = a.target;
        this.#must(() => store.delete(t.kind as Kind, t.name, { namespace: t.namespace }), step);
        result.detail = `${t.kind.toLowerCase()}/${t.name} deleted`;
        return;
      }
      case 'scale': {
        const t = a.target;
        const obj = this.#must(() => store.get(t.kind as Kind, t.name, t.namespace), step) as AnyObject & {
          spec: { replicas?: number };
        };
        this.#must(
          () => store.update({ ...obj, spec: { ...obj.spec, replicas: a.replicas } } as AnyObject),
          step,
        );
        result.detail = `${t.kind.toLowerCase()}/${t.name} scaled to ${a.replicas}`;
        return;
      }
      case 'kill':
      case 'deletePod': {
        const pods = this.#pick(a.pick, a.namespace, step);
        for (const p of pods)
          this.#must(
            () =>
              store.delete('Pod', p.metadata.name ?? '', {
                namespace: a.namespace,
                ...(a.kind === 'kill' ? { gracePeriodSeconds: 0 } : {}),
              }),
            step,
          );
        const names = pods.map((p) => `pod/${p.metadata.name}`).join(', ');
        result.detail =
          a.kind === 'kill' ? `${names} killed (grace period 0)` : `${names} deleted (graceful)`;
        return;
      }
      case 'failNode':
      case 'recoverNode': {
        const k = this.cluster.kubelets?.get(a.node);
        if (k === undefined) throw new ScenarioStepError(`step ${step.name}: no node ${a.node}`);
        if (a.kind === 'failNode') k.stopHeartbeat();
        else k.resumeHeartbeat();
        result.detail =
          a.kind === 'failNode'
            ? `node/${a.node} stops renewing its Lease`
            : `node/${a.node} renews its Lease again`;
        return;
      }
      case 'conntrackCleanup': {
        this.cluster.dataplane!.dataplane.conntrackCleanup = a.on;
        result.detail = `kube-proxy's UDP conntrack clean-up ${a.on ? 'on' : 'off'}`;
        return;
      }
      case 'setReady': {
        const pods = this.#pick(a.pick, a.namespace, step);
        for (const p of pods) await this.#setReady(p, a.port, a.ready, step);
        result.detail = `${pods.map((p) => `pod/${p.metadata.name}`).join(', ')} readiness set to ${a.ready}`;
        return;
      }
      case 'wait': {
        await this.#wait(a.for, a.timeout, step);
        result.detail = describeWait(a.for);
        return;
      }
      case 'traffic': {
        const promise = this.#traffic(step, a.traffic, result);
        if (a.traffic.background) {
          result.detail = 'started in the background';
          this.#background.set(step.name, { promise, result });
          // A failure is reported where the traffic is joined; keep it from being unhandled meanwhile.
          promise.catch(() => {});
        } else await promise;
        return;
      }
      case 'dns': {
        await this.#dns(step, a.dns, result);
        return;
      }
      case 'expect': {
        const target = this.#results.get(a.step)!;
        const bg = this.#background.get(a.step);
        if (bg) await bg.promise;
        result.detail = `checks ${a.step}`;
        if (step.expect) result.expects = await this.#check(step, target);
        return;
      }
    }
  }

  #must<T>(f: () => T, step: Step): T {
    try {
      return f();
    } catch (e) {
      throw new ScenarioStepError(`step ${step.name}: ${(e as Error).message}`);
    }
  }

  #pick(pick: { pod: string } | { selector: string; count: number }, namespace: string, step: Step): Pod[] {
    const store = this.cluster.store;
    if ('pod' in pick) return [this.#must(() => store.get('Pod', pick.pod, namespace), step)];
    const pods = this.#must(() => store.list('Pod', { namespace, labelSelector: pick.selector }), step)
      .items.filter((p) => !p.metadata.deletionTimestamp)
      .sort((a, b) => ((a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : 1));
    if (pods.length < pick.count)
      throw new ScenarioStepError(
        `step ${step.name}: ${pick.count} pods wanted with labels ${pick.selector}, ${pods.length} found`,
      );
    return pods.slice(0, pick.count);
  }

  // agnhost's /set-ready, on the pod's own socket (netlab.dev/listen), as a tool on this machine.
  async #setReady(pod: Pod, port: number, ready: boolean, step: Step): Promise<void> {
    const listen = pod.metadata.annotations?.[listenAnnotation] ?? '';
    const real = listen
      .split(',')
      .map((e) => /^(\d+)\/TCP=(.+)$/.exec(e.trim()))
      .find((m) => m !== null && Number(m[1]) === port)?.[2];
    if (real === undefined)
      throw new ScenarioStepError(
        `step ${step.name}: pod/${pod.metadata.name} does not listen on ${port}/TCP`,
      );
    const res = await undiciRequest(`http://${real}/set-ready?ready=${ready}`);
    await res.body.text();
    if (res.statusCode !== 200)
      throw new ScenarioStepError(`step ${step.name}: pod/${pod.metadata.name} answered ${res.statusCode}`);
  }

  /** Resolves when `check` holds, re-checked on every change of `kinds`; throws after `timeout` lab seconds. */
  async #until(
    kinds: Kind[],
    check: () => boolean,
    timeout: number,
    step: Pick<Step, 'name'>,
    what: string,
  ): Promise<void> {
    if (check()) return;
    const store = this.cluster.store;
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(), timeout * this.s.cluster.second);
    const onStop = () => ac.abort();
    this.#ac.signal.addEventListener('abort', onStop, { once: true });
    const rv = store.resourceVersion;
    let done = false;
    try {
      await Promise.any(
        kinds.map(async (kind) => {
          for await (const _ of store.watch(kind, { signal: ac.signal, resourceVersion: rv })) {
            if (check()) {
              done = true;
              ac.abort();
              return;
            }
          }
          throw new Error('watch ended');
        }),
      ).catch(() => {});
    } finally {
      clearTimeout(timer);
      this.#ac.signal.removeEventListener('abort', onStop);
    }
    if (!done && !check())
      throw new ScenarioStepError(`step ${step.name}: timed out after ${timeout}s waiting for ${what}`);
  }

  /** Resolves once every kube-proxy has applied what is in the store now. */
  async #synced(): Promise<void> {
    const kp = this.cluster.kubeProxy;
    // The proxiers' own watches deliver the latest writes on the next turns of the event loop.
    for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
    while (kp.pending && !this.#ac.signal.aborted) {
      await new Promise<void>((r) => {
        const off = kp.subscribe(() => {
          off();
          r();
        });
        // A sync already under way may finish without another; look again shortly.
        setTimeout(() => {
          off();
          r();
        }, 50).unref();
      });
    }
  }

  async #wait(w: WaitFor, timeout: number, step: Step): Promise<void> {
    const store = this.cluster.store;
    const what = describeWait(w);
    if ('duration' in w) {
      await new Promise((r) => setTimeout(r, w.duration * this.s.cluster.second));
      return;
    }
    if ('traffic' in w) {
      await this.#background.get(w.traffic)!.promise;
      return;
    }
    if ('rollout' in w) {
      const { name, namespace } = w.rollout;
      await this.#until(
        ['Deployment', 'ReplicaSet', 'Pod'],
        () => {
          const d = store.find('Deployment', name, namespace);
          if (d === undefined) return false;
          const want = d.spec?.replicas ?? 1;
          const st = d.status ?? {};
          return (
            (st.observedGeneration ?? 0) >= (d.metadata.generation ?? 1) &&
            (st.updatedReplicas ?? 0) === want &&
            (st.replicas ?? 0) === want &&
            (st.availableReplicas ?? 0) === want
          );
        },
        timeout,
        step,
        what,
      );
    } else if ('endpoints' in w) {
      const { service, namespace, ready } = w.endpoints;
      await this.#until(
        ['EndpointSlice'],
        () => {
          const slices = store.list('EndpointSlice', {
            namespace,
            labelSelector: `kubernetes.io/service-name=${service}`,
          }).items;
          const n = slices.reduce(
            (s, es) => s + (es.endpoints ?? []).filter((e) => e.conditions?.ready !== false).length,
            0,
          );
          return n === ready;
        },
        timeout,
        step,
        what,
      );
    } else if ('pods' in w) {
      const { selector, namespace, ready } = w.pods;
      await this.#until(
        ['Pod'],
        () =>
          store
            .list('Pod', { namespace, labelSelector: selector })
            .items.filter(
              (p) =>
                !p.metadata.deletionTimestamp &&
                p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
            ).length === ready,
        timeout,
        step,
        what,
      );
    } else {
      const { name, ready } = w.node;
      await this.#until(
        ['Node'],
        () => {
          const c = store.find('Node', name, '')?.status?.conditions?.find((x) => x.type === 'Ready');
          return ready ? c?.status === 'True' : c !== undefined && c.status !== 'True';
        },
        timeout,
        step,
        what,
      );
    }
    await this.#synced();
  }

  #nodeIP(node: string): string {
    const n = this.cluster.store.find('Node', node, '');
    const ip = n?.status?.addresses?.find((a) => a.type === 'InternalIP')?.address;
    if (ip === undefined) throw new ScenarioStepError(`no node ${node} with an InternalIP`);
    return ip;
  }

  #firstNode(): string {
    return (
      this.cluster.store
        .list('Node')
        .items.map((n) => n.metadata.name ?? '')
        .sort()[0] ?? ''
    );
  }

  /** Where the step's connections go and how they are made. */
  async #plan(
    step: Step,
    t: TrafficStep,
  ): Promise<{
    origin: string;
    host: string;
    path: string;
    dial: Dialer;
    to: string;
    /** The source and destination the cluster sees (what the data plane's decisions name). */
    flow: { client: string; dest: { ip: string; port: number } | undefined };
  }> {
    const dp = this.cluster.dataplane!;
    const store = this.cluster.store;
    let fromRef: { node: string; ip: string } | undefined;
    if ('pod' in t.from) {
      const pod = this.#must(
        () => store.get('Pod', (t.from as { pod: string }).pod, (t.from as { namespace: string }).namespace),
        step,
      );
      const ip = pod.status?.podIP;
      if (!ip || !pod.spec.nodeName)
        throw new ScenarioStepError(`step ${step.name}: pod/${pod.metadata.name} has no address yet`);
      fromRef = { node: pod.spec.nodeName, ip };
    } else if ('node' in t.from) fromRef = { node: t.from.node, ip: this.#nodeIP(t.from.node) };
    const dial: Dialer =
      fromRef === undefined ? undefined : (ip, port) => dp.dataplane.dial(fromRef!, ip, port);
    const client = fromRef?.ip ?? dp.dataplane.externalClientIP;
    const flow = (dest: { ip: string; port: number } | undefined) => ({ client, dest });
    if ('url' in t.to) {
      const url = new URL(t.to.url);
      const port = Number(url.port || 80);
      let host = url.hostname;
      if (fromRef === undefined) {
        const i = dp.nodeAddresses().find((n) => n.node === host);
        if (i !== undefined) host = i.address;
      } else if (!/^[\d.]+$/.test(host) && 'pod' in t.from) {
        const pod = store.get('Pod', t.from.pod, t.from.namespace);
        const k = this.cluster.kubelets!.get(fromRef.node)!;
        const ips = await k.lookup(pod, host, 4).catch((e: Error) => {
          throw new ScenarioStepError(`step ${step.name}: ${e.message}`);
        });
        host = ips[0]!;
      }
      const entered = dp.listeners().find((l) => l.address === host && l.port === port)?.target;
      return {
        origin: `http://${host}:${port}`,
        host: url.host,
        path: `${url.pathname}${url.search}`,
        dial,
        to: t.to.url,
        flow: flow(fromRef === undefined ? entered : { ip: host, port }),
      };
    }
    const target: ServiceTarget = t.to;
    const svc = this.#must(() => store.get('Service', target.service, target.namespace), step) as Service;
    const ports = svc.spec.ports ?? [];
    const sp =
      target.port === undefined
        ? ports[0]
        : ports.find((p) => p.name === target.port || p.port === target.port);
    if (sp === undefined)
      throw new ScenarioStepError(
        `step ${step.name}: service/${target.service} has no port ${target.port ?? ''}`,
      );
    const host = `${target.service}.${target.namespace}`;
    const to = `service/${target.service} via ${target.via}${target.node ? ` on ${target.node}` : ''}`;
    if (target.via === 'clusterIP') {
      const ip = svc.spec.clusterIP;
      if (!ip || ip === 'None')
        throw new ScenarioStepError(`step ${step.name}: service/${target.service} has no ClusterIP`);
      return {
        origin: `http://${ip}:${sp.port}`,
        host,
        path: target.path,
        dial,
        to,
        flow: flow({ ip, port: sp.port }),
      };
    }
    if (target.via === 'nodePort') {
      if (!sp.nodePort)
        throw new ScenarioStepError(`step ${step.name}: service/${target.service} has no NodePort`);
      const node = target.node ?? this.#firstNode();
      if (fromRef !== undefined)
        return {
          origin: `http://${this.#nodeIP(node)}:${sp.nodePort}`,
          host,
          path: target.path,
          dial,
          to,
          flow: flow({ ip: this.#nodeIP(node), port: sp.nodePort }),
        };
      // The node's entry address, whether or not its NodePort listener is bound: with the listeners
      // in line with the synced rules, an unbound one means the rules REJECT (no ready endpoint) and
      // the client is refused, as it is by a node.
      await dp.entryFailures();
      const address = dp.nodeAddresses().find((a) => a.node === node)?.address;
      if (address === undefined)
        throw new ScenarioStepError(`step ${step.name}: node ${node} has no entry address on this machine`);
      return {
        origin: `http://${address}:${sp.nodePort}`,
        host,
        path: target.path,
        dial,
        to,
        flow: flow({ ip: this.#nodeIP(node), port: sp.nodePort }),
      };
    }
    const wanted = () =>
      store.find('Service', target.service, target.namespace)?.status?.loadBalancer?.ingress?.[0]?.ip;
    await this.#until(
      ['Service'],
      () => wanted() !== undefined,
      30,
      step,
      `an ingress IP for service/${target.service}`,
    );
    const ingress = wanted()!;
    if (fromRef !== undefined)
      return {
        origin: `http://${ingress}:${sp.port}`,
        host,
        path: target.path,
        dial,
        to,
        flow: flow({ ip: ingress, port: sp.port }),
      };
    const l = await this.#listener(
      step,
      (x) => x.kind === 'loadbalancer' && x.target.ip === ingress && x.target.port === sp.port,
      `the LoadBalancer listener of ${ingress}:${sp.port}`,
    );
    return {
      origin: `http://${l.address}:${l.port}`,
      host,
      path: target.path,
      dial,
      to,
      flow: flow(l.target),
    };
  }

  // Entry listeners follow kube-proxy's syncs: wait for the one the step enters through.
  async #listener(
    step: Step,
    match: (l: ReturnType<NonNullable<Cluster['dataplane']>['listeners']>[number]) => boolean,
    what: string,
  ) {
    const dp = this.cluster.dataplane!;
    const deadline = performance.now() + 30 * this.s.cluster.second + 1000;
    for (;;) {
      const l = dp.listeners().find(match);
      if (l !== undefined) return l;
      if (performance.now() > deadline)
        throw new ScenarioStepError(`step ${step.name}: nothing listens for ${what}`);
      await new Promise<void>((r) => {
        const off = this.cluster.kubeProxy.subscribe(() => {
          off();
          setImmediate(r);
        });
        setTimeout(() => {
          off();
          r();
        }, 20).unref();
      });
    }
  }

  async #traffic(step: Step, t: TrafficStep, result: StepResult): Promise<void> {
    await this.#synced();
    const plan = await this.#plan(step, t);
    const second = this.s.cluster.second;
    const total = t.duration > 0 ? Math.round(t.duration * second) : t.connections * t.requestsPerConnection;
    const bar = this.progress.bar(step.name, total);
    const namespace = 'service' in t.to ? t.to.namespace : 'default';
    const nodes = new Map<string, string>();
    // The data plane's decision for each new connection of this step (the same client and destination).
    const decisions: Record<string, number> = {};
    const { client, dest } = plan.flow;
    const unsubscribe = this.cluster.dataplane!.dataplane.subscribe((e) => {
      if (e.protocol !== 'TCP' || e.conntrack !== 'NEW' || dest === undefined) return;
      if (e.client.ip !== client || e.origDst.ip !== dest.ip || e.origDst.port !== dest.port) return;
      decisions[e.verdict] = (decisions[e.verdict] ?? 0) + 1;
    });
    const outcome = await runTraffic({
      origin: plan.origin,
      host: plan.host,
      path: plan.path,
      dial: plan.dial,
      connections: t.connections,
      requestsPerConnection: t.requestsPerConnection,
      concurrency: t.concurrency,
      ratePerMs: t.rate / second,
      durationMs: t.duration * second,
      timeoutMs: t.timeout * second,
      now: () => performance.now() - this.#t0,
      bar,
      signal: this.#ac.signal,
      onResponder: (r) => {
        const node = this.cluster.store.find('Pod', r, namespace)?.spec.nodeName;
        if (node !== undefined) nodes.set(r, node);
      },
    });
    unsubscribe();
    this.#records.push(...outcome.records);
    const counts = new Map<string, number>();
    const errorKinds: Record<string, number> = {};
    let errors = 0;
    for (const r of outcome.records) {
      if (r.error !== undefined) {
        errors++;
        errorKinds[r.error] = (errorKinds[r.error] ?? 0) + 1;
      } else counts.set(r.response!, (counts.get(r.response!) ?? 0) + 1);
    }
    const latencies = outcome.records.map((r) => r.latencyMs).sort((a, b) => a - b);
    result.traffic = {
      from: 'external' in t.from ? 'external' : 'pod' in t.from ? `pod/${t.from.pod}` : `node/${t.from.node}`,
      to: plan.to,
      connections: outcome.connections,
      requests: outcome.records.length,
      ok: outcome.records.length - errors,
      errors,
      errorKinds: Object.fromEntries(Object.entries(errorKinds).sort(([a], [b]) => (a < b ? -1 : 1))),
      responders: [...counts]
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([response, count]) => ({
          response,
          count,
          ...(nodes.has(response) ? { node: nodes.get(response)! } : {}),
        })),
      decisions: Object.fromEntries(Object.entries(decisions).sort(([a], [b]) => (a < b ? -1 : 1))),
      notes: trafficNotes(t, errorKinds, decisions),
      latencyMs: {
        p50: round(percentile(latencies, 50)),
        p90: round(percentile(latencies, 90)),
        p99: round(percentile(latencies, 99)),
        max: round(latencies[latencies.length - 1] ?? 0),
      },
    };
    result.end = round(this.labNow());
    result.detail = `${result.traffic.requests} requests on ${outcome.connections} connections, ${errors} failed`;
    if (step.expect) result.expects = await this.#check(step, result);
  }

  async #dns(step: Step, d: DnsStep, result: StepResult): Promise<void> {
    const dnsIP =
      this.cluster.store.find('Service', 'kube-dns', 'kube-system')?.spec.clusterIP ?? '10.96.0.10';
    let text: string;
    let from: string;
    if ('pod' in d.from) {
      const pod = this.#must(
        () =>
          this.cluster.store.get(
            'Pod',
            (d.from as { pod: string }).pod,
            (d.from as { namespace: string }).namespace,
          ),
        step,
      );
      text = podDNS(pod, {
        clusterDNS: [dnsIP],
        clusterDomain: 'cluster.local',
        hostResolvConf: '',
      }).resolvConf;
      from = `pod/${d.from.pod}`;
    } else {
      text = `nameserver ${dnsIP}\nsearch ${clusterSearchDomains('default', 'cluster.local').join(' ')}\noptions ndots:5\n`;
      from = 'a pod in namespace default';
    }
    const conf = parseResolvConf(text, `resolv.conf of ${from}`);
    if (d.ndots !== undefined) conf.options.ndots = d.ndots;
    const addr = this.cluster.dnsAddress;
    if (d.type !== 'SRV' && 'pod' in d.from) {
      await this.#podDns(step, d, result, conf.options.ndots);
      return;
    }
    if (d.type === 'SRV') {
      // One question, the name made absolute, as dig (or res_query) sends it: no search list.
      const fqdn = d.name.endsWith('.') ? d.name : `${d.name}.`;
      const r = await dig(fqdn, 33, { server: addr, timeoutMs: 5 * 1000 }).catch((e: Error) => {
        throw new ScenarioStepError(`step ${step.name}: ${e.message}`);
      });
      const res = r.response as (NonNullable<typeof r.response> & { rcode?: string }) | null;
      const srv = (res?.answers ?? []).flatMap((a) =>
        a.type === 'SRV'
          ? [
              `${a.data.priority ?? 0} ${a.data.weight ?? 0} ${a.data.port} ${a.data.target.replace(/\.?$/, '.')}`,
            ]
          : [],
      );
      const rcode = res === null ? 'TIMEOUT' : (res.rcode ?? 'NOERROR');
      result.dns = {
        from,
        name: d.name,
        type: 'SRV',
        libc: d.libc,
        ndots: conf.options.ndots,
        status: rcode === 'NOERROR' && srv.length === 0 ? 'NODATA' : rcode,
        addresses: (res?.additionals ?? []).flatMap((a) =>
          a.type === 'A' || a.type === 'AAAA' ? [a.data] : [],
        ),
        records: srv,
        queries: [`${fqdn} SRV ${rcode}`],
      };
      result.detail = `${d.name} SRV: ${result.dns.status}, ${srv.length} records`;
      if (step.expect) result.expects = await this.#check(step, result);
      return;
    }
    conf.nameservers = conf.nameservers.map((ns) => (ns === dnsIP ? `${addr.host}:${addr.port}` : ns));
    const r = await resolve(d.name, conf, {
      libc: d.libc,
      family: d.type === 'AAAA' ? 6 : 4,
      seed: this.s.seed,
    });
    result.dns = {
      from,
      name: d.name,
      type: d.type,
      libc: d.libc,
      ndots: conf.options.ndots,
      status: r.status,
      addresses: r.addresses,
      queries: r.trace.map((q) => `${q.name} ${q.type} ${q.rcode}`),
    };
    result.detail = `${d.name} (${d.libc}, ndots ${conf.options.ndots}): ${r.status} after ${r.trace.length} queries`;
    if (step.expect) result.expects = await this.#check(step, result);
  }

  // getaddrinfo in the pod, as its kubelet runs it: the pod's resolv.conf, its queries as UDP from
  // the pod's address through its node's rules and conntrack to a CoreDNS pod behind kube-dns.
  async #podDns(step: Step, d: DnsStep, result: StepResult, ndots: number): Promise<void> {
    const { pod: name, namespace } = d.from as { pod: string; namespace: string };
    this.#must(() => this.cluster.store.get('Pod', name, namespace), step);
    // The lookup runs in the pod: wait for its sandbox (an address) as a traffic step waits for a listener.
    await this.#until(
      ['Pod'],
      () => !!this.cluster.store.find('Pod', name, namespace)?.status?.podIP,
      30,
      step,
      `pod/${name} to have an address`,
    );
    const pod = this.#must(() => this.cluster.store.get('Pod', name, namespace), step);
    const node = pod.spec.nodeName ?? '';
    const k = this.cluster.kubelets?.get(node);
    if (k === undefined || !pod.status?.podIP)
      throw new ScenarioStepError(`step ${step.name}: pod/${name} has no address yet`);
    const flow = () =>
      d.sourcePort === undefined ? undefined : this.#udpFlow(node, pod.status!.podIP!, d.sourcePort);
    const before = flow();
    const r = await k.getaddrinfo(pod, d.name, {
      family: d.type === 'AAAA' ? 6 : 4,
      libc: d.libc,
      seed: this.s.seed,
      ...(d.ndots !== undefined ? { ndots: d.ndots } : {}),
      ...(d.sourcePort !== undefined ? { sourcePort: d.sourcePort } : {}),
    });
    const after = flow();
    result.dns = {
      from: `pod/${name}`,
      name: d.name,
      type: d.type,
      libc: d.libc,
      ndots,
      status: r.status,
      addresses: r.addresses,
      queries: r.trace.map((q) => `${q.name} ${q.type} ${q.rcode}`),
      ...(before && after
        ? { conntrack: { state: before.state, before: before.text, after: after.text } }
        : {}),
    };
    const port = d.sourcePort === undefined ? '' : ` from port ${d.sourcePort}`;
    result.detail = `${d.name}${port} (${d.libc}): ${r.status} after ${r.trace.length} queries`;
    if (step.expect) result.expects = await this.#check(step, result);
  }

  /** The pod's UDP flows from `port` in its node's conntrack table, each with the pod it reaches. */
  #udpFlow(node: string, ip: string, port: number): { state: 'none' | 'live' | 'stale'; text: string } {
    const entries = this.cluster
      .dataplane!.dataplane.conntrack(node)
      .entries()
      .filter((e) => e.original.proto === 'udp' && e.original.src === ip && e.original.sport === port);
    if (entries.length === 0) return { state: 'none', text: '(no entry)' };
    const pods = this.cluster.store.list('Pod').items;
    let stale = false;
    const text = entries
      .map((e) => {
        const to = pods.find((p) => p.status?.podIP === e.reply.src);
        if (to === undefined) stale = true;
        const who = to === undefined ? 'no pod has this address' : `pod/${to.metadata.name}`;
        return `${e.original.src}:${e.original.sport} -> ${e.original.dst}:${e.original.dport} => ${e.reply.src}:${e.reply.sport} (${who})`;
      })
      .join('; ');
    return { state: stale ? 'stale' : 'live', text };
  }

  async #check(step: Step, target: StepResult): Promise<ExpectResult[]> {
    const e = step.expect!;
    if (target.traffic) {
      let seen: string | undefined;
      const s = e.sourceSeen;
      if (s !== undefined)
        seen =
          'ip' in s
            ? s.ip
            : 'node' in s
              ? this.#nodeIP(s.node)
              : (this.cluster.store.find('Pod', s.pod, s.namespace)?.status?.podIP ?? `<no pod ${s.pod}>`);
      return checkTraffic(e, target.traffic, seen);
    }
    if (target.dns) {
      const answer = e.answer?.map((a) =>
        typeof a === 'string'
          ? a
          : (this.cluster.store.find('Pod', a.pod, a.namespace)?.status?.podIP ?? `<no pod ${a.pod}>`),
      );
      return checkDns(e, target.dns, answer);
    }
    return [];
  }
}

/**
 * Failures whose cause is not in the data plane's decisions. From this machine, a NodePort or
 * LoadBalancer whose rules REJECT (no ready endpoint) has no listener bound: connect() is refused by
 * the host itself, no rule is consulted and no decision is recorded. Only a connection accepted just
 * before a sync took the endpoints away meets REJECT in the data plane, and that one is reset.
 */
export function trafficNotes(
  t: TrafficStep,
  errorKinds: Record<string, number>,
  decisions: Record<string, number>,
): string[] {
  const refused = errorKinds.ECONNREFUSED ?? 0;
  const rejects = decisions.REJECT ?? 0;
  if (refused === 0) return [];
  if ('external' in t.from) {
    const via = 'service' in t.to && t.to.via === 'loadBalancer' ? 'LoadBalancer' : 'NodePort';
    return [
      `${refused} ECONNREFUSED: connections this machine refused while the ${via}'s rules REJECT it (no ready endpoint): ` +
        `its listener is not bound then, so they never reached the data plane, which recorded ${rejects} REJECT ` +
        `(connections accepted just before a sync took the endpoints away; those are reset: ECONNRESET)`,
    ];
  }
  if (refused > rejects)
    return [
      `${refused} ECONNREFUSED, ${rejects} REJECT decisions: ${refused - rejects} refused by the destination pod (nothing listening on the port)`,
    ];
  return [`${refused} ECONNREFUSED: the rules REJECT (no ready endpoint), ${rejects} REJECT decisions`];
}

function describeWait(w: WaitFor): string {
  if ('duration' in w) return `waited ${w.duration}s`;
  if ('traffic' in w) return `traffic ${w.traffic} finished`;
  if ('rollout' in w) return `deployment/${w.rollout.name} rolled out`;
  if ('endpoints' in w) return `service/${w.endpoints.service} has ${w.endpoints.ready} ready endpoints`;
  if ('pods' in w) return `${w.pods.ready} pods ${w.pods.selector} ready`;
  return `node/${w.node.name} ${w.node.ready ? 'Ready' : 'NotReady'}`;
}

export { ClusterBootError };
