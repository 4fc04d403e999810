// `netlab dns serve` and `netlab dig`.
import type { Command } from 'commander';
import {
  DnsConfigError,
  type DnsServerStats,
  dig,
  formatHostPort,
  type HostPort,
  parseHostPort,
  parseQType,
} from '../../dns/index.js';
import { KubeClient, serveClusterZone } from '../client/index.js';
import { UsageError } from '../run/errors.js';
import { stopOnSignals } from '../run/signals.js';
import { ManifestZone, type ServedZone } from '../tools/index.js';
import { printWarnings } from './node-flags.js';

interface ServeFlags {
  filename?: string[];
  kubeconfig?: string;
  listen: string;
  zone: string;
  ttl: string;
  pods: string;
  upstream?: string;
}

function formatStats(s: DnsServerStats): string {
  const pct = (s.cacheHitRatio * 100).toFixed(1);
  const kv = (r: Record<string, number>) =>
    Object.entries(r)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
  return (
    `queries ${s.queries} (udp ${s.udp}, tcp ${s.tcp}), cache hit ratio ${pct}%, truncated ${s.truncated}, ` +
    `forwarded ${s.forwarded}, dropped ${s.dropped}\n` +
    `by rcode: ${kv(s.byRcode) || '-'}\nby type: ${kv(s.byType) || '-'}\n`
  );
}

// Zone options are named after CoreDNS's; on the command line they are flags.
const flagOf: Record<string, string> = {
  zones: '--zone',
  ttl: '--ttl',
  pods: '--pods',
  localIPs: '--listen',
};

/** A zone option's error as the flag that set it (`--ttl: ...`); any other error as it is. */
function asFlagError(e: unknown): unknown {
  if (!(e instanceof DnsConfigError)) return e;
  const flag = flagOf[e.option];
  return flag === undefined ? e : new DnsConfigError(flag, e.message.slice(e.option.length + 2));
}

/** The first SIGINT or SIGTERM prints the counters and stops serving (exit 0); a second, at once. */
function serveUntilSignal(stop: () => Promise<void>): void {
  stopOnSignals(
    process,
    stop,
    { stdout: () => {}, stderr: (text) => process.stderr.write(text) },
    { announce: false },
  );
}

/** `dns serve --kubeconfig`: the cluster's objects listed and watched; the zone follows every change. */
async function serveCluster(flags: ServeFlags): Promise<void> {
  let served: ServedZone;
  try {
    const listen = parseHostPort('--listen', flags.listen, 10053);
    const upstream = flags.upstream ? parseHostPort('--upstream', flags.upstream, 53) : undefined;
    served = await serveClusterZone(
      await KubeClient.load(flags.kubeconfig),
      { ...flags, listen, upstream },
      { onError: (line) => process.stderr.write(`warning: ${line}; retrying\n`) },
    );
    process.stdout.write(`listening on ${formatHostPort(served.address)}\n`);
  } catch (e) {
    throw asFlagError(e);
  }
  serveUntilSignal(async () => {
    process.stderr.write(formatStats(served.server.stats()));
    await served.close();
  });
}

/** Registers this area's subcommands on the `netlab` program. */
export function registerDns(program: Command): void {
  const dns = program.command('dns').description('cluster DNS');
  dns
    .command('serve')
    .description(
      "serve the cluster zone on UDP and TCP until stopped: of manifests (-f), or of a cluster's objects, watched",
    )
    .option('-f, --filename <file...>', 'manifests (YAML/JSON; Services, EndpointSlices, Pods, Namespaces)')
    .option(
      '--kubeconfig <file>',
      "answer for this cluster's names instead of -f, kept current by watches (default without -f: $KUBECONFIG, else ~/.netlab/kubeconfig)",
    )
    .option('--listen <ip:port>', 'address for UDP and TCP', '127.0.0.1:10053')
    .option('--zone <zone>', 'cluster domain', 'cluster.local')
    .option('--ttl <seconds>', 'TTL of every record (0-3600)', '5')
    .option('--pods <mode>', 'pod records: insecure | verified | disabled', 'disabled')
    .option('--upstream <ip:port>', 'resolver for names outside the zone (else REFUSED)')
    .action(async (flags: ServeFlags) => {
      if (!flags.filename?.length) return serveCluster(flags);
      const files = flags.filename;
      let served: ManifestZone;
      try {
        const listen = parseHostPort('--listen', flags.listen, 10053);
        const upstream = flags.upstream ? parseHostPort('--upstream', flags.upstream, 53) : undefined;
        served = new ManifestZone(files, { ...flags, listen, upstream });
        printWarnings(served.warnings);
        const addr = await served.listen();
        process.stdout.write(`listening on ${formatHostPort(addr)}\n`);
      } catch (e) {
        throw asFlagError(e);
      }
      // SIGHUP re-reads the manifests; the zone changes and the response cache is dropped.
      process.on('SIGHUP', () => {
        try {
          printWarnings(served.reload());
          process.stderr.write(`reloaded ${files.join(' ')}\n`);
        } catch (e) {
          process.stderr.write(`reload failed, still serving the previous zone: ${(e as Error).message}\n`);
        }
      });
      serveUntilSignal(async () => {
        const stats = served.stats();
        if (stats) process.stderr.write(formatStats(stats));
        await served.close();
      });
    });

  program
    .command('dig')
    .description('ask a DNS server one question and print the answer as dig does')
    .argument('<args...>', 'NAME [TYPE] [@SERVER:PORT] [+tcp] [+short] [+noedns] [+bufsize=N]')
    .addHelpText(
      'after',
      '\nDefault server: 127.0.0.1:10053 (netlab dns serve). Exit 9 when no reply arrives.',
    )
    .action(async (args: string[]) => {
      let server: HostPort = { host: '127.0.0.1', port: 10053 };
      let tcp = false;
      let short = false;
      let edns = true;
      let bufsize: number | undefined;
      const rest: string[] = [];
      for (const a of args) {
        if (a.startsWith('@')) server = parseHostPort('@SERVER', a.slice(1), 53);
        else if (a === '+tcp' || a === '+vc') tcp = true;
        else if (a === '+notcp') tcp = false;
        else if (a === '+short') short = true;
        else if (a === '+noedns') edns = false;
        else if (a.startsWith('+bufsize=')) {
          bufsize = Number(a.slice('+bufsize='.length));
          if (!Number.isInteger(bufsize) || bufsize < 0 || bufsize > 65535)
            throw new UsageError(`${a}: 0-65535`);
        } else if (a.startsWith('+')) throw new UsageError(`${a}: unknown option`);
        else rest.push(a);
      }
      if (rest.length === 0 || rest.length > 2)
        throw new UsageError('usage: netlab dig NAME [TYPE] [@SERVER:PORT] [+tcp] [+short]');
      const [name, typeArg = 'A'] = rest as [string, string?];
      const qtype = parseQType(typeArg);
      if (qtype === null) throw new UsageError(`${typeArg}: unknown record type`);
      // A name dig cannot parse is a DigNameError: dig's status 10 (lab/run/errors.ts).
      const r = await dig(name, qtype, {
        server,
        tcp,
        short,
        edns,
        ...(bufsize !== undefined ? { bufsize } : {}),
      });
      process.stdout.write(r.text);
      process.exitCode = r.exitCode;
    });
}
