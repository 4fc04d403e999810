// Errors of proxy/iptables. Each has a stable code; user-facing ones name the object and field.
import { NetlabError } from '../../std/index.js';

/** A proxier option that cannot be used (a bad --cluster-cidr, --node-ip, --nodeport-addresses…). */
export class ProxierConfigError extends NetlabError {
  override readonly name = 'ProxierConfigError';
  readonly code = 'NETLAB_PROXY_CONFIG';
  readonly option: string;
  constructor(option: string, message: string) {
    super(`${option}: ${message}`);
    this.option = option;
  }
}

/** The restore payload was refused (by the `restore` hook: a real or emulated iptables-restore). */
export class RestoreError extends NetlabError {
  override readonly name = 'RestoreError';
  readonly code = 'NETLAB_PROXY_RESTORE';
}
