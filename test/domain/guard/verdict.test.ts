import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FailureStreak } from '../../../src/domain/guard/failure-streak.js';
import { DEFAULT_GUARD_RULES, type GuardRules } from '../../../src/domain/guard/guard-rules.js';
import { PrefixSeries } from '../../../src/domain/guard/traffic-series.js';
import { judge } from '../../../src/domain/guard/verdict.js';
import { emptyCounts, GUARD_LATENCY_BOUNDS_MS, latencyBucket, quantileOf, type SecondSample } from '../../../src/domain/guard/window.js';

interface SideLoad { rps: number; errorRate: number; latencyMs: number; /** This share of the sends take slowMs instead. */ slowShare?: number; slowMs?: number }
const HEALTHY: SideLoad = { rps: 100, errorRate: 0.02, latencyMs: 40 };
const T0 = 1_800_000_000;

/** Deterministic traffic: each second exactly rps sends, round(rps × rate) failures, one latency. */
function traffic(seconds: number, shape: (s: number) => { old: SideLoad; new: SideLoad }, start = T0): SecondSample[] {
  return Array.from({ length: seconds }, (_, s) => {
    const sample: SecondSample = { second: start + s, sides: { old: emptyCounts(), new: emptyCounts() } };
    const loads = shape(s);
    for (const side of ['old', 'new'] as const) {
      const load = loads[side];
      const counts = sample.sides[side];
      counts.requests = load.rps;
      counts.errors = counts.vendorErrors = Math.round(load.rps * load.errorRate);
      const slow = Math.round(load.rps * (load.slowShare ?? 0));
      counts.latency[latencyBucket(load.latencyMs)] = load.rps - slow;
      if (slow > 0) counts.latency[latencyBucket(load.slowMs ?? load.latencyMs)]! += slow;
    }
    return sample;
  });
}

function verdictOf(samples: SecondSample[], rules: GuardRules = DEFAULT_GUARD_RULES, since = T0) {
  return judge({ series: PrefixSeries.of(samples), now: samples[samples.length - 1]!.second, since, rules });
}

test('equal sides with enough traffic are healthy', () => {
  const report = verdictOf(traffic(120, () => ({ old: HEALTHY, new: HEALTHY })));
  assert.equal(report.verdict, 'healthy');
  assert.equal(report.new.requests, 6_000);
  assert.ok(Math.abs(report.new.errorRate - 0.02) < 1e-9);
});

test('too little new-side traffic holds (never promotes), and does not roll back', () => {
  const report = verdictOf(traffic(120, () => ({ old: HEALTHY, new: { ...HEALTHY, rps: 2 } })));
  assert.equal(report.verdict, 'hold');
  assert.equal(report.rule, 'min-samples');
});

test('holding for lack of data rolls back once it lasts past the configured cap', () => {
  const rules = { ...DEFAULT_GUARD_RULES, noDataRollbackAfterSeconds: 300 };
  const starved = (s: number) => ({ old: HEALTHY, new: { ...HEALTHY, rps: s < 100 ? 100 : 0 } });
  assert.equal(verdictOf(traffic(300, starved), rules).verdict, 'hold', 'starved 200 s: still holding');
  const report = verdictOf(traffic(460, starved), rules);
  assert.equal(report.verdict, 'rollback');
  assert.equal(report.rule, 'no-data-cap');
});

test('a new error rate over the absolute limit rolls back only after N breaches in a row', () => {
  const rules = { ...DEFAULT_GUARD_RULES, maxErrorRateIncrease: 1, tripwire: { ...DEFAULT_GUARD_RULES.tripwire, alphaPerCheck: 0 }, alphaPerHour: 0 };
  const bad = (from: number) => (s: number) => ({ old: HEALTHY, new: { ...HEALTHY, errorRate: s >= from ? 0.9 : 0.02 } });
  // The 60 s window crosses 20 % after 13 s at 90 %; two seconds over is a breach, the third rolls back.
  assert.equal(verdictOf(traffic(122, bad(110)), rules).verdict, 'healthy');
  const justOver = traffic(124, bad(110));
  const first = verdictOf(justOver, rules);
  assert.equal(first.verdict, 'breach');
  assert.equal(first.rule, 'error-rate');
  const report = verdictOf(traffic(125, bad(110)), rules);
  assert.equal(report.verdict, 'rollback');
  assert.equal(report.rule, 'error-rate');
  assert.match(report.reason, /error-rate .* over limit 20\.00% for 3s in a row/);
});

test('an absolute breach that old shares holds instead: rolling back would not help', () => {
  const rules = { ...DEFAULT_GUARD_RULES, alphaPerHour: 0 };
  const blip = { ...HEALTHY, errorRate: 0.5 };
  const report = verdictOf(traffic(120, (s) => (s >= 90 ? { old: blip, new: blip } : { old: HEALTHY, new: HEALTHY })), rules);
  assert.equal(report.verdict, 'hold');
  assert.equal(report.rule, 'error-rate');
  assert.match(report.reason, /both sides/);
});

test('new minus old error rate over its limit rolls back after N in a row', () => {
  const rules = { ...DEFAULT_GUARD_RULES, alphaPerHour: 0, tripwire: { ...DEFAULT_GUARD_RULES.tripwire, alphaPerCheck: 0 } };
  const report = verdictOf(traffic(120, () => ({ old: HEALTHY, new: { ...HEALTHY, errorRate: 0.09 } })), rules);
  assert.equal(report.verdict, 'rollback');
  assert.equal(report.rule, 'error-rate-increase');
});

test('a new p99 over the absolute limit rolls back; shared with old it holds', () => {
  const slow = { ...HEALTHY, latencyMs: 4_000 };
  const rules = { ...DEFAULT_GUARD_RULES, maxP99IncreaseMs: 1e9 };
  const alone = verdictOf(traffic(120, () => ({ old: HEALTHY, new: slow })), rules);
  assert.equal(alone.verdict, 'rollback');
  assert.equal(alone.rule, 'p99');
  const shared = verdictOf(traffic(120, () => ({ old: slow, new: slow })), rules);
  assert.equal(shared.verdict, 'hold');
});

test('new slower than old by more than the allowed increase rolls back by the latency test; within it, healthy', () => {
  const report = verdictOf(traffic(120, () => ({ old: HEALTHY, new: { ...HEALTHY, latencyMs: 380 } })));
  assert.equal(report.verdict, 'rollback');
  assert.equal(report.rule, 'latency-test');
  assert.match(report.reason, /took over \d+ms \(old's p\d+ \d+ms \+ 250ms allowed/);
  assert.equal(verdictOf(traffic(120, () => ({ old: HEALTHY, new: { ...HEALTHY, latencyMs: 200 } }))).verdict, 'healthy');
});

test('both sides slow alike (a shared blip) is not a latency regression of new; new alone slow is', () => {
  // 12 % of the sends at 400 ms: past new's allowance at p90 (old's p90 + 250 ms), and for old too.
  const slow = { ...HEALTHY, slowShare: 0.12, slowMs: 400 };
  const shape = (both: boolean) => (s: number) => (s >= 900 ? { old: both ? slow : HEALTHY, new: slow } : { old: HEALTHY, new: HEALTHY });
  const rules = { ...DEFAULT_GUARD_RULES, maxP99Ms: 1e9, tripwire: { ...DEFAULT_GUARD_RULES.tripwire, alphaPerCheck: 0 } };
  assert.notEqual(verdictOf(traffic(930, shape(true)), rules).verdict, 'rollback');
  const alone = verdictOf(traffic(930, shape(false)), rules);
  assert.equal(alone.verdict, 'rollback');
  assert.equal(alone.rule, 'latency-test');
});

test('the error test catches a steady doubling the fixed limits miss, against old\'s history; equal rates leave it at zero', () => {
  const doubled = traffic(300, () => ({ old: HEALTHY, new: { ...HEALTHY, errorRate: 0.04 } }));
  const report = verdictOf(doubled);
  assert.equal(report.verdict, 'rollback');
  assert.equal(report.rule, 'error-test');
  assert.match(report.reason, /against old's steady 2\.00% over 900s/);
  assert.ok(report.sequential.logLikelihoodRatio >= report.sequential.threshold);
  assert.equal(verdictOf(traffic(600, () => ({ old: HEALTHY, new: HEALTHY }))).sequential.logLikelihoodRatio, 0);
});

test("old's history before the step counts as its reference: a doubling right after a step is judged against it", () => {
  // 15 min of both sides at 2 % before the step; new doubles from the step on.
  const samples = traffic(960, (s) => ({ old: HEALTHY, new: { ...HEALTHY, errorRate: s >= 900 ? 0.04 : 0.02 } }));
  const report = verdictOf(samples, DEFAULT_GUARD_RULES, T0 + 900);
  assert.equal(report.rule, 'error-test');
  assert.match(report.reason, /old's steady/);
  const noHistory = verdictOf(samples.slice(900), DEFAULT_GUARD_RULES, T0 + 900);
  assert.match(noHistory.checks.find((c) => c.rule === 'error-test') ? noHistory.reason : '', /./);
  assert.ok(noHistory.sequential.logLikelihoodRatio < report.sequential.logLikelihoodRatio, 'without history the same seconds hold less evidence');
});

test('when old moves with new (a shared step), the error test judges against old in the same seconds and holds off', () => {
  const step = traffic(1_200, (s) => {
    const load = { ...HEALTHY, errorRate: s >= 1_100 ? 0.06 : 0.02 };
    return { old: load, new: load };
  });
  const rules = { ...DEFAULT_GUARD_RULES, maxErrorRateIncrease: 1, tripwire: { ...DEFAULT_GUARD_RULES.tripwire, alphaPerCheck: 0 } };
  assert.notEqual(verdictOf(step, rules).verdict, 'rollback');
  const noVeto = { ...rules, errorTest: { ...rules.errorTest, vetoWindows: [], vetoEvidence: Number.POSITIVE_INFINITY } };
  const blind = verdictOf(step, noVeto);
  assert.equal(blind.verdict, 'rollback', 'without the veto old\'s stale history would make it fire');
  assert.equal(blind.rule, 'error-test');
});

test('the tripwire fires on a burst within seconds, but not when old bursts too', () => {
  const burst = (both: boolean) => (s: number) => {
    const bad = { ...HEALTHY, errorRate: 0.3 };
    return s >= 117 ? { old: both ? bad : HEALTHY, new: bad } : { old: HEALTHY, new: HEALTHY };
  };
  const alone = verdictOf(traffic(120, burst(false)));
  assert.equal(alone.verdict, 'rollback');
  assert.equal(alone.rule, 'tripwire');
  assert.match(alone.reason, /new-side failures in \d+s/);
  assert.notEqual(verdictOf(traffic(120, burst(true))).verdict, 'rollback');
});

test('traffic before the current step (since) is not judged: a resume starts clean', () => {
  const samples = traffic(200, (s) => ({ old: HEALTHY, new: { ...HEALTHY, errorRate: s < 100 ? 0.5 : 0.02 } }));
  assert.equal(verdictOf(samples, DEFAULT_GUARD_RULES, T0).verdict, 'rollback');
  assert.equal(verdictOf(samples, DEFAULT_GUARD_RULES, T0 + 100).verdict, 'healthy');
});

test('after a metrics gap the guard holds until the window holds enough samples again', () => {
  const samples = traffic(200, () => ({ old: HEALTHY, new: HEALTHY })).filter((s) => s.second < T0 + 100 || s.second > T0 + 198);
  const report = judge({ series: PrefixSeries.of(samples), now: T0 + 199, since: T0, rules: DEFAULT_GUARD_RULES });
  assert.equal(report.verdict, 'hold');
});

test('p99 from the histogram interpolates inside its bucket', () => {
  const histogram = emptyCounts().latency;
  histogram[latencyBucket(40)] = 99;
  histogram[latencyBucket(450)] = 1;
  assert.ok(quantileOf(histogram, 0.99) <= 50 && quantileOf(histogram, 0.999) > 400);
});

test('the failure streak trips at N consecutive new failures, resets on a success, and ignores shared outages', () => {
  const streak = new FailureStreak({ consecutiveFailures: 5, sharedFailureRate: 0.5, recentWindow: 5 });
  for (let i = 0; i < 4; i++) assert.equal(streak.record('new', false), false);
  streak.record('new', true);
  for (let i = 0; i < 4; i++) assert.equal(streak.record('new', false), false);
  assert.equal(streak.record('new', false), true, 'fifth in a row');

  const shared = new FailureStreak({ consecutiveFailures: 5, sharedFailureRate: 0.5, recentWindow: 5 });
  let tripped = false;
  for (let i = 0; i < 10; i++) {
    shared.record('old', false);
    tripped ||= shared.record('new', false);
  }
  assert.equal(tripped, false, 'old failing as much: a shared outage');
});

test('a latency falls in the first bucket whose bound is at or above it; past the last, the +Inf bucket', () => {
  const bounds = GUARD_LATENCY_BOUNDS_MS;
  assert.equal(latencyBucket(0), 0);
  assert.equal(latencyBucket(bounds[0]!), 0);
  assert.equal(latencyBucket(bounds[0]! + 0.1), 1);
  assert.equal(latencyBucket(bounds[bounds.length - 1]! + 1), bounds.length);
  for (let ms = 0; ms < 12_000; ms += 7.3) {
    const linear = bounds.findIndex((bound) => ms <= bound);
    assert.equal(latencyBucket(ms), linear < 0 ? bounds.length : linear, `at ${ms} ms`);
  }
  // Distinct (a Redis field is named by its bound), and from 100 ms on never more than 10 % apart.
  assert.equal(new Set(bounds).size, bounds.length);
  for (let i = 1; i < bounds.length; i++) if (bounds[i - 1]! >= 100) assert.ok(bounds[i]! / bounds[i - 1]! <= 1.1, `${bounds[i - 1]} → ${bounds[i]}`);
});
