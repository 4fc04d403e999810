// The commands that ask a running lab what the kube-API does not carry, through its
// /apis/netlab.dev/v1alpha1 endpoints: conntrack -L on a node, ip addr|route of a node or pod, a
// name resolved from a pod, and curl from a pod through the data plane.
import type { CurlAnswer, ResolveAnswer } from '../apiserver/index.js';
import { ApiStatusError, ClientError, type KubeClient } from './rest.js';

const base = '/apis/netlab.dev/v1alpha1';
const seg = encodeURIComponent;

export interface ConntrackOptions {
  node: string;
  proto?: string | undefined;
  src?: string | undefined;
  dst?: string | undefined;
  dport?: number | undefined;
}

/** `conntrack -L` on a node: the entries (stdout) and conntrack's summary line (stderr). */
export async function runConntrack(
  client: KubeClient,
  o: ConntrackOptions,
): Promise<{ stdout: string; stderr: string; code: number }> {
  const q = new URLSearchParams();
  if (o.proto) q.set('proto', o.proto.toLowerCase());
  if (o.src) q.set('src', o.src);
  if (o.dst) q.set('dst', o.dst);
  if (o.dport !== undefined) q.set('dport', String(o.dport));
  const r = await client.json<{ entries: string; summary: string }>(
    'GET',
    `${base}/nodes/${seg(o.node)}/conntrack${q.size ? `?${q}` : ''}`,
  );
  return { stdout: r.entries, stderr: `${r.summary}\n`, code: 0 };
}

export interface IpOptions {
  node?: string | undefined;
  pod?: string | undefined;
  namespace?: string | undefined;
  family?: 4 | 6;
}

/** `ip -br addr` / `ip route` of a node or a pod (exactly one of --node, --pod). */
export async function runIp(client: KubeClient, what: string, o: IpOptions): Promise<string> {
  if (what !== 'addr' && what !== 'route')
    throw new ClientError(`ip: Unsupported value: "${what}": supported values: "addr", "route"`);
  if ((o.node === undefined) === (o.pod === undefined))
    throw new ClientError('ip: give one of --node NODE or --pod POD');
  const where =
    o.node !== undefined
      ? `nodes/${seg(o.node)}`
      : `namespaces/${seg(o.namespace ?? client.namespace)}/pods/${seg(o.pod!)}`;
  return client.text('GET', `${base}/${where}/ip/${what}${o.family === 6 ? '?family=6' : ''}`);
}

/** `resolve NAME --from POD`: the pod's resolv.conf, every query its libc sent, the outcome. */
export async function runResolveFrom(
  client: KubeClient,
  name: string,
  o: {
    pod: string;
    namespace?: string | undefined;
    libc: 'glibc' | 'musl';
    family: 0 | 4 | 6;
    json?: boolean;
  },
): Promise<{ stdout: string; code: number }> {
  const ns = o.namespace ?? client.namespace;
  const r = await client.json<ResolveAnswer>(
    'POST',
    `${base}/namespaces/${seg(ns)}/pods/${seg(o.pod)}/resolve`,
    {
      body: JSON.stringify({ name, libc: o.libc, family: o.family }),
    },
  );
  // As `getent hosts`: 2 when the name does not resolve.
  const code = r.status === 'NOERROR' ? 0 : 2;
  if (o.json) return { stdout: `${JSON.stringify(r, null, 2)}\n`, code };
  return {
    stdout: `;; /etc/resolv.conf of Pod ${ns}/${o.pod}, ${o.libc}\n${r.resolvConf}\n${r.trace}\n\n${r.outcome}\n`,
    code,
  };
}

export interface CurlOptions {
  pod: string;
  namespace?: string | undefined;
  method?: string | undefined;
  headers?: string[] | undefined;
  include?: boolean | undefined;
  fail?: boolean | undefined;
}

/** curl's exit codes for what can go wrong on the way. */
function curlExit(message: string): number {
  if (message.startsWith('Could not resolve host')) return 6;
  if (message.startsWith('Failed to connect')) return /timed out/.test(message) ? 28 : 7;
  if (message.startsWith('Recv failure')) return 56;
  return 1;
}

/**
 * `curl --from POD URL`: the request leaves the pod through the data plane (so a Service name
 * resolves with the pod's resolv.conf and the connection takes kube-proxy's rules); prints the body
 * (`-i`: the status line and headers first). Failures are curl's words and exit codes.
 */
export async function runCurl(
  client: KubeClient,
  url: string,
  o: CurlOptions,
): Promise<{ stdout: string; stderr: string; code: number }> {
  const headers: Record<string, string> = {};
  for (const h of o.headers ?? []) {
    const colon = h.indexOf(':');
    if (colon <= 0) throw new ClientError(`-H: "${h}" is not NAME: VALUE`);
    headers[h.slice(0, colon).trim()] = h.slice(colon + 1).trim();
  }
  const ns = o.namespace ?? client.namespace;
  let r: CurlAnswer;
  try {
    r = await client.json<CurlAnswer>('POST', `${base}/namespaces/${seg(ns)}/pods/${seg(o.pod)}/curl`, {
      body: JSON.stringify({ url, ...(o.method ? { method: o.method } : {}), headers }),
    });
  } catch (e) {
    // The lab's own failures to carry the request are curl's errors; a missing pod is the API's.
    if (e instanceof ApiStatusError && e.httpCode !== 404 && e.httpCode !== 503 && e.httpCode !== 400) {
      const message = e.status.message ?? '';
      return { stdout: '', stderr: `curl: (${curlExit(message)}) ${message}\n`, code: curlExit(message) };
    }
    throw e;
  }
  let stdout = '';
  if (o.include) {
    stdout += `HTTP/${r.httpVersion} ${r.status} ${r.statusText}\r\n`;
    for (const [k, v] of r.headers) stdout += `${k}: ${v}\r\n`;
    stdout += '\r\n';
  }
  stdout += r.body;
  // --fail: curl's exit 22 for an HTTP error, body left out.
  if (o.fail && r.status >= 400)
    return { stdout: '', stderr: `curl: (22) The requested URL returned error: ${r.status}\n`, code: 22 };
  return { stdout, stderr: '', code: 0 };
}
