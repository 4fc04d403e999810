// Errors of kube-apiserver's allocators, with kube-apiserver's messages (ipallocator, portallocator):
// the store wraps them into Status errors exactly as pkg/registry/core/service/storage does.
import { NetlabError } from '../../std/index.js';

/** `range is full` (ipallocator.ErrFull / portallocator.ErrFull). */
export class RangeFullError extends NetlabError {
  override readonly name = 'RangeFullError';
  readonly code = 'NETLAB_IPAM_EXHAUSTED';
  constructor() {
    super('range is full');
  }
}

/** `provided IP is already allocated` / `provided port is already allocated`. */
export class AlreadyAllocatedError extends NetlabError {
  override readonly name = 'AlreadyAllocatedError';
  readonly code = 'NETLAB_IPAM_ALLOCATED';
  constructor(what: 'IP' | 'port') {
    super(`provided ${what} is already allocated`);
  }
}

/** The value lies outside the allocator's range. */
export class NotInRangeError extends NetlabError {
  override readonly name = 'NotInRangeError';
  readonly code = 'NETLAB_IPAM_NOT_IN_RANGE';
  readonly validRange: string;
  constructor(message: string, validRange: string) {
    super(message);
    this.validRange = validRange;
  }
}

/** A service CIDR or node port range that cannot back an allocator. */
export class InvalidRangeError extends NetlabError {
  override readonly name = 'InvalidRangeError';
  readonly code = 'NETLAB_IPAM_INVALID_RANGE';
}
