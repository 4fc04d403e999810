// kubelet's prober (pkg/kubelet/prober): one worker per container probe, each on its own period;
// a result changes only after failureThreshold failures or successThreshold successes in a row.
// Readiness starts as failure, liveness as success, startup as unknown; readiness and liveness wait
// for the startup probe; a liveness or startup failure holds the worker until the container restarts.
import { request } from 'node:http';
import type { Container, Probe } from '../../api/index.js';
import type { PodPortTable } from './podports.js';
import type { RunningContainer } from './runtime.js';

export type ProbeType = 'startup' | 'readiness' | 'liveness';
export type ProbeResult = 'success' | 'failure';

export interface ProbeTarget {
  podIP: string;
  nodeIP: string;
  container: Container;
  running: RunningContainer;
  ports: PodPortTable;
  second: number;
}

/** kube-probe's User-Agent, as kubelet 1.32 sends it. */
export const probeUserAgent = 'kube-probe/1.32';

function resolvePort(port: number | string, c: Container): number | undefined {
  if (typeof port === 'number') return port;
  if (/^\d+$/.test(port)) return Number(port);
  return c.ports?.find((p) => p.name === port)?.containerPort;
}

let probePort = 40000;
/** The kubelet dials from the node's address, on a port of its own. */
function nextPort(): number {
  probePort = probePort >= 60999 ? 40000 : probePort + 1;
  return probePort;
}

/** One probe: the result and kubelet's output text for the Unhealthy event. */
export async function runProbe(
  probe: Probe,
  t: ProbeTarget,
): Promise<{ result: ProbeResult; output: string }> {
  const timeoutMs = (probe.timeoutSeconds ?? 1) * t.second;
  if (probe.exec) {
    const code = await withTimeout(t.running.exec(probe.exec.command ?? []), timeoutMs);
    if (code === undefined)
      return { result: 'failure', output: `command timed out after ${probe.timeoutSeconds ?? 1}s` };
    return code === 0
      ? { result: 'success', output: '' }
      : {
          result: 'failure',
          output: `command ${JSON.stringify(probe.exec.command ?? [])} exited with ${code}`,
        };
  }
  const action = probe.httpGet ?? probe.tcpSocket;
  if (!action) return { result: 'success', output: '' };
  const port = resolvePort(action.port, t.container);
  if (port === undefined) return { result: 'failure', output: `unable to find port ${action.port}` };
  const flow = {
    protocol: 'TCP' as const,
    src: { ip: t.nodeIP, port: nextPort() },
    dst: { ip: t.podIP, port },
    origDst: { ip: t.podIP, port },
    node: '',
  };
  let socket: Awaited<ReturnType<PodPortTable['connect']>>;
  try {
    socket = await t.ports.connect(t.podIP, port, flow);
  } catch (e) {
    return { result: 'failure', output: (e as Error).message };
  }
  if (probe.tcpSocket) {
    socket.destroy();
    return { result: 'success', output: '' };
  }
  const path = probe.httpGet?.path || '/';
  const out = await withTimeout(
    new Promise<{ result: ProbeResult; output: string }>((resolve) => {
      const req = request(
        {
          createConnection: () => socket,
          method: 'GET',
          path,
          headers: {
            Host: `${t.podIP}:${port}`,
            'User-Agent': probeUserAgent,
            Accept: '*/*',
            Connection: 'close',
          },
        },
        (res) => {
          const code = res.statusCode ?? 0;
          res.resume();
          res.once('end', () => socket.destroy());
          resolve(
            code >= 200 && code < 400
              ? { result: 'success', output: '' }
              : { result: 'failure', output: `HTTP probe failed with statuscode: ${code}` },
          );
        },
      );
      req.once('error', (e) => resolve({ result: 'failure', output: e.message }));
      req.end();
    }),
    timeoutMs,
  );
  if (out === undefined) {
    socket.destroy();
    return {
      result: 'failure',
      output: `Get "http://${t.podIP}:${port}${path}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`,
    };
  }
  return out;
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), ms);
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      () => {
        clearTimeout(timer);
        resolve(undefined);
      },
    );
  });
}

/** A probe worker for one container start: its own timer, stopped when the container ends. */
export class ProbeWorker {
  result: ProbeResult | undefined;
  #lastResult: ProbeResult | undefined;
  #resultRun = 0;
  #onHold = false;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(
    readonly type: ProbeType,
    readonly probe: Probe,
    readonly target: ProbeTarget,
    /** After every probe: its result and output (the Unhealthy event), and whether the worker's result changed. */
    readonly onProbe: (w: ProbeWorker, result: ProbeResult, output: string, changed: boolean) => void,
    /** Whether this probe may run now (readiness and liveness wait for the startup probe). */
    readonly gate: () => boolean = () => true,
  ) {
    this.result = type === 'readiness' ? 'failure' : type === 'liveness' ? 'success' : undefined;
  }

  start(): void {
    this.#schedule((this.probe.initialDelaySeconds ?? 0) * this.target.second);
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }

  #schedule(ms: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => void this.#run(), ms);
  }

  async #run(): Promise<void> {
    if (this.#stopped || !this.target.running.running) return;
    if (!this.#onHold && this.gate()) {
      const { result, output } = await runProbe(this.probe, this.target);
      if (this.#stopped) return;
      if (this.#lastResult === result) this.#resultRun++;
      else {
        this.#lastResult = result;
        this.#resultRun = 1;
      }
      const threshold =
        result === 'failure' ? (this.probe.failureThreshold ?? 3) : (this.probe.successThreshold ?? 1);
      const changed = this.#resultRun >= threshold && this.result !== result;
      if (changed) {
        this.result = result;
        if (result === 'failure' && this.type !== 'readiness') {
          // The container is about to be killed: nothing more until it has been restarted.
          this.#onHold = true;
          this.#resultRun = 0;
        }
      }
      this.onProbe(this, result, output, changed);
      // A startup probe stops once it has succeeded.
      if (this.type === 'startup' && this.result === 'success') return;
    }
    this.#schedule((this.probe.periodSeconds ?? 10) * this.target.second);
  }
}
