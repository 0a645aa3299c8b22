import assert from 'node:assert/strict';
import { test } from 'node:test';
import { slaReport, type HourSends } from '../../src/domain/usage/sla.js';

const OBJECTIVE = { availability: 99.9, latencyMs: 500, latencyPercent: 99 };
const hour = (n: number, succeeded: number, failures: Partial<HourSends['failures']> = {}, slow = 0): HourSends => ({
  hour: n, succeeded, slow, failures: { timeout: 0, unavailable: 0, vendor_error: 0, rejected: 0, ...failures },
});

test('sla: availability, the error budget left and the downtime of a month, by hand', () => {
  // 3 hours: clean; 10 % failing; half down. 4xx refusals are the caller's and never count.
  const report = slaReport(OBJECTIVE, [
    hour(100, 10_000, { rejected: 500 }),
    hour(101, 9_000, { timeout: 600, vendor_error: 400 }, 50),
    hour(102, 5_000, { unavailable: 5_000 }),
  ]);
  assert.equal(report.sends, 30_000);
  assert.equal(report.failed, 6_000);
  assert.deepEqual(report.failedByClass, { timeout: 600, unavailable: 5_000, vendor_error: 400, rejected: 500 });
  assert.equal(report.availability, 0.8);
  assert.equal(report.met, false);
  // The budget: 0.1 % of 30,000 sends = 30 failures allowed; 6,000 used.
  assert.ok(Math.abs(report.errorBudget.allowed - 30) < 1e-9);
  assert.ok(Math.abs(report.errorBudget.left - (30 - 6_000)) < 1e-9);
  // Downtime: 0 + 10 % of 60 + 50 % of 60 = 36 minutes.
  assert.ok(Math.abs(report.downtimeMinutes - 36) < 1e-9);
  assert.deepEqual(report.worstHours.map((h) => [h.hour, h.failedShare]), [[102, 0.5], [101, 0.1]]);
  // Latency: 50 slow of 24,000 succeeded: 99.79 % within 500 ms, over the 99 % objective.
  assert.equal(report.latency.slow, 50);
  assert.equal(report.latency.met, true);
});

test('sla: a clean month meets it, and with no sends the availability is unknown, not 0', () => {
  assert.equal(slaReport(OBJECTIVE, [hour(1, 1_000)]).met, true);
  const empty = slaReport(OBJECTIVE, []);
  assert.deepEqual([empty.availability, empty.met, empty.errorBudget.leftShare], [null, true, null]);
});
