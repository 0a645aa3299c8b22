import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { eventually } from '../support/stack.js';
import { assertNone, failuresByAnswer, sample } from './support/accountant.js';
import { startFaultStack } from './support/fault-stack.js';

test('a rolling restart (SIGTERM, exit 0, boot, ready; one gateway after the other) under steady load fails no request and loses nothing', async (t) => {
  const stack = await startFaultStack(t, { env: { CUTOVER_DRAIN_PERIOD: '1500ms' } });
  // Polls /readyz every 50 ms and sends only to ready gateways, as a load balancer does.
  const load = await stack.load({ name: 'rolling', workers: 6, pauseMs: 10, durationMs: 60_000 }, { readinessPollMs: 50 });

  const exitCodes: Array<number | null> = [];
  await sleep(1_000);
  for (const gateway of stack.gateways) {
    await gateway.stop();
    exitCodes.push(gateway.exitCode);
    await gateway.boot();
    await eventually(async () => (await fetch(`${gateway.url}/readyz`, { signal: AbortSignal.timeout(1_000) })).status === 200, 10_000, 'the restarted gateway to be ready');
    // Let the balancer see it ready before the next one goes.
    await sleep(500);
  }
  await sleep(1_000);
  const messages = await load.stop();

  const tally = await stack.account({ name: 'rolling-restart', messages, drainMs: 30_000, extra: { exitCodes: exitCodes.join(','), failures: failuresByAnswer(messages) } });
  assert.deepEqual(exitCodes, [0, 0], 'each gateway exits 0 after its drain');
  assert.ok(tally.promised > 200, `load ran through the restarts (${tally.promised} promised)`);
  const failed = messages.filter((m) => m.outcome === 'failed' || m.outcome === 'network');
  assert.equal(failed.length, 0, `no request reset or failed: ${sample(failed)}`);
  assertNone(tally, ['lost', 'stranded']);
});
