// Errors of the fabric. Codes are stable; messages name the object and the field.
import { NetlabError } from '../../std/index.js';

export type FabricErrorCode =
  | 'NETLAB_CNI_FABRIC_BAD_ADDRESS'
  | 'NETLAB_CNI_FABRIC_DUPLICATE_NODE'
  | 'NETLAB_CNI_FABRIC_UNKNOWN_NODE'
  | 'NETLAB_CNI_FABRIC_OVERLAP'
  | 'NETLAB_CNI_FABRIC_ADDRESS_IN_USE'
  | 'NETLAB_CNI_FABRIC_INTERFACE_EXISTS'
  | 'NETLAB_CNI_FABRIC_STATE'
  | 'NETLAB_CNI_FABRIC_LOCKED';

export class FabricError extends NetlabError {
  override readonly name = 'FabricError';
  constructor(
    readonly code: FabricErrorCode,
    message: string,
  ) {
    super(message);
  }
}
