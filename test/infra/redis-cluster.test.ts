import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Cluster, Command } from 'ioredis';
import { initialState, type RolloutState } from '../../src/domain/rollout-state.js';
import { createLogger } from '../../src/infra/logger.js';
import { RedisKeys } from '../../src/infra/redis/keys.js';
import { connectRedis, whenReady, type RedisClient } from '../../src/infra/redis/redis-connection.js';
import { RedisMigrationStore } from '../../src/infra/redis/redis-migration-store.js';
import { RedisOutbox } from '../../src/infra/redis/redis-outbox.js';
import { RedisStateStore } from '../../src/infra/redis/redis-state-store.js';
import { RedisTrafficWindows } from '../../src/infra/redis/redis-traffic-windows.js';
import { RedisUsageStore } from '../../src/infra/redis/redis-usage-store.js';
import { emptyHour } from '../../src/services/ports/usage-store.js';
import { emptyCounts } from '../../src/domain/guard/window.js';
import type { AuditEntry } from '../../src/services/ports/state-store.js';
import { RedisCluster } from '../support/redis-cluster.js';
import { migrationStoreContract } from './migration-store-contract.js';
import { GRACE, T0, outboxContract, receiptOf, record } from './outbox-contract.js';

const SHARDS = 4;
const logger = createLogger('silent');
let cluster: RedisCluster;
let startedInMs: number;
/** Every connection this file opens, closed at the end. */
const connections: RedisClient[] = [];
let redis: Cluster;
let migrations = 0;

function connect(role: 'commands' | 'subscriber'): RedisClient {
  const client = connectRedis({ url: cluster.url, commandTimeoutMs: 2_000, logger, role });
  connections.push(client);
  return client;
}

before(async () => {
  const started = Date.now();
  cluster = await RedisCluster.start();
  startedInMs = Date.now() - started;
  redis = connect('commands') as Cluster;
  await whenReady(redis, 10_000);
});
after(async () => {
  for (const client of connections) client.disconnect();
  await cluster?.destroy();
});

const slotOf = (key: string): number => new Command('exists', [key]).getSlot();
/** The master that ioredis's slot map names for `key` ('host:port'). */
const masterOf = (key: string): string => redis.slots[slotOf(key)]![0]!;

function outbox(options: { migration?: string; shards?: number; leaseMs?: number } = {}): Promise<RedisOutbox> {
  const created = new RedisOutbox({
    redis, keys: new RedisKeys(options.migration ?? `m${migrations++}`), shards: options.shards ?? SHARDS,
    dedupeWindowMs: 60_000, inflightGraceMs: GRACE, deadLetterMaxLen: 100, logger, leaseMs: options.leaseMs,
  });
  return created.init().then(() => created);
}

function stateStore(migration: string, subscriber: RedisClient = redis): RedisStateStore {
  return new RedisStateStore({ redis, subscriber, keys: new RedisKeys(migration), auditMaxLen: 100, logger });
}

function audit(after: RolloutState): AuditEntry {
  return { at: after.updatedAt, actor: 'test', role: 'system', action: 'test', before: null, after };
}

test('the Cluster runs three masters with a replica each, and one migration\'s outbox shards live on more than one of them', async (t) => {
  t.diagnostic(`cluster started and settled in ${startedInMs} ms`);
  const masters = await cluster.masters();
  assert.equal(masters.length, 3);
  for (const master of masters) assert.equal((await cluster.replicasOf(master)).length, 1, `master ${master.port} has its replica`);
  const keys = new RedisKeys('m0');
  const nodes = new Set(Array.from({ length: SHARDS }, (_, shard) => masterOf(keys.owed(shard, 'new'))));
  assert.ok(nodes.size > 1, `the shards of m0 sit on ${[...nodes].join(', ')}`);
  for (let shard = 0; shard < SHARDS; shard++) {
    const slot = slotOf(keys.owed(shard, 'old'));
    for (const key of [keys.owed(shard, 'new'), keys.owedTries(shard, 'old'), keys.intents(shard, 'old'), keys.legacyStream(shard, 'new'), keys.deadLetters(shard, 'old'), keys.message(shard, 'any-id'), keys.window(shard, 1)]) {
      assert.equal(slotOf(key), slot, `${key} is in its shard's slot`);
    }
  }
});

// (a) and (c): the port contracts, on the Cluster, with the outbox over four shards.
outboxContract({ name: 'redis cluster', create: (o = {}) => outbox(o), redis: () => redis });
migrationStoreContract('redis cluster', () => new RedisMigrationStore(redis, new RedisKeys(`mig${migrations++}`)));

describe('redis cluster: the commands that span shards', () => {
  test('counts and acks reach every shard\'s node, and writes left at close are handed back on every shard', async () => {
    const migration = `span-${migrations++}`;
    const box = await outbox({ migration });
    const sent = Array.from({ length: 24 }, (_, i) => record(`span-${i}`));
    for (const r of sent) {
      await box.begin(r, T0);
      await box.commit(r, receiptOf(r));
    }
    assert.equal((await box.counts()).owed.new, sent.length);
    const writes = [];
    for (let shard = 0; shard < SHARDS; shard++) writes.push(...(await box.lease('new', shard, 100, T0)));
    assert.equal(writes.length, sent.length);
    const shardsUsed = new Set(writes.map((w) => w.shard));
    assert.equal(shardsUsed.size, SHARDS, 'the writes sit on every shard');
    await box.complete(writes);
    assert.equal((await box.counts()).owed.new, 0, 'the acks of all four shards went out with the count');

    const left = Array.from({ length: 12 }, (_, i) => record(`left-${i}`));
    for (const r of left) {
      await box.begin(r, T0);
      await box.commit(r, receiptOf(r));
    }
    await box.close();
    const other = await outbox({ migration });
    const taken = [];
    for (let shard = 0; shard < SHARDS; shard++) taken.push(...(await other.lease('new', shard, 100, Date.now())));
    assert.deepEqual(taken.map((w) => w.record.message.id).sort(), left.map((r) => r.message.id).sort(), 'handed back on close, taken at once');
  });

  test('traffic windows sum every shard of a second', async () => {
    const keys = new RedisKeys(`win-${migrations++}`);
    const second = Math.floor(Date.now() / 1000);
    for (let shard = 0; shard < SHARDS; shard++) {
      const counts = { ...emptyCounts(), requests: shard + 1 };
      await new RedisTrafficWindows(redis, keys, SHARDS, shard).add([{ second, sides: { old: counts, new: emptyCounts() } }]);
    }
    const [sample] = await new RedisTrafficWindows(redis, keys, SHARDS, 0).read(second - 1, second);
    assert.equal(sample?.sides.old.requests, 1 + 2 + 3 + 4);
  });
});

describe('redis cluster: the state store', () => {
  test('a compare-and-set writes once per version; another gateway\'s subscription sees it within a second', async () => {
    const migration = `state-${migrations++}`;
    const writer = stateStore(migration, connect('subscriber'));
    const reader = stateStore(migration, connect('subscriber'));
    const seen: RolloutState[] = [];
    reader.subscribe((state) => seen.push(state));
    // A subscription confirmed before the write: a state published earlier is not replayed.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const first = { ...initialState(migration, new Date(), 'g1'), version: 1 };
    const written = await writer.compareAndSet(0, first, audit(first));
    assert.ok(written.ok);
    const conflict = await writer.compareAndSet(0, first, audit(first));
    assert.equal(conflict.ok, false);
    assert.equal(conflict.ok === false && conflict.current?.version, 1);
    assert.equal((await reader.read())?.version, 1);
    assert.equal((await writer.audit(10)).length, 1);
    const deadline = Date.now() + 1_000;
    while (seen.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(seen[0]?.version, 1, 'published to the other connection within 1 s');
  });

  test('a state write waits for the replica of the master that holds the state, and says when that replica did not have it', async () => {
    const migration = `wait-${migrations++}`;
    const store = stateStore(migration);
    const first = { ...initialState(migration, new Date(), 'g1'), version: 1 };
    const written = await store.compareAndSet(0, first, audit(first));
    assert.ok(written.ok);
    assert.deepEqual(written.replication, { replicas: 1, acked: 1 });

    // Asked anywhere else, WAIT would count a replica at once (nothing written on that connection):
    // only the state's own master, whose replica hangs, answers 0.
    const master = await cluster.masterFor(new RedisKeys(migration).state);
    const [replica] = await cluster.replicasOf(master);
    const second = { ...first, version: 2, percent: 5 };
    cluster.pause(replica!, true);
    const late = await store.compareAndSet(1, second, audit(second)).finally(() => cluster.pause(replica!, false));
    assert.ok(late.ok, 'still written on the master');
    assert.deepEqual(late.replication, { replicas: 1, acked: 0 });
  });
});

describe('redis cluster: the usage store', () => {
  test('an hour\'s counts and its peak online, written in one pipeline under the migration\'s hash tag, read back', async () => {
    const store = new RedisUsageStore(redis, new RedisKeys(`usage-${migrations++}`));
    const hour = Math.floor(Date.UTC(2026, 11, 1, 9) / 3_600_000);
    const sides = { old: { ...emptyHour(), messages: 3 }, new: emptyHour() };
    await store.add([{ hour, sides, users: { old: ['u1'], new: [] }, online: [{ minute: hour * 60 + 1, users: { old: ['u1', 'u2'], new: ['n1'] } }] }]);
    const read = (await store.hours(hour, hour)).get(hour)!;
    assert.deepEqual([read.old.messages, read.old.peakConcurrentUsers, read.new.peakConcurrentUsers], [3, 2, 1]);
  });
});

describe('redis cluster: scripts stay in one slot', () => {
  /** What defineScripts makes of every script: the `#!lua` header (strict slots), then the Lua. */
  const touchArg = "#!lua\nredis.call('SET', ARGV[1], 'x') return 1";
  const unheaded = touchArg.slice('#!lua\n'.length);

  /** A key on the master of `key`, or on another master, in another slot either way. */
  function probe(key: string, sameMaster: boolean): string {
    for (let n = 0; ; n++) {
      const candidate = `probe:{${n}}`;
      if (slotOf(candidate) !== slotOf(key) && (masterOf(candidate) === masterOf(key)) === sameMaster) return candidate;
    }
  }

  test('a script touching an undeclared key of another slot fails, whether that slot is on another node or on the same one', async () => {
    const declared = 'probe:{declared}';
    await assert.rejects(redis.eval(touchArg, 1, declared, probe(declared, false)), /non local key/);
    await assert.rejects(redis.eval(touchArg, 1, declared, probe(declared, true)), /same slot/);
    assert.equal(await redis.eval(unheaded, 1, declared, probe(declared, true)), 1, 'without the header the same node lets it pass: why every script carries it');
  });

  test('a script may touch an undeclared key of its declared key\'s slot, as the outbox scripts do with message keys', async () => {
    assert.equal(await redis.eval(touchArg, 1, 'probe:{declared}:a', 'probe:{declared}:b'), 1);
  });

  test('every script of scripts.ts ran on this Cluster (through the stores above), so each is slot-clean', async () => {
    const scripts = Object.entries(redis.scriptsSet as Record<string, { sha: string; lua: string }>);
    assert.ok(scripts.length >= 21, `${scripts.length} scripts defined`);
    assert.deepEqual(scripts.filter(([, script]) => !script.lua.startsWith('#!lua\n')).map(([name]) => name), [], 'scripts without the strict header');
    const masters = redis.nodes('master');
    const cached = await Promise.all(masters.map((node) => node.script('EXISTS', ...scripts.map(([, script]) => script.sha)) as Promise<number[]>));
    const never = scripts.filter((_, i) => cached.every((flags) => flags[i] !== 1)).map(([name]) => name);
    assert.deepEqual(never, [], 'scripts no test ran on the Cluster');
  });
});

describe('redis cluster: a master dies', () => {
  test('the connection follows the promoted replica: state, its pub/sub and the outbox work again within a bounded time', async (t) => {
    const migration = `failover-${migrations++}`;
    const keys = new RedisKeys(migration);
    const store = stateStore(migration, connect('subscriber'));
    const seen: number[] = [];
    stateStore(migration, connect('subscriber')).subscribe((state) => seen.push(state.version));
    await new Promise((resolve) => setTimeout(resolve, 200));
    const first = { ...initialState(migration, new Date(), 'g1'), version: 1 };
    const written = await store.compareAndSet(0, first, audit(first));
    assert.deepEqual(written.ok && written.replication, { replicas: 1, acked: 1 });

    const failover = await cluster.kill(await cluster.masterFor(keys.state));
    const killedAt = Date.now() - failover.ms;
    let state: RolloutState | null = null;
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      state = await store.read().catch(() => null);
      if (state) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const backMs = Date.now() - killedAt;
    t.diagnostic(`replica promoted ${failover.ms} ms after the kill; the state read again after ${backMs} ms`);
    assert.equal(state?.version, 1, 'the write its replica had acknowledged survived');
    assert.ok(backMs < 15_000, `back within 15 s (${backMs} ms)`);

    const second = { ...first, version: 2, percent: 5 };
    const again = await store.compareAndSet(1, second, audit(second));
    assert.ok(again.ok, 'the CAS script runs on the promoted master');
    assert.deepEqual(again.replication, { replicas: 0, acked: 0 }, 'its replica died with it: nothing to wait for');
    const eventDeadline = Date.now() + 5_000;
    while (!seen.includes(2) && Date.now() < eventDeadline) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.ok(seen.includes(2), `the subscription still hears changes (saw ${seen.join(', ')})`);

    const box = await outbox();
    const sent = Array.from({ length: 16 }, (_, i) => record(`after-${i}`));
    for (const r of sent) {
      assert.deepEqual(await box.begin(r, T0), { status: 'new' });
      await box.commit(r, receiptOf(r));
    }
    assert.equal((await box.counts()).owed.new, sent.length, 'every shard takes sends again, the promoted one too');
  });
});
