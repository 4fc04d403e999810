// What one packet meets on a node: the rules kube-proxy writes there (its first sync over the
// store, as `netlab iptables-save` prints them) plus the built-in jumps, walked as the kernel walks
// them (every outcome: traceKernel) or, with `--semantics kube-proxy-test`, with kube-proxy's test
// tracer semantics (tracePacket), and the text or JSON `netlab trace` prints for it.
import type { WatchableStore } from '../../api/index.js';
import {
  FastPath,
  newKernelState,
  RuleTable,
  TraceInputError,
  traceKernel,
  tracePacket,
  withKubeJumpRules,
} from '../../proxy/index.js';
import { isIPv6String, seededUint32 } from '../../std/index.js';
import { type NodeFlags, syncNode, unallocatedServices } from './kube-proxy.js';
import { storeFromManifests } from './objects.js';

/** The packet and output flags of `netlab trace`. */
export interface PacketFlags {
  src: string;
  dst: string;
  dport: string;
  proto: string;
  output?: string;
  pick?: boolean;
  seed: string;
  /** `kernel` (the default) or `kube-proxy-test`. */
  semantics?: string;
}

/**
 * How the packet is walked. `kernel`: the hooks the kernel runs for the packet's origin, in its order
 * (nat OUTPUT, filter OUTPUT, nat POSTROUTING for the node's own packets, then filter INPUT when
 * they are delivered locally; nat PREROUTING, then filter INPUT, or FORWARD and nat POSTROUTING, by
 * the routing decision after DNAT), every statistic outcome listed. `kube-proxy-test`: kube-proxy's
 * test tracer (proxier_test.go tracePacket), for upstream's flow tables.
 */
export type TraceSemantics = 'kernel' | 'kube-proxy-test';

/** The packet and how to print it, checked. */
export interface TraceRequest {
  packet: { sourceIP: string; protocol: 'tcp' | 'udp' | 'sctp'; destIP: string; destPort: number };
  format: 'json' | 'text';
  /** The PRNG seed of `--pick`; absent without it. */
  pick: number | undefined;
  semantics: TraceSemantics;
  /** The packet's family unless `--ip-family` says otherwise: the table set the kernel walks. */
  nodeFlags: NodeFlags;
}

/** Checks the packet flags; throws TraceInputError naming the flag. */
export function traceRequest(flags: PacketFlags & NodeFlags): TraceRequest {
  if (!/^\d+$/.test(flags.dport) || Number(flags.dport) > 65535) {
    throw new TraceInputError(
      `--dport: Invalid value: "${flags.dport}": must be between 0 and 65535, inclusive`,
    );
  }
  const proto = flags.proto.toLowerCase();
  if (proto !== 'tcp' && proto !== 'udp' && proto !== 'sctp') {
    throw new TraceInputError(
      `--proto: Unsupported value: "${flags.proto}": supported values: "tcp", "udp", "sctp"`,
    );
  }
  const format = flags.output ?? 'text';
  if (format !== 'json' && format !== 'text') {
    throw new TraceInputError(`-o: Unsupported value: "${format}": supported values: "json", "text"`);
  }
  const semantics = flags.semantics ?? 'kernel';
  if (semantics !== 'kernel' && semantics !== 'kube-proxy-test') {
    throw new TraceInputError(
      `--semantics: Unsupported value: "${semantics}": supported values: "kernel", "kube-proxy-test"`,
    );
  }
  const seed = Number(flags.seed);
  if (!Number.isInteger(seed))
    throw new TraceInputError(`--seed: Invalid value: "${flags.seed}": must be an integer`);
  // The kernel walks the table set of the packet's family; kube-proxy writes one set per family.
  const ipFamily = flags.ipFamily ?? (isIPv6String(flags.dst) ? 'ipv6' : 'ipv4');
  return {
    packet: { sourceIP: flags.src, protocol: proto, destIP: flags.dst, destPort: Number(flags.dport) },
    format,
    pick: flags.pick === true ? seed : undefined,
    semantics,
    nodeFlags: { ...flags, ipFamily },
  };
}

/** What `netlab trace` prints, and the warnings kube-proxy and the reading of its input gave. */
export interface TraceOutput {
  output: string;
  warnings: string[];
}

/** Traces the request's packet through the rules kube-proxy writes on its node from `store`. */
export function traceOnNode(store: WatchableStore, req: TraceRequest): TraceOutput {
  const sync = syncNode(store, req.nodeFlags);
  // The node's tables as kube-proxy leaves them: its payload plus the jumps from the built-in chains.
  const rules = withKubeJumpRules(RuleTable.parse(sync.result.payload, 'iptables-save'));
  const nodeIPs = sync.options.nodeIPs ?? [];
  const r =
    req.semantics === 'kernel'
      ? traceKernel(rules, req.packet, { nodeIPs })
      : { ...tracePacket(rules, req.packet, { nodeIPs }), verdicts: [] };
  const picked =
    req.pick !== undefined
      ? new FastPath(rules, nodeIPs).decide(
          req.packet,
          newKernelState(seededUint32(req.pick), () => 0),
        )
      : undefined;
  if (req.format === 'json') {
    const doc: Record<string, unknown> = {
      endpoints: r.endpoints,
      verdict: r.verdict,
      masquerade: r.masquerade,
      rules: r.rules,
    };
    if (r.verdicts.length > 0) doc.verdicts = r.verdicts;
    if (picked !== undefined) {
      doc.picked = picked.endpoint ?? picked.verdict;
      doc.shares = r.shares;
    }
    return { output: `${JSON.stringify(doc, null, 2)}\n`, warnings: sync.warnings };
  }
  let s = r.matched.length === 0 ? 'rules matched: (none)\n' : 'rules matched:\n';
  for (const m of r.matched) s += `  ${m.table.padEnd(7)}${m.rule}\n`;
  // The verdict has its own line: with no endpoint to name, the endpoints line says so.
  s += `endpoints: ${r.endpoints.length === 0 ? '<none>' : r.output}\n`;
  s += `verdict: ${r.verdict}\n`;
  // Only when the endpoints' paths end differently (a rule after DNAT drops some of them).
  if (r.verdicts.length > 0) {
    s += `verdicts: ${r.verdicts.map((v) => `${v.verdict} ${(100 * v.share).toFixed(1)}%`).join(', ')}\n`;
  }
  s += `masquerade: ${r.masquerade}\n`;
  if (picked !== undefined) {
    const shares = r.endpoints.map((e, i) => `${e} ${(100 * r.shares[i]!).toFixed(1)}%`);
    if (shares.length > 0) s += `shares of new connections: ${shares.join(', ')}\n`;
    s += `picked (seed ${req.pick}): ${picked.endpoint ?? picked.verdict}\n`;
  }
  return { output: s, warnings: sync.warnings };
}

/** `netlab trace -f FILE...`: the flags checked first, then the manifests read into a store. */
export function traceManifests(files: readonly string[], flags: PacketFlags & NodeFlags): TraceOutput {
  const req = traceRequest(flags);
  const read = storeFromManifests(files);
  const out = traceOnNode(read.store, req);
  return {
    output: out.output,
    warnings: [...unallocatedServices(read.store), ...read.warnings, ...out.warnings],
  };
}
