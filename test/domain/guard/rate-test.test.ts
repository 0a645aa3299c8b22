import assert from 'node:assert/strict';
import { test } from 'node:test';
import { failures } from '../../../src/domain/guard/event-counts.js';
import { runEventTests } from '../../../src/domain/guard/event-test.js';
import { baselineOf } from '../../../src/domain/guard/old-baseline.js';
import { alarmThreshold, cusumStep, rateLogLikelihoodRatio, shareLogLikelihoodRatio } from '../../../src/domain/guard/rate-test.js';
import { PrefixSeries } from '../../../src/domain/guard/traffic-series.js';
import { emptyCounts, type SecondSample } from '../../../src/domain/guard/window.js';

test('the binomial log-likelihood ratio: a hand computation, negative at the reference, positive at the ratio', () => {
  // 4 failures of 100 at ×2 of 2 %: 4·ln 2 + 96·ln(0.96/0.98).
  assert.ok(Math.abs(rateLogLikelihoodRatio(4, 100, 0.02, 2) - (4 * Math.log(2) + 96 * Math.log(0.96 / 0.98))) < 1e-12);
  assert.ok(rateLogLikelihoodRatio(2, 100, 0.02, 2) < 0);
  assert.equal(rateLogLikelihoodRatio(0, 0, 0.02, 2), 0);
});

test('with bursts the negative binomial ratio weighs a burst less than the binomial does', () => {
  const binomial = rateLogLikelihoodRatio(12, 100, 0.02, 2);
  const bursty = rateLogLikelihoodRatio(12, 100, 0.02, 2, 3);
  assert.ok(bursty > 0 && bursty < binomial / 2, `${bursty} vs ${binomial}`);
  // Negative binomial, mean 2 → 4, size 2/(3−1) = 1: 12·ln(4·3/(2·5)) + 1·ln(3/5).
  assert.ok(Math.abs(bursty - (12 * Math.log(12 / 10) + Math.log(3 / 5))) < 1e-12);
});

test("new's share of the second's failures: zero evidence without failures, negative at equal shares, positive when new takes them", () => {
  assert.equal(shareLogLikelihoodRatio(0, 100, 0, 100, 2), 0);
  assert.ok(shareLogLikelihoodRatio(3, 100, 3, 100, 2) < 0);
  assert.ok(Math.abs(shareLogLikelihoodRatio(6, 100, 0, 100, 2) - 6 * Math.log((2 / 3) / 0.5)) < 1e-12);
});

test('the threshold rises with the expected failures per second and is infinite without a budget', () => {
  const low = alarmThreshold(8e-4, 0.05, 2, 1);
  const high = alarmThreshold(8e-4, 50, 2, 1);
  assert.ok(Math.abs(high - low - Math.log(1_000)) < 1e-9);
  assert.equal(alarmThreshold(0, 2, 2, 1), Number.POSITIVE_INFINITY);
  assert.equal(cusumStep(1, -5), 0);
  assert.equal(cusumStep(1, 2), 3);
});

function seconds(pattern: (s: number) => { oldErrors: number; newErrors: number }, count: number): PrefixSeries {
  const series = new PrefixSeries();
  for (let s = 0; s < count; s++) {
    const sample: SecondSample = { second: s, sides: { old: emptyCounts(), new: emptyCounts() } };
    const { oldErrors, newErrors } = pattern(s);
    sample.sides.old.requests = sample.sides.new.requests = 100;
    sample.sides.old.errors = oldErrors;
    sample.sides.new.errors = newErrors;
    series.append(sample);
  }
  return series;
}

test("old's dispersion is Pearson's statistic over its seconds (a hand computation), 1 for steady counts", () => {
  // 0 and 8 failures of 100 in turn: rate 4 %, each second (4)² / (100·0.04·0.96) = 4.1667, over n − 1 seconds.
  const bursty = seconds((s) => ({ oldErrors: s % 2 === 0 ? 0 : 8, newErrors: 0 }), 600);
  const baseline = baselineOf(failures(bursty), 0, 599, 100);
  assert.ok(Math.abs(baseline.rate - 0.04) < 1e-12);
  assert.ok(Math.abs(baseline.dispersion - (600 * (16 / 3.84)) / 599) < 1e-9, String(baseline.dispersion));
  assert.equal(baselineOf(failures(seconds(() => ({ oldErrors: 4, newErrors: 4 }), 600)), 0, 599, 100).dispersion, 1);
});

test('bursty new failures like old\'s do not fire once the dispersion is known; taken as binomial they would', () => {
  // Judged at the end of one of new's bursts. Both sides burst, new's bursts three seconds long (its failures at 1.05 × old's): a binomial reads three 14s in a row as a regression.
  const series = seconds((s) => ({ oldErrors: s % 2 === 0 ? 0 : 8, newErrors: s % 10 < 3 ? 14 : 0 }), 900);
  const baseline = baselineOf(failures(series), 0, 899, 100);
  const options = { ratios: [2], alphaPerHour: 8e-4, calibration: { againstHistory: 1, sameSecond: 1 }, reference: baseline.rate, expectedRate: baseline.rate, usualRate: baseline.rate, vetoWindows: [], vetoLookbackSeconds: 0, vetoEvidence: Number.POSITIVE_INFINITY };
  const [scaled] = runEventTests(failures(series), 600, 892, { ...options, dispersion: baseline.dispersion });
  const [naive] = runEventTests(failures(series), 600, 892, { ...options, dispersion: 1 });
  assert.ok(scaled!.statistic < scaled!.threshold, `${scaled!.statistic} < ${scaled!.threshold}`);
  assert.ok(naive!.statistic >= naive!.threshold, `${naive!.statistic} ≥ ${naive!.threshold}`);
});

test('without a reference every second is judged against old in the same second, and the run is reported', () => {
  const series = seconds((s) => ({ oldErrors: 2, newErrors: s >= 100 ? 6 : 2 }), 200);
  const [result] = runEventTests(failures(series), 0, 199, { ratios: [2], alphaPerHour: 8e-4, calibration: { againstHistory: 1, sameSecond: 1 }, reference: null, expectedRate: 0.02, usualRate: 0.02, dispersion: 1, vetoWindows: [], vetoLookbackSeconds: 0, vetoEvidence: Number.POSITIVE_INFINITY });
  assert.equal(result!.runStart, 100);
  assert.equal(result!.vetoedSeconds, 100);
  assert.deepEqual(result!.new, { requests: 10_000, events: 600 });
  // 100 seconds of 6 vs 2 failures: 100 × (6·ln(4/3) + 2·ln(2/3)).
  assert.ok(Math.abs(result!.statistic - 100 * (6 * Math.log(4 / 3) + 2 * Math.log(2 / 3))) < 1e-9);
});

test("old is moving when its rate is clearly above its own usual rate, whatever new is allowed", () => {
  // From second 50 old fails 3 of 100 a second (usually none): far under new's 10 % allowance, clearly above its own 0.
  const series = seconds((s) => ({ oldErrors: s >= 50 ? 3 : 0, newErrors: s >= 50 ? 30 : 0 }), 60);
  const options = { ratios: [3], alphaPerHour: 1e-4, calibration: { againstHistory: 1, sameSecond: 1 }, reference: 0.1, expectedRate: 0.1, dispersion: 1, vetoWindows: [{ seconds: 10, sigmas: 2 }], vetoLookbackSeconds: 0, vetoEvidence: Number.POSITIVE_INFINITY };
  const [fromHistory] = runEventTests(failures(series), 0, 59, { ...options, usualRate: 0 });
  const [fromAllowance] = runEventTests(failures(series), 0, 59, { ...options, usualRate: 0.1 });
  // Second 50: 3 of 1,000 in the window is not yet clear; from 51 on it is, and those 9 seconds are scored against old.
  assert.equal(fromHistory!.vetoedSeconds, 9);
  const expected = rateLogLikelihoodRatio(30, 100, 0.1, 3) + 9 * shareLogLikelihoodRatio(30, 100, 3, 100, 3);
  assert.ok(Math.abs(fromHistory!.statistic - expected) < 1e-9, `${fromHistory!.statistic} vs ${expected}`);
  assert.equal(fromAllowance!.vetoedSeconds, 0);
  assert.ok(Math.abs(fromAllowance!.statistic - 10 * rateLogLikelihoodRatio(30, 100, 0.1, 3)) < 1e-9);
});
