import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { RedisKeys } from '../../src/infra/redis/keys.js';
import { account, failuresByAnswer, sample } from '../faults/support/accountant.js';
import { GatewayClient } from '../faults/support/gateway-client.js';
import { LoadGenerator } from '../faults/support/load.js';
import { RedisCluster } from '../support/redis-cluster.js';
import { assertFailoverKeptPromises, sharedStateChecks, stateVersion } from '../support/redis-mode-checks.js';
import { driveToCanary, eventually, startStack, TOKEN } from '../support/stack.js';

const SHARDS = 4;
const keys = new RedisKeys('default');

/** Gateways on a Redis Cluster (three masters, three replicas), four outbox shards over its slots. */
async function clusterStack(t: TestContext, env: Record<string, string> = {}) {
  const cluster = await RedisCluster.start();
  t.after(() => cluster.destroy());
  const stack = await startStack(t, { CUTOVER_REDIS_SHARDS: String(SHARDS), ...env }, { redisUrl: cluster.url });
  return { cluster, stack };
}

test('on a Redis Cluster: sends are dual-written over 4 shards, a state change reaches a second gateway within 1 s, and break glass on the Cluster URL flips both', async (t) => {
  const { cluster, stack } = await clusterStack(t);
  const shardMasters = new Set(await Promise.all(Array.from({ length: SHARDS }, async (_, s) => (await cluster.masterFor(keys.owed(s, 'old'))).port)));
  t.diagnostic(`the 4 shards sit on ${shardMasters.size} of the 3 masters`);
  await sharedStateChecks(t, stack, cluster.url, { name: 'cluster' });
});

test('a Cluster master SIGKILLed mid-load: its replica is promoted, every 201 is on its primary, and what misses a side is counted and printed', async (t) => {
  // The guard is off: the failover fails sends on purpose, and a rollback would move the users counted on.
  const { cluster, stack } = await clusterStack(t, { CUTOVER_GUARD_ENABLED: 'false' });
  const [a, b] = [await stack.startGateway(), await stack.startGateway()];
  await driveToCanary(a, 50);
  await eventually(async () => (await stateVersion(b)) === (await stateVersion(a)), 2_000, 'b to route by the canary');

  const client = new GatewayClient(a.url, 8);
  t.after(() => client.close());
  const load = new LoadGenerator({ name: 'cluster-failover', workers: 8, pauseMs: 5, followUpMs: 15_000, errorRetries: 25, post: (path, body) => client.post(path, body) });
  await sleep(1_500);
  // A master holding outbox shards (not the state's slot, which every gateway also needs).
  const victim = await cluster.masterFor(keys.owed(0, 'old'));
  const killedAt = Date.now();
  const failover = await cluster.kill(victim);
  await eventually(async () => load.messages.some((m) => m.promisedAt !== undefined && m.startedAt > killedAt + failover.ms), 15_000, 'a send accepted after the failover');
  await sleep(1_000);
  const messages = await load.stop();

  const tally = await account({
    name: 'cluster-failover', messages, drainMs: 20_000, sides: { old: stack.old, new: stack.fresh },
    outbox: async () => (await b.request('GET', '/admin/outbox?deadLetters=500', undefined, TOKEN)).body,
  });
  t.diagnostic(`failover: master ${victim.port} killed, replica ${failover.promoted.port} serving its slots after ${failover.ms} ms`);
  t.diagnostic(`load: ${tally.sent} messages, ${tally.promised} answered 2xx/202 (${tally.pending} left pending), ${tally.failed} failed, ${tally.network} unanswered; final failures ${failuresByAnswer(messages)}`);
  t.diagnostic(`2xx missing on a side at the end (appendfsync everysec + asynchronous replication): old ${tally.lostOnOld}, new ${tally.lostOnNew}${tally.lost ? ` (${sample(tally.lostMessages)})` : ''}; doubled ${tally.doubled}, stranded ${tally.stranded}, storedButFailed ${tally.storedButFailed}`);

  await assertFailoverKeptPromises(tally, stack);
  const late = tally.lostMessages.filter((m) => m.startedAt > killedAt + failover.ms);
  assert.equal(late.length, 0, `missing on a side though begun after the failover: ${sample(late)}`);
});
