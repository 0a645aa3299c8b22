import assert from 'node:assert/strict';
import { test } from 'node:test';
import { awayFromMinuteEnd } from '../support/same-minute.js';
import { driveToCanary, eventually, onBothSides, startStack, TOKEN } from '../support/stack.js';

const RECEIVERS = 3;
const BILLING = {
  old: { unit: 'message', currency: 'EUR', packageFee: 100, includedUnits: 1_000_000, overagePerUnit: 0.001 },
  new: { unit: 'rtm-1kb', currency: 'USD', packageFee: 399, includedUnits: 100, overagePerUnit: 0.01, budget: 400, channelReceivers: RECEIVERS },
};

test('usage: two gateways meter, fleet-wide in Redis, exactly what each simulated side stored, in its units (RTM 1 KB units with channel fan-out), and the senders online per cohort; the budget is crossed', async (t) => {
  const stack = await startStack(t, { CUTOVER_BILLING: JSON.stringify(BILLING), CUTOVER_GUARD_ENABLED: 'false' });
  const [a, b] = [await stack.startGateway(), await stack.startGateway()];
  const usage = async () => (await a.request('GET', '/admin/usage', undefined, TOKEN)).body;
  const before = await usage();
  assert.equal(before.sides.new.projection.overBudget, false, 'no traffic yet: the $399 package is under the $400 budget');

  await driveToCanary(a, 50);
  const cohorts = await Promise.all(Array.from({ length: 40 }, async (_, k) => (await a.request('GET', `/v1/route/u${k}`)).body.cohort as 'old' | 'new'));
  const sent: Array<{ id: string; channel: boolean }> = [];
  // Every send in one minute: the peak of each side is then its cohort's senders, all forty of them sending.
  const minute = await awayFromMinuteEnd(20_000);
  for (let i = 0; i < 360; i++) {
    const channel = i % 6 === 0;
    const id = `use-${i}`;
    // Payloads of 1 to ~3,000 bytes, so messages span one to three 1 KB units.
    const payload = 'p'.repeat(1 + ((i * 577) % 3_000));
    // Rounds of the forty senders alternate between the gateways: each gateway sees every sender.
    const res = await (Math.floor(i / 40) % 2 === 0 ? a : b).request('POST', '/v1/messages', { id, from: `u${i % 40}`, to: channel ? { type: 'channel', id: `room-${i % 3}` } : { type: 'user', id: `u${(i + 1) % 40}` }, payload });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    sent.push({ id, channel });
  }
  assert.equal(Math.floor(Date.now() / 60_000), minute, 'the sends fell in one minute');
  await onBothSides(stack, sent.map((s) => s.id), 15_000);
  // The meters flush every 5 s: wait until both gateways' counts are in.
  await eventually(async () => (await usage()).sides.old.messages === sent.length && (await usage()).sides.new.messages === sent.length, 20_000, 'both gateways flushed');

  const report = await usage();
  const channelIds = new Set(sent.filter((s) => s.channel).map((s) => s.id));
  const payloads = (await stack.fresh.payloads()).filter((p) => p.id.startsWith('use-'));
  assert.equal(payloads.length, sent.length);
  const expectedNewUnits = payloads.reduce((sum, p) => sum + Math.max(1, Math.ceil((Buffer.byteLength(p.payload) + 80) / 1024)) * (1 + (channelIds.has(p.id) ? RECEIVERS : 1)), 0);
  assert.equal(report.sides.new.units, expectedNewUnits, 'new: 1 KB units, the send and each receive (a channel reaches 3)');
  assert.equal(report.sides.old.units, (await stack.old.payloads()).filter((p) => p.id.startsWith('use-')).length, 'old: one unit per message it stored');
  assert.equal(report.sides.new.bytes, payloads.reduce((sum, p) => sum + Buffer.byteLength(p.payload) + 80, 0), 'history storage written');
  assert.equal(report.sides.old.activeUsers.month, 40, 'forty distinct users (HyperLogLog: exact this small)');
  // Senders only, on their own cohort's side (a primary follows the recipient; recipients and secondaries count nobody).
  const onOld = cohorts.filter((c) => c === 'old').length;
  assert.ok(onOld > 0 && onOld < 40, `both cohorts send (${onOld} of 40 on old)`);
  assert.equal(report.sides.old.peakConcurrentUsers.users, onOld, 'old: the senders whose cohort is old, over both gateways');
  assert.equal(report.sides.new.peakConcurrentUsers.users, 40 - onOld, 'new: the senders whose cohort is new');
  assert.equal(report.sides.new.projection.monthEnd.peakConcurrentUsers, 40 - onOld, 'the month end bills the peak so far');
  assert.equal(report.sides.new.projection.overBudget, true, 'the rate, extrapolated to the month end, passes the budget');
  assert.equal(report.sides.old.projection.monthToDate.total, 100, 'old: within its package');
  t.diagnostic(`new: ${report.sides.new.units} units this month, ${report.sides.new.projection.monthEnd.total.toFixed(2)} USD projected at the month end`);
});
