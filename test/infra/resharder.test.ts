import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Redis } from 'ioredis';
import { SIDES } from '../../src/domain/message.js';
import { shardOf } from '../../src/domain/shard.js';
import { RedisKeys } from '../../src/infra/redis/keys.js';
import { Resharder, sameOwed } from '../../src/infra/redis/resharder.js';
import { ShardRecord } from '../../src/infra/redis/shard-record.js';
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

const record = (id: string) => JSON.stringify({ message: { id, from: 'a', to: { type: 'user', id: 'b' }, payload: id, sentAt: 1 }, primary: 'old', secondary: 'new', stateVersion: 1 });

/** Every kind of thing the outbox keeps (owed, retried, unconfirmed both ways, dead, and an earlier build's stream and retries), for about 30 ids each, laid out in `shards` shards as the gateways would. */
async function fill(keys: RedisKeys, shards: number): Promise<string[]> {
  const ids = Array.from({ length: 200 }, (_, i) => `id-${i}`);
  for (const [i, id] of ids.entries()) {
    const shard = shardOf(id, shards);
    const side = SIDES[i % 2]!;
    switch (i % 7) {
      case 0: await redis.zadd(keys.owed(shard, side), 1_000 + i, record(id)); break;
      case 1:
        await redis.zadd(keys.owed(shard, side), 1_000 + i, record(id));
        await redis.hset(keys.owedTries(shard, side), record(id), '2');
        break;
      case 2: await redis.zadd(keys.intents(shard, side), 2_000 + i, id); break;
      case 3: await redis.xadd(keys.deadLetters(shard, side), '*', 'r', record(id), 'a', '15', 'why', 'test', 'at', '1', 'k', 'secondary'); break;
      case 4: await redis.zadd(keys.owed(shard, side), -(2_000 + i), record(id)); break;
      case 5: await redis.xadd(keys.legacyStream(shard, side), '*', 'r', record(id), 'a', '0'); break;
      default: await redis.zadd(keys.legacyRetries(shard, side), 1_000 + i, `2|${record(id)}`); break;
    }
    await redis.set(keys.message(shard, id), `c|-|0|${id}`, 'PX', 600_000);
  }
  return ids;
}

for (const [from, to] of [[2, 5], [5, 2], [3, 1]] as const) {
  test(`resharding ${from} → ${to} puts every owed write and dedupe record in the shard its id maps to, and counts the same after`, async () => {
    const keys = new RedisKeys(`reshard-${from}-${to}`);
    const layout = new ShardRecord(redis, keys);
    await layout.write({ shards: from });
    const ids = await fill(keys, from);
    const resharder = new Resharder(redis, keys, layout);
    const report = await resharder.run({ to, by: 'test' });
    assert.equal(report.misplaced, 0);
    assert.ok(sameOwed(report.before, report.after), JSON.stringify(report));
    assert.equal(report.after.records, 200);
    assert.deepEqual(await layout.read(), { shards: to });
    for (const id of ids) {
      const value = await redis.get(keys.message(shardOf(id, to), id));
      assert.equal(value, `c|-|0|${id}`, `${id}'s dedupe record in its new shard`);
      assert.ok((await redis.pttl(keys.message(shardOf(id, to), id))) > 500_000, 'with its time to live');
    }
    for (const [i, id] of ids.entries()) {
      if (i % 7 === 1) assert.equal(await redis.hget(keys.owedTries(shardOf(id, to), SIDES[i % 2]!), record(id)), '2', `${id}'s tries went with it`);
    }
    for (let shard = to; shard < from; shard++) {
      for (const side of SIDES) assert.equal(await redis.exists(keys.owed(shard, side), keys.owedTries(shard, side), keys.intents(shard, side), keys.deadLetters(shard, side), keys.legacyStream(shard, side), keys.legacyRetries(shard, side)), 0);
    }
    const again = await resharder.run({ to, by: 'test' });
    assert.equal(again.moved, 0, 'a second run finds nothing to move');
  });
}

test('a reshard is refused while a gateway marks itself running, and leaves the layout as it was', async () => {
  const keys = new RedisKeys('reshard-busy');
  const layout = new ShardRecord(redis, keys);
  await layout.write({ shards: 2 });
  await layout.markRunning('gw-1', Date.now());
  await assert.rejects(new Resharder(redis, keys, layout).run({ to: 4, by: 'test' }), /1 gateway is running on migration "reshard-busy" \(gw-1\)/);
  assert.deepEqual(await layout.read(), { shards: 2 });
  await assert.rejects(layout.claim(4), /"redis\.shards" \(CUTOVER_REDIS_SHARDS\) is 4, but migration "reshard-busy" keeps its outbox in 2 shards/);
  await layout.claim(2);
});
