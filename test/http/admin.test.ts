import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { InjectOptions } from 'fastify';
import { OPERATOR_TOKEN, VIEWER_TOKEN, adminPost, bearer, buildCutover, canaryAt } from '../support/build-app.js';

const READS: InjectOptions[] = [
  { method: 'GET', url: '/admin/rollout' },
  { method: 'GET', url: '/admin/audit' },
  { method: 'GET', url: '/admin/outbox' },
];
const CHANGES: InjectOptions[] = [
  { method: 'POST', url: '/admin/rollout/percent', payload: { percent: 5 } },
  { method: 'POST', url: '/admin/rollout/stage', payload: { stage: 'shadow' } },
  { method: 'POST', url: '/admin/rollout/rollback', payload: { reason: 'drill' } },
  { method: 'POST', url: '/admin/rollout/resume', payload: {} },
  { method: 'PUT', url: '/admin/sides/new/faults', payload: { errorRate: 0.5 } },
];

test('every admin route answers 401 without a token and with an unknown one', async (t) => {
  const cutover = await buildCutover(t);
  for (const request of [...READS, ...CHANGES]) {
    for (const headers of [{}, bearer('not-a-token-at-all-xx'), { authorization: 'Basic b2xnYTpwdw==' }]) {
      const res = await cutover.app.inject({ ...request, headers });
      assert.equal(res.statusCode, 401, `${request.method} ${request.url}`);
      assert.equal(res.json().error.code, 'UNAUTHORIZED');
    }
  }
});

test('a viewer reads but cannot change anything (403); an operator can', async (t) => {
  const cutover = await buildCutover(t);
  for (const request of READS) {
    assert.equal((await cutover.app.inject({ ...request, headers: bearer(VIEWER_TOKEN) })).statusCode, 200, String(request.url));
  }
  for (const request of CHANGES) {
    const res = await cutover.app.inject({ ...request, headers: bearer(VIEWER_TOKEN) });
    assert.equal(res.statusCode, 403, `${request.method} ${request.url}`);
    assert.equal(res.json().error.code, 'FORBIDDEN');
  }
  assert.equal(cutover.services.stateView.current().version, 1, 'no viewer request changed the state');
  const res = await cutover.app.inject({ ...CHANGES[1]!, headers: bearer(OPERATOR_TOKEN) });
  assert.equal(res.statusCode, 200);
  assert.equal(res.json().state.stage, 'shadow');
});

test('a change made against a stale version is refused with 409 and the current state', async (t) => {
  const cutover = await buildCutover(t);
  await canaryAt(cutover, 5);
  const version = cutover.services.stateView.current().version;
  const stale = await adminPost(cutover, 'percent', { percent: 10, force: true, reason: 'ahead of plan', expectedVersion: version - 1 });
  assert.equal(stale.statusCode, 409);
  assert.equal(stale.json().error.code, 'VERSION_CONFLICT');
  assert.equal(stale.json().error.details.current.version, version);
  const fresh = await adminPost(cutover, 'percent', { percent: 10, force: true, reason: 'ahead of plan', expectedVersion: version });
  assert.equal(fresh.statusCode, 200);
  assert.equal(fresh.json().state.version, version + 1);
});

test('rolling back twice is one rollback; resuming restores the exact prior state; resuming again is a no-op', async (t) => {
  const cutover = await buildCutover(t);
  await canaryAt(cutover, 25);
  const before = cutover.services.stateView.current();
  const first = await adminPost(cutover, 'rollback', { reason: 'errors on new' });
  const second = await adminPost(cutover, 'rollback', { reason: 'again' });
  assert.equal(first.json().changed, true);
  assert.equal(second.json().changed, false);
  assert.match(second.json().note, /already rolled back by olga/);
  assert.equal(second.json().state.version, first.json().state.version);
  assert.equal((await cutover.app.inject({ url: '/v1/route/u1' })).json().cohort, 'old');

  const resumed = (await adminPost(cutover, 'resume', {})).json();
  assert.equal(resumed.changed, true);
  assert.deepEqual([resumed.state.stage, resumed.state.percent, resumed.state.rollback], [before.stage, before.percent, null]);
  const again = (await adminPost(cutover, 'resume', {})).json();
  assert.equal(again.changed, false);
  assert.match(again.note, /not rolled back/);
});

test('every change is audited with actor, role, reason and before/after, newest first, in pages', async (t) => {
  const cutover = await buildCutover(t);
  await canaryAt(cutover, 5);
  await adminPost(cutover, 'rollback', { reason: 'pager went off' });
  const page1 = (await cutover.app.inject({ url: '/admin/audit?limit=2', headers: bearer(VIEWER_TOKEN) })).json();
  assert.equal(page1.entries.length, 2);
  const [rollback, percent] = page1.entries;
  assert.deepEqual([rollback.action, rollback.actor, rollback.role, rollback.reason], ['rollback', 'olga', 'operator', 'pager went off']);
  assert.equal(rollback.before.rollback, null);
  assert.equal(rollback.after.rollback.reason, 'pager went off');
  assert.equal(percent.action, 'set-percent');
  const page2 = (await cutover.app.inject({ url: `/admin/audit?limit=10&before=${page1.next}`, headers: bearer(VIEWER_TOKEN) })).json();
  assert.deepEqual(page2.entries.map((e: { action: string }) => e.action), ['set-stage', 'set-stage', 'init']);
  assert.equal(page2.next, null);
});

test('forcing needs a reason; invalid transitions say what to do next', async (t) => {
  const cutover = await buildCutover(t);
  const skip = await adminPost(cutover, 'stage', { stage: 'canary' });
  assert.equal(skip.statusCode, 409);
  assert.equal(skip.json().error.code, 'INVALID_TRANSITION');
  assert.match(skip.json().error.message, /shadow next/);
  await canaryAt(cutover, 10);
  const lower = await adminPost(cutover, 'percent', { percent: 5, force: true });
  assert.equal(lower.statusCode, 400);
  assert.match(lower.json().error.message, /reason/);
  assert.equal((await adminPost(cutover, 'percent', { percent: 5, force: true, reason: 'too hot' })).statusCode, 200);
  assert.equal((await adminPost(cutover, 'percent', { percent: 101 })).statusCode, 400);
});

test('raising by hand keeps to the plan: it waits for the bake and does not skip a step unless forced', async (t) => {
  const cutover = await buildCutover(t);
  await canaryAt(cutover, 0);
  const skip = await adminPost(cutover, 'percent', { percent: 5 });
  assert.equal(skip.statusCode, 409);
  assert.equal(skip.json().error.code, 'INVALID_TRANSITION');
  assert.match(skip.json().error.message, /skips the plan's next step \(1 %\)/);
  assert.equal((await adminPost(cutover, 'percent', { percent: 0.5 })).statusCode, 200, 'up to the next step is fine');
  assert.equal((await adminPost(cutover, 'percent', { percent: 1 })).statusCode, 200);
  const early = await adminPost(cutover, 'percent', { percent: 2 });
  assert.equal(early.statusCode, 409);
  assert.equal(early.json().error.code, 'BAKE_NOT_DONE');
  assert.equal((await adminPost(cutover, 'percent', { percent: 2, force: true, reason: 'drill' })).statusCode, 200);
});
