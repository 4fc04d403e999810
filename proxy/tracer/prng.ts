// The seeded PRNG behind every random choice the emulated kernel makes (statistic matches, ports).
// sfc32: small, fast, good enough statistically, and the same sequence on every run for a seed.

/** Returns a generator of unsigned 32-bit integers, fully determined by `seed`. */
export function seededRandom(seed: number): () => number {
  let a = 0x9e3779b9;
  let b = 0x243f6a88;
  let c = 0xb7e15162;
  let d = seed >>> 0;
  const next = (): number => {
    a >>>= 0;
    b >>>= 0;
    c >>>= 0;
    d >>>= 0;
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return t >>> 0;
  };
  for (let i = 0; i < 12; i++) next();
  return next;
}

/**
 * The statistic match in random mode as the kernel does it (xt_statistic.c): userspace stores
 * lround(p * 2^31); a packet matches when (prandom_u32() & 0x7FFFFFFF) < that number.
 */
export function statisticThreshold(probability: number): number {
  return Math.round(probability * 0x80000000);
}
