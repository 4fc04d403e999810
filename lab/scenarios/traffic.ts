// The traffic generator of a scenario: undici clients whose connections go through the real data
// path (a NodePort listener on a node's loopback address for external clients; the data plane's
// dial from a pod or node for in-cluster ones). One undici Client is one TCP connection: it sends
// `requestsPerConnection` requests with keep-alive, then closes, so "a new connection per request"
// and "keep-alive" are exactly what the step says, and kube-proxy balances per connection.
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Client } from 'undici';
import type { ProgressBar } from '../run/progress.js';

/** How a connection is made: undici's own connector (a real socket to `origin`), or the data plane. */
export type Dialer = ((ip: string, port: number) => Socket) | undefined;

export interface TrafficPlan {
  origin: string;
  /** The Host header (the URL's host as the client wrote it). */
  host: string;
  path: string;
  dial: Dialer;
  connections: number;
  requestsPerConnection: number;
  concurrency: number;
  /** Requests per second of wall time, all workers together (0: no pacing). */
  ratePerMs: number;
  /** Wall milliseconds the step lasts (0: bounded by `connections`). */
  durationMs: number;
  timeoutMs: number;
  /** Milliseconds since the scenario started (the timeline's x axis). */
  now: () => number;
  bar: ProgressBar;
  signal: AbortSignal;
  /** Each new answer's body (a pod's hostname, a source address): who answered, for the report. */
  onResponder?: (response: string) => void;
}

export interface RequestRecord {
  /** Milliseconds since the scenario started, when the request was sent. */
  t: number;
  latencyMs: number;
  /** The answer (body, `ip:port` bodies without the port), or undefined when it failed. */
  response: string | undefined;
  /** Why it failed: an error code (ECONNREFUSED, UND_ERR_HEADERS_TIMEOUT) or `HTTP 503`. */
  error: string | undefined;
}

export interface TrafficOutcome {
  records: RequestRecord[];
  connections: number;
}

// /clientip answers `ip:port`; the port is a new ephemeral one per connection, so the address alone
// says who was seen.
function answerOf(body: string): string {
  const text = body.trim();
  const v4 = /^(\d{1,3}(?:\.\d{1,3}){3}):\d+$/.exec(text);
  if (v4) return v4[1]!;
  const v6 = /^\[([0-9a-fA-F:.]+)\]:\d+$/.exec(text);
  if (v6) return v6[1]!;
  return text.length > 200 ? `${text.slice(0, 200)}...` : text;
}

function errorCode(e: unknown): string {
  const err = e as { code?: string; cause?: { code?: string }; message?: string };
  return err.code ?? err.cause?.code ?? err.message ?? String(e);
}

/** Runs the plan; resolves when every worker has finished. */
export async function runTraffic(plan: TrafficPlan): Promise<TrafficOutcome> {
  const records: RequestRecord[] = [];
  const total = plan.durationMs > 0 ? 0 : plan.connections;
  const start = performance.now();
  const deadline = plan.durationMs > 0 ? start + plan.durationMs : Number.POSITIVE_INFINITY;
  let opened = 0;
  let sent = 0;
  const seen = new Set<string>();
  const pace = async () => {
    const k = sent++;
    if (plan.ratePerMs <= 0) return;
    const at = start + k / plan.ratePerMs;
    const wait = at - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  };
  const progressTotal = plan.durationMs > 0 ? plan.durationMs : total * plan.requestsPerConnection;
  const progress = () => {
    plan.bar.update(
      plan.durationMs > 0
        ? Math.min(plan.durationMs, Math.round(performance.now() - start))
        : Math.min(progressTotal, records.length),
    );
  };
  const connect =
    plan.dial === undefined
      ? undefined
      : (opts: { hostname: string; port: string }, cb: (...a: [null, Socket] | [Error, null]) => void) => {
          const socket = plan.dial!(opts.hostname, Number(opts.port) || 80);
          const onError = (e: Error) => cb(e, null);
          socket.once('error', onError);
          socket.once('connect', () => {
            socket.off('error', onError);
            cb(null, socket);
          });
        };
  const worker = async () => {
    for (;;) {
      if (plan.signal.aborted) return;
      if (plan.durationMs > 0 ? performance.now() >= deadline : opened >= total) return;
      opened++;
      const client = new Client(plan.origin, {
        pipelining: 1,
        connectTimeout: plan.timeoutMs,
        headersTimeout: plan.timeoutMs,
        bodyTimeout: plan.timeoutMs,
        keepAliveTimeout: 60_000,
        ...(connect !== undefined ? { connect: connect as never } : {}),
      });
      try {
        for (let i = 0; i < plan.requestsPerConnection; i++) {
          if (plan.signal.aborted || performance.now() >= deadline) break;
          await pace();
          const t0 = performance.now();
          const t = plan.now();
          try {
            const res = await client.request({
              path: plan.path,
              method: 'GET',
              headers: { host: plan.host },
            });
            const body = await res.body.text();
            const latencyMs = performance.now() - t0;
            if (res.statusCode >= 500) {
              records.push({ t, latencyMs, response: undefined, error: `HTTP ${res.statusCode}` });
            } else {
              const response = answerOf(body);
              records.push({ t, latencyMs, response, error: undefined });
              if (!seen.has(response)) {
                seen.add(response);
                plan.onResponder?.(response);
              }
            }
          } catch (e) {
            records.push({ t, latencyMs: performance.now() - t0, response: undefined, error: errorCode(e) });
          }
          progress();
        }
      } finally {
        await client.destroy().catch(() => {});
      }
    }
  };
  await Promise.all(Array.from({ length: plan.concurrency }, () => worker()));
  plan.bar.done(`${records.length} requests, ${records.filter((r) => r.error !== undefined).length} failed`);
  return { records, connections: opened };
}
