import { eventsIn, lowerBound, type EventCount, type Events } from './event-counts.js';
import { alarmThreshold, cusumStep, rateLogLikelihoodRatio, shareLogLikelihoodRatio } from './rate-test.js';

export interface EventTestOptions {
  /** Rate ratios (new over reference), one CUSUM each, each quickest for a regression of its size. */
  ratios: readonly number[];
  /** Each CUSUM's budget. */
  alphaPerHour: number;
  calibration: { againstHistory: number; sameSecond: number };
  /**
   * What new is held to when old is steady (old's history, or an allowed share); null: always
   * against old in the same second.
   */
  reference: number | null;
  /**
   * New's expected event rate when healthy, for the threshold: old's over its history. Not the
   * window's: right after a step, or at low traffic, that holds no event and the threshold would collapse.
   */
  expectedRate: number;
  /** Old's dispersion: the reference scoring models it (negative binomial); the same-second scoring is divided by it. */
  dispersion: number;
  /** While old's rate over any of these windows is this many standard errors above `usualRate`, old is moving: the second is scored against old in that second. */
  vetoWindows: readonly VetoWindow[];
  /** Old's usual rate (its history): what "old is moving" is judged from. */
  usualRate: number;
  /**
   * Seconds before old is seen moving that are scored against old in the same second too: a
   * shared step shows in old's windows a few seconds late, and the evidence new piled up against
   * old's stale history in those seconds is not evidence. Recomputed each evaluation, so a later
   * second can rescore an earlier one.
   */
  vetoLookbackSeconds: number;
  /** Old is moving, too, while its own CUSUM against its usual rate (×2) holds this much evidence, nats. */
  vetoEvidence: number;
}

export interface VetoWindow {
  seconds: number;
  sigmas: number;
}

export interface EventTestResult {
  ratio: number;
  statistic: number;
  threshold: number;
  /** First second of the current run of evidence (the CUSUM last left zero); null when at zero. */
  runStart: number | null;
  /** Seconds of the run scored against old in the same second (old moving). */
  vetoedSeconds: number;
  new: Events;
  old: Events;
}

/**
 * The CUSUMs over seconds from..to, recomputed from the counts: a pure function of the window, so
 * every instance reading the same seconds gets the same statistic and a restart loses nothing. A
 * CUSUM that forgets before `from` alarms no more often than one that remembers everything.
 */
export function runEventTests(count: EventCount, from: number, to: number, options: EventTestOptions): EventTestResult[] {
  const { ratios, reference, dispersion, expectedRate } = options;
  const freshRequests = count.requests('new', from, to);
  const seconds = Math.max(1, to - from + 1);
  const calibration = reference === null ? options.calibration.sameSecond : options.calibration.againstHistory;
  const runs = ratios.map((ratio) => ({
    ratio, statistic: 0, runStart: null as number | null, vetoedSeconds: 0,
    threshold: alarmThreshold(options.alphaPerHour, (expectedRate * freshRequests) / seconds, ratio, calibration),
  }));
  const moving = movingSeconds(count, from, to, options);
  for (let t = from; t <= to; t++) {
    const nRequests = count.requests('new', t, t);
    const nEvents = count.events('new', t, t);
    const oldMoving = reference === null || moving[t - from]!;
    for (const run of runs) {
      const evidence = oldMoving
        ? shareLogLikelihoodRatio(nEvents, nRequests, count.events('old', t, t), count.requests('old', t, t), run.ratio) / dispersion
        : rateLogLikelihoodRatio(nEvents, nRequests, reference, run.ratio, dispersion);
      const next = cusumStep(run.statistic, evidence);
      if (next === 0) {
        run.runStart = null;
        run.vetoedSeconds = 0;
      } else {
        if (run.statistic === 0) run.runStart = t;
        if (oldMoving) run.vetoedSeconds++;
      }
      run.statistic = next;
    }
  }
  return runs.map((run) => {
    const since = run.runStart ?? to + 1;
    return { ...run, new: eventsIn(count, 'new', since, to), old: eventsIn(count, 'old', since, to) };
  });
}

/** Per second from..to: is old moving then, or within the lookback after it? */
function movingSeconds(count: EventCount, from: number, to: number, options: EventTestOptions): boolean[] {
  const moving = new Array<boolean>(to - from + 1).fill(false);
  if (options.reference === null) return moving;
  // Old's own CUSUM against its usual rate (×2): the quickest sign that old has stepped up.
  const seen = new Array<boolean>(to - from + 1).fill(false);
  let oldEvidence = 0;
  for (let t = from - OLD_EVIDENCE_WARM_UP_SECONDS; t <= to; t++) {
    const evidence = rateLogLikelihoodRatio(count.events('old', t, t), count.requests('old', t, t), options.usualRate, 2, options.dispersion);
    oldEvidence = cusumStep(oldEvidence, evidence);
    if (t >= from) seen[t - from] = oldEvidence >= options.vetoEvidence || isMoving(count, t, options.usualRate, options.dispersion, options.vetoWindows);
  }
  let nextMoving = Number.POSITIVE_INFINITY;
  for (let t = to; t >= from; t--) {
    if (seen[t - from]) nextMoving = t;
    moving[t - from] = nextMoving - t <= options.vetoLookbackSeconds;
  }
  return moving;
}

/** Old's evidence of a step is built up from this long before the window, so it starts in its steady state. */
const OLD_EVIDENCE_WARM_UP_SECONDS = 60;

/** Is old's rate over any veto window that many standard errors above its usual rate? */
function isMoving(count: EventCount, t: number, usualRate: number, dispersion: number, windows: readonly VetoWindow[]): boolean {
  for (const w of windows) {
    const from = t - w.seconds + 1;
    if (lowerBound(count.events('old', from, t), count.requests('old', from, t), dispersion, w.sigmas) > usualRate) return true;
  }
  return false;
}
