import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import {
  builtinPluginDir,
  createPluginRegistry,
  defaultFlatDataDir,
  FileFabricStore,
  formatResult,
  type GCAttachment,
  Invoker,
  type NetworkConfigList,
  parseConfList,
  type RuntimeConf,
  renderNetnsRoutes,
  renderNodeAddrBrief,
  renderNodeRoutes,
  renderPodAddrBrief,
  renderRouteGet,
  splitPath,
} from '../../cni/index.js';
import { goStrerror, NetlabError } from '../../std/index.js';
import { UsageError } from '../run/errors.js';

interface CniOptions {
  conflist: string;
  containerId?: string;
  netns?: string;
  ifname: string;
  cniPath?: string;
  cacheDir: string;
  args?: string;
  capabilityArgs?: string;
  validAttachment: string[];
  inProcess: boolean;
}

const verbs = ['add', 'del', 'check', 'gc', 'status'] as const;
type Verb = (typeof verbs)[number];

/** `ip route get` to an address the node has no route to: ip prints the kernel's refusal and exits 2. */
class UnreachableError extends NetlabError {
  readonly code = 'NETLAB_CNI_FABRIC_UNREACHABLE';
  // ip's status when the kernel refuses a route lookup.
  override readonly exitCode = 2;
}

function loadList(file: string): NetworkConfigList {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw new UsageError(`error reading ${file}: open ${file}: ${goStrerror(e)}`);
  }
  try {
    return parseConfList(bytes);
  } catch (e) {
    throw new UsageError(`${file}: ${(e as Error).message}`);
  }
}

// CNI_ARGS as cnitool takes them: K=V pairs separated by ';'.
function parseArgs(text: string | undefined): [string, string][] | undefined {
  if (text === undefined || text === '') return undefined;
  return text.split(';').map((pair) => {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`--args: invalid pair "${pair}": want KEY=VALUE`);
    return [pair.slice(0, eq), pair.slice(eq + 1)];
  });
}

function parseCapabilityArgs(text: string | undefined): Record<string, unknown> | undefined {
  if (text === undefined || text === '') return undefined;
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`--capability-args: ${(e as Error).message}`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw new UsageError('--capability-args: want a JSON object such as {"portMappings":[...]}');
  return v as Record<string, unknown>;
}

function parseAttachment(text: string): GCAttachment {
  const slash = text.lastIndexOf('/');
  if (slash <= 0 || slash === text.length - 1)
    throw new UsageError(`--valid-attachment: "${text}": want CONTAINER_ID/IFNAME`);
  return { containerID: text.slice(0, slash), ifname: text.slice(slash + 1) };
}

/** Runs one verb of `netlab cni`; returns what goes to stdout. */
export async function runCni(
  verb: Verb,
  opts: CniOptions,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string> {
  const list = loadList(opts.conflist);
  const cniPath = splitPath(opts.cniPath ?? env.CNI_PATH ?? builtinPluginDir);
  const invoker = new Invoker({
    cniPath,
    cacheDir: opts.cacheDir,
    env: Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined)),
    ...(opts.inProcess ? { inProcess: createPluginRegistry().resolver } : {}),
    stderr: (b) => process.stderr.write(b),
  });
  const attachmentVerb = verb === 'add' || verb === 'del' || verb === 'check';
  if (attachmentVerb && (opts.containerId === undefined || opts.containerId === ''))
    throw new UsageError(`netlab cni ${verb}: --container-id is required`);
  const args = parseArgs(opts.args);
  const caps = parseCapabilityArgs(opts.capabilityArgs);
  const rt: RuntimeConf = {
    containerID: opts.containerId ?? '',
    // A pod sandbox's netns as `ip netns add <id>` would make it, unless given; DEL may go without.
    netns: opts.netns ?? (verb === 'del' ? '' : `/run/netns/${opts.containerId ?? ''}`),
    ifName: opts.ifname,
    ...(args === undefined ? {} : { args }),
    ...(caps === undefined ? {} : { capabilityArgs: caps }),
  };
  switch (verb) {
    case 'add': {
      const result = await invoker.addNetworkList(list, rt);
      return result === undefined ? '' : formatResult(result);
    }
    case 'del':
      await invoker.delNetworkList(list, rt);
      return '';
    case 'check':
      await invoker.checkNetworkList(list, rt);
      return '';
    case 'gc':
      await invoker.gcNetworkList(list, opts.validAttachment.map(parseAttachment));
      return '';
    case 'status':
      await invoker.getStatusNetworkList(list);
      return '';
  }
}

interface IpOptions {
  dataDir: string;
  node?: string;
  netns?: string;
  6?: boolean;
}

/** `netlab cni ip addr|route`: the fabric flat keeps in <dataDir>/fabric.json, as `ip` shows it. */
export async function runFabricIp(what: 'addr' | 'route', opts: IpOptions, get?: string): Promise<string> {
  if ((opts.node === undefined) === (opts.netns === undefined))
    throw new UsageError(`netlab cni ip ${what}: give one of --node NAME or --netns PATH`);
  if (get !== undefined && opts.node === undefined)
    throw new UsageError('netlab cni ip route get: --node NAME is required');
  const store = new FileFabricStore(opts.dataDir);
  return store.read((f) => {
    if (opts.node !== undefined) {
      if (f.node(opts.node) === undefined)
        throw new UsageError(
          `${store.where}: node ${opts.node}: not in the fabric (nodes: ${
            f
              .nodes()
              .map((n) => n.name)
              .join(', ') || 'none'
          })`,
        );
      if (get !== undefined) {
        const text = renderRouteGet(f, opts.node, get);
        // ip prints the kernel's refusal on stderr and exits 2.
        if (text.startsWith('RTNETLINK')) throw new UnreachableError(text.trimEnd());
        return text;
      }
      return what === 'addr'
        ? renderNodeAddrBrief(f, opts.node)
        : renderNodeRoutes(f, opts.node, opts['6'] ? 6 : 4);
    }
    const netns = opts.netns!;
    if (!f.hasSandbox(netns)) throw new UsageError(`${store.where}: netns ${netns}: nothing attached there`);
    return what === 'addr' ? renderPodAddrBrief(f, netns) : renderNetnsRoutes(f, netns, opts['6'] ? 6 : 4);
  });
}

/** Registers this area's subcommands on the `netlab` program. */
export function registerCni(program: Command): void {
  const cni = program
    .command('cni')
    .description('run a CNI network configuration list like cnitool: add, del, check, gc, status');
  const ip = cni
    .command('ip')
    .description('show the fabric flat keeps in <dataDir>/fabric.json as `ip` would');
  const ipOptions = (c: Command) =>
    c
      .option('--data-dir <dir>', "flat's dataDir", defaultFlatDataDir)
      .option('--node <name>', "the node's view")
      .option('--netns <path>', "a pod's view (its netns)");
  ipOptions(ip.command('addr').description('`ip -br addr` of a node or a pod netns')).action(
    async (opts: IpOptions) => {
      process.stdout.write(await runFabricIp('addr', opts));
    },
  );
  ipOptions(
    ip
      .command('route')
      .description(
        '`ip route` (`-6`: `ip -6 route`) of a node or a pod netns; `get ADDRESS`: `ip route get`',
      ),
  )
    .option('-6', 'IPv6 routes')
    .argument('[get]', '`get` for `ip route get`')
    .argument('[address]', 'the address for `get`')
    .action(async (verb: string | undefined, address: string | undefined, opts: IpOptions) => {
      if (verb !== undefined && (verb !== 'get' || address === undefined))
        throw new UsageError(`netlab cni ip route: unexpected "${verb}" (only: get ADDRESS)`);
      process.stdout.write(await runFabricIp('route', opts, address));
    });
  for (const verb of verbs) {
    const help: Record<Verb, string> = {
      add: 'ADD the container to the network (plugins in order) and print the result JSON',
      del: 'DEL the container from the network (plugins in reverse, with the cached result)',
      check: 'CHECK the container against the cached result',
      gc: 'DEL cached attachments not listed with --valid-attachment, then GC every plugin (1.1.0)',
      status: 'ask every plugin for STATUS (1.1.0)',
    };
    cni
      .command(verb)
      .description(help[verb])
      .requiredOption('--conflist <file>', 'network configuration list (.conflist JSON)')
      .option('--container-id <id>', 'CNI_CONTAINERID (required for add, del, check)')
      .option('--netns <path>', 'CNI_NETNS (default /run/netns/<container-id>; none for del)')
      .option('--ifname <name>', 'CNI_IFNAME', 'eth0')
      .option(
        '--cni-path <dirs>',
        'plugin directories, ":"-separated (default $CNI_PATH, else netlab\'s cni/bin)',
      )
      .option('--cache-dir <dir>', 'result cache directory', '/var/lib/cni')
      .option('--args <pairs>', 'CNI_ARGS, e.g. "K8S_POD_NAMESPACE=default;K8S_POD_NAME=web"')
      .option('--capability-args <json>', 'runtime capability arguments, e.g. \'{"portMappings":[]}\'')
      .option(
        '--valid-attachment <id/ifname>',
        'an attachment GC keeps (repeatable)',
        (v: string, acc: string[]) => [...acc, v],
        [] as string[],
      )
      .option('--no-in-process', "fork netlab's own plugin binaries instead of running them in-process")
      .action(async (opts: CniOptions) => {
        const out = await runCni(verb, opts);
        // cnitool prints the result without a trailing newline; a terminal gets one.
        if (out !== '') process.stdout.write(process.stdout.isTTY ? `${out}\n` : out);
      });
  }
}
