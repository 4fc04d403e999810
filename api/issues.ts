// A rejected write, told the way manifest errors are told: file, line, object, field, message.

import type { ManifestIssue, StatusError } from './errors.js';
import { describeObject, lineOfField, type ManifestObject } from './manifest.js';
import type { AnyObject } from './types.js';

/** One issue per field cause (with the field's own line), or one for the whole object. */
export function statusIssues(
  item: Pick<ManifestObject, 'object' | 'source'>,
  err: StatusError,
): ManifestIssue[] {
  const object = describeObject(item.object);
  const { file, line } = item.source;
  const causes = err.causes.filter((c) => c.field);
  if (causes.length === 0) {
    // A missing namespace is the namespace field's fault: point at it.
    const ns = err.reason === 'NotFound' && err.status.details?.kind === 'namespaces';
    const field = ns ? 'metadata.namespace' : '';
    return [
      { file, line: (ns && lineOfField(item.object, field)) || line, object, field, message: err.message },
    ];
  }
  return causes.map((c) => ({
    file,
    line: lineOfField(item.object, sourceField(item.object, c.field!)) ?? line,
    object,
    field: c.field!,
    message: c.message,
  }));
}

/** clusterIPs errors are about what the manifest wrote as clusterIP when it has no clusterIPs. */
function sourceField(obj: AnyObject, field: string): string {
  const spec = (obj as { spec?: Record<string, unknown> }).spec;
  if (field.startsWith('spec.clusterIPs') && spec && !('clusterIPs' in spec) && 'clusterIP' in spec)
    return 'spec.clusterIP';
  return field;
}
