import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Redis } from 'ioredis';
import { createLogger } from '../../src/infra/logger.js';
import { MemoryOutbox } from '../../src/infra/memory/memory-outbox.js';
import { RedisKeys } from '../../src/infra/redis/keys.js';
import { RedisOutbox } from '../../src/infra/redis/redis-outbox.js';
import { defineScripts } from '../../src/infra/redis/scripts.js';
import { RedisServer } from '../support/redis-server.js';
import { GRACE, T0, outboxContract, receiptOf, record } from './outbox-contract.js';

let redisServer: RedisServer;
let redis: Redis;
let migrations = 0;

before(async () => {
  redisServer = await RedisServer.start();
  redis = new Redis(redisServer.url);
  defineScripts(redis);
});
after(async () => {
  redis.disconnect();
  await redisServer.destroy();
});

outboxContract({
  name: 'memory',
  create: async (o = {}) => new MemoryOutbox({ dedupeWindowMs: 60_000, inflightGraceMs: GRACE, deadLetterMaxLen: 100, leaseMs: o.leaseMs }, () => T0),
});

outboxContract({
  name: 'redis',
  create: async (o = {}) => {
    const outbox = new RedisOutbox({
      redis, keys: new RedisKeys(o.migration ?? `m${migrations++}`), shards: o.shards ?? 1, dedupeWindowMs: 60_000,
      inflightGraceMs: GRACE, deadLetterMaxLen: 100, logger: createLogger('silent'), leaseMs: o.leaseMs,
    });
    await outbox.init();
    return outbox;
  },
  redis: () => redis,
});

test('memory outbox: remembers at most maxIds ids, forgetting the oldest confirmed ones first', async () => {
  const outbox = new MemoryOutbox({ dedupeWindowMs: 60_000, inflightGraceMs: GRACE, deadLetterMaxLen: 100, maxIds: 3 }, () => T0);
  const pending = record('keep-unconfirmed');
  await outbox.begin(pending, T0);
  for (const id of ['a', 'b', 'c', 'd']) {
    const r = record(id);
    await outbox.begin(r, T0);
    await outbox.commit(r, receiptOf(r));
  }
  assert.deepEqual(await outbox.begin(record('a'), T0), { status: 'new' }, 'the oldest confirmed id was forgotten');
  assert.deepEqual(await outbox.begin(pending, T0), { status: 'in_flight' }, 'an unconfirmed id is never forgotten');
  assert.equal((await outbox.begin(record('d'), T0)).status, 'duplicate', 'recent ids are still remembered');
});
