// One pod on one kubelet: its sandbox (CNI), its containers (start, probes, restarts with back-off)
// and its termination (preStop, SIGTERM, the grace period, SIGKILL, CNI DEL, the final delete).
// The worker owns the pod's state; the kubelet feeds it the pod from its watch and it writes the
// status kubelet's status manager would, coalesced to one write per turn of the event loop.
import { isIP, type Socket } from 'node:net';
import { Agent, fetch as undiciFetch } from 'undici';
import type { Container, ContainerStatus, Pod, PodCondition } from '../../api/index.js';
import { defaultEcho, type PodNetwork } from '../images/index.js';
import type { Kubelet } from './kubelet.js';
import type { PodSandbox } from './network.js';
import { type ProbeResult, ProbeWorker } from './prober.js';
import { type ContainerOwner, RunningContainer } from './runtime.js';

/** The annotation recording each container port's real loopback socket. */
export const listenAnnotation = 'netlab.dev/listen';

interface ContainerState {
  spec: Container;
  running: RunningContainer | undefined;
  containerID: string;
  restartCount: number;
  startedAt: string | undefined;
  startedAtMs: number;
  started: boolean;
  ready: boolean;
  waiting: { reason: string; message?: string } | undefined;
  terminated: Terminated | undefined;
  lastTerminated: Terminated | undefined;
  /** Its probe workers: `noProbes` until it has one (most containers never do). */
  probes: readonly ProbeWorker[];
  backoffTimer: NodeJS.Timeout | undefined;
  backoffSeconds: number;
  /** Set when the kubelet itself stopped it (liveness, startup, deletion): not a crash. */
  killedFor: string | undefined;
}

interface Terminated {
  exitCode: number;
  reason: string;
  startedAt: string;
  finishedAt: string;
  containerID: string;
}

/** Go's time.Duration String() for whole seconds: 10s, 1m20s, 5m0s. */
export function goDuration(seconds: number): string {
  if (seconds < 60) return `${seconds}s`;
  const m = Math.floor(seconds / 60);
  const s = seconds % 60;
  return m < 60 ? `${m}m${s}s` : `${Math.floor(m / 60)}h${m % 60}m${s}s`;
}

/** A container that runs, or waits to run again (the pod is still Running). */
function runningOrRestarting(c: ContainerState): boolean {
  return c.running?.running === true || c.waiting !== undefined;
}

/** The pod conditions the kubelet reports, each with its slot: its place in the reported list. */
type ConditionType =
  | 'PodReadyToStartContainers'
  | 'Initialized'
  | 'Ready'
  | 'ContainersReady'
  | 'PodScheduled';
const conditionSlot = new Map<ConditionType, number>(
  (['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled'] as const).map(
    (t, i) => [t, i],
  ),
);

/** A condition without a reason, frozen and shared: [slot + (False ? 1 : 0)] per second it holds since. */
const plainConditions = new Map<string, PodCondition[]>();
function plainCondition(
  slot: number,
  status: 'True' | 'False',
  since: string,
  type: ConditionType,
): PodCondition {
  let bySlot = plainConditions.get(since);
  if (!bySlot) {
    // Pods report the seconds they start in: older seconds are asked for again rarely.
    if (plainConditions.size >= 256) plainConditions.clear();
    bySlot = [];
    plainConditions.set(since, bySlot);
  }
  const i = slot + (status === 'True' ? 0 : 1);
  let c = bySlot[i];
  if (!c) {
    c = Object.freeze<PodCondition>({ lastProbeTime: null, lastTransitionTime: since, status, type });
    bySlot[i] = c;
  }
  return c;
}

/** The last conditions list made: pods that start in the same second report the same five. */
let lastConditions: readonly PodCondition[] = [];
function sharedConditions(
  a: PodCondition,
  b: PodCondition,
  c: PodCondition,
  d: PodCondition,
  e: PodCondition,
): PodCondition[] {
  const l = lastConditions;
  if (l[0] !== a || l[1] !== b || l[2] !== c || l[3] !== d || l[4] !== e)
    lastConditions = Object.freeze([a, b, c, d, e]);
  return lastConditions as PodCondition[];
}

/** Addresses as a status lists them, frozen (the store shares them). */
export function frozenIPs(ips: readonly string[]): { ip: string }[] {
  return Object.freeze(ips.map((ip) => Object.freeze({ ip }))) as { ip: string }[];
}

/** Whether a frozenIPs list names exactly these addresses, in this order. */
export function sameIPs(list: readonly { ip: string }[] | undefined, ips: readonly string[]): boolean {
  if (list === undefined || list.length !== ips.length) return false;
  for (let i = 0; i < ips.length; i++) if (list[i]!.ip !== ips[i]) return false;
  return true;
}

const qosClass = 'BestEffort';
const noProbes: readonly ProbeWorker[] = Object.freeze([]);
const containerCreating = Object.freeze({ reason: 'ContainerCreating' });
const creatingState: NonNullable<ContainerStatus['state']> = Object.freeze({ waiting: containerCreating });
const noLastState: NonNullable<ContainerStatus['lastState']> = Object.freeze({});

/** `{running: {startedAt}}`, shared by the containers that started in the same second. */
let runningSince = '';
let runningState: NonNullable<ContainerStatus['state']> = creatingState;
function runningStateSince(startedAt: string): NonNullable<ContainerStatus['state']> {
  if (runningSince !== startedAt || runningState === creatingState) {
    runningState = Object.freeze({ running: Object.freeze({ startedAt }) });
    runningSince = startedAt;
  }
  return runningState;
}

/** A container's status, frozen. */
function containerStatus(c: ContainerState): ContainerStatus {
  let state: NonNullable<ContainerStatus['state']>;
  if (c.running?.running) state = runningStateSince(c.startedAt ?? '');
  else if (c.waiting)
    state = c.waiting === containerCreating ? creatingState : Object.freeze({ waiting: c.waiting });
  else if (c.terminated) state = Object.freeze({ terminated: c.terminated });
  else state = creatingState;
  const image = c.spec.image ?? '';
  const lastState = c.lastTerminated ? Object.freeze({ terminated: c.lastTerminated }) : noLastState;
  const name = c.spec.name;
  const ready = c.ready;
  const restartCount = c.restartCount;
  const started = c.running?.running === true && c.started;
  return Object.freeze(
    c.containerID
      ? {
          containerID: c.containerID,
          image,
          imageID: '',
          lastState,
          name,
          ready,
          restartCount,
          started,
          state,
        }
      : { image, imageID: '', lastState, name, ready, restartCount, started, state },
  );
}

let containerSeq = 0;
/** FNV-1a over the first UTF-16 unit of each code point of `s` (a surrogate pair counts once). */
function fnvOver(h: number, s: string): number {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    h = Math.imul(h ^ c, 16777619);
    if (c >= 0xd800 && c < 0xdc00) {
      const next = s.charCodeAt(i + 1);
      if (next >= 0xdc00 && next < 0xe000) i++;
    }
  }
  return h;
}
/**
 * `netlab://` + FNV-1a of `uid/name/seq` + seq, in hex, as one flat string (joined: a template
 * literal of padded parts keeps its pieces alive under each container's ID).
 */
function containerID(uid: string, name: string): string {
  containerSeq++;
  const h = fnvOver(2166136261, `${uid}/${name}/${containerSeq}`) >>> 0;
  return ['netlab://', h.toString(16).padStart(8, '0'), containerSeq.toString(16).padStart(8, '0')].join('');
}

export class PodWorker implements ContainerOwner {
  pod: Pod;
  readonly key: string;
  readonly uid: string;
  podIPs: string[] = [];
  #sandbox: PodSandbox;
  #containers: ContainerState[] = [];
  #startTime: string | undefined;
  #phase: 'starting' | 'running' | 'terminating' | 'gone' = 'starting';
  #flushQueued = false;
  /** Status writes asked for (#flush calls), to tell whether one is still owed. */
  #flushes = 0;
  /**
   * The conditions last reported, in conditionSlot order (frozen, often shared by the pods of a
   * second): each says its status and since when.
   */
  #conditions: readonly PodCondition[] | undefined;
  /** podIPs as the status lists them (frozenIPs), made when they change. */
  #podIPList: { ip: string }[] | undefined;
  #network: PodNet | undefined;
  #started: Promise<void> | undefined;
  #terminated: Promise<void> | undefined;
  #lastListen = '';

  constructor(
    readonly kubelet: Kubelet,
    pod: Pod,
  ) {
    this.pod = pod;
    this.key = `${pod.metadata.namespace}/${pod.metadata.name}`;
    this.uid = pod.metadata.uid ?? '';
    this.#sandbox = { containerID: this.uid, netns: `/var/run/netns/cni-${this.uid}`, ifName: 'eth0' };
  }

  get hostname(): string {
    return (this.pod.spec.hostname ?? this.pod.metadata.name ?? '').slice(0, 63);
  }

  get podIP(): string {
    return this.podIPs[0] ?? '';
  }

  /** A newer version of the pod from the watch. */
  update(pod: Pod): void {
    this.pod = pod;
    if (pod.metadata.deletionTimestamp && this.#phase !== 'terminating' && this.#phase !== 'gone')
      void this.terminate(pod.metadata.deletionGracePeriodSeconds ?? 30, true);
  }

  /** Sandbox, then containers; the first status write says Running. */
  start(): Promise<void> {
    this.#started ??= this.#start();
    return this.#started;
  }

  async #start(): Promise<void> {
    const k = this.kubelet;
    this.#startTime = k.timestamp();
    const list = await k.nodeNetwork();
    if (this.#phase !== 'starting') return;
    try {
      this.podIPs = await k.network.add(list, this.#sandbox);
    } catch (e) {
      // kubelet: FailedCreatePodSandBox, retried on the next sync.
      k.event(
        this.pod,
        'Warning',
        'FailedCreatePodSandBox',
        `Failed to create pod sandbox: ${(e as Error).message}`,
      );
      this.#started = undefined;
      k.retry(this, 10);
      return;
    }
    if (this.#phase !== 'starting') {
      await k.network.del(list, this.#sandbox).catch(() => {});
      return;
    }
    this.#containers = this.pod.spec.containers.map((spec) => ({
      spec,
      running: undefined,
      containerID: '',
      restartCount: 0,
      startedAt: undefined,
      startedAtMs: 0,
      started: false,
      ready: false,
      waiting: containerCreating,
      terminated: undefined,
      lastTerminated: undefined,
      probes: noProbes,
      backoffTimer: undefined,
      backoffSeconds: 0,
      killedFor: undefined,
    }));
    this.#phase = 'running';
    const flushes = this.#flushes;
    await Promise.all(this.#containers.map((c) => this.#startContainer(c)));
    // Each container's start (or exit) wrote its status already; the same status again is a no-op
    // write, which the status manager does not make.
    if (this.#flushes === flushes) this.#flush();
  }

  async #startContainer(c: ContainerState): Promise<void> {
    if (this.#phase !== 'running') return;
    const k = this.kubelet;
    const name = c.spec.image ?? '';
    const image = k.image(name);
    if (image === undefined && c.restartCount === 0)
      k.event(
        this.pod,
        'Warning',
        'UnknownImage',
        `Image "${name}" is not one netlab runs; container ${c.spec.name} runs the default echo app`,
      );
    const running = new RunningContainer({
      pod: this.pod,
      container: c.spec,
      image: image ?? defaultEcho,
      podIP: this.podIP,
      hostname: this.hostname,
      ports: k.ports,
      network: this.#podNetwork(),
      realSockets: k.realSockets,
      second: k.second,
      owner: this,
    });
    c.running = running;
    c.containerID = containerID(this.uid, c.spec.name);
    c.startedAt = k.timestamp();
    c.startedAtMs = Date.now();
    c.waiting = undefined;
    c.terminated = undefined;
    c.killedFor = undefined;
    c.started = !c.spec.startupProbe;
    c.ready = false;
    await running.start();
    if (c.running !== running || !running.running) return;
    this.#startProbes(c, running);
    this.#updateReady(c);
    this.#writeListen();
    this.#flush();
  }

  // --- ContainerOwner: what a container's runtime tells its worker ------------------------------

  containerLog(container: string, line: string): void {
    // A pod torn down writes nowhere (an app's callback that outlives its container).
    if (this.#phase === 'gone') return;
    this.kubelet.containerLog(this, container, line);
  }

  containerWarning(reason: string, message: string): void {
    this.kubelet.event(this.pod, 'Warning', reason, message);
  }

  containerExited(running: RunningContainer, code: number): void {
    for (const c of this.#containers)
      if (c.running === running) {
        this.#onExit(c, running, code);
        return;
      }
  }

  #startProbes(c: ContainerState, running: RunningContainer): void {
    if (!c.spec.startupProbe && !c.spec.readinessProbe && !c.spec.livenessProbe) return;
    const k = this.kubelet;
    const target = {
      podIP: this.podIP,
      nodeIP: k.nodeIPs[0] ?? '',
      container: c.spec,
      running,
      ports: k.ports,
      second: k.second,
    };
    const onProbe = (w: ProbeWorker, result: ProbeResult, output: string, changed: boolean) => {
      if (c.running !== running) return;
      const label = w.type === 'startup' ? 'Startup' : w.type === 'readiness' ? 'Readiness' : 'Liveness';
      if (result === 'failure') k.event(this.pod, 'Warning', 'Unhealthy', `${label} probe failed: ${output}`);
      if (!changed) return;
      if (w.type === 'startup' && result === 'success') c.started = true;
      if (w.type !== 'readiness' && result === 'failure') {
        const why = w.type === 'liveness' ? 'liveness' : 'startup';
        k.event(
          this.pod,
          'Normal',
          'Killing',
          `Container ${c.spec.name} failed ${why} probe, will be restarted`,
        );
        c.killedFor = why;
        void this.#stopContainer(c, this.pod.spec.terminationGracePeriodSeconds ?? 30, false);
      }
      this.#updateReady(c);
      this.#flush();
    };
    const startupDone = () => c.started;
    const probes: [keyof Container & `${string}Probe`, 'startup' | 'readiness' | 'liveness'][] = [
      ['startupProbe', 'startup'],
      ['readinessProbe', 'readiness'],
      ['livenessProbe', 'liveness'],
    ];
    for (const [field, type] of probes) {
      const probe = c.spec[field];
      if (!probe) continue;
      const w = new ProbeWorker(type, probe, target, onProbe, type === 'startup' ? undefined : startupDone);
      c.probes = c.probes.concat([w]);
      w.start();
    }
  }

  #updateReady(c: ContainerState): void {
    let r: ProbeWorker | undefined;
    for (const p of c.probes) if (p.type === 'readiness') r = r ?? p;
    c.ready = c.running?.running === true && c.started && (r ? r.result === 'success' : true);
  }

  #onExit(c: ContainerState, running: RunningContainer, code: number): void {
    if (c.running !== running) return;
    for (const p of c.probes) p.stop();
    c.probes = noProbes;
    c.ready = false;
    const k = this.kubelet;
    const finishedAt = k.timestamp();
    // Frozen: a status shares it, as lastState after a restart too.
    c.terminated = Object.freeze({
      exitCode: code,
      reason: code === 0 ? 'Completed' : 'Error',
      startedAt: c.startedAt ?? finishedAt,
      finishedAt,
      containerID: c.containerID,
    });
    c.running = undefined;
    if (this.#phase !== 'running') {
      this.#flush();
      return;
    }
    const policy = this.pod.spec.restartPolicy ?? 'Always';
    const restart = policy === 'Always' || (policy === 'OnFailure' && code !== 0);
    if (!restart) {
      this.#flush();
      return;
    }
    // kubelet's back-off: the first restart at once, then initial, doubling up to the maximum; a
    // container that ran for twice the maximum starts over.
    const ranSeconds = (Date.now() - c.startedAtMs) / k.second;
    if (ranSeconds >= 2 * k.backoffMaxSeconds) c.backoffSeconds = 0;
    const delay = c.backoffSeconds;
    c.backoffSeconds = delay === 0 ? k.backoffInitialSeconds : Math.min(delay * 2, k.backoffMaxSeconds);
    c.lastTerminated = c.terminated;
    c.terminated = undefined;
    if (delay === 0) {
      c.restartCount++;
      this.#flush();
      void this.#startContainer(c);
      return;
    }
    const name = this.pod.metadata.name;
    c.waiting = Object.freeze({
      reason: 'CrashLoopBackOff',
      message: `back-off ${goDuration(delay)} restarting failed container=${c.spec.name} pod=${name}_${this.pod.metadata.namespace}(${this.uid})`,
    });
    k.event(this.pod, 'Warning', 'BackOff', 'Back-off restarting failed container');
    this.#flush();
    c.backoffTimer = setTimeout(() => {
      c.backoffTimer = undefined;
      if (this.#phase !== 'running') return;
      c.restartCount++;
      void this.#startContainer(c);
    }, delay * k.second);
  }

  /** preStop, SIGTERM, and SIGKILL when the grace period is over; resolves once it has exited. */
  async #stopContainer(c: ContainerState, graceSeconds: number, preStop: boolean): Promise<void> {
    const running = c.running;
    if (!running?.running) return;
    const k = this.kubelet;
    const deadline = Date.now() + graceSeconds * k.second;
    const killTimer = setTimeout(() => running.kill(), Math.max(0, graceSeconds * k.second));
    try {
      const hook = c.spec.lifecycle?.preStop;
      if (preStop && hook) {
        const left = () => Math.max(0, deadline - Date.now());
        if (hook.sleep)
          await Promise.race([sleep(hook.sleep.seconds * k.second), running.exited, sleep(left())]);
        else if (hook.httpGet || hook.exec) {
          const { runProbe } = await import('./prober.js');
          const r = await runProbe(
            {
              ...(hook.httpGet ? { httpGet: hook.httpGet } : { exec: hook.exec ?? {} }),
              timeoutSeconds: graceSeconds,
            },
            {
              podIP: this.podIP,
              nodeIP: k.nodeIPs[0] ?? '',
              container: c.spec,
              running,
              ports: k.ports,
              second: k.second,
            },
          );
          if (r.result === 'failure')
            k.event(this.pod, 'Warning', 'FailedPreStopHook', `PreStopHook failed: ${r.output}`);
        }
      }
      k.onStopping?.(this.pod, c.spec.name);
      running.terminate();
      await running.exited;
    } finally {
      clearTimeout(killTimer);
    }
  }

  /**
   * Termination: every container stopped within the grace period, the sandbox torn down (CNI DEL,
   * the address released), then, for a graceful delete, the pod removed from the store.
   */
  terminate(graceSeconds: number, deleteFromStore: boolean): Promise<void> {
    this.#terminated ??= this.#terminate(graceSeconds, deleteFromStore);
    return this.#terminated;
  }

  async #terminate(graceSeconds: number, deleteFromStore: boolean): Promise<void> {
    const k = this.kubelet;
    const wasStarting = this.#phase === 'starting';
    this.#phase = 'terminating';
    if (wasStarting) await this.#started;
    for (const c of this.#containers) {
      clearTimeout(c.backoffTimer);
      if (c.running?.running) k.event(this.pod, 'Normal', 'Killing', `Stopping container ${c.spec.name}`);
    }
    await Promise.all(this.#containers.map((c) => this.#stopContainer(c, graceSeconds, true)));
    this.#flush();
    await new Promise((r) => setImmediate(r));
    if (this.podIPs.length > 0 || !wasStarting) {
      try {
        await k.network.del(await k.nodeNetwork(), this.#sandbox);
      } catch (e) {
        k.event(this.pod, 'Warning', 'FailedKillPod', `error killing pod: ${(e as Error).message}`);
      }
    }
    await this.#network?.close();
    this.#phase = 'gone';
    if (deleteFromStore) k.deleteFromStore(this);
    k.forget(this);
  }

  // --- status ---------------------------------------------------------------------------------

  #flush(): void {
    this.#flushes++;
    if (this.#flushQueued) return;
    this.#flushQueued = true;
    queueMicrotask(() => {
      this.#flushQueued = false;
      this.kubelet.writeStatus(this);
    });
  }

  #writeListen(): void {
    if (!this.kubelet.realSockets) return;
    const parts: string[] = [];
    for (const c of this.#containers)
      for (const l of c.running?.listening ?? [])
        if (l.realPort !== undefined) parts.push(`${l.port}/${l.protocol}=127.0.0.1:${l.realPort}`);
    const value = parts.join(',');
    if (value === this.#lastListen) return;
    this.#lastListen = value;
    this.kubelet.writeAnnotation(this, listenAnnotation, value);
  }

  /** The condition of `type` as reported now: a shared frozen object when it has no reason. */
  #condition(type: ConditionType, ok: boolean, reason?: string, message?: string): PodCondition {
    const status = ok ? 'True' : 'False';
    const i = conditionSlot.get(type)!;
    const prev = this.#conditions?.[i];
    const since =
      prev !== undefined && prev.status === status ? prev.lastTransitionTime! : this.kubelet.timestamp();
    if (reason === undefined) return plainCondition(2 * i, status, since, type);
    const c: PodCondition = { lastProbeTime: null, lastTransitionTime: since, status, type, reason };
    if (message) c.message = message;
    return Object.freeze(c);
  }

  /**
   * The status kubelet would report now. Its parts are frozen, and shared where they are the same
   * (conditions since the same second, the node's addresses, the pod's own addresses, a container's
   * running state since the same second): the store keeps frozen parts as they are, without a copy.
   */
  status(): NonNullable<Pod['status']> {
    const k = this.kubelet;
    const cs = this.#containers;
    // Loops, not some/every with a closure: this runs for every status write.
    let allReady = cs.length > 0;
    let anyStarted = false;
    let anyRunning = false;
    let allSucceeded = true;
    for (const c of cs) {
      if (!c.ready) allReady = false;
      if (c.startedAt !== undefined) anyStarted = true;
      if (runningOrRestarting(c)) anyRunning = true;
      if (c.terminated?.exitCode !== 0) allSucceeded = false;
    }
    let phase: 'Pending' | 'Running' | 'Succeeded' | 'Failed' = 'Pending';
    if (anyStarted) {
      if (anyRunning) phase = 'Running';
      else phase = allSucceeded ? 'Succeeded' : 'Failed';
    }
    const completed = phase === 'Succeeded' || phase === 'Failed';
    const readyOK = allReady && phase === 'Running';
    // The message names the unready containers; only a condition that is not True carries it.
    const message = readyOK
      ? ''
      : `containers with unready status: [${cs
          .filter((c) => !c.ready)
          .map((c) => c.spec.name)
          .join(' ')}]`;
    // A completed pod's ContainersReady says PodCompleted, without the message.
    const containersReady = completed
      ? this.#condition('ContainersReady', allReady, 'PodCompleted')
      : this.#condition('ContainersReady', allReady, allReady ? undefined : 'ContainersNotReady', message);
    const ready = this.#condition(
      'Ready',
      readyOK,
      readyOK ? undefined : completed ? 'PodCompleted' : 'ContainersNotReady',
      message,
    );
    const conditions = sharedConditions(
      this.#condition('PodReadyToStartContainers', this.podIPs.length > 0),
      this.#condition('Initialized', true),
      ready,
      containersReady,
      this.#condition('PodScheduled', true),
    );
    this.#conditions = conditions;
    const containerStatuses = Object.freeze(cs.map(containerStatus)) as ContainerStatus[];
    const hostIP = k.nodeIPs[0] ?? '';
    const hostIPs = k.hostIPs;
    if (this.podIPs.length === 0)
      return this.#startTime
        ? { phase, conditions, hostIP, hostIPs, startTime: this.#startTime, containerStatuses, qosClass }
        : { phase, conditions, hostIP, hostIPs, containerStatuses, qosClass };
    // Kept while it lists the same addresses (every one compared: a dual-stack pod has two).
    let podIPs = this.#podIPList;
    if (podIPs === undefined || !sameIPs(podIPs, this.podIPs)) {
      podIPs = frozenIPs(this.podIPs);
      this.#podIPList = podIPs;
    }
    const podIP = this.podIP;
    return this.#startTime
      ? {
          phase,
          conditions,
          hostIP,
          hostIPs,
          podIP,
          podIPs,
          startTime: this.#startTime,
          containerStatuses,
          qosClass,
        }
      : { phase, conditions, hostIP, hostIPs, podIP, podIPs, containerStatuses, qosClass };
  }

  // --- the image API ----------------------------------------------------------------------------

  /** The pod's network for its containers' apps (one object a pod, its functions on the prototype). */
  #podNetwork(): PodNet {
    this.#network ??= new PodNet(this);
    return this.#network;
  }
}

/** The image API's network of one pod: lookups with its resolv.conf, connections from its address. */
class PodNet implements PodNetwork {
  readonly #w: PodWorker;
  /** The pod's HTTP agent (made on its first fetch): connections through the pod's dial and lookup. */
  #agent: Agent | undefined;

  constructor(w: PodWorker) {
    this.#w = w;
  }

  lookup(name: string, opts?: { family?: 0 | 4 | 6 }): Promise<string[]> {
    return this.#w.kubelet.lookup(this.#w.pod, name, opts?.family ?? 0);
  }

  fetch(
    input: Parameters<typeof undiciFetch>[0],
    init?: Parameters<typeof undiciFetch>[1],
  ): ReturnType<typeof undiciFetch> {
    return undiciFetch(input, { ...init, dispatcher: this.#podAgent() });
  }

  dial(ip: string, port: number): Socket {
    const k = this.#w.kubelet;
    return k.dial({ node: k.nodeName, ip: this.#w.podIP }, ip, port);
  }

  async exchangeUdp(host: string, port: number, msg: Uint8Array, timeoutMs: number): Promise<Buffer> {
    const w = this.#w;
    const k = w.kubelet;
    const ip = isIP(host) !== 0 ? host : (await k.lookup(w.pod, host, 4))[0]!;
    return k.exchangeUdp({ node: k.nodeName, ip: w.podIP }, ip, port, msg, timeoutMs);
  }

  /** Closes the agent, if a fetch made one. */
  async close(): Promise<void> {
    await this.#agent?.close().catch(() => {});
  }

  #podAgent(): Agent {
    if (this.#agent) return this.#agent;
    this.#agent = new Agent({
      connect: (opts, cb) => {
        const open = (ip: string) => {
          const s = this.dial(ip, Number(opts.port || 80));
          const onError = (e: Error) => cb(e, null);
          s.once('error', onError);
          s.once('connect', () => {
            s.off('error', onError);
            cb(null, s);
          });
        };
        // A name is looked up as the pod's own getaddrinfo would (its resolv.conf, cluster DNS).
        if (isIP(opts.hostname) !== 0) open(opts.hostname);
        else
          this.lookup(opts.hostname, { family: 4 }).then(
            (ips) => open(ips[0]!),
            (e: Error) => cb(e, null),
          );
      },
    });
    return this.#agent;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
