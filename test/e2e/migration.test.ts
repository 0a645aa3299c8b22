import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import type { DatasetSpec } from '../../src/sim/dataset/dataset-spec.js';
import { runCli } from '../support/cli-process.js';
import { GatewayProcess } from '../support/gateway-process.js';
import { RedisServer } from '../support/redis-server.js';
import { SimProcess } from '../support/sim-process.js';
import { driveToCanary, eventually, SERVICE_TOKEN, TOKEN } from '../support/stack.js';

interface MigrationStack {
  redis: RedisServer;
  old: SimProcess;
  fresh: SimProcess;
  env: Record<string, string>;
  gateway(extra?: Record<string, string>): Promise<GatewayProcess>;
}

/** Redis, the sim as old with a generated past, an empty sim as new, and gateways on demand. */
async function migrationStack(t: TestContext, dataset: Partial<DatasetSpec>, extraEnv: Record<string, string> = {}): Promise<MigrationStack> {
  const redis = await RedisServer.start();
  t.after(() => redis.destroy());
  const [old, fresh] = await Promise.all([SimProcess.start({ name: 'old', dataset }), SimProcess.start({ name: 'new' })]);
  t.after(() => old.destroy());
  t.after(() => fresh.destroy());
  const side = (sim: SimProcess) => JSON.stringify({ type: 'http-legacy', baseUrl: sim.url, timeout: '1s', retries: 1 });
  const env = {
    CUTOVER_REDIS_URL: redis.url,
    CUTOVER_OLD_SIDE: side(old),
    CUTOVER_NEW_SIDE: side(fresh),
    CUTOVER_ADMIN_TOKENS: `e2e:operator:${TOKEN}`,
    CUTOVER_API_TOKENS: `e2e-backend:${SERVICE_TOKEN}`,
    CUTOVER_OUTBOX_INFLIGHT_GRACE: '5s',
    CUTOVER_OUTBOX_LEASE_TIMEOUT: '5s',
    CUTOVER_MIGRATE_LEASE_TIMEOUT: '2s',
    CUTOVER_MIGRATE_PAGE_SIZE: '500',
    CUTOVER_LOG_LEVEL: 'warn',
    ...extraEnv,
  };
  return {
    redis, old, fresh, env,
    async gateway(extra = {}) {
      const gateway = await GatewayProcess.start({ ...env, ...extra });
      t.after(() => gateway.kill());
      return gateway;
    },
  };
}

async function admin(gateway: GatewayProcess, method: 'GET' | 'POST', path: string, body?: unknown): Promise<any> {
  const res = await gateway.request(method, path, body, TOKEN);
  if (res.status !== 200) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

async function jobDone(gateway: () => GatewayProcess, timeoutMs: number): Promise<any> {
  let last: any;
  await eventually(async () => {
    try {
      last = await admin(gateway(), 'GET', '/admin/migration');
    } catch {
      return false; // a gateway restarting
    }
    return last.job.status === 'done';
  }, timeoutMs, 'the migration job to finish');
  return last;
}

const BIG: Partial<DatasetSpec> = { seed: 11, users: 240, messages: 60_000, groups: 10, peersPerUser: 6, maxGroupSize: 200 };

test('two gateways copy 60,000 messages, 240 users and 10 groups old → new through a SIGKILL and 20 % failing reads; verify finds 0 mismatches and the gate admits users only once verified', async (t) => {
  const stack = await migrationStack(t, BIG, { CUTOVER_MIGRATE_REQUIRE_VERIFIED: 'true' });
  let a = await stack.gateway();
  const b = await stack.gateway();
  await driveToCanary(a, 100);
  const dataset = await stack.old.dataset();

  // At 100 % every eligible user would be on new; none is verified yet, so the gate holds them all on old.
  const someone = (await stack.old.request('GET', '/v1/users?limit=3')).items[2].id as string;
  const held = await a.request('GET', `/v1/route/${encodeURIComponent(someone)}`);
  assert.equal(held.body.cohort, 'old');
  assert.equal(held.body.verified, false);
  assert.equal(held.body.heldBack.code, 'NOT_VERIFIED');

  await stack.old.setFaults({ readErrorRate: 0.2 });
  const plan = await admin(a, 'GET', '/admin/migration/plan');
  assert.equal(plan.totals.messages, 60_000);
  assert.equal(plan.totals.users, 240);
  await admin(a, 'POST', '/admin/migration/start', { mode: 'copy', reason: 'e2e: copy the past' });

  // Kill gateway a once the job is well under way, then start it again on the same Redis.
  await eventually(async () => ((await admin(b, 'GET', '/admin/migration')).counters['messages.created'] ?? 0) > 15_000, 60_000, 'the copy to be under way');
  await a.kill();
  const atKill = (await admin(b, 'GET', '/admin/migration')).counters['messages.created'];
  assert.ok(atKill < 60_000, `killed mid-job (${atKill} of 60,000 copied)`);
  a = await stack.gateway();

  const copied = await jobDone(() => b, 120_000);
  assert.equal(copied.counters['done.user'], 240);
  assert.equal(copied.counters['done.group'], 10);
  assert.equal(copied.counters['listed.messages'], 60_000);
  assert.ok((copied.counters.takenOver ?? 0) >= 1, 'the killed gateway\'s units were taken over');
  // The new side's own counters: every message once, none sent twice, nothing lost.
  const imports = await stack.fresh.importStats();
  const ids = await stack.fresh.messageIds();
  assert.equal(ids.length, 60_000);
  assert.equal(new Set(ids).size, 60_000);
  assert.equal(imports.imported, 60_000);
  assert.equal(imports.importDuplicates, 0, 'no message was written twice, the killed gateway\'s last page included');
  assert.ok((await stack.old.reads()).readFailuresInjected > 50, 'the old side did fail reads');
  const copiedByB = await messagesCopiedBy(b);
  assert.ok(copiedByB > 0 && copiedByB < 60_000, `both gateways copied (b: ${copiedByB} of 60,000)`);

  const early = await a.request('POST', '/admin/rollout/stage', { stage: 'complete' }, TOKEN);
  assert.equal(early.status, 409);
  assert.equal(early.body.error.code, 'NOT_ALL_VERIFIED');

  // Verify with the old side still failing reads, started on the restarted gateway.
  await admin(a, 'POST', '/admin/migration/start', { mode: 'verify', reason: 'e2e: prove it', settle: '0s' });
  const verified = await jobDone(() => a, 120_000);
  assert.equal(verified.counters.mismatches ?? 0, 0);
  assert.equal(verified.counters['messages.verified'], 60_000);
  assert.equal(verified.verifiedUsers, dataset.totals.users);
  assert.equal((await admin(a, 'GET', '/admin/migration/report')).total, 0);

  await eventually(async () => (await a.request('GET', `/v1/route/${encodeURIComponent(someone)}`)).body.cohort === 'new', 5_000, 'the verified user to enter new');
  await eventually(async () => (await b.request('GET', `/v1/route/${encodeURIComponent(someone)}`)).body.verified === true, 5_000, 'the other gateway to see the user verified');
  const admitted = await b.request('GET', `/v1/route/${encodeURIComponent(someone)}`);
  assert.equal(admitted.body.cohort, 'new');
  assert.equal(admitted.body.heldBack, null);
  assert.equal((await a.request('POST', '/admin/rollout/stage', { stage: 'complete' }, TOKEN)).status, 200, 'complete once every user is verified');
});

/** What one gateway's own counter says it copied: work is shared, so each did part. */
async function messagesCopiedBy(gateway: GatewayProcess): Promise<number> {
  const text = await (await fetch(`${gateway.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('cutover_migration_items_total{mode="copy",item="message",outcome="created"}'));
  return line === undefined ? 0 : Number(line.split(' ').pop());
}

test('verify reports a planted difference at its exact place (CLI), and --redrive repairs it', async (t) => {
  const stack = await migrationStack(t, { seed: 3, users: 30, messages: 3_000, groups: 3, peersPerUser: 4, maxGroupSize: 20 });
  const gateway = await stack.gateway();
  const cli = (...args: string[]) => runCli(['migrate', ...args], { CUTOVER_URL: gateway.url, CUTOVER_TOKEN: TOKEN });

  // Live traffic while shadowing: dual-written to both sides, then copied over what is there.
  await admin(gateway, 'POST', '/admin/rollout/stage', { stage: 'shadow' });
  const live = Array.from({ length: 20 }, (_, i) => `live-${i}`);
  for (const id of live) assert.equal((await gateway.request('POST', '/v1/messages', { id, from: 'ann', to: { type: 'user', id: 'ben' }, payload: `live ${id}` })).status, 201);
  await eventually(async () => {
    const held = new Set(await stack.fresh.messageIds());
    return live.every((id) => held.has(id));
  }, 10_000, 'the live messages on new');

  const copy = await cli('start', '--reason', 'e2e: copy');
  assert.equal(copy.code, 0, copy.stderr);
  assert.match(copy.stdout, /done/);
  assert.match(copy.stdout, /20 already on new/, 'the dual-written messages were found there, not written again');

  // Plant four differences on new: a copied message gone, a dual-written one gone (what a Redis
  // crash under everysec can lose), a contact changed, a member missing.
  await stack.fresh.deleteMessage(live[7]!);
  const conversation = (await stack.fresh.request('GET', '/v1/conversations?limit=100')).items.find((c: any) => c.type === 'user' && c.a !== 'ann' && c.a !== 'ben');
  const page = await stack.fresh.request('GET', `/v1/conversations/user/${encodeURIComponent(conversation.a)}/${encodeURIComponent(conversation.b)}/messages?after=start&limit=5`);
  const lost = page.messages[2].id as string;
  await stack.fresh.deleteMessage(lost);
  const userId = conversation.a as string;
  const contacts = await stack.fresh.request('GET', `/v1/users/${encodeURIComponent(userId)}/contacts?limit=1000`);
  const contact = contacts.items[0];
  const data = {
    profile: await stack.fresh.request('GET', `/v1/users/${encodeURIComponent(userId)}`),
    contacts: contacts.items.map((c: any, i: number) => (i === 0 ? { ...c, state: c.state === 'accepted' ? 'pending_out' : 'accepted' } : c)),
    blocklist: (await stack.fresh.request('GET', `/v1/users/${encodeURIComponent(userId)}/blocklist?limit=1000`)).items,
    settings: await stack.fresh.request('GET', `/v1/users/${encodeURIComponent(userId)}/settings`),
    readPositions: (await stack.fresh.request('GET', `/v1/users/${encodeURIComponent(userId)}/read-positions?limit=1000`)).items,
  };
  await stack.fresh.request('PUT', `/v1/import/users/${encodeURIComponent(userId)}`, data);
  const group = (await stack.fresh.request('GET', '/v1/groups?limit=1')).items[0];
  const member = (await stack.fresh.request('GET', `/v1/groups/${encodeURIComponent(group.id)}/members?limit=1`)).items[0];
  await stack.fresh.request('POST', `/v1/groups/${encodeURIComponent(group.id)}/members/remove`, { userIds: [member.userId] });

  const found = await cli('verify', '--settle', '0s', '--reason', 'e2e: find them');
  assert.equal(found.code, 3, `exit 3 while differences remain\n${found.stdout}\n${found.stderr}`);
  assert.match(found.stderr, /MISMATCHES: 4 differences remain/);
  const report = JSON.parse((await cli('report', '--json')).stdout);
  assert.equal(report.total, 4);
  const missing = report.mismatches.filter((m: any) => m.kind === 'message_missing_on_new');
  assert.deepEqual(missing.map((m: any) => m.item).sort(), [lost, live[7]].sort());
  assert.equal(missing.find((m: any) => m.item === lost).where, `conversation ${conversation.a}↔${conversation.b}`);
  assert.equal(missing.find((m: any) => m.item === live[7]).where, 'conversation ann↔ben');
  const byKind = Object.fromEntries(report.mismatches.map((m: any) => [m.kind, m]));
  assert.equal(byKind.contact.item, contact.userId);
  assert.equal(byKind.contact.where, `user ${userId}`);
  assert.equal(byKind.contact.old.state, contact.state);
  assert.equal(byKind.member.item, member.userId);
  assert.equal(byKind.member.where, `group ${group.id}`);
  assert.equal(byKind.member.new, null);
  const human = await cli('report');
  assert.match(human.stdout, new RegExp(`message_missing_on_new +conversation .+ +${lost}`));

  const repaired = await cli('verify', '--redrive', '--settle', '0s', '--reason', 'e2e: repair them');
  assert.equal(repaired.code, 0, repaired.stderr);
  assert.match(repaired.stdout, /4 found, 4 fixed/);
  const held = await stack.fresh.messageIds();
  assert.ok(held.includes(lost) && held.includes(live[7]!));

  const clean = await cli('verify', '--settle', '0s', '--json', '--reason', 'e2e: confirm');
  assert.equal(clean.code, 0, clean.stderr);
  assert.equal(JSON.parse(clean.stdout).counters.mismatches ?? 0, 0);
});

test('usage: two gateways copying the past meter as imported exactly what the new side holds from the import, apart from the live sends', async (t) => {
  const stack = await migrationStack(t, { seed: 5, users: 40, messages: 4_000, groups: 4, peersPerUser: 4, maxGroupSize: 30 });
  const [a, b] = [await stack.gateway(), await stack.gateway()];
  // Live traffic while shadowing, dual-written: sends new took, which the copy then finds there.
  await admin(a, 'POST', '/admin/rollout/stage', { stage: 'shadow' });
  const live = Array.from({ length: 20 }, (_, i) => `live-${i}`);
  for (const id of live) assert.equal((await b.request('POST', '/v1/messages', { id, from: 'ann', to: { type: 'user', id: 'ben' }, payload: `live ${id} ${'x'.repeat(500)}` })).status, 201);
  await eventually(async () => {
    const held = new Set(await stack.fresh.messageIds());
    return live.every((id) => held.has(id));
  }, 10_000, 'the live messages on new');

  await admin(a, 'POST', '/admin/migration/start', { mode: 'copy', reason: 'e2e: metered copy' });
  const copied = await jobDone(() => a, 60_000);
  const { imported } = await stack.fresh.importStats();
  assert.equal(imported, 4_000);
  assert.equal(copied.counters['messages.created'], imported);
  const usage = async () => (await admin(a, 'GET', '/admin/usage')).sides;
  // The meters flush every 5 s: wait for both gateways' counts, the sends' and the imports'.
  await eventually(async () => {
    const { new: fresh } = await usage();
    return fresh.imported.messages === imported && fresh.messages === live.length;
  }, 20_000, 'both gateways\' counts in');

  const sides = await usage();
  const stored = (payloads: Array<{ payload: string }>) => payloads.reduce((sum, p) => sum + Buffer.byteLength(p.payload) + 80, 0);
  const held = await stack.fresh.payloads();
  const liveIds = new Set(live);
  assert.equal(sides.new.imported.bytes, stored(held.filter((p) => !liveIds.has(p.id))), 'what the new side holds from the import: payloads and the 80-byte envelope estimate');
  assert.equal(sides.new.imported.units, 0, 'a legacy import stores: no billable messages');
  assert.equal(sides.new.messages, live.length, 'the sends new took, not the imports');
  assert.equal(sides.old.bytes, stored((await stack.old.payloads()).filter((p) => liveIds.has(p.id))), 'old: its primary writes, nothing imported');
  assert.equal(sides.new.bytes, stored(held), 'history storage: the sends\' and the import\'s');
  assert.deepEqual(sides.old.imported, { messages: 0, bytes: 0, units: 0 });
  const byB = await messagesCopiedBy(b);
  t.diagnostic(`gateway b imported ${byB} of ${imported}; the usage is both gateways' sum`);
});
