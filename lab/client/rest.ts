// netlab's side of the kube-API: a kubeconfig found as kubectl finds one (--kubeconfig, then
// KUBECONFIG, then netlab's own default ~/.netlab/kubeconfig, which `netlab up` writes), read by
// @kubernetes/client-node (contexts, tokens, client certificates, CA), and plain HTTP requests with
// it. Failures are kube-apiserver's Status objects, worded as kubectl words them.

import { existsSync } from 'node:fs';
import { request as httpRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { NetlabError } from '../../std/index.js';

type KubeConfigClass = typeof KubeConfig;

/** The kube-API could not be reached or the kubeconfig could not be used. */
export class ClientError extends NetlabError {
  override readonly name = 'ClientError';
  readonly code = 'NETLAB_CLIENT';
}

/**
 * A failure Status as a client receives it from any kube-apiserver, where every field may be missing
 * (api/errors.ts types the Status netlab's own server writes).
 */
export interface WireStatus {
  kind?: string;
  status?: string;
  message?: string;
  reason?: string;
  code?: number;
  details?: { name?: string; kind?: string; group?: string; causes?: { field?: string; message?: string }[] };
}

/** The server answered with a failure Status; the message is kubectl's `Error from server (Reason): ...`. */
export class ApiStatusError extends NetlabError {
  override readonly name = 'ApiStatusError';
  readonly code = 'NETLAB_CLIENT_STATUS';
  constructor(readonly status: WireStatus) {
    super(`Error from server${status.reason ? ` (${status.reason})` : ''}: ${status.message ?? ''}`);
  }
  get httpCode(): number {
    return this.status.code ?? 0;
  }
}

/** Where `netlab up` writes its kubeconfig and where netlab's client commands look last. */
export function defaultKubeconfigPath(): string {
  return join(homedir(), '.netlab', 'kubeconfig');
}

/**
 * The kubeconfig files to read, as kubectl picks them: the flag, else every existing file of
 * KUBECONFIG (merged, the first to set a name or the current context wins), else netlab's default.
 */
export function kubeconfigPaths(flag?: string, env = process.env.KUBECONFIG): string[] {
  if (flag !== undefined && flag !== '') return [flag];
  const listed = (env ?? '').split(':').filter((p) => p !== '');
  if (listed.length === 0) return [defaultKubeconfigPath()];
  const existing = listed.filter((p) => existsSync(p));
  return existing.length > 0 ? existing : [listed[0]!];
}

/** The first kubeconfig file kubectl would read (see kubeconfigPaths). */
export function kubeconfigPath(flag?: string, env = process.env.KUBECONFIG): string {
  return kubeconfigPaths(flag, env)[0]!;
}

function loadFile(KubeConfig: KubeConfigClass, path: string): KubeConfig {
  const kc = new KubeConfig();
  try {
    kc.loadFromFile(path);
  } catch (e) {
    throw new ClientError(`${path}: ${(e as Error).message.split('\n')[0]}`);
  }
  return kc;
}

/** Several kubeconfig files as one, as kubectl merges KUBECONFIG: the first of each name wins. */
function mergedConfig(KubeConfig: KubeConfigClass, paths: readonly string[]): KubeConfig {
  const loaded = paths.map((p) => loadFile(KubeConfig, p));
  if (loaded.length === 1) return loaded[0]!;
  const firstByName = <T extends { name: string }>(lists: T[][]): T[] => {
    const m = new Map<string, T>();
    for (const list of lists) for (const x of list) if (!m.has(x.name)) m.set(x.name, x);
    return [...m.values()];
  };
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: firstByName(loaded.map((k) => k.clusters)),
    users: firstByName(loaded.map((k) => k.users)),
    contexts: firstByName(loaded.map((k) => k.contexts)),
    currentContext: loaded.map((k) => k.currentContext ?? '').find((c) => c !== '') ?? '',
  });
  return kc;
}

export interface RequestInit {
  body?: string;
  contentType?: string;
  accept?: string;
  signal?: AbortSignal;
}

export interface Response {
  status: number;
  contentType: string;
  body: string;
}

const maxResponseBytes = 256 * 1024 * 1024;

export class KubeClient {
  readonly #kc: KubeConfig;
  /** The kubeconfig file it came from. */
  readonly source: string;
  /** The current context's server URL. */
  readonly server: string;
  /** The current context's namespace (default `default`). */
  readonly namespace: string;

  private constructor(kc: KubeConfig, source: string) {
    this.#kc = kc;
    this.source = source;
    const current = kc.getCurrentContext() ?? '';
    // kubectl's words for a context that is not there.
    if (current === '') throw new ClientError(`${source}: no current-context is set`);
    const context = kc.getContextObject(current);
    if (!context) throw new ClientError(`${source}: context was not found for specified context: ${current}`);
    const cluster = kc.getCurrentCluster();
    if (!cluster)
      throw new ClientError(`${source}: cluster "${context.cluster}" of context "${current}" was not found`);
    this.server = cluster.server.replace(/\/+$/, '');
    this.namespace = kc.getContextObject(kc.getCurrentContext())?.namespace || 'default';
  }

  /**
   * Reads the kubeconfig (see kubeconfigPath); a missing or unreadable file says how to get one.
   * @kubernetes/client-node is loaded here, on first use: importing it costs several times Node's own
   * start-up, which every netlab command that needs no kube-API would pay.
   */
  static async load(flag?: string, env = process.env.KUBECONFIG): Promise<KubeClient> {
    const paths = kubeconfigPaths(flag, env);
    const path = paths[0]!;
    if (!existsSync(path))
      throw new ClientError(
        `no kubeconfig at ${path}: start a lab with \`netlab up\` (it writes one there), or pass --kubeconfig FILE`,
      );
    const { KubeConfig } = await import('@kubernetes/client-node');
    return new KubeClient(mergedConfig(KubeConfig, paths), paths.join(':'));
  }

  /** The @kubernetes/client-node config, for its typed APIs and informers. */
  get config(): KubeConfig {
    return this.#kc;
  }

  async #options(method: string, url: URL, init: RequestInit): Promise<RequestOptions> {
    const opts: RequestOptions & { headers: Record<string, string> } = {
      method,
      headers: { 'User-Agent': 'netlab/v1.32.0', Accept: init.accept ?? 'application/json' },
    };
    const cluster = this.#kc.getCurrentCluster();
    if (url.protocol === 'http:' && !cluster?.skipTLSVerify) {
      // kubectl speaks plain HTTP to an http:// server; client-node only does when TLS checks are
      // off, so the user's token is added here.
      const token = this.#kc.getCurrentUser()?.token;
      if (token) opts.headers.Authorization = `Bearer ${token}`;
    } else await this.#kc.applyToHTTPSOptions(opts);
    if (init.body !== undefined) opts.headers['Content-Type'] = init.contentType ?? 'application/json';
    if (init.signal) opts.signal = init.signal;
    return opts;
  }

  #unreachable(e: unknown): ClientError {
    const err = e as NodeJS.ErrnoException;
    // The hint about `netlab up` only for netlab's own context.
    const hint = this.#kc.getCurrentContext() === 'netlab' ? ': is `netlab up` running?' : '';
    return new ClientError(
      `the kube-API at ${this.server} does not answer (${err.code ?? err.message})${hint} (kubeconfig ${this.source})`,
    );
  }

  /** Starts a request; resolves with the response once its headers are in. */
  async open(method: string, path: string, init: RequestInit = {}): Promise<IncomingMessage> {
    const url = new URL(this.server + path);
    const opts = await this.#options(method, url, init);
    return new Promise((resolve, reject) => {
      const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, opts, resolve);
      req.on('error', (e) => reject(init.signal?.aborted ? e : this.#unreachable(e)));
      req.end(init.body);
    });
  }

  /** A whole response. */
  async request(method: string, path: string, init: RequestInit = {}): Promise<Response> {
    const res = await this.open(method, path, init);
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of res) {
      size += (c as Buffer).length;
      if (size > maxResponseBytes) {
        res.destroy();
        throw new ClientError(`${method} ${path}: the response is larger than 256 MiB`);
      }
      chunks.push(c as Buffer);
    }
    return {
      status: res.statusCode ?? 0,
      contentType: String(res.headers['content-type'] ?? ''),
      body: Buffer.concat(chunks).toString('utf8'),
    };
  }

  /** A JSON request; a failure Status throws ApiStatusError. */
  async json<T = unknown>(method: string, path: string, init: RequestInit = {}): Promise<T> {
    const res = await this.request(method, path, init);
    return parseResponse<T>(res, method, path);
  }

  /** A text response (logs, the lab's own endpoints); a failure Status throws ApiStatusError. */
  async text(method: string, path: string, init: RequestInit = {}): Promise<string> {
    const res = await this.request(method, path, init);
    if (res.status >= 400) parseResponse(res, method, path);
    return res.body;
  }

  /** A streamed response (watch, log -f): each line as it arrives, until the server or `signal` ends it. */
  async lines(path: string, onLine: (line: string) => void, init: RequestInit = {}): Promise<void> {
    const res = await this.open('GET', path, init);
    if ((res.statusCode ?? 0) >= 400) {
      const chunks: Buffer[] = [];
      for await (const c of res) chunks.push(c as Buffer);
      parseResponse(
        { status: res.statusCode ?? 0, contentType: '', body: Buffer.concat(chunks).toString('utf8') },
        'GET',
        path,
      );
    }
    let buf = '';
    try {
      for await (const c of res) {
        buf += (c as Buffer).toString('utf8');
        let nl = buf.indexOf('\n');
        while (nl >= 0) {
          onLine(buf.slice(0, nl));
          buf = buf.slice(nl + 1);
          nl = buf.indexOf('\n');
        }
      }
    } catch (e) {
      if (!init.signal?.aborted) throw e;
    }
    if (buf !== '') onLine(buf);
  }
}

function parseResponse<T>(res: Response, method: string, path: string): T {
  let v: unknown;
  try {
    v = JSON.parse(res.body);
  } catch {
    if (res.status >= 400)
      throw new ApiStatusError({
        code: res.status,
        message: `the server responded with ${res.status} to ${method} ${path}: ${res.body.slice(0, 200)}`,
      });
    throw new ClientError(`${method} ${path}: the answer is not JSON`);
  }
  if (res.status >= 400) {
    const s = (v ?? {}) as WireStatus;
    throw new ApiStatusError(s.kind === 'Status' ? s : { code: res.status, message: res.body.slice(0, 200) });
  }
  return v as T;
}
