// What a running lab answers beyond the kube-API, under /apis/netlab.dev/v1alpha1 (not listed in
// discovery, so kubectl never sees it): a node's conntrack table, `ip addr`/`ip route` of a node or
// a pod, a name resolved from a pod (its resolv.conf, every query), and an HTTP request sent from a
// pod through the data plane. Same loopback and token rules as the rest of the server. The lab
// implements `LabIntrospection`; the server only routes.

import type { IncomingMessage } from 'node:http';
import { NetlabError } from '../../std/index.js';

export interface ConntrackQuery {
  proto?: 'tcp' | 'udp' | 'sctp';
  src?: string;
  dst?: string;
  dport?: number;
}

export type IpTarget = { node: string } | { namespace: string; pod: string };

export interface ResolveQuery {
  name: string;
  libc?: 'glibc' | 'musl';
  family?: 0 | 4 | 6;
}

export interface ResolveAnswer {
  /** The pod's /etc/resolv.conf as its kubelet writes it. */
  resolvConf: string;
  /** The resolver's query table and outcome lines (dns/'s formatTrace and formatOutcome). */
  trace: string;
  outcome: string;
  status: string;
  addresses: string[];
}

export interface CurlQuery {
  url: string;
  method?: string;
  headers?: Record<string, string>;
  /** Milliseconds; default 10 s. */
  timeoutMs?: number;
}

export interface CurlAnswer {
  /** Where the connection went: the address the name resolved to and the port. */
  connectedTo: string;
  httpVersion: string;
  status: number;
  statusText: string;
  headers: [string, string][];
  body: string;
}

/** A lab feature this lab does not run (no kubelets, no data plane): 503 with the reason. */
export class LabUnavailableError extends NetlabError {
  override readonly name = 'LabUnavailableError';
  readonly code = 'NETLAB_LAB_UNAVAILABLE';
}

/** No such node or pod: 404. */
export class LabNotFoundError extends NetlabError {
  override readonly name = 'LabNotFoundError';
  readonly code = 'NETLAB_LAB_NOT_FOUND';
}

/** The request cannot be done as asked (a bad URL, a name that does not resolve): 400/502. */
export class LabRequestError extends NetlabError {
  override readonly name = 'LabRequestError';
  readonly code = 'NETLAB_LAB_REQUEST';
  constructor(
    message: string,
    readonly httpCode = 400,
  ) {
    super(message);
  }
}

export interface LabIntrospection {
  /** `conntrack -L` on the node: its lines, and the summary conntrack prints on stderr. */
  conntrack(node: string, q: ConntrackQuery): { entries: string; summary: string };
  /** `ip -br addr` or `ip route` (`-6`: family 6) of a node or a pod's network namespace. */
  ip(what: 'addr' | 'route', target: IpTarget, family: 4 | 6): string;
  resolve(namespace: string, pod: string, q: ResolveQuery): Promise<ResolveAnswer>;
  curl(namespace: string, pod: string, q: CurlQuery): Promise<CurlAnswer>;
}

export const netlabPrefix = '/apis/netlab.dev/v1alpha1/';

export interface NetlabReply {
  code: number;
  body: unknown;
  type?: string;
}

const maxBody = 64 * 1024;

async function jsonBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  let text = '';
  for await (const c of req) {
    text += (c as Buffer).toString('utf8');
    if (text.length > maxBody) throw new LabRequestError('the request body is too large');
  }
  try {
    const v = JSON.parse(text) as unknown;
    if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error('not an object');
    return v as Record<string, unknown>;
  } catch (e) {
    throw new LabRequestError(`error decoding request body: ${(e as Error).message}`);
  }
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** Serves one request under netlabPrefix; errors are thrown as the classes above. */
export async function serveNetlab(
  lab: LabIntrospection | undefined,
  req: IncomingMessage,
  path: string,
  q: URLSearchParams,
): Promise<NetlabReply> {
  const segs = path.slice(netlabPrefix.length).split('/').filter(Boolean).map(decodeURIComponent);
  const method = req.method ?? 'GET';
  if (!lab) throw new LabUnavailableError('this server runs no lab (only its kube-API)');
  const family = q.get('family') === '6' ? 6 : 4;
  // nodes/N/conntrack, nodes/N/ip/addr|route
  if (segs[0] === 'nodes' && segs.length >= 3 && method === 'GET') {
    const node = segs[1]!;
    if (segs[2] === 'conntrack' && segs.length === 3) {
      const proto = q.get('proto') ?? undefined;
      if (proto !== undefined && proto !== 'tcp' && proto !== 'udp' && proto !== 'sctp')
        throw new LabRequestError(
          `proto: Unsupported value: "${proto}": supported values: "tcp", "udp", "sctp"`,
        );
      const dport = q.get('dport');
      return {
        code: 200,
        body: lab.conntrack(node, {
          ...(proto ? { proto } : {}),
          ...(q.get('src') ? { src: q.get('src')! } : {}),
          ...(q.get('dst') ? { dst: q.get('dst')! } : {}),
          ...(dport ? { dport: Number(dport) } : {}),
        }),
      };
    }
    if (segs[2] === 'ip' && (segs[3] === 'addr' || segs[3] === 'route') && segs.length === 4)
      return { code: 200, body: lab.ip(segs[3], { node }, family), type: 'text/plain; charset=utf-8' };
  }
  // namespaces/NS/pods/P/ip/addr|route, .../resolve, .../curl
  if (segs[0] === 'namespaces' && segs[2] === 'pods' && segs.length >= 5) {
    const [, namespace, , pod, verb] = segs as [string, string, string, string, string];
    if (verb === 'ip' && method === 'GET' && (segs[5] === 'addr' || segs[5] === 'route') && segs.length === 6)
      return {
        code: 200,
        body: lab.ip(segs[5], { namespace, pod }, family),
        type: 'text/plain; charset=utf-8',
      };
    if (verb === 'resolve' && method === 'POST' && segs.length === 5) {
      const b = await jsonBody(req);
      const name = str(b.name);
      if (!name) throw new LabRequestError('name: Required value');
      const libc = str(b.libc);
      if (libc !== undefined && libc !== 'glibc' && libc !== 'musl')
        throw new LabRequestError(`libc: Unsupported value: "${libc}": supported values: "glibc", "musl"`);
      const fam = b.family;
      if (fam !== undefined && fam !== 0 && fam !== 4 && fam !== 6)
        throw new LabRequestError('family: Unsupported value: supported values: 0, 4, 6');
      return {
        code: 200,
        body: await lab.resolve(namespace, pod, {
          name,
          ...(libc ? { libc } : {}),
          ...(fam !== undefined ? { family: fam } : {}),
        }),
      };
    }
    if (verb === 'curl' && method === 'POST' && segs.length === 5) {
      const b = await jsonBody(req);
      const url = str(b.url);
      if (!url) throw new LabRequestError('url: Required value');
      const headers: Record<string, string> = {};
      if (b.headers !== undefined) {
        if (b.headers === null || typeof b.headers !== 'object')
          throw new LabRequestError('headers: must be an object of strings');
        for (const [k, v] of Object.entries(b.headers as Record<string, unknown>)) {
          if (typeof v !== 'string') throw new LabRequestError(`headers.${k}: must be a string`);
          headers[k] = v;
        }
      }
      return {
        code: 200,
        body: await lab.curl(namespace, pod, {
          url,
          ...(str(b.method) ? { method: str(b.method)! } : {}),
          headers,
        }),
      };
    }
  }
  throw new LabNotFoundError('the server could not find the requested resource');
}
