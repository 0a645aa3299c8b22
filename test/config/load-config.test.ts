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
    [{ CUTOVER_NEW_SIDE: JSON.stringify({ type: 'agora-rtm', appId: 'app', userId: 'gw', token: 'rtm-token', relayChannels: Array.from({ length: 51 }, (_, i) => `g${i}`) }) }, /"sides.new.relayChannels"/],
    [{ CUTOVER_BRIDGE_OLD_SECRET: 'shortsecret' }, /"bridge.old.secret" \(from CUTOVER_BRIDGE_OLD_SECRET\).*a secret of 11 characters \(not shown\)/],
    [{ CUTOVER_BRIDGE_REPLAY_WINDOW: 'a while' }, /"bridge.replayWindow"/],
    [{ CUTOVER_OUTBOX_INFLIGHT_GRACE: '1s', CUTOVER_OLD_SIDE: '{"type":"http-legacy","baseUrl":"http://x","timeout":"2s"}' }, /outbox.inflightGrace.*at least 12300 ms/],
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

test('the bundled flags bootstrap is the default offline only: with an Unleash server it is used only when set', () => {
  const online = { CUTOVER_UNLEASH_URL: 'http://unleash:4242/api', CUTOVER_UNLEASH_TOKEN: 'default:development.x' };
  assert.equal(loadConfig({ env: {} }).flags.bootstrapFile, 'config/flags.json');
  assert.equal(loadConfig({ env: online }).flags.bootstrapFile, undefined);
  assert.equal(loadConfig({ env: { ...online, CUTOVER_FLAGS_FILE: '/etc/cutover/flags.json' } }).flags.bootstrapFile, '/etc/cutover/flags.json');
});

test('the drain period and shutdown timeout default to 5 s and 15 s; a drain of 0 is allowed, a timeout of 0 is not', () => {
  const defaults = loadConfig({ env: {} }).http;
  assert.deepEqual([defaults.drainPeriodMs, defaults.shutdownTimeoutMs], [5_000, 15_000]);
  const set = loadConfig({ env: { CUTOVER_DRAIN_PERIOD: '0s', CUTOVER_SHUTDOWN_TIMEOUT: '1m' } }).http;
  assert.deepEqual([set.drainPeriodMs, set.shutdownTimeoutMs], [0, 60_000]);
  assert.throws(() => loadConfig({ env: { CUTOVER_SHUTDOWN_TIMEOUT: '0s' } }), /"http.shutdownTimeout": must be more than 0/);
  assert.throws(() => loadConfig({ env: { CUTOVER_DRAIN_PERIOD: 'soon' } }), /"http.drainPeriod" \(from CUTOVER_DRAIN_PERIOD\)/);
});

test('CUTOVER_API_TOKENS is name:token pairs; a token may itself hold colons', () => {
  const config = loadConfig({ env: { CUTOVER_API_TOKENS: 'backend:abcdefghijklmnopq,router:a:b:c:defghijklmnopq' } });
  assert.deepEqual(config.api.tokens, [{ name: 'backend', token: 'abcdefghijklmnopq' }, { name: 'router', token: 'a:b:c:defghijklmnopq' }]);
  assert.equal(config.api.open, false, 'a service token closes /v1, even embedded');
  assert.throws(() => loadConfig({ env: { CUTOVER_API_TOKENS: 'backend' } }), /CUTOVER_API_TOKENS: each entry must be name:token/);
});

test('/v1 is open only in the embedded default with no api.tokens; with Redis a gateway refuses to start without a way in', () => {
  assert.equal(loadConfig({ env: {} }).api.open, true);
  assert.equal(loadConfig({ env: { CUTOVER_ADMIN_TOKENS: 'ann:operator:abcdefghijklmnopq' } }).api.open, true, 'embedded: operator tokens alone leave /v1 open');
  const redis = { CUTOVER_REDIS_URL: 'redis://127.0.0.1:6379' };
  for (const env of [redis, { ...redis, CUTOVER_ADMIN_TOKENS: 'vic:viewer:abcdefghijklmnopq' }]) {
    assert.throws(() => loadConfig({ env }), (err: unknown) =>
      err instanceof ConfigError && /^config key "api.tokens": required when redis.url is set/.test(err.message) && /CUTOVER_API_TOKENS=name:token/.test(err.message), JSON.stringify(env));
  }
  assert.equal(loadConfig({ env: { ...redis, CUTOVER_API_TOKENS: 'backend:abcdefghijklmnopq' } }).api.open, false);
  assert.equal(loadConfig({ env: { ...redis, CUTOVER_ADMIN_TOKENS: 'ann:operator:abcdefghijklmnopq' } }).api.open, false, 'operators are the only callers');
});

test('a token is one holder\'s: the same token in admin.tokens and api.tokens is refused, naming both holders and not the token', () => {
  const token = 'shared-token-0123456789';
  assert.throws(() => loadConfig({ env: { CUTOVER_ADMIN_TOKENS: `ann:operator:${token}`, CUTOVER_API_TOKENS: `backend:${token}` } }), (err: unknown) =>
    err instanceof ConfigError && /"api.tokens": the token of "backend" is also the token of "ann" \(admin.tokens\)/.test(err.message) && !err.message.includes(token));
  assert.throws(() => loadConfig({ env: { CUTOVER_API_TOKENS: `a:${token},b:${token}` } }), /"api.tokens": the token of "b" is also the token of "a" \(api.tokens\)/);
});

test('the dedupe window may not be shorter than the recovery grace', () => {
  assert.throws(() => loadConfig({ env: {}, overrides: { 'outbox.inflightGrace': '20s', 'outbox.dedupeWindow': '19s' } }), (err: unknown) =>
    err instanceof ConfigError && /^config key "outbox.dedupeWindow": must be at least outbox.inflightGrace \(20000 ms\).*got 19000 ms/.test(err.message));
  assert.equal(loadConfig({ env: {}, overrides: { 'outbox.inflightGrace': '20s', 'outbox.dedupeWindow': '20s' } }).outbox.dedupeWindowMs, 20_000);
});

test('the recovery grace must outlast twice the longest primary write of every side: http-legacy tries and backoff, agora-rtm, memory latency', () => {
  const legacy = (timeout: string, retries: number) => JSON.stringify({ type: 'http-legacy', baseUrl: 'http://legacy', timeout, retries });
  // [side env, grace refused, grace accepted, what the message must say]
  const cases: Array<[Record<string, string>, string, string, RegExp]> = [
    // 3 tries of 2 s and the backoff between them (at most 50 + 100 ms): 6150 ms, twice 12300.
    [{ CUTOVER_OLD_SIDE: legacy('2s', 2) }, '12299ms', '12300ms', /at least 12300 ms, twice the 6150 ms one write to sides.old \(http-legacy\) can take \(timeout 2000 ms × 3 tries \+ 150 ms of backoff/],
    // One try: no backoff at all.
    [{ CUTOVER_NEW_SIDE: legacy('1s', 0) }, '1999ms', '2s', /at least 2000 ms, twice the 1000 ms one write to sides.new.*× 1 tries \+ 0 ms of backoff/],
    // 6 tries: backoff 50 + 100 + 200 + 400 + 800 ms.
    [{ CUTOVER_OLD_SIDE: legacy('500ms', 5) }, '9099ms', '9100ms', /at least 9100 ms, twice the 4550 ms.*× 6 tries \+ 1550 ms of backoff/],
    // One try of 3 s, and the worker's answer may come 250 ms after its own deadline.
    [{ CUTOVER_NEW_SIDE: JSON.stringify({ type: 'agora-rtm', appId: 'app', userId: 'gw', token: 'rtm-token', timeout: '3s' }) }, '6499ms', '6500ms', /at least 6500 ms, twice the 3250 ms one write to sides.new \(agora-rtm\)/],
    [{ CUTOVER_OLD_SIDE: JSON.stringify({ type: 'memory', latencyMs: 4_000 }) }, '7999ms', '8s', /at least 8000 ms, twice the 4000 ms one write to sides.old \(memory\) can take \(latencyMs 4000\)/],
  ];
  for (const [sides, refused, accepted, message] of cases) {
    assert.throws(() => loadConfig({ env: { ...sides, CUTOVER_OUTBOX_INFLIGHT_GRACE: refused } }), (err: unknown) =>
      err instanceof ConfigError && err.message.startsWith('config key "outbox.inflightGrace": ') && message.test(err.message) && /Set outbox.inflightGrace \(CUTOVER_OUTBOX_INFLIGHT_GRACE\) to \d+s or more/.test(err.message),
    `${JSON.stringify(sides)} with grace ${refused}`);
    assert.doesNotThrow(() => loadConfig({ env: { ...sides, CUTOVER_OUTBOX_INFLIGHT_GRACE: accepted } }), `${JSON.stringify(sides)} with grace ${accepted}`);
  }
});

test('the lease must outlast twice the longest write of every side, so no instance takes over a write its holder is still making', () => {
  const side = JSON.stringify({ type: 'http-legacy', baseUrl: 'http://legacy', timeout: '2s', retries: 2 });
  assert.throws(() => loadConfig({ env: { CUTOVER_OLD_SIDE: side, CUTOVER_OUTBOX_LEASE_TIMEOUT: '12s' } }), (err: unknown) =>
    err instanceof ConfigError && /^config key "outbox.leaseTimeout": must be at least 12300 ms, twice the 6150 ms one write to sides.old/.test(err.message)
    && /Set outbox.leaseTimeout \(CUTOVER_OUTBOX_LEASE_TIMEOUT\) to 13s or more/.test(err.message));
  assert.equal(loadConfig({ env: { CUTOVER_OLD_SIDE: side, CUTOVER_OUTBOX_LEASE_TIMEOUT: '12300ms' } }).outbox.leaseTimeoutMs, 12_300);
});

test('a config error names the key of a secret but never shows it; other values keep their URL password hidden', () => {
  const cases: Array<[Parameters<typeof loadConfig>[0], string, RegExp]> = [
    [{ env: { CUTOVER_ADMIN_TOKENS: 'ann:operator:short-secret' } }, 'short-secret', /"admin.tokens.0.token" \(from CUTOVER_ADMIN_TOKENS\).*got a secret of 12 characters \(not shown\)/],
    [{ env: { CUTOVER_API_TOKENS: 'backend:short-secret' } }, 'short-secret', /"api.tokens.0.token" \(from CUTOVER_API_TOKENS\).*got a secret of 12 characters/],
    [{ env: {}, overrides: { 'admin.tokens': 'ann:operator:secret-written-as-a-string' } }, 'secret-written', /"admin.tokens": .*got a secret of/],
    [{ env: { CUTOVER_OLD_SIDE: '{"type":"http-legacy","baseUrl":"http://legacy","apiKey":7654321}' } }, '7654321', /"sides.old.apiKey".*got a secret \(not shown\)/],
    [{ env: { CUTOVER_NEW_SIDE: '{"type":"agora-rtm","appId":"app","userId":"gw","token":13579246}' } }, '13579246', /"sides.new.token".*not shown/],
    [{ env: {}, overrides: { 'flags.unleashToken': 98765432 } }, '98765432', /"flags.unleashToken".*not shown/],
    [{ env: { CUTOVER_UNLEASH_MIRROR: '{"adminUrl":"http://unleash","adminToken":12345678}' } }, '12345678', /"flags.mirror.adminToken".*not shown/],
    [{ env: { CUTOVER_REDIS_URL: 'http://:hunter2-password@redis:6379' } }, 'hunter2', /"redis.url".*got "http:\/\/:\[redacted\]@redis:6379"/],
    [{ env: { CUTOVER_GUARD_WEBHOOKS: '[{"url":"https://hooks.example/T0","headers":{"authorization":42}}]' } }, '42', /"guard.webhooks.0.headers.authorization".*not shown/],
    // Not JSON at all: nothing of the text is shown, since it is where the API key sits.
    [{ env: { CUTOVER_OLD_SIDE: '{"type":"http-legacy","baseUrl":"http://legacy","apiKey":"legacy-secret-key",}' } }, 'legacy-secret-key', /CUTOVER_OLD_SIDE: must be a JSON object.*not valid JSON/],
  ];
  for (const [options, secret, message] of cases) {
    assert.throws(() => loadConfig(options), (err: unknown) => {
      assert.ok(err instanceof ConfigError, String(err));
      assert.match(err.message, message);
      assert.ok(!err.message.includes(secret), `${err.message} shows ${secret}`);
      return true;
    }, JSON.stringify(options));
  }
});

test('the server exits with 78 naming the key and not the secret: a too-short token, and Redis with no way into /v1', () => {
  const server = fileURLToPath(new URL('../../src/server.js', import.meta.url));
  const run = (env: Record<string, string>) => spawnSync(process.execPath, [server], { env: { ...cleanEnv(), CUTOVER_PORT: '0', ...env }, encoding: 'utf8', timeout: 10_000 });

  const short = run({ CUTOVER_API_TOKENS: 'backend:short-secret' });
  assert.equal(short.status, 78, short.stderr);
  assert.match(short.stderr, /config key "api.tokens.0.token" \(from CUTOVER_API_TOKENS\): .*16/);
  assert.doesNotMatch(short.stderr + short.stdout, /short-secret/);

  const open = run({ CUTOVER_REDIS_URL: 'redis://:redis-password-secret@127.0.0.1:1' });
  assert.equal(open.status, 78, open.stderr);
  assert.match(open.stderr, /config key "api.tokens": required when redis.url is set.*CUTOVER_API_TOKENS=name:token/);
  assert.doesNotMatch(open.stderr + open.stdout, /redis-password-secret/);
});

/** The test runner's env without CUTOVER_* settings, so a developer's shell cannot change the outcome. */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('CUTOVER_')));
}

test('the example config loads, its price tables included (the RTM one marked as an example)', () => {
  const config = loadConfig({ file: 'config/cutover.example.json', env: { CUTOVER_API_TOKENS: 'backend:abcdefghijklmnopqrst' } });
  assert.equal(config.billing.new?.unit, 'rtm-1kb');
  assert.match(config.billing.new?.note ?? '', /^EXAMPLE ONLY/);
  assert.deepEqual([config.billing.new?.includedConcurrentUsers, config.billing.new?.overagePerConcurrentUser], [2_500, 0.03], 'its PCU: 2,500 included, $30 per 1,000 over');
});

test('a negative price per concurrent user, or a fractional or negative number of them included, stops the boot naming the key', () => {
  const cases: Array<[unknown, RegExp]> = [
    [{ new: { unit: 'rtm-1kb', overagePerConcurrentUser: -0.03 } }, /"billing.new.overagePerConcurrentUser"/],
    [{ new: { unit: 'rtm-1kb', includedConcurrentUsers: -1 } }, /"billing.new.includedConcurrentUsers"/],
    [{ old: { unit: 'message', includedConcurrentUsers: 2.5 } }, /"billing.old.includedConcurrentUsers"/],
  ];
  for (const [billing, message] of cases) {
    assert.throws(() => loadConfig({ env: { CUTOVER_BILLING: JSON.stringify(billing) } }), (err: unknown) => err instanceof ConfigError && message.test(err.message), JSON.stringify(billing));
  }
  const priced = loadConfig({ env: { CUTOVER_BILLING: JSON.stringify({ new: { unit: 'rtm-1kb', includedConcurrentUsers: 2_500, overagePerConcurrentUser: 0.03 } }) } });
  assert.equal(priced.billing.new?.overagePerConcurrentUser, 0.03);
});

test('a malformed price table stops the boot naming the key: a negative price, an unknown unit, an unknown field', () => {
  const cases: Array<[unknown, RegExp]> = [
    [{ new: { unit: 'rtm-1kb', overagePerUnit: -1 } }, /"billing.new.overagePerUnit"/],
    [{ old: { unit: 'per-hug' } }, /"billing.old.unit"/],
    [{ old: { unit: 'message', packageFee: 10, discount: 5 } }, /"billing.old.discount"|billing.old.*discount/],
  ];
  for (const [billing, message] of cases) {
    assert.throws(() => loadConfig({ env: { CUTOVER_BILLING: JSON.stringify(billing) } }), (err: unknown) => err instanceof ConfigError && message.test(err.message), JSON.stringify(billing));
  }
});

test('an SLA above 100 %, or with a latency that is no duration, stops the boot naming the key', () => {
  const cases: Array<[unknown, RegExp]> = [
    [{ new: { availability: 100.5 } }, /"sla.new.availability"/],
    [{ old: { availability: 99.9, latency: 'fast' } }, /"sla.old.latency"/],
    [{ old: { availability: 0 } }, /"sla.old.availability"/],
  ];
  for (const [sla, message] of cases) {
    assert.throws(() => loadConfig({ env: { CUTOVER_SLA: JSON.stringify(sla) } }), (err: unknown) => err instanceof ConfigError && message.test(err.message), JSON.stringify(sla));
  }
  assert.deepEqual(loadConfig({ env: { CUTOVER_SLA: JSON.stringify({ new: { availability: 99.95, latency: '300ms' } }) } }).sla, { new: { availability: 99.95, latencyMs: 300, latencyPercent: 99 } });
});
