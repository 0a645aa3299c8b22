import assert from 'node:assert/strict';
import { test } from 'node:test';
import { median, medianInterval } from '../../bench/support/median-interval.js';

const ranks = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

test('median interval: the order statistics the binomial gives (12 values: the 3rd and 10th, 96 %; 100 values: the 42nd and 59th, 91 %)', () => {
  // Shuffled, so the sort is exercised: P(Bin(12, ½) ≤ 2) = 79/4096, P(≤ 3) = 299/4096 > 5 %.
  const twelve = medianInterval([7, 3, 12, 1, 9, 5, 11, 2, 8, 6, 10, 4])!;
  assert.deepEqual([twelve.median, twelve.low, twelve.high], [6.5, 3, 10]);
  assert.ok(Math.abs(twelve.coverage - (1 - (2 * 79) / 4096)) < 1e-12, String(twelve.coverage));
  const hundred = medianInterval(ranks(100).reverse())!;
  assert.deepEqual([hundred.median, hundred.low, hundred.high], [50.5, 42, 59]);
  assert.ok(hundred.coverage >= 0.9 && hundred.coverage < 0.92, String(hundred.coverage));
});

test('median interval: too few values for the level give none; a wider level widens it; outliers do not move it', () => {
  assert.equal(medianInterval(ranks(4)), null, 'P(Bin(4, ½) = 0) = 1/16 is above 5 %');
  assert.deepEqual(medianInterval(ranks(5)), { median: 3, low: 1, high: 5, coverage: 1 - 2 / 32 });
  const at90 = medianInterval(ranks(40))!;
  const at99 = medianInterval(ranks(40), 0.99)!;
  assert.ok(at99.low < at90.low && at99.high > at90.high);
  const wild = medianInterval([...ranks(39), 1e6])!;
  assert.deepEqual([wild.low, wild.high], [at90.low, at90.high], 'the largest value is not an end');
});

test('median: the middle value, or the mean of the two middle ones; NaN of nothing', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.ok(Number.isNaN(median([])));
});
