import { GUARD_LATENCY_BOUNDS_MS } from '../../src/domain/guard/window.js';

/** A latency distribution as the guard sees it: the chance of each histogram bucket. */
export interface LatencyModel {
  /** Cumulative probability per bucket (last = 1). */
  cumulative: number[];
}

/** Log-normal latencies with the given median, spread (sigma of the log) and a fixed extra delay. */
export function logNormal(medianMs: number, sigma: number, extraMs = 0): LatencyModel {
  const cdf = (x: number) => (x <= extraMs ? 0 : 0.5 * (1 + erf(Math.log((x - extraMs) / medianMs) / (sigma * Math.SQRT2))));
  const cumulative = GUARD_LATENCY_BOUNDS_MS.map(cdf);
  cumulative.push(1);
  return { cumulative };
}

export function sampleBucket(model: LatencyModel, u: number): number {
  const c = model.cumulative;
  let i = 0;
  while (c[i]! < u) i++;
  return i;
}

/** Abramowitz–Stegun 7.1.26 (error below 1.5e-7): plenty for bucket probabilities. */
function erf(x: number): number {
  const sign = x < 0 ? -1 : 1;
  const t = 1 / (1 + 0.3275911 * Math.abs(x));
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return sign * y;
}
