import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { driveToCanary, eventually, startStack, TOKEN } from '../support/stack.js';

const CLI = fileURLToPath(new URL('../../src/cli/cutover.js', import.meta.url));
const USERS = Array.from({ length: 50 }, (_, i) => `sample-${i}`);

test('cutover rollback against one of three gateways: the other two route every sampled user to old within 1 s', async (t) => {
  const stack = await startStack(t, { CUTOVER_GUARD_ENABLED: 'false' });
  const [a, b, c] = await Promise.all([stack.startGateway(), stack.startGateway(), stack.startGateway()]);
  await driveToCanary(a, 50);
  const version = (await a.request('GET', '/v1/route/probe')).body.version as number;
  // The canary itself must have reached b and c before the rollback is timed.
  await eventually(async () => (await Promise.all([b, c].map((g) => g.request('GET', '/v1/route/probe')))).every((r) => r.body.version === version), 5_000, 'the canary state on b and c');
  for (const gateway of [b, c]) {
    const routes = await Promise.all(USERS.map((u) => gateway.request('GET', `/v1/route/${u}`)));
    assert.ok(routes.some((r) => r.body.cohort === 'new'), 'some sampled users are on new before the rollback');
  }

  const started = Date.now();
  const cli = await promisify(execFile)(process.execPath, [CLI, 'rollback', '--reason', 'three-instance drill'], {
    env: { ...process.env, CUTOVER_URL: a.url, CUTOVER_TOKEN: TOKEN },
  });
  assert.match(cli.stdout, /rolled back/i);
  const deadline = started + 1_000;
  const pending = new Set([b, c]);
  while (pending.size > 0 && Date.now() < deadline) {
    for (const gateway of [...pending]) {
      const routes = await Promise.all(USERS.map((u) => gateway.request('GET', `/v1/route/${u}`)));
      if (routes.every((r) => r.body.cohort === 'old')) pending.delete(gateway);
    }
  }
  t.diagnostic(`both other instances routed everyone to old ${Date.now() - started} ms after the CLI started`);
  assert.equal(pending.size, 0, 'an instance still routed someone to new 1 s after the rollback');
});
