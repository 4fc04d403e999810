// host-local's allocator (allocator/allocator.go) over the narrow HostLocalStore: requested addresses, the
// duplicate-attachment check, and round-robin iteration after `last_reserved_ip.<n>` through the
// ranges of the set, skipping each range's gateway. Written to follow GetIter/Next literally.

import { formatGoIP, type IP, ipEqual, nextIP } from '../../std/index.js';
import { HostLocalError } from './errors.js';
import {
  type Range,
  type RangeSet,
  rangeContains,
  rangeFor,
  rangeSetContains,
  rangeSetString,
} from './range.js';
import type { HostLocalStore } from './store.js';

/** One allocated address: the address with the range's prefix length, and the range's gateway. */
export interface IPAMAddress {
  readonly ip: IP;
  readonly ones: number;
  readonly gateway: IP;
}

/**
 * Iterates a range set as host-local's RangeIter does: from the range after the last reserved
 * address, wrapping, the last reserved address last, gateways skipped
 * (https://github.com/containernetworking/plugins/blob/v1.1.1/plugins/ipam/host-local/backend/allocator/allocator.go).
 */
export class RangeIter {
  private rangeIdx = 0;
  private cur: IP | null = null;
  private startIP: IP | null = null;

  constructor(
    private readonly set: RangeSet,
    lastReserved: IP | null,
  ) {
    if (lastReserved && rangeSetContains(set, lastReserved)) {
      this.rangeIdx = set.findIndex((r) => rangeContains(r, lastReserved));
      this.cur = lastReserved;
    } else {
      this.startIP = set[0]!.rangeStart;
    }
  }

  /** The next candidate and its range, or null once the whole set has been walked. */
  next(): { ip: IP; range: Range } | null {
    for (;;) {
      let r = this.set[this.rangeIdx]!;
      if (this.cur === null) {
        this.cur = r.rangeStart;
        this.startIP = this.cur;
        if (ipEqual(this.cur, r.gateway)) continue;
        return { ip: this.cur, range: r };
      }
      if (ipEqual(this.cur, r.rangeEnd)) {
        this.rangeIdx = (this.rangeIdx + 1) % this.set.length;
        r = this.set[this.rangeIdx]!;
        this.cur = r.rangeStart;
      } else {
        this.cur = nextIP(this.cur);
      }
      if (this.startIP === null) this.startIP = this.cur;
      else if (ipEqual(this.cur, this.startIP)) return null;
      if (ipEqual(this.cur, r.gateway)) continue;
      return { ip: this.cur, range: r };
    }
  }
}

/** One range set's allocator; rangeID is the set's index as a string. */
export class IPAllocator {
  readonly rangeID: string;
  constructor(
    readonly set: RangeSet,
    readonly store: HostLocalStore,
    index: number,
  ) {
    this.rangeID = String(index);
  }

  /** Get(id, ifname, requestedIP): reserves and returns an address, or throws host-local's error. */
  get(id: string, ifname: string, requested: IP | null): IPAMAddress {
    this.store.lock();
    try {
      if (requested) {
        const r = rangeFor(this.set, requested);
        if (!r)
          throw new HostLocalError(
            'NETLAB_IPAM_HOSTLOCAL_UNAVAILABLE',
            `${formatGoIP(requested)} not in range set ${rangeSetString(this.set)}`,
          );
        if (ipEqual(requested, r.gateway))
          throw new HostLocalError(
            'NETLAB_IPAM_HOSTLOCAL_UNAVAILABLE',
            `requested ip ${formatGoIP(requested)} is subnet's gateway`,
          );
        if (!this.store.reserve(id, ifname, requested, this.rangeID)) {
          throw new HostLocalError(
            'NETLAB_IPAM_HOSTLOCAL_UNAVAILABLE',
            `requested IP address ${formatGoIP(requested)} is not available in range set ${rangeSetString(this.set)}`,
          );
        }
        return { ip: requested, ones: r.ones, gateway: r.gateway };
      }
      // duplicate allocation of one attachment in one set is not allowed (spec)
      for (const ip of this.store.getByID(id, ifname)) {
        if (rangeFor(this.set, ip)) {
          throw new HostLocalError(
            'NETLAB_IPAM_HOSTLOCAL_DUPLICATE',
            `${formatGoIP(ip)} has been allocated to ${id}, duplicate allocation is not allowed`,
          );
        }
      }
      const iter = new RangeIter(this.set, this.store.lastReservedIP(this.rangeID));
      for (let c = iter.next(); c !== null; c = iter.next()) {
        if (this.store.reserve(id, ifname, c.ip, this.rangeID)) {
          return { ip: c.ip, ones: c.range.ones, gateway: c.range.gateway };
        }
      }
      throw new HostLocalError(
        'NETLAB_IPAM_HOSTLOCAL_EXHAUSTED',
        `no IP addresses available in range set: ${rangeSetString(this.set)}`,
      );
    } finally {
      this.store.unlock();
    }
  }

  /** Release(id, ifname): every address of the attachment (or the legacy container ID). */
  release(id: string, ifname: string): void {
    this.store.lock();
    try {
      this.store.releaseByID(id, ifname);
    } finally {
      this.store.unlock();
    }
  }
}
