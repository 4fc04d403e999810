// host-local's commands (plugins/ipam/host-local/main.go, dns.go) over any HostLocalStore: ADD allocates
// one address per range set (requested ones first), rolls back on failure (the address files, not
// last_reserved_ip), DEL releases by attachment, CHECK looks for any reservation of the attachment,
// GC releases whatever is not a valid attachment. Errors are plain Errors with host-local's texts.
import { readFileSync } from 'node:fs';
import { formatGoIP, type GoJSONValue, type IP } from '../../std/index.js';
import { IPAllocator, type IPAMAddress } from './allocator.js';
import { type IPAMConfig, type IPAMRoute, loadIPAMConfig } from './config.js';
import { DiskStore, goPathError } from './disk.js';
import { HostLocalError, wrapHostLocalError } from './errors.js';
import { rangeSetContains } from './range.js';
import { goTrimSpace, type HostLocalStore, LINE_BREAK } from './store.js';

export interface IPAMDNS {
  nameservers?: string[];
  domain?: string;
  search?: string[];
  options?: string[];
}

/** host-local's ADD result, before the CNI result conversion. */
export interface IPAMResult {
  /** the config's cniVersion as written ("" when absent) */
  readonly cniVersion: string;
  readonly ips: ReadonlyArray<{ readonly address: string; readonly gateway: string }>;
  readonly routes: readonly IPAMRoute[];
  readonly dns: IPAMDNS;
}

/** Which store a network uses: the disk store by default; tests and benches may inject memory stores. */
export type StoreOpener = (network: string, dataDir: string) => HostLocalStore;

export const openDiskStore: StoreOpener = (network, dataDir) => new DiskStore(network, dataDir);

/** The attachment a command is about. */
export interface Attachment {
  readonly containerID: string;
  readonly ifName: string;
  /** CNI_ARGS */
  readonly args: string;
}

const goFieldSep = /[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/u;

/** host-local's parseResolvConf (dns.go) into the result's DNS: nameserver, domain, search, options; comments with # or ;. */
export function parseResolvConfDNS(text: string): IPAMDNS {
  const dns: IPAMDNS = {};
  for (const raw of text.split('\n')) {
    const line = goTrimSpace(raw.replace(/\r$/, ''));
    if (line === '' || line[0] === '#' || line[0] === ';') continue;
    const fields = line.split(goFieldSep).filter((f) => f !== '');
    if (fields.length < 2) continue;
    const [key, ...rest] = fields as [string, ...string[]];
    switch (key) {
      case 'nameserver':
        dns.nameservers = [...(dns.nameservers ?? []), rest[0]!];
        break;
      case 'domain':
        dns.domain = rest[0]!;
        break;
      case 'search':
        dns.search = [...(dns.search ?? []), ...rest];
        break;
      case 'options':
        dns.options = [...(dns.options ?? []), ...rest];
        break;
    }
  }
  return dns;
}

function readResolvConf(path: string): IPAMDNS {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw goPathError(code === 'EISDIR' ? 'read' : 'open', path, err);
  }
  return parseResolvConfDNS(text);
}

/** Runs `fn` on the network's store, closed after. */
function withStore<T>(conf: IPAMConfig, open: StoreOpener, fn: (store: HostLocalStore) => T): T {
  const store = open(conf.name, conf.dataDir);
  try {
    return fn(store);
  } finally {
    store.close();
  }
}

/** Runs `fn` holding the store's lock (the flock on `lock` for the disk store). */
function locked<T>(store: HostLocalStore, fn: () => T): T {
  store.lock();
  try {
    return fn();
  } finally {
    store.unlock();
  }
}

function formatAddress(a: IPAMAddress): string {
  return `${formatGoIP(a.ip)}/${a.ones}`;
}

/** cmdAdd. */
export function hostLocalAdd(
  stdin: Uint8Array | string | GoJSONValue,
  att: Attachment,
  open: StoreOpener = openDiskStore,
): IPAMResult {
  const conf = loadIPAMConfig(stdin, att.args);
  return allocate(conf, att, open);
}

/** The allocation part of cmdAdd for an already loaded config. */
export function allocate(conf: IPAMConfig, att: Attachment, open: StoreOpener = openDiskStore): IPAMResult {
  const dns = conf.resolvConf !== '' ? readResolvConf(conf.resolvConf) : {};
  return withStore(conf, open, (store) => {
    const allocs: IPAllocator[] = [];
    const ips: Array<{ address: string; gateway: string }> = [];
    // Requested addresses by their string form. host-local keeps them in a Go map, whose order is
    // random; insertion order here (what Go gives most of the time) keeps us deterministic.
    const requested = new Map<string, IP>();
    for (const ip of conf.ipArgs) requested.set(formatGoIP(ip), ip);
    const rollback = () => {
      for (const a of allocs) a.release(att.containerID, att.ifName);
    };
    conf.ranges.forEach((set, idx) => {
      const alloc = new IPAllocator(set, store, idx);
      let req: IP | null = null;
      for (const [k, ip] of requested) {
        if (rangeSetContains(set, ip)) {
          req = ip;
          requested.delete(k);
          break;
        }
      }
      let got: IPAMAddress;
      try {
        got = alloc.get(att.containerID, att.ifName, req);
      } catch (err) {
        rollback();
        throw wrapHostLocalError(`failed to allocate for range ${idx}: `, err, 'NETLAB_IPAM_HOSTLOCAL_STORE');
      }
      allocs.push(alloc);
      ips.push({ address: formatAddress(got), gateway: formatGoIP(got.gateway) });
    });
    if (requested.size > 0) {
      rollback();
      throw new HostLocalError(
        'NETLAB_IPAM_HOSTLOCAL_UNAVAILABLE',
        'failed to allocate all requested IPs: ' + [...requested.keys()].join(' '),
      );
    }
    return { cniVersion: conf.cniVersion, ips, routes: conf.routes, dns };
  });
}

/** cmdDel: releases the attachment in every set (errors joined with ";"). */
export function hostLocalDel(
  stdin: Uint8Array | string,
  att: Attachment,
  open: StoreOpener = openDiskStore,
): void {
  const conf = loadIPAMConfig(stdin, att.args);
  withStore(conf, open, (store) => {
    const errors: string[] = [];
    conf.ranges.forEach((set, idx) => {
      try {
        new IPAllocator(set, store, idx).release(att.containerID, att.ifName);
      } catch (err) {
        errors.push((err as Error).message);
      }
    });
    if (errors.length > 0) throw new HostLocalError('NETLAB_IPAM_HOSTLOCAL_STORE', errors.join(';'));
  });
}

/** cmdCheck: some address must be reserved for the attachment; prevResult is not compared. */
export function hostLocalCheck(
  stdin: Uint8Array | string,
  att: Attachment,
  open: StoreOpener = openDiskStore,
): void {
  const conf = loadIPAMConfig(stdin, att.args);
  const found = withStore(conf, open, (store) =>
    locked(store, () => store.findByID(att.containerID, att.ifName)),
  );
  if (!found)
    throw new HostLocalError(
      'NETLAB_IPAM_HOSTLOCAL_NOT_FOUND',
      `host-local: Failed to find address added by container ${att.containerID}`,
    );
}

/** A (containerID, ifname) pair from `cni.dev/valid-attachments`. */
export interface ValidAttachment {
  readonly containerID: string;
  readonly ifname: string;
}

/**
 * GC (spec 1.1; host-local upstream has none yet, this follows the spec and PR #1289): releases every
 * reservation whose attachment, or legacy container ID, is not in the valid list. `lock` and
 * `last_reserved_ip.*` are never touched. Returns the released addresses.
 */
export function hostLocalGC(
  conf: IPAMConfig,
  valid: readonly ValidAttachment[],
  open: StoreOpener = openDiskStore,
): string[] {
  const keep = new Set<string>();
  for (const a of valid) {
    keep.add(a.containerID.trim() + LINE_BREAK + a.ifname);
    keep.add(a.containerID.trim());
  }
  return withStore(conf, open, (store) =>
    locked(store, () => {
      const released: string[] = [];
      for (const r of store.reservations()) {
        if (keep.has(r.content)) continue;
        store.removeReservation(r);
        released.push(formatGoIP(r.ip));
      }
      return released;
    }),
  );
}
