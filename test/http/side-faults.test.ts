import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OPERATOR_TOKEN, bearer, buildCutover } from '../support/build-app.js';

// Nothing listens on the discard port: these sides are never called, only configured.
const LEGACY = { type: 'http-legacy', baseUrl: 'http://127.0.0.1:9', timeout: '200ms', retries: 0 };
const faults = (side: string) => ({ method: 'PUT' as const, url: `/admin/sides/${side}/faults`, headers: bearer(OPERATOR_TOKEN), payload: { errorRate: 0.5 } });

test('with memory sides, an operator injects faults into a side and the side applies them', async (t) => {
  const cutover = await buildCutover(t);
  const res = await cutover.app.inject(faults('new'));
  assert.equal(res.statusCode, 200, res.body);
  assert.deepEqual(res.json(), { side: 'new', faults: { latencyMs: 0, errorRate: 0.5, down: false } });
});

test('with one memory side, the route exists and a side that is not memory answers 404 saying so', async (t) => {
  const cutover = await buildCutover(t, { 'sides.old': LEGACY });
  assert.equal((await cutover.app.inject(faults('new'))).statusCode, 200);
  const res = await cutover.app.inject(faults('old'));
  assert.equal(res.statusCode, 404);
  assert.equal(res.json().error.code, 'NOT_FOUND');
  assert.match(res.json().error.message, /side old is not a memory adapter/);
});

test('with no memory side, the fault-injection route does not exist: 404 from the not-found handler, and no OpenAPI entry', async (t) => {
  const cutover = await buildCutover(t, { 'sides.old': LEGACY, 'sides.new': LEGACY });
  for (const side of ['old', 'new']) {
    const res = await cutover.app.inject(faults(side));
    assert.equal(res.statusCode, 404, res.body);
    assert.deepEqual(res.json().error, { code: 'NOT_FOUND', message: `no route PUT /admin/sides/${side}/faults; see /docs/json for the API` });
  }
  const doc = (await cutover.app.inject({ url: '/docs/json' })).json();
  assert.equal(doc.paths['/admin/sides/{side}/faults'], undefined);
  assert.ok(doc.paths['/admin/rollout/rollback'], 'the other admin routes are there');
});
