import type { Command } from 'commander';
import {
  FastPath,
  newKernelState,
  RuleTable,
  TraceInputError,
  tracePacket,
  withKubeJumpRules,
} from '../../proxy/index.js';
import { seededUint32 } from '../../std/index.js';
import { addNodeFlags, loadProxyInput, type NodeFlags, proxierFor, reportUserError } from './proxy-input.js';
import { type LiveFlags, traceLive } from './trace-live.js';

/** The flags of `netlab trace` as commander hands them over. */
export interface TraceFlags extends NodeFlags {
  src: string;
  dst: string;
  dport: string;
  proto: string;
  output?: string;
  pick?: boolean;
  seed: string;
}

/**
 * `netlab trace -f FILE... --src IP --dst IP --dport PORT [--proto P] [node flags] [-o json]`: the
 * rules kube-proxy writes on that node (as `netlab iptables-save` prints them), and what they do to
 * one packet, with the semantics of kube-proxy's own test tracer: every rule matched, every possible
 * endpoint (or DROP / REJECT / ACCEPT) and whether the packet is masqueraded. `--pick` adds the one
 * endpoint the kernel would choose (statistic match with a seeded PRNG).
 */
export function registerTrace(program: Command): void {
  const cmd = addNodeFlags(
    program
      .command('trace')
      .description(
        'walk a packet through the rules kube-proxy writes for a node: matched rules, endpoints, masquerade',
      )
      .option('--src <ip>', 'source IP of the packet (required unless --live)')
      .option('--dst <ip>', 'destination IP of the packet (required unless --live)')
      .option('--dport <port>', 'destination port (required unless --live)')
      .option('--proto <proto>', 'tcp, udp or sctp', 'tcp')
      .option('-o, --output <format>', 'json for {"endpoints", "verdict", "masquerade", "rules"}')
      .option(
        '--pick',
        "also pick one endpoint as the kernel would (seeded statistic match), and show each endpoint's share",
      )
      .option('--seed <n>', 'PRNG seed for --pick', '1')
      .option('--live', "a running lab's new connections, one line each, until interrupted")
      .option('--proxy <host:port>', "the running lab's forward proxy, for --live", '127.0.0.1:8080'),
  );
  // --live reads a running lab, not manifests.
  const filename = cmd.options.find((o) => o.long === '--filename');
  if (filename !== undefined) filename.mandatory = false;
  cmd.action((flags: TraceFlags & LiveFlags) => {
    if (flags.live === true) {
      traceLive(flags).catch(reportUserError);
      return;
    }
    try {
      for (const [name, v] of [
        ['-f, --filename <files...>', flags.filename],
        ['--src <ip>', flags.src],
        ['--dst <ip>', flags.dst],
        ['--dport <port>', flags.dport],
      ] as const) {
        if (v === undefined) throw new TraceInputError(`required option '${name}' not specified`);
      }
      const out = runTrace(flags);
      process.stdout.write(out);
    } catch (e) {
      reportUserError(e);
    }
  });
}

/** What `netlab trace` prints for those flags (warnings go to stderr); throws the user's errors. */
export function runTrace(flags: TraceFlags): string {
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
  const seed = Number(flags.seed);
  if (!Number.isInteger(seed))
    throw new TraceInputError(`--seed: Invalid value: "${flags.seed}": must be an integer`);
  // The kernel walks the table set of the packet's family; kube-proxy writes one set per family.
  const family = flags.ipFamily ?? (flags.dst.includes(':') ? 'ipv6' : 'ipv4');
  const input = loadProxyInput({ ...flags, ipFamily: family });
  for (const w of input.warnings) process.stderr.write(`warning: ${w}\n`);
  // The node's tables as kube-proxy leaves them: its payload plus the jumps from the built-in chains.
  const rules = withKubeJumpRules(
    RuleTable.parse(proxierFor(input).syncProxyRules().payload, 'iptables-save'),
  );
  const nodeIPs = input.options.nodeIPs ?? [];
  const packet = {
    sourceIP: flags.src,
    protocol: proto,
    destIP: flags.dst,
    destPort: Number(flags.dport),
  } as const;
  const r = tracePacket(rules, packet, { nodeIPs });
  const picked =
    flags.pick === true
      ? new FastPath(rules, nodeIPs).decide(
          packet,
          newKernelState(seededUint32(seed), () => 0),
        )
      : undefined;
  if (format === 'json') {
    const doc: Record<string, unknown> = {
      endpoints: r.endpoints,
      verdict: r.verdict,
      masquerade: r.masquerade,
      rules: r.rules,
    };
    if (picked !== undefined) {
      doc.picked = picked.endpoint ?? picked.verdict;
      doc.shares = r.shares;
    }
    return `${JSON.stringify(doc, null, 2)}\n`;
  }
  let s = r.matched.length === 0 ? 'rules matched: (none)\n' : 'rules matched:\n';
  for (const m of r.matched) s += `  ${m.table.padEnd(7)}${m.rule}\n`;
  s += `endpoints: ${r.output === '' ? 'ACCEPT' : r.output}\n`;
  s += `verdict: ${r.verdict}\n`;
  s += `masquerade: ${r.masquerade}\n`;
  if (picked !== undefined) {
    const shares = r.endpoints.map((e, i) => `${e} ${(100 * r.shares[i]!).toFixed(1)}%`);
    if (shares.length > 0) s += `shares of new connections: ${shares.join(', ')}\n`;
    s += `picked (seed ${seed}): ${picked.endpoint ?? picked.verdict}\n`;
  }
  return s;
}
