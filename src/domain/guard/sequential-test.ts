/**
 * A one-sided mixture sequential probability ratio test (mSPRT, Johari, Pekelis & Walsh 2017,
 * "Always valid inference") on the difference of two error rates, new minus old.
 *
 * Why this test: the guard looks every second, and a fixed-sample z-test looked at that often
 * will cross any fixed threshold by chance sooner or later. The mSPRT's likelihood ratio is a
 * martingale under "no difference", so P(it ever exceeds 1/alpha) <= alpha however often it is
 * looked at (Ville's inequality). The normal mixture over the effect size (variance tau^2) needs
 * no guess of the exact effect; tau sets which effect sizes it is quickest for.
 *
 * The statistic uses the pooled variance under H0 (equal rates), which is steady with few errors.
 */
export interface TwoSampleCounts {
  newRequests: number;
  newErrors: number;
  oldRequests: number;
  oldErrors: number;
}

/** log of the mixture likelihood ratio; 0 when new is not worse or there is too little data. */
export function msprtLogLikelihoodRatio(counts: TwoSampleCounts, tau: number): number {
  const { newRequests: nN, newErrors: eN, oldRequests: nO, oldErrors: eO } = counts;
  if (nN === 0 || nO === 0) return 0;
  const diff = eN / nN - eO / nO;
  if (diff <= 0) return 0;
  const pooled = (eN + eO) / (nN + nO);
  // A floor on the variance: with zero errors so far the estimate says "no noise at all".
  const p = Math.min(Math.max(pooled, 0.5 / (nN + nO)), 1 - 0.5 / (nN + nO));
  const variance = p * (1 - p) * (1 / nN + 1 / nO);
  const tau2 = tau * tau;
  return 0.5 * Math.log(variance / (variance + tau2)) + (tau2 * diff * diff) / (2 * variance * (variance + tau2));
}
