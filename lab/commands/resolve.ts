// `netlab resolve NAME --namespace NS`: what getaddrinfo in a ClusterFirst pod of that namespace
// would send to the cluster DNS server, query by query, and what it would get. With `-f FILE --pod
// NAME` the pod's own dnsPolicy and dnsConfig make its resolv.conf, as kubelet would.

import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { describeObject, loadManifestFiles, type Pod } from '../../api/index.js';
import {
  clusterSearchDomains,
  type DNSEvent,
  defaultResolvOptions,
  formatOutcome,
  formatResolvConf,
  formatTrace,
  type Libc,
  type Nameserver,
  parseNameserver,
  parseResolvConf,
  podDNS,
  type ResolvConf,
  resolve,
} from '../../dns/index.js';
import { KubeClient, runResolveFrom } from '../client/index.js';
import { UsageError } from '../run/errors.js';

interface ResolveFlags {
  namespace: string;
  ndots: string;
  libc: Libc;
  server: string;
  zone: string;
  timeout: string;
  attempts: string;
  family: '0' | '4' | '6';
  filename?: string[];
  pod?: string;
  nodeResolvConf: string;
  json?: boolean;
  from?: string;
  kubeconfig?: string;
}

function integer(flag: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(`${flag}: invalid value "${value}": want an integer from ${min} to ${max}`);
  }
  return n;
}

/** Registers this area's subcommands on the `netlab` program. */
export function registerResolve(program: Command): void {
  const cmd = new Command('resolve')
    .description('resolve NAME as a pod would (search list, ndots) and print every query it sent')
    .argument('<name>', 'the name as an application would pass it to getaddrinfo')
    .option('-n, --namespace <ns>', "the pod's namespace (sets the search list)", 'default')
    .option('--ndots <n>', 'options ndots:N (kubelet writes 5)', '5')
    .addOption(new Option('--libc <libc>', 'resolver behaviour').choices(['glibc', 'musl']).default('glibc'))
    .option('--server <addr>', 'the cluster DNS server, IP[:PORT]', '127.0.0.1:10053')
    .option('--zone <domain>', 'the cluster domain', 'cluster.local')
    .option('--timeout <s>', 'options timeout:N', String(defaultResolvOptions.timeout))
    .option('--attempts <n>', 'options attempts:N', String(defaultResolvOptions.attempts))
    .addOption(
      new Option('--family <f>', '0 = A and AAAA (AF_UNSPEC), 4 = A, 6 = AAAA')
        .choices(['0', '4', '6'])
        .default('0'),
    )
    .option('-f, --filename <file...>', 'manifests holding the pod named by --pod')
    .option('--pod <name>', "use this pod's dnsPolicy and dnsConfig (needs -f)")
    .option(
      '--node-resolv-conf <file>',
      "the node's resolv.conf (kubelet --resolv-conf), for --pod",
      '/etc/resolv.conf',
    )
    .option('--json', 'print the result as JSON')
    .option('--from <pod>', "resolve in that pod of the running lab (its resolv.conf, the lab's DNS)")
    .option(
      '--kubeconfig <file>',
      "the running lab's kubeconfig, for --from (default: $KUBECONFIG, ~/.netlab/kubeconfig)",
    );
  cmd.action(async (name: string, flags: ResolveFlags) => {
    if (flags.from !== undefined) {
      const r = await runResolveFrom(await KubeClient.load(flags.kubeconfig), name, {
        pod: flags.from,
        namespace: cmd.getOptionValueSource('namespace') === 'default' ? undefined : flags.namespace,
        libc: flags.libc,
        family: Number(flags.family) as 0 | 4 | 6,
        json: flags.json === true,
      });
      process.stdout.write(r.stdout);
      if (r.code !== 0) process.exitCode = r.code;
      return;
    }
    await runResolve(name, flags, (flag) => cmd.getOptionValueSource(flag) !== 'default');
  });
  program.addCommand(cmd);
}

interface Setup {
  conf: ResolvConf;
  /** The file as the pod sees it (no ports: resolv.conf has none). */
  file: string;
  title: string;
  events: DNSEvent[];
}

/** The ClusterFirst resolv.conf of a pod in --namespace, with the flags' options. */
function clusterFirst(flags: ResolveFlags, server: Nameserver): Setup {
  const options = {
    ...defaultResolvOptions,
    ndots: integer('--ndots', flags.ndots, 0, 15),
    timeout: integer('--timeout', flags.timeout, 1, 30),
    attempts: integer('--attempts', flags.attempts, 1, 5),
  };
  const search = clusterSearchDomains(flags.namespace, flags.zone, {
    namespace: '--namespace',
    clusterDomain: '--zone',
  });
  const file = formatResolvConf({
    nameservers: [server.address],
    searches: search,
    options: [
      `ndots:${options.ndots}`,
      ...(options.timeout !== defaultResolvOptions.timeout ? [`timeout:${options.timeout}`] : []),
      ...(options.attempts !== defaultResolvOptions.attempts ? [`attempts:${options.attempts}`] : []),
    ],
  });
  return {
    conf: { nameservers: [flags.server], search, options },
    file,
    title: `;; resolv.conf of a pod in namespace ${flags.namespace}`,
    events: [],
  };
}

/** The resolv.conf kubelet would write for --pod, with --server standing for the cluster DNS. */
function ofPod(flags: ResolveFlags, server: Nameserver, explicit: (flag: string) => boolean): Setup {
  if (!flags.filename?.length) throw new UsageError('--pod: needs -f FILE with the Pod in it');
  const ref = `${flags.namespace}/${flags.pod}`;
  const pod = loadManifestFiles(flags.filename)
    .map((m) => m.object)
    .find((o): o is Pod => o.kind === 'Pod' && describeObject(o) === `Pod ${ref}`);
  if (!pod) throw new UsageError(`--pod: no Pod ${ref} in ${flags.filename.join(', ')}`);
  let hostResolvConf: string;
  try {
    hostResolvConf = readFileSync(flags.nodeResolvConf, 'utf8');
  } catch (e) {
    throw new UsageError(
      `--node-resolv-conf: cannot read ${flags.nodeResolvConf}: ${(e as NodeJS.ErrnoException).code}`,
    );
  }
  const dns = podDNS(pod, { clusterDNS: [server.address], clusterDomain: flags.zone, hostResolvConf });
  const conf = parseResolvConf(dns.resolvConf, `resolv.conf of Pod ${ref}`);
  // The cluster DNS server listens on --server's port; other nameservers are asked on 53.
  conf.nameservers = conf.nameservers.map((ns) => (ns === server.address ? flags.server : ns));
  if (explicit('ndots')) conf.options.ndots = integer('--ndots', flags.ndots, 0, 15);
  if (explicit('timeout')) conf.options.timeout = integer('--timeout', flags.timeout, 1, 30);
  if (explicit('attempts')) conf.options.attempts = integer('--attempts', flags.attempts, 1, 5);
  return {
    conf,
    file: dns.resolvConf,
    title: `;; resolv.conf of Pod ${ref} (dnsPolicy ${pod.spec.dnsPolicy ?? 'ClusterFirst'})`,
    events: dns.events,
  };
}

async function runResolve(
  name: string,
  flags: ResolveFlags,
  explicit: (flag: string) => boolean,
): Promise<void> {
  const server = parseNameserver(flags.server, '--server');
  const setup = flags.pod === undefined ? clusterFirst(flags, server) : ofPod(flags, server, explicit);
  const result = await resolve(name, setup.conf, {
    libc: flags.libc,
    family: Number(flags.family) as 0 | 4 | 6,
    source: flags.pod === undefined ? '--server' : `resolv.conf of Pod ${flags.namespace}/${flags.pod}`,
  });
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } else {
    const port = server.port === 53 ? '' : ` (port ${server.port})`;
    const events = setup.events.map((e) => `;; ${e.object} ${e.type} ${e.reason}: ${e.message}\n`).join('');
    process.stdout.write(
      `${setup.title}, ${flags.libc}${port}\n${events}${setup.file}\n` +
        `${formatTrace(result.trace)}\n\n${formatOutcome(result)}\n`,
    );
  }
  // Like `getent hosts`: 2 when the name does not resolve.
  if (result.status !== 'NOERROR') process.exitCode = 2;
}
