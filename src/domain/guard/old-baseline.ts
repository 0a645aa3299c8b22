import { eventRate, eventsIn, type EventCount } from './event-counts.js';

/** Old's steady rate of some event, and how bursty it is, over its recent history. */
export interface Baseline {
  rate: number;
  requests: number;
  events: number;
  /**
   * Variance of a second's count over the binomial variance (1 = binomial; 3 = three times as
   * noisy). Real failures come in bursts; a test that assumes binomial noise would fire on them.
   */
  dispersion: number;
}

/**
 * One second's share of the dispersion estimate is capped: a 30 s blip of both sides must not make
 * the guard deaf for the next quarter hour, while bursts of the ×3 kind stay counted in full.
 */
const MAX_SECOND_CONTRIBUTION = 100;
const MAX_DISPERSION = 10;

/**
 * Old's rate over seconds from..to and its dispersion: Pearson's statistic over the seconds (the
 * squared deviation of each second's count from its expectation, over the binomial variance),
 * averaged. Below `minEvents` the rate is too uncertain to judge by, and the dispersion reads 1.
 */
export function baselineOf(count: EventCount, from: number, to: number, minEvents: number): Baseline {
  const total = eventsIn(count, 'old', from, to);
  const rate = eventRate(total);
  let pearson = 0;
  let seconds = 0;
  if (total.events >= minEvents && rate > 0 && rate < 1) {
    for (let t = from; t <= to; t++) {
      const requests = count.requests('old', t, t);
      if (requests === 0) continue;
      const expected = requests * rate;
      pearson += Math.min(MAX_SECOND_CONTRIBUTION, (count.events('old', t, t) - expected) ** 2 / (expected * (1 - rate)));
      seconds++;
    }
  }
  const dispersion = seconds > 1 ? Math.min(MAX_DISPERSION, Math.max(1, pearson / (seconds - 1))) : 1;
  return { rate, requests: total.requests, events: total.events, dispersion };
}
