import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { assertNone, failuresByAnswer } from './support/accountant.js';
import { startFaultStack } from './support/fault-stack.js';

test('a graceful Redis restart under load loses nothing promised, and what was refused meanwhile is stored nowhere', async (t) => {
  const stack = await startFaultStack(t);
  // No readiness polling: the gateways stay in rotation, so callers meet the outage (503s are fine).
  const load = await stack.load({ name: 'redis-restart', workers: 8, pauseMs: 5, durationMs: 6_000, followUpMs: 20_000 });

  await sleep(2_000);
  await stack.redis.stop();
  await sleep(1_000);
  await stack.redis.boot();
  const messages = await load.finished();

  const tally = await stack.account({ name: 'redis-restart', messages, drainMs: 30_000, extra: { failures: failuresByAnswer(messages) } });
  assert.ok(tally.promised > 200, `load reached the gateways (${tally.promised} promised)`);
  assert.ok(tally.failed > 0, 'the restart was felt: some sends were refused');
  assertNone(tally, ['lost', 'storedButFailed', 'doubled', 'stranded']);
});
