import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Side } from '../../src/domain/message.js';
import type { GatewayProcess } from '../support/gateway-process.js';
import type { SimProcess } from '../support/sim-process.js';
import { driveToCanary, eventually, startStack, TOKEN } from '../support/stack.js';

const SECRETS: Record<Side, string> = { old: 'e2e-old-webhook-secret', new: 'e2e-new-webhook-secret' };
const USERS = Array.from({ length: 120 }, (_, i) => `br-u${i}`);
const MESSAGES = 5_000;
const SENDERS = 16;

/** Which side each user's app is logged into now: the gateway's own answer, as an app asks it. */
async function cohorts(gateway: GatewayProcess): Promise<Map<string, Side>> {
  const entries = await Promise.all(USERS.map(async (user) => {
    const res = await gateway.request('GET', `/v1/route/${user}`);
    assert.equal(res.status, 200);
    return [user, res.body.cohort as Side] as const;
  }));
  return new Map(entries);
}

test('client sends through either SDK reach the other side: 5,000 messages between cohorts, through a rollback and a resume, with 30 % of webhook answers lost', async (t) => {
  const stack = await startStack(t, {
    CUTOVER_BRIDGE_OLD_SECRET: SECRETS.old, CUTOVER_BRIDGE_NEW_SECRET: SECRETS.new,
    // The rollback here is the test's own; the guard must not add one.
    CUTOVER_GUARD_ENABLED: 'false',
  });
  const gateway = await stack.startGateway();
  await driveToCanary(gateway, 50);
  const sims: Record<Side, SimProcess> = { old: stack.old, new: stack.fresh };
  for (const side of ['old', 'new'] as const) {
    await sims[side].setWebhook({ url: `${gateway.url}/v1/bridge/${side}/events`, secret: SECRETS[side], failRate: 0.3, backoffMs: 20, maxAttempts: 12 });
  }

  let cohort = await cohorts(gateway);
  const split = [...cohort.values()];
  assert.ok(split.includes('old') && split.includes('new'), 'canary 50 %: users on both sides');

  const sent: Array<{ id: string; via: Side; crossed: boolean }> = [];
  let next = 0;
  const changes: Array<{ at: number; run: () => Promise<void> }> = [
    { at: 2_000, run: async () => assert.equal((await gateway.request('POST', '/admin/rollout/rollback', { reason: 'e2e: bridge through a rollback' }, TOKEN)).status, 200) },
    { at: 3_500, run: async () => assert.equal((await gateway.request('POST', '/admin/rollout/resume', { reason: 'e2e: and back' }, TOKEN)).status, 200) },
  ];
  let changing: Promise<void> | undefined;
  const sender = async (worker: number): Promise<void> => {
    for (;;) {
      const n = next++;
      if (n >= MESSAGES) return;
      const change = changes.find((c) => c.at === n);
      if (change) {
        changing = change.run().then(async () => { cohort = await cohorts(gateway); });
        await changing;
      }
      const from = USERS[(n * 7 + worker) % USERS.length]!;
      // Mostly to someone on the other side, the case the bridge exists for; some to the same side.
      const others = USERS.filter((u) => u !== from && (n % 5 === 0 ? cohort.get(u) === cohort.get(from) : cohort.get(u) !== cohort.get(from)));
      const to = (others.length > 0 ? others : USERS.filter((u) => u !== from))[n % Math.max(1, others.length)]!;
      const via = cohort.get(from)!;
      const id = `br-${n}`;
      const res = await sims[via].clientSend({ id, from, to: { type: 'user', id: to }, payload: `m${n} from ${from} via ${via}` });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      sent.push({ id, via, crossed: cohort.get(to) !== via });
    }
  };
  const startedAt = Date.now();
  await Promise.all(Array.from({ length: SENDERS }, (_, w) => sender(w)));
  await changing;
  t.diagnostic(`${MESSAGES} client sends by ${SENDERS} senders in ${Date.now() - startedAt} ms; ${sent.filter((s) => s.crossed).length} to a user on the other side`);

  const ids = sent.map((s) => s.id);
  await eventually(async () => {
    const [onOld, onNew] = await Promise.all([stack.old.messageIds(), stack.fresh.messageIds()]);
    const old = new Set(onOld);
    const fresh = new Set(onNew);
    return ids.every((id) => old.has(id) && fresh.has(id));
  }, 60_000, 'every client send on both sides');
  // Events whose answer was lost on purpose are sent again after the message crossed: wait them out.
  await eventually(async () => (await Promise.all([stack.old.webhookStats(), stack.fresh.webhookStats()])).every((s) => s.queued + s.inFlight === 0), 30_000, 'every webhook event settled');

  for (const side of ['old', 'new'] as const) {
    const payloads = (await sims[side].payloads()).filter((p) => p.id.startsWith('br-'));
    assert.equal(payloads.length, MESSAGES, `${side} holds each message once`);
    assert.equal(new Set(payloads.map((p) => p.id)).size, MESSAGES, `${side}: no id twice`);
    const stats = await sims[side].stats();
    assert.equal(stats.duplicatesSuppressed, 0, `${side}: nothing was written to it twice`);
    const hooks = await sims[side].webhookStats();
    const through = sent.filter((s) => s.via === side).length;
    // No echo: what Cutover wrote to a side fired no webhook there, so events are the client sends only.
    assert.equal(hooks.events, through, `${side}: one event per client send through it, none for what was bridged in`);
    assert.equal(hooks.delivered, through, `${side}: every event delivered`);
    assert.ok(hooks.injectedFailures > 0 && hooks.attempts > through, `${side}: answers were lost and events sent again (${hooks.attempts} attempts for ${through})`);
    assert.equal(hooks.gaveUp + hooks.rejected, 0);
    t.diagnostic(`${side}: ${through} client sends, ${hooks.attempts} webhook attempts (${hooks.injectedFailures} answers lost on purpose)`);
  }

  const metrics = await (await fetch(`${gateway.url}/metrics`)).text();
  const count = (pattern: RegExp) => Number(metrics.split('\n').find((l) => pattern.test(l))?.split(' ').pop() ?? 0);
  const bridged = count(/^cutover_bridge_messages_total\{from="old",result="bridged"\}/) + count(/^cutover_bridge_messages_total\{from="new",result="bridged"\}/);
  assert.equal(bridged, MESSAGES, 'each message bridged once');
  const duplicates = count(/^cutover_bridge_messages_total\{from="old",result="duplicate"\}/) + count(/^cutover_bridge_messages_total\{from="new",result="duplicate"\}/);
  assert.ok(duplicates > 0, 'the events sent again were taken as duplicates');
  assert.equal(count(/^cutover_bridge_lag_seconds_count\{from="old"\}/) + count(/^cutover_bridge_lag_seconds_count\{from="new"\}/), MESSAGES, 'a lag observed per message');
  const outbox = (await gateway.request('GET', '/admin/outbox', undefined, TOKEN)).body.counts;
  assert.deepEqual([outbox.owed.old, outbox.owed.new, outbox.deadLettered.old, outbox.deadLettered.new], [0, 0, 0, 0], 'nothing owed or dead at the end');
});
