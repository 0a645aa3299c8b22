import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bucketOf, inRollout } from '../../src/domain/bucket.js';
import type { Peer } from '../../src/domain/message.js';
import { createLogger } from '../../src/infra/logger.js';
import { MemoryStateStore } from '../../src/infra/memory/memory-state-store.js';
import type { Eligibility } from '../../src/services/ports/eligibility.js';
import { NO_TELEMETRY } from '../../src/services/ports/telemetry.js';
import { RolloutControl } from '../../src/services/rollout-control.js';
import { Router } from '../../src/services/router.js';
import { StateView } from '../../src/services/state-view.js';

const FLAG = 'cutover-gate';
const IDS = Array.from({ length: 4_000 }, (_, i) => `user-${i}`);
const everyone: Eligibility = { isEligible: () => true, ready: async () => {}, close: async () => {} };
const OPS = { name: 'ops', role: 'operator' as const };

async function routerAt(verified: Set<string>): Promise<{ router: Router; control: RolloutControl }> {
  const logger = createLogger('silent');
  const store = new MemoryStateStore();
  const view = new StateView({ store, migration: 'm', pollIntervalMs: 60_000, logger, telemetry: NO_TELEMETRY });
  await view.start();
  view.stop();
  const control = new RolloutControl({ store, view, logger });
  await control.change(OPS, { type: 'set-stage', stage: 'shadow' });
  await control.change(OPS, { type: 'set-stage', stage: 'canary' });
  return { router: new Router(view, everyone, FLAG, verified), control };
}

const onNew = (router: Router, ids: readonly string[]): string[] => ids.filter((id) => router.route({ type: 'user', id } satisfies Peer).cohort === 'new');

test('with the gate, a user is on new iff verified and inside the percent: the flag cohort holds exactly for verified users, at every whole percent, and raising it only adds', async () => {
  const verified = new Set(IDS.filter((_, i) => i % 3 !== 0));
  const { router, control } = await routerAt(verified);
  let before: string[] = [];
  for (const percent of [1, 5, 10, 25, 50, 100]) {
    await control.change(OPS, { type: 'set-percent', percent, force: true });
    const now = onNew(router, IDS);
    assert.deepEqual(now, IDS.filter((id) => verified.has(id) && inRollout(bucketOf(FLAG, id), percent)), `at ${percent} %`);
    assert.deepEqual(before.filter((id) => !now.includes(id)), [], `raising to ${percent} % removed nobody`);
    before = now;
  }
  const unverified = IDS.filter((id) => !verified.has(id));
  assert.deepEqual(onNew(router, unverified), [], 'no unverified user on new, even at 100 %');
  const held = router.route({ type: 'user', id: unverified[0]! });
  assert.equal(held.verified, false);
  assert.equal(held.eligible, false);
  assert.equal(router.flagEligible({ type: 'user', id: unverified[0]! }), true);
});

test('a user verified later joins at once, in the same bucket: verification adds users, never reshuffles them', async () => {
  const verified = new Set<string>();
  const { router, control } = await routerAt(verified);
  await control.change(OPS, { type: 'set-percent', percent: 50, force: true });
  assert.deepEqual(onNew(router, IDS), []);
  for (const id of IDS.slice(0, 2_000)) verified.add(id);
  assert.deepEqual(onNew(router, IDS), IDS.slice(0, 2_000).filter((id) => inRollout(bucketOf(FLAG, id), 50)));
  const channel = router.route({ type: 'channel', id: 'room' });
  assert.equal(channel.verified, null, 'channels are not gated: their members are');
});
