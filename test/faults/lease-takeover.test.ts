import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { assertNone } from './support/accountant.js';
import { sideEnv, startFaultStack } from './support/fault-stack.js';

const LEASE_MS = 2_000;
/** Longer than the lease plus a takeover pass (every quarter lease): the other instance takes the frozen one's writes. */
const FROZEN_MS = LEASE_MS + 1_500;

/*
 * A lease outlives any one write (the config refuses a lease shorter than twice a side's longest
 * write, and holders renew theirs), so a live holder loses a lease only when it stops running: a
 * long GC pause, a starved VM. Here gateway A freezes (SIGSTOP) while it holds secondary writes to a
 * slow side, B takes them over, and then A thaws mid-write and carries on with writes it no longer holds.
 */
test('a lease taken over while its holder is frozen mid-write, which then thaws and finishes: nothing lost, stranded or dead-lettered, the outbox ends empty', async (t) => {
  const stack = await startFaultStack(t, {
    rollout: 'shadow', // old primary for everyone: only secondary writes meet the slow side
    env: { CUTOVER_OUTBOX_LEASE_TIMEOUT: `${LEASE_MS}ms` },
    // Writes to new take 700 ms of a 1 s deadline: A always has some in flight.
    envFor: (s) => ({ CUTOVER_NEW_SIDE: sideEnv(s.fresh, '1s', 0) }),
  });
  await stack.sides.new.setFaults({ latencyMs: 700 });
  const [frozen] = stack.gateways;
  // The balancer stops sending to A once its /readyz stops answering; what A already had waits for it.
  const load = await stack.load({ name: 'lease', workers: 4, pauseMs: 50, durationMs: 8_000 }, { readinessPollMs: 75 });

  await sleep(2_000);
  frozen!.pause(true);
  await sleep(FROZEN_MS);
  frozen!.pause(false);
  const messages = await load.finished();

  let duplicates = 0;
  const tally = await stack.account({
    name: 'lease-takeover', messages, drainMs: 40_000,
    extra: async () => {
      // Writes both instances made: the side took each id once.
      const stats = await stack.sides.new.stats();
      duplicates = stats.duplicatesSuppressed;
      return { frozenMs: FROZEN_MS, leaseMs: LEASE_MS, newPuts: stats.puts, newDuplicatesSuppressed: stats.duplicatesSuppressed };
    },
  });
  assert.ok(tally.promised > 100, `sends were promised (${tally.promised})`);
  // Writes A had in flight when it froze reached the side, and B wrote them again: the takeover happened.
  assert.ok(duplicates > 0, 'B took over writes A was making');
  assertNone(tally, ['lost', 'deadLetters', 'stranded', 'doubled', 'storedButFailed']);
});
