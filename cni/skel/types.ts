// The ADD result in its current (1.1.0) shape. Plugins build this; the skel converts it to the
// version the config asked for when it prints (convert.ts). Routes and DNS are
// host-local's own types (ipam/ sits below cni/), so one shape serves both.
import type { IPAMDNS, IPAMRoute } from '../../ipam/index.js';

export interface Interface {
  name: string;
  mac?: string;
  /** 1.1.0 */
  mtu?: number;
  sandbox?: string;
  /** 1.1.0 */
  socketPath?: string;
  /** 1.1.0 */
  pciID?: string;
}

export interface IPConfig {
  /** index into `interfaces`; absent in IPAM plugins' abbreviated results */
  interface?: number;
  /** CIDR, e.g. 10.244.1.2/24 */
  address: string;
  gateway?: string;
}

/** A route: host-local's (ipam/) is the shape the protocol carries, dst as Go prints it. */
export type Route = IPAMRoute;

/** The `dns` of a result: what host-local reads from resolv.conf. */
export type DNS = IPAMDNS;

export interface Result {
  /** the version to print this result in: the config's cniVersion ("" prints as 0.1.0) */
  cniVersion: string;
  interfaces?: Interface[];
  ips?: IPConfig[];
  routes?: Route[];
  dns?: DNS;
}
