import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { OutboundMessage } from '../../src/domain/message.js';
import type { PriceTable } from '../../src/domain/usage/billing.js';
import { createLogger } from '../../src/infra/logger.js';
import { MemoryUsageStore } from '../../src/infra/memory/memory-usage-store.js';
import { UsageMeter } from '../../src/services/usage-meter.js';
import { signWebhook } from '../../src/domain/bridge/webhook-signature.js';
import { buildCutover, canaryAt, until } from '../support/build-app.js';
import { awayFromMinuteEnd } from '../support/same-minute.js';

const HOUR = 3_600_000;
const NEW_PRICE: PriceTable = { unit: 'rtm-1kb', currency: 'USD', packageFee: 399, includedUnits: 1_000, overagePerUnit: 0.5, budget: 450, channelReceivers: 4 };

function message(n: number, to: OutboundMessage['to'], payloadBytes: number): OutboundMessage {
  return { id: `u-${n}`, from: `sender-${n % 7}`, to, payload: 'x'.repeat(payloadBytes), sentAt: 0 };
}

/** What the gateway tells the meter of a message taken for new alone: accepted, then new's write. */
function took(meter: UsageMeter, taken: OutboundMessage, now: number): void {
  meter.accepted(taken, 'new', null, now);
  meter.delivered('new', taken, 0, now);
}

test('usage meter: a seeded traffic pattern gives the month to date and the month-end bill a hand computation gives', async () => {
  let now = Date.UTC(2026, 11, 10, 22, 10);
  const store = new MemoryUsageStore();
  const meter = new UsageMeter({ store, prices: { new: NEW_PRICE }, logger: createLogger('silent'), cohortOf: () => 'new', clock: () => now });
  // Three hours (22:00, 23:00 on the 10th, 00:00 on the 11th), each: 10 small 1:1 messages and
  // 5 channel messages of 2,048 bytes stored (payload + the 80-byte envelope estimate).
  let n = 0;
  for (let hour = 0; hour < 3; hour++) {
    now = Date.UTC(2026, 11, 10, 22 + hour, 10);
    for (let i = 0; i < 10; i++) took(meter, message(n++, { type: 'user', id: `peer-${i}` }, 100), now);
    for (let i = 0; i < 5; i++) took(meter, message(n++, { type: 'channel', id: 'room' }, 2_048 - 80), now);
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
  const meter = new UsageMeter({ store: flaky, prices: {}, logger: createLogger('silent'), cohortOf: () => 'new', clock: () => Date.UTC(2026, 11, 1, 12) });
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
  const meter = new UsageMeter({ store, prices: {}, slas: { new: { availability: 99, latencyMs: 200, latencyPercent: 90 } }, logger: createLogger('silent'), cohortOf: () => 'new', clock: () => Date.UTC(2026, 11, 2, 8) });
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

test('usage meter: the peak is the most users seen online in one minute, with its hour; recipients and writes add nobody online', async () => {
  let now = Date.UTC(2026, 11, 10, 14, 5, 10);
  const cohorts: Record<string, 'old' | 'new'> = { alice: 'new', bob: 'new', carol: 'old', dave: 'new', frank: 'new' };
  const meter = new UsageMeter({ store: new MemoryUsageStore(), prices: {}, logger: createLogger('silent'), cohortOf: (id) => cohorts[id]!, clock: () => now });
  const to = (id: string) => ({ type: 'user' as const, id });
  // Sent through the API: each sender online on their cohort's side, whichever side the message is written to.
  meter.accepted({ id: 'a-1', from: 'alice', to: to('carol'), payload: 'hi', sentAt: now }, 'old', null, now);
  meter.accepted({ id: 'a-2', from: 'alice', to: to('bob'), payload: 'hi', sentAt: now }, 'new', 'old', now);
  meter.accepted({ id: 'b-1', from: 'bob', to: to('erin'), payload: 'hi', sentAt: now }, 'new', null, now);
  meter.accepted({ id: 'c-1', from: 'carol', to: { type: 'channel', id: 'room' }, payload: 'hi', sentAt: now }, 'old', 'new', now);
  // Writes of a message count what the side took, nobody online.
  meter.delivered('new', { id: 'd-1', from: 'dave', to: to('erin'), payload: 'hi', sentAt: now }, 0, now);
  meter.delivered('old', { id: 'd-1', from: 'dave', to: to('erin'), payload: 'hi', sentAt: now }, 0, now);
  await meter.flush();
  // The next minute, alice alone; an hour later, one user: neither is the peak.
  now = Date.UTC(2026, 11, 10, 14, 6, 0);
  meter.accepted({ id: 'a-3', from: 'alice', to: to('bob'), payload: 'hi', sentAt: now }, 'new', null, now);
  now = Date.UTC(2026, 11, 10, 15, 30);
  meter.accepted({ id: 'f-1', from: 'frank', to: to('bob'), payload: 'hi', sentAt: now }, 'new', null, now);
  await meter.flush();
  const report = await meter.report();
  assert.deepEqual(report.sides.new.peakConcurrentUsers, { users: 2, hour: '2026-12-10T14:00:00.000Z' }, 'alice and bob');
  assert.deepEqual(report.sides.old.peakConcurrentUsers, { users: 1, hour: '2026-12-10T14:00:00.000Z' }, 'carol');
  // Active: the parties of what each side was given (a channel's sender alone), not dave's writes.
  assert.equal(report.sides.new.activeUsers.today, ['alice', 'bob', 'erin', 'carol', 'frank'].length);
  assert.equal(report.sides.old.activeUsers.today, ['alice', 'carol', 'bob'].length);
  assert.deepEqual([report.sides.new.messages, report.sides.old.messages], [1, 1], 'the writes are the messages counted');
});

test('usage meter: a sender\'s cohort is looked up once a minute, however many messages they send', () => {
  let now = Date.UTC(2026, 11, 10, 14, 5, 10);
  const looked: string[] = [];
  const meter = new UsageMeter({ store: new MemoryUsageStore(), prices: {}, logger: createLogger('silent'), cohortOf: (id) => (looked.push(id), 'old'), clock: () => now });
  const send = (from: string) => meter.accepted({ id: `${from}-${now}`, from, to: { type: 'user', id: 'zed' }, payload: 'hi', sentAt: now }, 'old', 'new', now);
  for (let i = 0; i < 5; i++) send('alice');
  send('bob');
  assert.deepEqual(looked, ['alice', 'bob']);
  now = Date.UTC(2026, 11, 10, 14, 6, 0);
  send('alice');
  assert.deepEqual(looked, ['alice', 'bob', 'alice'], 'a new minute');
});

test('usage meter: a user active in one hour is counted again in the next, so a new day counts them too', async () => {
  let now = Date.UTC(2026, 11, 10, 23, 58);
  const meter = new UsageMeter({ store: new MemoryUsageStore(), prices: {}, logger: createLogger('silent'), cohortOf: () => 'old', clock: () => now });
  const send = (id: string) => meter.accepted({ id, from: 'ann', to: { type: 'user', id: 'ben' }, payload: 'hi', sentAt: now }, 'old', null, now);
  send('m-1');
  now = Date.UTC(2026, 11, 10, 23, 59);
  send('m-2');
  now = Date.UTC(2026, 11, 11, 0, 1);
  send('m-3');
  await meter.flush();
  const active = (await meter.report()).sides.old.activeUsers;
  assert.deepEqual([active.today, active.month], [2, 2], 'ann and ben, on the 11th as on the 10th');
});

test('usage meter: a bridged sender is online on the side whose SDK sent; the parties are active on the side it crosses to', async () => {
  const now = Date.UTC(2026, 11, 10, 14, 5, 10);
  const meter = new UsageMeter({ store: new MemoryUsageStore(), prices: {}, logger: createLogger('silent'), cohortOf: () => 'new', clock: () => now });
  // Ann is online on new through the API and, in the same minute, sends through old's SDK too.
  meter.accepted({ id: 'a-1', from: 'ann', to: { type: 'user', id: 'ben' }, payload: 'hi', sentAt: now }, 'new', null, now);
  meter.bridged({ id: 'a-2', from: 'ann', to: { type: 'user', id: 'cat' }, payload: 'hi', sentAt: now }, 'old', 'new', now);
  // Not crossing (its recipient is on old alone): online, nobody active by it.
  meter.bridged({ id: 'd-1', from: 'dan', to: { type: 'user', id: 'eve' }, payload: 'hi', sentAt: now }, 'old', null, now);
  await meter.flush();
  const report = await meter.report();
  assert.equal(report.sides.old.peakConcurrentUsers.users, 2, 'ann and dan');
  assert.equal(report.sides.new.peakConcurrentUsers.users, 1, 'ann');
  assert.equal(report.sides.new.activeUsers.today, ['ann', 'ben', 'cat'].length);
  assert.equal(report.sides.old.activeUsers.today, 0, 'what old\'s SDK sent, Cutover did not write there');
});

test('usage meter: imports are history storage apart from the sends; only what an import published is billed, and not extrapolated', async () => {
  const now = Date.UTC(2026, 11, 10, 12);
  const meter = new UsageMeter({ store: new MemoryUsageStore(), prices: { new: NEW_PRICE }, logger: createLogger('silent'), cohortOf: () => 'new', clock: () => now });
  const group = { type: 'channel' as const, id: 'g-1' };
  const pair = { type: 'user' as const, a: 'ann', b: 'ben' };
  // Stored bytes: payload + 80. Group: 180 + 280 + 380 = 840, all created, published as batches of 2,048 and 500 bytes.
  const groupMessages = [100, 200, 300].map((bytes, i) => message(i, { type: 'channel', id: 'g-1' }, bytes));
  meter.imported('new', group, groupMessages, { created: 3, existing: 0, published: [2_048, 500] });
  // A pair's call the side answered 1 created, 3 existing (counts only): a quarter of its 4 × 180 bytes.
  const pairMessages = [0, 1, 2, 3].map((i) => message(10 + i, { type: 'user', id: 'ben' }, 100));
  meter.imported('new', pair, pairMessages, { created: 1, existing: 3 });
  // A side whose import stores only (no `published`): storage, no units.
  meter.imported('new', pair, [message(20, { type: 'user', id: 'ben' }, 20)], { created: 1, existing: 0 });
  // Everything held already: nothing.
  meter.imported('new', group, groupMessages, { created: 0, existing: 3, published: [] });
  await meter.flush();
  const side = (await meter.report()).sides.new;
  // Units: a group batch reaches its 4 receivers: 2 KB × 5 + 1 KB × 5 = 15; the pair's archive has none.
  assert.deepEqual(side.imported, { messages: 5, bytes: 840 + 180 + 100, units: 15 });
  assert.deepEqual([side.messages, side.units, side.bytes], [0, 15, 1_120], 'in the units and storage, not in the sends');
  assert.equal(side.unitsPerHour, 0, 'the rate is the sends\': a one-off import is not extrapolated');
  assert.equal(side.projection!.monthEnd.units, 15);
  assert.equal(side.sla, null);
});

test('usage meter, through the gateway: a sender is online on their cohort\'s side, a bridged sender on the side whose SDK sent; recipients and secondary writes count nobody', async (t) => {
  const secret = 'new-side-webhook-secret';
  const cutover = await buildCutover(t, { 'bridge.new.secret': secret });
  await canaryAt(cutover, 50);
  const cohortOf = (id: string) => cutover.services.router.route({ type: 'user', id }).cohort;
  const pick = (cohort: 'old' | 'new', n: number, prefix: string) => Array.from({ length: 200 }, (_, i) => `${prefix}-${i}`).filter((id) => cohortOf(id) === cohort).slice(0, n);
  const [oldSender1, oldSender2] = pick('old', 2, 'sender');
  const [newRecipient] = pick('new', 1, 'to');
  const [oldRecipient] = pick('old', 1, 'to');
  // Its cohort is old, but its app sent through new's SDK (one that has not followed its flag yet).
  const [sdkSender] = pick('old', 1, 'sdk');

  const minute = await awayFromMinuteEnd(10_000);
  const send = (id: string, from: string, to: string) => cutover.app.inject({ method: 'POST', url: '/v1/messages', payload: { id, from, to: { type: 'user', id: to }, payload: 'hi' } });
  // Primary on new (the recipient's cohort), secondary on old: the sender is online on old only.
  assert.equal((await send('pcu-1', oldSender1!, newRecipient!)).statusCode, 201);
  // Primary on old, secondary on new.
  assert.equal((await send('pcu-2', oldSender2!, oldRecipient!)).statusCode, 201);
  const body = JSON.stringify({ type: 'message.sent', eventId: 'e-pcu-3', message: { id: 'pcu-3', from: sdkSender, to: { type: 'user', id: oldRecipient }, payload: 'hi', sentAt: Date.now() } });
  const ts = String(Date.now());
  const bridged = await cutover.app.inject({
    method: 'POST', url: '/v1/bridge/new/events', payload: body,
    headers: { 'content-type': 'application/json', 'x-im-timestamp': ts, 'x-im-signature': signWebhook(secret, ts, body) },
  });
  assert.equal(bridged.statusCode, 201, bridged.body);
  // Every secondary and the bridged write delivered before the counts are taken.
  const [oldSide, newSide] = [cutover.services.memorySide('old')!, cutover.services.memorySide('new')!];
  await until(() => ['pcu-1', 'pcu-2', 'pcu-3'].every((id) => oldSide.has(id)) && ['pcu-1', 'pcu-2'].every((id) => newSide.has(id)), 5_000, 'every write delivered');
  assert.equal(Math.floor(Date.now() / 60_000), minute, 'the sends fell in one minute');

  await cutover.services.usage.flush();
  const report = await cutover.services.usage.report();
  assert.equal(report.sides.old.peakConcurrentUsers.users, 2, 'the two senders whose cohort is old, not their recipients, nor the bridged sender the outbox wrote to old');
  assert.equal(report.sides.new.peakConcurrentUsers.users, 1, 'the bridged sender, not the primary or secondary writes new took');
  // Active: the parties of every message a side was given, the bridged one on old, where it crossed to.
  assert.equal(report.sides.new.activeUsers.today, 4, 'pcu-1 and pcu-2: both senders and both recipients');
  assert.equal(report.sides.old.activeUsers.today, 5, 'the same four and the bridged sender');
});
