import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { RedisKeys } from '../../src/infra/redis/keys.js';
import type { GatewayProcess } from '../support/gateway-process.js';
import { driveToCanary, eventually, startStack, TOKEN } from '../support/stack.js';

const CLI = fileURLToPath(new URL('../../src/cli/cutover.js', import.meta.url));
const keys = new RedisKeys('default');

function breakGlass(redisUrl: string, ...extra: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('CUTOVER_')));
  const child = spawn(process.execPath, [CLI, 'rollback', '--redis', redisUrl, '--reason', 'drill: Redis lost its data', '--actor', 'pager', ...extra], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}

async function stateOf(gateway: GatewayProcess): Promise<{ version: number; generation: string; stage: string; rollback: unknown }> {
  return (await gateway.request('GET', '/admin/rollout', undefined, TOKEN)).body.state;
}

async function metric(gateway: GatewayProcess, series: string): Promise<number> {
  const text = (await gateway.request('GET', '/metrics')).body as string;
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.split(' ')[1]) : Number.NaN;
}

test('the store is the authority: a state restored to an older version, then lost and re-created by break glass, reaches every gateway', async (t) => {
  const stack = await startStack(t);
  const [a, b] = await Promise.all([stack.startGateway(), stack.startGateway()]);
  await driveToCanary(a, 50);
  const redis = new Redis(stack.redis.url);
  t.after(() => redis.disconnect());
  const canary = JSON.parse((await redis.hget(keys.state, 's'))!) as { version: number; generation: string; stage: string; percent: number };
  await eventually(async () => (await stateOf(b)).version === canary.version, 2_000, 'b to route by the canary');

  // A restore from an old backup: the record goes back to version 2 (shadow).
  const restored = { ...canary, version: 2, stage: 'shadow', percent: 0 };
  await redis.hset(keys.state, 'v', 2, 's', JSON.stringify(restored));
  for (const gateway of [a, b]) {
    await eventually(async () => (await stateOf(gateway)).version === 2, 1_500, 'each gateway to adopt the older stored version');
    assert.equal((await stateOf(gateway)).stage, 'shadow');
    assert.equal(await metric(gateway, 'cutover_state_anomalies_total{kind="version_backwards"}'), 1, 'counted as an anomaly');
  }

  // The record is gone (FLUSHALL): gateways keep the last state they had, and say so.
  await redis.flushall();
  for (const gateway of [a, b]) {
    await eventually(async () => (await metric(gateway, 'cutover_state_record_missing')) === 1, 2_500, 'each gateway to notice the missing record');
    assert.equal((await stateOf(gateway)).stage, 'shadow', 'fail-static: still routing by the last state');
  }
  // A gateway that starts now must not create a fresh `off` record (it would stop dual-writes
  // fleet-wide): it waits, not ready, for the state to be restored.
  await b.stop();
  await b.boot(15_000, 'listening');
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  assert.equal((await b.request('GET', '/readyz')).status, 503, 'the restarted gateway is not ready');
  assert.equal(await redis.hget(keys.state, 's'), null, 'and wrote no state');
  assert.equal((await stateOf(a)).stage, 'shadow', 'the running one still routes by the last state');

  const glass = await breakGlass(stack.redis.url);
  assert.equal(glass.code, 0, glass.stderr);
  assert.match(glass.stdout, /no rollout state was stored/);
  const fresh = JSON.parse((await redis.hget(keys.state, 's'))!) as { generation: string; version: number };
  assert.equal(fresh.version, 1);
  assert.notEqual(fresh.generation, canary.generation, "a new generation");
  const started = Date.now();
  await Promise.all([a, b].map((gateway) => eventually(async () => {
    const state = await stateOf(gateway);
    return state.generation === fresh.generation && state.rollback !== null;
  }, 1_000, 'each gateway to adopt the re-created record within a second')));
  t.diagnostic(`both gateways rolled back ${Date.now() - started} ms after break glass`);
  await eventually(async () => (await b.request('GET', '/readyz')).status === 200, 3_000, 'the restarted gateway to become ready on the restored state');
  assert.equal(await metric(a, 'cutover_state_anomalies_total{kind="generation_changed"}'), 1, 'the running gateway saw a record created anew');
  for (const gateway of [a, b]) {
    assert.equal(await metric(gateway, 'cutover_state_record_missing'), 0);
    const route = (await gateway.request('GET', '/v1/route/u1')).body;
    assert.deepEqual([route.primary, route.secondary, route.rolledBack], ['old', 'new', true], 'everyone on old, dual-writes go on');
  }
});

test('break glass refuses to invent a state nobody lost (a mistyped migration) unless told to recreate it', async (t) => {
  const stack = await startStack(t);
  const refused = await breakGlass(stack.redis.url, '--migration', 'eu-typo');
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /NO_STATE[\s\S]*--recreate/);
  const forced = await breakGlass(stack.redis.url, '--migration', 'eu-typo', '--recreate');
  assert.equal(forced.code, 0, forced.stderr);
  const redis = new Redis(stack.redis.url);
  t.after(() => redis.disconnect());
  const state = JSON.parse((await redis.hget(new RedisKeys('eu-typo').state, 's'))!) as { stage: string; rollback: unknown };
  assert.deepEqual([state.stage, state.rollback !== null], ['shadow', true]);
});
