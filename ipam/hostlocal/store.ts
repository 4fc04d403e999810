// The narrow HostLocalStore the allocator depends on (host-local backend/store.go), and the in-memory store.
// Reservation semantics are host-local's on every store: an address is taken if its entry exists,
// whatever its content; an attachment's entry is "<trimmed containerID>\r\n<ifname>"; lookups by ID
// also match legacy entries holding the container ID alone.
import { formatGoIP, type IP, parseGoIP } from '../../std/index.js';

export const LINE_BREAK = '\r\n';

/** A reservation as found in a store: the address and the entry's content, trimmed. */
export interface Reservation {
  readonly ip: IP;
  /** the file name / key it is stored under */
  readonly key: string;
  readonly content: string;
}

export interface HostLocalStore {
  /** Serialises allocators across processes (flock on `<dir>/lock` for the disk store). */
  lock(): void;
  unlock(): void;
  close(): void;
  /** Creates the entry for ip exclusively; false if it exists. Then records ip as last reserved in rangeID. */
  reserve(id: string, ifname: string, ip: IP, rangeID: string): boolean;
  /** The last reserved address of a range set, or null if there is none or it does not parse. */
  lastReservedIP(rangeID: string): IP | null;
  release(ip: IP): void;
  /** Removes every entry of (id, ifname); if there was none, every legacy entry of id alone. */
  releaseByID(id: string, ifname: string): void;
  /** Addresses whose entry is (id, ifname) or the legacy id alone, in key order. */
  getByID(id: string, ifname: string): IP[];
  /** True if some entry is (id, ifname), or else some legacy entry is id alone. */
  findByID(id: string, ifname: string): boolean;
  /** Every address entry (not `lock`, not `last_reserved_ip.*`), for GC. */
  reservations(): Reservation[];
  /** Removes one entry returned by reservations(). */
  removeReservation(r: Reservation): void;
}

// strings.TrimSpace (unicode.IsSpace at both ends)
const goSpaceEnds =
  /^[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+|[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+$/gu;

// unicode.IsSpace for one UTF-16 unit (every space Go knows is in the BMP).
function isGoSpace(c: number): boolean {
  return (
    c === 0x20 ||
    (c >= 0x09 && c <= 0x0d) ||
    c === 0x85 ||
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000
  );
}

export function goTrimSpace(s: string): string {
  // Every entry is looked up trimmed; nearly none has a space at either end.
  if (s.length === 0 || (!isGoSpace(s.charCodeAt(0)) && !isGoSpace(s.charCodeAt(s.length - 1)))) return s;
  return s.replace(goSpaceEnds, '');
}

/** The content host-local writes into an address file. */
export function entryContent(id: string, ifname: string): string {
  return goTrimSpace(id) + LINE_BREAK + ifname;
}

/**
 * The keys holding one content, in insertion order. One key (an attachment with one address per
 * range set, the usual case) is kept as the key itself, not a Set of one.
 */
type Keys = string | Set<string>;

function keysOf(k: Keys | undefined): readonly string[] {
  return k === undefined ? [] : typeof k === 'string' ? [k] : [...k];
}

function keyCount(k: Keys | undefined): number {
  return k === undefined ? 0 : typeof k === 'string' ? 1 : k.size;
}

/** The in-memory store: the same semantics as the disk store, with an index by content. */
export class MemoryStore implements HostLocalStore {
  private readonly entries = new Map<string, string>();
  private readonly byContent = new Map<string, Keys>();
  private readonly last = new Map<string, string>();

  lock(): void {}
  unlock(): void {}
  close(): void {}

  reserve(id: string, ifname: string, ip: IP, rangeID: string): boolean {
    const key = formatGoIP(ip);
    if (this.entries.has(key)) return false;
    const content = entryContent(id, ifname);
    this.entries.set(key, content);
    const trimmed = goTrimSpace(content);
    const keys = this.byContent.get(trimmed);
    if (keys === undefined) this.byContent.set(trimmed, key);
    else if (typeof keys !== 'string') keys.add(key);
    else if (keys !== key) this.byContent.set(trimmed, new Set([keys, key]));
    this.last.set(rangeID, key);
    return true;
  }

  lastReservedIP(rangeID: string): IP | null {
    const s = this.last.get(rangeID);
    return s === undefined ? null : parseGoIP(s);
  }

  private remove(key: string): void {
    const content = this.entries.get(key);
    if (content === undefined) return;
    this.entries.delete(key);
    const trimmed = goTrimSpace(content);
    const keys = this.byContent.get(trimmed);
    if (typeof keys === 'string') {
      if (keys === key) this.byContent.delete(trimmed);
    } else if (keys !== undefined) {
      keys.delete(key);
      if (keys.size === 0) this.byContent.delete(trimmed);
    }
  }

  release(ip: IP): void {
    this.remove(formatGoIP(ip));
  }

  releaseByID(id: string, ifname: string): void {
    const keys = this.byContent.get(entryContent(id, ifname));
    if (keyCount(keys) > 0) {
      for (const k of keysOf(keys)) this.remove(k);
      return;
    }
    for (const k of keysOf(this.byContent.get(goTrimSpace(id)))) this.remove(k);
  }

  getByID(id: string, ifname: string): IP[] {
    const keys = [
      ...keysOf(this.byContent.get(entryContent(id, ifname))),
      ...keysOf(this.byContent.get(goTrimSpace(id))),
    ];
    return keys
      .sort()
      .map(parseGoIP)
      .filter((x): x is IP => x !== null);
  }

  findByID(id: string, ifname: string): boolean {
    return (
      keyCount(this.byContent.get(entryContent(id, ifname))) > 0 ||
      keyCount(this.byContent.get(goTrimSpace(id))) > 0
    );
  }

  reservations(): Reservation[] {
    const out: Reservation[] = [];
    for (const [key, content] of this.entries) {
      const ip = parseGoIP(key);
      if (ip) out.push({ ip, key, content: goTrimSpace(content) });
    }
    return out;
  }

  removeReservation(r: Reservation): void {
    this.remove(r.key);
  }

  /** Number of reserved addresses (for tests and benches). */
  get size(): number {
    return this.entries.size;
  }
}
