import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bucketOf } from '../../src/domain/bucket.js';
import { createLogger } from '../../src/infra/logger.js';
import { MemoryStateStore } from '../../src/infra/memory/memory-state-store.js';
import { PeerSlots } from '../../src/services/peer-slots.js';
import type { Eligibility } from '../../src/services/ports/eligibility.js';
import { NO_TELEMETRY } from '../../src/services/ports/telemetry.js';
import { Router } from '../../src/services/router.js';
import { StateView } from '../../src/services/state-view.js';

test('peer slots: dense from 0, one per key; when full every slot is released at once, the generation bumped and listeners told first', () => {
  const slots = new PeerSlots(3);
  const told: number[] = [];
  slots.onRelease(() => told.push(slots.generation));
  assert.deepEqual(['a', 'b', 'a', 'c', 'b'].map((key) => slots.slotOf(key)), [0, 1, 0, 2, 1]);
  assert.equal(slots.generation, 0);
  assert.equal(slots.slotOf('d'), 0, 'full: released, and d takes the first slot');
  assert.deepEqual(told, [1]);
  assert.equal(slots.generation, 1);
  assert.equal(slots.slotOf('a'), 1, 'a is a new key now');
  assert.throws(() => new PeerSlots(0), /capacity must be a whole number ≥ 1; got 0/);
});

test('router: a bucket follows its key through slot releases (a reused slot never answers with its previous key\'s bucket)', async () => {
  const logger = createLogger('silent');
  const view = new StateView({ store: new MemoryStateStore(), migration: 'm', pollIntervalMs: 60_000, logger, telemetry: NO_TELEMETRY });
  await view.start();
  view.stop();
  const everyone: Eligibility = { isEligible: () => true, ready: async () => {}, close: async () => {} };
  const slots = new PeerSlots(4);
  const router = new Router(view, everyone, 'flag', undefined, slots);
  const ids = Array.from({ length: 10 }, (_, i) => `user-${i}`);
  for (let pass = 0; pass < 3; pass++) {
    for (const id of ids) {
      const route = router.route({ type: 'user', id });
      assert.equal(route.bucket, bucketOf('flag', id), `${id}, pass ${pass}`);
      assert.deepEqual([route.slot, route.slotGeneration], [slots.slotOf(id), slots.generation]);
    }
  }
  assert.ok(slots.generation >= 7, 'the slots were released over and over');
  const channel = router.route({ type: 'channel', id: 'user-1' });
  assert.equal(channel.bucket, bucketOf('flag', 'channel:user-1'), 'a channel hashes apart from the user of the same id');
});
