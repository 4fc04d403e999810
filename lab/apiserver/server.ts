// The kube-API over the store: the HTTP surface kube-apiserver gives kubectl and client-go, for the
// kinds the store keeps. Every write goes through the store, so through the same decoding,
// defaulting, allocation and validation as `netlab validate`. Loopback by default; bound anywhere
// else it requires a bearer token.

import { once, setMaxListeners } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import fastJsonPatch from 'fast-json-patch';
import { parse as parseYAML } from 'yaml';
import {
  type AnyObject,
  apiVersionOf,
  cloneJSON,
  deepEqual,
  jsonOf,
  type Kind,
  labelSelectorAsSelector,
  mergePatch,
  StatusError,
  type Store,
} from '../../api/index.js';
import { NetlabError } from '../../std/index.js';
import { toTable } from '../printers/index.js';
import { ApplyConflictError, recordChange, recordScale, recordUpdate, serverSideApply } from './apply.js';
import type { PodLogs } from './logs.js';
import {
  type LabIntrospection,
  LabNotFoundError,
  LabRequestError,
  LabUnavailableError,
  type NetlabReply,
  netlabPrefix,
  serveNetlab,
} from './netlab.js';
import { openAPIV2, openAPIV3, openAPIV3Index } from './openapi.js';
import {
  aggregatedDiscovery,
  apiGroup,
  apiGroupList,
  apiResourceList,
  apiVersions,
  groupVersions,
  type Resource,
  resourceAt,
} from './resources.js';
import { strategicMerge } from './strategic.js';

export interface ApiServerOptions {
  store: Store;
  /** Listen address; default 127.0.0.1. Anything but loopback needs `token`. */
  host?: string;
  /** Default 0 (any free port). */
  port?: number;
  /** Bearer token clients must send (`Authorization: Bearer <token>`). */
  token?: string | undefined;
  /** Where pods/log reads from. */
  logs?: PodLogs;
  /** What the running lab answers under /apis/netlab.dev/v1alpha1 (conntrack, ip, resolve, curl). */
  lab?: LabIntrospection | undefined;
  now?: () => Date;
}

/** The server could not start as configured (a non-loopback address without a token, a taken port). */
export class ApiServerError extends NetlabError {
  override readonly name = 'ApiServerError';
  readonly code = 'NETLAB_APISERVER';
}

/** kube-apiserver's request body limit (3 MiB). */
const maxBodyBytes = 3 * 1024 * 1024;

export const serverVersion = {
  major: '1',
  minor: '32',
  gitVersion: 'v1.32.0-netlab',
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2026-12-01T00:00:00Z',
  goVersion: 'go1.23.0',
  compiler: 'gc',
  platform: 'linux/amd64',
};

function isLoopback(host: string): boolean {
  return host === 'localhost' || host.startsWith('127.') || host === '::1';
}

interface Failure {
  code: number;
  reason: string;
  message: string;
  details?: unknown;
}

function statusOf(f: Failure): unknown {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: f.message,
    reason: f.reason,
    ...(f.details ? { details: f.details } : {}),
    code: f.code,
  };
}

class HttpFailure extends NetlabError {
  readonly code = 'NETLAB_APISERVER_HTTP';
  constructor(readonly failure: Failure) {
    super(failure.message);
  }
}

const fail = (code: number, reason: string, message: string): never => {
  throw new HttpFailure({ code, reason, message });
};

interface Target {
  resource: Resource;
  namespace: string | undefined;
  name: string | undefined;
  subresource: string | undefined;
}

type Obj = Record<string, unknown> & { metadata?: Record<string, unknown> };

export class ApiServer {
  readonly store: Store;
  private readonly server: Server;
  private readonly host: string;
  private readonly port: number;
  private readonly token: string | undefined;
  private readonly logs: PodLogs | undefined;
  private readonly lab: LabIntrospection | undefined;
  private readonly now: () => Date;
  private readonly closing = new AbortController();

  constructor(opts: ApiServerOptions) {
    this.store = opts.store;
    this.host = opts.host ?? '127.0.0.1';
    this.port = opts.port ?? 0;
    this.token = opts.token;
    this.logs = opts.logs;
    this.lab = opts.lab;
    this.now = opts.now ?? (() => new Date());
    // Every open watch and log follow listens for the server's close.
    setMaxListeners(0, this.closing.signal);
    if (!isLoopback(this.host) && !this.token)
      throw new ApiServerError(`the kube-API binds ${this.host} only with a bearer token (--api-token)`);
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((e) => this.sendError(res, e));
    });
    this.server.keepAliveTimeout = 65_000;
  }

  /** Starts listening; resolves once bound. */
  async listen(): Promise<void> {
    this.server.listen(this.port, this.host);
    try {
      await once(this.server, 'listening');
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      if (err.code === 'EADDRINUSE')
        throw new ApiServerError(
          `the kube-API port ${this.host}:${this.port} is already in use (--api-listen)`,
          { cause: err },
        );
      throw e;
    }
  }

  get address(): AddressInfo {
    return this.server.address() as AddressInfo;
  }

  /** `http://127.0.0.1:PORT`. */
  get url(): string {
    const a = this.address;
    return `http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`;
  }

  async close(): Promise<void> {
    this.closing.abort();
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  // --- plumbing ----------------------------------------------------------------------------------

  private send(res: ServerResponse, code: number, body: unknown, type = 'application/json'): void {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(code, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
  }

  private sendError(res: ServerResponse, e: unknown): void {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (e instanceof StatusError) {
      this.send(res, e.status.code, e.status);
      return;
    }
    if (e instanceof HttpFailure) {
      this.send(res, e.failure.code, statusOf(e.failure));
      return;
    }
    const message = e instanceof Error ? e.message : String(e);
    this.send(
      res,
      500,
      statusOf({ code: 500, reason: 'InternalError', message: `Internal error occurred: ${message}` }),
    );
  }

  private async body(req: IncomingMessage): Promise<string> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of req) {
      size += (c as Buffer).length;
      if (size > maxBodyBytes) fail(413, 'RequestEntityTooLarge', 'the request body is too large');
      chunks.push(c as Buffer);
    }
    return Buffer.concat(chunks).toString('utf8');
  }

  private async jsonBody(req: IncomingMessage): Promise<Obj> {
    const text = await this.body(req);
    const type = (req.headers['content-type'] ?? 'application/json').split(';')[0]!.trim();
    if (
      type !== 'application/json' &&
      type !== 'application/yaml' &&
      !type.endsWith('+json') &&
      !type.endsWith('+yaml')
    )
      fail(
        415,
        'UnsupportedMediaType',
        `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml`,
      );
    try {
      const v = type.endsWith('yaml') ? parseYAML(text) : JSON.parse(text);
      if (v === null || typeof v !== 'object') throw new Error('not an object');
      return v as Obj;
    } catch (e) {
      return fail(400, 'BadRequest', `error decoding request body: ${(e as Error).message}`);
    }
  }

  // --- routing -----------------------------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (this.token !== undefined) {
      const auth = req.headers.authorization ?? '';
      if (auth !== `Bearer ${this.token}`) fail(401, 'Unauthorized', 'Unauthorized');
    }
    const url = new URL(req.url ?? '/', 'http://x');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const accept = req.headers.accept ?? '';
    const method = req.method ?? 'GET';
    if (method === 'GET') {
      switch (path) {
        case '/version':
          return this.send(res, 200, serverVersion);
        case '/healthz':
        case '/livez':
        case '/readyz':
          return this.send(res, 200, 'ok', 'text/plain; charset=utf-8');
        case '/api':
        case '/apis':
          return this.discovery(res, path === '/api', accept);
        case '/openapi/v2':
          return this.send(res, 200, openAPIV2());
        case '/openapi/v3':
          return this.send(
            res,
            200,
            openAPIV3Index((gv) => hashOf(gv)),
          );
        default:
          break;
      }
      if (path.startsWith('/openapi/v3/')) {
        const rest = path.slice('/openapi/v3/'.length);
        const gv = rest === 'api/v1' ? 'v1' : rest.startsWith('apis/') ? rest.slice(5) : '';
        const doc = gv ? openAPIV3(gv) : undefined;
        if (!doc) fail(404, 'NotFound', 'the server could not find the requested resource');
        return this.send(res, 200, doc);
      }
    }
    if (path.startsWith(netlabPrefix)) return this.netlab(req, res, path, url.searchParams);
    const segs = path.split('/').filter(Boolean).map(decodeURIComponent);
    let gv: string;
    let rest: string[];
    if (segs[0] === 'api' && segs[1] === 'v1') {
      gv = 'v1';
      rest = segs.slice(2);
    } else if (segs[0] === 'apis' && segs.length >= 2) {
      if (segs.length === 2) {
        const g = apiGroup(segs[1]!);
        if (!g || method !== 'GET') fail(404, 'NotFound', 'the server could not find the requested resource');
        return this.send(res, 200, g);
      }
      gv = `${segs[1]}/${segs[2]}`;
      rest = segs.slice(3);
    } else return fail(404, 'NotFound', 'the server could not find the requested resource');
    if (!groupVersions().some((g) => g.groupVersion === gv))
      fail(404, 'NotFound', 'the server could not find the requested resource');
    if (rest.length === 0) {
      if (method !== 'GET')
        fail(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
      return this.send(res, 200, apiResourceList(gv));
    }
    const target = this.target(gv, rest);
    return this.serve(req, res, url, target, accept);
  }

  private async netlab(
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    q: URLSearchParams,
  ): Promise<void> {
    let reply: NetlabReply;
    try {
      reply = await serveNetlab(this.lab, req, path, q);
    } catch (e) {
      if (e instanceof LabNotFoundError) return fail(404, 'NotFound', e.message);
      if (e instanceof LabUnavailableError) return fail(503, 'ServiceUnavailable', e.message);
      if (e instanceof LabRequestError)
        return fail(
          e.httpCode,
          e.httpCode === 400 ? 'BadRequest' : e.httpCode === 409 ? 'Conflict' : 'InternalError',
          e.message,
        );
      throw e;
    }
    this.send(res, reply.code, reply.body, reply.type);
  }

  private discovery(res: ServerResponse, core: boolean, accept: string): void {
    for (const v of ['v2', 'v2beta1'] as const) {
      const type = `application/json;g=apidiscovery.k8s.io;v=${v};as=APIGroupDiscoveryList`;
      if (accept.replace(/\s/g, '').includes(type)) {
        this.send(res, 200, aggregatedDiscovery(core, v), type);
        return;
      }
    }
    const a = this.address;
    this.send(res, 200, core ? apiVersions(`${a.address}:${a.port}`) : apiGroupList());
  }

  private target(gv: string, rest: string[]): Target {
    const notFound = () => fail(404, 'NotFound', 'the server could not find the requested resource');
    if (rest[0] === 'namespaces' && rest.length >= 3) {
      const r = resourceAt(gv, rest[2]!);
      if (r?.namespaced)
        return { resource: r, namespace: rest[1], name: rest[3], subresource: rest[4] ?? undefined };
    }
    const r = resourceAt(gv, rest[0]!);
    if (!r || rest.length > 3) return notFound();
    return { resource: r, namespace: undefined, name: rest[1], subresource: rest[2] };
  }

  // --- resources ---------------------------------------------------------------------------------

  private async serve(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    t: Target,
    accept: string,
  ): Promise<void> {
    const q = url.searchParams;
    const method = req.method ?? 'GET';
    const kind = t.resource.kind;
    const ns = t.resource.namespaced ? t.namespace : undefined;
    const dryRun = q.getAll('dryRun').includes('All');
    const sub = t.subresource;
    if (sub !== undefined && !(t.resource.subresources as string[]).includes(sub))
      fail(404, 'NotFound', 'the server could not find the requested resource');
    const asTable = /as=Table/.test(accept);

    if (t.name === undefined) {
      switch (method) {
        case 'GET':
          if (q.get('watch') === 'true' || q.get('watch') === '1') return this.watch(req, res, t, q, asTable);
          return this.send(res, 200, this.list(kind, ns, q, asTable));
        case 'POST': {
          const obj = await this.jsonBody(req);
          this.checkKind(obj, t.resource);
          const md = metaOf(obj);
          if (t.resource.namespaced) {
            const want = ns ?? 'default';
            if (md.namespace && md.namespace !== want)
              fail(
                400,
                'BadRequest',
                'the namespace of the provided object does not match the namespace sent on the request',
              );
            md.namespace = want;
          }
          const manager = fieldManager(q, req);
          md.managedFields = recordUpdate(
            kind,
            undefined,
            obj,
            manager,
            t.resource.groupVersion,
            stamp(this.now()),
          );
          const created = this.store.create(obj as unknown as AnyObject, { dryRun });
          return this.sendObject(res, 201, created, asTable);
        }
        case 'DELETE': {
          const items = this.store.list(kind, {
            ...(ns ? { namespace: ns } : {}),
            ...optional('labelSelector', q.get('labelSelector')),
            ...optional('fieldSelector', q.get('fieldSelector')),
          }).items;
          const out = items.map((o) =>
            this.store.delete(kind, o.metadata.name!, {
              namespace: o.metadata.namespace ?? 'default',
              dryRun,
            }),
          );
          return this.send(res, 200, {
            kind: `${kind}List`,
            apiVersion: t.resource.groupVersion,
            metadata: {},
            items: out,
          });
        }
        default:
          return fail(
            405,
            'MethodNotAllowed',
            'the server does not allow this method on the requested resource',
          );
      }
    }

    const name = t.name;
    const where = { namespace: ns ?? 'default' };
    if (sub === 'log') {
      if (method !== 'GET')
        fail(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
      return this.podLog(req, res, this.store.get('Pod', name, where.namespace) as unknown as Obj, q);
    }
    if (sub === 'scale') return this.scale(req, res, t, name, where.namespace, q);
    switch (method) {
      case 'GET':
        return this.sendObject(res, 200, this.store.get(kind, name, where.namespace), asTable);
      case 'PUT': {
        const obj = await this.jsonBody(req);
        this.checkKind(obj, t.resource);
        const md = metaOf(obj);
        if (md.name !== name)
          fail(
            400,
            'BadRequest',
            `the name of the object (${String(md.name)}) does not match the name on the URL (${name})`,
          );
        if (t.resource.namespaced) md.namespace = where.namespace;
        if (sub !== 'status') this.recordUpdateOf(t, obj, q, req);
        const out =
          sub === 'status'
            ? this.store.updateStatus(obj as unknown as AnyObject, { dryRun })
            : this.store.update(obj as unknown as AnyObject, { dryRun });
        return this.sendObject(res, 200, out, asTable);
      }
      case 'PATCH':
        return this.patch(req, res, t, name, where.namespace, q, asTable, dryRun);
      case 'DELETE': {
        const text = await this.body(req);
        let opts: Record<string, unknown> = {};
        if (text.trim()) {
          try {
            opts = JSON.parse(text) as Record<string, unknown>;
          } catch (e) {
            fail(400, 'BadRequest', `error decoding request body: ${(e as Error).message}`);
          }
        }
        const grace = q.get('gracePeriodSeconds') ?? opts.gracePeriodSeconds;
        const policy = q.get('propagationPolicy') ?? opts.propagationPolicy;
        const out = this.store.delete(kind, name, {
          namespace: where.namespace,
          dryRun: dryRun || (Array.isArray(opts.dryRun) && opts.dryRun.includes('All')),
          ...(grace !== undefined && grace !== null ? { gracePeriodSeconds: Number(grace) } : {}),
          ...(policy ? { propagationPolicy: policy as 'Background' | 'Foreground' | 'Orphan' } : {}),
          ...(opts.preconditions
            ? { preconditions: opts.preconditions as { uid?: string; resourceVersion?: string } }
            : {}),
        });
        return this.sendObject(res, 200, out, asTable);
      }
      default:
        return fail(
          405,
          'MethodNotAllowed',
          'the server does not allow this method on the requested resource',
        );
    }
  }

  private checkKind(obj: Obj, r: Resource): void {
    if (obj.kind === undefined) obj.kind = r.kind;
    if (obj.apiVersion === undefined) obj.apiVersion = r.groupVersion;
    if (obj.kind !== r.kind || obj.apiVersion !== r.groupVersion)
      fail(
        400,
        'BadRequest',
        `the API version in the data (${String(obj.apiVersion)}) does not match the expected API version (${r.groupVersion})`,
      );
  }

  private sendObject(res: ServerResponse, code: number, obj: unknown, asTable: boolean): void {
    this.send(res, code, asTable ? toTable([obj], { now: this.now() }) : obj);
  }

  private list(kind: Kind, ns: string | undefined, q: URLSearchParams, asTable: boolean): unknown {
    const cont = q.get('continue');
    const token = cont ? decodeContinue(cont) : undefined;
    const limit = Number(q.get('limit') ?? 0);
    const { items, resourceVersion, continueAfter, remainingItemCount } = this.store.list(kind, {
      ...(ns ? { namespace: ns } : {}),
      ...optional('labelSelector', q.get('labelSelector')),
      ...optional('fieldSelector', q.get('fieldSelector')),
      ...(limit > 0 ? { limit } : {}),
      ...(token ? { after: token.start } : {}),
    });
    // A continued list reports the first page's resourceVersion, as kube-apiserver's do.
    const rv = token?.rv ?? resourceVersion;
    const meta: Record<string, unknown> = { resourceVersion: rv };
    if (continueAfter !== undefined) {
      meta.continue = encodeContinue(rv, continueAfter);
      if (remainingItemCount !== undefined) meta.remainingItemCount = remainingItemCount;
    }
    const page = items;
    const gv = (items[0] as AnyObject | undefined)?.apiVersion ?? apiVersionOf[kind];
    if (asTable) {
      const include = (q.get('includeObject') ?? 'Metadata') as 'None' | 'Metadata' | 'Object';
      return toTable(page, { now: this.now(), kind, includeObject: include, listMeta: meta });
    }
    return { kind: `${kind}List`, apiVersion: gv, metadata: meta, items: page };
  }

  private async watch(
    req: IncomingMessage,
    res: ServerResponse,
    t: Target,
    q: URLSearchParams,
    asTable: boolean,
  ): Promise<void> {
    const abort = new AbortController();
    const onClose = () => abort.abort();
    req.on('close', onClose);
    this.closing.signal.addEventListener('abort', onClose, { once: true });
    const timeout = Number(q.get('timeoutSeconds') ?? 0);
    // kube-apiserver closes a watch after --min-request-timeout (1800 s) at most, randomized.
    const seconds = timeout > 0 ? timeout : 1800;
    const timer = setTimeout(onClose, seconds * 1000);
    timer.unref();
    const ns = t.resource.namespaced ? t.namespace : undefined;
    const rv = q.get('resourceVersion');
    res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
    res.flushHeaders();
    try {
      let events: AsyncIterable<{ type: string; object: unknown }>;
      try {
        events = this.store.watch(t.resource.kind, {
          ...(ns ? { namespace: ns } : {}),
          ...optional('labelSelector', q.get('labelSelector')),
          ...optional('fieldSelector', q.get('fieldSelector')),
          ...optional('resourceVersion', rv),
          allowWatchBookmarks: q.get('allowWatchBookmarks') === 'true',
          signal: abort.signal,
        });
      } catch (e) {
        // A watch from a compacted resourceVersion answers with one ERROR event (410), as the watch cache does.
        if (e instanceof StatusError) {
          res.end(`${JSON.stringify({ type: 'ERROR', object: e.status })}\n`);
          return;
        }
        throw e;
      }
      let first = true;
      // Events that arrive in one turn of the event loop leave in one write, not one each.
      let corked = false;
      const uncork = () => {
        corked = false;
        res.uncork();
      };
      for await (const ev of events) {
        if (!corked) {
          corked = true;
          res.cork();
          setImmediate(uncork);
        }
        let object = ev.object;
        if (asTable && ev.type !== 'BOOKMARK') {
          const table = toTable([object], { now: this.now(), noHeaders: !first });
          first = false;
          object = table;
        }
        // The same text as JSON.stringify({type, object}); a stored object's JSON is made once for
        // every watcher of it.
        const line =
          object !== null && typeof object === 'object'
            ? `{"type":${JSON.stringify(ev.type)},"object":${jsonOf(object)}}\n`
            : `${JSON.stringify({ type: ev.type, object })}\n`;
        if (!res.write(line)) {
          await Promise.race([
            once(res, 'drain'),
            once(abort.signal as unknown as NodeJS.EventEmitter, 'abort').catch(() => {}),
          ]);
          if (abort.signal.aborted) break;
        }
      }
      res.end();
    } finally {
      clearTimeout(timer);
      req.off('close', onClose);
      this.closing.signal.removeEventListener('abort', onClose);
    }
  }

  private async patch(
    req: IncomingMessage,
    res: ServerResponse,
    t: Target,
    name: string,
    namespace: string,
    q: URLSearchParams,
    asTable: boolean,
    dryRun: boolean,
  ): Promise<void> {
    const kind = t.resource.kind;
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim();
    const text = await this.body(req);
    const current = this.store.find(kind, name, namespace) as unknown as Obj | undefined;
    if (type === 'application/apply-patch+yaml') {
      let applied: Obj;
      try {
        applied = parseYAML(text) as Obj;
      } catch (e) {
        return fail(400, 'BadRequest', `error decoding YAML: ${(e as Error).message}`);
      }
      if (!applied || typeof applied !== 'object')
        return fail(400, 'BadRequest', 'the applied configuration is not an object');
      this.checkKind(applied, t.resource);
      const md = metaOf(applied);
      if (md.name !== undefined && md.name !== name)
        fail(
          400,
          'BadRequest',
          `the name of the object (${String(md.name)}) does not match the name on the URL (${name})`,
        );
      md.name = name;
      if (t.resource.namespaced) md.namespace = namespace;
      const manager = q.get('fieldManager');
      if (!manager)
        fail(400, 'BadRequest', 'PATCH, application/apply-patch+yaml requires fieldManager to be set');
      const force = q.get('force') === 'true';
      let result: ReturnType<typeof serverSideApply>;
      try {
        result = serverSideApply(kind, current, applied, manager!, stamp(this.now()), force);
      } catch (e) {
        if (!(e instanceof ApplyConflictError)) throw e;
        throw new HttpFailure({
          code: 409,
          reason: 'Conflict',
          message: e.message,
          details: {
            causes: e.conflicts.map((c) => ({
              reason: 'FieldManagerConflict',
              message: `conflict with ${c.manager}`,
              field: c.field,
            })),
          },
        });
      }
      (result.object.metadata as Record<string, unknown>).managedFields = result.managedFields;
      if (!current) {
        delete (result.object.metadata as Record<string, unknown>).resourceVersion;
        return this.sendObject(
          res,
          201,
          this.store.create(result.object as unknown as AnyObject, { dryRun }),
          asTable,
        );
      }
      // An apply that changes nothing but the time of its managedFields entry is not a write: the
      // object keeps its resourceVersion, as kube-apiserver's no-op apply.
      if (unchangedByApply(current, result.object)) return this.sendObject(res, 200, current, asTable);
      return this.sendObject(res, 200, this.writeBack(t, result.object, current, dryRun), asTable);
    }
    if (!current) return void this.store.get(kind, name, namespace);
    let patch: unknown;
    try {
      patch = JSON.parse(text);
    } catch (e) {
      return fail(400, 'BadRequest', `error decoding patch: ${(e as Error).message}`);
    }
    let next: Obj;
    const base = cloneJSON(current) as Obj;
    switch (type) {
      case 'application/merge-patch+json':
        next = mergePatch(base, patch) as Obj;
        break;
      case 'application/strategic-merge-patch+json':
        next = strategicMerge(kind, base, patch) as Obj;
        break;
      case 'application/json-patch+json':
        try {
          next = fastJsonPatch.applyPatch(base, patch as fastJsonPatch.Operation[], true, false)
            .newDocument as Obj;
        } catch (e) {
          return fail(
            422,
            'Invalid',
            `the server rejected our request due to an error in our request: ${(e as Error).message.split('\n')[0]}`,
          );
        }
        break;
      default:
        return fail(
          415,
          'UnsupportedMediaType',
          `the server does not support the patch type ${JSON.stringify(type)}`,
        );
    }
    if (next === null || typeof next !== 'object')
      return fail(400, 'BadRequest', 'the patch did not give an object');
    if (t.subresource !== 'status') this.recordUpdateOf(t, next, q, req, current);
    return this.sendObject(res, 200, this.writeBack(t, next, current, dryRun), asTable);
  }

  /**
   * An Update's managedFields on `next` (PUT body or patched object): the fields it changes against
   * the live object move to the request's field manager. Managed fields the request leaves out are
   * the live object's.
   */
  private recordUpdateOf(t: Target, next: Obj, q: URLSearchParams, req: IncomingMessage, live?: Obj): void {
    const kind = t.resource.kind;
    const md = metaOf(next);
    const current =
      live ??
      (this.store.find(kind, String(md.name ?? ''), String(md.namespace ?? '')) as unknown as
        | Obj
        | undefined);
    if (!current) return;
    md.managedFields = recordChange(
      kind,
      (md.managedFields ?? current.metadata?.managedFields) as never,
      current,
      next,
      fieldManager(q, req),
      t.resource.groupVersion,
      stamp(this.now()),
    );
  }

  /** Writes a patched object: a resourceVersion the patch did not set is the current one (no lost update). */
  private writeBack(t: Target, next: Obj, current: Obj, dryRun: boolean): unknown {
    const md = metaOf(next);
    if (md.resourceVersion === undefined) md.resourceVersion = current.metadata?.resourceVersion;
    if (t.subresource === 'status') return this.store.updateStatus(next as unknown as AnyObject, { dryRun });
    return this.store.update(next as unknown as AnyObject, { dryRun });
  }

  private scaleOf(o: Obj): unknown {
    const md = o.metadata ?? {};
    const spec = (o.spec ?? {}) as Record<string, unknown>;
    const status = (o.status ?? {}) as Record<string, unknown>;
    let selector = '';
    try {
      selector = labelSelectorAsSelector(spec.selector as never).toString();
    } catch {}
    return {
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      metadata: {
        name: md.name,
        namespace: md.namespace,
        uid: md.uid,
        resourceVersion: md.resourceVersion,
        creationTimestamp: md.creationTimestamp,
      },
      spec: { replicas: spec.replicas ?? 0 },
      status: { replicas: status.replicas ?? 0, selector },
    };
  }

  private async scale(
    req: IncomingMessage,
    res: ServerResponse,
    t: Target,
    name: string,
    namespace: string,
    q: URLSearchParams,
  ): Promise<void> {
    const kind = t.resource.kind;
    const cur = this.store.get(kind, name, namespace) as unknown as Obj;
    const method = req.method ?? 'GET';
    if (method === 'GET') return this.send(res, 200, this.scaleOf(cur));
    let scale: Obj;
    if (method === 'PUT') scale = await this.jsonBody(req);
    else if (method === 'PATCH') {
      const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim();
      const text = await this.body(req);
      let patch: unknown;
      try {
        patch = type === 'application/apply-patch+yaml' ? parseYAML(text) : JSON.parse(text);
      } catch (e) {
        return fail(400, 'BadRequest', `error decoding patch: ${(e as Error).message}`);
      }
      const base = this.scaleOf(cur) as Obj;
      scale =
        type === 'application/json-patch+json'
          ? (fastJsonPatch.applyPatch(base, patch as fastJsonPatch.Operation[], true, false)
              .newDocument as Obj)
          : (mergePatch(base, patch) as Obj);
    } else
      return fail(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
    const replicas = (scale.spec as { replicas?: unknown } | undefined)?.replicas;
    if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0)
      fail(
        422,
        'Invalid',
        `Scale.autoscaling "${name}" is invalid: spec.replicas: Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0`,
      );
    const want = (scale.metadata as Record<string, unknown> | undefined)?.resourceVersion;
    const next = cloneJSON(cur) as Obj;
    if ((next.spec as Record<string, unknown>).replicas !== replicas) {
      // The scale writer now owns .spec.replicas, as kube-apiserver records it.
      const md = next.metadata as Record<string, unknown>;
      md.managedFields = recordScale(
        md.managedFields as never,
        fieldManager(q, req),
        t.resource.groupVersion,
        stamp(this.now()),
      );
    }
    (next.spec as Record<string, unknown>).replicas = replicas;
    (next.metadata as Record<string, unknown>).resourceVersion = want ?? cur.metadata?.resourceVersion;
    const out = this.store.update(next as unknown as AnyObject, {
      dryRun: q.getAll('dryRun').includes('All'),
    });
    return this.send(res, 200, this.scaleOf(out as unknown as Obj));
  }

  private async podLog(
    req: IncomingMessage,
    res: ServerResponse,
    pod: Obj,
    q: URLSearchParams,
  ): Promise<void> {
    const md = pod.metadata as { name: string; namespace: string; uid?: string };
    // This pod's lines: not those of an earlier pod of its name that is still being torn down.
    const uid = md.uid ?? '';
    const containers = ((pod.spec as { containers?: { name: string }[] } | undefined)?.containers ?? []).map(
      (c) => c.name,
    );
    let container = q.get('container') ?? '';
    if (!container) {
      if (containers.length !== 1)
        fail(
          400,
          'BadRequest',
          `a container name must be specified for pod ${md.name}, choose one of: [${containers.join(' ')}]`,
        );
      container = containers[0]!;
    } else if (!containers.includes(container))
      fail(400, 'BadRequest', `container ${container} is not valid for pod ${md.name}`);
    const timestamps = q.get('timestamps') === 'true';
    const line = (l: { time: Date; text: string }) =>
      `${
        timestamps
          ? `${l.time
              .toISOString()
              .replace('Z', '000000Z')
              .replace(/\.(\d{3})000000Z$/, '.$1000000Z')} `
          : ''
      }${l.text}\n`;
    const tail = q.get('tailLines');
    const since = q.get('sinceSeconds');
    const lines =
      this.logs?.read(md.namespace, md.name, container, {
        uid,
        ...(tail !== null ? { tailLines: Number(tail) } : {}),
        ...(since !== null ? { sinceSeconds: Number(since), now: this.now() } : {}),
      }) ?? [];
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Transfer-Encoding': 'chunked' });
    for (const l of lines) res.write(line(l));
    if (q.get('follow') !== 'true' || !this.logs) return void res.end();
    const logs = this.logs;
    await new Promise<void>((resolve) => {
      const stop = logs.follow(md.namespace, md.name, container, (l) => res.write(line(l)), uid);
      // The stream ends when the client goes, the server stops, or the pod is gone.
      const abort = new AbortController();
      const done = () => {
        stop();
        abort.abort();
        resolve();
      };
      req.on('close', done);
      this.closing.signal.addEventListener('abort', done, { once: true });
      (async () => {
        try {
          for await (const ev of this.store.watch('Pod', {
            namespace: md.namespace,
            fieldSelector: `metadata.name=${md.name}`,
            resourceVersion: this.store.resourceVersion,
            signal: abort.signal,
          }))
            if (ev.type === 'DELETED') return done();
        } catch {}
      })();
    });
    res.end();
  }
}

/** The object as an apply compares it: managedFields without their times, resourceVersion aside. */
function applyView(o: Obj): unknown {
  const md = { ...(o.metadata ?? {}) };
  delete md.resourceVersion;
  md.managedFields = ((md.managedFields ?? []) as Record<string, unknown>[]).map(({ time: _, ...m }) => m);
  return { ...o, metadata: md };
}

function unchangedByApply(current: Obj, next: Obj): boolean {
  return deepEqual(applyView(current), applyView(next));
}

function metaOf(o: Obj): Record<string, unknown> {
  if (o.metadata === undefined || o.metadata === null || typeof o.metadata !== 'object') o.metadata = {};
  return o.metadata;
}

function optional<K extends string>(key: K, v: string | null): { [P in K]?: string } {
  return (v === null || v === '' ? {} : { [key]: v }) as { [P in K]?: string };
}

function stamp(d: Date): string {
  return `${d.toISOString().slice(0, 19)}Z`;
}

function hashOf(gv: string): string {
  let h = 2166136261;
  for (const c of `${serverVersion.gitVersion}/${gv}`) h = Math.imul(h ^ c.charCodeAt(0), 16777619) >>> 0;
  return h.toString(16).toUpperCase().padStart(16, '0');
}

/** The manager a write is recorded under: ?fieldManager, else the client's name from its User-Agent. */
function fieldManager(q: URLSearchParams, req: IncomingMessage): string {
  const m = q.get('fieldManager');
  if (m) return m;
  const ua = req.headers['user-agent'] ?? 'unknown';
  return ua.split('/')[0]!.slice(0, 128) || 'unknown';
}

function encodeContinue(rv: string, start: string): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv: Number(rv), start })).toString('base64url');
}

function decodeContinue(token: string): { rv: string; start: string } {
  try {
    const v = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as {
      rv?: unknown;
      start?: unknown;
    };
    if (typeof v.start !== 'string' || typeof v.rv !== 'number') throw new Error('bad token');
    return { rv: String(v.rv), start: v.start };
  } catch {
    return fail(
      400,
      'BadRequest',
      'continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)',
    );
  }
}
