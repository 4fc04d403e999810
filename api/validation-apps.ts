// apps/v1 validation: Deployment, ReplicaSet, StatefulSet, ControllerRevision (k8s.io/kubernetes pkg/apis/apps/validation).

import { type FieldError, field, goStringMap } from './fielderrors.js';
import { labelSelectorAsSelector } from './labels.js';
import type {
  ControllerRevision,
  Deployment,
  LabelSelector,
  PodSpec,
  PodTemplateSpec,
  ReplicaSet,
  StatefulSet,
} from './types.js';
import { validatePodSpec } from './validation-core.js';
import {
  goLabelSelector,
  nameIsDNSSubdomain,
  validateLabelSelector,
  validateLabels,
  validateObjectMeta,
} from './validation-meta.js';

// --- apps/v1 ---------------------------------------------------------------------------------

function validateWorkloadSpec(
  spec: { replicas?: number; selector?: LabelSelector; template?: PodTemplateSpec },
  what: 'deployment' | 'statefulset',
): FieldError[] {
  const errs: FieldError[] = [];
  if (spec.replicas !== undefined && spec.replicas < 0)
    errs.push(field.invalid('spec.replicas', spec.replicas, 'must be greater than or equal to 0'));
  let selectorOK = true;
  if (!spec.selector) {
    errs.push(field.required('spec.selector'));
    selectorOK = false;
  } else {
    const se = validateLabelSelector(spec.selector, 'spec.selector');
    errs.push(...se);
    if (se.length > 0) selectorOK = false;
    if (
      Object.keys(spec.selector.matchLabels ?? {}).length + (spec.selector.matchExpressions?.length ?? 0) ===
      0
    )
      errs.push(
        field.invalid(
          'spec.selector',
          goLabelSelector(spec.selector),
          `empty selector is invalid for ${what}`,
        ),
      );
  }
  const tpl = spec.template;
  if (!tpl) {
    errs.push(field.required('spec.template'));
    return errs;
  }
  if (selectorOK && spec.selector) {
    const sel = labelSelectorAsSelector(spec.selector);
    if (!sel.empty && !sel.matches(tpl.metadata?.labels))
      errs.push(
        field.invalid(
          'spec.template.metadata.labels',
          goStringMap(tpl.metadata?.labels),
          '`selector` does not match template `labels`',
        ),
      );
  }
  if (tpl.metadata) errs.push(...validateLabels(tpl.metadata.labels, 'spec.template.metadata.labels'));
  errs.push(...validatePodSpec(tpl.spec ?? ({} as PodSpec), 'spec.template.spec'));
  if (tpl.spec?.restartPolicy && tpl.spec.restartPolicy !== 'Always')
    errs.push(field.notSupported('spec.template.spec.restartPolicy', tpl.spec.restartPolicy, ['Always']));
  return errs;
}

export function validateDeployment(d: Deployment): FieldError[] {
  return [
    ...validateObjectMeta(d.metadata, true, nameIsDNSSubdomain),
    ...validateWorkloadSpec(d.spec ?? {}, 'deployment'),
  ];
}

export function validateReplicaSet(rs: ReplicaSet): FieldError[] {
  // Sic: kube-apiserver says "deployment" for ReplicaSets too.
  return [
    ...validateObjectMeta(rs.metadata, true, nameIsDNSSubdomain),
    ...validateWorkloadSpec(rs.spec ?? {}, 'deployment'),
  ];
}

export function validateStatefulSet(ss: StatefulSet): FieldError[] {
  return [
    ...validateObjectMeta(ss.metadata, true, nameIsDNSSubdomain),
    ...validateWorkloadSpec(ss.spec ?? {}, 'statefulset'),
  ];
}

/** ValidateControllerRevision: its metadata, data present, a non-negative revision. */
export function validateControllerRevision(cr: ControllerRevision): FieldError[] {
  const errs = validateObjectMeta(cr.metadata, true, nameIsDNSSubdomain);
  if (cr.data === undefined || cr.data === null) errs.push(field.required('data'));
  if (typeof cr.revision === 'number' && cr.revision < 0)
    errs.push(field.invalid('revision', cr.revision, 'must be greater than or equal to 0'));
  return errs;
}
