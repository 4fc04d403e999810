// Errors of lab/controllers. Each class carries a stable code; messages name the object and field.
import { NetlabError } from '../../std/index.js';

export class ControllerError extends NetlabError {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

/** kube-controller-manager rejects --max-endpoints-per-slice outside 1..1000 at start-up. */
export class InvalidMaxEndpointsPerSliceError extends ControllerError {
  constructor(value: number) {
    super(
      'NETLAB_CONTROLLER_MAX_ENDPOINTS_PER_SLICE',
      `maxEndpointsPerSlice: Invalid value: ${value}: must be between 1 and 1000, inclusive`,
    );
  }
}
