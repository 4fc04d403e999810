// registry.k8s.io/e2e-test-images/agnhost: the subcommands network tests use, answering as agnhost
// does (test/images/agnhost/netexec/netexec.go, serve-hostname/serve_hostname.go, pause): same
// paths, bodies, status codes and headers Go's net/http writes. /shell and /upload are not served
// (the lab runs no shell). Experiment knobs, netlab's own: a response delay, a failure rate,
// readiness and liveness switched at run time (/set-ready?ready=false, /set-healthy?healthy=false),
// and a process that ignores SIGTERM.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTcpServer, type Socket } from 'node:net';
import { type Flow, flowOf } from '../../proxy/index.js';
import { joinHostPort, seededRandom } from '../../std/index.js';
import type { App, ContainerContext, Image } from './app.js';
import { Flags, withoutBinary } from './flags.js';

const textPlain = 'text/plain; charset=utf-8';

/** The client address the pod sees: the data plane's emulated source, else the real peer. */
export function clientOf(socket: Socket): string {
  const f = flowOf(socket);
  if (f) return joinHostPort(f.src.ip, f.src.port);
  return joinHostPort((socket.remoteAddress ?? '').replace(/^::ffff:/, ''), socket.remotePort ?? 0);
}

/** A body written with fmt.Fprint and no Content-Type: Go sniffs text/plain. */
function text(res: ServerResponse, body: string, code = 200): void {
  res.statusCode = code;
  if (body.length > 0) res.setHeader('Content-Type', textPlain);
  res.end(body);
}

/** http.Error: nosniff, the message and a newline. */
function httpError(res: ServerResponse, msg: string, code: number): void {
  res.statusCode = code;
  res.setHeader('Content-Type', textPlain);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.end(`${msg}\n`);
}

const statusText: Record<number, string> = {
  301: 'Moved Permanently',
  302: 'Found',
  303: 'See Other',
  307: 'Temporary Redirect',
  308: 'Permanent Redirect',
};

function htmlEscape(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&#34;', "'": '&#39;' })[c]!,
  );
}

/** Go's time.Time String() with its monotonic reading, as `fmt.Fprintf("%v", time.Now())` prints it. */
function goNow(startedAt: number): string {
  const d = new Date();
  const iso = d.toISOString();
  const frac = iso.slice(20, 23).replace(/0+$/, '');
  const wall = `${iso.slice(0, 10)} ${iso.slice(11, 19)}${frac ? `.${frac}` : ''} +0000 UTC`;
  return `${wall} m=+${((performance.now() - startedAt) / 1000).toFixed(9)}`;
}

/** Go's canonical MIME header key: `x-forwarded-for` -> `X-Forwarded-For`. */
function canonicalHeaderKey(k: string): string {
  return k.toLowerCase().replace(/(^|-)([a-z])/g, (_, dash: string, c: string) => dash + c.toUpperCase());
}

/** Go's r.Header as json.Marshal writes it: canonical keys, sorted, each a list of values. */
function headerJSON(req: IncomingMessage): string {
  const h = new Map<string, string[]>();
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const k = canonicalHeaderKey(req.rawHeaders[i]!);
    if (k === 'Host') continue;
    const list = h.get(k) ?? [];
    list.push(req.rawHeaders[i + 1]!);
    h.set(k, list);
  }
  return JSON.stringify(Object.fromEntries([...h].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))));
}

/** The knobs every agnhost HTTP server here honours (env or flags). */
interface Knobs {
  delayMs: number;
  failureRate: number;
  ignoreSigterm: boolean;
}

/** The knobs of containers that set none of the knobs' env variables, per Flags: shared, frozen. */
const flagKnobs = new WeakMap<Flags, Knobs>();

function knobs(ctx: ContainerContext, flags: Flags): Knobs {
  const env = ctx.env;
  const fromFlags =
    env.NETLAB_RESPONSE_DELAY_MS === undefined &&
    env.NETLAB_FAILURE_RATE === undefined &&
    env.NETLAB_IGNORE_SIGTERM === undefined;
  if (fromFlags) {
    const kept = flagKnobs.get(flags);
    if (kept !== undefined) return kept;
  }
  const num = (name: string, flag: string) => {
    const v = Number(flags.string(flag, env[name] ?? ''));
    return Number.isFinite(v) && v > 0 ? v : 0;
  };
  const k: Knobs = {
    delayMs: num('NETLAB_RESPONSE_DELAY_MS', 'netlab-response-delay-ms'),
    failureRate: Math.min(1, num('NETLAB_FAILURE_RATE', 'netlab-failure-rate')),
    ignoreSigterm: flags.bool('netlab-ignore-sigterm', (env.NETLAB_IGNORE_SIGTERM ?? '') === 'true'),
  };
  if (fromFlags) flagKnobs.set(flags, Object.freeze(k));
  return k;
}

function seedOf(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** Wraps a handler with the delay and failure-rate knobs. */
function withKnobs(
  ctx: ContainerContext,
  k: Knobs,
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): (req: IncomingMessage, res: ServerResponse) => void {
  if (k.delayMs === 0 && k.failureRate === 0) return handler;
  const random = seededRandom(seedOf(`${ctx.pod.metadata.namespace}/${ctx.pod.metadata.name}`));
  return (req, res) => {
    const go = () => {
      if (k.failureRate > 0 && random() < k.failureRate) httpError(res, 'netlab: injected failure', 500);
      else handler(req, res);
    };
    if (k.delayMs > 0) setTimeout(go, k.delayMs);
    else go();
  };
}

const netexecRoutes = new Set([
  '/',
  '/clientip',
  '/dial',
  '/echo',
  '/exit',
  '/header',
  '/healthz',
  '/readyz',
  '/hostname',
  '/hostName',
  '/redirect',
  '/shutdown',
  '/set-ready',
  '/set-healthy',
]);

/** The log line netexec starts with, per port (kept by every pod's log: one string, not one a pod). */
const startedLines = new Map<number, string>();
function startedLine(port: number): string {
  let line = startedLines.get(port);
  if (line === undefined) {
    line = `Started HTTP server on port ${port}`;
    startedLines.set(port, line);
  }
  return line;
}

/** netexec's flags and the ports they name. */
interface NetexecArgs {
  flags: Flags;
  httpPort: number;
  udpPort: number;
  delayShutdown: number;
}

/** netexec's flags, read once per frozen argument list (a ReplicaSet's pods share their template's). */
const netexecArgs = new WeakMap<readonly string[], NetexecArgs>();

/**
 * A netexec process: its switches and its App (SIGTERM, exec), one object a container; the
 * closures the image API takes (the server factory, the UDP handler) hold only it.
 */
class Netexec implements App {
  // serverReady: set once the UDP server runs (at once here: its socket is the kubelet's to bind).
  serverReady = true;
  terminating = false;
  ready = true;
  healthy = true;
  readonly startedAt = performance.now();

  constructor(
    readonly ctx: ContainerContext,
    readonly k: Knobs,
    readonly delayShutdown: number,
  ) {}

  /** The HTTP server, made on the port's first connection (the handler too is made only then). */
  server(): Server {
    const ctx = this.ctx;
    return createServer(
      withKnobs(ctx, this.k, (req: IncomingMessage, res: ServerResponse) => {
        const url = new URL(req.url ?? '/', 'http://x');
        const q = url.searchParams;
        let path = url.pathname;
        // ServeMux: the longest registered pattern; "/" catches everything else.
        if (!netexecRoutes.has(path)) path = '/';
        ctx.log(`GET ${url.pathname}`);
        switch (path) {
          case '/':
            return text(res, `NOW: ${goNow(this.startedAt)}`);
          case '/clientip':
            return text(res, clientOf(req.socket));
          case '/hostname':
          case '/hostName':
            return text(res, ctx.hostname);
          case '/echo': {
            const code = q.get('code') ?? '';
            const msg = q.get('msg') ?? '';
            if (code !== '') {
              const n = Number.parseInt(code, 10);
              if (String(n) !== code)
                return text(res, `argument 'code' must be an integer or empty, got "${code}"\n`);
              return text(res, msg, n);
            }
            return text(res, msg);
          }
          case '/header': {
            const key = q.get('key') ?? '';
            if (key === '') return text(res, headerJSON(req));
            const v = req.headers[key.toLowerCase()];
            return text(res, Array.isArray(v) ? (v[0] ?? '') : (v ?? ''));
          }
          case '/healthz':
            res.statusCode = this.serverReady && this.healthy ? 200 : 412;
            return res.end();
          case '/readyz':
            res.statusCode = this.ready && !this.terminating ? 200 : 503;
            return res.end();
          case '/set-ready':
            this.ready = q.get('ready') !== 'false';
            return text(res, `ready=${this.ready}`);
          case '/set-healthy':
            this.healthy = q.get('healthy') !== 'false';
            return text(res, `healthy=${this.healthy}`);
          case '/redirect': {
            const codeString = q.get('code') ?? '';
            let code = 302;
            if (codeString !== '') {
              code = Number.parseInt(codeString, 10);
              if (String(code) !== codeString)
                return text(res, `argument 'code' must be an integer or empty, got "${codeString}"\n`);
            }
            let location = q.get('location') ?? '';
            if (!/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(location) && !location.startsWith('/'))
              location = `/${location}`;
            res.statusCode = code;
            res.setHeader('Location', location);
            if (req.method === 'GET' || req.method === 'HEAD')
              res.setHeader('Content-Type', 'text/html; charset=utf-8');
            return res.end(
              req.method === 'GET'
                ? `<a href="${htmlEscape(location)}">${statusText[code] ?? ''}</a>.\n\n`
                : undefined,
            );
          }
          case '/exit': {
            const codeString = q.get('code') ?? '';
            const code = codeString === '' ? 0 : Number.parseInt(codeString, 10);
            if (codeString !== '' && String(code) !== codeString)
              return text(res, `argument 'code' must be an integer [0-127] or empty, got "${codeString}"\n`);
            // os.Exit: the process ends before any reply is written.
            ctx.log(
              `Will begin shutdown in 0s, allowing 0s for connections to close, then will exit with ${code}`,
            );
            return ctx.exit(code);
          }
          case '/shutdown':
            return ctx.exit(0);
          case '/dial':
            return void dial(ctx, q, res);
        }
      }),
    );
  }

  udp(msg: Uint8Array, flow: Flow, reply: (msg: Uint8Array) => void): void {
    const ctx = this.ctx;
    const received = Buffer.from(msg).toString().trim().toLowerCase();
    if (received === 'hostname') reply(Buffer.from(ctx.hostname));
    else if (received.startsWith('echo ')) reply(Buffer.from(received.slice(5)));
    else if (received === 'clientip') reply(Buffer.from(joinHostPort(flow.src.ip, flow.src.port)));
    else if (received.length > 0) ctx.log(`Unknown UDP command received from ${flow.src.ip}: ${received}`);
  }

  onSigterm(): void {
    const ctx = this.ctx;
    if (this.k.ignoreSigterm) return;
    if (this.delayShutdown > 0) {
      this.terminating = true;
      ctx.log(`Sleeping ${this.delayShutdown} seconds before terminating...`);
      setTimeout(() => ctx.exit(0), this.delayShutdown * ctx.second);
      return;
    }
    ctx.exit(143);
  }

  exec(argv: readonly string[]): number {
    return execCommon(argv, { ready: this.ready && !this.terminating, healthy: this.healthy });
  }
}

/** `agnhost netexec`. */
function netexec(ctx: ContainerContext, args: readonly string[]): App {
  let a = netexecArgs.get(args);
  if (a === undefined) {
    const flags = new Flags(args);
    a = {
      flags,
      httpPort: flags.int('http-port', 8080),
      udpPort: flags.int('udp-port', 8081),
      delayShutdown: flags.int('delay-shutdown', 0),
    };
    if (Object.isFrozen(args)) netexecArgs.set(args, a);
  }
  const { httpPort, udpPort } = a;
  const app = new Netexec(ctx, knobs(ctx, a.flags), a.delayShutdown);
  // Made on the first connection (at scale most pods are never connected to in-process).
  ctx.listen(httpPort, () => app.server());
  if (udpPort !== -1) ctx.listenUdp(udpPort, (msg, flow, reply) => app.udp(msg, flow, reply));
  ctx.log(startedLine(httpPort));
  app.serverReady = true;
  return app;
}

/** /dial: `tries` requests from this pod; 200 if the last one answered, else 417 is not used by netexec. */
async function dial(ctx: ContainerContext, q: URLSearchParams, res: ServerResponse): Promise<void> {
  const host = q.get('host') ?? '';
  const port = q.get('port') ?? '';
  const request = q.get('request') ?? '';
  const protocol = (q.get('protocol') ?? '').toLowerCase();
  const tryParam = q.get('tries') ?? '';
  let tries = 1;
  if (tryParam.length > 0) {
    tries = Number.parseInt(tryParam, 10);
    if (String(tries) !== tryParam)
      return httpError(
        res,
        `tries parameter is invalid. strconv.Atoi: parsing "${tryParam}": invalid syntax`,
        400,
      );
  }
  if (request.length === 0) return httpError(res, 'request parameter not specified. <nil>', 400);
  if (protocol !== '' && protocol !== 'http' && protocol !== 'udp')
    return httpError(res, `unsupported protocol. ${protocol}`, 400);
  const portNum = Number(port);
  if (!Number.isInteger(portNum) || portNum < 0 || portNum > 65535 || host === '')
    return httpError(res, `host and/or port param are invalid. address ${host}:${port}: invalid port`, 400);
  const errors: string[] = [];
  const responses: string[] = [];
  let response = '';
  const tries1 = Math.min(Math.max(tries, 0), 1000);
  for (let i = 0; i < tries1; i++) {
    try {
      response =
        protocol === 'udp'
          ? await dialUdp(ctx, request, host, portNum)
          : await dialHttp(ctx, request, host, portNum);
      responses.push(response);
    } catch (e) {
      response = '';
      errors.push((e as Error).message);
    }
  }
  const out: Record<string, string[]> = {};
  if (errors.length > 0) out.errors = errors;
  if (response.length > 0) out.responses = responses;
  text(res, JSON.stringify(out));
}

async function dialHttp(ctx: ContainerContext, request: string, host: string, port: number): Promise<string> {
  const url = `http://${joinHostPort(host, port)}/${request}`;
  try {
    const r = await ctx.fetch(url, { signal: AbortSignal.timeout(5 * ctx.second) });
    return await r.text();
  } catch (e) {
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    if ((e as Error).name === 'TimeoutError')
      throw new Error(
        `Get "${url}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`,
      );
    if (cause?.code === 'ECONNREFUSED')
      throw new Error(`Get "${url}": dial tcp ${joinHostPort(host, port)}: connect: connection refused`);
    throw new Error(`Get "${url}": ${cause?.message ?? (e as Error).message}`);
  }
}

function dialUdp(ctx: ContainerContext, request: string, host: string, port: number): Promise<string> {
  return ctx
    .exchangeUdp(host, port, Buffer.from(request), 5 * ctx.second)
    .then((b) => {
      if (b.length === 0) throw new Error(`reading from udp connection failed. err:'<nil>'`);
      return b.toString();
    })
    .catch((e: Error) => {
      if (e.message.startsWith('reading')) throw e;
      throw new Error(
        `reading from udp connection failed. err:'read udp ${ctx.podIP}->${joinHostPort(host, port)}: i/o timeout'`,
      );
    });
}

/** Commands every image here answers to in an exec probe: true, false, `sh -c "exit N"`, and netlab's own. */
export function execCommon(
  argv: readonly string[],
  state: { ready?: boolean; healthy?: boolean } = {},
): number {
  const [cmd, ...rest] = argv;
  const base = (cmd ?? '').split('/').pop();
  if (base === 'true') return 0;
  if (base === 'false') return 1;
  if ((base === 'sh' || base === 'bash') && rest[0] === '-c') {
    const m = /^\s*exit\s+(\d+)\s*$/.exec(rest[1] ?? '');
    if (m) return Number(m[1]) & 0xff;
    if ((rest[1] ?? '').trim() === 'true') return 0;
  }
  if (base === 'netlab-ready') return state.ready === false ? 1 : 0;
  if (base === 'netlab-healthy') return state.healthy === false ? 1 : 0;
  // What a container runtime answers for a binary the image does not have.
  return 127;
}

/** `agnhost serve-hostname`: the hostname over HTTP (any path), TCP and UDP on --port (9376). */
function serveHostname(ctx: ContainerContext, args: readonly string[]): App {
  const flags = new Flags(args, ['http', 'udp', 'tcp', 'close']);
  const port = flags.int('port', 9376);
  const k = knobs(ctx, flags);
  if (flags.bool('tcp', false)) {
    const server = createTcpServer((conn) => {
      conn.end(ctx.hostname);
    });
    ctx.listen(port, server);
  }
  if (flags.bool('udp', false)) ctx.listenUdp(port, (_msg, _flow, reply) => reply(Buffer.from(ctx.hostname)));
  if (flags.bool('http', true)) {
    const close = flags.bool('close', false);
    const server: Server = createServer(
      withKnobs(ctx, k, (_req, res) => {
        if (close) res.setHeader('Connection', 'close');
        text(res, ctx.hostname);
      }),
    );
    ctx.listen(port, server);
  }
  ctx.log(`Serving on port ${port}.`);
  return {
    onSigterm() {
      if (!k.ignoreSigterm) ctx.exit(143);
    },
    exec: (argv) => execCommon(argv),
  };
}

/** `agnhost pause` and registry.k8s.io/pause: nothing but waiting; SIGTERM ends it with 0. */
export const pause: Image = (ctx) => ({
  onSigterm() {
    ctx.log('Shutting down, got signal: Terminated');
    ctx.exit(0);
  },
  exec: (argv) => execCommon(argv),
});

/** argv's subcommand and its arguments (frozen), kept per frozen argv: a ReplicaSet's pods share it. */
const commands = new WeakMap<readonly string[], { sub: string | undefined; rest: readonly string[] }>();

export const agnhost: Image = (ctx) => {
  let cmd = commands.get(ctx.argv);
  if (cmd === undefined) {
    const [sub, ...rest] = withoutBinary(ctx.argv, 'agnhost');
    cmd = { sub, rest: Object.freeze(rest) };
    if (Object.isFrozen(ctx.argv)) commands.set(ctx.argv, cmd);
  }
  const { sub, rest } = cmd;
  switch (sub) {
    case 'netexec':
      return netexec(ctx, rest);
    case 'serve-hostname':
      return serveHostname(ctx, rest);
    case 'pause':
      return pause(ctx);
    default:
      // agnhost without a known subcommand prints its usage and exits 1 (cobra), so the pod crash-loops.
      ctx.log(`Error: unknown command "${sub ?? ''}" for "agnhost"`);
      ctx.exit(1);
      return undefined;
  }
};
