// Manifests: YAML (multi-document, `kind: List`) and JSON, through the `yaml` package because it
// keeps source positions. Parsing only: objects come out "as written" with their file and line; the
// store validates, defaults and allocates. Proxy, DNS and CNI tools read manifests as already
// allocated through this door without going through the store.

import { closeSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { isMap, isSeq, LineCounter, parseAllDocuments, visit, type Node as YamlNode } from 'yaml';
import { NetlabError } from '../std/index.js';
import { ManifestError, type ManifestIssue } from './errors.js';
import { deepEqual } from './json.js';
import { type AnyObject, apiVersionOf, clusterScoped, type Kind } from './types.js';

export interface ManifestSource {
  file: string;
  /** 1-based line of the object's first field. */
  line: number;
}

export interface ManifestObject {
  object: AnyObject;
  source: ManifestSource;
}

/** What a lenient read gives: the objects that parsed, and every problem with the rest. */
export interface ManifestRead {
  objects: ManifestObject[];
  issues: ManifestIssue[];
  /** Every file read (or that could not be), in the order given: the order to report problems in. */
  files: string[];
}

const knownKinds = new Set<string>(Object.keys(apiVersionOf));

/**
 * The most manifest text read from one file or stdin. kube-apiserver refuses a request body over
 * 3 MiB; a file holds many objects, so the limit is larger, but it is a limit: `-f /dev/zero` stops.
 */
export const maxManifestBytes = 64 * 1024 * 1024;

/** Alias expansions allowed in one document before it counts as a "billion laughs" bomb. */
export const maxAliasCount = 100;

// Go's encoding/json names a JSON value by its kind in an UnmarshalTypeError.
function jsonKind(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number' || typeof v === 'bigint') return 'number';
  return typeof v === 'string' ? 'string' : 'object';
}

// Field path -> line, for objects that came from a manifest. Kept beside the object (not in it) so
// objects stay plain Kubernetes JSON.
const fieldLines = new WeakMap<object, (field: string) => number | undefined>();

/**
 * The line of `field` (a field path as kube-apiserver prints it, `spec.ports[0].port`) inside an
 * object read from a manifest: the deepest part of the path that exists in the source.
 */
export function lineOfField(object: object, field: string): number | undefined {
  return fieldLines.get(object)?.(field);
}

/** `Kind namespace/name` (namespaced kinds), `Kind name` (cluster-scoped), as messages name objects. */
export function describeObject(o: {
  kind?: unknown;
  metadata?: { name?: unknown; namespace?: unknown };
}): string {
  const kind = typeof o.kind === 'string' ? o.kind : 'object';
  const md = o.metadata && typeof o.metadata === 'object' ? o.metadata : {};
  const name = typeof md.name === 'string' && md.name !== '' ? md.name : '<no name>';
  if (clusterScoped.has(kind as Kind)) return `${kind} ${name}`;
  const ns = typeof md.namespace === 'string' && md.namespace !== '' ? md.namespace : 'default';
  return `${kind} ${ns}/${name}`;
}

/** Splits `spec.ports[0].port` / `metadata.labels[app]` into path segments. */
export function splitFieldPath(field: string): (string | number)[] {
  const out: (string | number)[] = [];
  const re = /([^.[\]]+)|\[([^\]]*)\]/g;
  for (let m = re.exec(field); m !== null; m = re.exec(field)) {
    if (m[1] !== undefined) out.push(m[1]);
    else out.push(/^\d+$/.test(m[2]!) ? Number(m[2]) : m[2]!);
  }
  return out;
}

function nodeLine(lc: LineCounter, node: YamlNode | null | undefined): number | undefined {
  const start = node?.range?.[0];
  return start === undefined ? undefined : lc.linePos(start).line;
}

function fieldLiner(lc: LineCounter, root: YamlNode): (field: string) => number | undefined {
  return (field) => {
    let node: unknown = root;
    let line = nodeLine(lc, root);
    for (const seg of splitFieldPath(field)) {
      if (isMap(node)) {
        const pair = node.items.find((p) => {
          const k = p.key as { value?: unknown } | null;
          return k !== null && typeof k === 'object' && String(k.value) === String(seg);
        });
        if (!pair) break;
        line = nodeLine(lc, pair.key as YamlNode) ?? line;
        node = pair.value;
      } else if (isSeq(node) && typeof seg === 'number') {
        const item = node.items[seg] as YamlNode | undefined;
        if (!item) break;
        line = nodeLine(lc, item) ?? line;
        node = item;
      } else break;
    }
    return line;
  };
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** One YAML document as read: its root node, its value, its first line, and a field -> line lookup. */
export interface YamlDocument {
  node: YamlNode;
  value: unknown;
  line: number;
  /** The line of a field path (`spec.ports[0].port`): the deepest part of it that exists. */
  lineOf: (field: string) => number | undefined;
}

/**
 * Reads the YAML documents of a text as sigs.k8s.io/yaml would, keeping positions. Never throws:
 * syntax errors come back as issues. Manifests and netlab's own config files (Cluster, Scenario)
 * are read through it.
 */
export function readYamlDocuments(
  text: string,
  file: string,
): { documents: YamlDocument[]; issues: ManifestIssue[]; lineCounter: LineCounter } {
  const lc = new LineCounter();
  const documents: YamlDocument[] = [];
  const issues: ManifestIssue[] = [];
  // YAML 1.1 scalars (`yes`/`on` are booleans, `0777` is octal) as sigs.k8s.io/yaml reads them,
  // except timestamps, which Kubernetes keeps as strings.
  const docs = parseAllDocuments(text, {
    lineCounter: lc,
    prettyErrors: true,
    uniqueKeys: true,
    version: '1.1',
    customTags: (tags) =>
      tags.filter((t) => typeof t === 'string' || t.tag !== 'tag:yaml.org,2002:timestamp'),
  });
  if (!Array.isArray(docs)) return { documents, issues, lineCounter: lc };
  for (const doc of docs) {
    if (doc.errors.length > 0) {
      for (const e of doc.errors) {
        const line = e.linePos?.[0]?.line ?? 1;
        // The yaml package's message ends with a code excerpt: keep only its first line.
        const message = e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
        issues.push({ file, line, object: '', field: '', message: `error parsing YAML: ${message}` });
      }
      continue;
    }
    const contents = doc.contents as YamlNode | null;
    if (contents === null) continue; // an empty document (`---` at the end) is not an object
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount });
    } catch (e) {
      if (!(e instanceof ReferenceError)) throw e;
      // The yaml package stops expanding after maxAliasCount aliases; name the first alias.
      let line = nodeLine(lc, contents) ?? 1;
      visit(doc, {
        Alias(_, node) {
          line = nodeLine(lc, node) ?? line;
          return visit.BREAK;
        },
      });
      issues.push({
        file,
        line,
        object: '',
        field: '',
        message: `error parsing YAML: document contains excessive aliasing (more than ${maxAliasCount} alias expansions)`,
      });
      continue;
    }
    if (value === null || value === undefined) continue;
    documents.push({
      node: contents,
      value,
      line: nodeLine(lc, contents) ?? 1,
      lineOf: fieldLiner(lc, contents),
    });
  }
  return { documents, issues, lineCounter: lc };
}

/** Parses one manifest text. Never throws: problems come back as issues. */
export function readManifests(text: string, file: string): ManifestRead {
  const objects: ManifestObject[] = [];
  const { documents, issues, lineCounter: lc } = readYamlDocuments(text, file);

  const take = (node: YamlNode, value: unknown, inList: string) => {
    const line = nodeLine(lc, node) ?? 1;
    const issue = (field: string, message: string, obj: string) =>
      issues.push({ file, line: fieldLiner(lc, node)(field) ?? line, object: obj, field, message });
    if (!isPlainObject(value)) {
      issues.push({ file, line, object: '', field: inList, message: 'Invalid value: expected an object' });
      return;
    }
    const obj = describeObject(value);
    const { apiVersion, kind } = value;
    // apimachinery reads apiVersion and kind first, into a struct of two strings: a value of another
    // type (not null, which Go leaves unset) stops the decode with encoding/json's error, the first
    // such field in document order.
    for (const key of Object.keys(value)) {
      const v = value[key];
      if ((key === 'apiVersion' || key === 'kind') && v !== null && typeof v !== 'string') {
        issue(
          key,
          `couldn't get version/kind; json parse error: json: cannot unmarshal ${jsonKind(v)} into Go struct field .${key} of type string`,
          obj,
        );
        return;
      }
    }
    let ok = true;
    if (typeof apiVersion !== 'string' || apiVersion === '') {
      issue('apiVersion', 'Required value', obj);
      ok = false;
    }
    if (typeof kind !== 'string' || kind === '') {
      issue('kind', 'Required value', obj);
      ok = false;
    }
    if (!ok) return;
    if (kind === 'List') {
      const items = value.items;
      if (!Array.isArray(items)) {
        issue('items', 'Required value', 'List');
        return;
      }
      const itemsNode = isMap(node) ? (node.get('items', true) as YamlNode | undefined) : undefined;
      items.forEach((item, i) => {
        const itemNode = isSeq(itemsNode) ? (itemsNode.items[i] as YamlNode) : node;
        take(itemNode, item, `items[${i}]`);
      });
      return;
    }
    if (!knownKinds.has(kind as string) || apiVersionOf[kind as Kind] !== apiVersion) {
      issue('kind', `no matches for kind "${String(kind)}" in version "${String(apiVersion)}"`, obj);
      return;
    }
    if (value.metadata !== undefined && !isPlainObject(value.metadata)) {
      issue('metadata', 'Invalid value: expected an object', obj);
      return;
    }
    if (value.metadata === undefined) value.metadata = {};
    fieldLines.set(value, fieldLiner(lc, node));
    objects.push({ object: value as unknown as AnyObject, source: { file, line } });
  };

  for (const d of documents) take(d.node, d.value, '');
  return { objects: withoutDuplicates(objects, issues), issues, files: [file] };
}

/**
 * Parses manifest text (YAML documents or JSON) into objects with their source line.
 * Throws ManifestError naming file, line, object and field for every problem found.
 * @example parseManifests('apiVersion: v1\nkind: Service\nmetadata: {name: web}\n', 'web.yaml')
 */
export function parseManifests(text: string, file: string): ManifestObject[] {
  const r = readManifests(text, file);
  if (r.issues.length > 0) throw new ManifestError(r.issues);
  return r.objects;
}

const manifestExt = /\.(ya?ml|json)$/i;

/** Thrown by readLimited when the input is larger than maxManifestBytes. */
class TooLarge extends NetlabError {
  readonly code = 'NETLAB_API_MANIFEST_TOO_LARGE';
  constructor() {
    super('input too large');
  }
}

// Blocks the thread for a few milliseconds while an empty non-blocking stdin fills.
const pause = new Int32Array(new SharedArrayBuffer(4));

/** Reads a file (or fd 0) as UTF-8, refusing more than `limit` bytes without reading them all. */
function readLimited(path: string | 0, limit: number): string {
  const fd = path === 0 ? 0 : openSync(path, 'r');
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const buf = Buffer.allocUnsafe(Math.min(1 << 20, limit + 1 - total));
      let n: number;
      try {
        n = readSync(fd, buf, 0, buf.length, null);
      } catch (e) {
        // stdin that is a non-blocking pipe with nothing yet: wait for it as readFileSync would.
        if ((e as NodeJS.ErrnoException).code === 'EAGAIN') {
          Atomics.wait(pause, 0, 0, 5);
          continue;
        }
        if ((e as NodeJS.ErrnoException).code === 'EOF') break;
        throw e;
      }
      if (n === 0) break;
      chunks.push(buf.subarray(0, n));
      total += n;
      if (total > limit) throw new TooLarge();
    }
    return Buffer.concat(chunks, total).toString('utf8');
  } finally {
    if (path !== 0) closeSync(fd);
  }
}

/** Reads files (a directory: its .yaml/.yml/.json files, as kubectl -f does; `-`: stdin). Never throws. */
export function readManifestFiles(paths: string[]): ManifestRead {
  const objects: ManifestObject[] = [];
  const issues: ManifestIssue[] = [];
  const read: string[] = [];
  for (const path of paths) {
    let files = [path];
    let text: string;
    try {
      if (path !== '-' && statSync(path).isDirectory()) {
        files = readdirSync(path)
          .filter((f) => manifestExt.test(f))
          .sort()
          .map((f) => join(path, f));
      }
    } catch {
      read.push(path);
      issues.push({
        file: path,
        line: 0,
        object: '',
        field: '',
        message: `the path "${path}" does not exist`,
      });
      continue;
    }
    for (const f of files) {
      read.push(f === '-' ? '<stdin>' : f);
      try {
        text = readLimited(f === '-' ? 0 : f, maxManifestBytes);
      } catch (e) {
        if (e instanceof TooLarge) {
          issues.push({
            file: f === '-' ? '<stdin>' : f,
            line: 0,
            object: '',
            field: '',
            message: `the input is larger than ${maxManifestBytes} bytes (${maxManifestBytes / 1024 / 1024} MiB), the most netlab reads from one manifest`,
          });
          continue;
        }
        const why = (e as NodeJS.ErrnoException).code ?? 'unreadable';
        issues.push({
          file: f === '-' ? '<stdin>' : f,
          line: 0,
          object: '',
          field: '',
          message: `cannot read the file: ${why}`,
        });
        continue;
      }
      const r = readManifests(text, f === '-' ? '<stdin>' : f);
      objects.push(...r.objects);
      issues.push(...r.issues);
    }
  }
  return { objects: withoutDuplicates(objects, issues), issues, files: read };
}

/**
 * One object per kind, namespace and name in one input, for every command alike: an exact repeat
 * is dropped (applying it twice changes nothing); a repeat that differs is an error at the second,
 * naming where the first is, rather than one silently replacing the other.
 */
function withoutDuplicates(objects: ManifestObject[], issues: ManifestIssue[]): ManifestObject[] {
  const seen = new Map<string, ManifestObject>();
  const out: ManifestObject[] = [];
  for (const m of objects) {
    const name = m.object.metadata?.name;
    if (typeof name !== 'string' || name === '') {
      out.push(m);
      continue;
    }
    const key = describeObject(m.object);
    const first = seen.get(key);
    if (first === undefined) {
      seen.set(key, m);
      out.push(m);
      continue;
    }
    if (deepEqual(first.object, m.object)) continue;
    issues.push({
      file: m.source.file,
      line: lineOfField(m.object, 'metadata.name') ?? m.source.line,
      object: key,
      field: 'metadata.name',
      message: `Duplicate value: ${JSON.stringify(name)}: the input gives this object twice, differently (first at ${first.source.file}:${first.source.line})`,
    });
  }
  return out;
}

/** Reads and parses manifest files; throws ManifestError listing every problem. */
export function loadManifestFiles(paths: string[]): ManifestObject[] {
  const r = readManifestFiles(paths);
  if (r.issues.length > 0) throw new ManifestError(r.issues);
  return r.objects;
}
