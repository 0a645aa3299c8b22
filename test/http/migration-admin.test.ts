import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { InjectOptions } from 'fastify';
import { bearer, buildCutover, OPERATOR_TOKEN, until, VIEWER_TOKEN } from '../support/build-app.js';

const START = { method: 'POST' as const, url: '/admin/migration/start', payload: { mode: 'copy', reason: 'copy the past' } };

test('the migration API: viewers read, operators change, bad input is a 400 with a code, and every change is audited', async (t) => {
  const cutover = await buildCutover(t);
  const inject = (request: InjectOptions) => cutover.app.inject(request);

  assert.equal((await inject({ url: '/admin/migration' })).statusCode, 401);
  const none = await inject({ url: '/admin/migration', headers: bearer(VIEWER_TOKEN) });
  assert.equal(none.statusCode, 404);
  assert.equal(none.json().error.code, 'NO_MIGRATION');
  assert.equal((await inject({ ...START, headers: bearer(VIEWER_TOKEN) })).statusCode, 403);

  for (const payload of [{ mode: 'move', reason: 'why not' }, { mode: 'copy' }, { mode: 'verify', settle: 'soon', reason: 'why not' }, { mode: 'copy', reason: 'ok!', extra: 1 }]) {
    const res = await inject({ ...START, payload, headers: bearer(OPERATOR_TOKEN) });
    assert.equal(res.statusCode, 400, JSON.stringify(payload));
    assert.equal(res.json().error.code, 'INVALID_REQUEST');
  }

  // Old (a memory side here) holds three messages sent while only old was written.
  for (const id of ['a1', 'a2', 'a3']) {
    assert.equal((await inject({ method: 'POST', url: '/v1/messages', payload: { id, from: 'ann', to: { type: 'user', id: 'ben' }, payload: id } })).statusCode, 201);
  }
  const plan = await inject({ url: '/admin/migration/plan', headers: bearer(VIEWER_TOKEN) });
  assert.equal(plan.statusCode, 200);
  assert.deepEqual(plan.json().totals, { users: 0, groups: 0, members: 0, conversations: 1, messages: 3 });

  const started = await inject({ ...START, headers: bearer(OPERATOR_TOKEN) });
  assert.equal(started.statusCode, 200, started.body);
  assert.equal(started.json().job.mode, 'copy');
  const again = await inject({ ...START, headers: bearer(OPERATOR_TOKEN) });
  assert.ok(again.statusCode === 409 || again.statusCode === 200, 'refused while running (or the tiny job already finished)');
  if (again.statusCode === 409) assert.equal(again.json().error.code, 'MIGRATION_CONFLICT');

  await until(async () => (await inject({ url: '/admin/migration', headers: bearer(VIEWER_TOKEN) })).json().job.status === 'done', 5_000, 'the copy');
  const newSide = cutover.services.memorySide('new')!;
  assert.ok(['a1', 'a2', 'a3'].every((id) => newSide.has(id)));

  const verify = await inject({ ...START, payload: { mode: 'verify', settle: '0s', reason: 'check it' }, headers: bearer(OPERATOR_TOKEN) });
  assert.equal(verify.statusCode, 200);
  await until(async () => (await inject({ url: '/admin/migration', headers: bearer(VIEWER_TOKEN) })).json().job.status === 'done', 5_000, 'the verify');
  const report = await inject({ url: '/admin/migration/report?limit=5', headers: bearer(VIEWER_TOKEN) });
  assert.equal(report.statusCode, 200);
  assert.equal(report.json().total, 0);
  assert.equal((await inject({ url: '/admin/migration/report?limit=0', headers: bearer(VIEWER_TOKEN) })).statusCode, 400);

  const pause = await inject({ method: 'POST', url: '/admin/migration/pause', payload: { reason: 'nothing to pause' }, headers: bearer(OPERATOR_TOKEN) });
  assert.equal(pause.statusCode, 409, 'a finished job cannot be paused');
  assert.equal(pause.json().error.code, 'MIGRATION_CONFLICT');

  const audit = (await inject({ url: '/admin/audit?limit=10', headers: bearer(VIEWER_TOKEN) })).json().entries;
  const actions = audit.map((e: { action: string; actor: string }) => `${e.action} by ${e.actor}`);
  assert.deepEqual(actions.filter((a: string) => a.startsWith('migrate-')), ['migrate-verify by olga', 'migrate-copy by olga']);
  const metrics = await (await inject({ url: '/metrics' })).body;
  assert.match(metrics, /cutover_migration_items_total\{mode="copy",item="message",outcome="created"\} 3/);
});

test('a plan or start while the old side cannot be read answers 503 SIDE_UNAVAILABLE and starts nothing', async (t) => {
  const cutover = await buildCutover(t);
  assert.equal((await cutover.app.inject({ method: 'POST', url: '/v1/messages', payload: { id: 'x1', from: 'ann', to: { type: 'user', id: 'ben' }, payload: 'x' } })).statusCode, 201);
  const down = await cutover.app.inject({ method: 'PUT', url: '/admin/sides/old/faults', payload: { down: true }, headers: bearer(OPERATOR_TOKEN) });
  assert.equal(down.statusCode, 200);
  const start = await cutover.app.inject({ ...START, headers: bearer(OPERATOR_TOKEN) });
  assert.equal(start.statusCode, 503);
  assert.equal(start.json().error.code, 'SIDE_UNAVAILABLE');
  assert.match(start.json().error.message, /nothing was started/);
  assert.equal((await cutover.app.inject({ url: '/admin/migration', headers: bearer(VIEWER_TOKEN) })).json().error.code, 'NO_MIGRATION');
});
