// Event validation as kube-apiserver does it (pkg/apis/core/validation/events.go): every Event passes
// the legacy checks; one written through events.k8s.io/v1 also passes the strict ones. Event names
// are only path segments (the generic registry's ValidateObjectMetaAccessor with
// path.ValidatePathSegmentName), since recorders build them from the object name and a timestamp.
import { type FieldError, field } from './fielderrors.js';
import { deepEqual } from './json.js';
import { isDNS1123Subdomain, isQualifiedName } from './names.js';
import type { Event, ObjectReference } from './types.js';
import { validateObjectMeta, validateObjectMetaUpdate } from './validation-meta.js';

export const reportingInstanceLengthLimit = 128;
export const actionLengthLimit = 128;
export const reasonLengthLimit = 128;
export const noteLengthLimit = 1024;

/** The API an Event was written through: the legacy core/v1 one, or events.k8s.io/v1 (strict). */
export type EventRequestVersion = 'v1' | 'events.k8s.io/v1';

/** path.ValidatePathSegmentName: what may name an object that only has to fit in a URL path. */
export function isValidPathSegmentName(name: string, prefix: boolean): string[] {
  const errs: string[] = [];
  if (!prefix && (name === '.' || name === '..')) errs.push(`may not be '${name}'`);
  for (const bad of ['/', '%']) if (name.includes(bad)) errs.push(`may not contain '${bad}'`);
  return errs;
}

const isZeroTime = (t: string | null | undefined) => t === undefined || t === null || t === '';

function legacyValidateEvent(ev: Event): FieldError[] {
  const errs: FieldError[] = [];
  const ns = ev.metadata.namespace ?? '';
  const involvedNS = ev.involvedObject?.namespace ?? '';
  if (isZeroTime(ev.eventTime)) {
    // Old clients leave the namespace of cluster-scoped objects' events empty or "default".
    if (involvedNS === '') {
      if (ns !== '' && ns !== 'default')
        errs.push(field.invalid('involvedObject.namespace', involvedNS, 'does not match event.namespace'));
    } else if (ns !== involvedNS)
      errs.push(field.invalid('involvedObject.namespace', involvedNS, 'does not match event.namespace'));
  } else {
    if (involvedNS === '' && ns !== 'default' && ns !== 'kube-system')
      errs.push(field.invalid('involvedObject.namespace', involvedNS, 'does not match event.namespace'));
    const controller = ev.reportingComponent ?? '';
    if (controller === '') errs.push(field.required('reportingController'));
    for (const msg of isQualifiedName(controller))
      errs.push(field.invalid('reportingController', controller, msg));
    const instance = ev.reportingInstance ?? '';
    if (instance === '') errs.push(field.required('reportingInstance'));
    if (instance.length > reportingInstanceLengthLimit)
      errs.push(
        field.invalid('reportingInstance', '', `can have at most ${reportingInstanceLengthLimit} characters`),
      );
    const action = ev.action ?? '';
    if (action === '') errs.push(field.required('action'));
    if (action.length > actionLengthLimit)
      errs.push(field.invalid('action', '', `can have at most ${actionLengthLimit} characters`));
    const reason = ev.reason ?? '';
    if (reason === '') errs.push(field.required('reason'));
    if (reason.length > reasonLengthLimit)
      errs.push(field.invalid('reason', '', `can have at most ${reasonLengthLimit} characters`));
    if ((ev.message ?? '').length > noteLengthLimit)
      errs.push(field.invalid('message', '', `can have at most ${noteLengthLimit} characters`));
  }
  for (const msg of isDNS1123Subdomain(ns)) errs.push(field.invalid('namespace', ns, msg));
  return errs;
}

function validateV1EventSeries(ev: Event): FieldError[] {
  const errs: FieldError[] = [];
  if (ev.series) {
    if ((ev.series.count ?? 0) < 2) errs.push(field.invalid('series.count', '', 'should be at least 2'));
    if (isZeroTime(ev.series.lastObservedTime)) errs.push(field.required('series.lastObservedTime'));
  }
  return errs;
}

/** ValidateEventCreate, then the generic registry's metadata checks. */
export function validateEventCreate(ev: Event, version: EventRequestVersion = 'v1'): FieldError[] {
  const errs = legacyValidateEvent(ev);
  if (version === 'events.k8s.io/v1') {
    errs.push(...validateV1EventSeries(ev));
    if (isZeroTime(ev.eventTime)) errs.push(field.required('eventTime'));
    if (ev.type !== 'Normal' && ev.type !== 'Warning')
      errs.push(field.invalid('type', '', `has invalid value: ${ev.type ?? ''}`));
    if (!isZeroTime(ev.firstTimestamp)) errs.push(field.invalid('firstTimestamp', '', 'needs to be unset'));
    if (!isZeroTime(ev.lastTimestamp)) errs.push(field.invalid('lastTimestamp', '', 'needs to be unset'));
    if ((ev.count ?? 0) !== 0) errs.push(field.invalid('count', '', 'needs to be unset'));
    if (ev.source?.component || ev.source?.host) errs.push(field.invalid('source', '', 'needs to be unset'));
  }
  errs.push(...validateObjectMeta(ev.metadata, true, isValidPathSegmentName));
  return errs;
}

const immutableEventFields = [
  'involvedObject',
  'reason',
  'message',
  'source',
  'firstTimestamp',
  'lastTimestamp',
  'count',
  'type',
  'eventTime',
  'action',
  'related',
  'reportingComponent',
  'reportingInstance',
] as const;

/** ValidateEventUpdate: the legacy API may rewrite an Event (recorders bump count); the new one may not. */
export function validateEventUpdate(
  ev: Event,
  old: Event,
  version: EventRequestVersion = 'v1',
): FieldError[] {
  const errs = legacyValidateEvent(ev);
  if (version === 'events.k8s.io/v1') {
    if (!deepEqual(ev.series, old.series)) errs.push(...validateV1EventSeries(ev));
    for (const f of immutableEventFields) {
      if (!deepEqual(ev[f], old[f])) {
        const path = f === 'reportingComponent' ? 'reportingController' : f;
        const v = ev[f] as string | number | ObjectReference | null | undefined;
        errs.push(
          field.invalid(
            path,
            typeof v === 'object' && v !== null ? { go: 'v1.ObjectReference{...}' } : v,
            'field is immutable',
          ),
        );
      }
    }
  }
  errs.push(...validateObjectMetaUpdate(ev.metadata, old.metadata));
  return errs;
}
