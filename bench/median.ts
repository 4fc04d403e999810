// The one median every bench reports (their figures are medians of several runs: the machine is
// noisy): the middle value, or the mean of the two middle ones for an even count.
export function median(xs: readonly number[]): number {
  if (xs.length === 0) throw new Error('median of no runs');
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
