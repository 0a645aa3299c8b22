import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compareHistory } from '../../src/domain/consistency.js';
import type { OutboundMessage } from '../../src/domain/message.js';

const T0 = Date.parse('2026-11-27T10:00:00Z');
/** Everything up to T0 + 1 h is settled unless a test says otherwise. */
const SETTLED = T0 + 3_600_000;

function message(n: number, extra: Partial<OutboundMessage> = {}): OutboundMessage {
  return { id: `m${n}`, from: 'alice', to: { type: 'user', id: 'bob' }, payload: `hello ${n}`, sentAt: T0 + n * 1_000, ...extra };
}

const range = (from: number, to: number): OutboundMessage[] => Array.from({ length: to - from + 1 }, (_, i) => message(from + i));

test('identical answers match', () => {
  const page = range(1, 5);
  const verdict = compareHistory({ limit: 10, served: page, compared: range(1, 5) }, SETTLED);
  assert.equal(verdict.result, 'match');
  assert.equal(verdict.comparedIds, 5);
  assert.deepEqual(verdict.coverage, { settledUpTo: SETTLED }, 'short answers cover everything');
});

test('a message only on the compared side is missing on the served side', () => {
  const verdict = compareHistory({ limit: 10, served: [message(1), message(3)], compared: range(1, 3) }, SETTLED);
  assert.equal(verdict.result, 'mismatch');
  assert.deepEqual(verdict.missingOnServed, ['m2']);
  assert.deepEqual(verdict.missingOnCompared, []);
  assert.deepEqual(verdict.contentDiffers, []);
});

test('a message only on the served side is missing on the compared side, even the oldest of a short answer', () => {
  const verdict = compareHistory({ limit: 10, served: range(1, 3), compared: [message(2), message(3)] }, SETTLED);
  assert.deepEqual(verdict.missingOnCompared, ['m1']);
  assert.equal(verdict.result, 'mismatch');
});

test('an empty answer against a short one misses every message', () => {
  const verdict = compareHistory({ limit: 10, served: range(1, 2), compared: [] }, SETTLED);
  assert.deepEqual(verdict.missingOnCompared, ['m1', 'm2']);
});

test('the same id with another payload, sender, kind or sentAt is a content difference', () => {
  const served = range(1, 4);
  const compared = [message(1, { payload: 'edited' }), message(2, { from: 'mallory' }), message(3, { kind: 'text' }), message(4, { sentAt: T0 + 4_001 })];
  const verdict = compareHistory({ limit: 10, served, compared }, SETTLED);
  assert.equal(verdict.result, 'mismatch');
  assert.deepEqual(verdict.contentDiffers, ['m1', 'm2', 'm3', 'm4']);
  assert.deepEqual([...verdict.missingOnServed, ...verdict.missingOnCompared], []);
});

test('differences only outside the common range are not mismatches', () => {
  // The compared side holds a newer message, so its full page of 3 ends one message later:
  // m1 is on the served page only because the served side's page reaches further back.
  const verdict = compareHistory({ limit: 3, served: range(1, 3), compared: [message(2), message(3), message(3.5)] }, T0 + 3_000);
  assert.equal(verdict.result, 'match', JSON.stringify(verdict));
  assert.deepEqual(verdict.coverage, { servedAfter: T0 + 1_000, comparedAfter: T0 + 2_000, settledUpTo: T0 + 3_000 });
  assert.equal(verdict.comparedIds, 2, 'm2 and m3');
});

test('a difference inside the common range of two full pages is still found', () => {
  const served = range(1, 4);
  const compared = [message(1), message(2), message(4), message(5)];
  const verdict = compareHistory({ limit: 4, served, compared }, SETTLED);
  assert.deepEqual(verdict.missingOnCompared, ['m3']);
  assert.deepEqual(verdict.missingOnServed, ['m5']);
});

test('the oldest message of one full page is missing from the other if that other page reaches back past it', () => {
  const served = range(1, 3);
  const compared = [message(1.5), message(2), message(3)];
  const verdict = compareHistory({ limit: 3, served, compared }, SETTLED);
  assert.deepEqual(verdict.missingOnServed, ['m1.5'], 'the served page covers everything after m1');
  assert.deepEqual(verdict.missingOnCompared, [], 'the compared page covers only what is after m1.5');
});

test('a message at the exact sentAt of a full page\'s edge is not compared, since sides may cut a tie differently', () => {
  const tie = T0 + 2_000;
  const served = [message(2, { id: 'a', sentAt: tie }), message(3), message(4)];
  const compared = [message(2, { id: 'b', sentAt: tie }), message(3), message(4)];
  const verdict = compareHistory({ limit: 3, served, compared }, SETTLED);
  assert.equal(verdict.result, 'match', JSON.stringify(verdict));
});

test('a message younger than the settle time is not compared', () => {
  const served = range(1, 3);
  const compared = range(1, 2);
  const verdict = compareHistory({ limit: 10, served, compared }, T0 + 2_500);
  assert.equal(verdict.result, 'match');
  assert.equal(verdict.comparedIds, 2);
  assert.equal(compareHistory({ limit: 10, served, compared }, T0 + 3_000).result, 'mismatch', 'settled, it counts');
});

test('a settled copy whose twin carries a younger sentAt is a content difference, not a missing message', () => {
  const served = [message(1), message(2)];
  const compared = [message(1), message(2, { sentAt: T0 + 9_000 })];
  const verdict = compareHistory({ limit: 10, served, compared }, T0 + 5_000);
  assert.deepEqual(verdict.contentDiffers, ['m2']);
  assert.deepEqual([...verdict.missingOnServed, ...verdict.missingOnCompared], []);
});
