/**
 * The guard's sequential test: a CUSUM on new's per-second event counts (failures, or sends slower
 * than an edge), each second's evidence being the log-likelihood ratio of "new's events come at
 * `ratio` × the reference rate" against "at the reference rate". Page's CUSUM is the quickest
 * detector of a change for a given false-alarm rate (Lorden 1971), with no waste between restarts.
 *
 * Two ways to score a second, both exact likelihood ratios:
 * - against a reference rate (old's steady history): new's count alone, binomial;
 * - against old in the same second: new's share of both sides' events, given its share of the
 *   traffic (binomial conditioned on the total). It needs no history and ignores a blip both share.
 */

/**
 * log LR of `events` out of `requests` at ratio × rate against rate: binomial, or with dispersion
 * φ > 1 negative binomial (variance φ × mean). Scaling a binomial LR by 1/φ would not do: bursts
 * have a heavier tail than that, and the false-alarm rate would grow several-fold.
 */
export function rateLogLikelihoodRatio(events: number, requests: number, rate: number, ratio: number, dispersion = 1): number {
  if (requests === 0) return 0;
  const p0 = Math.min(Math.max(rate, 1e-9), 0.999);
  const p1 = Math.min(ratio * p0, 0.9999);
  if (dispersion <= 1 + 1e-3) return events * Math.log(p1 / p0) + (requests - events) * Math.log((1 - p1) / (1 - p0));
  const mean0 = requests * p0;
  const mean1 = requests * p1;
  const size = mean0 / (dispersion - 1);
  return events * Math.log((mean1 * (size + mean0)) / (mean0 * (size + mean1))) + size * Math.log((size + mean0) / (size + mean1));
}

/** log LR of new's share of the events of both sides at ratio × old's rate against equal rates. */
export function shareLogLikelihoodRatio(newEvents: number, newRequests: number, oldEvents: number, oldRequests: number, ratio: number): number {
  if (newRequests === 0 || oldRequests === 0 || newEvents + oldEvents === 0) return 0;
  const share0 = newRequests / (newRequests + oldRequests);
  const share1 = (ratio * newRequests) / (ratio * newRequests + oldRequests);
  return newEvents * Math.log(share1 / share0) + oldEvents * Math.log((1 - share1) / (1 - share0));
}

/**
 * The alarm threshold for a false-alarm budget. A CUSUM of true log-likelihood ratios raises false
 * alarms at about `calibration × I0 × e^-h` per second (Siegmund's approximation), I0 being the
 * evidence per second against the change when there is none: for Poisson events at λ per second,
 * λ(ρ − 1 − ln ρ). So the threshold rises with the expected events per second, and the rate stays on
 * budget at any traffic. `calibration` (overshoot and discreteness) is measured by `npm run bench:guard`.
 */
export function alarmThreshold(alphaPerHour: number, expectedEventsPerSecond: number, ratio: number, calibration: number): number {
  if (alphaPerHour <= 0) return Number.POSITIVE_INFINITY;
  const nullDrift = Math.max(expectedEventsPerSecond, 1e-6) * (ratio - 1 - Math.log(ratio));
  return Math.max(1, Math.log((3_600 * calibration * nullDrift) / alphaPerHour));
}

/** One step of the CUSUM: the statistic never goes below zero, so old calm is not banked against a change. */
export function cusumStep(statistic: number, logLikelihoodRatio: number): number {
  return Math.max(0, statistic + logLikelihoodRatio);
}
