import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { signWebhook } from '../../src/domain/bridge/webhook-signature.js';
import type { Cutover } from '../../src/main.js';
import { adminPost, bearer, buildCutover, canaryAt, OPERATOR_TOKEN, until } from '../support/build-app.js';

const OLD_SECRET = 'old-side-webhook-secret';
const NEW_SECRET = 'new-side-webhook-secret';

async function bridged(t: TestContext, overrides: Record<string, unknown> = {}): Promise<Cutover> {
  return buildCutover(t, { 'bridge.old.secret': OLD_SECRET, 'bridge.new.secret': NEW_SECRET, ...overrides });
}

function event(id: string, to = 'bob', extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ type: 'message.sent', eventId: `e-${id}`, message: { id, from: 'alice', to: { type: 'user', id: to }, payload: `hello ${id}`, sentAt: Date.now(), ...extra } });
}

interface Delivery {
  body: string;
  secret?: string;
  timestamp?: number;
  headers?: Record<string, string>;
}

async function deliver(cutover: Cutover, side: 'old' | 'new', { body, secret = side === 'old' ? OLD_SECRET : NEW_SECRET, timestamp = Date.now(), headers }: Delivery) {
  const ts = String(timestamp);
  const res = await cutover.app.inject({
    method: 'POST', url: `/v1/bridge/${side}/events`, payload: body,
    headers: headers ?? { 'content-type': 'application/json', 'x-im-timestamp': ts, 'x-im-signature': signWebhook(secret, ts, body) },
  });
  return { status: res.statusCode, body: res.json() as Record<string, any> };
}

/** Nothing held on either memory side, and nothing owed or unconfirmed in the outbox. */
async function nothingWritten(cutover: Cutover, id: string): Promise<void> {
  assert.equal(cutover.services.memorySide('old')!.has(id), false, `${id} not on old`);
  assert.equal(cutover.services.memorySide('new')!.has(id), false, `${id} not on new`);
  const counts = await cutover.services.outbox.counts();
  assert.deepEqual([counts.owed.old, counts.owed.new, counts.unconfirmed], [0, 0, 0], 'nothing owed');
}

async function metric(cutover: Cutover, line: RegExp): Promise<number> {
  const text = await cutover.services.metrics.registry.metrics();
  const match = text.split('\n').find((l) => line.test(l));
  return match ? Number(match.split(' ').pop()) : 0;
}

test('bridge: a signed event from old crosses to new under its id, once; a retry with a fresh signature is a duplicate', async (t) => {
  const cutover = await bridged(t);
  assert.equal((await adminPost(cutover, 'stage', { stage: 'shadow' })).statusCode, 200);
  const body = event('b-1');
  const first = await deliver(cutover, 'old', { body });
  assert.equal(first.status, 201, JSON.stringify(first.body));
  assert.deepEqual(first.body, { id: 'b-1', from: 'old', to: 'new', duplicate: false });
  const newSide = cutover.services.memorySide('new')!;
  await until(() => newSide.has('b-1'), 5_000, 'b-1 on new');
  assert.equal(cutover.services.memorySide('old')!.has('b-1'), false, 'old is the side it came from: Cutover does not write it there');

  const again = await deliver(cutover, 'old', { body, timestamp: Date.now() + 1 });
  assert.equal(again.status, 200);
  assert.equal(again.body.duplicate, true);
  assert.equal(await metric(cutover, /^cutover_bridge_messages_total\{from="old",result="bridged"\}/), 1);
  assert.equal(await metric(cutover, /^cutover_bridge_messages_total\{from="old",result="duplicate"\}/), 1);
  await until(async () => (await metric(cutover, /^cutover_bridge_lag_seconds_count\{from="old"\}/)) === 1, 2_000, 'the lag observed once');
});

test('bridge: a message to a user on the side it was sent through crosses only while messages are dual-written', async (t) => {
  const cutover = await bridged(t);
  const off = await deliver(cutover, 'old', { body: event('b-off') });
  assert.deepEqual([off.status, off.body.to], [200, null], 'stage off: bob is on old and nothing is dual-written');
  await nothingWritten(cutover, 'b-off');
  const fromNew = await deliver(cutover, 'new', { body: event('b-from-new') });
  assert.deepEqual([fromNew.status, fromNew.body.to], [201, 'old'], 'sent through new to bob, who is on old: it crosses');
  await until(() => cutover.services.memorySide('old')!.has('b-from-new'), 5_000, 'b-from-new on old');
});

test('bridge: a wrong signature, a stale or future timestamp, missing headers, a replayed body and malformed events are refused with stable codes and write nothing', async (t) => {
  const cutover = await bridged(t);
  assert.equal((await adminPost(cutover, 'stage', { stage: 'shadow' })).statusCode, 200);
  const cases: Array<[string, Delivery, number, string]> = [
    ['wrong secret', { body: event('x-1'), secret: 'not-the-old-side-secret' }, 401, 'BAD_SIGNATURE'],
    ['stale timestamp', { body: event('x-2'), timestamp: Date.now() - 6 * 60_000 }, 401, 'STALE_TIMESTAMP'],
    ['timestamp ahead', { body: event('x-3'), timestamp: Date.now() + 6 * 60_000 }, 401, 'STALE_TIMESTAMP'],
    ['no signature', { body: event('x-4'), headers: { 'content-type': 'application/json' } }, 401, 'MISSING_SIGNATURE'],
    ['not JSON', { body: '{"type":"message.sent",' }, 400, 'INVALID_EVENT'],
    ['no message', { body: JSON.stringify({ type: 'message.sent' }) }, 400, 'INVALID_EVENT'],
    ['bad id', { body: event('x 5') }, 400, 'INVALID_EVENT'],
    ['other type', { body: JSON.stringify({ type: 'message.deleted', message: { id: 'x-6' } }) }, 400, 'INVALID_EVENT'],
  ];
  for (const [what, delivery, status, code] of cases) {
    const res = await deliver(cutover, 'old', delivery);
    assert.deepEqual([res.status, res.body.error?.code], [status, code], what);
  }
  const tampered = event('x-7');
  const ts = String(Date.now());
  const res = await deliver(cutover, 'old', { body: tampered.replace('hello', 'HELLO'), headers: { 'content-type': 'application/json', 'x-im-timestamp': ts, 'x-im-signature': signWebhook(OLD_SECRET, ts, tampered) } });
  assert.deepEqual([res.status, res.body.error?.code], [401, 'BAD_SIGNATURE'], 'a body changed after signing');
  for (const id of ['x-1', 'x-2', 'x-3', 'x-4', 'x-6', 'x-7']) await nothingWritten(cutover, id);

  const signedAt = Date.now();
  const body = event('x-8');
  assert.equal((await deliver(cutover, 'old', { body, timestamp: signedAt })).status, 201);
  const replay = await deliver(cutover, 'old', { body, timestamp: signedAt });
  assert.deepEqual([replay.status, replay.body.error?.code], [409, 'WEBHOOK_REPLAYED']);
  assert.equal(await metric(cutover, /^cutover_bridge_rejected_total\{side="old",reason="bad_signature"\}/), 2);
  assert.equal(await metric(cutover, /^cutover_bridge_rejected_total\{side="old",reason="replayed"\}/), 1);
  assert.equal(await metric(cutover, /^cutover_bridge_messages_total\{from="old",result="bridged"\}/), 1, 'only x-8 crossed');
});

test('bridge: a side with no secret takes no events (404), and an id reused for other content is refused', async (t) => {
  const cutover = await buildCutover(t, { 'bridge.old.secret': OLD_SECRET });
  const res = await deliver(cutover, 'new', { body: event('n-1'), secret: 'whatever-secret-16' });
  assert.deepEqual([res.status, res.body.error?.code], [404, 'NOT_FOUND']);
  assert.match(res.body.error.message, /bridge\.new\.secret/);

  assert.equal((await adminPost(cutover, 'stage', { stage: 'shadow' })).statusCode, 200);
  assert.equal((await deliver(cutover, 'old', { body: event('r-1') })).status, 201);
  const reused = await deliver(cutover, 'old', { body: event('r-1', 'carol') });
  assert.deepEqual([reused.status, reused.body.error?.code], [422, 'IDEMPOTENCY_KEY_REUSED']);
  // The admin API is unaffected by the bridge's own body parser.
  const status = await cutover.app.inject({ method: 'GET', url: '/admin/rollout', headers: bearer(OPERATOR_TOKEN) });
  assert.equal(status.statusCode, 200);
});

test('route lookup with ?as= tells the sender\'s app how to send to this user: through its SDK where a webhook bridges it, else through the backend', async (t) => {
  // Old has a webhook intake; new (Agora-like) has none.
  const cutover = await buildCutover(t, { 'bridge.old.secret': OLD_SECRET });
  await canaryAt(cutover, 50);
  const route = async (user: string, as?: string) => {
    const res = await cutover.app.inject({ method: 'GET', url: `/v1/route/${user}${as ? `?as=${as}` : ''}` });
    assert.equal(res.statusCode, 200, res.body);
    return res.json() as { cohort: string; send?: { as: string; side: string; via: string; reason: string } };
  };
  const users = Array.from({ length: 40 }, (_, i) => `sp-${i}`);
  const cohorts = await Promise.all(users.map(async (u) => [u, (await route(u)).cohort] as const));
  const onOld = cohorts.filter(([, c]) => c === 'old').map(([u]) => u);
  const onNew = cohorts.filter(([, c]) => c === 'new').map(([u]) => u);
  assert.ok(onOld.length >= 2 && onNew.length >= 2, 'both cohorts have users');

  assert.equal((await route(onOld[0]!)).send, undefined, 'no sender, no advice');
  assert.deepEqual(await route(onOld[0]!, onNew[0]!).then((r) => [r.send?.side, r.send?.via]), ['new', 'backend'], 'new → old: new has no webhook');
  assert.deepEqual(await route(onNew[1]!, onNew[0]!).then((r) => [r.send?.side, r.send?.via]), ['new', 'backend'], 'new → new while dual-writing');
  assert.deepEqual(await route(onNew[0]!, onOld[0]!).then((r) => [r.send?.side, r.send?.via]), ['old', 'sdk'], 'old → new: its webhook carries it');
  assert.deepEqual(await route(onOld[1]!, onOld[0]!).then((r) => [r.send?.side, r.send?.via]), ['old', 'sdk']);
});

test('bridge: a message the backend sent, dual-written to both sides, is a duplicate when a webhook names it, and is written nowhere again', async (t) => {
  const cutover = await bridged(t);
  assert.equal((await adminPost(cutover, 'stage', { stage: 'shadow' })).statusCode, 200);
  const sent = await cutover.app.inject({ method: 'POST', url: '/v1/messages', payload: { id: 'dw-1', from: 'alice', to: { type: 'user', id: 'bob' }, payload: 'hello dw-1' } });
  assert.equal(sent.statusCode, 201, sent.body);
  await until(() => cutover.services.memorySide('new')!.has('dw-1'), 5_000, 'dw-1 dual-written to new');
  const sizes = () => [cutover.services.memorySide('old')!.size, cutover.services.memorySide('new')!.size];
  const before = sizes();
  const hook = await deliver(cutover, 'old', { body: JSON.stringify({ type: 'message.sent', message: { id: 'dw-1', from: 'alice', to: { type: 'user', id: 'bob' }, payload: 'hello dw-1', sentAt: Date.now() } }) });
  assert.deepEqual([hook.status, hook.body.duplicate], [200, true]);
  await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(sizes(), before, 'nothing written again on either side');
  assert.equal(await metric(cutover, /^cutover_bridge_messages_total\{from="old",result="bridged"\}/), 0);
});
