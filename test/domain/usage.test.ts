import assert from 'node:assert/strict';
import { test } from 'node:test';
import { billableUnits, billFor, type PriceTable } from '../../src/domain/usage/billing.js';
import { billAtStep, monthOf, projectSide, projectUnits, sideShare } from '../../src/domain/usage/projection.js';

/** The public RTM example from FACTS.md: $399 a month with 150 M messages, then $3 per million. */
const RTM: PriceTable = { unit: 'rtm-1kb', currency: 'USD', packageFee: 399, includedUnits: 150_000_000, overagePerUnit: 3 / 1_000_000, budget: 500 };

test('billable units: one per message, or RTM\'s 1 KB units with the send and every receive apart', () => {
  assert.equal(billableUnits('message', 5_000, 40), 1);
  assert.equal(billableUnits('rtm-1kb', 100, 1), 2, 'a small message to a user: one send, one receive');
  assert.equal(billableUnits('rtm-1kb', 1_500, 10), 22, '2 KB units to a channel of 10: 2 × 11');
  assert.equal(billableUnits('rtm-1kb', 1_024, 10), 11, 'exactly 1 KB is one unit');
  assert.equal(billableUnits('rtm-1kb', 0, 1), 2, 'an empty message still costs a unit');
});

test('a bill: the package, then the overage per unit', () => {
  assert.deepEqual(billFor(RTM, 100_000_000), { units: 100_000_000, packageFee: 399, overageUnits: 0, overage: 0, total: 399 });
  const over = billFor(RTM, 200_000_000);
  assert.equal(over.overageUnits, 50_000_000);
  assert.ok(Math.abs(over.total - 549) < 1e-6, `399 + 50 M × $3/M = $549; got ${over.total}`);
});

test('month-end projection by hand: 10 days in, 10 M units so far, 50 k units an hour for the 21 days left', () => {
  const now = Date.UTC(2026, 11, 11);
  assert.deepEqual(monthOf(now), { start: Date.UTC(2026, 11, 1), end: Date.UTC(2027, 0, 1) });
  assert.equal(projectUnits({ monthToDate: 10_000_000, unitsPerHour: 50_000 }, now), 10_000_000 + 50_000 * 21 * 24);
  const side = projectSide(RTM, { monthToDate: 100_000_000, unitsPerHour: 200_000 }, now);
  // 100 M + 200 k × 504 h = 200.8 M; over by 50.8 M at $3/M = $152.40; $551.40 > the $500 budget.
  assert.ok(Math.abs(side.monthEnd.total - 551.4) < 1e-6, String(side.monthEnd.total));
  assert.equal(side.overBudget, true);
  assert.equal(projectSide(RTM, { monthToDate: 1_000, unitsPerHour: 10 }, now).overBudget, false);
});

test('plan steps: each side carries its cohort, or everything while dual-writing', () => {
  assert.deepEqual([sideShare('new', 25, false), sideShare('old', 25, false), sideShare('new', 25, true), sideShare('old', 100, true)], [0.25, 0.75, 1, 1]);
  const all = 400_000_000;
  assert.equal(billAtStep(RTM, all, 'new', 25, false).units, 100_000_000);
  assert.equal(billAtStep(RTM, all, 'new', 50, false).total, 399 + 50_000_000 * 3 / 1_000_000);
  assert.equal(billAtStep(RTM, all, 'new', 50, true).units, all, 'dual-writing doubles the secondary\'s billable messages');
});
