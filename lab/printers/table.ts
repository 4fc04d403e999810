// The meta.k8s.io/v1 Table kube-apiserver answers `Accept: application/json;as=Table;v=v1;g=meta.k8s.io`
// with, and kubectl's text rendering of one (cli-runtime's table printer over text/tabwriter with
// minwidth 6, padding 3): the same data for the kube-API and the offline `netlab get`.
import { type Cell, type ColumnDefinition, printerFor } from './columns.js';

/** What a row carries besides its cells (`?includeObject=`): nothing, the metadata, or the object. */
export type IncludeObject = 'None' | 'Metadata' | 'Object';

export interface TableRow {
  cells: Cell[];
  conditions?: { type: string; status: string; reason?: string; message?: string }[];
  object?: unknown;
}

export interface MetaTable {
  kind: 'Table';
  apiVersion: 'meta.k8s.io/v1';
  metadata: { resourceVersion?: string; continue?: string; remainingItemCount?: number };
  columnDefinitions: ColumnDefinition[];
  rows: TableRow[];
}

interface Meta {
  kind?: string;
  apiVersion?: string;
  metadata?: { name?: string; namespace?: string; [k: string]: unknown };
  status?: { phase?: string };
}

/** The row object for `includeObject`: kube-apiserver's default is PartialObjectMetadata. */
function rowObject(o: Meta, include: IncludeObject): unknown {
  if (include === 'None') return undefined;
  if (include === 'Object') return o;
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata ?? {} };
}

export interface TableOptions {
  now?: Date;
  includeObject?: IncludeObject;
  /** The kind's columns when the list is empty (a row's own `kind` wins otherwise). */
  kind?: string;
  /** The list's metadata (resourceVersion, continue). */
  listMeta?: MetaTable['metadata'];
  /** Leave out the column definitions (`kubectl get -w` after the first page asks `?noHeaders`)... kept for symmetry. */
  noHeaders?: boolean | undefined;
}

/** Objects of one kind as a Table; every cell computed, wide ones included (kubectl hides priority 1). */
export function toTable(objects: readonly unknown[], opts: TableOptions = {}): MetaTable {
  const now = opts.now ?? new Date();
  const kind = (objects[0] as Meta | undefined)?.kind ?? opts.kind ?? '';
  const printer = printerFor(kind);
  const include = opts.includeObject ?? 'Metadata';
  const rows: TableRow[] = objects.map((raw) => {
    const o = raw as Meta;
    const row: TableRow = { cells: printer.cells(o, now) };
    if (o.kind === 'Pod') {
      const phase = o.status?.phase;
      if (phase === 'Succeeded')
        row.conditions = [
          {
            type: 'Completed',
            status: 'True',
            reason: 'Succeeded',
            message: 'The pod has completed successfully.',
          },
        ];
      else if (phase === 'Failed')
        row.conditions = [
          { type: 'Completed', status: 'True', reason: 'Failed', message: 'The pod failed.' },
        ];
    }
    const obj = rowObject(o, include);
    if (obj !== undefined) row.object = obj;
    return row;
  });
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: opts.listMeta ?? {},
    columnDefinitions: opts.noHeaders ? [] : [...printer.columns],
    rows,
  };
}

export interface RenderOptions {
  /** `-o wide`: the priority-1 columns too. */
  wide?: boolean | undefined;
  /** `-A`: a NAMESPACE column first, read from each row's object. */
  withNamespace?: boolean | undefined;
  /** Names as `kind.group/name` (several kinds in one `get`, or `--show-kind`): the lower-case `kind.group`. */
  withKind?: string | undefined;
  /** `--no-headers`. */
  noHeaders?: boolean | undefined;
  /** `--show-labels`: a LABELS column last. */
  showLabels?: boolean | undefined;
}

/** Go's text/tabwriter as kubectl configures it: cells padded to the widest + 3, at least 6; the last cell bare. */
export function tabwrite(lines: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const line of lines)
    for (let i = 0; i < line.length - 1; i++) widths[i] = Math.max(widths[i] ?? 6, line[i]!.length + 3);
  return lines
    .map((line) => line.map((c, i) => (i < line.length - 1 ? c.padEnd(widths[i]!) : c)).join(''))
    .map((l) => `${l}\n`)
    .join('');
}

/** A cell as kubectl prints it: text up to the first line break (then `...`), numbers as Go's %v. */
function cellText(c: Cell | null | undefined): string {
  if (c === null || c === undefined) return '<nil>';
  if (typeof c !== 'string') return String(c);
  const cut = c.search(/[\f\n\r]/);
  return cut >= 0 ? `${c.slice(0, cut)}...` : c;
}

/** The lines of a Table as kubectl prints them (headers upper-case), before tab alignment. */
export function tableLines(table: MetaTable, opts: RenderOptions = {}): string[][] {
  const shown = table.columnDefinitions
    .map((c, i) => ({ c, i }))
    .filter(({ c }) => opts.wide || c.priority === 0);
  const lines: string[][] = [];
  if (!opts.noHeaders) {
    const head = shown.map(({ c }) => c.name.toUpperCase());
    if (opts.withNamespace) head.unshift('NAMESPACE');
    if (opts.showLabels) head.push('LABELS');
    lines.push(head);
  }
  for (const row of table.rows) {
    const meta = (row.object as Meta | undefined)?.metadata;
    const cells = shown.map(({ c, i }) => {
      const text = cellText(row.cells[i]);
      return c.format === 'name' && opts.withKind ? `${opts.withKind}/${text}` : text;
    });
    if (opts.withNamespace) cells.unshift(String(meta?.namespace ?? ''));
    if (opts.showLabels) {
      const labels = (meta?.labels ?? {}) as Record<string, string>;
      const keys = Object.keys(labels).sort();
      cells.push(keys.length ? keys.map((k) => `${k}=${labels[k]}`).join(',') : '<none>');
    }
    lines.push(cells);
  }
  return lines;
}

/** A Table as `kubectl get` prints it. */
export function renderTable(table: MetaTable, opts: RenderOptions = {}): string {
  return tabwrite(tableLines(table, opts));
}
