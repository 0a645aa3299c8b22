import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { InjectOptions } from 'fastify';
import { GatewayProcess } from '../support/gateway-process.js';
import { OPERATOR_TOKEN, VIEWER_TOKEN, bearer, buildCutover, until } from '../support/build-app.js';
import { RedisServer } from '../support/redis-server.js';

const SERVICE_TOKEN = 'service-token-0123456789ab';

/** One valid request per /v1 route, so only the token decides the answer. */
const V1: InjectOptions[] = [
  { method: 'POST', url: '/v1/messages', payload: { from: 'alice', to: { type: 'user', id: 'bob' }, payload: 'hi' } },
  { method: 'GET', url: '/v1/route/alice' },
  { method: 'GET', url: '/v1/conversations/user/alice/bob/messages' },
  { method: 'GET', url: '/v1/conversations/channel/general/messages?as=alice' },
];
const name = (request: InjectOptions) => `${request.method} ${String(request.url)}`;

test('with api.tokens set, every /v1 route refuses a missing, unknown or non-bearer token (401) and a viewer (403), and stores nothing', async (t) => {
  const cutover = await buildCutover(t, { 'api.tokens': [{ name: 'backend', token: SERVICE_TOKEN }] });
  const old = cutover.services.memorySide('old')!;
  for (const request of V1) {
    for (const headers of [{}, bearer('not-a-token-at-all-xx'), bearer(`${SERVICE_TOKEN}x`), { authorization: `Basic ${SERVICE_TOKEN}` }, { authorization: SERVICE_TOKEN }]) {
      const res = await cutover.app.inject({ ...request, headers });
      assert.equal(res.statusCode, 401, `${name(request)} with ${JSON.stringify(headers)}`);
      assert.equal(res.json().error.code, 'UNAUTHORIZED');
    }
    const viewer = await cutover.app.inject({ ...request, headers: bearer(VIEWER_TOKEN) });
    assert.equal(viewer.statusCode, 403, name(request));
    assert.equal(viewer.json().error.code, 'FORBIDDEN');
    assert.match(viewer.json().error.message, /victor has role viewer; this needs service/);
  }
  assert.equal(old.size, 0, 'no refused send reached a side');
  assert.equal((await cutover.services.outbox.counts()).unconfirmed, 0, 'nor the outbox');
});

test('a service token and an operator token are let into every /v1 route; the bearer scheme is case-insensitive', async (t) => {
  const cutover = await buildCutover(t, { 'api.tokens': [{ name: 'backend', token: SERVICE_TOKEN }] });
  for (const request of V1) {
    for (const headers of [bearer(SERVICE_TOKEN), bearer(OPERATOR_TOKEN), { authorization: `bearer   ${SERVICE_TOKEN}` }]) {
      const res = await cutover.app.inject({ ...request, headers });
      assert.ok(res.statusCode === 200 || res.statusCode === 201, `${name(request)}: ${res.statusCode} ${res.body}`);
    }
  }
  assert.equal(cutover.services.memorySide('old')!.size, 3, 'the three sends were stored');
});

test('a service token opens /v1 only: every admin route refuses it', async (t) => {
  const cutover = await buildCutover(t, { 'api.tokens': [{ name: 'backend', token: SERVICE_TOKEN }] });
  for (const request of [
    { method: 'GET', url: '/admin/rollout' }, { method: 'GET', url: '/admin/audit' }, { method: 'GET', url: '/admin/outbox' },
    { method: 'POST', url: '/admin/rollout/rollback', payload: { reason: 'not yours to do' } },
    { method: 'PUT', url: '/admin/sides/new/faults', payload: { down: true } },
  ] as InjectOptions[]) {
    const res = await cutover.app.inject({ ...request, headers: bearer(SERVICE_TOKEN) });
    assert.equal(res.statusCode, 403, `${name(request)}: ${res.body}`);
    assert.match(res.json().error.message, /backend has role service/);
  }
  assert.equal(cutover.services.stateView.current().rollback, null);
});

test('with Redis and only admin tokens, /v1 is closed: operators get in, nobody else', async (t) => {
  const redis = await RedisServer.start();
  t.after(() => redis.destroy());
  const cutover = await buildCutover(t, { 'redis.url': redis.url });
  for (const request of V1) {
    assert.equal((await cutover.app.inject(request)).statusCode, 401, name(request));
    assert.equal((await cutover.app.inject({ ...request, headers: bearer(VIEWER_TOKEN) })).statusCode, 403, name(request));
    const res = await cutover.app.inject({ ...request, headers: bearer(OPERATOR_TOKEN) });
    assert.ok(res.statusCode === 200 || res.statusCode === 201, `${name(request)}: ${res.statusCode} ${res.body}`);
  }
});

test('the embedded default with no api.tokens leaves /v1 open, and the OpenAPI document marks every /v1 route as bearer-secured', async (t) => {
  const cutover = await buildCutover(t);
  for (const request of V1) {
    const res = await cutover.app.inject(request);
    assert.ok(res.statusCode === 200 || res.statusCode === 201, `${name(request)}: ${res.statusCode} ${res.body}`);
  }
  const doc = (await cutover.app.inject({ url: '/docs/json' })).json();
  for (const [path, method] of [['/v1/messages', 'post'], ['/v1/route/{userId}', 'get'], ['/v1/conversations/user/{a}/{b}/messages', 'get'], ['/v1/conversations/channel/{id}/messages', 'get']] as const) {
    assert.deepEqual(doc.paths[path][method].security, [{ bearer: [] }], path);
    assert.ok(doc.paths[path][method].responses['401'], `${path} documents 401`);
  }
});

test('an open API is said loudly at boot, in a warn log line and in the banner; a gateway with api.tokens says neither', async (t) => {
  const open = await GatewayProcess.start({});
  t.after(() => open.kill());
  // The banner goes to stderr right after the "cutover ready" line the harness waits for.
  await until(() => open.log.includes('Cutover is up at'), 5_000, 'the banner');
  const warn = open.log.split('\n').find((line) => line.includes('the /v1 API is open'));
  assert.ok(warn, open.log);
  assert.equal(JSON.parse(warn).level, 40, 'at warn');
  assert.match(warn, /CUTOVER_API_TOKENS/);
  assert.match(open.log, /The \/v1 API is OPEN: .*Close it: CUTOVER_API_TOKENS=name:token/);

  const closed = await GatewayProcess.start({ CUTOVER_API_TOKENS: `backend:${SERVICE_TOKEN}` });
  t.after(() => closed.kill());
  await until(() => closed.log.includes('Cutover is up at'), 5_000, 'the banner');
  assert.doesNotMatch(closed.log, /API is open|API is OPEN/i);
  assert.match(closed.log, /curl -H 'authorization: Bearer <token>'/, 'the banner shows how to call it');
  assert.equal((await closed.request('GET', '/v1/route/alice', undefined, null)).status, 401);
  assert.equal((await closed.request('GET', '/v1/route/alice')).status, 200, 'the harness sends the service token');
});
