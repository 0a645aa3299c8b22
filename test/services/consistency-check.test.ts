import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryAdapter } from '../../src/adapters/memory-adapter.js';
import type { MessagingAdapter } from '../../src/adapters/messaging-adapter.js';
import type { ConsistencyMode } from '../../src/domain/consistency.js';
import type { Conversation, HistoryQuery, OutboundMessage, Side } from '../../src/domain/message.js';
import { createLogger } from '../../src/infra/logger.js';
import { Metrics } from '../../src/infra/metrics.js';
import { ConsistencyCheck } from '../../src/services/consistency-check.js';

const NOW = Date.parse('2026-11-27T10:00:00Z');
const PAIR: Conversation = { type: 'user', a: 'alice', b: 'bob' };

function message(id: string, agoMs: number, extra: Partial<OutboundMessage> = {}): OutboundMessage {
  return { id, from: 'alice', to: { type: 'user', id: 'bob' }, payload: `text of ${id}`, sentAt: NOW - agoMs, ...extra };
}

/** Random numbers 0, 1/n, 2/n, …: exactly `rate * n` of every n draws fall below `rate`. */
function evenRandom(n: number): () => number {
  let i = 0;
  return () => (i++ % n) / n;
}

interface SetupOptions {
  mode?: ConsistencyMode;
  sampleRate?: number;
  maxInFlight?: number;
  random?: () => number;
  clock?: () => number;
  sides?: Partial<Record<Side, MessagingAdapter>>;
}

function setup(options: SetupOptions = {}) {
  const memory = { old: new MemoryAdapter(), new: new MemoryAdapter() };
  const sides = { ...memory, ...options.sides };
  const metrics = new Metrics({ defaultMetrics: false });
  const logs: Array<Record<string, any>> = [];
  const logger = createLogger('info', { write: (line: string) => void logs.push(JSON.parse(line)) });
  const mode = options.mode ?? 'other-side';
  const check = new ConsistencyCheck({
    sides, telemetry: metrics, logger, mode, sampleRate: options.sampleRate ?? 1, maxInFlight: options.maxInFlight ?? 16,
    random: options.random ?? (() => 0), clock: options.clock ?? (() => NOW),
  });
  /** Both sides hold these, as dual-writing leaves them. */
  const onBoth = async (...messages: OutboundMessage[]) => {
    for (const m of messages) await Promise.all([memory.old.sendToUser(m), memory.new.sendToUser(m)]);
  };
  /** Reads `servedBy` as ReadHistory does, then hands the answer to the check. */
  const read = async (servedBy: Side, query: Partial<HistoryQuery> = {}, extra: { degraded?: boolean; dualWriting?: boolean } = {}) => {
    const full: HistoryQuery = { conversation: PAIR, limit: 50, ...query };
    const messages = await sides[servedBy].history(full);
    check.afterRead({ query: full, servedBy, messages, degraded: extra.degraded ?? false, dualWriting: extra.dualWriting ?? true });
  };
  const checks = async (result: string) => (await metrics.consistencyChecks.get()).values.find((v) => v.labels.mode === mode && v.labels.result === result)?.value ?? 0;
  const mismatched = async (kind: string) => (await metrics.consistencyMismatches.get()).values.find((v) => v.labels.mode === mode && v.labels.kind === kind)?.value ?? 0;
  const skipped = async (reason: string) => (await metrics.consistencySkips.get()).values.find((v) => v.labels.mode === mode && v.labels.reason === reason)?.value ?? 0;
  const warnings = () => logs.filter((l) => l.level === 40);
  return { memory, check, metrics, onBoth, read, checks, mismatched, skipped, warnings };
}

test('a message on one side only is counted and logged with the conversation and the sides', async () => {
  const s = setup();
  await s.onBoth(message('m1', 60_000), message('m2', 50_000));
  await s.memory.old.sendToUser(message('only-old', 40_000));
  await s.read('old');
  await s.check.idle();
  assert.equal(await s.checks('mismatch'), 1);
  assert.equal(await s.mismatched('missing_on_compared'), 1);
  assert.equal(await s.mismatched('missing_on_served'), 0);
  const [warning, ...more] = s.warnings();
  assert.equal(more.length, 0);
  assert.deepEqual(warning.consistency.conversation, PAIR);
  assert.equal(warning.consistency.servedBy, 'old');
  assert.equal(warning.consistency.comparedSide, 'new');
  assert.deepEqual(warning.consistency.missingOnCompared, ['only-old']);
});

test('a content difference is counted as content and names the id', async () => {
  const s = setup();
  await s.onBoth(message('m1', 60_000));
  await s.memory.old.sendToUser(message('m2', 50_000));
  await s.memory.new.sendToUser(message('m2', 50_000, { payload: 'not what was sent' }));
  await s.read('new');
  await s.check.idle();
  assert.equal(await s.checks('mismatch'), 1);
  assert.equal(await s.mismatched('content'), 1);
  assert.deepEqual(s.warnings()[0].consistency.contentDiffers, ['m2']);
  assert.equal(s.warnings()[0].consistency.comparedSide, 'old');
});

test('a mismatch log names at most ten ids of a kind and counts them all', async () => {
  const s = setup();
  for (let i = 0; i < 25; i++) await s.memory.new.sendToUser(message(`lost-${i}`, 60_000 - i));
  await s.read('old');
  await s.check.idle();
  assert.equal(await s.mismatched('missing_on_served'), 25);
  const logged = s.warnings()[0].consistency;
  assert.equal(logged.missingOnServed.length, 10);
  assert.equal(logged.counts.missingOnServed, 25);
});

test('no false mismatch from the page edge or from a message younger than the settle time', async () => {
  const s = setup();
  for (let i = 0; i < 20; i++) await s.onBoth(message(`m${i}`, 60_000 - i * 1_000));
  // The secondary has not been written yet: 1 s old, well inside the settle time.
  await s.memory.old.sendToUser(message('just-sent', 1_000));
  for (const before of [undefined, NOW - 45_000]) {
    await s.read('old', { limit: 5, before });
    await s.read('new', { limit: 5, before });
  }
  await s.check.idle();
  assert.equal(await s.checks('match'), 4);
  assert.equal(await s.checks('mismatch'), 0);
  assert.equal(s.warnings().length, 0);
});

test('A/A mode on a healthy side reports no mismatch over many reads while messages keep arriving', async () => {
  let now = NOW;
  const s = setup({ mode: 'same-side', clock: () => now, maxInFlight: 1000 });
  for (let i = 0; i < 500; i++) {
    // One message a second: a page of 20 reaches past the settle time, so most of it is compared.
    now += 1_000;
    await s.memory.old.sendToUser(message(`m${i}`, 0, { sentAt: now }));
    await s.read('old', { limit: 20 });
    // Arrives between the served read and the compared one, and pushes the compared page along.
    await s.memory.old.sendToUser(message(`late-${i}`, 0, { sentAt: now + 1 }));
    await new Promise((resolve) => setImmediate(resolve));
  }
  await s.check.idle();
  assert.equal(await s.checks('match'), 500);
  assert.equal(await s.checks('mismatch'), 0);
  assert.equal(s.warnings().length, 0);
});

test('A/A mode reads the side that served, even while only one side is written', async () => {
  const s = setup({ mode: 'same-side' });
  await s.memory.new.sendToUser(message('m1', 60_000));
  await s.read('new', {}, { dualWriting: false });
  await s.check.idle();
  assert.equal(await s.checks('match'), 1);
});

test('the sample rate is honoured: 1000 reads at 0.1 compare exactly 100', async () => {
  const s = setup({ sampleRate: 0.1, random: evenRandom(1000), maxInFlight: 1000 });
  await s.onBoth(message('m1', 60_000));
  for (let i = 0; i < 1000; i++) await s.read('old');
  await s.check.idle();
  assert.equal(await s.checks('match'), 100);
  assert.equal(await s.checks('skipped'), 0);
});

test('a sample rate of 0 compares nothing and never draws a random number', async () => {
  const s = setup({ sampleRate: 0, random: () => assert.fail('drew a random number') });
  for (let i = 0; i < 10; i++) await s.read('old');
  await s.check.idle();
  for (const result of ['match', 'mismatch', 'error', 'skipped']) assert.equal(await s.checks(result), 0, result);
});

test('past maxInFlight comparisons a sampled read is skipped, and counted as such', async () => {
  const memory = new MemoryAdapter();
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const held: MessagingAdapter = Object.assign(Object.create(memory) as MemoryAdapter, {
    history: async (query: HistoryQuery) => {
      await gate;
      return memory.history(query);
    },
  });
  const s = setup({ maxInFlight: 2, sides: { new: held } });
  for (let i = 0; i < 5; i++) await s.read('old');
  assert.equal(await s.checks('skipped'), 3);
  assert.equal(await s.skipped('in_flight_limit'), 3);
  release();
  await s.check.idle();
  assert.equal(await s.checks('match'), 2);
  await s.read('old');
  await s.check.idle();
  assert.equal(await s.checks('match'), 3, 'a slot frees once a comparison ends');
});

test('other-side mode skips a read when the other side is not written, or when it is the primary that just failed', async () => {
  const s = setup();
  await s.read('old', {}, { dualWriting: false });
  await s.read('new', {}, { degraded: true });
  await s.check.idle();
  assert.equal(await s.skipped('not_dual_writing'), 1);
  assert.equal(await s.skipped('degraded'), 1);
  assert.equal(await s.checks('skipped'), 2);
  assert.equal(await s.checks('match'), 0);
});

test('a compared side that fails is counted as an error and never reaches the read', async () => {
  const s = setup();
  s.memory.new.setFaults({ down: true });
  await s.read('old');
  await s.check.idle();
  assert.equal(await s.checks('error'), 1);
  assert.equal(s.warnings().length, 0);
});

test('afterRead returns before the compared side is read', async () => {
  let reads = 0;
  const counting: MessagingAdapter = Object.assign(Object.create(new MemoryAdapter()) as MemoryAdapter, {
    history: async () => {
      reads++;
      return [];
    },
  });
  const s = setup({ sides: { new: counting } });
  await s.read('old');
  assert.equal(reads, 0, 'not on the read\'s turn');
  await s.check.idle();
  assert.equal(reads, 1);
});
