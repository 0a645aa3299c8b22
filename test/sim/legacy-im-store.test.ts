import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { OutboundMessage } from '../../src/domain/message.js';
import { LegacyImStore } from '../../src/sim/legacy-im-store.js';

function peer(id: string, from: string, to: string, sentAt: number): OutboundMessage {
  return { id, from, to: { type: 'user', id: to }, payload: id, sentAt };
}

test('out-of-order arrivals are read back sorted by sentAt, then id', () => {
  const { store } = LegacyImStore.open();
  for (const [id, sentAt] of [['c', 30], ['a', 10], ['e', 20], ['b', 20], ['d', 40]] as const) store.add(peer(id, 'ann', 'ben', sentAt));
  const history = store.history({ type: 'user', a: 'ben', b: 'ann' }, 10);
  assert.deepEqual(history.map((m) => m.id), ['a', 'b', 'e', 'c', 'd']);
});

test('user pairs whose ids join into the same string stay separate conversations', () => {
  const { store } = LegacyImStore.open();
  store.add(peer('one', 'a:b', 'c', 1));
  store.add(peer('two', 'a', 'b:c', 2));
  assert.deepEqual(store.history({ type: 'user', a: 'a:b', b: 'c' }, 10).map((m) => m.id), ['one']);
  assert.deepEqual(store.history({ type: 'user', a: 'a', b: 'b:c' }, 10).map((m) => m.id), ['two']);
});

test('with 100k messages stored, history pages come from an index, not a scan', () => {
  const { store } = LegacyImStore.open();
  const total = 100_000;
  for (let i = 0; i < total; i++) store.add(peer(`m${i}`, i % 2 ? 'ann' : 'ben', i % 2 ? 'ben' : 'ann', i));
  assert.equal(store.size, total);

  const conversation = { type: 'user', a: 'ann', b: 'ben' } as const;
  const page = store.history(conversation, 50, 60_000);
  assert.deepEqual(page.map((m) => m.sentAt), Array.from({ length: 50 }, (_, k) => 59_950 + k));

  // 20k reads: instant with binary search, tens of seconds if each one scanned the 100k messages.
  const startedAt = performance.now();
  for (let i = 0; i < 20_000; i++) store.history(conversation, 50, (i * 7_919) % total);
  const elapsed = performance.now() - startedAt;
  assert.ok(elapsed < 2_000, `20k history reads took ${Math.round(elapsed)} ms`);
});
