import type { VetoWindow } from './event-test.js';

/** What the guard judges by. Defaults live in the config schema; see docs/guard.md for why. */
export interface GuardRules {
  /** Window of the error-rate and p99 limits, seconds. */
  judgeWindowSeconds: number;
  /** New-side requests needed in the judge window before anything is judged (else: hold). */
  minSamples: number;
  /** Absolute limit on the new side's error rate (0..1). */
  maxErrorRate: number;
  /** Limit on new minus old error rate, over the same window (0..1). */
  maxErrorRateIncrease: number;
  /** Absolute limit on the new side's p99, ms. */
  maxP99Ms: number;
  /** How much slower than old's p90 and p99 new's may be, ms (the latency test). */
  maxP99IncreaseMs: number;
  latencyWindowSeconds: number;
  latencyMinSamples: number;
  /** A limit must be breached this many seconds in a row before it rolls back. */
  consecutiveBreaches: number;
  /** An absolute breach that old shares (old within this factor of new) holds instead: rolling back would not help. */
  sharedFactor: number;
  /**
   * Budget of false rollbacks per hour of healthy watching for the statistical tests together
   * (error test, latency test); the tripwire's own rate is orders below it (docs/guard.md).
   */
  alphaPerHour: number;
  /** Share of that budget the error test spends; the latency test spends the rest. */
  errorShareOfAlpha: number;
  /**
   * Calibration of the tests' thresholds (false alarms ≈ calibration × I0 × e^-h per second),
   * measured by bench:guard: judged against old's history (the reference raised by its standard
   * error, so well under Siegmund's figure), and against old in the same second (about on it).
   */
  calibration: { againstHistory: number; sameSecond: number };
  errorTest: {
    /** Rate ratios, new over old, one CUSUM each: each is quickest for a regression of its size. */
    ratios: number[];
    /** Old's history the reference rate and dispersion are read from, seconds. */
    historySeconds: number;
    /** Old's failures in that history before the history is trusted (else: against old in the same second). */
    minHistoryEvents: number;
    /** The reference never goes below this rate: a side that never fails is not a promise. */
    floorRate: number;
    /** How far back the CUSUM looks, seconds. */
    memorySeconds: number;
    /**
     * Windows over which old's rate, this many standard errors above its history, means old is
     * moving. Short windows catch a shared step before new's evidence against stale history
     * piles up; the long one, a drift, and asks more so a stationary old is rarely taken as moving.
     */
    vetoWindows: VetoWindow[];
    /** Seconds before old is seen moving that are scored against old too (see EventTestOptions). */
    vetoLookbackSeconds: number;
    /** Old is moving, too, while its own CUSUM against its history holds this much evidence, nats. */
    vetoEvidence: number;
  };
  latencyTest: {
    ratio: number;
    /**
     * Quantiles at which new may be at most maxP99IncreaseMs slower than old: at q, new may have a
     * share 1 − q of its sends past old's q-quantile plus the increase. The budget is split over them.
     */
    quantiles: number[];
  };
  tripwire: {
    /** Short windows, seconds, checked every second. */
    windowsSeconds: number[];
    minSamples: number;
    /** New must exceed margin × max(old's rate, floor) by more than chance allows. */
    margin: number;
    floorErrorRate: number;
    /** Chance of firing on healthy traffic, per window per check. */
    alphaPerCheck: number;
  };
  /** Rolls back after holding for lack of data this long; 0 = hold forever. */
  noDataRollbackAfterSeconds: number;
}

export const DEFAULT_GUARD_RULES: GuardRules = {
  judgeWindowSeconds: 60,
  minSamples: 200,
  maxErrorRate: 0.2,
  maxErrorRateIncrease: 0.05,
  maxP99Ms: 3_000,
  maxP99IncreaseMs: 250,
  latencyWindowSeconds: 15,
  latencyMinSamples: 300,
  consecutiveBreaches: 3,
  sharedFactor: 1.5,
  alphaPerHour: 1e-3,
  errorShareOfAlpha: 0.8,
  calibration: { againstHistory: 0.1, sameSecond: 1 },
  errorTest: { ratios: [2, 5], historySeconds: 900, minHistoryEvents: 100, floorRate: 0.001, memorySeconds: 300, vetoWindows: [{ seconds: 1, sigmas: 2 }, { seconds: 10, sigmas: 2 }, { seconds: 60, sigmas: 3 }], vetoLookbackSeconds: 10, vetoEvidence: 3 },
  latencyTest: { ratio: 3, quantiles: [0.9, 0.99] },
  tripwire: { windowsSeconds: [3, 5, 10], minSamples: 50, margin: 1.3, floorErrorRate: 0.01, alphaPerCheck: 1e-7 },
  noDataRollbackAfterSeconds: 0,
};
