import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Redis } from 'ioredis';
import type { Side } from '../../src/domain/message.js';
import { MemoryUsageStore } from '../../src/infra/memory/memory-usage-store.js';
import { RedisKeys } from '../../src/infra/redis/keys.js';
import { RedisUsageStore } from '../../src/infra/redis/redis-usage-store.js';
import { defineScripts } from '../../src/infra/redis/scripts.js';
import { emptyHour, type UsageBatch, type UsageStore } from '../../src/services/ports/usage-store.js';
import { RedisServer } from '../support/redis-server.js';

let server: RedisServer;
let redis: Redis;
before(async () => {
  server = await RedisServer.start();
  redis = new Redis(server.url);
  defineScripts(redis);
});
after(async () => {
  redis.disconnect();
  await server.destroy();
});

const HOUR = Math.floor(Date.UTC(2026, 11, 1, 9) / 3_600_000);

function batch(hour: number, messages: number, users: string[]): UsageBatch {
  const old = { ...emptyHour(), messages, units: messages * 2, bytes: messages * 100, slow: messages > 0 ? 1 : 0, imported: { messages: 1, bytes: messages * 10, units: messages } };
  old.failures = { ...old.failures, timeout: messages > 0 ? 2 : 0, vendor_error: 1 };
  return { hour, sides: { old, new: emptyHour() }, users: { old: users, new: [] }, online: [] };
}

/** Nothing but the users one instance saw online in `minute` (of `HOUR` unless told). */
function online(minute: number, users: Partial<Record<Side, string[]>>, hour = HOUR): UsageBatch {
  return { hour, sides: { old: emptyHour(), new: emptyHour() }, users: { old: [], new: [] }, online: [{ minute: hour * 60 + minute, users: { old: users.old ?? [], new: users.new ?? [] } }] };
}

test('usage store: two instances\' counts of the same hour add up, and each hour stays apart', async () => {
  const keys = new RedisKeys('usage-sum');
  const a = new RedisUsageStore(redis, keys);
  const b = new RedisUsageStore(redis, keys);
  await a.add([batch(HOUR, 10, ['u1']), batch(HOUR + 1, 3, ['u2'])]);
  await b.add([batch(HOUR, 5, ['u1', 'u3'])]);
  const hours = await a.hours(HOUR - 1, HOUR + 2);
  assert.deepEqual([...hours.keys()], [HOUR, HOUR + 1]);
  assert.deepEqual(hours.get(HOUR)!.old, {
    messages: 15, units: 30, bytes: 1_500, slow: 2, failures: { timeout: 4, unavailable: 0, vendor_error: 2, rejected: 0 },
    peakConcurrentUsers: 0, imported: { messages: 2, bytes: 150, units: 15 },
  });
  assert.deepEqual(hours.get(HOUR)!.new, emptyHour());
  assert.deepEqual(await b.activeUsers('old', '2026-12-01', '2026-12'), { day: 3, month: 3 });
  assert.ok((await redis.ttl(keys.usageHour(HOUR))) > 30 * 86_400, 'kept past the billing month');
});

test('usage store: distinct users of a month are estimated within 2 % at 100,000 users, sent by two instances that overlap', async () => {
  const keys = new RedisKeys('usage-hll');
  const stores = [new RedisUsageStore(redis, keys), new RedisUsageStore(redis, keys)];
  const users = Array.from({ length: 100_000 }, (_, i) => `user-${i}`);
  // Each instance sees 60 % of the users, 20 % of them both; flushes of 5,000 at a time.
  for (let from = 0; from < 60_000; from += 5_000) {
    await stores[0]!.add([batch(HOUR, 0, users.slice(from, from + 5_000))]);
    await stores[1]!.add([batch(HOUR + 30, 0, users.slice(40_000 + from, 40_000 + from + 5_000))]);
  }
  const { month } = await stores[0]!.activeUsers('old', '2026-12-01', '2026-12');
  assert.ok(Math.abs(month - 100_000) / 100_000 <= 0.02, `estimate ${month} for 100,000`);
  assert.ok(Number(await redis.memory('USAGE', keys.activeUsers('old', '2026-12'))) < 20_000, 'a HyperLogLog: bounded memory (12 KB), not a set of 100,000');
});

const TWINS: Array<[string, () => [UsageStore, UsageStore]]> = [
  ['redis', () => {
    const keys = new RedisKeys('usage-online');
    return [new RedisUsageStore(redis, keys), new RedisUsageStore(redis, keys)];
  }],
  // In memory there is one instance: both "instances" add to the same store.
  ['memory', () => {
    const store = new MemoryUsageStore();
    return [store, store];
  }],
];

for (const [name, make] of TWINS) {
  test(`usage store (${name}): an hour's peak is the largest minute's users over both instances, not a sum, not the hour's users, not one instance's; adding again changes nothing`, async () => {
    const [a, b] = make();
    // Minute 5: a sees u1..u3, b sees u3, u4: the union is 4 (a sum would say 5, one instance 3).
    await a.add([online(5, { old: ['u1', 'u2', 'u3'], new: ['n1'] })]);
    await b.add([online(5, { old: ['u3', 'u4'], new: ['n1'] })]);
    // Minute 6: a sees u1..u4, b u4..u6: the union is 6 (a sum 7, one instance 4).
    await b.add([online(6, { old: ['u4', 'u5', 'u6'] })]);
    await a.add([online(6, { old: ['u1', 'u2', 'u3', 'u4'] })]);
    // Minute 7: one user on old (a later, smaller minute lowers nothing), three on new.
    await a.add([online(7, { old: ['u7'] })]);
    await b.add([online(7, { new: ['n1', 'n2', 'n3'] })]);
    // The next hour: one user.
    await a.add([online(0, { old: ['u1'] }, HOUR + 1)]);
    const peaks = async () => [...(await a.hours(HOUR, HOUR + 1)).values()].map((h) => [h.old.peakConcurrentUsers, h.new.peakConcurrentUsers]);
    // The hour's users are u1..u7 (7): a peak over the hour's users, not its minutes, would say so.
    assert.deepEqual(await peaks(), [[6, 3], [1, 0]]);

    // Both instances send their minutes again (a flush retried after a lost reply), in another order.
    await b.add([online(6, { old: ['u4', 'u5', 'u6'] }), online(5, { old: ['u3', 'u4'], new: ['n1'] })]);
    await a.add([online(5, { old: ['u1', 'u2', 'u3'], new: ['n1'] }), online(7, { old: ['u7'] })]);
    assert.deepEqual(await peaks(), [[6, 3], [1, 0]], 'computed again by both instances: the same peaks');
    assert.deepEqual((await b.hours(HOUR, HOUR)).get(HOUR)!.old.messages, 0, 'users online add no messages');
  });
}

test('usage store (redis): a minute\'s users expire within hours, and its peak field lives with the hour', async () => {
  const keys = new RedisKeys('usage-online-ttl');
  await new RedisUsageStore(redis, keys).add([online(9, { new: ['n1'] })]);
  const ttl = await redis.ttl(keys.usersOnline('new', HOUR * 60 + 9));
  assert.ok(ttl > 0 && ttl <= 3 * 3_600, `minute kept ${ttl} s`);
  assert.equal(await redis.hget(keys.usageHour(HOUR), 'new:peak'), '1');
  assert.ok((await redis.ttl(keys.usageHour(HOUR))) > 30 * 86_400, 'an hour holding only a peak is kept like any other');
  // More users in one minute than one Lua unpack() takes: added in slices, counted within 2 %.
  await new RedisUsageStore(redis, keys).add([online(10, { new: Array.from({ length: 20_000 }, (_, i) => `user-${i}`) })]);
  const peak = (await new RedisUsageStore(redis, keys).hours(HOUR, HOUR)).get(HOUR)!.new.peakConcurrentUsers;
  assert.ok(Math.abs(peak - 20_000) / 20_000 <= 0.02, `peak ${peak} for 20,000`);
});
