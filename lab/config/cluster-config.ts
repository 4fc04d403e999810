// cluster.yaml (`apiVersion: netlab.dev/v1alpha1`, `kind: Cluster`): the shape of the lab, as kind's
// own Cluster config describes a kind cluster. Read with positions so every problem names its file,
// line and field; defaults fill what is not written.
import {
  formatIssue,
  type ManifestIssue,
  type Node,
  readYamlDocuments,
  type Taint,
  type YamlDocument,
} from '../../api/index.js';
import { parseHostPort } from '../../dns/index.js';
import { NetlabError, parseGoCIDR, parseGoIP } from '../../std/index.js';

export const clusterApiVersion = 'netlab.dev/v1alpha1';

/** ipFamily of cluster.yaml, with kind's values (kind's ClusterIPFamily). */
export type ClusterIPFamily = 'ipv4' | 'ipv6' | 'dual';
export type DnsPodsMode = 'disabled' | 'insecure' | 'verified';

export interface NodeConfig {
  name: string;
  zone: string | undefined;
  labels: Record<string, string>;
  taints: Taint[];
  /** InternalIP(s): one per family. */
  addresses: string[];
  /** Where cluster.yaml wrote it (0: not written there). */
  line: number;
}

/** Durations in milliseconds; the runtime reads the ones it implements. */
export interface ClusterDurations {
  /** How often each kubelet renews its Lease (kubelet `nodeLeaseRenewInterval`, 10s). */
  nodeLeaseRenewInterval: number;
  /** No Lease renewal for this long: the Node goes NotReady (`--node-monitor-grace-period`, 40s). */
  nodeMonitorGracePeriod: number;
  /** NotReady for this long: its Pods are evicted (`--pod-eviction-timeout`, 5m). */
  podEvictionTimeout: number;
  /** How long a connection to a DROPped destination waits before the client gives up (10s). */
  dropTimeout: number;
}

export interface ClusterConfig {
  /** Where it was read from; `<default>` when no cluster.yaml was given. */
  file: string;
  name: string;
  nodes: NodeConfig[];
  /** The nodes were written in the file (a count or a list), not taken from the default. */
  nodesWritten: boolean;
  ipFamily: ClusterIPFamily;
  podSubnets: string[];
  serviceSubnets: string[];
  dns: { zone: string; ttl: number; pods: DnsPodsMode; upstream: string | undefined };
  /** Loopback addresses this machine's clients use: the listeners, then node n on the n-th address. */
  loopback: { address: string; nodes: string };
  ports: { dns: number; api: number; proxy: number };
  seed: number;
  /** host-local's dataDir and the kubeconfig go on disk here; memory when unset. */
  stateDir: string | undefined;
  durations: ClusterDurations;
}

/** cluster.yaml could not be read; `issues` names every problem by file, line and field. */
export class ClusterConfigError extends NetlabError {
  override readonly name = 'ClusterConfigError';
  readonly code = 'NETLAB_LAB_CLUSTER_CONFIG';
  constructor(readonly issues: readonly ManifestIssue[]) {
    super(issues.map((i) => formatIssue(i)).join('\n'));
  }
}

// kind's defaults: its docker network (172.18.0.0/16, fc00:f853:ccd:e793::/64), its pod and
// service subnets for IPv6 and dual stack; kube-apiserver's 10.96.0.0/12 for IPv4 Services.
const defaultPodSubnets: Record<ClusterIPFamily, string[]> = {
  ipv4: ['10.244.0.0/16'],
  ipv6: ['fd00:10:244::/56'],
  dual: ['10.244.0.0/16', 'fd00:10:244::/56'],
};
const defaultServiceSubnets: Record<ClusterIPFamily, string[]> = {
  ipv4: ['10.96.0.0/12'],
  ipv6: ['fd00:10:96::/112'],
  dual: ['10.96.0.0/12', 'fd00:10:96::/112'],
};
const defaultZones = ['zone-a', 'zone-b'];
const maxNodes = 5000; // kube-scalability's supported maximum for one cluster

export const defaultDurations: ClusterDurations = {
  nodeLeaseRenewInterval: 10_000,
  nodeMonitorGracePeriod: 40_000,
  podEvictionTimeout: 300_000,
  dropTimeout: 10_000,
};

function nodeAddresses(n: number, family: ClusterIPFamily): string[] {
  // Node n (1-based) is the (n+1)-th host of kind's network, as `docker network inspect kind` shows.
  const i = n + 1;
  const v4 = `172.18.${i >> 8}.${i & 255}`;
  const v6 = `fc00:f853:ccd:e793::${i.toString(16)}`;
  return family === 'ipv4' ? [v4] : family === 'ipv6' ? [v6] : [v4, v6];
}

function countNodes(count: number, family: ClusterIPFamily): NodeConfig[] {
  return Array.from({ length: count }, (_, k) => ({
    name: `node-${k + 1}`,
    zone: defaultZones[k % defaultZones.length],
    labels: {},
    taints: [],
    addresses: nodeAddresses(k + 1, family),
    line: 0,
  }));
}

/** The default cluster: 3 nodes in 2 zones, IPv4, memory state, the usual ports. */
export function defaultClusterConfig(): ClusterConfig {
  return {
    file: '<default>',
    name: 'netlab',
    nodes: countNodes(3, 'ipv4'),
    nodesWritten: false,
    ipFamily: 'ipv4',
    podSubnets: defaultPodSubnets.ipv4,
    serviceSubnets: defaultServiceSubnets.ipv4,
    dns: { zone: 'cluster.local', ttl: 5, pods: 'insecure', upstream: undefined },
    loopback: { address: '127.0.0.1', nodes: '127.0.10.1' },
    ports: { dns: 10053, api: 6443, proxy: 8080 },
    seed: 1,
    stateDir: undefined,
    durations: { ...defaultDurations },
  };
}

/** The config with `count` generated nodes instead of its own (`netlab up --nodes N`). */
export function withNodeCount(cfg: ClusterConfig, count: number): ClusterConfig {
  const nodes = countNodes(count, cfg.ipFamily);
  return { ...cfg, nodes, nodesWritten: true };
}

/** Go's time.ParseDuration for the units a config uses (`300ms`, `10s`, `1m30s`, `2h`) -> ms. */
export function parseDuration(s: string): number | undefined {
  const unit: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  if (s === '0') return 0;
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;
  let total = 0;
  let at = 0;
  for (let m = re.exec(s); m !== null; m = re.exec(s)) {
    total += Number(m[1]) * unit[m[2]!]!;
    at = re.lastIndex;
  }
  return at === s.length && at > 0 ? Math.round(total) : undefined;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

class Reader {
  readonly issues: ManifestIssue[] = [];
  constructor(
    readonly file: string,
    readonly doc: YamlDocument,
    readonly object: string,
  ) {}
  bad(field: string, message: string): void {
    this.issues.push({
      file: this.file,
      line: this.doc.lineOf(field) ?? this.doc.line,
      object: this.object,
      field,
      message,
    });
  }
  invalid(field: string, value: unknown, why: string): void {
    this.bad(field, `Invalid value: ${JSON.stringify(value)}: ${why}`);
  }
  /** Fields not in `known` are reported, as kube-apiserver's strict field validation does. */
  only(field: string, value: Record<string, unknown>, known: readonly string[]): void {
    for (const k of Object.keys(value)) {
      if (!known.includes(k)) this.bad(field ? `${field}.${k}` : k, `unknown field "${k}"`);
    }
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
  stringMap(field: string, v: unknown): Record<string, string> | undefined {
    if (v === undefined) return undefined;
    if (!isPlainObject(v) || !Object.values(v).every((x) => typeof x === 'string')) {
      this.invalid(field, v, 'must be a map of strings');
      return undefined;
    }
    return v as Record<string, string>;
  }
}

const topKeys = [
  'apiVersion',
  'kind',
  'metadata',
  'nodes',
  'zones',
  'ipFamily',
  'podSubnet',
  'serviceSubnet',
  'dns',
  'loopback',
  'ports',
  'seed',
  'stateDir',
  'durations',
];
const taintEffects = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];

function subnets(r: Reader, field: string, v: unknown, family: ClusterIPFamily): string[] | undefined {
  if (v === undefined) return undefined;
  const list = typeof v === 'string' ? v.split(',').map((s) => s.trim()) : v;
  if (!Array.isArray(list) || list.length === 0 || !list.every((s) => typeof s === 'string')) {
    r.invalid(field, v, 'must be a CIDR, or two comma-separated CIDRs (one per family) for dual stack');
    return undefined;
  }
  const families: string[] = [];
  for (const s of list as string[]) {
    const net = parseGoCIDR(s);
    if (!net) {
      r.invalid(field, s, 'must be a valid CIDR (e.g. 10.244.0.0/16)');
      return undefined;
    }
    families.push(s.includes(':') ? 'ipv6' : 'ipv4');
  }
  const want = family === 'dual' ? ['ipv4', 'ipv6'] : [family];
  if (families.length !== want.length || ![...families].sort().every((f, i) => f === want[i])) {
    r.invalid(
      field,
      v,
      family === 'dual'
        ? 'ipFamily dual needs one IPv4 and one IPv6 CIDR'
        : `ipFamily ${family} needs one ${family === 'ipv4' ? 'IPv4' : 'IPv6'} CIDR`,
    );
    return undefined;
  }
  return list as string[];
}

function readNodes(
  r: Reader,
  v: unknown,
  zones: string[],
  family: ClusterIPFamily,
): NodeConfig[] | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'number') {
    const n = r.int('nodes', v, 1, maxNodes);
    if (n === undefined) return undefined;
    const line = r.doc.lineOf('nodes') ?? 0;
    return countNodes(n, family).map((node, k) => ({ ...node, zone: zones[k % zones.length], line }));
  }
  if (!Array.isArray(v) || v.length === 0) {
    r.invalid('nodes', v, 'must be a number of nodes or a list of nodes');
    return undefined;
  }
  const out: NodeConfig[] = [];
  const seen = new Set<string>();
  v.forEach((item, k) => {
    const f = `nodes[${k}]`;
    if (!isPlainObject(item)) {
      r.invalid(f, item, 'must be an object with a name');
      return;
    }
    r.only(f, item, ['name', 'zone', 'labels', 'taints', 'address']);
    const name = r.string(`${f}.name`, item.name) ?? `node-${k + 1}`;
    if (item.name !== undefined && !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(name)) {
      r.invalid(
        `${f}.name`,
        name,
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
      );
    }
    if (seen.has(name)) r.bad(`${f}.name`, `Duplicate value: "${name}"`);
    seen.add(name);
    const zone = r.string(`${f}.zone`, item.zone);
    const labels = r.stringMap(`${f}.labels`, item.labels) ?? {};
    const taints: Taint[] = [];
    if (item.taints !== undefined) {
      if (!Array.isArray(item.taints)) r.invalid(`${f}.taints`, item.taints, 'must be a list of taints');
      else
        item.taints.forEach((t, j) => {
          const tf = `${f}.taints[${j}]`;
          if (!isPlainObject(t)) {
            r.invalid(tf, t, 'must be {key, value, effect}');
            return;
          }
          r.only(tf, t, ['key', 'value', 'effect']);
          const key = r.string(`${tf}.key`, t.key);
          if (key === undefined && t.key === undefined) r.bad(`${tf}.key`, 'Required value');
          const value = t.value === undefined ? undefined : r.string(`${tf}.value`, t.value);
          if (typeof t.effect !== 'string' || !taintEffects.includes(t.effect)) {
            r.bad(
              `${tf}.effect`,
              `Unsupported value: ${JSON.stringify(t.effect)}: supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"`,
            );
            return;
          }
          if (key !== undefined)
            taints.push({
              key,
              ...(value !== undefined ? { value } : {}),
              effect: t.effect as Taint['effect'],
            });
        });
    }
    let addresses = nodeAddresses(k + 1, family);
    if (item.address !== undefined) {
      const list = typeof item.address === 'string' ? item.address.split(',').map((s) => s.trim()) : [];
      if (list.length === 0 || list.some((a) => !parseGoIP(a)))
        r.invalid(`${f}.address`, item.address, 'must be an IP address');
      else addresses = list;
    }
    const line = r.doc.lineOf(f) ?? 0;
    out.push({ name, zone: zone ?? zones[k % zones.length], labels, taints, addresses, line });
  });
  return out;
}

/** Reads one `kind: Cluster` document. Throws ClusterConfigError naming every problem. */
export function readClusterConfig(file: string, doc: YamlDocument): ClusterConfig {
  const v = doc.value;
  const d = defaultClusterConfig();
  if (!isPlainObject(v)) {
    throw new ClusterConfigError([
      { file, line: doc.line, object: '', field: '', message: 'Invalid value: expected an object' },
    ]);
  }
  const md = isPlainObject(v.metadata) ? v.metadata : {};
  const name = typeof md.name === 'string' && md.name !== '' ? md.name : d.name;
  const r = new Reader(file, doc, `Cluster ${name}`);
  r.only('', v, topKeys);
  if (v.apiVersion !== clusterApiVersion) {
    r.bad(
      'apiVersion',
      `Unsupported value: ${JSON.stringify(v.apiVersion)}: supported values: "${clusterApiVersion}"`,
    );
  }
  const ipFamily = (v.ipFamily ?? d.ipFamily) as ClusterIPFamily;
  if (!['ipv4', 'ipv6', 'dual'].includes(ipFamily)) {
    r.bad(
      'ipFamily',
      `Unsupported value: ${JSON.stringify(v.ipFamily)}: supported values: "ipv4", "ipv6", "dual"`,
    );
  }
  const family: ClusterIPFamily = ['ipv4', 'ipv6', 'dual'].includes(ipFamily) ? ipFamily : 'ipv4';
  let zones = defaultZones;
  if (v.zones !== undefined) {
    if (
      !Array.isArray(v.zones) ||
      v.zones.length === 0 ||
      !v.zones.every((z) => typeof z === 'string' && z !== '')
    )
      r.invalid('zones', v.zones, 'must be a list of zone names');
    else zones = v.zones as string[];
  }
  const nodes = readNodes(r, v.nodes, zones, family);
  const podSubnets = subnets(r, 'podSubnet', v.podSubnet, family) ?? defaultPodSubnets[family];
  const serviceSubnets =
    subnets(r, 'serviceSubnet', v.serviceSubnet, family) ?? defaultServiceSubnets[family];

  const dns = { ...d.dns };
  if (v.dns !== undefined) {
    if (!isPlainObject(v.dns)) r.invalid('dns', v.dns, 'must be an object');
    else {
      r.only('dns', v.dns, ['zone', 'ttl', 'pods', 'upstream']);
      const zone = r.string('dns.zone', v.dns.zone);
      if (zone !== undefined) {
        if (!/^([a-z0-9]([-a-z0-9]*[a-z0-9])?\.)*[a-z0-9]([-a-z0-9]*[a-z0-9])?\.?$/.test(zone))
          r.invalid('dns.zone', zone, 'must be a domain name (e.g. cluster.local)');
        else dns.zone = zone.replace(/\.$/, '');
      }
      dns.ttl = r.int('dns.ttl', v.dns.ttl, 0, 3600) ?? dns.ttl;
      if (v.dns.pods !== undefined) {
        if (!['disabled', 'insecure', 'verified'].includes(v.dns.pods as string))
          r.bad(
            'dns.pods',
            `Unsupported value: ${JSON.stringify(v.dns.pods)}: supported values: "disabled", "insecure", "verified"`,
          );
        else dns.pods = v.dns.pods as DnsPodsMode;
      }
      const up = r.string('dns.upstream', v.dns.upstream);
      if (up !== undefined) {
        try {
          parseHostPort('dns.upstream', up, 53);
          dns.upstream = up;
        } catch {
          r.invalid('dns.upstream', up, 'must be IP or IP:PORT (e.g. 1.1.1.1:53)');
        }
      }
    }
  }

  const loopback = { ...d.loopback };
  if (v.loopback !== undefined) {
    if (!isPlainObject(v.loopback)) r.invalid('loopback', v.loopback, 'must be an object');
    else {
      r.only('loopback', v.loopback, ['address', 'nodes']);
      for (const k of ['address', 'nodes'] as const) {
        const a = r.string(`loopback.${k}`, v.loopback[k]);
        if (a === undefined) continue;
        const ip = parseGoIP(a);
        if (!ip || !/^127\.\d+\.\d+\.\d+$/.test(a))
          r.invalid(`loopback.${k}`, a, 'must be an IPv4 address in 127.0.0.0/8');
        else loopback[k] = a;
      }
    }
  }

  const ports = { ...d.ports };
  if (v.ports !== undefined) {
    if (!isPlainObject(v.ports)) r.invalid('ports', v.ports, 'must be an object');
    else {
      r.only('ports', v.ports, ['dns', 'api', 'proxy']);
      for (const k of ['dns', 'api', 'proxy'] as const)
        ports[k] = r.int(`ports.${k}`, v.ports[k], 0, 65535) ?? ports[k];
    }
  }

  const seed = r.int('seed', v.seed, 0, 2 ** 32 - 1) ?? d.seed;
  const stateDir = r.string('stateDir', v.stateDir);

  const durations = { ...d.durations };
  if (v.durations !== undefined) {
    if (!isPlainObject(v.durations)) r.invalid('durations', v.durations, 'must be an object');
    else {
      const keys = Object.keys(defaultDurations) as (keyof ClusterDurations)[];
      r.only('durations', v.durations, keys);
      for (const k of keys) {
        const raw = v.durations[k];
        if (raw === undefined) continue;
        const ms = typeof raw === 'string' ? parseDuration(raw) : undefined;
        if (ms === undefined) r.invalid(`durations.${k}`, raw, 'must be a duration such as 500ms, 10s or 5m');
        else durations[k] = ms;
      }
    }
  }

  if (r.issues.length > 0) throw new ClusterConfigError(r.issues);
  return {
    file,
    name,
    nodes: nodes ?? countNodes(3, family),
    nodesWritten: nodes !== undefined,
    ipFamily: family,
    podSubnets,
    serviceSubnets,
    dns,
    loopback,
    ports,
    seed,
    stateDir,
    durations,
  };
}

/** True for a document that is netlab's own Cluster config rather than a Kubernetes object. */
export function isClusterDocument(value: unknown): boolean {
  return (
    isPlainObject(value) &&
    value.kind === 'Cluster' &&
    typeof value.apiVersion === 'string' &&
    value.apiVersion.startsWith('netlab.dev/')
  );
}

/** Parses cluster.yaml text holding exactly one `kind: Cluster`. Throws ClusterConfigError. */
export function parseClusterConfig(text: string, file: string): ClusterConfig {
  const { documents, issues } = readYamlDocuments(text, file);
  if (issues.length > 0) throw new ClusterConfigError(issues);
  const clusters = documents.filter((d) => isClusterDocument(d.value));
  if (clusters.length !== 1) {
    throw new ClusterConfigError([
      {
        file,
        line: clusters[1]?.line ?? 1,
        object: '',
        field: 'kind',
        message:
          clusters.length === 0
            ? `expected one "kind: Cluster" of ${clusterApiVersion}`
            : 'only one Cluster per file',
      },
    ]);
  }
  return readClusterConfig(file, clusters[0]!);
}

/** The Node objects the config describes, as a kubelet registers them (labels, taints, addresses). */
export function nodeObjects(cfg: ClusterConfig): Node[] {
  return cfg.nodes.map((n) => ({
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: n.name,
      labels: {
        'kubernetes.io/arch': 'amd64',
        'kubernetes.io/hostname': n.name,
        'kubernetes.io/os': 'linux',
        ...(n.zone !== undefined ? { 'topology.kubernetes.io/zone': n.zone } : {}),
        ...n.labels,
      },
    },
    spec: n.taints.length > 0 ? { taints: n.taints } : {},
    status: {
      addresses: [
        ...n.addresses.map((address) => ({ type: 'InternalIP' as const, address })),
        { type: 'Hostname' as const, address: n.name },
      ],
    },
  }));
}
