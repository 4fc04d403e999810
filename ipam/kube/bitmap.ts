// allocator.AllocationBitmap with KEP-3070's randomScanStrategyWithOffset: bits [0, offset) are the
// static band (used by dynamic allocation only once the upper band is full), bits [offset, max) the
// dynamic band. A Uint32Array plus a summary bitmap of full words keeps a scan short however full the
// range is: filling a /12 or 65k ports never degrades into a linear scan per allocation.
import { seededRandom } from '../../std/index.js';

export class AllocationBitmap {
  readonly max: number;
  readonly offset: number;
  private readonly words: Uint32Array;
  /** Bit w is set when words[w] is full: scans skip 32 full words at a time. */
  private readonly fullWords: Uint32Array;
  private readonly rand: () => number;
  private allocatedCount = 0;

  constructor(max: number, offset: number, seed = 1) {
    this.max = max;
    this.offset = Math.min(offset, max);
    this.words = new Uint32Array(Math.ceil(max / 32));
    this.fullWords = new Uint32Array(Math.ceil(this.words.length / 32));
    this.rand = seededRandom(seed);
  }

  get count(): number {
    return this.allocatedCount;
  }

  free(): number {
    return this.max - this.allocatedCount;
  }

  has(i: number): boolean {
    return i >= 0 && i < this.max && (this.words[i >>> 5]! & (1 << (i & 31))) !== 0;
  }

  /** Marks bit i; false when it was already set or is out of range. */
  allocate(i: number): boolean {
    if (i < 0 || i >= this.max || this.has(i)) return false;
    const w = i >>> 5;
    this.words[w]! |= 1 << (i & 31);
    if (this.words[w] === 0xffffffff) this.fullWords[w >>> 5]! |= 1 << (w & 31);
    this.allocatedCount++;
    return true;
  }

  release(i: number): void {
    if (!this.has(i)) return;
    const w = i >>> 5;
    this.words[w]! &= ~(1 << (i & 31));
    this.fullWords[w >>> 5]! &= ~(1 << (w & 31));
    this.allocatedCount--;
  }

  /** A free bit, upper band first from a random start, then the static band; -1 when full. */
  allocateNext(): number {
    if (this.allocatedCount >= this.max) return -1;
    let at = this.scanBand(this.offset, this.max);
    if (at < 0) at = this.scanBand(0, this.offset);
    if (at < 0) return -1;
    this.allocate(at);
    return at;
  }

  /** Every set bit, ascending. */
  *allocated(): Generator<number> {
    for (let w = 0; w < this.words.length; w++) {
      let word = this.words[w]!;
      while (word !== 0) {
        const bit = 31 - Math.clz32(word & -word);
        yield w * 32 + bit;
        word &= word - 1;
      }
    }
  }

  private scanBand(lo: number, hi: number): number {
    const size = hi - lo;
    if (size <= 0) return -1;
    const start = lo + Math.floor(this.rand() * size);
    const a = this.firstFree(start, hi);
    return a >= 0 ? a : this.firstFree(lo, start);
  }

  /** First clear bit in [from, to); -1 if none. Skips full words through the summary. */
  private firstFree(from: number, to: number): number {
    if (from >= to) return -1;
    let w = from >>> 5;
    const lastWord = (to - 1) >>> 5;
    // The first word may be partly before `from`: treat those bits as taken.
    let free = ~this.words[w]! & (~0 << (from & 31));
    for (;;) {
      if (free !== 0) {
        const at = w * 32 + (31 - Math.clz32(free & -free));
        return at < to ? at : -1;
      }
      w++;
      if (w > lastWord) return -1;
      w = this.nextNonFullWord(w, lastWord);
      if (w < 0) return -1;
      free = ~this.words[w]!;
    }
  }

  /** The first word index >= w (and <= last) that is not full, from the summary; -1 if none. */
  private nextNonFullWord(w: number, last: number): number {
    let s = w >>> 5;
    let open = ~this.fullWords[s]! & (~0 << (w & 31));
    const lastS = last >>> 5;
    for (;;) {
      if (open !== 0) {
        const at = s * 32 + (31 - Math.clz32(open & -open));
        return at <= last ? at : -1;
      }
      s++;
      if (s > lastS) return -1;
      open = ~this.fullWords[s]!;
    }
  }
}

/**
 * What ServiceIPAllocator and NodePortAllocator share: one bitmap and its counts. The subclasses only
 * translate between their values (addresses, ports) and bit indexes.
 */
export abstract class BitmapAllocator {
  protected readonly bitmap: AllocationBitmap;

  constructor(bitmap: AllocationBitmap) {
    this.bitmap = bitmap;
  }

  /** How many values this allocator hands out. */
  get size(): number {
    return this.bitmap.max;
  }

  /** How many of the lowest values form the static band (KEP-3070). */
  get staticBandSize(): number {
    return this.bitmap.offset;
  }

  used(): number {
    return this.bitmap.count;
  }

  free(): number {
    return this.bitmap.free();
  }
}
