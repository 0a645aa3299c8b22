import type { Side } from '../message.js';

/**
 * Upper bounds (ms) of the latency buckets the guard counts in, the last bucket being +Inf: 5 ms
 * × 2^(k/8) up to 10 s in whole ms, distinct (a Redis field is named by its bound): from 100 ms
 * on, a bound is never more than 10 % past any latency in its bucket. The latency test counts sends past
 * a bound: the finer the bounds, the closer that edge sits to the tolerance, and the more a
 * regression's slow sends tell it.
 */
export const GUARD_LATENCY_BOUNDS_MS: readonly number[] = [...new Set(Array.from({ length: 89 }, (_, k) => Math.round(5 * 2 ** (k / 8))))];

/** A second this old (s) is final: instances flush just after each second closes, and a later flush is lost to the guard. */
export const SETTLE_SECONDS = 5;

/** What one side did in some stretch of time: sends, failures by class, latency histogram. */
export interface SideCounts {
  requests: number;
  /** Every failure, whatever its class. */
  errors: number;
  timeouts: number;
  vendorErrors: number;
  unavailable: number;
  rejected: number;
  /** Counts per GUARD_LATENCY_BOUNDS_MS bucket, plus one for +Inf. */
  latency: number[];
}

/** One second of the fleet's traffic (all instances added up). */
export interface SecondSample {
  /** Epoch second. */
  second: number;
  sides: Record<Side, SideCounts>;
}

export function emptyCounts(): SideCounts {
  return { requests: 0, errors: 0, timeouts: 0, vendorErrors: 0, unavailable: 0, rejected: 0, latency: new Array<number>(GUARD_LATENCY_BOUNDS_MS.length + 1).fill(0) };
}

export function addCounts(into: SideCounts, from: SideCounts): SideCounts {
  into.requests += from.requests;
  into.errors += from.errors;
  into.timeouts += from.timeouts;
  into.vendorErrors += from.vendorErrors;
  into.unavailable += from.unavailable;
  into.rejected += from.rejected;
  for (let i = 0; i < into.latency.length; i++) into.latency[i]! += from.latency[i] ?? 0;
  return into;
}

/** The bucket index of a latency. */
export function latencyBucket(ms: number): number {
  let lo = 0;
  let hi = GUARD_LATENCY_BOUNDS_MS.length;
  // The first bound at or above ms (binary search: this runs on every send).
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (ms > GUARD_LATENCY_BOUNDS_MS[mid]!) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * A quantile from the histogram, interpolated linearly inside its bucket (as Prometheus'
 * histogram_quantile does). NaN when there are no samples.
 */
export function quantileOf(histogram: readonly number[], q: number): number {
  const total = histogram.reduce((a, b) => a + b, 0);
  if (total === 0) return Number.NaN;
  const rank = q * total;
  let seen = 0;
  for (let i = 0; i < histogram.length; i++) {
    const inBucket = histogram[i]!;
    if (seen + inBucket >= rank && inBucket > 0) {
      const lower = i === 0 ? 0 : GUARD_LATENCY_BOUNDS_MS[i - 1]!;
      const upper = GUARD_LATENCY_BOUNDS_MS[i] ?? lower; // +Inf bucket: report its lower bound
      return lower + (upper - lower) * ((rank - seen) / inBucket);
    }
    seen += inBucket;
  }
  return GUARD_LATENCY_BOUNDS_MS[GUARD_LATENCY_BOUNDS_MS.length - 1]!;
}
