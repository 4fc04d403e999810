// allocator.AllocationBitmap with KEP-3070's randomScanStrategyWithOffset: bits [0, offset) are the
// static band (used by dynamic allocation only once the upper band is full), bits [offset, max) the
// dynamic band. A Uint32Array and word-at-a-time scans keep a full /12 or 65k ports fast to fill.

/** A small seeded PRNG (mulberry32): every random choice in netlab comes from a seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class AllocationBitmap {
  readonly max: number;
  readonly offset: number;
  private readonly words: Uint32Array;
  private readonly rand: () => number;
  private allocatedCount = 0;

  constructor(max: number, offset: number, seed = 1) {
    this.max = max;
    this.offset = Math.min(offset, max);
    this.words = new Uint32Array(Math.ceil(max / 32));
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
    this.words[i >>> 5]! |= 1 << (i & 31);
    this.allocatedCount++;
    return true;
  }

  release(i: number): void {
    if (!this.has(i)) return;
    this.words[i >>> 5]! &= ~(1 << (i & 31));
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

  /** First clear bit in [from, to), word at a time; -1 if none. */
  private firstFree(from: number, to: number): number {
    let i = from;
    while (i < to) {
      const w = i >>> 5;
      const shift = i & 31;
      // Treat bits below `i` in this word as taken.
      const free = ~this.words[w]! & (~0 << shift);
      if (free !== 0) {
        const at = w * 32 + (31 - Math.clz32(free & -free));
        return at < to ? at : -1;
      }
      i = (w + 1) * 32;
    }
    return -1;
  }
}
