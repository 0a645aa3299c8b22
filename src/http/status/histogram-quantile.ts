/** One cumulative bucket: how many observations were at most `le` (the last one is +Inf). */
export interface Bucket {
  le: number;
  count: number;
}

/**
 * The q-quantile of a cumulative histogram, computed the way Prometheus' histogram_quantile does,
 * so the page and a Grafana panel on the same buckets agree: find the bucket holding rank q·total
 * and interpolate linearly inside it (from 0 for the first bucket); a rank in the +Inf bucket
 * answers the highest finite bound. NaN with no observations.
 */
export function histogramQuantile(q: number, buckets: readonly Bucket[]): number {
  if (q < 0) return -Infinity;
  if (q > 1) return Infinity;
  const sorted = [...buckets].sort((a, b) => a.le - b.le);
  if (sorted.length < 2 || sorted[sorted.length - 1]!.le !== Infinity) return NaN;
  const total = sorted[sorted.length - 1]!.count;
  if (!(total > 0)) return NaN;
  // Counts that went down between scrapes (a reset) would break the search; Prometheus clamps them too.
  for (let i = 1; i < sorted.length; i++) sorted[i] = { le: sorted[i]!.le, count: Math.max(sorted[i]!.count, sorted[i - 1]!.count) };

  let rank = q * total;
  let b = sorted.findIndex((bucket, i) => i < sorted.length - 1 && bucket.count >= rank);
  if (b === -1) b = sorted.length - 1;
  if (b === sorted.length - 1) return sorted[sorted.length - 2]!.le;
  if (b === 0 && sorted[0]!.le <= 0) return sorted[0]!.le;
  let start = 0;
  let count = sorted[b]!.count;
  if (b > 0) {
    start = sorted[b - 1]!.le;
    count -= sorted[b - 1]!.count;
    rank -= sorted[b - 1]!.count;
  }
  return start + (sorted[b]!.le - start) * (rank / count);
}

/** Bucket-wise `now − then`: the histogram of what was observed in between. */
export function bucketDelta(now: readonly Bucket[], then: readonly Bucket[] | undefined): Bucket[] {
  if (!then) return now.map((b) => ({ ...b }));
  const before = new Map(then.map((b) => [b.le, b.count]));
  return now.map((b) => ({ le: b.le, count: Math.max(0, b.count - (before.get(b.le) ?? 0)) }));
}
