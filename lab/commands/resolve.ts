// `netlab resolve NAME --namespace NS`: what getaddrinfo in a ClusterFirst pod of that namespace
// would send to the cluster DNS server, query by query, and what it would get.
import { Command, Option } from 'commander';
import {
  clusterSearchDomains,
  defaultResolvOptions,
  formatOutcome,
  formatResolvConf,
  formatTrace,
  type Libc,
  parseNameserver,
  type ResolvConf,
  ResolverError,
  resolve,
} from '../../dns/index.js';

interface ResolveFlags {
  namespace: string;
  ndots: string;
  libc: Libc;
  server: string;
  zone: string;
  timeout: string;
  attempts: string;
  family: '0' | '4' | '6';
  json?: boolean;
}

class UsageError extends Error {}

function integer(flag: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(`${flag}: invalid value "${value}": want an integer from ${min} to ${max}`);
  }
  return n;
}

/** Registers this area's subcommands on the `netlab` program. */
export function registerResolve(program: Command): void {
  program.addCommand(
    new Command('resolve')
      .description(
        'resolve NAME as a ClusterFirst pod would (search list, ndots) and print every query it sent',
      )
      .argument('<name>', 'the name as an application would pass it to getaddrinfo')
      .option('-n, --namespace <ns>', "the pod's namespace (sets the search list)", 'default')
      .option('--ndots <n>', 'options ndots:N (kubelet writes 5)', '5')
      .addOption(
        new Option('--libc <libc>', 'resolver behaviour').choices(['glibc', 'musl']).default('glibc'),
      )
      .option('--server <addr>', 'the cluster DNS server, IP[:PORT]', '127.0.0.1:10053')
      .option('--zone <domain>', 'the cluster domain', 'cluster.local')
      .option('--timeout <s>', 'options timeout:N', String(defaultResolvOptions.timeout))
      .option('--attempts <n>', 'options attempts:N', String(defaultResolvOptions.attempts))
      .addOption(
        new Option('--family <f>', '0 = A and AAAA (AF_UNSPEC), 4 = A, 6 = AAAA')
          .choices(['0', '4', '6'])
          .default('0'),
      )
      .option('--json', 'print the result as JSON')
      .action(async (name: string, flags: ResolveFlags) => {
        try {
          await runResolve(name, flags);
        } catch (err) {
          if (err instanceof UsageError || err instanceof ResolverError) {
            process.stderr.write(`netlab resolve: ${err.message}\n`);
            process.exitCode = 1;
            return;
          }
          throw err;
        }
      }),
  );
}

async function runResolve(name: string, flags: ResolveFlags): Promise<void> {
  const server = parseNameserver(flags.server, '--server');
  const conf: ResolvConf = {
    nameservers: [flags.server],
    search: clusterSearchDomains(flags.namespace, flags.zone),
    options: {
      ...defaultResolvOptions,
      ndots: integer('--ndots', flags.ndots, 0, 15),
      timeout: integer('--timeout', flags.timeout, 1, 30),
      attempts: integer('--attempts', flags.attempts, 1, 5),
    },
  };
  const result = await resolve(name, conf, {
    libc: flags.libc,
    family: Number(flags.family) as 0 | 4 | 6,
    source: '--server',
  });
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } else {
    // resolv.conf has no port: show the file as kubelet writes it, and the port apart.
    const file = formatResolvConf({
      nameservers: [server.address],
      searches: conf.search,
      options: [
        `ndots:${conf.options.ndots}`,
        ...(conf.options.timeout !== defaultResolvOptions.timeout ? [`timeout:${conf.options.timeout}`] : []),
        ...(conf.options.attempts !== defaultResolvOptions.attempts
          ? [`attempts:${conf.options.attempts}`]
          : []),
      ],
    });
    const port = server.port === 53 ? '' : ` (port ${server.port})`;
    process.stdout.write(
      `;; resolv.conf of a pod in namespace ${flags.namespace}, ${flags.libc}${port}\n${file}\n` +
        `${formatTrace(result.trace)}\n\n${formatOutcome(result)}\n`,
    );
  }
  // Like `getent hosts`: 2 when the name does not resolve.
  if (result.status !== 'NOERROR') process.exitCode = 2;
}
