import assert from 'node:assert/strict';
import { test } from 'node:test';
import { driveToCanary, startStack, TOKEN } from '../support/stack.js';

const USERS = Array.from({ length: 40 }, (_, i) => `user-${i}`);

test('a state change on one gateway is seen by another within 1 s, and both answer every user alike', async (t) => {
  const stack = await startStack(t);
  const [a, b] = await Promise.all([stack.startGateway(), stack.startGateway()]);
  await driveToCanary(a, 50);
  const version = (await a.request('GET', '/admin/rollout', undefined, TOKEN)).body.state.version;

  // Same answer from both instances and from both endpoints.
  const deadline = Date.now() + 1_000;
  while ((await b.request('GET', '/v1/route/x')).body.version !== version && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  for (const user of USERS) {
    const [ra, rb] = await Promise.all([a.request('GET', `/v1/route/${user}`), b.request('GET', `/v1/route/${user}`)]);
    assert.deepEqual(ra.body, rb.body, user);
  }

  const started = Date.now();
  const rollback = await a.request('POST', '/admin/rollout/rollback', { reason: 'propagation test' }, TOKEN);
  assert.equal(rollback.status, 200);
  let seenAfter = -1;
  while (Date.now() - started < 1_000) {
    const routes = await Promise.all(USERS.map((u) => b.request('GET', `/v1/route/${u}`)));
    if (routes.every((r) => r.body.cohort === 'old' && r.body.rolledBack === true)) {
      seenAfter = Date.now() - started;
      break;
    }
  }
  assert.ok(seenAfter >= 0, 'instance b did not route everyone to old within 1 s');
  const receipt = await b.request('POST', '/v1/messages', { from: 'x', to: { type: 'user', id: USERS[0] }, payload: 'after rollback' });
  assert.equal(receipt.body.primary, 'old', 'sends on b follow the rollback too');
  assert.equal(receipt.body.secondary, 'new', 'and keep dual-writing');
});

test('fail-static: with Redis stopped the gateway keeps routing by the last known state, refuses sends with 503, and recovers', async (t) => {
  const stack = await startStack(t);
  const gateway = await stack.startGateway();
  await driveToCanary(gateway, 50);
  const before = await Promise.all(USERS.map((u) => gateway.request('GET', `/v1/route/${u}`)));
  const cohorts = before.map((r) => r.body.cohort);
  assert.ok(cohorts.includes('new') && cohorts.includes('old'));

  await stack.redis.stop();
  await new Promise((r) => setTimeout(r, 1_500)); // several missed re-reads
  const during = await Promise.all(USERS.map((u) => gateway.request('GET', `/v1/route/${u}`)));
  assert.deepEqual(during.map((r) => r.body.cohort), cohorts, 'no user flipped because Redis went away');
  const send = await gateway.request('POST', '/v1/messages', { id: 'during-outage', from: 'a', to: { type: 'user', id: 'b' }, payload: 'x' });
  assert.equal(send.status, 503);
  assert.equal(send.body.error.code, 'OUTBOX_UNAVAILABLE');
  assert.equal(send.headers.get('retry-after'), '1');
  const ready = await gateway.request('GET', '/readyz');
  assert.equal(ready.status, 200, 'still ready: route lookups answer from the last known state');
  assert.equal(ready.body.checks.outbox.ok, false, 'and readiness says the outbox is away');
  const metrics = (await gateway.request('GET', '/metrics')).body as string;
  assert.ok(Number(/^cutover_state_age_seconds (\S+)$/m.exec(metrics)?.[1]) >= 1, `state age shows the staleness: ${/^cutover_state_age.*$/m.exec(metrics)?.[0]}`);
  assert.ok(!(await stack.old.messageIds()).includes('during-outage'), 'a refused send is not written anywhere');

  await stack.redis.boot(); // same data dir: the AOF brings the state back
  const deadline = Date.now() + 5_000;
  let status = 0;
  while (Date.now() < deadline && status !== 201) {
    status = (await gateway.request('POST', '/v1/messages', { id: 'after-outage', from: 'a', to: { type: 'user', id: 'b' }, payload: 'x' })).status;
    if (status !== 201) await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(status, 201, 'sends work again once Redis is back');
  const after = await Promise.all(USERS.map((u) => gateway.request('GET', `/v1/route/${u}`)));
  assert.deepEqual(after.map((r) => r.body.cohort), cohorts, 'and the state survived the Redis restart');
});
