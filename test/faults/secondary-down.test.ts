import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { assertNone, failuresByAnswer } from './support/accountant.js';
import { startFaultStack } from './support/fault-stack.js';

const OUTAGE_MS = 30_000;

test('the new side down for 30 s under load: once it is back the outbox drains, nothing lost, nothing dead-lettered or stranded', async (t) => {
  const stack = await startFaultStack(t);
  // A steady trickle (≈ 60/s): a 30 s outage owes the new side a backlog of a thousand or so.
  const load = await stack.load({ name: 'secondary-down', workers: 4, pauseMs: 60, durationMs: OUTAGE_MS + 5_000 });

  await sleep(2_000);
  await stack.sides.new.stop();
  const during = await sleep(OUTAGE_MS).then(() => stack.outbox());
  await stack.sides.new.restart();
  const messages = await load.finished();

  const tally = await stack.account({
    name: 'secondary-down', messages, drainMs: 45_000,
    extra: { owedToNewAtOutageEnd: during.counts.owed.new, deadLettersAtOutageEnd: during.counts.deadLettered.new, failures: failuresByAnswer(messages) },
  });
  assert.ok(during.counts.owed.new > 100, `the outage built a backlog (${during.counts.owed.new} owed to new)`);
  assertNone(tally, ['lost', 'deadLetters', 'stranded', 'storedButFailed', 'doubled']);
});
