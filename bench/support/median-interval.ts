export interface MedianInterval {
  median: number;
  low: number;
  high: number;
  /** The interval's exact coverage (at least the level asked for). */
  coverage: number;
}

/**
 * A distribution-free confidence interval for the median of `values`: the order statistics
 * x(k) and x(n+1-k), k the largest rank with P(Binomial(n, ½) ≤ k-1) ≤ (1 - level) / 2. It
 * assumes nothing of the spread, so heavy tails (a round the machine slowed) cannot narrow it.
 * Null when there are too few values for the level (fewer than 5 at 90 %).
 */
export function medianInterval(values: readonly number[], level = 0.9): MedianInterval | null {
  const n = values.length;
  const tail = (1 - level) / 2;
  // below = P(X ≤ k-1) for X ~ Binomial(n, ½), summed in log space so a large n does not underflow.
  let logPmf = -n * Math.LN2;
  let below = 0;
  let k = 0;
  for (let j = 0; j < n; j++) {
    const upToJ = below + Math.exp(logPmf);
    if (upToJ > tail) break;
    below = upToJ;
    k = j + 1;
    logPmf += Math.log((n - j) / (j + 1));
  }
  if (k === 0) return null;
  const sorted = ascending(values);
  return { median: middleOf(sorted), low: sorted[k - 1]!, high: sorted[n - k]!, coverage: 1 - 2 * below };
}

/** The median of `values`; NaN when there are none. */
export function median(values: readonly number[]): number {
  return values.length === 0 ? Number.NaN : middleOf(ascending(values));
}

function ascending(values: readonly number[]): number[] {
  return [...values].sort((a, b) => a - b);
}

function middleOf(sorted: readonly number[]): number {
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
