// The kubectl-like commands: get, describe, apply, delete, scale, rollout, logs, against a running
// lab found through its kubeconfig (--kubeconfig, KUBECONFIG, ~/.netlab/kubeconfig), or, for get
// and describe, on manifests given with -f. Flags mean what they mean in kubectl and in every other
// netlab command (-n, -A, -l, -o, -f).
import { type Command, InvalidArgumentError } from 'commander';
import {
  ApiSource,
  type CommandOutput,
  FileSource,
  KubeClient,
  outputFormats,
  type ReadSource,
  runApply,
  runConntrack,
  runCurl,
  runDelete,
  runDescribe,
  runGet,
  runIp,
  runLogs,
  runRolloutRestart,
  runRolloutStatus,
  runScale,
} from '../client/index.js';
import { errorReport } from '../run/errors.js';
import { countOption } from './options.js';

/** `--kubeconfig`, as every command that talks to a lab takes it. */
export function addKubeconfigFlag(cmd: Command): Command {
  return cmd.option(
    '--kubeconfig <file>',
    "the lab's kubeconfig (default: $KUBECONFIG, else ~/.netlab/kubeconfig, which netlab up writes)",
  );
}

function addNamespaceFlag(cmd: Command): Command {
  return cmd.option(
    '-n, --namespace <ns>',
    "the namespace (default: the kubeconfig context's, else default)",
  );
}

/** A failure as these commands word it (lab/run/errors.ts); undefined for a bug. */
export function clientErrorText(e: unknown): string | undefined {
  return errorReport(e, 'get')?.stderr;
}

/** Where the commands write and how they fail: the process, or a test's buffers. */
export interface ClientIO {
  stdout(text: string): void;
  stderr(text: string): void;
  fail(code: number): void;
}

export const processIO: ClientIO = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  fail: (code) => {
    process.exitCode = code;
  },
};

/** The source of get/describe: the manifests of -f, else the lab behind the kubeconfig. */
async function readSource(flags: {
  filename?: string[];
  kubeconfig?: string;
}): Promise<ReadSource & { close?(): void }> {
  return flags.filename?.length
    ? new FileSource(flags.filename)
    : new ApiSource(await KubeClient.load(flags.kubeconfig));
}

interface GetFlags {
  namespace?: string;
  allNamespaces?: boolean;
  selector?: string;
  fieldSelector?: string;
  output?: string;
  showLabels?: boolean;
  headers?: boolean;
  filename?: string[];
  kubeconfig?: string;
}

/** A duration as kubectl takes it (`30s`, `5m`, `1h`, a bare number of seconds); 0 is no limit. */
function durationMs(flag: string): (v: string) => number {
  return (v) => {
    const m = /^(\d+)(ms|s|m|h)?$/.exec(v);
    if (!m) throw new InvalidArgumentError(`${flag}: invalid duration "${v}" (e.g. 30s, 5m).`);
    const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] ?? 's']!;
    return Number(m[1]) * unit;
  };
}

export function registerClient(program: Command, io: ClientIO = processIO): void {
  /** Reports a failure the user can act on as every command does; anything else is a bug and is rethrown. */
  const reportClientError = (e: unknown): void => {
    const report = errorReport(e, 'get');
    if (report === undefined) throw e;
    io.stderr(report.stderr);
    io.fail(report.exitCode);
  };
  const emit = (out: CommandOutput): void => {
    io.stdout(out.stdout);
    io.stderr(out.stderr);
    if (out.code !== 0) io.fail(out.code);
  };
  addKubeconfigFlag(
    addNamespaceFlag(
      program
        .command('get')
        .description("list objects with kubectl's columns, from a running lab or from manifests (-f)")
        .argument('[resources...]', 'TYPE[,TYPE...] [NAME...] or TYPE/NAME... (pods, svc, deploy/web, ...)'),
    ),
  )
    .option('-A, --all-namespaces', 'every namespace (adds a NAMESPACE column)')
    .option('-l, --selector <selector>', 'label selector (app=web, tier in (a,b), !canary)')
    .option('--field-selector <selector>', 'field selector (metadata.name=web, spec.nodeName=node-a)')
    .option('-o, --output <format>', `output format: ${outputFormats.join(', ')}`)
    .option('--show-labels', 'a LABELS column last')
    .option('--no-headers', 'leave out the header line')
    .option(
      '-f, --filename <files...>',
      'read these manifests instead of a running lab (applied to a fresh store)',
    )
    .action(async (args: string[], flags: GetFlags) => {
      try {
        const source = await readSource(flags);
        try {
          emit(
            await runGet(source, args, {
              namespace: flags.namespace,
              allNamespaces: flags.allNamespaces,
              selector: flags.selector,
              fieldSelector: flags.fieldSelector,
              output: flags.output,
              showLabels: flags.showLabels,
              noHeaders: flags.headers === false,
            }),
          );
        } finally {
          source.close?.();
        }
      } catch (e) {
        reportClientError(e);
      }
    });

  addKubeconfigFlag(
    addNamespaceFlag(
      program
        .command('describe')
        .description(
          'show objects in detail as kubectl describe does, from a running lab or from manifests (-f)',
        )
        .argument('<resources...>', 'TYPE [NAME...] or TYPE/NAME... (svc, pod, deploy, node, endpointslice)'),
    ),
  )
    .option('-l, --selector <selector>', 'label selector, for TYPE without names')
    .option(
      '-f, --filename <files...>',
      'read these manifests instead of a running lab (applied to a fresh store)',
    )
    .action(
      async (
        args: string[],
        flags: { namespace?: string; selector?: string; filename?: string[]; kubeconfig?: string },
      ) => {
        try {
          const source = await readSource(flags);
          try {
            emit(await runDescribe(source, args, { namespace: flags.namespace, selector: flags.selector }));
          } finally {
            source.close?.();
          }
        } catch (e) {
          reportClientError(e);
        }
      },
    );

  addKubeconfigFlag(
    addNamespaceFlag(
      program
        .command('apply')
        .description('create or update the objects of manifests in a running lab (kubectl apply)')
        .requiredOption('-f, --filename <files...>', 'manifest files or directories; - for stdin (required)'),
    ),
  ).action(async (flags: { filename: string[]; namespace?: string; kubeconfig?: string }) => {
    try {
      emit(await runApply(await KubeClient.load(flags.kubeconfig), flags.filename, flags.namespace));
    } catch (e) {
      reportClientError(e);
    }
  });

  addKubeconfigFlag(
    addNamespaceFlag(
      program
        .command('delete')
        .description('delete objects from a running lab, by TYPE NAME, TYPE/NAME or -f FILE')
        .argument('[resources...]', 'TYPE NAME... or TYPE/NAME...'),
    ),
  )
    .option('-f, --filename <files...>', 'delete the objects these manifests name')
    .option('--wait <bool>', 'wait until each object is gone (graceful deletion)', 'true')
    .action(
      async (
        args: string[],
        flags: { filename?: string[]; namespace?: string; kubeconfig?: string; wait: string },
      ) => {
        try {
          emit(
            await runDelete(await KubeClient.load(flags.kubeconfig), args, {
              filename: flags.filename,
              namespace: flags.namespace,
              wait: flags.wait !== 'false',
            }),
          );
        } catch (e) {
          reportClientError(e);
        }
      },
    );

  addKubeconfigFlag(
    addNamespaceFlag(
      program
        .command('scale')
        .description('set the replicas of a Deployment, ReplicaSet or StatefulSet (scale subresource)')
        .argument('<resources...>', 'TYPE/NAME or TYPE NAME (deploy/web)')
        .requiredOption(
          '--replicas <n>',
          'the new number of replicas (required)',
          countOption('--replicas', 0, 1_000_000),
        ),
    ),
  ).action(async (args: string[], flags: { replicas: number; namespace?: string; kubeconfig?: string }) => {
    try {
      emit(await runScale(await KubeClient.load(flags.kubeconfig), args, flags.replicas, flags.namespace));
    } catch (e) {
      reportClientError(e);
    }
  });

  const rollout = program
    .command('rollout')
    .description('watch or restart the rollout of a Deployment or StatefulSet');
  addKubeconfigFlag(
    addNamespaceFlag(
      rollout
        .command('status')
        .description("wait until the rollout completes, printing kubectl's progress messages")
        .argument('<resources...>', 'TYPE/NAME (deploy/web, sts/db)')
        .option('--timeout <duration>', 'give up after this long (0: never)', durationMs('--timeout'), 0),
    ),
  ).action(async (args: string[], flags: { timeout: number; namespace?: string; kubeconfig?: string }) => {
    try {
      await runRolloutStatus(
        await KubeClient.load(flags.kubeconfig),
        args,
        flags.namespace,
        flags.timeout,
        (l) => io.stdout(l),
      );
    } catch (e) {
      reportClientError(e);
    }
  });
  addKubeconfigFlag(
    addNamespaceFlag(
      rollout
        .command('restart')
        .description('start a new rollout with the same template (the restartedAt annotation)')
        .argument('<resources...>', 'TYPE/NAME (deploy/web)'),
    ),
  ).action(async (args: string[], flags: { namespace?: string; kubeconfig?: string }) => {
    try {
      emit(await runRolloutRestart(await KubeClient.load(flags.kubeconfig), args, flags.namespace));
    } catch (e) {
      reportClientError(e);
    }
  });

  addKubeconfigFlag(
    addNamespaceFlag(
      program
        .command('logs')
        .description("print a pod's container log, as the kubelet kept it")
        .argument('<pod>', 'NAME or pod/NAME')
        .option('-c, --container <name>', 'the container (needed when the pod has several)')
        .option('--tail <n>', 'only the last N lines', countOption('--tail', 0, 1_000_000))
        .option('--since <duration>', 'only lines newer than this (30s, 5m, 1h)', durationMs('--since'))
        .option('--timestamps', 'each line with its RFC 3339 time')
        .option('--follow', 'keep printing new lines until the pod is gone or Ctrl-C'),
    ),
  ).action(
    async (
      pod: string,
      flags: {
        container?: string;
        tail?: number;
        since?: number;
        timestamps?: boolean;
        follow?: boolean;
        namespace?: string;
        kubeconfig?: string;
      },
    ) => {
      try {
        const ac = new AbortController();
        process.once('SIGINT', () => ac.abort());
        await runLogs(
          await KubeClient.load(flags.kubeconfig),
          pod,
          {
            namespace: flags.namespace,
            container: flags.container,
            tail: flags.tail,
            timestamps: flags.timestamps,
            follow: flags.follow,
            ...(flags.since !== undefined ? { sinceSeconds: Math.ceil(flags.since / 1000) } : {}),
          },
          (t) => io.stdout(t),
          ac.signal,
        );
      } catch (e) {
        reportClientError(e);
      }
    },
  );

  addKubeconfigFlag(
    program
      .command('conntrack')
      .description("a node's conntrack table in the running lab, as conntrack -L prints it")
      .requiredOption('-L, --dump', 'list the table (the only action; required)')
      .requiredOption('--node <node>', 'the node whose kernel table to list (required)')
      .option('-p, --proto <proto>', 'tcp, udp or sctp')
      .option('-s, --src <ip>', 'original source address')
      .option('-d, --dst <ip>', 'original destination address')
      .option('--dport <port>', 'original destination port', countOption('--dport', 0, 65535)),
  ).action(
    async (flags: {
      node: string;
      proto?: string;
      src?: string;
      dst?: string;
      dport?: number;
      kubeconfig?: string;
    }) => {
      try {
        emit(await runConntrack(await KubeClient.load(flags.kubeconfig), flags));
      } catch (e) {
        reportClientError(e);
      }
    },
  );

  addKubeconfigFlag(
    addNamespaceFlag(
      program
        .command('ip')
        .description("`ip -br addr` or `ip route` of a node or a pod's network namespace in the running lab")
        .argument('<object>', 'addr or route')
        .option('--node <node>', 'a node (this or --pod)')
        .option('--pod <pod>', "a pod's network namespace (this or --node)")
        .option('-6', 'IPv6 routes (ip -6 route)'),
    ),
  ).action(
    async (
      what: string,
      flags: { node?: string; pod?: string; namespace?: string; kubeconfig?: string; '6'?: boolean },
    ) => {
      try {
        io.stdout(
          await runIp(await KubeClient.load(flags.kubeconfig), what, {
            node: flags.node,
            pod: flags.pod,
            namespace: flags.namespace,
            family: flags['6'] ? 6 : 4,
          }),
        );
      } catch (e) {
        reportClientError(e);
      }
    },
  );

  addKubeconfigFlag(
    addNamespaceFlag(
      program
        .command('curl')
        .description('send an HTTP request from a pod of the running lab, through its data plane')
        .argument('<url>', 'http://NAME-OR-IP[:PORT]/PATH (a Service name resolves as in the pod)')
        .requiredOption('--from <pod>', 'the pod the request leaves from (required)')
        .option('-X, --request <method>', 'the HTTP method', 'GET')
        .option('-H, --header <header...>', 'extra headers, NAME: VALUE')
        .option('-i, --include', 'print the status line and headers before the body')
        .option('--fail', 'exit 22 on an HTTP error status, as curl --fail'),
    ),
  ).action(
    async (
      url: string,
      flags: {
        from: string;
        request: string;
        header?: string[];
        include?: boolean;
        fail?: boolean;
        namespace?: string;
        kubeconfig?: string;
      },
    ) => {
      try {
        emit(
          await runCurl(await KubeClient.load(flags.kubeconfig), url, {
            pod: flags.from,
            namespace: flags.namespace,
            method: flags.request,
            headers: flags.header,
            include: flags.include,
            fail: flags.fail,
          }),
        );
      } catch (e) {
        reportClientError(e);
      }
    },
  );
}
