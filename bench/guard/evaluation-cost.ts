import type { GuardRules } from '../../src/domain/guard/guard-rules.js';
import { RollingSeries } from '../../src/domain/guard/rolling-series.js';
import { judge } from '../../src/domain/guard/verdict.js';
import { SETTLE_SECONDS, type SecondSample } from '../../src/domain/guard/window.js';
import type { Scenario } from './scenarios.js';
import { HISTORY_SECONDS, TrafficMaker } from './simulate.js';
import { DEFAULT_STREAK_RULES } from '../../src/domain/guard/failure-streak.js';

/**
 * CPU per evaluation as a gateway does it each second: the fleet's seconds (summed over every
 * instance in Redis, so the count of instances changes the numbers, not the work) taken into the
 * rolling series and judged. Reading the windows from Redis is not included.
 */
export function evaluationCost(scenario: Scenario, rules: GuardRules, evaluations: number): { microsPerEvaluation: number } {
  const traffic = new TrafficMaker(scenario, 1, DEFAULT_STREAK_RULES);
  const samples: SecondSample[] = [];
  for (let second = -HISTORY_SECONDS; second < evaluations; second++) samples.push(traffic.second(second).sample);
  const lookback = Math.max(rules.errorTest.historySeconds, rules.errorTest.memorySeconds);
  const series = new RollingSeries(SETTLE_SECONDS, lookback);
  const started = process.cpuUsage();
  for (let k = 0; k < evaluations; k++) {
    const now = k;
    series.update(samples.slice(now + HISTORY_SECONDS - lookback, now + HISTORY_SECONDS + 1), now);
    judge({ series, now, since: 0, rules });
  }
  const used = process.cpuUsage(started);
  return { microsPerEvaluation: (used.user + used.system) / evaluations };
}
