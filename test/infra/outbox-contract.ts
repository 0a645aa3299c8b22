import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { OutboundMessage, Side } from '../../src/domain/message.js';
import { shardOf } from '../../src/domain/shard.js';
import { RedisKeys } from '../../src/infra/redis/keys.js';
import type { RedisClient } from '../../src/infra/redis/redis-connection.js';
import type { Outbox, OutboxRecord, Receipt } from '../../src/services/ports/outbox.js';

export const GRACE = 10_000;
export const T0 = 1_800_000_000_000;

export interface OutboxOptions {
  leaseMs?: number;
  shards?: number;
  /** Two outboxes given the same name are two instances of one migration. */
  migration?: string;
}

/** One outbox implementation the contract runs against. */
export interface OutboxTarget {
  name: string;
  /** A new outbox; a new migration unless `migration` is given. */
  create: (options?: OutboxOptions) => Promise<Outbox>;
  /** Redis twins: the client, for the scenarios that take data away behind the outbox's back. */
  redis?: () => RedisClient;
}

export function record(id: string, primary: Side = 'old', secondary: Side | null = 'new', payload = `p-${id}`): OutboxRecord {
  const message: OutboundMessage = { id, from: 'a', to: { type: 'user', id: 'b' }, payload, sentAt: T0 };
  return { message, primary, secondary, stateVersion: 3, idFromCaller: true };
}

export const receiptOf = (r: OutboxRecord): Receipt => ({ id: r.message.id, primary: r.primary, secondary: r.secondary, stateVersion: 3, acceptedAt: T0 });

/** The shard `r` lives in on `outbox` (0 with one shard): where a scenario leases it from. */
const shardIn = (outbox: Outbox, r: OutboxRecord): number => shardOf(r.message.id, outbox.shards);

/** `id`, or `id.N` for the first N that puts it in `shard`: messages a scenario needs in one shard. */
function idInShard(id: string, shard: number, shards: number): string {
  if (shardOf(id, shards) === shard) return id;
  for (let n = 1; ; n++) if (shardOf(`${id}.${n}`, shards) === shard) return `${id}.${n}`;
}

/** Leases from every shard, as the workers together do. */
async function leaseAll(outbox: Outbox, side: Side, max: number, now: number) {
  const writes = [];
  for (let shard = 0; shard < outbox.shards; shard++) writes.push(...(await outbox.lease(side, shard, max, now)));
  return writes;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Every scenario the outbox port promises, against `target`; the Redis twin's own scenarios too if it has a client. */
export function outboxContract(target: OutboxTarget): void {
  const { name, create } = target;
  describe(`${name} outbox`, () => {
    test('begin is the commit point: a second begin of the same id is in flight, then a duplicate with the first receipt', async () => {
      const outbox = await create();
      const r = record('m1');
      assert.deepEqual(await outbox.begin(r, T0), { status: 'new' });
      assert.deepEqual(await outbox.begin(r, T0), { status: 'in_flight' });
      await outbox.commit(r, receiptOf(r));
      assert.deepEqual(await outbox.begin(r, T0), { status: 'duplicate', receipt: receiptOf(r) });
      assert.deepEqual(await outbox.begin(record('m1', 'old', 'new', 'other content'), T0), { status: 'mismatch' });
    });

    test('a caller retrying with the id the gateway made for it gets in flight, then the receipt, never a mismatch', async () => {
      const outbox = await create();
      const generated = { ...record('m-generated'), idFromCaller: false };
      await outbox.begin(generated, T0);
      const retry = { ...generated, idFromCaller: true };
      assert.deepEqual(await outbox.begin(retry, T0), { status: 'in_flight' });
      await outbox.commit(generated, receiptOf(generated));
      assert.deepEqual(await outbox.begin(retry, T0), { status: 'duplicate', receipt: receiptOf(generated) });
    });

    test('the same id begun twice at once (one batch): the first is new, the second in flight', async () => {
      const outbox = await create();
      const r = record('m-twice');
      const [first, second, other] = await Promise.all([outbox.begin(r, T0), outbox.begin(r, T0), outbox.begin(record('m-other'), T0)]);
      assert.deepEqual([first, second, other], [{ status: 'new' }, { status: 'in_flight' }, { status: 'new' }]);
    });

    test('a commit queues the secondary write, which is leased once and gone when completed', async () => {
      const outbox = await create();
      const r = record('m2', 'new', 'old');
      const shard = shardIn(outbox, r);
      await outbox.begin(r, T0);
      await outbox.commit(r, receiptOf(r));
      assert.deepEqual((await outbox.lease('new', shard, 10, T0)).length, 0, 'nothing owed to the primary');
      const writes = await outbox.lease('old', shard, 10, T0);
      assert.equal(writes.length, 1);
      assert.equal(writes[0]!.record.message.id, 'm2');
      assert.equal(writes[0]!.attempt, 0);
      assert.equal((await outbox.lease('old', shard, 10, T0)).length, 0, 'a leased write is not handed out twice');
      assert.equal((await outbox.counts()).owed.old, 1);
      await outbox.complete(writes);
      const counts = await outbox.counts();
      assert.deepEqual([counts.owed.old, counts.owed.new, counts.unconfirmed], [0, 0, 0]);
    });

    test('an abort leaves nothing owed and frees the id', async () => {
      const outbox = await create();
      const r = record('m3');
      await outbox.begin(r, T0);
      assert.equal((await outbox.counts()).unconfirmed, 1);
      assert.equal(await outbox.abort(r, T0), true);
      assert.equal((await outbox.counts()).unconfirmed, 0);
      assert.equal((await outbox.lease('new', shardIn(outbox, r), 10, T0 + GRACE * 2)).length, 0);
      assert.deepEqual(await outbox.begin(r, T0), { status: 'new' });
    });

    test('a retry waits out its backoff and comes back with the next attempt number', async () => {
      const outbox = await create();
      const r = record('m4');
      const shard = shardIn(outbox, r);
      await outbox.begin(r, T0);
      await outbox.commit(r, receiptOf(r));
      const [write] = await outbox.lease('new', shard, 10, T0);
      await outbox.retry(write!, T0 + 500);
      assert.equal((await outbox.lease('new', shard, 10, T0 + 100)).length, 0, 'not before its time');
      const counts = await outbox.counts();
      assert.equal(counts.owed.new, 1, 'still owed while retrying');
      const again = await outbox.lease('new', shard, 10, T0 + 600);
      assert.equal(again.length, 1);
      assert.equal(again[0]!.attempt, 1);
      assert.equal(again[0]!.record.message.payload, 'p-m4');
    });

    test('a dead-lettered write is kept with its reason and no longer owed', async () => {
      const outbox = await create();
      const r = record('m5');
      await outbox.begin(r, T0);
      await outbox.commit(r, receiptOf(r));
      const [write] = await outbox.lease('new', shardIn(outbox, r), 10, T0);
      await outbox.deadLetter(write!, 'refused by new: bad recipient', T0);
      const counts = await outbox.counts();
      assert.deepEqual([counts.owed.new, counts.deadLettered.new], [0, 1]);
      const [letter] = await outbox.deadLetters('new', 10);
      assert.equal(letter!.record.message.id, 'm5');
      assert.equal(letter!.reason, 'refused by new: bad recipient');
      assert.equal(letter!.attempts, 1);
    });

    test('an unconfirmed primary is recovered only after the grace, by one taker, and its commit queues the secondary', async () => {
      const outbox = await create();
      const r = record('m6', 'old', 'new');
      const shard = shardIn(outbox, r);
      await outbox.begin(r, T0);
      assert.equal((await outbox.leaseRecoveries('old', shard, 10, T0 + GRACE - 1)).length, 0, 'not during the grace');
      assert.equal((await outbox.leaseRecoveries('new', shard, 10, T0 + GRACE + 1)).length, 0, 'only the primary side recovers it');
      const [recovery] = await outbox.leaseRecoveries('old', shard, 10, T0 + GRACE + 1);
      assert.equal(recovery?.kind, 'recovery');
      assert.equal(recovery?.record.message.id, 'm6');
      assert.equal((await outbox.leaseRecoveries('old', shard, 10, T0 + GRACE + 2)).length, 0, 'leased once');
      await outbox.commit(recovery!.record, receiptOf(r));
      assert.equal((await outbox.lease('new', shard, 10, T0 + GRACE + 3)).length, 1);
      assert.equal((await outbox.counts()).unconfirmed, 0);
    });

    test('a failed recovery counts its try and waits out its backoff; given up, it is dead-lettered and the id freed', async () => {
      const outbox = await create();
      const r = record('m-recovery-fails');
      const shard = shardIn(outbox, r);
      await outbox.begin(r, T0);
      const due = T0 + GRACE + 1;
      const [write] = await outbox.leaseRecoveries('old', shard, 10, due);
      assert.equal(write?.attempt, 0);
      await outbox.retry(write!, due + 1_000);
      assert.equal((await outbox.leaseRecoveries('old', shard, 10, due + 500)).length, 0, 'not before its backoff');
      const [again] = await outbox.leaseRecoveries('old', shard, 10, due + 1_001);
      assert.equal(again?.attempt, 1, 'the try was counted');
      assert.equal(again?.record.message.payload, r.message.payload);
      await outbox.deadLetter(again!, 'gave up', due + 2_000);
      const [letter] = await outbox.deadLetters('old', 10);
      assert.deepEqual([letter?.record.message.id, letter?.attempts, letter?.reason], ['m-recovery-fails', 2, 'gave up']);
      assert.equal((await outbox.counts()).unconfirmed, 0);
      assert.deepEqual(await outbox.begin(r, due + 3_000), { status: 'new' }, 'the id is free again');
    });

    test('an abort is fenced: once recovery holds the message it stands, and recovery finishes it', async () => {
      const outbox = await create();
      const r = record('m-fence-abort');
      const shard = shardIn(outbox, r);
      await outbox.begin(r, T0);
      const [recovery] = await outbox.leaseRecoveries('old', shard, 10, T0 + GRACE + 1);
      assert.equal(recovery?.record.message.id, 'm-fence-abort');
      assert.equal(await outbox.abort(r, T0), false, 'the late abort of the request is refused');
      assert.equal((await outbox.counts()).unconfirmed, 1, 'still owed');
      await outbox.commit(recovery!.record, receiptOf(r));
      assert.equal((await outbox.lease('new', shard, 10, T0 + GRACE + 2)).length, 1, 'recovery queued the secondary');
    });

    test('a hand-over lets recovery take an ambiguous primary at once instead of after the grace; fenced like abort', async () => {
      const outbox = await create();
      const r = record('m-hand-over');
      const shard = shardIn(outbox, r);
      await outbox.begin(r, T0);
      assert.equal(await outbox.handOver(r, T0, T0 + 50), true);
      assert.equal((await outbox.leaseRecoveries('old', shard, 10, T0 + 49)).length, 0, 'not before the time it was handed over for');
      const [recovery] = await outbox.leaseRecoveries('old', shard, 10, T0 + 50);
      assert.equal(recovery?.record.message.id, 'm-hand-over', 'long before the grace ends');
      assert.equal(await outbox.handOver(r, T0, T0 + 60), false, 'recovery holds it now');
      assert.equal(await outbox.abort(r, T0), false);
    });

    test('settling a recovery is fenced by its lease: a holder whose lease was taken over changes nothing', async () => {
      const outbox = await create({ leaseMs: 1_000 });
      const r = record('m-fence-recovery');
      const shard = shardIn(outbox, r);
      await outbox.begin(r, T0);
      const due = T0 + GRACE + 1;
      const [first] = await outbox.leaseRecoveries('old', shard, 10, due);
      const [second] = await outbox.leaseRecoveries('old', shard, 10, due + 1_001);
      assert.ok(first && second, 'taken over once the first lease ran out');
      assert.equal(await outbox.retry(first, due + 5_000), false);
      assert.equal(await outbox.deadLetter(first, 'gave up', due + 2_000), false);
      assert.equal((await outbox.counts()).deadLettered.old, 0, 'the stale holder dead-lettered nothing');
      assert.equal(await outbox.retry(second, due + 3_000), true, 'the current holder still can');
      assert.equal((await outbox.leaseRecoveries('old', shard, 10, due + 3_000)).length, 1, 'at the current holder\'s time, not the stale one\'s');
    });

    test('a recovery dead letter comes back whole: redriven, its primary is recovered and its commit queues the secondary', async () => {
      const outbox = await create();
      const r = record('m-dead-recovery', 'old', 'new');
      const shard = shardIn(outbox, r);
      await outbox.begin(r, T0);
      const [write] = await outbox.leaseRecoveries('old', shard, 10, T0 + GRACE + 1);
      await outbox.deadLetter(write!, 'gave up after 15 tries', T0 + GRACE + 2);
      const [letter] = await outbox.deadLetters('old', 10);
      assert.equal(letter?.kind, 'recovery');
      const [secondaryLetter] = await outbox.deadLetters('new', 10);
      assert.equal(secondaryLetter, undefined);
      assert.equal(await outbox.redrive('old', 10), 1);
      assert.equal((await outbox.counts()).unconfirmed, 1, 'begun again');
      const [again] = await outbox.leaseRecoveries('old', shard, 10, T0 + GRACE + 3);
      assert.equal(again?.record.message.id, 'm-dead-recovery', 'due at once');
      assert.equal(again?.attempt, 0, 'tries reset');
      await outbox.commit(again!.record, receiptOf(r));
      const owed = await outbox.lease('new', shard, 10, T0 + GRACE + 4);
      assert.deepEqual(owed.map((w) => w.record.message.id), ['m-dead-recovery'], 'and then the secondary');
    });

    test('a secondary dead letter keeps its kind', async () => {
      const outbox = await create();
      const r = record('m-dead-secondary');
      await outbox.begin(r, T0);
      await outbox.commit(r, receiptOf(r));
      const [write] = await outbox.lease('new', shardIn(outbox, r), 10, T0);
      assert.equal(await outbox.deadLetter(write!, 'refused', T0), true);
      assert.equal((await outbox.deadLetters('new', 10))[0]?.kind, 'secondary');
    });

    test('dead letters can be redriven into the queue once the cause is fixed, with tries reset', async () => {
      const outbox = await create();
      for (const id of ['d1', 'd2', 'd3']) {
        const r = record(id);
        await outbox.begin(r, T0);
        await outbox.commit(r, receiptOf(r));
      }
      for (const write of await leaseAll(outbox, 'new', 10, T0)) await outbox.deadLetter(write, 'refused', T0);
      assert.equal((await outbox.counts()).deadLettered.new, 3);
      assert.equal(await outbox.redrive('new', 2), 2);
      const counts = await outbox.counts();
      assert.deepEqual([counts.deadLettered.new, counts.owed.new], [1, 2]);
      const again = await leaseAll(outbox, 'new', 10, T0 + 1);
      assert.deepEqual(again.map((w) => w.attempt), [0, 0]);
      assert.equal(new Set(again.map((w) => w.record.message.id)).size, 2);
    });
  });

  if (target.redis) redisOutboxScenarios(name, create, target.redis);
}

/** What only the Redis twin can be put through: Redis losing data, several instances, shards. */
function redisOutboxScenarios(name: string, create: OutboxTarget['create'], client: () => RedisClient): void {
  let migrations = 0;
  const named = (prefix: string): string => `${prefix}-${migrations++}`;

  /** Two outbox instances (a and b) of one migration, as two gateways would be. */
  async function twoInstances(prefix: string, leaseMs?: number): Promise<{ a: Outbox; b: Outbox }> {
    const migration = named(prefix);
    return { a: await create({ leaseMs, migration }), b: await create({ leaseMs, migration }) };
  }

  describe(`${name} outbox: Redis data, instances and shards`, () => {
    test('a pending record never expires while owed; the dedupe window starts at the commit', async () => {
      const migration = named('ttl');
      const outbox = await create({ migration });
      const r = record('m-ttl');
      await outbox.begin(r, T0);
      const key = new RedisKeys(migration).message(shardIn(outbox, r), 'm-ttl');
      assert.equal(await client().pttl(key), -1, 'no TTL while unconfirmed');
      await outbox.commit(r, receiptOf(r));
      const ttl = await client().pttl(key);
      assert.ok(ttl > 59_000 && ttl <= 60_000, `the window once committed (${ttl} ms)`);
    });

    test('a commit whose begin Redis lost is recorded again from the record the gateway holds, secondary and all', async () => {
      const migration = named('lost');
      const keys = new RedisKeys(migration);
      const outbox = await create({ migration });
      const r = record('m-lost-begin');
      const shard = shardIn(outbox, r);
      await outbox.begin(r, T0);
      // What a crash that lost the AOF's last second leaves: no record, no intent.
      await client().del(keys.message(shard, 'm-lost-begin'), keys.owed(shard, 'new'));
      await outbox.commit(r, receiptOf(r));
      assert.ok((await client().get(keys.message(shard, 'm-lost-begin')))?.startsWith('c|'), 'committed record written anew');
      const owed = await outbox.lease('new', shard, 10, Date.now());
      assert.deepEqual(owed.map((w) => w.record.message.id), ['m-lost-begin'], 'its secondary is owed again');
      assert.deepEqual(await outbox.begin(r, T0), { status: 'duplicate', receipt: receiptOf(r) }, 'a retry gets the receipt');
    });

    test('a hand-over after Redis lost the begin begins the message again, so recovery still finishes it', async () => {
      const migration = named('lost-hand-over');
      const keys = new RedisKeys(migration);
      const outbox = await create({ migration });
      const r = record('m-lost-hand-over');
      const shard = shardIn(outbox, r);
      await outbox.begin(r, T0);
      await client().del(keys.message(shard, 'm-lost-hand-over'), keys.owed(shard, 'new'));
      assert.equal(await outbox.handOver(r, T0, T0 + 10), true);
      const [recovery] = await outbox.leaseRecoveries('old', shard, 10, T0 + 10);
      assert.equal(recovery?.record.message.id, 'm-lost-hand-over', 'owed again, to the primary first');
    });

    test('an undo after Redis lost the begin says nothing is owed', async () => {
      const migration = named('lost-abort');
      const outbox = await create({ migration });
      const r = record('m-lost-abort');
      await outbox.begin(r, T0);
      await client().del(new RedisKeys(migration).message(shardIn(outbox, r), 'm-lost-abort'));
      assert.equal(await outbox.abort(r, T0), true);
    });

    test('a failed write whose owed member Redis lost is still retried, and a recovery whose record it lost is begun again', async () => {
      const migration = named('lost-entry');
      const keys = new RedisKeys(migration);
      const outbox = await create({ migration, leaseMs: 60_000 });
      const r = record('m-lost-entry');
      const shard = shardIn(outbox, r);
      await outbox.begin(r, T0);
      await outbox.commit(r, receiptOf(r));
      const [write] = await outbox.lease('new', shard, 10, T0);
      await client().del(keys.owed(shard, 'new'));
      assert.equal(await outbox.retry(write!, T0 + 5), true, 'owed as far as anyone can tell: scheduled');
      const [again] = await outbox.lease('new', shard, 10, T0 + 200);
      assert.equal(again?.record.message.id, 'm-lost-entry');

      const q = record('m-lost-record');
      const qShard = shardIn(outbox, q);
      await outbox.begin(q, T0);
      const [recovery] = await outbox.leaseRecoveries('old', qShard, 10, T0 + GRACE + 1);
      await client().del(keys.message(qShard, 'm-lost-record'));
      assert.equal(await outbox.retry(recovery!, T0 + GRACE + 100), true);
      const [recovered] = await outbox.leaseRecoveries('old', qShard, 10, T0 + GRACE + 100);
      assert.deepEqual([recovered?.record.message.id, recovered?.attempt], ['m-lost-record', 1], 'begun again with its try counted');
    });

    test('a commit after Redis lost the owed sets queues the secondary all the same', async () => {
      const migration = named('lost-owed');
      const keys = new RedisKeys(migration);
      const outbox = await create({ migration });
      const r = record('m-lost-owed');
      const shard = shardIn(outbox, r);
      await outbox.begin(r, T0);
      await client().del(keys.owed(shard, 'old'), keys.owed(shard, 'new'));
      await outbox.commit(r, receiptOf(r));
      assert.equal(await client().zcard(keys.owed(shard, 'new')), 1, 'owed to new again');
      const owed = await outbox.lease('new', shard, 10, Date.now());
      assert.deepEqual(owed.map((w) => w.record.message.id), ['m-lost-owed']);
    });

    test('writes an earlier build left in its outbox stream and retry set are adopted, tries and all, and written', async () => {
      const migration = named('legacy');
      const keys = new RedisKeys(migration);
      const queued = record('m-legacy-queued');
      const retried = record('m-legacy-retried');
      await client().xadd(keys.legacyStream(shardOf(queued.message.id, 1), 'new'), '*', 'r', JSON.stringify(queued), 'a', '0');
      await client().zadd(keys.legacyRetries(shardOf(retried.message.id, 1), 'new'), T0 - 1, `3|${JSON.stringify(retried)}`);
      const outbox = await create({ migration });
      const owed = await outbox.lease('new', 0, 10, T0);
      assert.deepEqual(owed.map((w) => [w.record.message.id, w.attempt]).sort(), [['m-legacy-queued', 0], ['m-legacy-retried', 3]]);
      assert.equal(await client().xlen(keys.legacyStream(0, 'new')), 0, 'the stream is emptied');
      assert.equal(await client().zcard(keys.legacyRetries(0, 'new')), 0, 'and the retry set');
      await outbox.complete(owed);
      assert.deepEqual((await outbox.counts()).owed, { old: 0, new: 0 }, 'settled like any other write');
    });

    test('a holder whose lease was taken over can neither retry nor dead-letter the write', async () => {
      const { a, b } = await twoInstances('fence-settle', 200);
      const r = record('m-fence-settle');
      const shard = shardIn(a, r);
      await a.begin(r, T0);
      await a.commit(r, receiptOf(r));
      const [held] = await a.lease('new', shard, 10, Date.now());
      assert.ok(held);
      await sleep(300);
      const [taken] = await b.lease('new', shard, 10, Date.now());
      assert.equal(taken?.record.message.id, 'm-fence-settle', 'b took it over');
      assert.equal(await a.retry(held, Date.now() + 10_000), false);
      assert.equal(await a.deadLetter(held, 'gave up', Date.now()), false);
      const counts = await b.counts();
      assert.deepEqual([counts.retrying.new, counts.deadLettered.new, counts.owed.new], [0, 0, 1], 'still owed once, to b');
      assert.equal(await b.retry(taken!, Date.now() - 1), true);
    });

    test('an instance renews the leases it holds a long time, so nobody takes a slow write over', async () => {
      const { a, b } = await twoInstances('renew', 300);
      const r = record('m-renew');
      const shard = shardIn(a, r);
      await a.begin(r, T0);
      await a.commit(r, receiptOf(r));
      await sleep(150);
      const [held] = await a.lease('new', shard, 10, Date.now());
      assert.equal(held?.record.message.id, 'm-renew');
      await sleep(250);
      assert.equal((await b.lease('new', shard, 10, Date.now())).length, 0, 'past the lease since the commit, but renewed by a');
      await a.complete([held!]);
    });

    test('a write that was taken over while it waited in the local queue is not written by the first holder too', async () => {
      const { a, b } = await twoInstances('drop-claimed', 200);
      const r = record('m-drop');
      const shard = shardIn(a, r);
      await a.begin(r, T0);
      await a.commit(r, receiptOf(r));
      await sleep(300);
      assert.equal((await b.lease('new', shard, 10, Date.now())).length, 1, 'b takes over what a let idle');
      assert.equal((await a.lease('new', shard, 10, Date.now())).length, 0, 'a learns it lost the lease and drops it');
    });

    test('a write leased by an instance that died is taken over after the lease time', async () => {
      const { a, b } = await twoInstances('takeover', 200);
      const r = record('m7');
      const shard = shardIn(a, r);
      await a.begin(r, T0);
      await a.commit(r, receiptOf(r));
      assert.equal((await a.lease('new', shard, 10, Date.now())).length, 1);
      assert.equal((await b.lease('new', shard, 10, Date.now())).length, 0, 'held by a');
      await sleep(300);
      const taken = await b.lease('new', shard, 10, Date.now());
      assert.equal(taken.length, 1);
      assert.equal(taken[0]!.record.message.id, 'm7');
    });

    test('a commit leases its secondaries to the committing instance, which writes them from the records it holds', async () => {
      const { a, b } = await twoInstances('claim');
      const r = record('m-claim');
      const shard = shardIn(a, r);
      await a.begin(r, T0);
      await a.commit(r, receiptOf(r));
      // Leases run on the real clock: an instance asks for what is due now.
      assert.equal((await b.lease('new', shard, 10, Date.now())).length, 0, 'leased to a by its commit, before a asked');
      const writes = await a.lease('new', shard, 10, Date.now());
      assert.equal(writes.length, 1);
      assert.equal(writes[0]!.record, r, 'the record a committed, not a copy read back from Redis');
      assert.equal(writes[0]!.attempt, 0);
      await a.complete(writes);
      assert.equal((await a.counts()).owed.new, 0);
    });

    test('writes a commit leased to an instance that died are taken over, and its own takeover does not repeat them', async () => {
      const { a, b } = await twoInstances('claim-takeover', 200);
      const dies = record('m-dies');
      await a.begin(dies, T0);
      await a.commit(dies, receiptOf(dies));
      await sleep(300);
      const taken = await b.lease('new', shardIn(b, dies), 10, Date.now());
      assert.deepEqual(taken.map((w) => w.record.message.id), ['m-dies'], 'b takes over what a never wrote');
      await b.complete(taken);

      const slow = record('m-slow');
      await b.begin(slow, T0);
      await b.commit(slow, receiptOf(slow));
      await sleep(300);
      const again = await b.lease('new', shardIn(b, slow), 10, Date.now());
      assert.deepEqual(again.map((w) => w.record.message.id), ['m-slow'], 'once, though it idled past the lease in b\'s own list');
    });

    test('writes a commit leased to an instance that closes before writing them are taken by another instance at once', async () => {
      const { a, b } = await twoInstances('claim-close');
      const r = record('m-closing');
      await a.begin(r, T0);
      await a.commit(r, receiptOf(r));
      await a.close();
      const taken = await b.lease('new', shardIn(b, r), 10, Date.now());
      assert.deepEqual(taken.map((w) => w.record.message.id), ['m-closing'], 'not after the 30 s lease: handed back on close');
    });

    test('a full batch of writes leased by its own commits does not keep an instance from taking over a dead one\'s', async () => {
      const { a, b } = await twoInstances('claim-full', 200);
      const orphan = record('m-orphan');
      const shard = shardIn(a, orphan);
      await b.begin(orphan, T0);
      await b.commit(orphan, receiptOf(orphan));
      const own = ['m-own-1', 'm-own-2'].map((id) => record(idInShard(id, shard, a.shards)));
      for (const r of own) {
        await a.begin(r, T0);
        await a.commit(r, receiptOf(r));
      }
      await sleep(300);
      const writes = await a.lease('new', shard, 2, Date.now());
      assert.deepEqual(writes.map((w) => w.record.message.id).sort(), ['m-orphan', ...own.map((r) => r.message.id)].sort(), 'its own two, once each, and b\'s');
    });

    test('a record committed by an earlier build (receipt kept as JSON) still answers a retry with its receipt', async () => {
      const migration = named('legacy');
      const outbox = await create({ migration });
      const r = record('m-legacy');
      const pending = await outbox.begin(r, T0);
      assert.deepEqual(pending, { status: 'new' });
      const key = new RedisKeys(migration).message(shardIn(outbox, r), 'm-legacy');
      const fp = (await client().get(key))!.split('|')[1];
      await client().set(key, `c|${fp}|0|${JSON.stringify(receiptOf(r))}`);
      assert.deepEqual(await outbox.begin(r, T0), { status: 'duplicate', receipt: receiptOf(r) });
    });

    test('messages spread over shards and each shard is drained on its own', async () => {
      const outbox = await create({ shards: 4 });
      for (let i = 0; i < 40; i++) {
        const r = record(`s${i}`);
        await outbox.begin(r, T0);
        await outbox.commit(r, receiptOf(r));
      }
      const perShard = [];
      for (let shard = 0; shard < 4; shard++) perShard.push((await outbox.lease('new', shard, 100, T0)).length);
      assert.equal(perShard.reduce((a, b) => a + b, 0), 40);
      assert.ok(perShard.every((n) => n > 0), `every shard used: ${perShard}`);
    });
  });
}
