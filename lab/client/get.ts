// `netlab get`, printed as `kubectl get` prints: kubectl's columns (from the server's Tables or, for
// manifests, lab/printers), aligned as kubectl aligns them, `kind/name` names when several types are
// asked for, a blank line between types; -o json|yaml as kubectl's unstructured output (keys
// sorted, several objects as a `kind: List`); -o name as `kind.group/name`.
import { stringify } from 'yaml';
import type { AnyObject } from '../../api/index.js';
import type { Resource } from '../apiserver/index.js';
import { type MetaTable, renderTable } from '../printers/index.js';
import { kindName, objectName, parseResourceArgs } from './resources.js';
import { ApiStatusError, ClientError } from './rest.js';
import type { Query, ReadSource } from './source.js';

export const outputFormats = ['wide', 'json', 'yaml', 'name'] as const;

export interface GetOptions {
  namespace?: string | undefined;
  allNamespaces?: boolean | undefined;
  selector?: string | undefined;
  fieldSelector?: string | undefined;
  output?: string | undefined;
  showLabels?: boolean | undefined;
  noHeaders?: boolean | undefined;
}

export interface CommandOutput {
  stdout: string;
  stderr: string;
  code: number;
}

/** `-o` checked the same way by every command that prints objects. */
export function checkOutput(output: string | undefined, allowed: readonly string[]): void {
  if (output === undefined || allowed.includes(output)) return;
  throw new ClientError(
    `-o: Unsupported value: "${output}": supported values: ${allowed.map((a) => `"${a}"`).join(', ')}`,
  );
}

/** Keys sorted at every level: what kubectl's unstructured printers write. */
export function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v === null || typeof v !== 'object') return v;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v).sort()) out[k] = canonical((v as Record<string, unknown>)[k]);
  return out;
}

/** Objects as `kubectl get -o json|yaml` prints them: one object, or a `kind: List` of several. */
export function printObjects(
  objects: readonly AnyObject[],
  format: 'json' | 'yaml',
  single: boolean,
): string {
  // kubectl leaves managedFields out unless asked (--show-managed-fields).
  const shown = objects.map((o) => {
    const meta = o.metadata as Record<string, unknown> | undefined;
    if (meta?.managedFields === undefined) return o;
    const { managedFields: _, ...metadata } = meta;
    return { ...o, metadata };
  });
  const doc = canonical(
    single && shown.length === 1
      ? shown[0]
      : { apiVersion: 'v1', items: shown, kind: 'List', metadata: { resourceVersion: '' } },
  );
  return format === 'json'
    ? `${JSON.stringify(doc, null, 4)}\n`
    : stringify(doc, { indentSeq: false, lineWidth: 0, version: '1.1' });
}

export async function runGet(
  source: ReadSource,
  args: readonly string[],
  opts: GetOptions,
): Promise<CommandOutput> {
  checkOutput(opts.output, outputFormats);
  const wanted = parseResourceArgs(args);
  if (opts.allNamespaces && wanted.some((w) => w.name !== undefined))
    throw new ClientError('a resource cannot be retrieved by name across all namespaces');
  const namespace = opts.allNamespaces ? undefined : (opts.namespace ?? source.defaultNamespace);
  const q: Query = { namespace, labelSelector: opts.selector, fieldSelector: opts.fieldSelector };
  // In the order asked, one group per resource type.
  const groups: { resource: Resource; names: string[]; all: boolean }[] = [];
  for (const w of wanted) {
    let g = groups.find((x) => x.resource === w.resource);
    if (!g) {
      g = { resource: w.resource, names: [], all: false };
      groups.push(g);
    }
    if (w.name === undefined) g.all = true;
    else g.names.push(w.name);
  }
  // kubectl names rows `kind/name` only when several types are listed together.
  const withKind = groups.length > 1;
  let stdout = '';
  let stderr = '';
  let code = 0;
  const notFound = (e: unknown) => {
    if (!(e instanceof ApiStatusError) || e.httpCode !== 404) throw e;
    stderr += `${e.message}\n`;
    code = 1;
  };

  if (opts.output === 'json' || opts.output === 'yaml' || opts.output === 'name') {
    const objects: AnyObject[] = [];
    for (const g of groups) {
      if (g.all) objects.push(...(await source.list(g.resource, q)));
      for (const name of g.names) {
        try {
          objects.push(await source.get(g.resource, name, namespace ?? source.defaultNamespace));
        } catch (e) {
          notFound(e);
        }
      }
    }
    if (opts.output === 'name') {
      for (const o of objects) {
        const g = groups.find((x) => x.resource.kind === o.kind)!;
        stdout += `${objectName(g.resource, o.metadata.name ?? '')}\n`;
      }
    } else if (objects.length > 0 || wanted.every((w) => w.name === undefined)) {
      const single = wanted.length === 1 && wanted[0]!.name !== undefined;
      stdout += printObjects(objects, opts.output, single);
    }
    return { stdout, stderr, code };
  }

  let printed = 0;
  for (const g of groups) {
    const table: MetaTable = g.all
      ? await source.table(g.resource, q)
      : { kind: 'Table', apiVersion: 'meta.k8s.io/v1', metadata: {}, columnDefinitions: [], rows: [] };
    for (const name of g.names) {
      try {
        const one = await source.table(g.resource, q, name);
        if (table.columnDefinitions.length === 0) table.columnDefinitions = one.columnDefinitions;
        table.rows.push(...one.rows);
      } catch (e) {
        notFound(e);
      }
    }
    if (table.rows.length === 0) continue;
    if (printed > 0) stdout += '\n';
    printed++;
    stdout += renderTable(table, {
      wide: opts.output === 'wide',
      withNamespace: namespace === undefined && g.resource.namespaced,
      withKind: withKind ? kindName(g.resource) : undefined,
      noHeaders: opts.noHeaders,
      showLabels: opts.showLabels,
    });
  }
  if (printed === 0 && code === 0) {
    const namespaced = groups.some((g) => g.resource.namespaced);
    stderr +=
      namespace !== undefined && namespaced
        ? `No resources found in ${namespace} namespace.\n`
        : 'No resources found\n';
  }
  return { stdout, stderr, code };
}
