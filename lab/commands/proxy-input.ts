// What `netlab iptables-save` and `netlab trace` share: the kube-proxy node flags, manifests read
// through api's loader and checked as kube-proxy reads objects (shape and parseability only), the
// EndpointSlices derived from Pods for Services the manifests give none, and a proxier fed with all of it.
import { hostname } from 'node:os';
import type { Command } from 'commander';
import {
  describeObject,
  type EndpointSlice,
  type IPFamily,
  lineOfField,
  ManifestError,
  type ManifestIssue,
  type Node,
  type Pod,
  readManifestFiles,
  type Service,
} from '../../api/index.js';
import {
  checkEndpointSlice,
  checkNode,
  checkService,
  clusterCIDRWarning,
  type FieldIssue,
  Proxier,
  ProxierConfigError,
  type ProxierOptions,
  parseIPSloppy,
} from '../../proxy/index.js';
import { withDerivedEndpointSlices } from '../controllers/index.js';

/** The node flags as commander hands them over. */
export interface NodeFlags {
  filename: string[];
  hostnameOverride?: string;
  nodeIp?: string;
  clusterCidr?: string;
  masqueradeAll?: boolean;
  nodeportAddresses?: string;
  ipFamily?: string;
}

/** Adds `-f` and the kube-proxy node flags to a command. */
export function addNodeFlags(cmd: Command): Command {
  return cmd
    .requiredOption('-f, --filename <files...>', 'manifest files or directories (YAML or JSON; - for stdin)')
    .option(
      '--hostname-override <node>',
      "this node's name (default: the only Node in the manifests, else the hostname)",
    )
    .option(
      '--node-ip <ips>',
      "the node's IPs, comma-separated, when the manifests have no Node of that name",
    )
    .option(
      '--cluster-cidr <cidrs>',
      'pod network CIDR(s), comma-separated: traffic from outside is masqueraded',
    )
    .option('--masquerade-all', 'masquerade all traffic to ClusterIPs')
    .option(
      '--nodeport-addresses <cidrs>',
      'CIDRs (or "primary") of the node addresses that accept NodePorts',
    )
    .option('--ip-family <family>', "ipv4 or ipv6 (default: ipv4; for trace, the packet's family)");
}

/** The objects kube-proxy would see, and where the node config came from. */
export interface ProxyInput {
  services: Service[];
  endpointSlices: EndpointSlice[];
  nodes: Node[];
  /** True when the slices were derived from Pods with the EndpointSlice controller's logic. */
  derivedSlices: boolean;
  /** Messages the EndpointSlice controller would log (e.g. a Pod on an unknown Node). */
  warnings: string[];
  options: ProxierOptions;
}

function ipFamilyOf(flag: string | undefined): IPFamily {
  const f = (flag ?? 'ipv4').toLowerCase();
  if (f === 'ipv4') return 'IPv4';
  if (f === 'ipv6') return 'IPv6';
  throw new ProxierConfigError(
    '--ip-family',
    `Unsupported value: "${flag}": supported values: "ipv4", "ipv6"`,
  );
}

function splitList(s: string | undefined): string[] {
  return (s ?? '')
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x !== '');
}

/** Node InternalIPs first, then ExternalIPs (the primary IP is the first of the family). */
export function nodeAddresses(node: Node): string[] {
  const addrs = node.status?.addresses ?? [];
  return [
    ...addrs.filter((a) => a.type === 'InternalIP').map((a) => a.address),
    ...addrs.filter((a) => a.type === 'ExternalIP').map((a) => a.address),
  ];
}

/**
 * Reads the manifests and the node flags into proxier input. Throws ManifestError (every problem,
 * each naming file:line, object and field) or ProxierConfigError (a node flag).
 */
export function loadProxyInput(flags: NodeFlags): ProxyInput {
  const read = readManifestFiles(flags.filename);
  const issues: ManifestIssue[] = [...read.issues];
  const services: Service[] = [];
  const endpointSlices: EndpointSlice[] = [];
  const nodes: Node[] = [];
  const pods: Pod[] = [];
  for (const { object, source } of read.objects) {
    let found: FieldIssue[] = [];
    if (object.kind === 'Service') found = checkService(object);
    else if (object.kind === 'EndpointSlice') found = checkEndpointSlice(object);
    else if (object.kind === 'Node') found = checkNode(object);
    for (const f of found) {
      issues.push({
        file: source.file,
        line: lineOfField(object, f.field) ?? source.line,
        object: describeObject(object),
        field: f.field,
        message: f.message,
      });
    }
    if (found.length > 0) continue;
    if (object.kind === 'Service') services.push(object);
    else if (object.kind === 'EndpointSlice') endpointSlices.push(object);
    else if (object.kind === 'Node') nodes.push(object);
    else if (object.kind === 'Pod') pods.push(object);
  }
  if (issues.length > 0) throw new ManifestError(issues);

  const warnings: string[] = [];
  for (const svc of services) {
    // Read as allocated, like kube-proxy: a Service the API server would give an IP has none here.
    if ((svc.spec.clusterIP ?? '') === '' && svc.spec.type !== 'ExternalName') {
      warnings.push(
        `${describeObject(svc)} has no spec.clusterIP: kube-proxy skips it (give it the allocated IP)`,
      );
    }
  }
  const derived = withDerivedEndpointSlices([...services, ...endpointSlices, ...nodes, ...pods]);
  const derivedSlices = derived.derived.length > 0;
  endpointSlices.push(...derived.derived);
  warnings.push(...derived.warnings);

  const family = ipFamilyOf(flags.ipFamily);
  const cidrWarning = clusterCIDRWarning(flags.clusterCidr, family);
  if (cidrWarning !== undefined) warnings.push(cidrWarning);
  const nodeName =
    flags.hostnameOverride ?? (nodes.length === 1 ? (nodes[0]!.metadata.name ?? hostname()) : hostname());
  const node = nodes.find((n) => n.metadata.name === nodeName);
  const fromNode = node ? nodeAddresses(node) : [];
  const flagIPs = splitList(flags.nodeIp);
  // A bad flag is an error even when the Node object gives the addresses and the flag goes unused.
  for (const ip of flagIPs) {
    if (parseIPSloppy(ip) === null) throw new ProxierConfigError('--node-ip', `invalid IP address "${ip}"`);
  }
  const nodeIPs = fromNode.length > 0 ? fromNode : flagIPs;
  const options: ProxierOptions = {
    nodeName,
    ipFamily: family,
    nodeIPs,
    clusterCIDRs: splitList(flags.clusterCidr),
    masqueradeAll: flags.masqueradeAll ?? false,
    nodePortAddresses: splitList(flags.nodeportAddresses),
    minSyncPeriod: 0,
  };
  return { services, endpointSlices, nodes, derivedSlices, warnings, options };
}

/** A proxier that has seen every object (initial lists delivered), not yet synced. */
export function proxierFor(input: ProxyInput, extra: Partial<ProxierOptions> = {}): Proxier {
  const p = new Proxier({ ...input.options, ...extra });
  for (const n of input.nodes) p.onNodeAdd(n);
  for (const s of input.services) p.onServiceAdd(s);
  for (const s of input.endpointSlices) p.onEndpointSliceAdd(s);
  p.markSynced();
  return p;
}

/** Prints an error the user caused without a stack trace; anything else is a bug and is rethrown. */
export function reportUserError(e: unknown): void {
  if (e instanceof Error && typeof (e as { code?: unknown }).code === 'string') {
    process.stderr.write(`error: ${e.message}\n`);
    process.exitCode = 1;
    return;
  }
  throw e;
}
