import assert from 'node:assert/strict';
import { test } from 'node:test';
import { billableUnits, billFor, type PriceTable } from '../../src/domain/usage/billing.js';
import { billAtStep, monthOf, projectSide, projectUnits, sideShare } from '../../src/domain/usage/projection.js';

/** Agora's public RTM package, an example: $399 a month with 150 M messages, then $3 per million. */
const RTM: PriceTable = { unit: 'rtm-1kb', currency: 'USD', packageFee: 399, includedUnits: 150_000_000, overagePerUnit: 3 / 1_000_000, budget: 500 };

test('billable units: one per message, or RTM\'s 1 KB units with the send and every receive apart', () => {
  assert.equal(billableUnits('message', 5_000, 40), 1);
  assert.equal(billableUnits('rtm-1kb', 100, 1), 2, 'a small message to a user: one send, one receive');
  assert.equal(billableUnits('rtm-1kb', 1_500, 10), 22, '2 KB units to a channel of 10: 2 × 11');
  assert.equal(billableUnits('rtm-1kb', 1_024, 10), 11, 'exactly 1 KB is one unit');
  assert.equal(billableUnits('rtm-1kb', 0, 1), 2, 'an empty message still costs a unit');
});

/** The same package with its concurrent users: 2,500 included, then $30 per 1,000. */
const RTM_PCU: PriceTable = { ...RTM, includedConcurrentUsers: 2_500, overagePerConcurrentUser: 30 / 1_000 };

test('a bill: the package, then the overage per unit', () => {
  assert.deepEqual(billFor(RTM, 100_000_000), {
    units: 100_000_000, packageFee: 399, overageUnits: 0, overage: 0, peakConcurrentUsers: 0, overageConcurrentUsers: 0, concurrentUsersOverage: 0, total: 399,
  });
  const over = billFor(RTM, 200_000_000);
  assert.equal(over.overageUnits, 50_000_000);
  assert.ok(Math.abs(over.total - 549) < 1e-6, `399 + 50 M × $3/M = $549; got ${over.total}`);
});

test('a bill with concurrent users by hand: the peak past the included ones at their price, beside the units', () => {
  // 200 M units: 50 M over at $3/M = $150. A peak of 3,100: 600 over at $0.03 = $18. $399 + $150 + $18.
  const bill = billFor(RTM_PCU, 200_000_000, 3_100);
  assert.deepEqual([bill.overageConcurrentUsers, bill.peakConcurrentUsers], [600, 3_100]);
  assert.ok(Math.abs(bill.concurrentUsersOverage - 18) < 1e-9, String(bill.concurrentUsersOverage));
  assert.ok(Math.abs(bill.total - 567) < 1e-6, String(bill.total));
  assert.equal(billFor(RTM_PCU, 1_000, 2_500).total, 399, 'a peak at the included users costs nothing more');
  assert.deepEqual([billFor(RTM, 1_000, 90_000).overageConcurrentUsers, billFor(RTM, 1_000, 90_000).total], [0, 399], 'a table without a price per concurrent user does not bill them');
});

test('month-end projection by hand: 10 days in, 10 M units so far, 50 k units an hour for the 21 days left', () => {
  const now = Date.UTC(2026, 11, 11);
  assert.deepEqual(monthOf(now), { start: Date.UTC(2026, 11, 1), end: Date.UTC(2027, 0, 1) });
  assert.equal(projectUnits({ monthToDate: 10_000_000, unitsPerHour: 50_000 }, now), 10_000_000 + 50_000 * 21 * 24);
  const side = projectSide(RTM, { monthToDate: 100_000_000, unitsPerHour: 200_000, peakConcurrentUsers: 0 }, now);
  // 100 M + 200 k × 504 h = 200.8 M; over by 50.8 M at $3/M = $152.40; $551.40 > the $500 budget.
  assert.ok(Math.abs(side.monthEnd.total - 551.4) < 1e-6, String(side.monthEnd.total));
  assert.equal(side.overBudget, true);
  assert.equal(projectSide(RTM, { monthToDate: 1_000, unitsPerHour: 10, peakConcurrentUsers: 0 }, now).overBudget, false);
});

test('the month-end projection bills the peak so far, not a peak extrapolated with the hours left', () => {
  const now = Date.UTC(2026, 11, 11);
  const side = projectSide(RTM_PCU, { monthToDate: 100_000_000, unitsPerHour: 200_000, peakConcurrentUsers: 4_000 }, now);
  // Month to date: within the units, 1,500 users over at $0.03 = $45. Month end: $152.40 of units and the same $45.
  assert.ok(Math.abs(side.monthToDate.total - 444) < 1e-6, String(side.monthToDate.total));
  assert.equal(side.monthEnd.peakConcurrentUsers, 4_000);
  assert.ok(Math.abs(side.monthEnd.total - (399 + 152.4 + 45)) < 1e-6, String(side.monthEnd.total));
});

test('plan steps: each side carries its cohort, or everything while dual-writing', () => {
  assert.deepEqual([sideShare('new', 25, false), sideShare('old', 25, false), sideShare('new', 25, true), sideShare('old', 100, true)], [0.25, 0.75, 1, 1]);
  const all = 400_000_000;
  assert.equal(billAtStep(RTM, all, 'new', 25, false).units, 100_000_000);
  assert.equal(billAtStep(RTM, all, 'new', 50, false).total, 399 + 50_000_000 * 3 / 1_000_000);
  assert.equal(billAtStep(RTM, all, 'new', 50, true).units, all, 'dual-writing doubles the secondary\'s billable messages');
  // 10,000 concurrent users in the fleet: new has its cohort's share, dual-writing or not (apps log into one side).
  assert.equal(billAtStep(RTM_PCU, all, 'new', 25, false, 10_000).peakConcurrentUsers, 2_500);
  assert.equal(billAtStep(RTM_PCU, all, 'new', 50, true, 10_000).peakConcurrentUsers, 5_000);
  assert.ok(Math.abs(billAtStep(RTM_PCU, all, 'new', 50, true, 10_000).concurrentUsersOverage - 75) < 1e-9, '2,500 over at $0.03');
  assert.equal(billAtStep(RTM_PCU, all, 'old', 25, true, 10_000).peakConcurrentUsers, 7_500);
});
