// `netlab up` (what `npm start` runs): boots the cluster from manifests and says what is running.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import Table from 'cli-table3';
import type { Command } from 'commander';
import { type EndpointSlice, labelServiceName, type Service } from '../../api/index.js';
import { formatHostPort, parseHostPort } from '../../dns/index.js';
import { writeKubeconfig } from '../apiserver/index.js';
import { Cluster, ClusterBootError } from '../cluster.js';

interface UpFlags {
  filename?: string[];
  dnsListen: string;
  clusterCidr: string;
  once?: boolean;
  apiListen: string;
  apiToken?: string;
  kubeconfig: string;
}

/** Where `netlab up` writes its kubeconfig unless told: netlab's client commands look there too. */
export function defaultKubeconfig(): string {
  return join(homedir(), '.netlab', 'kubeconfig');
}

/** examples/demo.yaml beside the package, from source (lab/commands) or built (dist/lab/commands). */
function demoManifest(): string {
  for (const rel of ['../../examples/demo.yaml', '../../../examples/demo.yaml']) {
    const p = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(p)) return p;
  }
  return 'examples/demo.yaml';
}

function ports(svc: Service): string {
  const ps = svc.spec.ports ?? [];
  if (ps.length === 0) return '<none>';
  return ps.map((p) => `${p.port}${p.nodePort ? `:${p.nodePort}` : ''}/${p.protocol ?? 'TCP'}`).join(',');
}

function endpoints(svc: Service, slices: readonly EndpointSlice[]): string {
  const out: string[] = [];
  for (const s of slices) {
    if (s.metadata.namespace !== svc.metadata.namespace) continue;
    if (s.metadata.labels?.[labelServiceName] !== svc.metadata.name) continue;
    const port = s.ports?.[0]?.port;
    for (const ep of s.endpoints ?? []) {
      if (ep.conditions?.ready === false) continue;
      for (const a of ep.addresses) out.push(port === undefined ? a : `${a}:${port}`);
    }
  }
  return out.length === 0 ? '<none>' : out.join(',');
}

/** The report `netlab up` prints once the cluster has settled. */
export function describeCluster(
  cluster: Cluster,
  manifests: readonly string[],
  clusterCIDRs: readonly string[],
): string {
  const services = cluster.store.list('Service').items;
  const slices = cluster.store.list('EndpointSlice').items;
  const table = new Table({
    head: ['NAMESPACE', 'NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-NAME', 'PORT(S)', 'ENDPOINTS'],
    style: { head: [], border: [], compact: true },
    chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
  });
  for (const s of services) {
    table.push([
      s.metadata.namespace ?? '',
      s.metadata.name ?? '',
      s.spec.type ?? 'ClusterIP',
      s.spec.clusterIP ?? '',
      s.spec.externalName ?? '',
      ports(s),
      s.spec.type === 'ExternalName' ? '' : endpoints(s, slices),
    ]);
  }
  const files = manifests.map((m) => relative(process.cwd(), m) || m).join(' ');
  const lines = [`Services (kube-apiserver defaults and allocations applied; EndpointSlices from Pods):`];
  lines.push(table.toString(), '');
  lines.push('kube-proxy, iptables mode (the restore payload each node would apply):');
  for (const [node, proxier] of cluster.proxiers) {
    const count: Record<string, number> = {};
    let table = '';
    for (const line of proxier.fullPayload().split('\n')) {
      if (line.startsWith('*')) table = line.slice(1);
      else if (line.startsWith('-A ')) count[table] = (count[table] ?? 0) + 1;
    }
    lines.push(`  ${node}: nat ${count.nat ?? 0} rules, filter ${count.filter ?? 0} rules`);
  }
  const [firstNode] = cluster.proxiers.keys();
  if (firstNode !== undefined) {
    lines.push(
      `  the same manifests outside the cluster: netlab iptables-save -f ${files} --hostname-override ${firstNode} --cluster-cidr ${clusterCIDRs.join(',')}`,
      '  (the cluster also holds default/kubernetes, which has no endpoints until the kube-API server lands: one REJECT rule more)',
    );
  }
  const dns = formatHostPort(cluster.dnsAddress);
  lines.push('', `cluster DNS listening on ${dns} (UDP and TCP)`);
  const first =
    services.find(
      (s) => s.spec.clusterIP && s.spec.clusterIP !== 'None' && s.metadata.name !== 'kubernetes',
    ) ?? services[0];
  const fqdn = first
    ? `${first.metadata.name}.${first.metadata.namespace}.svc.cluster.local`
    : 'kubernetes.default.svc.cluster.local';
  lines.push(`  dig @${cluster.dnsAddress.host} -p ${cluster.dnsAddress.port} ${fqdn}`);
  lines.push(
    `  npx netlab resolve ${first?.metadata.name ?? 'kubernetes'} --namespace default --server ${dns}`,
  );
  const svc = services.find(
    (s) => s.spec.clusterIP && s.spec.clusterIP !== 'None' && s.metadata.name !== 'kubernetes',
  );
  const port = svc?.spec.ports?.[0]?.port;
  if (svc && port !== undefined) {
    lines.push('', 'why a packet goes where it goes:');
    lines.push(
      `  npx netlab trace -f ${files} --hostname-override ${[...cluster.proxiers.keys()][0] ?? 'node'} --src 10.244.0.6 --dst ${svc.spec.clusterIP} --dport ${port}`,
    );
  }
  if (cluster.log.length > 0) lines.push('', 'controllers logged:', ...cluster.log.map((l) => `  ${l}`));
  lines.push(
    '',
    'Not running yet: the data plane (NodePort listeners and in-process pods) and the kube-API server;',
    'until they land, traffic is explained by the tracer rather than carried.',
  );
  return `${lines.join('\n')}\n`;
}

/** Registers this area's subcommands on the `netlab` program. */
export function registerUp(program: Command): void {
  program
    .command('up')
    .description('boot the emulated cluster from manifests (default: examples/demo.yaml) and keep it running')
    .option('-f, --filename <file...>', 'manifest files or directories')
    .option('--dns-listen <ip:port>', 'where cluster DNS listens (UDP and TCP)', '127.0.0.1:10053')
    .option('--cluster-cidr <cidrs>', 'pod network, comma-separated', '10.244.0.0/16')
    .option('--once', 'print what booted, then stop')
    .option('--api-listen <ip:port>', 'where the kube-API listens (kubectl, client-go)', '127.0.0.1:6443')
    .option('--api-token <token>', 'bearer token the kube-API requires (needed off loopback)')
    .option('--kubeconfig <file>', 'where to write the kubeconfig (context netlab)', defaultKubeconfig())
    .action(async (flags: UpFlags) => {
      const manifests = flags.filename ?? [demoManifest()];
      const cidrs = flags.clusterCidr.split(',').map((s) => s.trim());
      let cluster: Cluster;
      try {
        cluster = await Cluster.boot({
          manifests,
          clusterCIDRs: cidrs,
          dnsListen: parseHostPort('--dns-listen', flags.dnsListen, 10053),
          // A --once run stops right away: nobody could reach its API.
          ...(flags.once
            ? {}
            : { api: { ...parseHostPort('--api-listen', flags.apiListen, 6443), token: flags.apiToken } }),
        });
      } catch (e) {
        const msg =
          e instanceof ClusterBootError
            ? `${e.message}\nerror: nothing applied`
            : `error: ${(e as Error).message}`;
        process.stderr.write(`${msg}\n`);
        process.exitCode = 1;
        return;
      }
      await cluster.settled();
      process.stdout.write(describeCluster(cluster, manifests, cidrs));
      if (flags.once) {
        await cluster.stop();
        return;
      }
      if (cluster.api) {
        writeKubeconfig(flags.kubeconfig, { server: cluster.api.url, token: flags.apiToken });
        process.stdout.write(`\napi: ${cluster.api.url}\nkubeconfig: ${flags.kubeconfig}\n`);
      }
      process.stdout.write('\nrunning; Ctrl-C stops it\n');
      const stop = () => {
        void cluster.stop().then(() => process.exit(0));
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
}
