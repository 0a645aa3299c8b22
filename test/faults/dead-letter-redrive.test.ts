import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TOKEN, eventually } from '../support/stack.js';
import { assertNone, failuresByAnswer, type DeadLetterView } from './support/accountant.js';
import { startFaultStack } from './support/fault-stack.js';

test('dead letters of both kinds (a failing secondary, a recovery out of tries) redriven once the side is fixed: every promised message on both sides, none left', async (t) => {
  const stack = await startFaultStack(t, { env: { CUTOVER_OUTBOX_MAX_ATTEMPTS: '3' } });
  const [gateway] = stack.gateways;
  // The new side refuses every message with a 503 and stores nothing: old-primary users' secondary
  // writes run out of tries, and new-primary users' sends are ambiguous, so recovery runs out too.
  await stack.sides.new.setFaults({ errorRate: 1, status: 503 });
  const load = await stack.load({ name: 'dead-letter', workers: 4, pauseMs: 10, count: 120 });
  const messages = await load.finished();
  const promised = messages.filter((m) => m.promisedAt !== undefined).length;

  let letters: DeadLetterView[] = [];
  await eventually(async () => {
    const report = await stack.outbox();
    letters = [...report.deadLetters.old, ...report.deadLetters.new];
    return report.counts.owed.old + report.counts.owed.new + report.counts.unconfirmed === 0;
  }, 30_000, 'every owed write to settle as a dead letter').catch(() => undefined);
  const kinds = { secondary: letters.filter((l) => l.kind === 'secondary').length, recovery: letters.filter((l) => l.kind === 'recovery').length, unmarked: letters.filter((l) => l.kind === undefined).length };

  await stack.sides.new.setFaults({ errorRate: 0 });
  const redriven: Record<string, number | string> = {};
  for (const side of ['old', 'new'] as const) {
    const res = await gateway!.request('POST', '/admin/outbox/redrive', { side, reason: 'fault drill: the new side is fixed' }, TOKEN);
    redriven[side] = res.status === 200 ? res.body.redriven : `HTTP ${res.status}`;
  }

  const tally = await stack.account({
    name: 'dead-letter-redrive', messages, drainMs: 30_000,
    extra: {
      deadLettersBeforeRedrive: letters.length, secondaryKind: kinds.secondary, recoveryKind: kinds.recovery, unmarkedKind: kinds.unmarked,
      redrivenOld: redriven.old!, redrivenNew: redriven.new!, failures: failuresByAnswer(messages),
    },
  });
  assert.ok(promised > 50, `sends were promised (${promised})`);
  assert.ok(kinds.secondary > 0, `secondary writes dead-lettered (${kinds.secondary})`);
  assert.ok(kinds.recovery > 0, `recoveries dead-lettered (${kinds.recovery}): a send the primary answered ambiguously is recovered, not refused`);
  assertNone(tally, ['lost', 'stranded', 'storedButFailed', 'doubled']);
});
