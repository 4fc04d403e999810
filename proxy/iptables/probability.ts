// `fmt.Sprintf("%0.10f", 1.0/float64(n))`, byte for byte. JavaScript's toFixed rounds exact ties
// up where Go rounds them to even (1/2048 = 0.00048828125 exactly: Go prints 0.0004882812), so the
// double is expanded exactly with BigInt and rounded half-to-even. Precomputed per n, as kube-proxy.

const f64 = new Float64Array(1);
const u64 = new BigUint64Array(f64.buffer);

function formatFixed10(x: number): string {
  f64[0] = x;
  const bits = u64[0]!;
  const expBits = Number((bits >> 52n) & 0x7ffn);
  let mant = bits & 0xfffffffffffffn;
  let exp: number;
  if (expBits === 0) exp = -1074;
  else {
    mant |= 1n << 52n;
    exp = expBits - 1075;
  }
  // x = mant * 2^exp, with 0 < x <= 1 here, so exp < 0.
  const scale = 10n ** 10n;
  let q: bigint;
  if (exp >= 0) q = (mant << BigInt(exp)) * scale;
  else {
    const den = 1n << BigInt(-exp);
    const num = mant * scale;
    q = num / den;
    const r2 = (num % den) * 2n;
    if (r2 > den || (r2 === den && q % 2n === 1n)) q += 1n;
  }
  const s = q.toString().padStart(11, '0');
  return `${s.slice(0, -10)}.${s.slice(-10)}`;
}

const cache: string[] = ['<bad value>'];

/** Probability string for the rule that picks one of the `n` endpoints still left. */
export function probability(n: number): string {
  for (let i = cache.length; i <= n; i++) cache.push(formatFixed10(1 / i));
  return cache[n]!;
}

/** The uncached computation (kube-proxy's `computeProbability`), for tests. */
export function computeProbability(n: number): string {
  return formatFixed10(1 / n);
}
