import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { RedisKeys } from '../../src/infra/redis/keys.js';
import { account, failuresByAnswer, sample } from '../faults/support/accountant.js';
import { GatewayClient } from '../faults/support/gateway-client.js';
import { LoadGenerator, type Logical } from '../faults/support/load.js';
import type { GatewayProcess } from '../support/gateway-process.js';
import { RedisSentinel, type Failover } from '../support/redis-sentinel.js';
import { assertFailoverKeptPromises, sharedStateChecks, stateVersion } from '../support/redis-mode-checks.js';
import { driveToCanary, eventually, startStack, TOKEN } from '../support/stack.js';

const SHARDS = 4;
const keys = new RedisKeys('default');
/** A send whose begin left for the old master just before +switch-master reached the gateway. */
const SWITCH_MARGIN_MS = 250;

/** Gateways on a Sentinel-watched master (one master, two replicas, three Sentinels), four outbox shards. */
async function sentinelStack(t: TestContext, env: Record<string, string> = {}) {
  const sentinel = await RedisSentinel.start();
  t.after(() => sentinel.destroy());
  const stack = await startStack(t, { CUTOVER_REDIS_SHARDS: String(SHARDS), ...env }, { redisUrl: sentinel.url });
  return { sentinel, stack };
}

/** The gateway's warnings and errors, counted by message (and the error's), for a diagnostic line. */
function loggedProblems(gateway: GatewayProcess): string {
  const counts = new Map<string, number>();
  for (const line of gateway.log.split('\n')) {
    let entry: { level?: number; msg?: string; err?: { message?: string } };
    try {
      entry = JSON.parse(line);
    } catch {
      continue;
    }
    if ((entry.level ?? 0) < 40) continue;
    const { msg = '', err } = entry;
    const text = err?.message === undefined ? msg : err.message.includes(msg) ? err.message : `${msg} (${err.message})`;
    const what = text.replace(/sentinel-failover-\d+-\d+/g, 'ID');
    counts.set(what, (counts.get(what) ?? 0) + 1);
  }
  return [...counts].map(([what, n]) => `${n}× ${what}`).join('; ') || 'none';
}

/** The ids whose dedupe record (the receipt, once committed) the current master holds. */
async function receiptsOnMaster(sentinel: RedisSentinel): Promise<Set<string>> {
  const master = new Redis({ host: '127.0.0.1', port: await sentinel.masterPort(), lazyConnect: true });
  try {
    const ids = new Set<string>();
    for (let shard = 0; shard < SHARDS; shard++) {
      const prefix = keys.messagePrefix(shard);
      let cursor = '0';
      do {
        const [next, batch] = await master.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1_000);
        cursor = next;
        for (const key of batch) ids.add(key.slice(prefix.length));
      } while (cursor !== '0');
    }
    return ids;
  } finally {
    master.disconnect();
  }
}

interface LoadRun {
  messages: Logical[];
  /** Answered 2xx/202 yet missing on a side at the end. */
  lostMessages: Logical[];
  /** Answered 2xx/202, and the final master holds no record of the id: Redis forgot it. */
  forgotten: Logical[];
}

/**
 * Eight callers (a 5xx is retried with the same id every 200 ms for up to 5 s, a 202 followed up)
 * against gateway a at canary 50 %; `fail` breaks the master 1.5 s in; the load goes on until sends
 * have been accepted on the new master for a second. Then the outbox drains and everything is
 * counted and printed.
 */
async function failoverUnderLoad(t: TestContext, fail: (sentinel: RedisSentinel) => Promise<{ port: number; at: number; masterOffset?: number }>): Promise<LoadRun & { failedAt: number; failover: Failover; backAt: number }> {
  // The guard is off: the failover fails sends on purpose, and a rollback would move the users counted on.
  const { sentinel, stack } = await sentinelStack(t, { CUTOVER_GUARD_ENABLED: 'false' });
  const [a, b] = [await stack.startGateway(), await stack.startGateway()];
  await driveToCanary(a, 50);
  await eventually(async () => (await stateVersion(b)) === (await stateVersion(a)), 2_000, 'b to route by the canary');

  const client = new GatewayClient(a.url, 8);
  t.after(() => client.close());
  const load = new LoadGenerator({ name: 'sentinel-failover', workers: 8, pauseMs: 5, followUpMs: 15_000, errorRetries: 25, post: (path, body) => client.post(path, body) });
  await sleep(1_500);
  const failed = await fail(sentinel);
  const failover = await sentinel.waitForFailover(failed.port, failed.at);
  const switchedAt = failed.at + failover.ms;
  await eventually(async () => load.messages.some((m) => m.promisedAt !== undefined && m.startedAt > switchedAt), 10_000, 'a send accepted after the failover');
  const backAt = Math.min(...load.messages.filter((m) => m.promisedAt !== undefined && m.startedAt > switchedAt).map((m) => m.promisedAt!));
  await sleep(1_000);
  const messages = await load.stop();

  const tally = await account({
    name: 'sentinel-failover', messages, drainMs: 20_000, sides: { old: stack.old, new: stack.fresh },
    outbox: async () => (await b.request('GET', '/admin/outbox?deadLetters=500', undefined, TOKEN)).body,
  });
  const receipts = await receiptsOnMaster(sentinel);
  t.diagnostic(`master at the end: ${await sentinel.masterPort()} (the failover named ${failover.to})`);
  const forgotten = messages.filter((m) => m.promisedAt !== undefined && !receipts.has(m.promisedId!));
  const refused = messages.filter((m) => m.trail.some((answer) => !/^20[012]$/.test(answer)));
  const answers = new Map<string, number>();
  for (const answer of refused.flatMap((m) => m.trail)) if (!/^20[012]$/.test(answer)) answers.set(answer, (answers.get(answer) ?? 0) + 1);
  const since = (at: number): string => `${at - failed.at} ms`;
  t.diagnostic(`failover: master ${failed.port} down, replica ${failover.to} named by the Sentinels after ${failover.ms} ms; sends accepted again ${since(backAt)} after the failure`);
  if (failed.masterOffset !== undefined) t.diagnostic(`replication: the promoted replica had ${failover.promotedAtOffset} bytes of the dead master's stream, which was at ${failed.masterOffset} or more when it died (≥ ${Math.max(0, failed.masterOffset - failover.promotedAtOffset)} bytes lost)`);
  t.diagnostic(`load: ${tally.sent} messages, ${tally.promised} answered 2xx/202 (${tally.pending} left pending), ${tally.failed} failed, ${tally.network} unanswered; ${refused.length} got a non-2xx answer on the way (${[...answers].map(([what, n]) => `${what}×${n}`).join(', ') || '-'}; final failures ${failuresByAnswer(messages)})`);
  t.diagnostic(`2xx missing on a side at the end: old ${tally.lostOnOld}, new ${tally.lostOnNew}${tally.lost ? ` (${sample(tally.lostMessages)})` : ''}; doubled ${tally.doubled}, stranded ${tally.stranded}, storedButFailed ${tally.storedButFailed}`);
  t.diagnostic(`Redis forgot ${forgotten.length} promised ids${forgotten.length ? `, promised ${since(Math.min(...forgotten.map((m) => m.promisedAt!)))} to ${since(Math.max(...forgotten.map((m) => m.promisedAt!)))} after the failure` : ''}`);
  t.diagnostic(`gateway a logged: ${loggedProblems(a)}`);
  t.diagnostic(`gateway b logged: ${loggedProblems(b)}`);

  await assertFailoverKeptPromises(tally, stack);
  const unexplained = tally.lostMessages.filter((m) => receipts.has(m.promisedId!));
  assert.equal(unexplained.length, 0, `missing on a side though Redis kept its record: ${sample(unexplained)}`);
  return { messages, lostMessages: tally.lostMessages, forgotten, failedAt: failed.at, failover, backAt };
}

test('through Sentinel: sends are dual-written, a state change reaches a second gateway within 1 s, and break glass on the Sentinel URL flips both', async (t) => {
  const { sentinel, stack } = await sentinelStack(t);
  await sharedStateChecks(t, stack, sentinel.url, {
    name: 'sentinel',
    // The data lives on the master the Sentinels name, and reached its replicas.
    afterSends: async (expected) => {
      const master = await sentinel.masterPort();
      for (const port of sentinel.dataPorts) {
        const node = new Redis({ host: '127.0.0.1', port, lazyConnect: true });
        t.after(() => node.disconnect());
        await eventually(async () => (await node.hget(keys.state, 'v')) === String(expected), 2_000, `the state record on ${port === master ? 'the master' : `replica ${port}`}`);
      }
    },
  });
});

test('the master SIGKILLed mid-load: a replica is promoted, and what may miss a side is only what the dead master acknowledged before it died', async (t) => {
  const run = await failoverUnderLoad(t, (sentinel) => sentinel.killMaster());
  assert.ok(run.messages.some((m) => m.promisedAt !== undefined && m.startedAt > run.failedAt + run.failover.ms), 'sends were accepted on the new master');
  // Asynchronous replication: writes the dead master took and had not streamed are gone.
  const late = run.forgotten.filter((m) => m.startedAt > run.failedAt);
  assert.equal(late.length, 0, `Redis forgot messages begun after the master died: ${sample(late)}`);
});

test('a Sentinel failover with the old master up: gateways move to the new master on +switch-master, and nothing accepted after it is forgotten', async (t) => {
  const run = await failoverUnderLoad(t, (sentinel) => sentinel.requestFailover());
  // Between the promotion and +switch-master the old master still takes writes, which its resync
  // drops; after the switch the gateways write to the new one (Sentinel demotes the old one only
  // some seconds later). The margin covers a send whose begin left just before the switch.
  const late = run.forgotten.filter((m) => m.promisedAt! > run.failedAt + run.failover.ms + SWITCH_MARGIN_MS);
  assert.equal(late.length, 0, `Redis forgot messages accepted after +switch-master: ${sample(late)}`);
});
