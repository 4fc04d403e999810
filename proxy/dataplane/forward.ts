// The HTTP forward proxy (HTTP_PROXY=http://127.0.0.1:8080): it acts as a client pod. It reads only
// the first request head, enough to choose the destination (a ClusterIP, a pod IP, or a name resolved
// as that pod resolves it), rewrites an absolute-form request line to origin-form, puts the bytes back
// (unshift) and hands the client socket itself to the destination pod's server, as a NodePort does:
// the pod's HTTP parser reads the rest directly, so requests on one client connection to one
// destination share one emulated connection and keep-alive survives the proxy. CONNECT tunnels the
// same way after its 200.
//
// A later request on that connection is parsed by that pod's server; a hook on the server's `request`
// event rewrites its URL to origin-form when it is for the same destination, and otherwise forwards
// it to its own destination through a new emulated connection (the slow path) instead of letting the
// first pod answer it.
//
// Never an open proxy: a destination the cluster's rules do not take and that is not in the pod
// network gets 403. Malformed heads get 400, heads over `maxHeaderBytes` 431, a head not complete
// within `headersTimeoutMs` 408.
import {
  type Server as HttpServer,
  request as httpRequest,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import { createServer, isIP, type Server, type Socket } from 'node:net';
import type { Dataplane, PodRef } from './dataplane.js';
import { formatConnectionEvent, stopListening } from './dataplane.js';

export interface ForwardProxyOptions {
  readonly dataplane: Dataplane;
  /** The client pod the proxy acts as (default/netlab-client); undefined until it has an address. */
  readonly client: () => PodRef | undefined;
  /** That pod's name lookup (its resolv.conf against cluster DNS); default: IP literals only. */
  readonly resolve?: (name: string) => Promise<readonly string[]>;
  readonly host?: string;
  /** Default 8080; 0 picks one. */
  readonly port?: number;
  /** Node's default --max-http-header-size. */
  readonly maxHeaderBytes?: number;
  readonly headersTimeoutMs?: number;
}

interface Target {
  readonly connect: boolean;
  /** As the client wrote it (`web`, `web:80`, `10.96.0.10:53`). */
  readonly authority: string;
  readonly host: string;
  readonly port: number;
}

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  403: 'Forbidden',
  404: 'Not Found',
  408: 'Request Timeout',
  431: 'Request Header Fields Too Large',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

const HEAD_END = Buffer.from('\r\n\r\n');
// Hop-by-hop headers (RFC 9110 7.6.1) belong to one connection and are not forwarded.
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

function endToEnd(h: Record<string, string | string[] | undefined>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined && !HOP_BY_HOP.has(k)) out[k] = v;
  return out;
}
const REQUEST_LINE = /^([A-Z]+) (\S+) HTTP\/1\.[01]$/;
const HEADER_LINE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+:[\t\x20-\x7e\x80-\xff]*$/;

function answer(socket: Socket, status: number, message: string): void {
  const body = `${message}\n`;
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  socket.end(
    `HTTP/1.1 ${status} ${REASONS[status] ?? ''}\r\ncontent-type: text/plain\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
  socket.destroySoon();
}

/** `host[:port]`, with IPv6 in brackets. */
function splitAuthority(a: string, defaultPort: number): { host: string; port: number } | undefined {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]/]+))(?::(\d{1,5}))?$/.exec(a);
  if (m === null) return undefined;
  const port = m[3] === undefined ? defaultPort : Number(m[3]);
  if (port < 1 || port > 65535) return undefined;
  return { host: (m[1] ?? m[2]!).toLowerCase(), port };
}

/** The destination of an absolute-form URL: `http://authority/path` -> authority and origin-form path. */
function absolute(url: string): { authority: string; path: string } | undefined {
  if (!url.startsWith('http://')) return undefined;
  const rest = url.slice(7);
  const slash = rest.search(/[/?]/);
  const authority = slash < 0 ? rest : rest.slice(0, slash);
  let path = slash < 0 ? '/' : rest.slice(slash);
  if (path.startsWith('?')) path = `/${path}`;
  return { authority, path };
}

export class ForwardProxy {
  readonly #dp: Dataplane;
  readonly #client: () => PodRef | undefined;
  readonly #resolve: (name: string) => Promise<readonly string[]>;
  readonly #host: string;
  readonly #port: number;
  readonly #maxHeader: number;
  readonly #headersTimeout: number;
  readonly #server: Server;
  /** Sockets handed to a pod's server: the authority their first request named. */
  readonly #proxied = new WeakMap<Socket, string>();
  readonly #intercepted = new WeakSet<object>();
  readonly #streams = new Set<ServerResponse | Socket>();

  constructor(opts: ForwardProxyOptions) {
    this.#dp = opts.dataplane;
    this.#client = opts.client;
    this.#resolve = opts.resolve ?? (async () => []);
    this.#host = opts.host ?? '127.0.0.1';
    this.#port = opts.port ?? 8080;
    this.#maxHeader = opts.maxHeaderBytes ?? 16384;
    this.#headersTimeout = opts.headersTimeoutMs ?? 10_000;
    this.#server = createServer({ noDelay: true }, (s) => this.#onConnection(s));
  }

  /** Binds; resolves with the address. A port in use rejects with EADDRINUSE. */
  async listen(): Promise<{ host: string; port: number }> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(this.#port, this.#host, () => {
        this.#server.off('error', reject);
        resolve();
      });
    });
    const a = this.#server.address();
    return { host: this.#host, port: typeof a === 'object' && a !== null ? a.port : this.#port };
  }

  async close(): Promise<void> {
    for (const s of this.#streams) s.destroy();
    await stopListening(this.#server);
  }

  #onConnection(socket: Socket): void {
    socket.on('error', () => {});
    let buf: Buffer | undefined;
    const timer = setTimeout(() => {
      socket.off('data', onData);
      answer(socket, 408, 'request head not received in time');
    }, this.#headersTimeout);
    const onData = (chunk: Buffer) => {
      const from = buf === undefined ? 0 : Math.max(0, buf.length - 3);
      buf = buf === undefined ? chunk : Buffer.concat([buf, chunk]);
      const end = buf.indexOf(HEAD_END, from);
      if (end < 0) {
        if (buf.length > this.#maxHeader) {
          clearTimeout(timer);
          socket.off('data', onData);
          answer(socket, 431, `request head larger than ${this.#maxHeader} bytes`);
        }
        return;
      }
      clearTimeout(timer);
      socket.off('data', onData);
      socket.pause();
      if (end + 4 > this.#maxHeader) {
        answer(socket, 431, `request head larger than ${this.#maxHeader} bytes`);
        return;
      }
      const head = buf.subarray(0, end + 4);
      const rest = buf.subarray(end + 4);
      this.#onHead(socket, head, rest).catch(() => answer(socket, 502, 'proxy error'));
    };
    socket.on('data', onData);
    socket.once('close', () => clearTimeout(timer));
  }

  async #onHead(socket: Socket, head: Buffer, rest: Buffer): Promise<void> {
    const text = head.toString('latin1');
    const lines = text.slice(0, -4).split('\r\n');
    const m = REQUEST_LINE.exec(lines[0]!);
    if (m === null || lines.slice(1).some((l) => !HEADER_LINE.test(l))) {
      answer(socket, 400, 'malformed request');
      return;
    }
    const method = m[1]!;
    const url = m[2]!;
    let target: Target | undefined;
    let requestLine: string | undefined;
    if (method === 'CONNECT') {
      const a = splitAuthority(url, 0);
      if (a !== undefined && a.port !== 0) target = { connect: true, authority: url, ...a };
    } else if (url.startsWith('/')) {
      if (url.startsWith('/netlab/')) {
        this.#serveOwn(socket, url);
        return;
      }
      // Origin-form through the proxy: the Host header names the destination.
      const host = lines
        .find((l) => /^host:/i.test(l))
        ?.slice(5)
        .trim();
      const a = host === undefined ? undefined : splitAuthority(host, 80);
      if (a !== undefined && host !== undefined) target = { connect: false, authority: host, ...a };
    } else {
      const abs = absolute(url);
      const a = abs === undefined ? undefined : splitAuthority(abs.authority, 80);
      if (abs !== undefined && a !== undefined) {
        target = { connect: false, authority: abs.authority, ...a };
        requestLine = `${method} ${abs.path} ${lines[0]!.slice(-8)}`;
      }
    }
    if (target === undefined) {
      answer(socket, 400, `bad request target "${url}"`);
      return;
    }
    const client = this.#client();
    if (client === undefined) {
      answer(socket, 503, 'the proxy client pod has no address yet');
      return;
    }
    const ip = await this.#lookup(target.host);
    if (ip === undefined) {
      answer(socket, 403, `${target.host}: not a destination in the cluster`);
      return;
    }
    const d = this.#dp.route(client, ip, target.port);
    if (!this.#dp.inCluster(d)) {
      this.#dp.notify(d, 'proxy', false);
      answer(socket, 403, `${target.host}: not a destination in the cluster`);
      return;
    }
    const server =
      d.verdict === 'DNAT' || d.verdict === 'ACCEPT' ? this.#dp.pods.tcp(d.dst.ip, d.dst.port) : undefined;
    if (server === undefined) {
      this.#dp.notify(d, 'proxy', false);
      if (d.verdict === 'DROP') {
        const t = setTimeout(
          () => answer(socket, 504, `${target.authority}: no answer`),
          this.#dp.dropTimeoutMs,
        );
        socket.once('close', () => clearTimeout(t));
      } else answer(socket, 502, `${target.authority}: connection refused`);
      return;
    }
    if (target.connect) {
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (rest.length > 0) socket.unshift(rest);
    } else {
      const h =
        requestLine === undefined ? head : Buffer.from(requestLine + text.slice(lines[0]!.length), 'latin1');
      socket.unshift(rest.length > 0 ? Buffer.concat([h, rest]) : h);
      this.#proxied.set(socket, target.authority);
      this.#intercept(server);
    }
    this.#dp.deliver(socket, d, 'proxy', server);
    socket.resume();
  }

  async #lookup(host: string): Promise<string | undefined> {
    if (isIP(host) !== 0) return host;
    try {
      const ips = await this.#resolve(host);
      return ips[0];
    } catch {
      return undefined;
    }
  }

  // Later requests on a proxied connection: same destination -> origin-form URL for the pod's app;
  // another destination -> forwarded there, the first pod's app never sees it.
  #intercept(server: Server): void {
    if (this.#intercepted.has(server)) return;
    this.#intercepted.add(server);
    const emit = server.emit as (this: Server, event: string | symbol, ...args: unknown[]) => boolean;
    const self = this;
    server.emit = function (this: Server, event: string | symbol, ...args: unknown[]): boolean {
      if (event === 'request') {
        const req = args[0] as IncomingMessage;
        const authority = self.#proxied.get(req.socket as Socket);
        const abs = authority === undefined ? undefined : absolute(req.url ?? '');
        if (abs !== undefined) {
          if (abs.authority === authority) req.url = abs.path;
          else {
            self.#elsewhere(req, args[1] as ServerResponse, abs.authority, abs.path);
            return true;
          }
        }
      }
      return emit.call(this, event, ...args);
    } as typeof server.emit;
    (server as HttpServer).on('close', () => this.#intercepted.delete(server));
  }

  // The slow path: one request to another destination, through a new emulated connection.
  #elsewhere(req: IncomingMessage, res: ServerResponse, authority: string, path: string): void {
    const fail = (status: number, message: string) => {
      if (res.headersSent) res.destroy();
      else res.writeHead(status, { 'content-type': 'text/plain' }).end(`${message}\n`);
    };
    const a = splitAuthority(authority, 80);
    const client = this.#client();
    if (a === undefined || client === undefined) {
      fail(400, `bad request target "${authority}"`);
      req.resume();
      return;
    }
    this.#lookup(a.host)
      .then((ip) => {
        if (ip === undefined) {
          fail(403, `${a.host}: not a destination in the cluster`);
          req.resume();
          return;
        }
        const up = httpRequest(
          {
            method: req.method,
            path,
            headers: endToEnd(req.headers),
            createConnection: () => this.#dp.dial(client, ip, a.port, { via: 'proxy' }),
          },
          (ures) => {
            res.writeHead(ures.statusCode ?? 502, endToEnd(ures.headers));
            ures.pipe(res);
          },
        );
        up.on('error', (e: NodeJS.ErrnoException) => {
          if (e.code === 'ENETUNREACH') fail(403, `${a.host}: not a destination in the cluster`);
          else fail(e.code === 'ETIMEDOUT' ? 504 : 502, `${authority}: ${e.code ?? e.message}`);
        });
        req.pipe(up);
      })
      .catch((e: unknown) => fail(502, `${authority}: ${(e as Error).message}`));
  }

  // The proxy's own pages: the live connection log (`netlab trace --live`) and the counters.
  #serveOwn(socket: Socket, url: string): void {
    if (url === '/netlab/counters') {
      const body = `${JSON.stringify(this.#dp.counters())}\n`;
      socket.end(
        `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
      );
      return;
    }
    if (url !== '/netlab/connections') {
      answer(socket, 404, `${url}: not found (the proxy serves /netlab/connections and /netlab/counters)`);
      return;
    }
    socket.write('HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\n');
    this.#streams.add(socket);
    const off = this.#dp.subscribe((e) => {
      // A reader that does not keep up loses lines rather than grow the buffer.
      if (socket.writableLength < 1 << 20) socket.write(`${formatConnectionEvent(e)}\n`);
    });
    socket.resume();
    socket.once('close', () => {
      off();
      this.#streams.delete(socket);
    });
  }
}
