// The one seeded PRNG of netlab: allocation starts, uids, generated names, fuzz inputs and
// placement all draw from a seed, so the same seed gives the same cluster.

/**
 * mulberry32 as unsigned 32-bit integers: what code imitating the kernel wants (xt_statistic
 * compares `prandom_u32() & 0x7fffffff` with a threshold). Fully determined by `seed`.
 */
export function seededUint32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/**
 * The same sequence as floats in [0, 1).
 * @example const rand = seededRandom(42); const i = Math.floor(rand() * items.length);
 */
export function seededRandom(seed: number): () => number {
  const next = seededUint32(seed);
  return () => next() / 4294967296;
}

/** FNV-1a over a string: seeds per-object PRNGs. */
export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}
