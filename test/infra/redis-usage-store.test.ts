import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Redis } from 'ioredis';
import { RedisKeys } from '../../src/infra/redis/keys.js';
import { RedisUsageStore } from '../../src/infra/redis/redis-usage-store.js';
import { emptyHour, type UsageBatch } from '../../src/services/ports/usage-store.js';
import { RedisServer } from '../support/redis-server.js';

let server: RedisServer;
let redis: Redis;
before(async () => {
  server = await RedisServer.start();
  redis = new Redis(server.url);
});
after(async () => {
  redis.disconnect();
  await server.destroy();
});

const HOUR = Math.floor(Date.UTC(2026, 11, 1, 9) / 3_600_000);

function batch(hour: number, messages: number, users: string[]): UsageBatch {
  const old = { ...emptyHour(), messages, units: messages * 2, bytes: messages * 100, slow: messages > 0 ? 1 : 0 };
  old.failures = { ...old.failures, timeout: messages > 0 ? 2 : 0, vendor_error: 1 };
  return { hour, sides: { old, new: emptyHour() }, users: { old: users, new: [] } };
}

test('usage store: two instances\' counts of the same hour add up, and each hour stays apart', async () => {
  const keys = new RedisKeys('usage-sum');
  const a = new RedisUsageStore(redis, keys);
  const b = new RedisUsageStore(redis, keys);
  await a.add([batch(HOUR, 10, ['u1']), batch(HOUR + 1, 3, ['u2'])]);
  await b.add([batch(HOUR, 5, ['u1', 'u3'])]);
  const hours = await a.hours(HOUR - 1, HOUR + 2);
  assert.deepEqual([...hours.keys()], [HOUR, HOUR + 1]);
  assert.deepEqual(hours.get(HOUR)!.old, { messages: 15, units: 30, bytes: 1_500, slow: 2, failures: { timeout: 4, unavailable: 0, vendor_error: 2, rejected: 0 } });
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
