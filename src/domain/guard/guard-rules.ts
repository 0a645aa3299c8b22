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
  /** Limit on new minus old p99, ms, over the latency window. */
  maxP99IncreaseMs: number;
  latencyWindowSeconds: number;
  latencyMinSamples: number;
  /** A limit must be breached this many seconds in a row before it rolls back. */
  consecutiveBreaches: number;
  /** An absolute breach that old shares (old within this factor of new) holds instead: rolling back would not help. */
  sharedFactor: number;
  /** Budget of false rollbacks per hour of healthy traffic for the sequential test. */
  alphaPerHour: number;
  /** Effect size (error-rate difference) the sequential test is tuned for. */
  tau: number;
  /** A fresh sequential test starts every this many seconds (so a late regression is not diluted by old data). */
  testRestartSeconds: number;
  /** A sequential test runs at most this long. */
  testMaxAgeSeconds: number;
  /** Errors (both sides together) a test needs before it may decide: the normal approximation needs them. */
  testMinErrors: number;
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
  tau: 0.02,
  testRestartSeconds: 10,
  testMaxAgeSeconds: 600,
  testMinErrors: 30,
  tripwire: { windowsSeconds: [3, 5, 10], minSamples: 50, margin: 1.3, floorErrorRate: 0.01, alphaPerCheck: 1e-7 },
  noDataRollbackAfterSeconds: 0,
};
