// Where `netlab get` and `netlab describe` read objects: a running lab's kube-API (Tables with the
// columns the server computes, as kubectl asks for them) or manifests given with -f, applied to a
// fresh store as kube-apiserver would (defaults, ClusterIPs, NodePorts) and printed with the same
// columns (lab/printers), so the two print alike.

import {
  type AnyObject,
  BatchError,
  formatIssue,
  type Kind,
  type ManifestIssue,
  readManifestFiles,
  StatusError,
  Store,
  statusIssues,
} from '../../api/index.js';
import { NetlabError } from '../../std/index.js';
import type { Resource } from '../apiserver/index.js';
import { type MetaTable, toTable } from '../printers/index.js';
import { collectionPath, objectPath } from './resources.js';
import { ApiStatusError, type KubeClient } from './rest.js';

export interface Query {
  /** undefined: every namespace (-A). */
  namespace: string | undefined;
  labelSelector?: string | undefined;
  fieldSelector?: string | undefined;
}

export interface ReadSource {
  /** The namespace commands use without -n. */
  readonly defaultNamespace: string;
  list(r: Resource, q: Query): Promise<AnyObject[]>;
  /** kubectl's Table for a list, or for one object (`name`). */
  table(r: Resource, q: Query, name?: string): Promise<MetaTable>;
  get(r: Resource, name: string, namespace: string): Promise<AnyObject>;
}

/** kubectl's Accept for `get`: a Table, else the objects themselves. */
const tableAccept = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json';

function query(q: Query, extra: Record<string, string> = {}): string {
  const p = new URLSearchParams(extra);
  if (q.labelSelector) p.set('labelSelector', q.labelSelector);
  if (q.fieldSelector) p.set('fieldSelector', q.fieldSelector);
  const s = p.toString();
  return s === '' ? '' : `?${s}`;
}

/** A running lab (or any kube-apiserver) through its kubeconfig. */
export class ApiSource implements ReadSource {
  constructor(readonly client: KubeClient) {}

  get defaultNamespace(): string {
    return this.client.namespace;
  }

  async list(r: Resource, q: Query): Promise<AnyObject[]> {
    const out: AnyObject[] = [];
    let cont = '';
    // Pages of 500, as kubectl's chunked lists.
    do {
      const page = await this.client.json<{ items: AnyObject[]; metadata?: { continue?: string } }>(
        'GET',
        collectionPath(r, q.namespace) + query(q, { limit: '500', ...(cont ? { continue: cont } : {}) }),
      );
      // List items carry no kind/apiVersion on the wire; the client sets them, as kubectl does.
      for (const o of page.items) out.push({ ...o, kind: r.kind, apiVersion: r.groupVersion } as AnyObject);
      cont = page.metadata?.continue ?? '';
    } while (cont !== '');
    return out;
  }

  async table(r: Resource, q: Query, name?: string): Promise<MetaTable> {
    const path =
      name === undefined
        ? collectionPath(r, q.namespace) + query(q)
        : objectPath(r, q.namespace ?? this.defaultNamespace, name);
    const v = await this.client.json<MetaTable | AnyObject>('GET', path, { accept: tableAccept });
    // A server that does not do Tables sends the objects: compute them here, as kubectl would.
    if ((v as { kind?: string }).kind === 'Table') return v as MetaTable;
    const items = name === undefined ? ((v as { items?: AnyObject[] }).items ?? []) : [v as AnyObject];
    return toTable(items, { kind: r.kind });
  }

  async get(r: Resource, name: string, namespace: string): Promise<AnyObject> {
    const o = await this.client.json<AnyObject>('GET', objectPath(r, namespace, name));
    return { ...o, kind: r.kind, apiVersion: r.groupVersion } as AnyObject;
  }
}

/** Manifests that could not be applied: every problem by file, line, object and field. */
export class ManifestApplyError extends NetlabError {
  override readonly name = 'ManifestApplyError';
  readonly code = 'NETLAB_CLIENT_MANIFESTS';
  constructor(readonly issues: readonly ManifestIssue[]) {
    super(issues.map((i) => formatIssue(i)).join('\n'));
  }
}

/** Manifests given with -f, applied to a fresh store (all or nothing). */
export class FileSource implements ReadSource {
  readonly defaultNamespace = 'default';
  readonly #store: Store;
  readonly #now: Date;

  constructor(files: readonly string[], now = new Date()) {
    this.#now = now;
    this.#store = new Store({ bookmarkIntervalMs: 0, now: () => now });
    const read = readManifestFiles([...files]);
    if (read.issues.length > 0) throw new ManifestApplyError(read.issues);
    try {
      this.#store.apply(read.objects);
    } catch (e) {
      this.#store.close();
      if (!(e instanceof BatchError)) throw e;
      throw new ManifestApplyError(e.failures.flatMap((f) => statusIssues(read.objects[f.index]!, f.error)));
    }
  }

  close(): void {
    this.#store.close();
  }

  async list(r: Resource, q: Query): Promise<AnyObject[]> {
    try {
      return this.#store.list(r.kind as Kind, {
        ...(r.namespaced && q.namespace !== undefined ? { namespace: q.namespace } : {}),
        ...(q.labelSelector ? { labelSelector: q.labelSelector } : {}),
        ...(q.fieldSelector ? { fieldSelector: q.fieldSelector } : {}),
      }).items;
    } catch (e) {
      throw asStatus(e);
    }
  }

  async table(r: Resource, q: Query, name?: string): Promise<MetaTable> {
    const items =
      name === undefined
        ? await this.list(r, q)
        : [await this.get(r, name, q.namespace ?? this.defaultNamespace)];
    return toTable(items, { kind: r.kind, now: this.#now });
  }

  async get(r: Resource, name: string, namespace: string): Promise<AnyObject> {
    try {
      return this.#store.get(r.kind as Kind, name, r.namespaced ? namespace : '');
    } catch (e) {
      throw asStatus(e);
    }
  }
}

/** The store's errors are the server's Status objects: reported as a server's would be. */
function asStatus(e: unknown): unknown {
  return e instanceof StatusError ? new ApiStatusError(e.status) : e;
}
