import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FailureStreak } from '../../../src/domain/guard/failure-streak.js';
import { DEFAULT_GUARD_RULES, type GuardRules } from '../../../src/domain/guard/guard-rules.js';
import { msprtLogLikelihoodRatio } from '../../../src/domain/guard/sequential-test.js';
import { PrefixSeries } from '../../../src/domain/guard/traffic-series.js';
import { judge } from '../../../src/domain/guard/verdict.js';
import { emptyCounts, latencyBucket, quantileOf, type SecondSample } from '../../../src/domain/guard/window.js';

interface SideLoad { rps: number; errorRate: number; latencyMs: number }
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
      counts.latency[latencyBucket(load.latencyMs)] = load.rps;
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

test('new p99 more than the allowed increase over old rolls back', () => {
  const report = verdictOf(traffic(120, () => ({ old: HEALTHY, new: { ...HEALTHY, latencyMs: 380 } })));
  assert.equal(report.verdict, 'rollback');
  assert.equal(report.rule, 'p99-increase');
  assert.ok(report.new.p99Ms - report.old.p99Ms > 250);
});

test('the sequential test catches a steady doubling the fixed limits miss, and not equal rates', () => {
  const doubled = traffic(300, () => ({ old: HEALTHY, new: { ...HEALTHY, errorRate: 0.04 } }));
  const report = verdictOf(doubled);
  assert.equal(report.verdict, 'rollback');
  assert.equal(report.rule, 'sequential-test');
  assert.ok(report.sequential.logLikelihoodRatio >= report.sequential.threshold);
  assert.equal(verdictOf(traffic(600, () => ({ old: HEALTHY, new: HEALTHY }))).sequential.logLikelihoodRatio, 0);
});

test('mSPRT statistic: zero when new is not worse, growing with evidence', () => {
  assert.equal(msprtLogLikelihoodRatio({ newRequests: 1000, newErrors: 10, oldRequests: 1000, oldErrors: 20 }, 0.02), 0);
  const small = msprtLogLikelihoodRatio({ newRequests: 1000, newErrors: 40, oldRequests: 1000, oldErrors: 20 }, 0.02);
  const large = msprtLogLikelihoodRatio({ newRequests: 10000, newErrors: 400, oldRequests: 10000, oldErrors: 200 }, 0.02);
  assert.ok(large > small && large > 30, `${small} ${large}`);
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
