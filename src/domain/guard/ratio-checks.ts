import { eventRate, failures, slowerThan } from './event-counts.js';
import { runEventTests, type EventTestResult } from './event-test.js';
import type { GuardRules } from './guard-rules.js';
import { baselineOf, type Baseline } from './old-baseline.js';
import type { TrafficSeries } from './traffic-series.js';
import { GUARD_LATENCY_BOUNDS_MS, quantileOf } from './window.js';

export interface RatioCheck {
  fired: boolean;
  result: EventTestResult | null;
  /** Old's dispersion the test scaled by (1 = binomial). */
  dispersion: number;
  /** One line with the numbers, for the reason and the audit. */
  detail: string;
}

/**
 * New's failures against old's: against old's steady rate over its recent history (before the
 * step too: old's history does not depend on the step), or against old in the same second while
 * old itself moves or has too little history. A bank of CUSUMs, one per ratio, the budget split
 * over them: each is quickest for its own size of regression.
 */
export function checkErrors(series: TrafficSeries, now: number, since: number, rules: GuardRules): RatioCheck {
  const test = rules.errorTest;
  const count = failures(series);
  const baseline = baselineOf(count, now - test.historySeconds + 1, now, test.minHistoryEvents);
  const steady = baseline.events >= test.minHistoryEvents;
  const reference = Math.max(upperRate(baseline), test.floorRate);
  const results = runEventTests(count, Math.max(since, now - test.memorySeconds + 1), now, {
    ratios: test.ratios,
    alphaPerHour: (rules.alphaPerHour * rules.errorShareOfAlpha) / test.ratios.length,
    calibration: rules.calibration,
    reference: steady ? reference : null,
    usualRate: reference,
    expectedRate: Math.max(baseline.rate, test.floorRate),
    dispersion: baseline.dispersion,
    vetoWindows: test.vetoWindows,
    vetoLookbackSeconds: test.vetoLookbackSeconds,
    vetoEvidence: test.vetoEvidence,
  });
  return strongest(results.map((result) => {
    const against = steady
      ? `old's steady ${pct(baseline.rate)} over ${test.historySeconds}s (dispersion ×${baseline.dispersion.toFixed(1)}${result.vetoedSeconds > 0 ? `; ${result.vetoedSeconds}s against old in the same second, old moving` : ''})`
      : `old in the same seconds (${pct(eventRate(result.old))}; too little history)`;
    return {
      fired: result.statistic >= result.threshold,
      result,
      dispersion: baseline.dispersion,
      detail: `new failed ${pct(eventRate(result.new))} of ${result.new.requests} sends since ${result.runStart ?? now} against ${against}, evidence ${result.statistic.toFixed(1)} ≥ ${result.threshold.toFixed(1)} nats for ×${result.ratio}`,
    };
  }));
}

/**
 * New's sends slower than old's q-quantile plus the allowed increase, rounded up to a bucket bound,
 * at each of the test's quantiles: new may have a share 1 − q of them (its q-quantile within the
 * increase); more, sooner than chance allows, fires. The strongest quantile speaks for the rule.
 */
export function checkLatency(series: TrafficSeries, now: number, since: number, rules: GuardRules): RatioCheck {
  const { quantiles, ratio } = rules.latencyTest;
  const historyFrom = now - rules.errorTest.historySeconds + 1;
  const history = series.histogram('old', historyFrom, now);
  const none: RatioCheck = { fired: false, result: null, dispersion: 1, detail: "too little of old's latency history" };
  if (!(history.reduce((a, b) => a + b, 0) >= rules.latencyMinSamples)) return none;
  return strongest(quantiles.flatMap((q) => {
    const oldQuantile = quantileOf(history, q);
    const edgeIndex = GUARD_LATENCY_BOUNDS_MS.findIndex((bound) => bound >= oldQuantile + rules.maxP99IncreaseMs);
    if (edgeIndex < 0) return [];
    const count = slowerThan(series, edgeIndex);
    const baseline = baselineOf(count, historyFrom, now, rules.errorTest.minHistoryEvents);
    const allowed = 1 - q;
    const [result] = runEventTests(count, Math.max(since, now - rules.errorTest.memorySeconds + 1), now, {
      ratios: [ratio],
      alphaPerHour: (rules.alphaPerHour * (1 - rules.errorShareOfAlpha)) / quantiles.length,
      calibration: rules.calibration,
      reference: Math.max(allowed, upperRate(baseline)),
      // Old slower than its own history (not than new's allowance) is old moving: a blip of both.
      usualRate: upperRate(baseline),
      expectedRate: Math.max(allowed, baseline.rate),
      dispersion: baseline.dispersion,
      vetoWindows: rules.errorTest.vetoWindows,
      vetoLookbackSeconds: rules.errorTest.vetoLookbackSeconds,
      vetoEvidence: rules.errorTest.vetoEvidence,
    });
    if (!result) return [];
    return [{
      fired: result.statistic >= result.threshold,
      result,
      dispersion: baseline.dispersion,
      detail: `${pct(eventRate(result.new))} of new's ${result.new.requests} sends since ${result.runStart ?? now} took over ${GUARD_LATENCY_BOUNDS_MS[edgeIndex]}ms (old's p${Math.round(q * 100)} ${Math.round(oldQuantile)}ms + ${rules.maxP99IncreaseMs}ms allowed: ${pct(allowed)} may), old ${pct(eventRate(result.old))}, evidence ${result.statistic.toFixed(1)} ≥ ${result.threshold.toFixed(1)} nats for ×${ratio}`,
    }];
  }), none);
}

/** The test nearest its threshold (a fired one first) speaks for the rule. */
function strongest(checks: RatioCheck[], none?: RatioCheck): RatioCheck {
  const nearness = (c: RatioCheck) => (c.fired ? Number.POSITIVE_INFINITY : c.result ? c.result.statistic / c.result.threshold : -1);
  return checks.reduce((best, c) => (nearness(c) > nearness(best) ? c : best), checks[0] ?? none!);
}

/**
 * Old's rate raised by one standard error: a reference estimated low would make the test
 * anti-conservative, and one from 100 failures is ±10 %.
 */
function upperRate(baseline: Baseline): number {
  if (baseline.requests === 0) return 0;
  return (baseline.events + Math.sqrt(baseline.dispersion * baseline.events)) / baseline.requests;
}

const pct = (value: number) => `${(value * 100).toFixed(2)}%`;
