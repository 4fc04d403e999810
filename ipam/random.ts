// The one seeded PRNG of netlab. ipam is the lowest layer, so every folder can reach it through
// ipam/index.ts: allocation starts, uids, generated names, fuzz inputs and placement all draw from
// a seed, and the same seed gives the same cluster.

/**
 * mulberry32: a 32-bit state, a float in [0, 1) per call; fully determined by `seed`.
 * @example const rand = seededRandom(42); const i = Math.floor(rand() * items.length);
 */
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
