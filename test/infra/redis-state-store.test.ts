import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { Redis } from 'ioredis';
import { initialState } from '../../src/domain/rollout-state.js';
import { createLogger } from '../../src/infra/logger.js';
import { RedisKeys } from '../../src/infra/redis/keys.js';
import { RedisStateStore } from '../../src/infra/redis/redis-state-store.js';
import { defineScripts } from '../../src/infra/redis/scripts.js';
import type { AuditEntry } from '../../src/services/ports/state-store.js';
import { adminPost, buildCutover } from '../support/build-app.js';
import { RedisServer } from '../support/redis-server.js';

/** A primary and its replica, linked up, closed when the test ends. */
async function primaryWithReplica(t: TestContext): Promise<{ primary: RedisServer; replica: RedisServer; replicaClient: Redis }> {
  const primary = await RedisServer.start();
  t.after(() => primary.destroy());
  const replica = await RedisServer.start({ replicaOf: primary.port });
  t.after(() => replica.destroy());
  const replicaClient = new Redis(replica.url);
  t.after(() => replicaClient.disconnect());
  await linkedUp(primary);
  return { primary, replica, replicaClient };
}

/**
 * Waits until the primary counts the replica as online and it acks a write promptly: right after
 * its first sync a replica with an AOF rewrites it and acks its first write late.
 */
async function linkedUp(primary: RedisServer): Promise<void> {
  const redis = new Redis(primary.url);
  try {
    const deadline = Date.now() + 10_000;
    while (!/slave0:.*state=online/.test(await redis.info('replication')) || Number(await redis.set('warm-up', '1').then(() => redis.wait(1, 200))) < 1) {
      if (Date.now() > deadline) throw new Error('the replica did not link up within 10 s');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } finally {
    redis.disconnect();
  }
}

function audit(after: ReturnType<typeof initialState>): AuditEntry {
  return { at: after.updatedAt, actor: 'test', role: 'system', action: 'test', before: null, after };
}

test('a state write waits for the connected replica, and says when the replica did not have it in time', async (t) => {
  const { primary, replica } = await primaryWithReplica(t);
  const redis = new Redis(primary.url);
  t.after(() => redis.disconnect());
  defineScripts(redis);
  const store = new RedisStateStore({ redis, subscriber: redis, keys: new RedisKeys('wait-test'), auditMaxLen: 100, logger: createLogger('silent') });
  const first = { ...initialState('wait-test', new Date(), 'g1'), version: 1 };
  const written = await store.compareAndSet(0, first, audit(first));
  assert.ok(written.ok);
  assert.deepEqual(written.replication, { replicas: 1, acked: 1 }, 'answered once the replica had it');

  replica.pause(true);
  const second = { ...first, version: 2, percent: 5 };
  const started = Date.now();
  const late = await store.compareAndSet(1, second, audit(second)).finally(() => replica.pause(false));
  assert.ok(late.ok, 'still written on the primary');
  assert.deepEqual(late.replication, { replicas: 1, acked: 0 }, 'a hung replica is reported, not waited on forever');
  assert.ok(Date.now() - started < 2_000, 'the wait is bounded');
});

test('an admin change through the API reports the replicas that had it when it was answered', async (t) => {
  const { primary, replicaClient } = await primaryWithReplica(t);
  const cutover = await buildCutover(t, { 'redis.url': primary.url, 'api.tokens': [{ name: 'backend', token: 'backend-token-0123456789' }] });
  const reply = await adminPost(cutover, 'stage', { stage: 'shadow' });
  assert.equal(reply.statusCode, 200, reply.body);
  assert.deepEqual(reply.json().replication, { replicas: 1, acked: 1 });
  const onReplica = JSON.parse((await replicaClient.hget(new RedisKeys('default').state, 's'))!) as { stage: string };
  assert.equal(onReplica.stage, 'shadow', 'the replica holds the change the reply confirmed');
});

test('a state write on a Redis without replicas does not wait', async (t) => {
  const primary = await RedisServer.start();
  t.after(() => primary.destroy());
  const redis = new Redis(primary.url);
  t.after(() => redis.disconnect());
  defineScripts(redis);
  const store = new RedisStateStore({ redis, subscriber: redis, keys: new RedisKeys('no-replica'), auditMaxLen: 100, logger: createLogger('silent') });
  const state = { ...initialState('no-replica', new Date(), 'g1'), version: 1 };
  const written = await store.compareAndSet(0, state, audit(state));
  assert.ok(written.ok);
  assert.deepEqual(written.replication, { replicas: 0, acked: 0 });
});
