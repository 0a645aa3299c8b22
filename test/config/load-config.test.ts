import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ConfigError, loadConfig } from '../../src/config/load-config.js';

test('no config at all is the embedded default: memory sides, no Redis, durations in ms', () => {
  const config = loadConfig({ env: {} });
  assert.equal(config.redis.url, undefined);
  assert.deepEqual([config.sides.old.type, config.sides.new.type], ['memory', 'memory']);
  assert.equal(config.flags.flagName, 'cutover-default');
  assert.equal(config.outbox.dedupeWindowMs, 86_400_000);
  assert.equal(config.plan.steps[0]!.bakeMs, 30 * 60_000);
});

test('a file, then CUTOVER_* variables, make the config', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cutover-config-'));
  const file = join(dir, 'cutover.json');
  writeFileSync(file, JSON.stringify({ migration: 'eu-chat', http: { port: 9000 }, plan: { steps: [{ percent: 10, bake: '3d' }, { percent: 100, bake: '90s' }] } }));
  const config = loadConfig({ file, env: { CUTOVER_PORT: '9100', CUTOVER_REDIS_URL: 'redis://127.0.0.1:6379', CUTOVER_ADMIN_TOKENS: 'ann:operator:abcdefghijklmnopq' } });
  assert.equal(config.migration, 'eu-chat');
  assert.equal(config.http.port, 9100, 'env wins over the file');
  assert.equal(config.redis.url, 'redis://127.0.0.1:6379');
  assert.deepEqual(config.plan.steps.map((s) => s.bakeMs), [3 * 86_400_000, 90_000]);
  assert.deepEqual(config.admin.tokens, [{ name: 'ann', role: 'operator', token: 'abcdefghijklmnopq' }]);
  assert.equal(config.flags.flagName, 'cutover-eu-chat');
});

test('a bad value names the key, where it came from and what is allowed', () => {
  const cases: Array<[Record<string, string>, RegExp]> = [
    [{ CUTOVER_PORT: '80a' }, /CUTOVER_PORT: must be a whole number; got "80a"/],
    [{ CUTOVER_PORT: '70000' }, /"http.port" \(from CUTOVER_PORT\).*65535/],
    [{ CUTOVER_REDIS_URL: 'localhost:6379' }, /"redis.url" \(from CUTOVER_REDIS_URL\)/],
    [{ CUTOVER_OLD_SIDE: '{"type":"carrier-pigeon"}' }, /"sides.old.type".*memory, http-legacy, agora-rtm/],
    [{ CUTOVER_NEW_SIDE: '{"type":"http-legacy"}' }, /"sides.new.baseUrl"/],
    [{ CUTOVER_NEW_SIDE: '{"type":"http-legacy","baseUrl":"http://x","timeout":"soon"}' }, /"sides.new.timeout"/],
    [{ CUTOVER_ADMIN_TOKENS: 'ann:root:abcdefghijklmnopq' }, /"admin.tokens.0.role"/],
    [{ CUTOVER_ADMIN_TOKENS: 'ann:operator:short' }, /"admin.tokens.0.token"/],
    [{ CUTOVER_UNLEASH_URL: 'http://unleash:4242/api' }, /flags.unleashToken.*required/],
    [{ CUTOVER_OUTBOX_INFLIGHT_GRACE: '1s', CUTOVER_OLD_SIDE: '{"type":"http-legacy","baseUrl":"http://x","timeout":"2s"}' }, /outbox.inflightGrace.*at least 12000 ms/],
  ];
  for (const [env, message] of cases) {
    assert.throws(() => loadConfig({ env }), (err: unknown) => err instanceof ConfigError && message.test(err.message), JSON.stringify(env));
  }
  assert.throws(() => loadConfig({ env: {}, overrides: { 'plan.steps': [{ percent: 50, bake: '1h' }, { percent: 20, bake: '1h' }] } }), /plan.steps.*above the step before/);
});

test('the server exits at once with code 78 and the key when the config is bad, and never logs a secret', () => {
  const server = fileURLToPath(new URL('../../src/server.js', import.meta.url));
  const result = spawnSync(process.execPath, [server], {
    env: { ...process.env, CUTOVER_PORT: '0', CUTOVER_ADMIN_TOKENS: 'ann:operator:super-secret-token-value', CUTOVER_REDIS_SHARDS: 'many' },
    encoding: 'utf8', timeout: 10_000,
  });
  assert.equal(result.status, 78);
  assert.match(result.stderr, /CUTOVER_REDIS_SHARDS: must be a whole number/);
  assert.doesNotMatch(result.stderr + result.stdout, /super-secret-token-value/);
});
