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

test('memory side: history of a user pair holds both directions only, a channel its own messages; before and limit apply', async () => {
  const side = new MemoryAdapter();
  const send = (id: string, from: string, to: OutboundMessage['to'], sentAt: number): Promise<void> =>
    (to.type === 'user' ? side.sendToUser : side.sendToChannel).call(side, { id, from, to, payload: id, sentAt });
  await send('ab1', 'a', { type: 'user', id: 'b' }, 10);
  await send('ba1', 'b', { type: 'user', id: 'a' }, 20);
  await send('ca1', 'c', { type: 'user', id: 'a' }, 25);
  await send('ch1', 'a', { type: 'channel', id: 'b' }, 30);
  await send('ab2', 'a', { type: 'user', id: 'b' }, 40);
  await send('ch2', 'c', { type: 'channel', id: 'b' }, 50);
  const ids = async (query: Parameters<MemoryAdapter['history']>[0]): Promise<string[]> => (await side.history(query)).map((m) => m.id);
  assert.deepEqual(await ids({ conversation: { type: 'user', a: 'b', b: 'a' }, limit: 10 }), ['ab1', 'ba1', 'ab2']);
  assert.deepEqual(await ids({ conversation: { type: 'user', a: 'a', b: 'b' }, limit: 2 }), ['ba1', 'ab2'], 'the newest two');
  assert.deepEqual(await ids({ conversation: { type: 'user', a: 'a', b: 'b' }, limit: 10, before: 40 }), ['ab1', 'ba1']);
  assert.deepEqual(await ids({ conversation: { type: 'channel', id: 'b' }, limit: 10 }), ['ch1', 'ch2'], 'a channel named like a user is its own conversation');
  assert.deepEqual(await ids({ conversation: { type: 'user', a: 'a', b: 'a' }, limit: 10 }), []);
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
