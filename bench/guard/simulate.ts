import { FailureStreak, type StreakRules } from '../../src/domain/guard/failure-streak.js';
import type { GuardRules } from '../../src/domain/guard/guard-rules.js';
import { PrefixSeries } from '../../src/domain/guard/traffic-series.js';
import { judge, type RuleName } from '../../src/domain/guard/verdict.js';
import { emptyCounts, type SecondSample } from '../../src/domain/guard/window.js';
import { SIDES } from '../../src/domain/message.js';
import { sampleBucket } from './latency-model.js';
import { normal, seeded } from './prng.js';
import type { Scenario } from './scenarios.js';

export interface RunResult {
  rolledBack: boolean;
  /** Seconds from the regression's start (or from the run's start when healthy) to the rollback. */
  at?: number;
  rule?: RuleName | 'failure-streak';
}

/** Fleet samples reach the guard this late: instances flush just after each second, the guard judges the last closed one. */
const FLUSH_LAG_SECONDS = 1;

/**
 * One seeded run through the real guard code: every message is written to both sides (dual-write),
 * each send's outcome feeds the in-process streak tripwire, each second's counts feed the fleet
 * series, and the verdict function judges it every second.
 */
export function simulate(scenario: Scenario, seed: number, rules: GuardRules, streakRules: StreakRules): RunResult {
  const random = seeded(seed);
  const series = new PrefixSeries();
  const streak = new FailureStreak(streakRules);
  const origin = scenario.regressionAt ?? 0;
  for (let second = 0; second < scenario.durationSeconds; second++) {
    const old = scenario.behaviour(second, 'old');
    const fresh = scenario.behaviour(second, 'new');
    const sample: SecondSample = { second, sides: { old: emptyCounts(), new: emptyCounts() } };
    // Poisson-ish arrivals: normal approximation around the rate.
    const messages = Math.max(0, Math.round(old.requestsPerSecond + normal(random) * Math.sqrt(old.requestsPerSecond)));
    for (let i = 0; i < messages; i++) {
      for (const side of SIDES) {
        const behaviour = side === 'old' ? old : fresh;
        const counts = sample.sides[side];
        const ok = random() >= behaviour.errorRate;
        counts.requests++;
        if (!ok) {
          counts.errors++;
          counts.vendorErrors++;
        }
        counts.latency[sampleBucket(behaviour.latency, random())]!++;
        if (streak.record(side, ok)) return { rolledBack: true, at: second + i / messages - origin, rule: 'failure-streak' };
      }
    }
    const inGap = scenario.gap && second >= scenario.gap[0] && second < scenario.gap[1];
    if (!inGap) series.append(sample);
    const now = second - FLUSH_LAG_SECONDS;
    if (now < 0) continue;
    const report = judge({ series, now, since: 0, rules });
    // The verdict is known once the second after `now + lag` is over.
    if (report.verdict === 'rollback') return { rolledBack: true, at: second + 1 - origin, rule: report.rule };
  }
  return { rolledBack: false };
}
