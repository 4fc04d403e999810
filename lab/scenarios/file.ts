// A scenario file (`apiVersion: netlab.dev/v1alpha1`, `kind: Scenario`): the cluster to start, the
// manifests to start from (files named in `spec.manifests`, and any other documents of the same
// file), and a timeline of steps. Read with positions through api's YAML reader (its size and alias
// limits included), so every problem names its file, line and field, and nothing runs half-read.

import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { isIP } from 'node:net';
import { dirname, resolve as resolvePath } from 'node:path';
import {
  type AnyObject,
  formatIssue,
  type ManifestIssue,
  type ManifestObject,
  maxManifestBytes,
  readManifestFiles,
  readManifests,
  readYamlDocuments,
  type YamlDocument,
} from '../../api/index.js';
import { NetlabError } from '../../std/index.js';
import { parseDuration } from '../config/cluster-config.js';

export const scenarioApiVersion = 'netlab.dev/v1alpha1';

/** The scenario file could not be read; `issues` names every problem by file, line and field. */
export class ScenarioFileError extends NetlabError {
  override readonly name = 'ScenarioFileError';
  readonly code = 'NETLAB_LAB_SCENARIO_FILE';
  constructor(readonly issues: readonly ManifestIssue[]) {
    super(issues.map((i) => formatIssue(i)).join('\n'));
  }
}

export interface ScenarioCluster {
  /** Nodes to create when the manifests declare none (node-1..node-N, two zones). */
  nodes: number;
  /** How many milliseconds one lab second lasts: every duration in the scenario and its Pods. */
  second: number;
  /** Lab seconds; the node lifecycle controller's --node-monitor-grace-period. */
  nodeMonitorGracePeriod: number;
  /** Lab seconds; --pod-eviction-timeout. */
  podEvictionTimeout: number;
  /** Lab seconds; kubelet's nodeLeaseRenewInterval. */
  nodeLeaseRenewInterval: number;
  /** Lab seconds; kube-proxy's --iptables-min-sync-period. */
  proxyMinSyncPeriod: number;
  /** kube-proxy's clean-up of stale UDP conntrack entries. */
  conntrackCleanup: boolean;
  /** Names outside the cluster and their addresses, answered by the DNS cluster DNS forwards to. */
  externalNames: Record<string, string[]>;
}

export type PodPick = { pod: string } | { selector: string; count: number };

export interface ServiceTarget {
  service: string;
  namespace: string;
  /** Port number or name; the Service's first port when unset. */
  port: number | string | undefined;
  via: 'clusterIP' | 'nodePort' | 'loadBalancer';
  /** The node whose NodePort is entered (external and node clients), default the first node. */
  node: string | undefined;
  path: string;
}

export type TrafficSource = { external: true } | { pod: string; namespace: string } | { node: string };

export interface TrafficStep {
  from: TrafficSource;
  to: ServiceTarget | { url: string };
  /** New connections in all (unless `duration` bounds the step). */
  connections: number;
  requestsPerConnection: number;
  concurrency: number;
  /** Requests per lab second, all workers together; 0: as fast as they come. */
  rate: number;
  /** Lab seconds; workers open new connections until it is over (0: `connections` bounds). */
  duration: number;
  /** Runs while the next steps do; a later `wait: {traffic: NAME}` joins it. */
  background: boolean;
  /** Lab seconds a request may take before it counts as failed. */
  timeout: number;
}

export interface DnsStep {
  from: { pod: string; namespace: string } | { external: true };
  name: string;
  /** A and AAAA: getaddrinfo (search list, ndots, libc); SRV: one query for the name as dig sends it. */
  type: 'A' | 'AAAA' | 'SRV';
  libc: 'glibc' | 'musl';
  /** resolv.conf's options ndots; the pod's own when unset. */
  ndots: number | undefined;
  /** From a pod: every query from this UDP port (one long-lived flow through conntrack). */
  sourcePort: number | undefined;
}

export type WaitFor =
  | { rollout: { kind: 'Deployment'; name: string; namespace: string } }
  | { endpoints: { service: string; namespace: string; ready: number } }
  | { pods: { selector: string; namespace: string; ready: number } }
  | { node: { name: string; ready: boolean } }
  | { duration: number }
  | { traffic: string };

export interface CountRange {
  min?: number;
  max?: number;
}

export interface Expect {
  /** Failed requests (connection errors, timeouts, 5xx). */
  errors?: CountRange;
  /** Requests answered (2xx). */
  requests?: CountRange;
  /** Distinct pods that answered. */
  responders?: CountRange;
  /** Every responder got the same share, within a chi-square bound at this significance. */
  uniform?: number;
  /** Every /clientip answer shows this source (an IP, a node's InternalIP, a pod's IP). */
  sourceSeen?: { ip: string } | { node: string } | { pod: string; namespace: string };
  /** No answer came from a pod on this node. */
  avoidsNode?: string;
  /** DNS: the addresses (an IP, or a pod's IP) or SRV records (`0 33 5432 db-0.db...`) answered, in any order. */
  answer?: (string | { pod: string; namespace: string })[];
  /** DNS: queries sent in all. */
  queries?: CountRange;
  /** DNS: the getaddrinfo outcome (NOERROR, NXDOMAIN, ...). */
  status?: string;
  /** DNS from a sourcePort: the flow's conntrack entry the first query met (none, live or stale). */
  conntrack?: 'none' | 'live' | 'stale';
}

export type StepAction =
  | { kind: 'apply'; objects: ManifestObject[] }
  | { kind: 'delete'; target: { kind: string; name: string; namespace: string } }
  | { kind: 'scale'; target: { kind: string; name: string; namespace: string }; replicas: number }
  | { kind: 'kill'; pick: PodPick; namespace: string }
  | { kind: 'deletePod'; pick: PodPick; namespace: string }
  | { kind: 'failNode'; node: string }
  | { kind: 'recoverNode'; node: string }
  | { kind: 'conntrackCleanup'; on: boolean }
  | { kind: 'setReady'; pick: PodPick; namespace: string; ready: boolean; port: number }
  | { kind: 'wait'; for: WaitFor; timeout: number }
  | { kind: 'traffic'; traffic: TrafficStep }
  | { kind: 'dns'; dns: DnsStep }
  | { kind: 'expect'; step: string };

export interface Step {
  /** `name:` or `<action> #<index>`. */
  name: string;
  line: number;
  action: StepAction;
  expect: Expect | undefined;
  expectLine: number;
}

export interface Scenario {
  file: string;
  name: string;
  description: string;
  seed: number;
  cluster: ScenarioCluster;
  /** The manifests to start from, read with their positions. */
  objects: ManifestObject[];
  steps: Step[];
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const actions = [
  'apply',
  'delete',
  'scale',
  'kill',
  'deletePod',
  'failNode',
  'recoverNode',
  'conntrackCleanup',
  'setReady',
  'wait',
  'traffic',
  'dns',
  'expect',
] as const;

/** The most steps one scenario may have, and the most connections one traffic step may open. */
export const maxSteps = 1000;
export const maxConnections = 1_000_000;

class Reader {
  readonly issues: ManifestIssue[] = [];
  constructor(
    readonly file: string,
    readonly doc: YamlDocument,
    readonly what: string,
  ) {}
  bad(field: string, message: string): void {
    this.issues.push({
      file: this.file,
      line: this.doc.lineOf(field) ?? this.doc.line,
      object: this.what,
      field,
      message,
    });
  }
  invalid(field: string, value: unknown, why: string): void {
    this.bad(field, `Invalid value: ${JSON.stringify(value)}: ${why}`);
  }
  required(field: string): void {
    this.bad(field, 'Required value');
  }
  only(field: string, value: Record<string, unknown>, known: readonly string[]): void {
    for (const k of Object.keys(value)) {
      if (!known.includes(k)) this.bad(field ? `${field}.${k}` : k, `unknown field "${k}"`);
    }
  }
  object(field: string, v: unknown): Record<string, unknown> | undefined {
    if (v === undefined) return undefined;
    if (!isPlainObject(v)) {
      this.invalid(field, v, 'must be an object');
      return undefined;
    }
    return v;
  }
  string(field: string, v: unknown): string | undefined {
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || v === '') {
      this.invalid(field, v, 'must be a non-empty string');
      return undefined;
    }
    return v;
  }
  int(field: string, v: unknown, min: number, max: number): number | undefined {
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      this.invalid(field, v, `must be an integer between ${min} and ${max}, inclusive`);
      return undefined;
    }
    return v;
  }
  bool(field: string, v: unknown): boolean | undefined {
    if (v === undefined) return undefined;
    if (typeof v !== 'boolean') {
      this.invalid(field, v, 'must be true or false');
      return undefined;
    }
    return v;
  }
  /** A Go duration (`1.5s`, `300ms`) or a number of seconds -> seconds. */
  seconds(field: string, v: unknown, max = 86_400): number | undefined {
    if (v === undefined) return undefined;
    const ms = typeof v === 'number' ? v * 1000 : typeof v === 'string' ? parseDuration(v) : undefined;
    if (ms === undefined || !Number.isFinite(ms) || ms < 0 || ms > max * 1000) {
      this.invalid(field, v, `must be a duration such as 500ms, 2s or 1m (at most ${max}s)`);
      return undefined;
    }
    return ms / 1000;
  }
  /** `N` (exactly), or `{min, max}`. */
  range(field: string, v: unknown): CountRange | undefined {
    if (v === undefined) return undefined;
    if (typeof v === 'number') {
      const n = this.int(field, v, 0, Number.MAX_SAFE_INTEGER);
      return n === undefined ? undefined : { min: n, max: n };
    }
    const o = this.object(field, v);
    if (o === undefined) return undefined;
    this.only(field, o, ['min', 'max']);
    const min = this.int(`${field}.min`, o.min, 0, Number.MAX_SAFE_INTEGER);
    const max = this.int(`${field}.max`, o.max, 0, Number.MAX_SAFE_INTEGER);
    if (min === undefined && max === undefined) {
      this.invalid(field, v, 'must be a number or {min, max}');
      return undefined;
    }
    return { ...(min !== undefined ? { min } : {}), ...(max !== undefined ? { max } : {}) };
  }
}

function namespaceOf(r: Reader, field: string, o: Record<string, unknown>): string {
  return r.string(`${field}.namespace`, o.namespace) ?? 'default';
}

function podPick(r: Reader, field: string, v: unknown): { pick: PodPick; namespace: string } | undefined {
  if (typeof v === 'string') return { pick: { pod: v }, namespace: 'default' };
  const o = r.object(field, v);
  if (o === undefined) {
    r.required(field);
    return undefined;
  }
  r.only(field, o, ['pod', 'selector', 'count', 'namespace', 'ready', 'port']);
  const namespace = namespaceOf(r, field, o);
  const pod = r.string(`${field}.pod`, o.pod);
  const selector = r.string(`${field}.selector`, o.selector);
  if ((pod === undefined) === (selector === undefined)) {
    r.bad(field, 'exactly one of pod or selector is required');
    return undefined;
  }
  if (pod !== undefined) return { pick: { pod }, namespace };
  const count = r.int(`${field}.count`, o.count, 1, 10_000) ?? 1;
  return { pick: { selector: selector!, count }, namespace };
}

/** `kind/name` or `{kind, name, namespace}`. */
function objectRef(
  r: Reader,
  field: string,
  v: unknown,
  extra: readonly string[] = [],
): { kind: string; name: string; namespace: string } | undefined {
  if (typeof v === 'string') {
    const [kind, name, ...rest] = v.split('/');
    if (!kind || !name || rest.length > 0) {
      r.invalid(field, v, 'must be KIND/NAME (deployment/web) or {kind, name, namespace}');
      return undefined;
    }
    return { kind: kindName(kind), name, namespace: 'default' };
  }
  const o = r.object(field, v);
  if (o === undefined) {
    r.required(field);
    return undefined;
  }
  r.only(field, o, ['kind', 'name', 'namespace', ...extra]);
  const kind = r.string(`${field}.kind`, o.kind);
  const name = r.string(`${field}.name`, o.name);
  if (kind === undefined) r.required(`${field}.kind`);
  if (name === undefined) r.required(`${field}.name`);
  if (kind === undefined || name === undefined) return undefined;
  return { kind: kindName(kind), name, namespace: namespaceOf(r, field, o) };
}

// kubectl's short forms for the kinds a scenario names.
const kindNames: Record<string, string> = {
  deployment: 'Deployment',
  deployments: 'Deployment',
  deploy: 'Deployment',
  statefulset: 'StatefulSet',
  statefulsets: 'StatefulSet',
  sts: 'StatefulSet',
  replicaset: 'ReplicaSet',
  rs: 'ReplicaSet',
  service: 'Service',
  svc: 'Service',
  pod: 'Pod',
  pods: 'Pod',
  po: 'Pod',
  node: 'Node',
  no: 'Node',
};
function kindName(k: string): string {
  return kindNames[k.toLowerCase()] ?? k;
}

function readSource(r: Reader, field: string, v: unknown): TrafficSource | undefined {
  if (v === undefined || v === 'external') return { external: true };
  const o = r.object(field, v);
  if (o === undefined) {
    r.invalid(field, v, 'must be external, {pod: NAME} or {node: NAME}');
    return undefined;
  }
  r.only(field, o, ['pod', 'node', 'namespace']);
  const pod = r.string(`${field}.pod`, o.pod);
  const node = r.string(`${field}.node`, o.node);
  if (pod !== undefined && node === undefined) return { pod, namespace: namespaceOf(r, field, o) };
  if (node !== undefined && pod === undefined) return { node };
  r.bad(field, 'exactly one of pod or node is required');
  return undefined;
}

function readTarget(r: Reader, field: string, v: unknown, from: TrafficSource | undefined) {
  if (typeof v === 'string') {
    let url: URL | undefined;
    try {
      url = new URL(v);
    } catch {}
    if (url === undefined || url.protocol !== 'http:') {
      r.invalid(field, v, 'must be an http:// URL or {service: NAME}');
      return undefined;
    }
    return { url: v };
  }
  const o = r.object(field, v);
  if (o === undefined) {
    r.required(field);
    return undefined;
  }
  r.only(field, o, ['service', 'namespace', 'port', 'via', 'node', 'path']);
  const service = r.string(`${field}.service`, o.service);
  if (service === undefined) r.required(`${field}.service`);
  let port: number | string | undefined;
  if (typeof o.port === 'number') port = r.int(`${field}.port`, o.port, 1, 65535);
  else port = r.string(`${field}.port`, o.port);
  const defaultVia = from !== undefined && 'pod' in from ? 'clusterIP' : 'nodePort';
  const via = o.via ?? defaultVia;
  if (via !== 'clusterIP' && via !== 'nodePort' && via !== 'loadBalancer') {
    r.bad(
      `${field}.via`,
      `Unsupported value: ${JSON.stringify(via)}: supported values: "clusterIP", "nodePort", "loadBalancer"`,
    );
    return undefined;
  }
  if (via === 'clusterIP' && from !== undefined && 'external' in from)
    r.invalid(`${field}.via`, via, 'a ClusterIP is reached from a pod or a node, not from outside');
  const path = r.string(`${field}.path`, o.path) ?? '/hostname';
  if (!path.startsWith('/')) r.invalid(`${field}.path`, path, 'must start with /');
  if (service === undefined) return undefined;
  return {
    service,
    namespace: namespaceOf(r, field, o),
    port,
    via,
    node: r.string(`${field}.node`, o.node),
    path,
  } satisfies ServiceTarget;
}

function readTraffic(r: Reader, f: string, v: unknown): TrafficStep | undefined {
  const o = r.object(f, v);
  if (o === undefined) return undefined;
  r.only(f, o, [
    'from',
    'to',
    'connections',
    'requestsPerConnection',
    'concurrency',
    'rate',
    'duration',
    'background',
    'timeout',
  ]);
  const from = readSource(r, `${f}.from`, o.from);
  const to = readTarget(r, `${f}.to`, o.to, from);
  const duration = r.seconds(`${f}.duration`, o.duration) ?? 0;
  const connections = r.int(`${f}.connections`, o.connections, 1, maxConnections) ?? (duration > 0 ? 0 : 1);
  const requestsPerConnection = r.int(`${f}.requestsPerConnection`, o.requestsPerConnection, 1, 100_000) ?? 1;
  if (connections * requestsPerConnection > maxConnections)
    r.invalid(
      `${f}.requestsPerConnection`,
      requestsPerConnection,
      `connections x requestsPerConnection must be at most ${maxConnections}`,
    );
  const concurrency = r.int(`${f}.concurrency`, o.concurrency, 1, 1000) ?? 1;
  const rate = r.int(`${f}.rate`, o.rate, 0, 1_000_000) ?? 0;
  if (from === undefined || to === undefined) return undefined;
  return {
    from,
    to,
    connections,
    requestsPerConnection,
    concurrency,
    rate,
    duration,
    background: r.bool(`${f}.background`, o.background) ?? false,
    timeout: r.seconds(`${f}.timeout`, o.timeout) ?? 10,
  };
}

function readDns(r: Reader, f: string, v: unknown): DnsStep | undefined {
  const o = r.object(f, v);
  if (o === undefined) return undefined;
  r.only(f, o, ['from', 'name', 'type', 'libc', 'ndots', 'sourcePort']);
  const name = r.string(`${f}.name`, o.name);
  if (name === undefined) r.required(`${f}.name`);
  let from: DnsStep['from'] | undefined = { external: true };
  if (o.from !== undefined && o.from !== 'external') {
    const src = readSource(r, `${f}.from`, o.from);
    if (src !== undefined && 'node' in src) r.invalid(`${f}.from`, o.from, 'must be external or {pod: NAME}');
    from = src !== undefined && 'pod' in src ? src : undefined;
  }
  const type = o.type ?? 'A';
  if (type !== 'A' && type !== 'AAAA' && type !== 'SRV') {
    r.bad(`${f}.type`, `Unsupported value: ${JSON.stringify(type)}: supported values: "A", "AAAA", "SRV"`);
    return undefined;
  }
  const libc = o.libc ?? 'glibc';
  if (libc !== 'glibc' && libc !== 'musl') {
    r.bad(`${f}.libc`, `Unsupported value: ${JSON.stringify(libc)}: supported values: "glibc", "musl"`);
    return undefined;
  }
  const ndots = r.int(`${f}.ndots`, o.ndots, 0, 15);
  const sourcePort = r.int(`${f}.sourcePort`, o.sourcePort, 1, 65535);
  if (sourcePort !== undefined && (from === undefined || !('pod' in from)))
    r.invalid(`${f}.sourcePort`, sourcePort, "a source port is a pod's: needs from: {pod: NAME}");
  if (sourcePort !== undefined && type === 'SRV')
    r.invalid(
      `${f}.sourcePort`,
      sourcePort,
      "SRV questions are sent as dig sends them, not from a pod's port",
    );
  if (name === undefined || from === undefined) return undefined;
  return { from, name, type, libc, ndots, sourcePort };
}

function readWait(r: Reader, f: string, v: unknown): WaitFor | undefined {
  if (typeof v === 'string' || typeof v === 'number') {
    const s = r.seconds(f, v);
    return s === undefined ? undefined : { duration: s };
  }
  const o = r.object(f, v);
  if (o === undefined) return undefined;
  r.only(f, o, [
    'rollout',
    'endpoints',
    'pods',
    'node',
    'duration',
    'traffic',
    'ready',
    'namespace',
    'timeout',
  ]);
  const keys = ['rollout', 'endpoints', 'pods', 'node', 'duration', 'traffic'].filter(
    (k) => o[k] !== undefined,
  );
  if (keys.length !== 1) {
    r.bad(f, 'exactly one of rollout, endpoints, pods, node, duration or traffic is required');
    return undefined;
  }
  const namespace = namespaceOf(r, f, o);
  switch (keys[0]) {
    case 'rollout': {
      const ref = objectRef(r, `${f}.rollout`, o.rollout);
      if (ref === undefined) return undefined;
      if (ref.kind !== 'Deployment') {
        r.invalid(`${f}.rollout`, o.rollout, 'must name a Deployment');
        return undefined;
      }
      return { rollout: { kind: 'Deployment', name: ref.name, namespace: ref.namespace } };
    }
    case 'endpoints': {
      const service = r.string(`${f}.endpoints`, o.endpoints);
      const ready = r.int(`${f}.ready`, o.ready, 0, 100_000);
      if (ready === undefined) r.required(`${f}.ready`);
      return service === undefined || ready === undefined
        ? undefined
        : { endpoints: { service, namespace, ready } };
    }
    case 'pods': {
      const selector = r.string(`${f}.pods`, o.pods);
      const ready = r.int(`${f}.ready`, o.ready, 0, 100_000);
      if (ready === undefined) r.required(`${f}.ready`);
      return selector === undefined || ready === undefined
        ? undefined
        : { pods: { selector, namespace, ready } };
    }
    case 'node': {
      const name = r.string(`${f}.node`, o.node);
      const ready = r.bool(`${f}.ready`, o.ready);
      if (ready === undefined) r.required(`${f}.ready`);
      return name === undefined || ready === undefined ? undefined : { node: { name, ready } };
    }
    case 'duration': {
      const s = r.seconds(`${f}.duration`, o.duration);
      return s === undefined ? undefined : { duration: s };
    }
    default: {
      const name = r.string(`${f}.traffic`, o.traffic);
      return name === undefined ? undefined : { traffic: name };
    }
  }
}

function readExpect(r: Reader, f: string, v: unknown): Expect | undefined {
  const o = r.object(f, v);
  if (o === undefined) return undefined;
  r.only(f, o, [
    'step',
    'errors',
    'requests',
    'responders',
    'uniform',
    'sourceSeen',
    'avoidsNode',
    'answer',
    'queries',
    'status',
    'conntrack',
  ]);
  const e: Expect = {};
  const set = <K extends keyof Expect>(k: K, x: Expect[K] | undefined) => {
    if (x !== undefined) e[k] = x;
  };
  set('errors', r.range(`${f}.errors`, o.errors));
  set('requests', r.range(`${f}.requests`, o.requests));
  set('responders', r.range(`${f}.responders`, o.responders));
  set('queries', r.range(`${f}.queries`, o.queries));
  if (o.uniform !== undefined) {
    const levels = [0.1, 0.05, 0.025, 0.01, 0.005];
    if (o.uniform === true) e.uniform = 0.005;
    else if (typeof o.uniform === 'number' && levels.includes(o.uniform)) e.uniform = o.uniform;
    else r.invalid(`${f}.uniform`, o.uniform, `must be true or a significance level: ${levels.join(', ')}`);
  }
  if (o.sourceSeen !== undefined) {
    if (typeof o.sourceSeen === 'string') e.sourceSeen = { ip: o.sourceSeen };
    else {
      const s = r.object(`${f}.sourceSeen`, o.sourceSeen);
      if (s !== undefined) {
        r.only(`${f}.sourceSeen`, s, ['ip', 'node', 'pod', 'namespace']);
        const node = r.string(`${f}.sourceSeen.node`, s.node);
        const pod = r.string(`${f}.sourceSeen.pod`, s.pod);
        const ip = r.string(`${f}.sourceSeen.ip`, s.ip);
        if (node !== undefined) e.sourceSeen = { node };
        else if (pod !== undefined) e.sourceSeen = { pod, namespace: namespaceOf(r, `${f}.sourceSeen`, s) };
        else if (ip !== undefined) e.sourceSeen = { ip };
        else r.bad(`${f}.sourceSeen`, 'one of ip, node or pod is required');
      }
    }
  }
  set('avoidsNode', r.string(`${f}.avoidsNode`, o.avoidsNode));
  if (o.answer !== undefined) {
    const list = typeof o.answer === 'string' ? [o.answer] : o.answer;
    const answer: NonNullable<Expect['answer']> = [];
    const bad = () =>
      r.invalid(`${f}.answer`, o.answer, 'must be an address, an SRV record, {pod: NAME}, or a list of them');
    if (!Array.isArray(list)) bad();
    else {
      for (const [k, a] of list.entries()) {
        if (typeof a === 'string') answer.push(a);
        else if (a !== null && typeof a === 'object' && !Array.isArray(a)) {
          const af = `${f}.answer[${k}]`;
          const x = a as Record<string, unknown>;
          r.only(af, x, ['pod', 'namespace']);
          const pod = r.string(`${af}.pod`, x.pod);
          if (pod === undefined) r.required(`${af}.pod`);
          else answer.push({ pod, namespace: namespaceOf(r, af, x) });
        } else {
          bad();
          break;
        }
      }
      if (answer.length === list.length) e.answer = answer;
    }
  }
  set('status', r.string(`${f}.status`, o.status));
  if (o.conntrack !== undefined) {
    if (o.conntrack === 'none' || o.conntrack === 'live' || o.conntrack === 'stale')
      e.conntrack = o.conntrack;
    else
      r.bad(
        `${f}.conntrack`,
        `Unsupported value: ${JSON.stringify(o.conntrack)}: supported values: "none", "live", "stale"`,
      );
  }
  return e;
}

function readStep(r: Reader, k: number, v: unknown, dir: string): Step | undefined {
  const f = `spec.steps[${k}]`;
  const o = r.object(f, v);
  if (o === undefined) return undefined;
  r.only(f, o, ['name', ...actions]);
  const present = actions.filter((a) => o[a] !== undefined);
  // `expect` beside an action checks that action; alone, it checks a named step before it.
  const action = present.filter((a) => a !== 'expect');
  if (action.length > 1 || present.length === 0) {
    r.bad(f, `exactly one action is required (${actions.join(', ')}); found ${present.join(', ') || 'none'}`);
    return undefined;
  }
  const kind = action[0] ?? 'expect';
  const af = `${f}.${kind}`;
  const line = r.doc.lineOf(f) ?? r.doc.line;
  const name = r.string(`${f}.name`, o.name) ?? `${kind} #${k + 1}`;
  let act: StepAction | undefined;
  switch (kind) {
    case 'apply': {
      act = readApply(r, af, o.apply, dir);
      break;
    }
    case 'delete': {
      const ref = objectRef(r, af, o.delete);
      if (ref) act = { kind: 'delete', target: ref };
      break;
    }
    case 'scale': {
      const s = r.object(af, o.scale);
      const ref = s && objectRef(r, af, { kind: s.kind, name: s.name, namespace: s.namespace }, []);
      if (s) r.only(af, s, ['kind', 'name', 'namespace', 'replicas']);
      const replicas = r.int(`${af}.replicas`, s?.replicas, 0, 100_000);
      if (s && replicas === undefined) r.required(`${af}.replicas`);
      if (ref && replicas !== undefined) act = { kind: 'scale', target: ref, replicas };
      break;
    }
    case 'kill':
    case 'deletePod': {
      const p = podPick(r, af, o[kind]);
      if (p) act = { kind, ...p };
      break;
    }
    case 'failNode':
    case 'recoverNode': {
      const node = r.string(af, o[kind]);
      if (node) act = { kind, node };
      break;
    }
    case 'conntrackCleanup': {
      const on = r.bool(af, o.conntrackCleanup);
      if (on !== undefined) act = { kind, on };
      break;
    }
    case 'setReady': {
      const p = podPick(r, af, o.setReady);
      const s = isPlainObject(o.setReady) ? o.setReady : {};
      const ready = r.bool(`${af}.ready`, s.ready);
      if (ready === undefined) r.required(`${af}.ready`);
      const port = r.int(`${af}.port`, s.port, 1, 65535) ?? 8080;
      if (p && ready !== undefined) act = { kind: 'setReady', ...p, ready, port };
      break;
    }
    case 'wait': {
      const w = readWait(r, af, o.wait);
      const timeout = r.seconds(`${af}.timeout`, isPlainObject(o.wait) ? o.wait.timeout : undefined) ?? 120;
      if (w) act = { kind: 'wait', for: w, timeout };
      break;
    }
    case 'traffic': {
      const t = readTraffic(r, af, o.traffic);
      if (t) act = { kind: 'traffic', traffic: t };
      break;
    }
    case 'dns': {
      const d = readDns(r, af, o.dns);
      if (d) act = { kind: 'dns', dns: d };
      break;
    }
    default: {
      const e = isPlainObject(o.expect) ? o.expect : {};
      const step = r.string(`${f}.expect.step`, e.step);
      if (step === undefined)
        r.bad(`${f}.expect.step`, 'Required value: an expect alone names the step it checks');
      else act = { kind: 'expect', step };
    }
  }
  let expect: Expect | undefined;
  if (o.expect !== undefined) {
    if (action.length > 0 && kind !== 'traffic' && kind !== 'dns')
      r.bad(`${f}.expect`, `an expect checks a traffic or dns step, not ${kind}`);
    expect = readExpect(r, `${f}.expect`, o.expect);
  }
  if (act === undefined) return undefined;
  return { name, line, action: act, expect, expectLine: r.doc.lineOf(`${f}.expect`) ?? line };
}

function readApply(r: Reader, f: string, v: unknown, dir: string): StepAction | undefined {
  if (typeof v === 'string') {
    const read = readManifestFiles([resolvePath(dir, v)]);
    if (read.issues.length > 0) {
      r.issues.push(...read.issues);
      return undefined;
    }
    return { kind: 'apply', objects: read.objects };
  }
  const list = Array.isArray(v) ? v : [v];
  const objects: ManifestObject[] = [];
  list.forEach((o, k) => {
    const field = Array.isArray(v) ? `${f}[${k}]` : f;
    if (!isPlainObject(o) || typeof o.kind !== 'string' || typeof o.apiVersion !== 'string') {
      r.invalid(field, o, 'must be a manifest file or objects with apiVersion and kind');
      return;
    }
    objects.push({
      object: o as unknown as AnyObject,
      source: { file: r.file, line: r.doc.lineOf(field) ?? r.doc.line },
    });
  });
  return { kind: 'apply', objects };
}

function readCluster(r: Reader, v: unknown): ScenarioCluster {
  const o = r.object('spec.cluster', v) ?? {};
  const f = 'spec.cluster';
  r.only(f, o, [
    'nodes',
    'second',
    'nodeMonitorGracePeriod',
    'podEvictionTimeout',
    'nodeLeaseRenewInterval',
    'proxyMinSyncPeriod',
    'conntrackCleanup',
    'externalNames',
  ]);
  const externalNames: Record<string, string[]> = {};
  const names = r.object(`${f}.externalNames`, o.externalNames) ?? {};
  for (const [name, v] of Object.entries(names)) {
    const list = typeof v === 'string' ? [v] : v;
    if (!Array.isArray(list) || !list.every((a) => typeof a === 'string' && isIP(a) !== 0))
      r.invalid(`${f}.externalNames.${name}`, v, 'must be an IP address or a list of them');
    else externalNames[name] = list as string[];
  }
  const secondS = r.seconds(`${f}.second`, o.second, 10);
  return {
    nodes: r.int(`${f}.nodes`, o.nodes, 1, 100) ?? 2,
    second: secondS === undefined ? 1000 : Math.max(1, Math.round(secondS * 1000)),
    nodeMonitorGracePeriod: r.seconds(`${f}.nodeMonitorGracePeriod`, o.nodeMonitorGracePeriod) ?? 40,
    podEvictionTimeout: r.seconds(`${f}.podEvictionTimeout`, o.podEvictionTimeout) ?? 300,
    nodeLeaseRenewInterval: r.seconds(`${f}.nodeLeaseRenewInterval`, o.nodeLeaseRenewInterval) ?? 10,
    proxyMinSyncPeriod: r.seconds(`${f}.proxyMinSyncPeriod`, o.proxyMinSyncPeriod) ?? 0.1,
    conntrackCleanup: r.bool(`${f}.conntrackCleanup`, o.conntrackCleanup) ?? true,
    externalNames,
  };
}

function isScenarioDocument(value: unknown): boolean {
  return isPlainObject(value) && value.kind === 'Scenario';
}

/** Reads a scenario's text. Throws ScenarioFileError naming every problem. */
export function parseScenario(text: string, file: string): Scenario {
  const { documents, issues } = readYamlDocuments(text, file);
  if (issues.length > 0) throw new ScenarioFileError(issues);
  const scenarios = documents.filter((d) => isScenarioDocument(d.value));
  if (scenarios.length !== 1) {
    throw new ScenarioFileError([
      {
        file,
        line: scenarios[1]?.line ?? 1,
        object: '',
        field: 'kind',
        message:
          scenarios.length === 0
            ? 'a scenario file holds one document of kind Scenario'
            : 'only one Scenario may be given',
      },
    ]);
  }
  const doc = scenarios[0]!;
  const v = doc.value as Record<string, unknown>;
  const md = isPlainObject(v.metadata) ? v.metadata : {};
  const name = typeof md.name === 'string' && md.name !== '' ? md.name : '<no name>';
  const r = new Reader(file, doc, `Scenario ${name}`);
  r.only('', v, ['apiVersion', 'kind', 'metadata', 'spec']);
  if (v.apiVersion !== scenarioApiVersion)
    r.bad(
      'apiVersion',
      `Unsupported value: ${JSON.stringify(v.apiVersion)}: supported values: "${scenarioApiVersion}"`,
    );
  if (typeof md.name !== 'string' || md.name === '') r.required('metadata.name');
  const description = r.string('metadata.description', md.description) ?? '';
  const spec = r.object('spec', v.spec) ?? {};
  if (v.spec === undefined) r.required('spec');
  r.only('spec', spec, ['seed', 'cluster', 'manifests', 'steps']);
  const seed = r.int('spec.seed', spec.seed, 0, 2 ** 32 - 1) ?? 1;
  const cluster = readCluster(r, spec.cluster);
  const dir = dirname(file);
  const objects: ManifestObject[] = [];
  // The file's other documents are manifests too (a scenario can stand alone in one file).
  if (documents.length > 1) {
    const read = readManifests(text, file);
    const scenarioKindLine = doc.lineOf('kind');
    objects.push(...read.objects);
    r.issues.push(...read.issues.filter((i) => !(i.field === 'kind' && i.line === scenarioKindLine)));
  }
  if (spec.manifests !== undefined) {
    const list = spec.manifests;
    if (!Array.isArray(list) || !list.every((m) => typeof m === 'string' && m !== ''))
      r.invalid('spec.manifests', list, 'must be a list of manifest files or directories');
    else {
      const read = readManifestFiles(list.map((m) => resolvePath(dir, m as string)));
      objects.push(...read.objects);
      r.issues.push(...read.issues);
    }
  }
  const steps: Step[] = [];
  if (spec.steps === undefined) r.required('spec.steps');
  else if (!Array.isArray(spec.steps) || spec.steps.length === 0) {
    r.invalid('spec.steps', spec.steps, 'must be a list of steps');
  } else if (spec.steps.length > maxSteps) {
    r.invalid('spec.steps', `${spec.steps.length} steps`, `at most ${maxSteps} steps`);
  } else {
    spec.steps.forEach((s, k) => {
      const step = readStep(r, k, s, dir);
      if (step) steps.push(step);
    });
    const names = new Set<string>();
    steps.forEach((s, k) => {
      if (names.has(s.name)) r.bad(`spec.steps[${k}].name`, `Duplicate value: "${s.name}"`);
      names.add(s.name);
      if (s.action.kind === 'expect') {
        const target = s.action.step;
        const before = steps.slice(0, k).find((b) => b.name === target);
        if (before === undefined || (before.action.kind !== 'traffic' && before.action.kind !== 'dns'))
          r.bad(`spec.steps[${k}].expect.step`, `no traffic or dns step named "${target}" before this one`);
      }
      const w = s.action.kind === 'wait' ? s.action.for : undefined;
      if (w && 'traffic' in w) {
        const before = steps.slice(0, k).find((b) => b.name === w.traffic);
        if (before?.action.kind !== 'traffic' || !before.action.traffic.background)
          r.bad(
            `spec.steps[${k}].wait.traffic`,
            `no background traffic step named "${w.traffic}" before this one`,
          );
      }
    });
  }
  if (r.issues.length > 0) throw new ScenarioFileError(r.issues);
  return { file, name, description, seed, cluster, objects, steps };
}

/** Reads a scenario file (at most api's manifest size limit). */
export function readScenarioFile(file: string): Scenario {
  let text: string;
  try {
    if (statSync(file).size > maxManifestBytes) throw new RangeError('too large');
    const fd = openSync(file, 'r');
    try {
      const buf = Buffer.alloc(Math.min(statSync(file).size, maxManifestBytes));
      const n = readSync(fd, buf, 0, buf.length, 0);
      text = buf.subarray(0, n).toString('utf8');
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    const message =
      e instanceof RangeError
        ? `the file is larger than ${maxManifestBytes} bytes`
        : (e as NodeJS.ErrnoException).code === 'ENOENT'
          ? 'no such file or built-in scenario'
          : (e as Error).message;
    throw new ScenarioFileError([{ file, line: 0, object: '', field: '', message }]);
  }
  return parseScenario(text, file);
}
