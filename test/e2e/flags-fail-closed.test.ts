import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { freePort } from '../support/free-port.js';
import { GatewayProcess } from '../support/gateway-process.js';
import { eventually } from '../support/stack.js';

const OPERATOR = 'flags-operator-token-0123456789';

/** Embedded gateway whose Unleash server is a loopback port nothing listens on. */
async function unreachableUnleash(extraEnv: Record<string, string> = {}, until: 'listening' | 'ready' = 'ready'): Promise<GatewayProcess> {
  return GatewayProcess.start({
    CUTOVER_UNLEASH_URL: `http://127.0.0.1:${await freePort()}/api/`,
    CUTOVER_UNLEASH_TOKEN: 'default:development.flags-test-token',
    CUTOVER_ADMIN_TOKENS: `ops:operator:${OPERATOR}`,
    ...extraEnv,
  }, { until });
}

test('with an Unleash server it cannot reach, a gateway is not ready, routes everyone by the fallback, and still delivers owed writes', async (t) => {
  const gateway = await unreachableUnleash({}, 'listening');
  t.after(() => gateway.kill());
  // Past the first failed fetch, not merely before it.
  await eventually(async () => gateway.log.includes('unleash unreachable'), 10_000, 'the first fetch to fail');

  const ready = await gateway.request('GET', '/readyz');
  assert.equal(ready.status, 503);
  assert.equal(ready.body.checks.flags.ok, false);
  assert.match(ready.body.checks.flags.detail, /not synchronized/);
  // config/flags.json makes everyone eligible; unconfigured, it must not be read.
  const route = await gateway.request('GET', '/v1/route/alice');
  assert.equal(route.status, 200);
  assert.equal(route.body.eligible, false, 'flags.fallbackEligible, not the bundled bootstrap');
  assert.equal(gateway.log.includes('"cutover ready"'), false);

  // The outbox workers run although the flags never came: a shadow write reaches the new side.
  const stage = await gateway.request('POST', '/admin/rollout/stage', { stage: 'shadow' }, OPERATOR);
  assert.equal(stage.status, 200, JSON.stringify(stage.body));
  const sent = await gateway.request('POST', '/v1/messages', { id: 'flags-m1', from: 'alice', to: { type: 'user', id: 'bob' }, payload: 'hi' }, OPERATOR);
  assert.equal(sent.status, 201, JSON.stringify(sent.body));
  await eventually(async () => {
    const { counts } = (await gateway.request('GET', '/admin/outbox', undefined, OPERATOR)).body;
    return counts.owed.new === 0 && counts.owed.old === 0;
  }, 5_000, 'the secondary write to new');

  await gateway.stop();
  assert.equal(gateway.exitCode, 0, `a gateway waiting for its flags stops gracefully:\n${gateway.log}`);
});

test('a bootstrap file set on purpose is used before the first fetch: ready, and eligibility from its flag', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cutover-flags-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'flags.json');
  writeFileSync(file, JSON.stringify({
    version: 2,
    features: [{
      name: 'cutover-default', enabled: true,
      strategies: [{ name: 'default', parameters: {}, constraints: [{ contextName: 'userId', operator: 'NOT_IN', values: ['mallory'] }] }],
    }],
  }));
  const gateway = await unreachableUnleash({ CUTOVER_FLAGS_FILE: file });
  t.after(() => gateway.kill());

  const ready = await gateway.request('GET', '/readyz');
  assert.equal(ready.status, 200, JSON.stringify(ready.body));
  assert.equal(ready.body.checks.flags.ok, true);
  const [alice, mallory] = await Promise.all([gateway.request('GET', '/v1/route/alice'), gateway.request('GET', '/v1/route/mallory')]);
  assert.deepEqual([alice.body.eligible, mallory.body.eligible], [true, false], 'the bootstrap flag decides, deny list included');
});
