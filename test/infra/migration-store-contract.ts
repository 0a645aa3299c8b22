import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Job } from '../../src/domain/migration/job.js';
import { LISTING_START, unitKey, type Unit } from '../../src/domain/migration/units.js';
import type { MigrationStore } from '../../src/services/ports/migration-store.js';

const T0 = 1_800_000_000_000;
const LEASE = 1_000;

function job(id: string, mode: Job['mode'] = 'copy'): Job {
  return {
    id, mode, redrive: false, status: 'running', startedAt: T0, startedBy: 'olga', reason: 'contract', finishedAt: null, settledBefore: T0,
    expected: { users: 2, groups: 0, members: 0, conversations: 1, messages: 10 },
  };
}

const alice: Unit = { kind: 'user', userId: 'alice' };
const bob: Unit = { kind: 'user', userId: 'bob' };
const pair: Unit = { kind: 'conversation', conversation: { type: 'user', a: 'alice', b: 'bob' }, messageCount: 10 };
const NOTHING = { counts: {}, mismatches: [], verifiedUsers: [], heldUsers: [] };

/** Every scenario the migration store port promises, against the stores `create` makes (a new job space each). */
export function migrationStoreContract(name: string, create: () => MigrationStore): void {
  describe(`${name} migration store`, () => {
    test('one job at a time: a second start is refused until the first is done, then replaces it whole', async () => {
      const store = create();
      assert.equal(await store.progress(), null);
      assert.equal(await store.start(job('j1')), true);
      assert.equal(await store.start(job('j2')), false);
      await store.advanceListing('j1', LISTING_START, { phase: 'done', cursor: null }, [alice], { 'listed.user': 1 });
      assert.equal((await store.progress())?.units.open, 1);
      const lease = await store.lease('j1', 'a', T0, LEASE);
      assert.equal(await store.complete('j1', lease!.key, 'a', { ...NOTHING, counts: { 'done.user': 1 } }), true);
      assert.equal((await store.progress())?.job.status, 'finalizing');
      await store.finalize('j1', T0 + 5);
      const done = await store.progress();
      assert.equal(done?.job.status, 'done');
      assert.equal(done?.job.finishedAt, T0 + 5);
      assert.equal(await store.start(job('j2', 'verify')), true);
      const fresh = await store.progress();
      assert.equal(fresh?.job.id, 'j2');
      assert.deepEqual(fresh?.counters, {});
      assert.deepEqual(fresh?.listing, LISTING_START);
    });

    test('the listing moves only from where the caller read it: of two racing instances, one adds the page', async () => {
      const store = create();
      await store.start(job('j'));
      const to = { phase: 'user' as const, cursor: 'page-2' };
      assert.equal(await store.advanceListing('j', LISTING_START, to, [alice], { 'listed.user': 1 }), true);
      assert.equal(await store.advanceListing('j', LISTING_START, to, [alice], { 'listed.user': 1 }), false);
      assert.equal(await store.advanceListing('other-job', to, LISTING_START, [bob], {}), false);
      const progress = await store.progress();
      assert.deepEqual(progress?.listing, to);
      assert.equal(progress?.counters['listed.user'], 1);
      assert.equal(progress?.units.open, 1);
    });

    test('a unit is held by one instance; its lease ends, another takes it over with the checkpoint, and the first can no longer touch it', async () => {
      const store = create();
      await store.start(job('j'));
      await store.advanceListing('j', LISTING_START, { phase: 'done', cursor: null }, [pair], {});
      const first = await store.lease('j', 'a', T0, LEASE);
      assert.equal(first?.key, unitKey(pair));
      assert.equal(first?.checkpoint, undefined);
      assert.equal(first?.takenOver, false);
      assert.equal(await store.lease('j', 'b', T0 + 10, LEASE), null, 'held: nobody else gets it');
      assert.equal(await store.checkpoint('j', first!.key, 'a', 'cursor-1', { 'messages.created': 5 }), true);

      const second = await store.lease('j', 'b', T0 + LEASE + 1, LEASE);
      assert.equal(second?.key, first?.key);
      assert.equal(second?.checkpoint, 'cursor-1');
      assert.equal(second?.takenOver, true);
      assert.equal(await store.checkpoint('j', first!.key, 'a', 'cursor-9', { 'messages.created': 5 }), false, 'fenced');
      assert.equal(await store.complete('j', first!.key, 'a', NOTHING), false, 'fenced');
      assert.equal(await store.renew('j', first!.key, 'a', T0 + LEASE + 2, LEASE), false, 'fenced');
      assert.equal(await store.checkpoint('j', first!.key, 'b', null, { 'messages.created': 5 }), true);
      assert.equal(await store.complete('j', first!.key, 'b', { ...NOTHING, counts: { 'done.conversation': 1 } }), true);
      const progress = await store.progress();
      assert.equal(progress?.counters['messages.created'], 10);
      assert.equal(progress?.counters.takenOver, 1);
      assert.equal(progress?.units.open, 0);
    });

    test('a released unit is free again from the time given; a paused job leases nothing', async () => {
      const store = create();
      await store.start(job('j'));
      await store.advanceListing('j', LISTING_START, { phase: 'done', cursor: null }, [alice], {});
      const lease = await store.lease('j', 'a', T0, LEASE);
      assert.equal(await store.release('j', lease!.key, 'a', T0 + 500), true);
      assert.equal(await store.lease('j', 'b', T0 + 499, LEASE), null);
      assert.equal(await store.setStatus('j', ['running'], 'paused', T0), true);
      assert.equal(await store.lease('j', 'b', T0 + 501, LEASE), null, 'paused');
      assert.equal(await store.setStatus('j', ['running'], 'paused', T0), false, 'only from the statuses given');
      assert.equal(await store.setStatus('j', ['paused'], 'running', T0), true);
      assert.equal((await store.lease('j', 'b', T0 + 501, LEASE))?.key, lease!.key);
    });

    test('verification only grows: a user some unit found differing is not verified, the others are, once each, in sequence', async () => {
      const store = create();
      await store.start(job('v', 'verify'));
      await store.advanceListing('v', LISTING_START, { phase: 'done', cursor: null }, [alice, bob, pair], {});
      for (let i = 0; i < 3; i++) {
        const lease = await store.lease('v', 'a', T0, LEASE);
        const unit = lease!.unit;
        const result = unit.kind === 'user'
          ? { ...NOTHING, verifiedUsers: [unit.userId] }
          : { ...NOTHING, mismatches: [{ kind: 'message_missing_on_new' as const, unit: lease!.key, where: 'conversation alice↔bob', item: 'm1', old: {}, new: null }], heldUsers: ['bob'] };
        assert.equal(await store.complete('v', lease!.key, 'a', result), true);
      }
      await store.finalize('v', T0);
      assert.equal(await store.verifiedCount(), 1);
      const first = await store.verifiedSince(0, 10);
      assert.deepEqual(first.users, ['alice']);
      assert.deepEqual(await store.verifiedSince(first.sequence, 10), { users: [], sequence: first.sequence });
      const mismatches = await store.mismatches('v', 0, 10);
      assert.equal(mismatches.length, 1);
      assert.equal(mismatches[0]?.item, 'm1');
      assert.equal((await store.progress())?.counters.mismatches, 1);
      await store.finalize('v', T0);
      assert.equal(await store.verifiedCount(), 1, 'a second finalize adds nothing');
    });

    test('verified users page in sequence order without skipping any', async () => {
      const store = create();
      await store.start(job('v', 'verify'));
      const users: Unit[] = Array.from({ length: 25 }, (_, i) => ({ kind: 'user', userId: `u${String(i).padStart(2, '0')}` }));
      await store.advanceListing('v', LISTING_START, { phase: 'done', cursor: null }, users, {});
      for (;;) {
        const lease = await store.lease('v', 'a', T0, LEASE);
        if (lease === null) break;
        await store.complete('v', lease.key, 'a', { ...NOTHING, verifiedUsers: [(lease.unit as { userId: string }).userId] });
      }
      await store.finalize('v', T0);
      const seen: string[] = [];
      let sequence = 0;
      for (;;) {
        const page = await store.verifiedSince(sequence, 7);
        seen.push(...page.users);
        sequence = page.sequence;
        if (page.users.length < 7) break;
      }
      assert.equal(seen.length, 25);
      assert.equal(new Set(seen).size, 25);
    });

    test('a heartbeat counts the instances seen within the window and forgets those gone silent', async () => {
      const store = create();
      assert.equal(await store.heartbeat('a', T0, LEASE), 1);
      assert.equal(await store.heartbeat('b', T0 + LEASE / 2, LEASE), 2);
      assert.equal(await store.heartbeat('b', T0 + LEASE * 1.5, LEASE), 1, 'a was last seen a whole window ago');
    });
  });
}
