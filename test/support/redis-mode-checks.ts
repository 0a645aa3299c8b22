import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { sample, type Tally } from '../faults/support/accountant.js';
import { runCli } from './cli-process.js';
import type { GatewayProcess } from './gateway-process.js';
import { driveToCanary, eventually, onBothSides, TOKEN, type Stack } from './stack.js';

const USERS = Array.from({ length: 40 }, (_, i) => `user-${i}`);

export async function stateVersion(gateway: GatewayProcess): Promise<number> {
  return (await gateway.request('GET', '/admin/rollout', undefined, TOKEN)).body.state.version;
}

/**
 * What every Redis deployment must show with two gateways: a state change on one is routed by
 * the other within 1 s, sends through either are dual-written, and break glass on the Redis URL
 * flips both. `afterSends` checks what the deployment keeps of the state (replicas, slots).
 */
export async function sharedStateChecks(
  t: TestContext,
  stack: Omit<Stack, 'redis'>,
  redisUrl: string,
  options: { name: string; afterSends?: (version: number) => Promise<void> },
): Promise<void> {
  const [a, b] = await Promise.all([stack.startGateway(), stack.startGateway()]);
  await driveToCanary(a, 50);

  const started = Date.now();
  const changed = await a.request('POST', '/admin/rollout/percent', { percent: 40, force: true, reason: `propagation on ${options.name}` }, TOKEN);
  assert.equal(changed.status, 200, JSON.stringify(changed.body));
  const expected = await stateVersion(a);
  await eventually(async () => (await b.request('GET', '/v1/route/x')).body.version === expected, 1_000, 'gateway b to route by the change made on a');
  t.diagnostic(`state change seen by the second gateway after ${Date.now() - started} ms`);

  const ids: string[] = [];
  for (const [i, user] of USERS.entries()) {
    const gateway = i % 2 === 0 ? a : b;
    const res = await gateway.request('POST', '/v1/messages', { id: `${options.name}-${i}`, from: 'sender', to: { type: 'user', id: user }, payload: `via ${i % 2 === 0 ? 'a' : 'b'}` });
    assert.ok(res.status === 201 || res.status === 200, `${user}: ${res.status} ${JSON.stringify(res.body)}`);
    ids.push(res.body.id);
  }
  await onBothSides(stack, ids, 10_000);
  await options.afterSends?.(expected);

  const glass = await runCli(['rollback', '--redis', redisUrl, '--reason', `drill: break glass on ${options.name}`, '--actor', 'pager'], {});
  assert.equal(glass.code, 0, glass.stderr);
  const flipped = Date.now();
  for (const gateway of [a, b]) {
    await eventually(async () => {
      const routes = await Promise.all(USERS.map((u) => gateway.request('GET', `/v1/route/${u}`)));
      return routes.every((r) => r.body.cohort === 'old' && r.body.rolledBack === true);
    }, 1_000, 'each gateway to route everyone to old');
  }
  t.diagnostic(`both gateways rolled back ${Date.now() - flipped} ms after break glass exited`);
}

/**
 * What a master killed mid-load may cost, on any Redis deployment: nothing doubled, nothing
 * reported failed yet stored, nothing left owed, and every 201 at least on its primary (what the
 * dead master had not replicated may miss its secondary: README, "Redis persistence").
 */
export async function assertFailoverKeptPromises(tally: Tally, stack: Pick<Stack, 'old' | 'fresh'>): Promise<void> {
  assert.ok(tally.promised > 200, `load reached the gateway (${tally.promised} promised)`);
  assert.equal(tally.doubled, 0, `one payload under two ids: ${sample(tally.doubledMessages)}`);
  assert.equal(tally.storedButFailed, 0, `reported failed yet stored: ${sample(tally.storedButFailedMessages)}`);
  assert.equal(tally.stranded, 0, 'nothing left owed, unconfirmed or dead-lettered');
  const [oldIds, newIds] = await Promise.all([stack.old.messageIds(), stack.fresh.messageIds()]);
  const held = { old: new Set(oldIds), new: new Set(newIds) };
  const notOnPrimary = tally.lostMessages.filter((m) => m.outcome === 'accepted' && !held[m.primary as 'old' | 'new'].has(m.promisedId!));
  assert.equal(notOnPrimary.length, 0, `a 201 is at least on its primary: ${sample(notOnPrimary)}`);
}
