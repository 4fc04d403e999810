// Which validation an object gets, by kind, on create and on update; the checks themselves are
// per API group as upstream keeps them (validation-meta, -core, -discovery, -apps, -coordination).

import { validateEventCreate, validateEventUpdate } from './events.js';
import { type FieldError, field } from './fielderrors.js';
import type { AnyObject } from './types.js';
import {
  validateControllerRevision,
  validateDeployment,
  validateReplicaSet,
  validateStatefulSet,
} from './validation-apps.js';
import { validateLease } from './validation-coordination.js';
import {
  validateEndpoints,
  validateNamespace,
  validateNode,
  validateNodeName,
  validatePod,
  validateService,
  validateServiceUpdate,
} from './validation-core.js';
import { validateEndpointSlice } from './validation-discovery.js';
import { validateObjectMetaUpdate } from './validation-meta.js';

/** Validation on create, by kind. */
export function validateObject(obj: AnyObject): FieldError[] {
  switch (obj.kind) {
    case 'Service':
      return validateService(obj);
    case 'Pod':
      return validatePod(obj);
    case 'EndpointSlice':
      return validateEndpointSlice(obj);
    case 'Namespace':
      return validateNamespace(obj);
    case 'Node':
      return validateNode(obj);
    case 'Endpoints':
      return validateEndpoints(obj);
    case 'Deployment':
      return validateDeployment(obj);
    case 'ReplicaSet':
      return validateReplicaSet(obj);
    case 'StatefulSet':
      return validateStatefulSet(obj);
    case 'ControllerRevision':
      return validateControllerRevision(obj);
    case 'Lease':
      return validateLease(obj);
    case 'Event':
      return validateEventCreate(obj);
  }
}

/** Validation on update, by kind. */
export function validateObjectUpdate(obj: AnyObject, old: AnyObject): FieldError[] {
  if (obj.kind === 'Event' && old.kind === 'Event') return validateEventUpdate(obj, old);
  if (obj.kind === 'Service' && old.kind === 'Service') return validateServiceUpdate(obj, old);
  const errs = validateObjectMetaUpdate(obj.metadata, old.metadata);
  if (obj.kind === 'EndpointSlice' && old.kind === 'EndpointSlice' && obj.addressType !== old.addressType)
    errs.push(field.invalid('addressType', obj.addressType, 'field is immutable'));
  if (
    obj.kind === 'Pod' &&
    old.kind === 'Pod' &&
    old.spec.nodeName &&
    obj.spec.nodeName !== old.spec.nodeName
  )
    errs.push(field.invalid('spec.nodeName', obj.spec.nodeName ?? '', 'field is immutable'));
  errs.push(...validateObject(obj));
  return errs;
}

/**
 * validateObjectUpdate of a bind: a Pod whose one change from the stored Pod, itself one that
 * validated without an error, is a spec.nodeName where that one had none. Every other check reads
 * only what the stored Pod holds (its very values), and the name was not set before, so it cannot
 * have changed: the node's name is all that is left to check.
 */
export function validatePodBind(nodeName: string): FieldError[] {
  return validateNodeName(nodeName, 'spec');
}
