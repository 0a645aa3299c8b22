import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { GatewayProcess } from '../support/gateway-process.js';
import { driveToCanary, eventually, onBothSides, startStack, TOKEN } from '../support/stack.js';

const USERS = Array.from({ length: 30 }, (_, i) => `user-${i}`);

/** About `rate` sends a second from a few loops until stopped; remembers what was accepted. */
function traffic(gateways: GatewayProcess[], rate: number) {
  const accepted = new Set<string>();
  let running = true;
  const loops = Array.from({ length: 8 }, async (_, w) => {
    for (let i = 0; running; i++) {
      const gateway = gateways[i % gateways.length]!;
      const id = `g-${w}-${i}`;
      try {
        const res = await gateway.request('POST', '/v1/messages', { id, from: `s${w}`, to: { type: 'user', id: `u${(w * 31 + i) % 200}` }, payload: id });
        if (res.status === 201) accepted.add(id);
      } catch {
        // Connection trouble: not accepted.
      }
      await new Promise((r) => setTimeout(r, (8 * 1000) / rate));
    }
  });
  return { accepted, async stop() { running = false; await Promise.all(loops); } };
}

test('the guard rolls back on a new-side fault, every instance routes to old, and nothing accepted is lost', async (t) => {
  const stack = await startStack(t, { CUTOVER_GUARD_MIN_SAMPLES: '50' });
  const [a, b] = await Promise.all([stack.startGateway(), stack.startGateway()]);
  await driveToCanary(a, 50);
  const load = traffic([a, b], 150);
  t.after(() => load.stop());

  await new Promise((r) => setTimeout(r, 4_000)); // healthy traffic first: the guard must not act
  const healthy = await a.request('GET', '/admin/rollout', undefined, TOKEN);
  assert.equal(healthy.body.state.rollback, null, 'no rollback on healthy traffic');
  assert.ok(['healthy', 'hold'].includes(healthy.body.guard.report?.verdict), JSON.stringify(healthy.body.guard));

  const injectedAt = Date.now();
  await stack.fresh.setFaults({ errorRate: 0.8, status: 503 });
  await eventually(async () => (await b.request('GET', '/admin/rollout', undefined, TOKEN)).body.state.rollback !== null, 15_000, 'the guard to roll back');
  const detectedAfter = Date.now() - injectedAt;
  t.diagnostic(`rolled back ${detectedAfter} ms after the fault`);

  const status = (await b.request('GET', '/admin/rollout', undefined, TOKEN)).body;
  assert.equal(status.state.rollback.trigger, 'auto');
  assert.equal(status.state.rollback.actor, 'guard');
  // At 80 % failing, the error test or the failure streak (20 in a row on one instance) may fire first: both are right.
  assert.match(status.state.rollback.reason, /\d+(\.\d+)?%|\d+ new-side sends failed in a row/, 'the reason carries the numbers');
  for (const gateway of [a, b]) {
    const routes = await Promise.all(USERS.map((u) => gateway.request('GET', `/v1/route/${u}`)));
    assert.ok(routes.every((r) => r.body.cohort === 'old'), 'everyone on old on every instance');
  }
  const cli = await promisify(execFile)(process.execPath, [fileURLToPath(new URL('../../src/cli/cutover.js', import.meta.url)), 'status'], {
    env: { ...process.env, CUTOVER_URL: b.url, CUTOVER_TOKEN: TOKEN },
  });
  assert.match(cli.stdout, /ROLLED BACK/);
  assert.match(cli.stdout, /^trigger +auto, by guard/m, 'cutover status shows the automatic trigger');
  assert.match(cli.stdout, /^reason +".*\d+(\.\d+)?%.*"/m, 'and the numbers behind it');
  const audit = (await a.request('GET', '/admin/audit?limit=5', undefined, TOKEN)).body.entries;
  const entry = audit.find((e: { action: string }) => e.action === 'rollback');
  assert.equal(entry.role, 'guard');
  assert.equal(entry.after.rollback.trigger, 'auto');
  assert.ok(entry.details.rule, 'the audit entry names the rule that fired');
  assert.equal(audit.filter((e: { action: string }) => e.action === 'rollback').length, 1, 'two instances judging at once made one rollback');

  await new Promise((r) => setTimeout(r, 1_000));
  await load.stop();
  await stack.fresh.setFaults({ errorRate: 0 }); // the new side recovers; the outbox catches it up
  const accepted = [...load.accepted];
  assert.ok(accepted.length > 200, `traffic flowed (${accepted.length} accepted)`);
  await onBothSides(stack, accepted, 30_000);
});
