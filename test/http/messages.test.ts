import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { InjectOptions } from 'fastify';
import type { MemoryAdapter } from '../../src/adapters/memory-adapter.js';
import { buildCutover, canaryAt, until } from '../support/build-app.js';

const send = (payload: Record<string, unknown>): InjectOptions => ({ method: 'POST', url: '/v1/messages', payload });
const hi = (to: string, extra: Record<string, unknown> = {}) => ({ from: 'alice', to: { type: 'user', id: to }, payload: 'hi', ...extra });

test('route lookup and sends agree for every user, and the message lands on primary then secondary', async (t) => {
  const cutover = await buildCutover(t);
  await canaryAt(cutover, 50);
  const sides = { old: cutover.services.memorySide('old')!, new: cutover.services.memorySide('new')! };
  const cohorts = { old: 0, new: 0 };
  for (let i = 0; i < 200; i++) {
    const user = `u${i}`;
    const route = (await cutover.app.inject({ url: `/v1/route/${user}` })).json();
    const reply = await cutover.app.inject(send(hi(user, { id: `agree-${i}` })));
    assert.equal(reply.statusCode, 201, reply.body);
    const receipt = reply.json();
    assert.equal(receipt.primary, route.primary, user);
    assert.equal(receipt.primary, route.cohort);
    assert.equal(receipt.secondary, route.primary === 'old' ? 'new' : 'old');
    assert.ok((sides[receipt.primary as 'old' | 'new'] as MemoryAdapter).has(`agree-${i}`), 'primary holds it when the reply comes');
    cohorts[route.cohort as 'old' | 'new']++;
  }
  assert.ok(cohorts.new > 60 && cohorts.old > 60, `both cohorts used: ${JSON.stringify(cohorts)}`);
  await until(() => sides.old.size === 200 && sides.new.size === 200, 5_000, 'secondaries');
});

test('channel messages route by the channel and history is read from the reader\'s primary', async (t) => {
  const cutover = await buildCutover(t);
  await canaryAt(cutover, 50);
  const res = await cutover.app.inject(send({ from: 'alice', to: { type: 'channel', id: 'general' }, payload: 'hello all', kind: 'text', id: 'c1' }));
  assert.equal(res.statusCode, 201);
  await until(async () => (await cutover.services.outbox.counts()).owed.new + (await cutover.services.outbox.counts()).owed.old === 0);
  const page = await cutover.app.inject({ url: '/v1/conversations/channel/general/messages?as=bob&limit=10' });
  assert.equal(page.statusCode, 200);
  const body = page.json();
  const bobRoute = (await cutover.app.inject({ url: '/v1/route/bob' })).json();
  assert.equal(body.servedBy, bobRoute.primary);
  assert.deepEqual(body.messages.map((m: { id: string; kind: string }) => [m.id, m.kind]), [['c1', 'text']]);
});

test('a retried send with the same id replies with the first receipt and delivers once', async (t) => {
  const cutover = await buildCutover(t);
  await canaryAt(cutover, 100);
  const first = await cutover.app.inject(send(hi('bob', { id: 'dup-1' })));
  const second = await cutover.app.inject(send(hi('bob', { id: 'dup-1' })));
  assert.equal(first.statusCode, 201);
  assert.equal(second.statusCode, 200);
  assert.deepEqual({ ...(second.json() as object), duplicate: false }, first.json());
  assert.equal(second.json().duplicate, true);
  const history = (await cutover.app.inject({ url: '/v1/conversations/user/alice/bob/messages' })).json();
  assert.equal(history.messages.filter((m: { id: string }) => m.id === 'dup-1').length, 1);
});

test('bad input on the send route gets the documented 4xx codes and stores nothing', async (t) => {
  const cutover = await buildCutover(t, { 'messages.maxPayloadBytes': 16, 'http.bodyLimitBytes': 2048 });
  const cases: Array<[string, InjectOptions, number, string]> = [
    ['missing from', send({ to: { type: 'user', id: 'b' }, payload: 'x' }), 400, 'INVALID_REQUEST'],
    ['unknown field', send(hi('b', { priority: 'high' })), 400, 'INVALID_REQUEST'],
    ['bad peer type', send({ from: 'a', to: { type: 'group', id: 'b' }, payload: 'x' }), 400, 'INVALID_REQUEST'],
    ['id with a space', send(hi('b', { id: 'has space' })), 400, 'INVALID_REQUEST'],
    ['user id with a slash', send({ from: 'a/b', to: { type: 'user', id: 'b' }, payload: 'x' }), 400, 'INVALID_REQUEST'],
    ['broken JSON', { method: 'POST', url: '/v1/messages', headers: { 'content-type': 'application/json' }, payload: '{"from":' }, 400, 'INVALID_JSON'],
    ['empty JSON body', { method: 'POST', url: '/v1/messages', headers: { 'content-type': 'application/json' }, payload: '' }, 400, 'INVALID_JSON'],
    ['text body', { method: 'POST', url: '/v1/messages', headers: { 'content-type': 'text/plain' }, payload: 'hi' }, 415, 'UNSUPPORTED_MEDIA_TYPE'],
    ['body over the limit', send(hi('b', { payload: 'x'.repeat(4096) })), 413, 'PAYLOAD_TOO_LARGE'],
    ['payload over maxPayloadBytes', send(hi('b', { payload: 'é'.repeat(9) })), 422, 'UNPROCESSABLE'],
  ];
  for (const [name, request, status, code] of cases) {
    const res = await cutover.app.inject(request);
    assert.equal(res.statusCode, status, `${name}: ${res.body}`);
    assert.equal(res.json().error.code, code, name);
    assert.ok(res.json().error.message.length > 0);
  }
  assert.equal(cutover.services.memorySide('old')!.size, 0, 'nothing stored');
  assert.deepEqual((await cutover.services.outbox.counts()).unconfirmed, 0);

  const first = await cutover.app.inject(send(hi('b', { id: 'reuse' })));
  assert.equal(first.statusCode, 201);
  const reused = await cutover.app.inject(send(hi('b', { id: 'reuse', payload: 'other' })));
  assert.equal(reused.statusCode, 422);
  assert.equal(reused.json().error.code, 'IDEMPOTENCY_KEY_REUSED');
});

test('bad input on lookup and history routes gets 400, unknown routes 404', async (t) => {
  const cutover = await buildCutover(t);
  const cases: Array<[string, number, string]> = [
    ['/v1/route/a%20b', 400, 'INVALID_REQUEST'],
    [`/v1/route/${'x'.repeat(65)}`, 400, 'INVALID_REQUEST'],
    ['/v1/conversations/user/a/b/messages?limit=0', 400, 'INVALID_REQUEST'],
    ['/v1/conversations/user/a/b/messages?limit=lots', 400, 'INVALID_REQUEST'],
    ['/v1/conversations/user/a/b/messages?sort=asc', 400, 'INVALID_REQUEST'],
    ['/v1/conversations/channel/general/messages', 400, 'INVALID_REQUEST'],
    ['/v1/conversations/group/x/messages', 404, 'NOT_FOUND'],
    ['/v2/route/a', 404, 'NOT_FOUND'],
  ];
  for (const [url, status, code] of cases) {
    const res = await cutover.app.inject({ url });
    assert.equal(res.statusCode, status, `${url}: ${res.body}`);
    assert.equal(res.json().error.code, code, url);
  }
});

test('a primary that is down gives 503 with Retry-After, and nothing is half-written', async (t) => {
  const cutover = await buildCutover(t);
  await canaryAt(cutover, 0);
  const old = cutover.services.memorySide('old')!;
  const fresh = cutover.services.memorySide('new')!;
  old.setFaults({ down: true });
  const res = await cutover.app.inject(send(hi('bob', { id: 'down-1' })));
  assert.equal(res.statusCode, 503);
  assert.equal(res.headers['retry-after'], '1');
  assert.equal(res.json().error.code, 'SIDE_UNAVAILABLE');
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(fresh.has('down-1'), false, 'the secondary did not get it either');
  const counts = await cutover.services.outbox.counts();
  assert.equal(counts.owed.new + counts.unconfirmed, 0, 'nothing owed');

  old.setFaults({ down: false });
  const retry = await cutover.app.inject(send(hi('bob', { id: 'down-1' })));
  assert.equal(retry.statusCode, 201, 'the same id can be sent again once the side is back');
  await until(() => old.has('down-1') && fresh.has('down-1'));
});

test('the OpenAPI document lists every public route', async (t) => {
  const cutover = await buildCutover(t);
  const doc = (await cutover.app.inject({ url: '/docs/json' })).json();
  for (const path of ['/v1/messages', '/v1/route/{userId}', '/v1/conversations/user/{a}/{b}/messages', '/admin/rollout/rollback', '/readyz', '/metrics']) {
    assert.ok(doc.paths[path], path);
  }
});
