import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { loadConfig } from '../../src/config/load-config.js';
import { createLogger } from '../../src/infra/logger.js';
import { createCutover } from '../../src/main.js';
import type { MemoryAdapter } from '../../src/adapters/memory-adapter.js';

function capture(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({ write(chunk: Buffer, _enc, done) { chunks.push(chunk.toString()); done(); } });
  return { stream, text: () => chunks.join('') };
}

test('secrets never reach the logs: tokens, API keys and the Redis URL are redacted', () => {
  const out = capture();
  const logger = createLogger('info', out.stream);
  const config = loadConfig({
    env: {
      CUTOVER_ADMIN_TOKENS: 'ann:operator:admin-secret-0123456789',
      CUTOVER_API_TOKENS: 'backend:service-secret-0123456789',
      CUTOVER_OLD_SIDE: '{"type":"http-legacy","baseUrl":"http://legacy","apiKey":"legacy-secret-key"}',
      CUTOVER_NEW_SIDE: '{"type":"agora-rtm","appId":"app","userId":"gw","token":"agora-secret-token"}',
      CUTOVER_REDIS_URL: 'redis://:redis-password@127.0.0.1:6379',
      CUTOVER_OUTBOX_INFLIGHT_GRACE: '30s',
    },
  });
  logger.info({ config }, 'booted');
  logger.info({ req: { headers: { authorization: 'Bearer admin-secret-0123456789' } } }, 'request');
  const text = out.text();
  for (const secret of ['admin-secret-0123456789', 'service-secret-0123456789', 'legacy-secret-key', 'agora-secret-token', 'redis-password']) {
    assert.ok(!text.includes(secret), `${secret} leaked`);
  }
  assert.match(text, /\[redacted\]/);
  assert.match(text, /"baseUrl":"http:\/\/legacy"/, 'the rest of the config is still logged');
});

test('request logs (when on) carry the request id but not the bearer token', async (t) => {
  const out = capture();
  const config = loadConfig({ env: { CUTOVER_ADMIN_TOKENS: 'ann:operator:admin-secret-0123456789', CUTOVER_LOG_REQUESTS: 'true' } });
  const cutover = await createCutover(config, { logger: createLogger('info', out.stream) });
  await cutover.start();
  t.after(() => cutover.close());
  const res = await cutover.app.inject({
    method: 'POST', url: '/admin/rollout/rollback', headers: { authorization: 'Bearer admin-secret-0123456789', 'x-request-id': 'req-42' }, payload: { reason: 'drill' },
  });
  assert.equal(res.statusCode, 200);
  assert.equal(res.headers['x-request-id'], 'req-42');
  const text = out.text();
  assert.match(text, /"reqId":"req-42"/);
  assert.match(text, /rollout state changed/);
  assert.ok(!text.includes('admin-secret-0123456789'));
});

test('a request logger is made on first use: none for a request that logs nothing, bound to the request id when one logs', async (t) => {
  const out = capture();
  const logger = createLogger('info', out.stream);
  let children = 0;
  const childOf = logger.child.bind(logger);
  logger.child = ((...args: Parameters<typeof logger.child>) => {
    children++;
    return childOf(...args);
  }) as typeof logger.child;
  const config = loadConfig({ env: {} });
  const cutover = await createCutover(config, { logger });
  await cutover.start();
  t.after(() => cutover.close());
  const before = children;

  const quiet = await cutover.app.inject({ method: 'GET', url: '/v1/route/alice', headers: { 'x-request-id': 'req-quiet' } });
  assert.equal(quiet.statusCode, 200);
  assert.equal(children, before, 'a request that logs nothing made no child logger');

  const sent = await cutover.app.inject({ method: 'POST', url: '/v1/messages', headers: { 'x-request-id': 'req-sent' }, payload: { from: 'alice', to: { type: 'user', id: 'bob' }, payload: 'hi' } });
  assert.equal(sent.statusCode, 201);
  assert.equal(children, before, 'nor did a send');

  // A 503 is logged (warn) through the request's logger: made then, bound to the request id.
  (cutover.services.sides.old.inner as MemoryAdapter).setFaults({ down: true });
  const refused = await cutover.app.inject({ method: 'POST', url: '/v1/messages', headers: { 'x-request-id': 'req-refused' }, payload: { from: 'alice', to: { type: 'user', id: 'bob' }, payload: 'hi' } });
  assert.equal(refused.statusCode, 503);
  assert.equal(children, before + 1);
  const text = out.text();
  assert.match(text, /"reqId":"req-refused"/);
  assert.ok(!text.includes('req-quiet') && !text.includes('req-sent'));
});
