// apimachinery's validation of what every object has: names, IP and CIDR fields, ObjectMeta
// (labels, annotations, generateName) and metav1.LabelSelector, with its checks, order and words
// (k8s.io/apimachinery pkg/api/validation, pkg/apis/meta/v1/validation; k8s.io/kubernetes
// pkg/apis/core/validation for IPs). Pure functions: an object in, a field.ErrorList out.

import { goQuote, parseGoCIDRSloppy, parseGoIPSloppy } from '../std/index.js';
import { type FieldError, field, type GoValue, goStringMap, goStrings } from './fielderrors.js';
import {
  isDNS1035Label,
  isDNS1123Label,
  isDNS1123Subdomain,
  isQualifiedName,
  isValidLabelValue,
} from './names.js';
import type { LabelSelector, ObjectMeta } from './types.js';

// --- names -----------------------------------------------------------------------------------

type NameFn = (name: string, prefix: boolean) => readonly string[];
// With a prefix (generateName) a trailing dash is allowed: the random suffix follows it.
const maskTrailingDash = (name: string) =>
  name.length > 1 && name.endsWith('-') ? `${name.slice(0, -2)}a` : name;
export const nameIsDNSSubdomain: NameFn = (n, p) => isDNS1123Subdomain(p ? maskTrailingDash(n) : n);
export const nameIsDNSLabel: NameFn = (n, p) => isDNS1123Label(p ? maskTrailingDash(n) : n);
export const nameIsDNS1035Label: NameFn = (n, p) => isDNS1035Label(p ? maskTrailingDash(n) : n);

// --- addresses -------------------------------------------------------------------------------

export function validateIP(path: string, value: string): FieldError[] {
  return parseGoIPSloppy(value)
    ? []
    : [field.invalid(path, value, 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)')];
}

export function validateCIDR(path: string, value: string): FieldError[] {
  return parseGoCIDRSloppy(value)
    ? []
    : [field.invalid(path, value, 'must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)')];
}

/** ValidateNonSpecialIP: endpoints and external IPs may not be unspecified, loopback or link-local. */
export function validateNonSpecialIP(path: string, value: string): FieldError[] {
  const ip = parseGoIPSloppy(value);
  if (!ip) return [field.invalid(path, value, 'must be a valid IP address')];
  const errs: FieldError[] = [];
  const v = ip.n;
  const v4 = ip.v4;
  if (v === 0n) errs.push(field.invalid(path, value, `may not be unspecified (${value})`));
  if (v4 ? v >> 24n === 127n : v === 1n)
    errs.push(field.invalid(path, value, 'may not be in the loopback range (127.0.0.0/8, ::1/128)'));
  if (v4 ? v >> 16n === 0xa9fen : v >> 118n === 0x3fan)
    errs.push(field.invalid(path, value, 'may not be in the link-local range (169.254.0.0/16, fe80::/10)'));
  if (v4 ? v >> 8n === 0xe00000n : ((v >> 112n) & 0xff0fn) === 0xff02n)
    errs.push(
      field.invalid(path, value, 'may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)'),
    );
  return errs;
}

// --- metadata --------------------------------------------------------------------------------

function sortedEntries(m: Readonly<Record<string, string>> | undefined): [string, string][] {
  return Object.entries(m ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Frozen label maps that validated without an error (the Pods of a ReplicaSet share one). */
const validLabels = new WeakSet<object>();

export function validateLabels(
  labels: Readonly<Record<string, string>> | undefined,
  path: string,
): FieldError[] {
  if (labels && validLabels.has(labels)) return [];
  const errs = checkLabels(labels, path);
  if (labels && errs.length === 0 && Object.isFrozen(labels)) validLabels.add(labels);
  return errs;
}

function checkLabels(labels: Readonly<Record<string, string>> | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const [k, v] of sortedEntries(labels)) {
    for (const msg of isQualifiedName(k)) errs.push(field.invalid(path, k, msg));
    for (const msg of isValidLabelValue(v)) errs.push(field.invalid(path, v, msg));
  }
  return errs;
}

const totalAnnotationSizeLimitB = 256 * (1 << 10);

/** Frozen annotation maps that validated without an error (a write validates its metadata twice). */
const validAnnotations = new WeakSet<object>();

export function validateAnnotations(
  annotations: Readonly<Record<string, string>> | undefined,
  path: string,
): FieldError[] {
  if (annotations && validAnnotations.has(annotations)) return [];
  const errs = checkAnnotations(annotations, path);
  if (annotations && errs.length === 0 && Object.isFrozen(annotations)) validAnnotations.add(annotations);
  return errs;
}

function checkAnnotations(
  annotations: Readonly<Record<string, string>> | undefined,
  path: string,
): FieldError[] {
  const errs: FieldError[] = [];
  let size = 0;
  for (const [k, v] of sortedEntries(annotations)) {
    for (const msg of isQualifiedName(k.toLowerCase())) errs.push(field.invalid(path, k, msg));
    size += k.length + v.length;
  }
  if (size > totalAnnotationSizeLimitB) errs.push(field.tooLong(path, totalAnnotationSizeLimitB));
  return errs;
}

export function validateObjectMeta(
  meta: ObjectMeta,
  namespaced: boolean,
  nameFn: NameFn,
  path = 'metadata',
): FieldError[] {
  const errs: FieldError[] = [];
  if (meta.generateName)
    for (const msg of nameFn(meta.generateName, true))
      errs.push(field.invalid(`${path}.generateName`, meta.generateName, msg));
  if (!meta.name) errs.push(field.required(`${path}.name`, 'name or generateName is required'));
  else for (const msg of nameFn(meta.name, false)) errs.push(field.invalid(`${path}.name`, meta.name, msg));
  if (namespaced) {
    if (!meta.namespace) errs.push(field.required(`${path}.namespace`));
    else
      for (const msg of nameIsDNSLabel(meta.namespace, false))
        errs.push(field.invalid(`${path}.namespace`, meta.namespace, msg));
  } else if (meta.namespace) {
    errs.push(field.forbidden(`${path}.namespace`, 'not allowed on this type'));
  }
  if (meta.generation !== undefined && meta.generation < 0)
    errs.push(field.invalid(`${path}.generation`, meta.generation, 'must be greater than or equal to 0'));
  errs.push(...validateLabels(meta.labels, `${path}.labels`));
  errs.push(...validateAnnotations(meta.annotations, `${path}.annotations`));
  const refsPath = `${path}.ownerReferences`;
  let controller = '';
  for (const ref of meta.ownerReferences ?? []) {
    const version = ref.apiVersion?.split('/').pop() ?? '';
    if (!version)
      errs.push(field.invalid(`${refsPath}.apiVersion`, ref.apiVersion ?? '', 'version must not be empty'));
    if (!ref.kind) errs.push(field.invalid(`${refsPath}.kind`, ref.kind ?? '', 'kind must not be empty'));
    if (!ref.name) errs.push(field.invalid(`${refsPath}.name`, ref.name ?? '', 'name must not be empty'));
    if (!ref.uid) errs.push(field.invalid(`${refsPath}.uid`, ref.uid ?? '', 'uid must not be empty'));
    if (ref.controller) {
      const cur = `${ref.kind}/${ref.name}`;
      if (controller)
        errs.push(
          field.invalid(
            refsPath,
            { go: `[]v1.OwnerReference{...}` },
            `Only one reference can have Controller set to true. Found "true" in references for ${controller} and ${cur}`,
          ),
        );
      else controller = cur;
    }
  }
  return errs;
}

const immutableMeta = ['name', 'namespace', 'uid', 'creationTimestamp'] as const;

/** ValidateObjectMetaUpdate: what may not change once stored. */
export function validateObjectMetaUpdate(meta: ObjectMeta, old: ObjectMeta, path = 'metadata'): FieldError[] {
  const errs: FieldError[] = [];
  for (const f of immutableMeta)
    if ((meta[f] ?? '') !== (old[f] ?? ''))
      errs.push(field.invalid(`${path}.${f}`, meta[f] ?? '', 'field is immutable'));
  errs.push(...validateLabels(meta.labels, `${path}.labels`));
  errs.push(...validateAnnotations(meta.annotations, `${path}.annotations`));
  return errs;
}

// --- label selectors -------------------------------------------------------------------------

export function goLabelSelector(s: LabelSelector): GoValue {
  const ml = s.matchLabels ? goStringMap(s.matchLabels).go : 'map[string]string(nil)';
  const me = s.matchExpressions?.length
    ? `[]v1.LabelSelectorRequirement{${s.matchExpressions
        .map(
          (e) =>
            `v1.LabelSelectorRequirement{Key:${goQuote(e.key)}, Operator:${goQuote(e.operator)}, Values:${e.values ? goStrings(e.values).go : '[]string(nil)'}}`,
        )
        .join(', ')}}`
    : '[]v1.LabelSelectorRequirement(nil)';
  return { go: `v1.LabelSelector{MatchLabels:${ml}, MatchExpressions:${me}}` };
}

export function validateLabelSelector(s: LabelSelector, path: string): FieldError[] {
  const errs: FieldError[] = [];
  (s.matchExpressions ?? []).forEach((r, i) => {
    const p = `${path}.matchExpressions[${i}]`;
    switch (r.operator) {
      case 'In':
      case 'NotIn':
        if (!r.values || r.values.length === 0)
          errs.push(field.required(`${p}.values`, "must be specified when `operator` is 'In' or 'NotIn'"));
        break;
      case 'Exists':
      case 'DoesNotExist':
        if (r.values && r.values.length > 0)
          errs.push(
            field.forbidden(
              `${p}.values`,
              "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
            ),
          );
        break;
      default:
        errs.push(field.invalid(`${p}.operator`, r.operator, 'not a valid selector operator'));
    }
    for (const msg of isQualifiedName(r.key ?? '')) errs.push(field.invalid(`${p}.key`, r.key ?? '', msg));
    (r.values ?? []).forEach((v, j) => {
      for (const msg of isValidLabelValue(v)) errs.push(field.invalid(`${p}.values[${j}]`, v, msg));
    });
  });
  errs.push(...validateLabels(s.matchLabels, `${path}.matchLabels`));
  return errs;
}
