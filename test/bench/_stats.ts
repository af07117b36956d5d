/** Median and spread of repeated timings, the way every benchmark part reports them. */
export interface Spread {
  median: number;
  min: number;
  max: number;
  runs: number;
}

/** Median, minimum and maximum of `xs` (at least one value). */
export function spread(xs: readonly number[]): Spread {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { median, min: sorted[0], max: sorted[sorted.length - 1], runs: sorted.length };
}
