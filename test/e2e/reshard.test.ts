import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCli } from '../support/cli-process.js';
import { GatewayProcess } from '../support/gateway-process.js';
import { eventually, startStack, TOKEN } from '../support/stack.js';

test('the shard count lives in Redis: a gateway with another count is refused at boot, and cutover reshard moves every owed write and dedupe record so nothing is left behind', async (t) => {
  const stack = await startStack(t, { CUTOVER_REDIS_SHARDS: '2' });
  const gateway = await stack.startGateway();
  for (const stage of ['shadow', 'canary']) assert.equal((await gateway.request('POST', '/admin/rollout/stage', { stage }, TOKEN)).status, 200);

  // New is down: every secondary is owed or waiting to be retried.
  await stack.fresh.setFaults({ down: true });
  const ids = Array.from({ length: 300 }, (_, i) => `rs-${i}`);
  const send = async (batch: string[]): Promise<void> => {
    for (let i = 0; i < batch.length; i += 50) {
      await Promise.all(batch.slice(i, i + 50).map(async (id) => {
        const res = await gateway.request('POST', '/v1/messages', { id, from: `u${id}`, to: { type: 'user', id: 'ben' }, payload: id });
        assert.equal(res.status, 201, JSON.stringify(res.body));
      }));
    }
  };
  const outbox = async () => (await gateway.request('GET', '/admin/outbox', undefined, TOKEN)).body.counts;
  await send(ids);
  await eventually(async () => {
    const counts = await outbox();
    return counts.owed.new === 300;
  }, 15_000, 'every secondary owed to new');

  const whileRunning = await runCli(['reshard', '--redis', stack.redis.url, '--to', '4', '--reason', 'test: grow'], {});
  assert.equal(whileRunning.code, 1);
  assert.match(whileRunning.stderr, /RESHARD_REFUSED: 1 gateway is running/);
  await gateway.stop();

  const refused = await GatewayProcess.start({ ...stack.gatewayEnv, CUTOVER_REDIS_SHARDS: '4' }).then(
    (g) => { t.after(() => g.kill()); return undefined; },
    (err: Error) => err,
  );
  assert.ok(refused, 'a gateway with redis.shards 4 does not start on a 2-shard outbox');
  assert.match(refused.message, /exited \(78\)/);
  assert.match(refused.message, /"redis\.shards" \(CUTOVER_REDIS_SHARDS\) is 4, but migration "default" keeps its outbox in 2 shards/);
  assert.match(refused.message, /cutover reshard --redis URL --to 4/);

  // Marks of stopped gateways expire after 15 s; --force says we know they are gone.
  const resharded = await runCli(['reshard', '--redis', stack.redis.url, '--to', '4', '--reason', 'test: grow', '--force', '--json'], {});
  assert.equal(resharded.code, 0, resharded.stderr);
  const report = JSON.parse(resharded.stdout);
  assert.equal(report.ok, true);
  assert.equal(report.misplaced, 0);
  assert.ok(report.moved > 0);
  const owedBefore = report.before.queued.new + report.before.retrying.new + report.before.deadLettered.new;
  assert.equal(owedBefore, 300, 'every write was still owed when it moved them');
  assert.deepEqual({ ...report.after, records: 0 }, { ...report.before, records: 0 });

  // The new layout serves: owed writes drain to new once it is back, and a client retry of an id
  // sent before the reshard is still the same message.
  await stack.fresh.setFaults({ down: false });
  const grown = await stack.startGateway({ CUTOVER_REDIS_SHARDS: '4' });
  await eventually(async () => {
    const held = new Set(await stack.fresh.messageIds());
    return ids.every((id) => held.has(id));
  }, 30_000, 'every message on new');
  const retry = await grown.request('POST', '/v1/messages', { id: 'rs-7', from: 'urs-7', to: { type: 'user', id: 'ben' }, payload: 'rs-7' });
  assert.equal(retry.status, 200, 'a duplicate of a message sent before the reshard');
  assert.equal(retry.body.duplicate, true);
  const { counts } = (await grown.request('GET', '/admin/outbox', undefined, TOKEN)).body;
  assert.equal(counts.owed.new + counts.deadLettered.new, 0, 'nothing left owed');
  assert.equal((await stack.fresh.stats()).stored, 300);
});
