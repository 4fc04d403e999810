// field.Error and field.ErrorList as k8s.io/apimachinery/pkg/util/validation/field prints them, and
// the Status errors kube-apiserver builds from them (apimachinery/pkg/api/errors). The exact text
// matters: tests and users compare it with what a real cluster says.
import { goQuote } from '../std/index.js';
import { type Status, StatusError, type StatusReason } from './errors.js';
import { kindInfo } from './kinds.js';
import type { Kind } from './types.js';

export type FieldErrorType =
  | 'FieldValueNotFound'
  | 'FieldValueRequired'
  | 'FieldValueDuplicate'
  | 'FieldValueInvalid'
  | 'FieldValueNotSupported'
  | 'FieldValueForbidden'
  | 'FieldValueTooLong'
  | 'FieldValueTooMany'
  | 'InternalError'
  | 'FieldValueTypeInvalid';

const typeText: { readonly [T in FieldErrorType]: string } = {
  FieldValueNotFound: 'Not found',
  FieldValueRequired: 'Required value',
  FieldValueDuplicate: 'Duplicate value',
  FieldValueInvalid: 'Invalid value',
  FieldValueNotSupported: 'Unsupported value',
  FieldValueForbidden: 'Forbidden',
  FieldValueTooLong: 'Too long',
  FieldValueTooMany: 'Too many',
  InternalError: 'Internal error',
  FieldValueTypeInvalid: 'Invalid value',
};

/**
 * A bad value as Go's fmt prints it in field errors: strings quoted (%q), numbers and booleans
 * bare, everything else in Go syntax (%#v), which callers give through `goValue`.
 */
export type BadValue = string | number | boolean | null | undefined | GoValue;

export interface GoValue {
  /** The value as `%#v` prints it, e.g. `[]string{"10.0.0.1"}`. */
  readonly go: string;
}

const omit: unique symbol = Symbol('omitValue');

export interface FieldError {
  type: FieldErrorType;
  field: string;
  badValue: BadValue | typeof omit;
  detail: string;
}

/** `[]string{"a", "b"}` */
export function goStrings(values: readonly string[], type = 'string'): GoValue {
  return { go: `[]${type}{${values.map(goQuote).join(', ')}}` };
}

/** `map[string]string{"a":"b"}` (Go prints map keys sorted). */
export function goStringMap(m: Readonly<Record<string, string>> | undefined): GoValue {
  const keys = Object.keys(m ?? {}).sort();
  return { go: `map[string]string{${keys.map((k) => `${goQuote(k)}:${goQuote(m![k]!)}`).join(', ')}}` };
}

function isGoValue(v: unknown): v is GoValue {
  return typeof v === 'object' && v !== null && 'go' in v;
}

/** field.Error.ErrorBody(): the message without the field path. */
export function errorBody(e: FieldError): string {
  let s: string;
  const t = typeText[e.type];
  if (
    e.type === 'FieldValueRequired' ||
    e.type === 'FieldValueForbidden' ||
    e.type === 'FieldValueTooLong' ||
    e.type === 'InternalError' ||
    e.badValue === omit
  ) {
    s = t;
  } else {
    const v = e.badValue;
    if (v === null || v === undefined) s = `${t}: "null"`;
    else if (typeof v === 'string') s = `${t}: ${goQuote(v)}`;
    else if (typeof v === 'number' || typeof v === 'boolean') s = `${t}: ${v}`;
    else if (isGoValue(v)) s = `${t}: ${v.go}`;
    else s = t;
  }
  if (e.detail.length > 0) s += `: ${e.detail}`;
  return s;
}

/** field.Error.Error(): `spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive` */
export function fieldErrorString(e: FieldError): string {
  return `${e.field}: ${errorBody(e)}`;
}

// Constructors, named as in package field.
export const field = {
  invalid: (path: string, value: BadValue, detail: string): FieldError => ({
    type: 'FieldValueInvalid',
    field: path,
    badValue: value,
    detail,
  }),
  required: (path: string, detail = ''): FieldError => ({
    type: 'FieldValueRequired',
    field: path,
    badValue: '',
    detail,
  }),
  duplicate: (path: string, value: BadValue): FieldError => ({
    type: 'FieldValueDuplicate',
    field: path,
    badValue: value,
    detail: '',
  }),
  notSupported: (path: string, value: BadValue, valid: readonly string[]): FieldError => ({
    type: 'FieldValueNotSupported',
    field: path,
    badValue: value,
    detail: valid.length > 0 ? `supported values: ${valid.map(goQuote).join(', ')}` : '',
  }),
  forbidden: (path: string, detail: string): FieldError => ({
    type: 'FieldValueForbidden',
    field: path,
    badValue: '',
    detail,
  }),
  tooMany: (path: string, actual: number, max: number): FieldError => ({
    type: 'FieldValueTooMany',
    field: path,
    badValue: actual,
    detail: `must have at most ${max} items`,
  }),
  tooLong: (path: string, max: number): FieldError => ({
    type: 'FieldValueTooLong',
    field: path,
    badValue: '',
    detail: `may not be more than ${max} bytes`,
  }),
  internal: (path: string, detail: string): FieldError => ({
    type: 'InternalError',
    field: path,
    badValue: omit,
    detail,
  }),
  /** A JSON type mismatch (the apiserver's decoder would refuse the object). */
  typeInvalid: (path: string, value: BadValue, detail: string): FieldError => ({
    type: 'FieldValueTypeInvalid',
    field: path,
    badValue: value,
    detail,
  }),
};

/** errors.ToAggregate() text: one message bare, several in brackets, duplicates dropped. */
export function aggregateText(errs: readonly FieldError[]): string {
  const seen = new Set<string>();
  const msgs: string[] = [];
  for (const e of errs) {
    const m = fieldErrorString(e);
    if (seen.has(m)) continue;
    seen.add(m);
    msgs.push(m);
  }
  return msgs.length === 1 ? msgs[0]! : `[${msgs.join(', ')}]`;
}

/** An Invalid (422) StatusError carrying field errors; `fieldErrors` keeps them as data. */
export class InvalidError extends StatusError {
  readonly fieldErrors: readonly FieldError[];
  constructor(kind: Kind, name: string, errs: readonly FieldError[]) {
    const info = kindInfo[kind];
    super('Invalid', `${info.groupKind} "${name}" is invalid: ${aggregateText(errs)}`, {
      name,
      ...(info.group ? { group: info.group } : {}),
      kind,
      causes: errs.map((e) => ({ reason: e.type, message: errorBody(e), field: e.field })),
    });
    this.fieldErrors = errs;
  }
}

export function newInvalid(kind: Kind, name: string, errs: readonly FieldError[]): InvalidError {
  return new InvalidError(kind, name, errs);
}

function resourceDetails(kind: Kind, name: string): Status['details'] {
  const info = kindInfo[kind];
  return { name, ...(info.group ? { group: info.group } : {}), kind: info.resource };
}

export function newNotFound(kind: Kind, name: string): StatusError {
  return new StatusError(
    'NotFound',
    `${kindInfo[kind].groupResource} "${name}" not found`,
    resourceDetails(kind, name),
  );
}

export function newAlreadyExists(kind: Kind, name: string): StatusError {
  return new StatusError(
    'AlreadyExists',
    `${kindInfo[kind].groupResource} "${name}" already exists`,
    resourceDetails(kind, name),
  );
}

export function newConflict(kind: Kind, name: string, why: string): StatusError {
  return new StatusError(
    'Conflict',
    `Operation cannot be fulfilled on ${kindInfo[kind].groupResource} "${name}": ${why}`,
    resourceDetails(kind, name),
  );
}

export function newForbidden(kind: Kind, name: string, why: string): StatusError {
  return new StatusError(
    'Forbidden',
    `${kindInfo[kind].groupResource} "${name}" is forbidden: ${why}`,
    resourceDetails(kind, name),
  );
}

export function newInternalError(why: string): StatusError {
  return new StatusError('InternalError', `Internal error occurred: ${why}`, { causes: [{ message: why }] });
}

export function newBadRequest(why: string): StatusError {
  return new StatusError('BadRequest', why);
}

/** 410: what a watch from a compacted resourceVersion gets (reason Expired, as the watch cache says). */
export function newResourceExpired(message: string): StatusError {
  return new StatusError('Expired', message);
}

export type { StatusReason };
