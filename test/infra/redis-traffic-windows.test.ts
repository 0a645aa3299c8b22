import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Redis } from 'ioredis';
import { emptyCounts, GUARD_LATENCY_BOUNDS_MS, latencyBucket } from '../../src/domain/guard/window.js';
import { RedisKeys } from '../../src/infra/redis/keys.js';
import { RedisTrafficWindows } from '../../src/infra/redis/redis-traffic-windows.js';
import { RedisServer } from '../support/redis-server.js';

test('a second\'s latency buckets go to Redis under their bounds and come back, summed over instances; fields of other bounds are not read', async (t) => {
  const server = await RedisServer.start();
  t.after(() => server.destroy());
  const redis = new Redis(server.url);
  t.after(() => redis.disconnect());
  const keys = new RedisKeys('windows');
  const second = Math.floor(Date.now() / 1000);
  const counts = () => {
    const c = { ...emptyCounts(), requests: 3, errors: 1, timeouts: 1 };
    c.latency[latencyBucket(40)] = 2;
    c.latency[latencyBucket(60_000)] = 1;
    return c;
  };
  // Two instances flushing the same second.
  for (let instance = 0; instance < 2; instance++) await new RedisTrafficWindows(redis, keys, 1, 0).add([{ second, sides: { old: counts(), new: emptyCounts() } }]);
  const fields = await redis.hgetall(keys.window(0, second));
  assert.equal(fields[`old:b${GUARD_LATENCY_BOUNDS_MS[latencyBucket(40)]}`], '4');
  assert.equal(fields['old:binf'], '2');
  // A build with other bounds wrote its buckets by index: they must not land in any of ours.
  await redis.hincrby(keys.window(0, second), 'old:l3', 50);
  const [sample] = await new RedisTrafficWindows(redis, keys, 1, 0).read(second, second);
  assert.equal(sample?.sides.old.requests, 6);
  assert.equal(sample?.sides.old.errors, 2);
  assert.equal(sample?.sides.old.latency.reduce((a, b) => a + b, 0), 6);
  assert.equal(sample?.sides.old.latency[latencyBucket(40)], 4);
  assert.equal(sample?.sides.old.latency[GUARD_LATENCY_BOUNDS_MS.length], 2, 'past the last bound: the +Inf bucket');
});
