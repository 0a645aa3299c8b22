import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { GatewayProcess } from '../support/gateway-process.js';
import { driveToCanary, eventually, onBothSides, startStack, TOKEN } from '../support/stack.js';

/** Sends from `workers` loops until `stop()`; records the ids the gateway accepted (2xx). */
function loadGenerator(gateway: GatewayProcess, workers: number) {
  const accepted = new Set<string>();
  let running = true;
  let sent = 0;
  const loops = Array.from({ length: workers }, async (_, w) => {
    for (let i = 0; running; i++) {
      const id = `crash-${w}-${i}`;
      sent++;
      try {
        const res = await gateway.request('POST', '/v1/messages', { id, from: `s${w}`, to: { type: 'user', id: `u${(w * 7919 + i) % 500}` }, payload: id });
        if (res.status === 201 || res.status === 200) accepted.add(id);
      } catch {
        // The gateway died under this request: not accepted, nothing promised.
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  });
  return { accepted, get sent() { return sent; }, async stop() { running = false; await Promise.all(loops); } };
}

test('a gateway killed with SIGKILL under load loses nothing it accepted, on either side', async (t) => {
  const stack = await startStack(t);
  const gateway = await stack.startGateway();
  await driveToCanary(gateway, 50);

  const load = loadGenerator(gateway, 16);
  await new Promise((r) => setTimeout(r, 1_500));
  await gateway.kill();
  await new Promise((r) => setTimeout(r, 300));
  await load.stop();
  const accepted = [...load.accepted];
  assert.ok(accepted.length > 100, `load reached the gateway before the kill (${accepted.length} accepted of ${load.sent})`);

  await gateway.boot(); // a new process on the same Redis
  await onBothSides(stack, accepted, 20_000);

  const outbox = await gateway.request('GET', '/admin/outbox', undefined, TOKEN);
  await eventually(async () => {
    const counts = (await gateway.request('GET', '/admin/outbox', undefined, TOKEN)).body.counts;
    return counts.owed.old + counts.owed.new + counts.unconfirmed === 0;
  }, 10_000, 'the outbox to drain');
  assert.equal(outbox.body.counts.deadLettered.old + outbox.body.counts.deadLettered.new, 0, 'nothing dead-lettered');
  // Requests cut off by the kill were either never begun or recovered to both sides: nothing half-written.
  const [oldIds, newIds] = await Promise.all([stack.old.messageIds(), stack.fresh.messageIds()]);
  assert.deepEqual([...oldIds].sort(), [...newIds].sort(), 'both sides hold the same messages');
});
