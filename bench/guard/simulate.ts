import { FailureStreak, type StreakRules } from '../../src/domain/guard/failure-streak.js';
import type { GuardRules } from '../../src/domain/guard/guard-rules.js';
import { PrefixSeries } from '../../src/domain/guard/traffic-series.js';
import { judge, type RuleName } from '../../src/domain/guard/verdict.js';
import { emptyCounts, type SecondSample } from '../../src/domain/guard/window.js';
import { SIDES } from '../../src/domain/message.js';
import { sampleBucket } from './latency-model.js';
import { gammaMeanOne, normal, seeded } from './prng.js';
import type { Scenario } from './scenarios.js';

export interface RunResult {
  rolledBack: boolean;
  /** Seconds from the regression's start (or from the run's start when healthy) to the rollback. */
  at?: number;
  rule?: RuleName | 'failure-streak';
}

/** Fleet samples reach the guard this late: instances flush just after each second, the guard judges the last closed one. */
const FLUSH_LAG_SECONDS = 1;
/** Old has been running before the step began: its windows hold this much history (the Redis windows keep 15 min). */
export const HISTORY_SECONDS = 900;

/** Makes one second of fleet traffic for a scenario, every message written to both sides. */
export class TrafficMaker {
  private readonly random: () => number;
  readonly streaks: FailureStreak[];

  constructor(private readonly scenario: Scenario, seed: number, streakRules: StreakRules) {
    this.random = seeded(seed);
    this.streaks = Array.from({ length: scenario.instances ?? 1 }, () => new FailureStreak(streakRules));
  }

  /** The second's fleet sample; `tripped` is the fraction of the second at which an instance's streak tripped. */
  second(second: number): { sample: SecondSample; tripped?: number } {
    const random = this.random;
    const sample: SecondSample = { second, sides: { old: emptyCounts(), new: emptyCounts() } };
    const instances = this.streaks.length;
    let tripped: number | undefined;
    for (let instance = 0; instance < instances; instance++) {
      const old = this.scenario.behaviour(second, 'old', instance);
      const fresh = this.scenario.behaviour(second, 'new', instance);
      const rps = old.requestsPerSecond / instances;
      // Poisson-ish arrivals: normal approximation around the rate.
      const messages = Math.max(0, Math.round(rps + normal(random) * Math.sqrt(rps)));
      const burst = { old: this.burst(old.dispersion, old.errorRate * rps), new: this.burst(fresh.dispersion, fresh.errorRate * rps) };
      for (let i = 0; i < messages; i++) {
        for (const side of SIDES) {
          const behaviour = side === 'old' ? old : fresh;
          const counts = sample.sides[side];
          const ok = random() >= behaviour.errorRate * burst[side];
          counts.requests++;
          if (!ok) {
            counts.errors++;
            counts.vendorErrors++;
          }
          counts.latency[sampleBucket(behaviour.latency, random())]!++;
          if (this.streaks[instance]!.record(side, ok) && tripped === undefined && second >= 0) tripped = i / messages;
        }
      }
    }
    return { sample, tripped };
  }

  /** This second's multiplier of the error rate: 1, or a gamma draw giving the side's dispersion. */
  private burst(dispersion: number | undefined, expectedErrors: number): number {
    if (!dispersion || dispersion <= 1 || expectedErrors <= 0) return 1;
    return gammaMeanOne(this.random, expectedErrors / (dispersion - 1));
  }
}

/**
 * One seeded run through the real guard code: old's history before the step, then each send's
 * outcome feeding the in-process streaks, each second's counts feeding the fleet series, and the
 * verdict function judging it every second.
 */
export function simulate(scenario: Scenario, seed: number, rules: GuardRules, streakRules: StreakRules): RunResult {
  const traffic = new TrafficMaker(scenario, seed, streakRules);
  const series = new PrefixSeries();
  const origin = scenario.regressionAt ?? 0;
  for (let second = -HISTORY_SECONDS; second < scenario.durationSeconds; second++) {
    const { sample, tripped } = traffic.second(second);
    if (tripped !== undefined) return { rolledBack: true, at: second + tripped - origin, rule: 'failure-streak' };
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
