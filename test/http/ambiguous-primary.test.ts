import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { test, type TestContext } from 'node:test';
import type { MemoryAdapter } from '../../src/adapters/memory-adapter.js';
import type { Cutover } from '../../src/main.js';
import { buildLegacyImServer, type LegacyImServer } from '../../src/sim/legacy-im-app.js';
import { adminPost, buildCutover, until } from '../support/build-app.js';
import { freePort } from '../support/free-port.js';

/** The old side is a simulated legacy IM server on loopback; new is the in-process memory side. */
async function withLegacyPrimary(t: TestContext, baseUrl?: string): Promise<{ cutover: Cutover; sim: LegacyImServer; fresh: MemoryAdapter }> {
  const sim = buildLegacyImServer();
  await sim.listen({ port: 0, host: '127.0.0.1' });
  t.after(() => sim.close());
  const url = baseUrl ?? `http://127.0.0.1:${(sim.server.address() as AddressInfo).port}`;
  const cutover = await buildCutover(t, {
    'sides.old': { type: 'http-legacy', baseUrl: url, timeout: '300ms', retries: 0 },
    'outbox.backoffBase': '50ms',
    'outbox.inflightGrace': '5s',
  });
  // Shadow: old is everyone's primary and new gets every message as the secondary.
  assert.equal((await adminPost(cutover, 'stage', { stage: 'shadow' })).statusCode, 200);
  return { cutover, sim, fresh: cutover.services.memorySide('new')! };
}

function send(cutover: Cutover, body: Record<string, unknown>) {
  return cutover.app.inject({ method: 'POST', url: '/v1/messages', payload: { from: 'alice', to: { type: 'user', id: 'bob' }, ...body } });
}

async function simIds(sim: LegacyImServer): Promise<string[]> {
  return (await sim.inject({ method: 'GET', url: '/_sim/messages' })).json<{ ids: string[] }>().ids;
}

test('a primary that stored the message and then failed (5xx) gets 202 pending; recovery brings it to both sides; a retry then gets the receipt', async (t) => {
  const { cutover, sim, fresh } = await withLegacyPrimary(t);
  await sim.inject({ method: 'POST', url: '/_sim/faults', payload: { errorRate: 1, failAfterStore: true, status: 503 } });

  const first = await send(cutover, { id: 'amb-1', payload: 'hello' });
  assert.equal(first.statusCode, 202, first.body);
  assert.deepEqual([first.json().id, first.json().pending, first.json().primary, first.json().secondary], ['amb-1', true, 'old', 'new']);
  assert.deepEqual(await simIds(sim), ['amb-1'], 'the primary holds it although it answered 503');

  const retry = await send(cutover, { id: 'amb-1', payload: 'hello' });
  assert.equal(retry.statusCode, 409, 'still being delivered');
  assert.equal(retry.json().error.code, 'MESSAGE_IN_FLIGHT');
  assert.equal(retry.json().error.details.messageId, 'amb-1');

  await sim.inject({ method: 'POST', url: '/_sim/faults', payload: { errorRate: 0 } });
  await until(() => fresh.has('amb-1'), 5_000, 'recovery to write the secondary');
  const done = await send(cutover, { id: 'amb-1', payload: 'hello' });
  assert.equal(done.statusCode, 200);
  assert.deepEqual([done.json().duplicate, done.json().pending, done.json().primary], [true, false, 'old']);
  assert.deepEqual(await simIds(sim), ['amb-1'], 'stored once on the primary');
});

test('a caller without an id gets the generated id with the pending answer, and retrying with it stores the message once', async (t) => {
  const { cutover, sim, fresh } = await withLegacyPrimary(t);
  await sim.inject({ method: 'POST', url: '/_sim/faults', payload: { errorRate: 1, failAfterStore: true, status: 500 } });
  const first = await send(cutover, { payload: 'no id of mine' });
  assert.equal(first.statusCode, 202);
  const id = first.json().id as string;
  await sim.inject({ method: 'POST', url: '/_sim/faults', payload: { errorRate: 0 } });
  await until(async () => (await send(cutover, { id, payload: 'no id of mine' })).statusCode === 200, 5_000, 'the retry with the given id to get the receipt');
  await until(() => fresh.has(id), 5_000, 'the secondary write that follows the commit');
  assert.deepEqual(await simIds(sim), [id], 'one message on the primary');
  assert.equal(fresh.size, 1, 'one on the secondary');
});

test('a primary that answers after its timeout (it stored the message) is pending, not refused', async (t) => {
  const { cutover, sim, fresh } = await withLegacyPrimary(t);
  await sim.inject({ method: 'POST', url: '/_sim/faults', payload: { latencyMs: 400 } });
  const first = await send(cutover, { id: 'amb-late', payload: 'slow' });
  assert.equal(first.statusCode, 202, first.body);
  await sim.inject({ method: 'POST', url: '/_sim/faults', payload: { latencyMs: 0 } });
  await until(() => fresh.has('amb-late'), 5_000, 'recovery to write both sides');
  assert.deepEqual(await simIds(sim), ['amb-late']);
});

test('a definite refusal (the side answers 4xx) stores nothing anywhere and names the id', async (t) => {
  const { cutover, sim, fresh } = await withLegacyPrimary(t);
  await sim.inject({ method: 'POST', url: '/_sim/faults', payload: { errorRate: 1, status: 400 } });
  const res = await send(cutover, { payload: 'refused' });
  assert.equal(res.statusCode, 422);
  assert.equal(res.json().error.code, 'REJECTED_BY_SIDE');
  assert.match(res.json().error.details.messageId, /^[0-9a-f-]{36}$/, 'the generated id');
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.deepEqual([await simIds(sim), fresh.size], [[], 0]);
  assert.equal((await cutover.services.outbox.counts()).unconfirmed, 0, 'nothing owed');
});

test('a primary that cannot be reached at all (connection refused) stores nothing and says to retry with the id', async (t) => {
  const { cutover, fresh } = await withLegacyPrimary(t, `http://127.0.0.1:${await freePort()}`);
  const res = await send(cutover, { id: 'amb-refused', payload: 'x' });
  assert.equal(res.statusCode, 503);
  assert.equal(res.json().error.code, 'SIDE_UNAVAILABLE');
  assert.equal(res.json().error.details.messageId, 'amb-refused');
  assert.equal((await cutover.services.outbox.counts()).unconfirmed, 0);
  assert.equal(fresh.size, 0);
});

test('a request refused by validation still names the caller\'s message id', async (t) => {
  const { cutover } = await withLegacyPrimary(t);
  const res = await send(cutover, { id: 'amb-invalid', payload: 'x', to: { type: 'user', id: '..' } });
  assert.equal(res.statusCode, 400);
  assert.equal(res.json().error.details.messageId, 'amb-invalid');
});
