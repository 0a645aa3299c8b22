import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { OutboundMessage } from '../../src/domain/message.js';
import type { PriceTable } from '../../src/domain/usage/billing.js';
import { createLogger } from '../../src/infra/logger.js';
import { MemoryUsageStore } from '../../src/infra/memory/memory-usage-store.js';
import { UsageMeter } from '../../src/services/usage-meter.js';

const HOUR = 3_600_000;
const NEW_PRICE: PriceTable = { unit: 'rtm-1kb', currency: 'USD', packageFee: 399, includedUnits: 1_000, overagePerUnit: 0.5, budget: 450, channelReceivers: 4 };

function message(n: number, to: OutboundMessage['to'], payloadBytes: number): OutboundMessage {
  return { id: `u-${n}`, from: `sender-${n % 7}`, to, payload: 'x'.repeat(payloadBytes), sentAt: 0 };
}

test('usage meter: a seeded traffic pattern gives the month to date and the month-end bill a hand computation gives', async () => {
  let now = Date.UTC(2026, 11, 10, 22, 10);
  const store = new MemoryUsageStore();
  const meter = new UsageMeter({ store, prices: { new: NEW_PRICE }, logger: createLogger('silent'), clock: () => now });
  // Three hours (22:00, 23:00 on the 10th, 00:00 on the 11th), each: 10 small 1:1 messages and
  // 5 channel messages of 2,048 bytes stored (payload + the 80-byte envelope estimate).
  let n = 0;
  for (let hour = 0; hour < 3; hour++) {
    now = Date.UTC(2026, 11, 10, 22 + hour, 10);
    for (let i = 0; i < 10; i++) meter.delivered('new', message(n++, { type: 'user', id: `peer-${i}` }, 100));
    for (let i = 0; i < 5; i++) meter.delivered('new', message(n++, { type: 'channel', id: 'room' }, 2_048 - 80));
    await meter.flush();
  }
  now = Date.UTC(2026, 11, 11, 0, 30);
  const report = await meter.report();
  const side = report.sides.new;
  // Units per hour: 10 × (1 KB × (1 + 1)) + 5 × (2 KB × (1 + 4)) = 20 + 50 = 70; three hours = 210.
  assert.deepEqual([side.messages, side.units, side.bytes], [45, 210, 3 * (10 * 180 + 5 * 2_048)]);
  // Rate: 210 units over the last 5.5 hours (five whole ones and the current half).
  assert.ok(Math.abs(side.unitsPerHour - 210 / 5.5) < 1e-9, String(side.unitsPerHour));
  // Month end: 210 + 38.18… × 503.5 hours left (to 1 January) = 19,434.5 units; 18,434.5 over at $0.50.
  const units = 210 + (210 / 5.5) * 503.5;
  assert.ok(Math.abs(side.projection!.monthEnd.units - units) < 1e-6);
  assert.ok(Math.abs(side.projection!.monthEnd.total - (399 + (units - 1_000) * 0.5)) < 1e-6);
  assert.equal(side.projection!.monthToDate.total, 399, 'under the included units so far');
  assert.equal(side.projection!.overBudget, true, 'the projection passes the $450 budget');
  // The steps: every message once at new's 210 / 45 units a message, for the 744 hours of December.
  const all = (45 / 5.5) * 744 * (210 / 45);
  const at = (percent: number, dualWriting: boolean) => side.projection!.steps.find((s) => s.percent === percent && s.dualWriting === dualWriting)!.bill.units;
  assert.ok(Math.abs(at(25, false) - all * 0.25) < 1e-6);
  assert.ok(Math.abs(at(25, true) - all) < 1e-6, 'dual-writing: new carries every message');
  assert.deepEqual([side.activeUsers.today, side.activeUsers.month], [7 + 10, 7 + 10], 'seven senders and ten peers');
  assert.equal(report.sides.old.price, null);
  assert.equal(report.sides.old.projection, null, 'a side without a price table is metered, not priced');
});

test('usage meter: counts the store did not take are kept and sent with the next flush', async () => {
  const store = new MemoryUsageStore();
  let fail = true;
  const flaky = { ...store, add: (batches: Parameters<MemoryUsageStore['add']>[0]) => (fail ? Promise.reject(new Error('Redis away')) : store.add(batches)), hours: store.hours.bind(store), activeUsers: store.activeUsers.bind(store) };
  const meter = new UsageMeter({ store: flaky, prices: {}, logger: createLogger('silent'), clock: () => Date.UTC(2026, 11, 1, 12) });
  meter.delivered('old', message(1, { type: 'user', id: 'b' }, 10));
  await meter.flush();
  meter.delivered('old', message(2, { type: 'user', id: 'b' }, 10));
  fail = false;
  await meter.flush();
  const report = await meter.report();
  assert.equal(report.sides.old.messages, 2);
});

test('usage meter: failed sends by class and slow ones feed the SLA report; a side without an SLA has none', async () => {
  const store = new MemoryUsageStore();
  const meter = new UsageMeter({ store, prices: {}, slas: { new: { availability: 99, latencyMs: 200, latencyPercent: 90 } }, logger: createLogger('silent'), clock: () => Date.UTC(2026, 11, 2, 8) });
  for (let i = 0; i < 97; i++) meter.delivered('new', message(i, { type: 'user', id: 'b' }, 10), i < 10 ? 0.5 : 0.01);
  meter.failed('new', 'timeout');
  meter.failed('new', 'vendor_error');
  meter.failed('new', 'vendor_error');
  meter.failed('new', 'rejected');
  await meter.flush();
  const { sla } = (await meter.report()).sides.new;
  assert.ok(sla);
  assert.deepEqual([sla.sends, sla.failed, sla.failedByClass.rejected], [100, 3, 1], 'the 4xx is not a send the vendor failed');
  assert.equal(sla.availability, 0.97);
  assert.equal(sla.met, false, '97 % against 99 %');
  assert.equal(sla.latency.slow, 10);
  assert.ok(Math.abs(sla.latency.withinShare! - 87 / 97) < 1e-9);
  assert.equal(sla.latency.met, false);
  assert.equal((await meter.report()).sides.old.sla, null);
});
