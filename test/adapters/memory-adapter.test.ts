import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryAdapter } from '../../src/adapters/memory-adapter.js';
import type { OutboundMessage } from '../../src/domain/message.js';
import { FifoQueue } from '../../src/infra/memory/fifo-queue.js';

const message = (id: string, payload = `p-${id}`): OutboundMessage => ({ id, from: 'a', to: { type: 'user', id: 'b' }, payload, sentAt: 1 });

test('memory side: keeps at most maxMessages, forgetting the oldest; a replay keeps the first copy and takes no room', async () => {
  const side = new MemoryAdapter(Math.random, 3);
  for (const id of ['m1', 'm2', 'm3']) await side.sendToUser(message(id));
  await side.sendToUser(message('m2', 'replayed'));
  assert.equal(side.size, 3);
  await side.sendToUser(message('m4'));
  await side.sendToUser(message('m5'));
  assert.deepEqual(['m1', 'm2', 'm3', 'm4', 'm5'].map((id) => side.has(id)), [false, false, true, true, true]);
  const history = await side.history({ conversation: { type: 'user', a: 'a', b: 'b' }, limit: 10 });
  assert.deepEqual(history.map((m) => m.id), ['m3', 'm4', 'm5']);
});

test('FifoQueue: first in, first out across its compactions', () => {
  const queue = new FifoQueue<number>();
  let next = 0;
  let expected = 0;
  for (let round = 0; round < 5; round++) {
    for (let i = 0; i < 7_000; i++) queue.push(next++);
    for (let i = 0; i < 6_000; i++) assert.equal(queue.shift(), expected++);
    assert.equal(queue.length, next - expected);
    assert.equal(queue.peek(), expected);
  }
  while (queue.length > 0) assert.equal(queue.shift(), expected++);
  assert.equal(expected, next);
  assert.equal(queue.shift(), undefined);
});
