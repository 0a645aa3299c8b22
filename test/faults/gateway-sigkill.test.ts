import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { assertNone } from './support/accountant.js';
import { startFaultStack } from './support/fault-stack.js';

test('a gateway SIGKILLed under load, while another serves and it restarts, loses, doubles and strands nothing it promised', async (t) => {
  const stack = await startFaultStack(t);
  const [killed] = stack.gateways;
  // Callers retry a reset with their id on whichever gateway is up; two id-less ones cannot (no id yet).
  const load = await stack.load(
    { name: 'sigkill', workers: 10, idlessWorkers: 2, pauseMs: 5, durationMs: 6_000, networkRetries: 30, followUpMs: 20_000 },
    { readinessPollMs: 75 },
  );

  await sleep(2_000);
  await killed!.kill();
  await sleep(1_000);
  await killed!.boot();
  const messages = await load.finished();

  const tally = await stack.account({ name: 'gateway-sigkill', messages, drainMs: 30_000 });
  assert.ok(tally.promised > 200, `load reached the gateways (${tally.promised} promised)`);
  assertNone(tally, ['lost', 'doubled', 'stranded', 'storedButFailed']);
});
