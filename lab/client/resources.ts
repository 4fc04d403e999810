// Resource names as kubectl takes them (`pods`, `pod`, `po`, `Pod`, `deployments.apps`, `svc/web`),
// resolved against the kinds the lab serves, and the REST paths of each.
import { type Resource, resources } from '../apiserver/index.js';
import { ClientError } from './rest.js';

/** What `kubectl get` says for a type the server does not serve. */
export function resourceFor(arg: string): Resource {
  const want = arg.toLowerCase();
  const dot = want.indexOf('.');
  const [name, group] = dot < 0 ? [want, undefined] : [want.slice(0, dot), want.slice(dot + 1)];
  const r = resources.find(
    (r) =>
      (group === undefined || r.group === group) &&
      (r.resource === name || r.singular === name || r.shortNames.includes(name)),
  );
  if (!r) throw new ClientError(`the server doesn't have a resource type "${arg}"`);
  return r;
}

/** `pod`, `deployment.apps`, `endpointslice.discovery.k8s.io`: how kubectl names a kind in `kind/name`. */
export function kindName(r: Resource): string {
  return r.group === '' ? r.singular : `${r.singular}.${r.group}`;
}

/** `service/web`, as `kubectl ... -o name` and the `kubectl apply` lines print an object. */
export function objectName(r: Resource, name: string): string {
  return `${kindName(r)}/${name}`;
}

function base(r: Resource): string {
  return r.group === '' ? '/api/v1' : `/apis/${r.groupVersion}`;
}

/** The collection: in one namespace, or across all of them (namespace undefined). */
export function collectionPath(r: Resource, namespace: string | undefined): string {
  return r.namespaced && namespace !== undefined
    ? `${base(r)}/namespaces/${encodeURIComponent(namespace)}/${r.resource}`
    : `${base(r)}/${r.resource}`;
}

export function objectPath(r: Resource, namespace: string, name: string, subresource?: string): string {
  return `${collectionPath(r, r.namespaced ? namespace : undefined)}/${encodeURIComponent(name)}${
    subresource ? `/${subresource}` : ''
  }`;
}

export interface TypedName {
  resource: Resource;
  name: string | undefined;
}

/**
 * kubectl's resource arguments: `TYPE[,TYPE...] [NAME...]` or `TYPE/NAME...` (not mixed), e.g.
 * `pods,svc`, `svc web db`, `deploy/web svc/web`.
 */
export function parseResourceArgs(args: readonly string[]): TypedName[] {
  if (args.length === 0)
    throw new ClientError('you must specify the type of resource to get (e.g. pods, services, deployments)');
  if (args.some((a) => a.includes('/'))) {
    return args.map((a) => {
      const slash = a.indexOf('/');
      if (slash <= 0 || slash === a.length - 1)
        throw new ClientError(
          `there is no need to specify a resource type as a separate argument when passing arguments in resource/name form (e.g. 'netlab get resource/<resource_name>' instead of 'netlab get resource resource/<resource_name>'`,
        );
      return { resource: resourceFor(a.slice(0, slash)), name: a.slice(slash + 1) };
    });
  }
  const types = args[0]!.split(',').filter((t) => t !== '');
  const names = args.slice(1);
  if (names.length > 0 && types.length > 1)
    throw new ClientError('names cannot be given with more than one resource type: use TYPE/NAME');
  const out: TypedName[] = [];
  for (const t of types) {
    const resource = resourceFor(t);
    if (names.length === 0) out.push({ resource, name: undefined });
    for (const name of names) out.push({ resource, name });
  }
  return out;
}
