import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SimFaults } from '../../src/sim/legacy-im-app.js';
import { assertNone, failuresByAnswer, sample } from './support/accountant.js';
import { startFaultStack } from './support/fault-stack.js';

const FAULT_MS = 4_000;

/**
 * The new side (primary for half the users) stores messages and then answers badly for 4 s; then
 * it heals and recovery can finish. Half the callers send no id of their own: they retry with the
 * id an answer names (a naive one without, when none is named), which is where payloads got doubled.
 */
async function ambiguousPrimary(t: TestContext, name: string, faults: Partial<SimFaults>): Promise<void> {
  // Tries enough for the secondary writes to the faulty side to outlast the fault (this scenario is about the primary).
  const stack = await startFaultStack(t, { env: { CUTOVER_OUTBOX_MAX_ATTEMPTS: '40' } });
  const load = await stack.load({ name, workers: 8, idlessWorkers: 4, pauseMs: 20, durationMs: FAULT_MS + 1_000, followUpMs: 30_000, errorRetries: 3 });
  await stack.sides.new.setFaults(faults);
  await sleep(FAULT_MS);
  await stack.sides.new.setFaults({ errorRate: 0, failAfterStore: false, replyDelayMs: 0 });
  const messages = await load.finished();

  const toldPending = messages.filter((m) => m.trail.includes('202'));
  const tally = await stack.account({
    name, messages, drainMs: 30_000,
    extra: async () => ({ toldPending: toldPending.length, failures: failuresByAnswer(messages), newDuplicatesSuppressed: (await stack.sides.new.stats()).duplicatesSuppressed }),
  });
  assert.ok(toldPending.length > 0, `the fault made primary answers ambiguous (202s: ${toldPending.length}; failures ${failuresByAnswer(messages)})`);
  const unresolved = messages.filter((m) => m.outcome === 'pending');
  assert.equal(unresolved.length, 0, `a retry with the id from a 202 gets the receipt once delivered (409 until then): ${sample(unresolved)}`);
  assertNone(tally, ['lost', 'storedButFailed', 'doubled', 'stranded']);
}

test('a primary that stores and then answers after the gateway gave up: 202 pending, then on both sides, none reported failed, none doubled', async (t) => {
  // 300 ms side timeout, one retry: every try of a 700 ms reply times out after the message was stored.
  await ambiguousPrimary(t, 'primary-reply-late', { replyDelayMs: 700 });
});

test('a primary that stores and then answers 503 (failAfterStore): 202 pending or 201, then on both sides, none reported failed, none doubled', async (t) => {
  await ambiguousPrimary(t, 'primary-fail-after-store', { errorRate: 0.5, status: 503, failAfterStore: true });
});
