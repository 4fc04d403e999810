// Errors of api/: Kubernetes Status objects (what kube-apiserver answers) and user-input errors from
// manifests and selectors. Every class has a stable `code`; Status errors keep their HTTP code and
// reason so the kube-API server in lab/ can send them as they are.
import { NetlabError } from '../std/index.js';

/** A Status cause: `{reason, message, field}`; message is the error body without the field. */
export interface StatusCause {
  reason?: string;
  message: string;
  field?: string;
}

export type StatusReason =
  | 'AlreadyExists'
  | 'NotFound'
  | 'Conflict'
  | 'Invalid'
  | 'Forbidden'
  | 'Gone'
  | 'Expired'
  | 'BadRequest'
  | 'InternalError';

/** metav1.Status, as kube-apiserver writes it for a failure. */
export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure';
  message: string;
  reason: StatusReason;
  details?: {
    name?: string;
    group?: string;
    kind?: string;
    causes?: StatusCause[];
  };
  code: number;
}

const statusCodes: { readonly [R in StatusReason]: readonly [number, string] } = {
  AlreadyExists: [409, 'NETLAB_API_ALREADY_EXISTS'],
  NotFound: [404, 'NETLAB_API_NOT_FOUND'],
  Conflict: [409, 'NETLAB_API_CONFLICT'],
  Invalid: [422, 'NETLAB_API_INVALID'],
  Forbidden: [403, 'NETLAB_API_FORBIDDEN'],
  Gone: [410, 'NETLAB_API_GONE'],
  Expired: [410, 'NETLAB_API_EXPIRED'],
  BadRequest: [400, 'NETLAB_API_BAD_REQUEST'],
  InternalError: [500, 'NETLAB_API_INTERNAL'],
};

/** An error the store answers with: carries the Kubernetes Status to send. */
export class StatusError extends NetlabError {
  override readonly name = 'StatusError';
  readonly code: string;
  readonly status: Status;
  constructor(reason: StatusReason, message: string, details?: Status['details']) {
    super(message);
    const [httpCode, code] = statusCodes[reason];
    this.code = code;
    this.status = {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message,
      reason,
      ...(details ? { details } : {}),
      code: httpCode,
    };
  }
  get reason(): StatusReason {
    return this.status.reason;
  }
  /** Field causes (Invalid only). */
  get causes(): StatusCause[] {
    return this.status.details?.causes ?? [];
  }
}

/** A manifest problem: where it is (file, line), which object, which field, and what. */
export interface ManifestIssue {
  file: string;
  /** 1-based; 0 when the problem is the file itself (missing, unreadable). */
  line: number;
  /** `Kind namespace/name`, `Kind name`, or `` when the object could not be identified. */
  object: string;
  field: string;
  message: string;
}

/** `file:line: Kind namespace/name: field: message`, leaving out the parts that are not known (line 0). */
export function formatIssue(i: ManifestIssue): string {
  const parts = [i.line > 0 ? `${i.file}:${i.line}` : i.file];
  if (i.object) parts.push(i.object);
  if (i.field) parts.push(i.field);
  parts.push(i.message);
  return parts.join(': ');
}

/** Manifests that could not be read or parsed; `issues` lists every problem found. */
export class ManifestError extends NetlabError {
  override readonly name = 'ManifestError';
  readonly code = 'NETLAB_API_MANIFEST';
  readonly issues: ManifestIssue[];
  constructor(issues: ManifestIssue[]) {
    super(issues.map(formatIssue).join('\n'));
    this.issues = issues;
  }
}

/** A label or field selector that does not parse. */
export class SelectorError extends NetlabError {
  override readonly name = 'SelectorError';
  readonly code = 'NETLAB_API_SELECTOR';
}

/** A batch apply that was refused as a whole: every failing object, by its index in the batch. */
export class BatchError extends NetlabError {
  override readonly name = 'BatchError';
  readonly code = 'NETLAB_API_BATCH';
  readonly failures: { index: number; error: StatusError }[];
  constructor(failures: { index: number; error: StatusError }[]) {
    super(failures.map((f) => `[${f.index}] ${f.error.message}`).join('\n'));
    this.failures = failures;
  }
}
