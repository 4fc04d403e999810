// The ADD result in its current (1.1.0) shape. Plugins build this; the skel converts it to the
// version the config asked for when it prints (convert.ts).

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

export interface Route {
  /** CIDR as Go prints it (host bits kept) */
  dst: string;
  gw?: string;
  /** 1.1.0 */
  mtu?: number;
  /** 1.1.0 */
  advmss?: number;
  /** 1.1.0 */
  priority?: number;
  /** 1.1.0 */
  table?: number;
  /** 1.1.0: 0 global, 253 link, 254 host */
  scope?: number;
}

export interface DNS {
  nameservers?: string[];
  domain?: string;
  search?: string[];
  options?: string[];
}

export interface Result {
  /** the version to print this result in: the config's cniVersion ("" prints as 0.1.0) */
  cniVersion: string;
  interfaces?: Interface[];
  ips?: IPConfig[];
  routes?: Route[];
  dns?: DNS;
}

/** A (containerID, ifname) pair, as GC's `cni.dev/valid-attachments` lists them. */
export interface Attachment {
  containerID: string;
  ifname: string;
}
