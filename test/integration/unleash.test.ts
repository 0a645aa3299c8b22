import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, test, type TestContext } from 'node:test';
import { bucketOf, inRollout } from '../../src/domain/bucket.js';
import type { RolloutState } from '../../src/domain/rollout-state.js';
import { UnleashEligibility } from '../../src/infra/flags/unleash-eligibility.js';
import { createLogger } from '../../src/infra/logger.js';
import { UnleashRolloutMirror, type MirrorResult } from '../../src/infra/flags/unleash-rollout-mirror.js';
import { GatewayProcess } from '../support/gateway-process.js';
import { UnleashStack, type UnleashConstraint } from '../support/unleash-stack.js';

// One real PostgreSQL + Unleash for the whole file; the "Unleash down" tests stop it, so they run last.
let stack: UnleashStack;
before(async () => {
  stack = await UnleashStack.start();
});
after(async () => {
  await stack?.destroy();
});

function capture(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({ write(chunk: Buffer, _enc, done) { chunks.push(chunk.toString()); done(); } });
  return { stream, text: () => chunks.join('') };
}

async function onlineEligibility(t: TestContext, flagName: string, log = capture()): Promise<UnleashEligibility> {
  const eligibility = new UnleashEligibility({
    flagName, url: stack.url, token: stack.backendToken, refreshIntervalMs: 500,
    fallback: false, instanceId: 'unleash-test', logger: createLogger('info', log.stream),
  });
  t.after(() => eligibility.close());
  await withTimeout(eligibility.ready(), 5_000, 'unleash-client never synchronized');
  return eligibility;
}

async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what} within ${ms} ms`)), ms); });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls `check` every 10 ms; the milliseconds it took, or -1 past `timeoutMs`. */
async function waitFor(check: () => boolean, timeoutMs: number): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (check()) return Date.now() - started;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return -1;
}

/** Until the client API serves the flag enabled with a strategy: a client started earlier sees an older flag. */
async function served(flag: string): Promise<void> {
  await stack.waitUntilServed(flag, (f) => f.enabled && f.strategies.length > 0);
}

function allowList(...userIds: string[]): UnleashConstraint[] {
  return [{ contextName: 'userId', operator: 'IN', values: userIds }];
}

const user = (id: string) => ({ type: 'user', id }) as const;

/** 2,000 ids, some non-ASCII (unleash-client hashes those by the low byte of each UTF-16 unit). */
const IDS = Array.from({ length: 2_000 }, (_, i) => (i % 40 === 0 ? `Jürgen-用户-${i}` : `user-${i}`));

function state(version: number, fields: Partial<RolloutState>): RolloutState {
  const at = new Date().toISOString();
  return { migration: 'unleash-test', generation: 'g1', version, stage: 'off', percent: 0, rollback: null, since: at, updatedAt: at, updatedBy: 'test', ...fields };
}

const ROLLED_BACK: RolloutState['rollback'] = {
  trigger: 'manual', actor: 'test', reason: 'mirror test', at: new Date().toISOString(), resumeTo: { stage: 'canary', percent: 12.5 },
};

test('eligibility follows a flag edited through the Admin API within the client refresh interval', async (t) => {
  t.diagnostic(`boot: postgres ${stack.timings.postgresMs} ms (initdb included), unleash ${stack.timings.unleashMs} ms after it (migrations included)`);
  const flag = 'cutover-propagation';
  await stack.admin.createFlag(flag);
  const strategy = await stack.admin.addFlexibleRollout(flag, { rollout: 100, constraints: allowList('alice', 'bob') });
  await stack.admin.enable(flag);
  const eligibility = await onlineEligibility(t, flag);
  assert.deepEqual(['alice', 'bob', 'carol'].map((id) => eligibility.isEligible(user(id))), [true, true, false]);

  await stack.admin.updateStrategy(flag, strategy.id, { rollout: 100, constraints: allowList('alice', 'carol') });
  const delay = await waitFor(() => eligibility.isEligible(user('carol')) && !eligibility.isEligible(user('bob')), 5_000);
  t.diagnostic(`flag edit reached the client after ${delay} ms (client refresh 500 ms)`);
  assert.ok(delay >= 0, 'the edit did not reach the client within 5 s');
  assert.equal(eligibility.isEligible(user('alice')), true, 'alice stayed on the allow list');
});

test('a gateway with this Unleash and no bootstrap file is ready after its first fetch, and routes by the flag', async (t) => {
  const flag = 'cutover-gateway';
  await stack.admin.createFlag(flag);
  await stack.admin.addFlexibleRollout(flag, { rollout: 100, constraints: [{ contextName: 'userId', operator: 'NOT_IN', values: ['mallory'] }] });
  await stack.admin.enable(flag);
  await served(flag);
  // Waits for "cutover ready", which comes only once the flags are synchronized.
  const gateway = await GatewayProcess.start({ CUTOVER_UNLEASH_URL: stack.url, CUTOVER_UNLEASH_TOKEN: stack.backendToken, CUTOVER_FLAG_NAME: flag });
  t.after(() => gateway.kill());
  const ready = await gateway.request('GET', '/readyz');
  assert.equal(ready.status, 200, JSON.stringify(ready.body));
  const [alice, mallory] = await Promise.all([gateway.request('GET', '/v1/route/alice'), gateway.request('GET', '/v1/route/mallory')]);
  assert.deepEqual([alice.body.eligible, mallory.body.eligible], [true, false], 'eligibility from the server, deny list included');
});

test("unleash-client's flexibleRollout at 25 % agrees with Cutover's bucket for 2,000 ids", async (t) => {
  const flag = 'cutover-conformance';
  await stack.admin.createFlag(flag);
  await stack.admin.addFlexibleRollout(flag, { rollout: 25, stickiness: 'userId', groupId: flag });
  await stack.admin.enable(flag);
  await served(flag);
  const eligibility = await onlineEligibility(t, flag);

  const disagree = IDS.filter((id) => eligibility.isEligible(user(id)) !== inRollout(bucketOf(flag, id), 25));
  assert.deepEqual(disagree, []);
  const inCohort = IDS.filter((id) => eligibility.isEligible(user(id))).length;
  t.diagnostic(`${inCohort} of ${IDS.length} ids in the 25 % cohort`);
  assert.ok(inCohort > 400 && inCohort < 600, `a 25 % rollout took ${inCohort} of 2,000`);
});

test('the mirror writes the rollout into Unleash: canary 12.5 % → 12, rolled back → 0, complete → 100, keeping constraints', async () => {
  const flag = 'cutover-mirror';
  await stack.admin.createFlag(flag);
  const results: MirrorResult[] = [];
  const mirror = new UnleashRolloutMirror({
    adminUrl: stack.baseUrl, adminToken: stack.adminToken, flagName: flag,
    logger: createLogger('silent'), fetchTimeoutMs: 2_000, onResult: (r) => results.push(r),
  });

  const canary = await mirror.mirror(state(2, { stage: 'canary', percent: 12.5 }));
  assert.equal(canary.ok, true, canary.error);
  assert.equal(canary.action, 'created', 'a flag with no strategy gets a flexibleRollout');
  const [created, ...others] = await stack.admin.strategies(flag);
  assert.equal(others.length, 0);
  assert.equal(created!.name, 'flexibleRollout');
  assert.deepEqual(created!.parameters, { rollout: '12', stickiness: 'userId', groupId: flag });

  // An operator narrows the strategy in Unleash; the mirror must not undo that.
  await stack.admin.updateStrategy(flag, created!.id, { rollout: 12, constraints: allowList('alice') });
  const rolledBack = await mirror.mirror(state(3, { stage: 'canary', percent: 12.5, rollback: ROLLED_BACK }));
  assert.equal(rolledBack.ok, true, rolledBack.error);
  const [afterRollback] = await stack.admin.strategies(flag);
  assert.equal(afterRollback!.id, created!.id, 'the same strategy is updated, not a new one added');
  assert.equal(afterRollback!.parameters.rollout, '0');
  assert.deepEqual(afterRollback!.constraints.map((c) => c.values), [['alice']]);

  assert.equal((await mirror.mirror(state(4, { stage: 'complete', percent: 100 }))).ok, true);
  assert.equal((await stack.admin.strategies(flag))[0]!.parameters.rollout, '100');

  const stale = await mirror.mirror(state(3, { stage: 'canary', percent: 50 }));
  assert.equal(stale.superseded, true, 'an older state is never written over a newer one');
  assert.equal((await stack.admin.strategies(flag))[0]!.parameters.rollout, '100');
  assert.deepEqual(results.map((r) => [r.ok, r.percent]), [[true, 12], [true, 0], [true, 100]]);
});

test("after mirroring 12.5 %, Unleash's cohort is Cutover's buckets up to 12 %: a subset, never more", async (t) => {
  const flag = 'cutover-mirror-subset';
  await stack.admin.createFlag(flag);
  await stack.admin.enable(flag);
  const mirror = new UnleashRolloutMirror({ adminUrl: stack.url, adminToken: stack.adminToken, flagName: flag, logger: createLogger('silent') });
  assert.equal((await mirror.mirror(state(2, { stage: 'canary', percent: 12.5 }))).ok, true);
  await served(flag);

  const eligibility = await onlineEligibility(t, flag);
  const unleashCohort = IDS.filter((id) => eligibility.isEligible(user(id)));
  const cutoverCohort = IDS.filter((id) => inRollout(bucketOf(flag, id), 12.5));
  assert.deepEqual(unleashCohort.filter((id) => !cutoverCohort.includes(id)), [], 'Unleash says new only where Cutover does');
  assert.deepEqual(unleashCohort, IDS.filter((id) => bucketOf(flag, id) <= 1_200));
  t.diagnostic(`Unleash ${unleashCohort.length}, Cutover ${cutoverCohort.length} of ${IDS.length} ids`);
});

test('when Unleash is down, eligibility goes on from the last known flags without throwing, and follows the flag again once it is back', async (t) => {
  const flag = 'cutover-down';
  await stack.admin.createFlag(flag);
  const notIn = (...userIds: string[]): UnleashConstraint[] => [{ contextName: 'userId', operator: 'NOT_IN', values: userIds }];
  const strategy = await stack.admin.addFlexibleRollout(flag, { rollout: 50, constraints: notIn('mallory') });
  await stack.admin.enable(flag);
  await served(flag);
  const log = capture();
  const eligibility = await onlineEligibility(t, flag, log);
  const ids = ['mallory', ...IDS.slice(0, 200)];
  const answers = ids.map((id) => eligibility.isEligible(user(id)));
  assert.ok(answers.includes(true) && answers.includes(false), 'the flag splits these ids');

  await stack.stop();
  // unleash-client emits `error` once its fetch gives up; UnleashEligibility handles and logs it.
  const noticed = await waitFor(() => log.text().includes('unleash unreachable'), 8_000);
  t.diagnostic(`the client reported Unleash down after ${noticed} ms (its fetch retries twice first)`);
  assert.ok(noticed >= 0, 'no "unleash unreachable" warning was logged');
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  assert.deepEqual(ids.map((id) => eligibility.isEligible(user(id))), answers, 'same answers from the last known flags');

  // Back up, and edited: the client follows again. Closing it while its fetch still fails would
  // leave unleash-client's late `error` with no listener (see the report on UnleashEligibility.close).
  const restartedAt = Date.now();
  await stack.startUnleash();
  t.diagnostic(`unleash restarted in ${Date.now() - restartedAt} ms`);
  const dropped = ids.find((id, i) => id !== 'mallory' && answers[i])!;
  await stack.admin.updateStrategy(flag, strategy.id, { rollout: 50, constraints: notIn('mallory', dropped) });
  const followed = await waitFor(() => !eligibility.isEligible(user(dropped)) && log.text().includes('unleash reachable again'), 10_000);
  t.diagnostic(`after the restart the client followed an edit in ${followed} ms`);
  assert.ok(followed >= 0, 'the client did not follow the flag after Unleash came back');
});

test('with Unleash down, mirror resolves after its retries and reports ok:false', async () => {
  await stack.stop();
  const results: MirrorResult[] = [];
  const mirror = new UnleashRolloutMirror({
    adminUrl: stack.baseUrl, adminToken: stack.adminToken, flagName: 'cutover-mirror', logger: createLogger('silent'),
    fetchTimeoutMs: 1_000, attempts: 3, backoffBaseMs: 50, onResult: (r) => results.push(r),
  });
  const started = Date.now();
  const result = await mirror.mirror(state(9, { stage: 'canary', percent: 12.5 }));
  assert.equal(result.ok, false);
  assert.equal(result.attempts, 3);
  assert.match(result.error ?? '', /ECONNREFUSED|fetch failed/);
  assert.deepEqual(results, [result], 'the failure is reported for the audit');
  assert.ok(Date.now() - started < 5_000, 'bounded by timeouts and backoff');
});
