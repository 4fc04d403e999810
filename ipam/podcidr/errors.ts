// Errors of the node podCIDR allocator, with kube-controller-manager's messages (nodeipam/ipam/cidrset).
import { NetlabError } from '../../std/index.js';

/** cidrset.ErrCIDRRangeNoCIDRsRemaining. */
export class PodCIDRExhaustedError extends NetlabError {
  override readonly name = 'PodCIDRExhaustedError';
  readonly code = 'NETLAB_IPAM_PODCIDR_EXHAUSTED';
  constructor() {
    super('CIDR allocation failed; there are no remaining CIDRs left to allocate in the accepted range');
  }
}

/** A cluster CIDR or node mask size kube-controller-manager would refuse to start with. */
export class PodCIDRConfigError extends NetlabError {
  override readonly name = 'PodCIDRConfigError';
  readonly code = 'NETLAB_IPAM_PODCIDR_CONFIG';
}

/** A podCIDR that lies outside the cluster CIDR (cidrset Occupy/Release). */
export class PodCIDROutOfRangeError extends NetlabError {
  override readonly name = 'PodCIDROutOfRangeError';
  readonly code = 'NETLAB_IPAM_PODCIDR_OUT_OF_RANGE';
}
