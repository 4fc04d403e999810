import type { Command } from 'commander';
import { stringify } from 'yaml';
import {
  type AnyObject,
  BatchError,
  formatIssue,
  type ManifestIssue,
  readManifestFiles,
  Store,
  statusIssues,
} from '../../api/index.js';

interface ValidateFlags {
  filename: string[];
  output: string;
  serviceClusterIpRange: string;
  serviceNodePortRange: string;
}

/**
 * `netlab validate -f FILE... [-o yaml|json]`: loads manifests into a fresh store the way
 * `kubectl apply --dry-run=server` would. Success: the stored objects (defaults, ClusterIPs,
 * NodePorts filled in) as a `kind: List` on stdout, exit 0. Failure: every error on stderr as
 * `file:line: Kind namespace/name: field: message`, nothing applied, exit 1.
 */
export function registerValidate(program: Command): void {
  program
    .command('validate')
    .description(
      'check manifests as kube-apiserver would (kubectl apply --dry-run=server) and print what it stores',
    )
    .requiredOption(
      '-f, --filename <file...>',
      'manifest files or directories (YAML, multi-document, kind: List, or JSON); - for stdin',
    )
    .option('-o, --output <format>', 'yaml or json', 'yaml')
    .option('--service-cluster-ip-range <cidrs>', 'service CIDR(s), comma-separated', '10.96.0.0/12')
    .option('--service-node-port-range <range>', 'NodePort range', '30000-32767')
    .action((flags: ValidateFlags) => {
      const r = runValidate(flags);
      process.stdout.write(r.stdout);
      process.stderr.write(r.stderr);
      process.exitCode = r.code;
    });
}

export interface ValidateResult {
  stdout: string;
  stderr: string;
  code: number;
}

/** Recursively sorted keys: the order kubectl prints objects in (-o yaml). */
function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v === null || typeof v !== 'object') return v;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v).sort()) out[k] = canonical((v as Record<string, unknown>)[k]);
  return out;
}

export function runValidate(flags: ValidateFlags): ValidateResult {
  const format = flags.output;
  if (format !== 'yaml' && format !== 'json')
    return {
      stdout: '',
      stderr: `error: -o: Unsupported value: "${format}": supported values: "json", "yaml"\n`,
      code: 1,
    };
  let store: Store;
  try {
    store = new Store({
      serviceCIDRs: flags.serviceClusterIpRange.split(',').map((s) => s.trim()),
      nodePortRange: flags.serviceNodePortRange,
      bookmarkIntervalMs: 0,
    });
  } catch (e) {
    return { stdout: '', stderr: `error: ${(e as Error).message}\n`, code: 1 };
  }
  const read = readManifestFiles(flags.filename);
  // kubectl apply refuses an input with nothing in it rather than reporting success.
  if (read.objects.length === 0 && read.issues.length === 0) {
    store.close();
    return { stdout: '', stderr: 'error: no objects passed to apply\n', code: 1 };
  }
  const issues: ManifestIssue[] = [...read.issues];
  let stored: AnyObject[] = [];
  try {
    stored = store.apply(read.objects, { dryRun: read.issues.length > 0 });
  } catch (e) {
    if (!(e instanceof BatchError)) throw e;
    for (const f of e.failures) issues.push(...statusIssues(read.objects[f.index]!, f.error));
  } finally {
    store.close();
  }
  if (issues.length > 0) {
    // Files in the order given, lines in order within a file (the sort is stable).
    const order = new Map(read.files.map((f, i) => [f, i]));
    issues.sort((a, b) => (order.get(a.file) ?? 0) - (order.get(b.file) ?? 0) || a.line - b.line);
    const n = issues.length;
    const summary = `error: ${n} error${n === 1 ? '' : 's'}; nothing applied\n`;
    return { stdout: '', stderr: issues.map((i) => `${formatIssue(i)}\n`).join('') + summary, code: 1 };
  }
  const list = canonical({
    apiVersion: 'v1',
    kind: 'List',
    items: stored,
    metadata: { resourceVersion: '' },
  });
  const stdout =
    format === 'json'
      ? `${JSON.stringify(list, null, 4)}\n`
      : stringify(list, { indentSeq: false, lineWidth: 0, version: '1.1' });
  return { stdout, stderr: '', code: 0 };
}
