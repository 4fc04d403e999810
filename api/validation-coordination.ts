// coordination.k8s.io/v1 validation: Lease (k8s.io/kubernetes pkg/apis/coordination/validation).

import { type FieldError, field } from './fielderrors.js';
import { isQualifiedName } from './names.js';
import type { Lease } from './types.js';
import { nameIsDNSSubdomain, validateObjectMeta } from './validation-meta.js';

// --- coordination.k8s.io/v1 ------------------------------------------------------------------

/** The strategies coordinated leader election knows; anything else must be a qualified name with a prefix. */
const leaseStrategies = ['OldestEmulationVersion'];

export function validateLease(lease: Lease): FieldError[] {
  const errs = validateObjectMeta(lease.metadata, true, nameIsDNSSubdomain);
  const spec = lease.spec ?? {};
  if (spec.leaseDurationSeconds !== undefined && spec.leaseDurationSeconds <= 0)
    errs.push(
      field.invalid('spec.leaseDurationSeconds', spec.leaseDurationSeconds, 'must be greater than 0'),
    );
  if (spec.leaseTransitions !== undefined && spec.leaseTransitions < 0)
    errs.push(
      field.invalid('spec.leaseTransitions', spec.leaseTransitions, 'must be greater than or equal to 0'),
    );
  if (spec.strategy !== undefined) {
    if (!spec.strategy.includes('/')) {
      if (!leaseStrategies.includes(spec.strategy))
        errs.push(field.notSupported('spec.strategy', spec.strategy, leaseStrategies));
    } else {
      const msgs = isQualifiedName(spec.strategy);
      if (msgs.length > 0) errs.push(field.invalid('spec.strategy', spec.strategy, msgs.join(',')));
    }
  }
  if (spec.preferredHolder && !spec.strategy)
    errs.push(field.forbidden('spec.preferredHolder', 'may only be specified if `strategy` is defined'));
  return errs;
}
