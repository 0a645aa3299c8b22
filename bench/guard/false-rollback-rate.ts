import type { StreakRules } from '../../src/domain/guard/failure-streak.js';
import type { GuardRules } from '../../src/domain/guard/guard-rules.js';
import { PrefixSeries } from '../../src/domain/guard/traffic-series.js';
import { judge } from '../../src/domain/guard/verdict.js';
import type { Scenario } from './scenarios.js';
import { HISTORY_SECONDS, TrafficMaker } from './simulate.js';

export interface RateAtBudget {
  /** The budget the rules were raised to (per hour). */
  alphaPerHour: number;
  hours: number;
  rollbacks: number;
  perHour: number;
  byRule: Map<string, number>;
}

export interface MeasuredRate {
  points: RateAtBudget[];
  /** Slope of log(rate) on log(alpha) over the points: 1 when the thresholds track the budget. */
  slope: number;
  /** The rate at the rules' own budget, extrapolated along the fitted line. */
  atBudget: number;
  /**
   * A 90 % upper bound: the smallest budget's count at its Poisson upper bound, carried down with
   * slope 1 (the rate proportional to the budget, as the thresholds are built to make it).
   */
  upper90: number;
}

/**
 * False rollbacks are too rare at the real budget to count, so the rules are run with the budget
 * raised (every threshold lowered by ln(factor); the tripwire's per-check chance raised alike),
 * the rollbacks of long healthy runs counted, and the rate extrapolated back along log-log
 * (importance sampling would need the tests' internals; this uses the verdict function as is).
 * After each false rollback the step restarts, as a resume does; old's history carries on.
 */
export function measureFalseRollbackRate(scenario: Scenario, rules: GuardRules, streakRules: StreakRules, factors: number[], hoursPerFactor: (factor: number) => number, seed: number): MeasuredRate {
  const points = factors.map((factor, k) => {
    const raised: GuardRules = { ...rules, alphaPerHour: rules.alphaPerHour * factor, tripwire: { ...rules.tripwire, alphaPerCheck: rules.tripwire.alphaPerCheck * factor } };
    const hours = hoursPerFactor(factor);
    const byRule = countRollbacks(scenario, raised, streakRules, hours, seed + k * 7_919);
    const rollbacks = [...byRule.values()].reduce((a, b) => a + b, 0);
    return { alphaPerHour: raised.alphaPerHour, hours, rollbacks, perHour: rollbacks / hours, byRule };
  });
  const usable = points.filter((p) => p.rollbacks > 0);
  const xs = usable.map((p) => Math.log(p.alphaPerHour));
  const ys = usable.map((p) => Math.log(p.perHour));
  const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
  const mx = mean(xs);
  const my = mean(ys);
  const slope = usable.length >= 2 ? xs.reduce((acc, x, i) => acc + (x - mx) * (ys[i]! - my), 0) / xs.reduce((acc, x) => acc + (x - mx) ** 2, 0) : Number.NaN;
  const atBudget = Number.isFinite(slope) ? Math.exp(my + slope * (Math.log(rules.alphaPerHour) - mx)) : Number.NaN;
  const lowest = points[points.length - 1]!;
  const upperCount = lowest.rollbacks + 1.645 * Math.sqrt(lowest.rollbacks + 1) + 1;
  const upper90 = (upperCount / lowest.hours) * (rules.alphaPerHour / lowest.alphaPerHour);
  return { points, slope, atBudget, upper90 };
}

function countRollbacks(scenario: Scenario, rules: GuardRules, streakRules: StreakRules, hours: number, seed: number): Map<string, number> {
  // Chunks of an hour keep the series small; each chunk starts with old's history again.
  const byRule = new Map<string, number>();
  const chunks = Math.ceil(hours);
  for (let chunk = 0; chunk < chunks; chunk++) {
    const traffic = new TrafficMaker(scenario, seed + chunk, streakRules);
    const series = new PrefixSeries();
    const seconds = Math.round(3_600 * Math.min(1, hours - chunk));
    let since = 0;
    for (let second = -HISTORY_SECONDS; second < seconds; second++) {
      series.append(traffic.second(second).sample);
      const now = second - 1;
      if (now < since) continue;
      const report = judge({ series, now, since, rules });
      if (report.verdict === 'rollback') {
        byRule.set(report.rule!, (byRule.get(report.rule!) ?? 0) + 1);
        since = now + 1;
      }
    }
  }
  return byRule;
}
