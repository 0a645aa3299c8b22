import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ShardBatcher, TurnFlush } from '../../src/infra/redis/shard-batcher.js';

/** A batch runner whose batches the test lets return one by one. */
function controlledRun(): { batches: Array<{ shard: number; items: number[] }>; release(): void; run: (shard: number, items: number[]) => Promise<number[]> } {
  const batches: Array<{ shard: number; items: number[] }> = [];
  const waiting: Array<() => void> = [];
  return {
    batches,
    release: () => waiting.shift()?.(),
    run: (shard, items) => {
      batches.push({ shard, items });
      return new Promise((resolve) => waiting.push(() => resolve(items.map((i) => i * 10))));
    },
  };
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

test('shard batcher: calls of one turn leave as one batch per shard, each answered with its own result', async () => {
  const runner = controlledRun();
  const batcher = new ShardBatcher(new TurnFlush(), runner.run);
  const answers = [batcher.add(0, 1), batcher.add(1, 2), batcher.add(0, 3)];
  await turn();
  assert.deepEqual(runner.batches, [{ shard: 0, items: [1, 3] }, { shard: 1, items: [2] }]);
  runner.release();
  runner.release();
  assert.deepEqual(await Promise.all(answers), [10, 20, 30]);
});

test('shard batcher: while a shard has a batch in flight, new calls wait for it and then leave together', async () => {
  const runner = controlledRun();
  const batcher = new ShardBatcher(new TurnFlush(), runner.run);
  const first = batcher.add(0, 1);
  await turn();
  const later = [batcher.add(0, 2)];
  await turn();
  later.push(batcher.add(0, 3), batcher.add(1, 4));
  await turn();
  assert.deepEqual(runner.batches, [{ shard: 0, items: [1] }, { shard: 1, items: [4] }], 'shard 0 waits; shard 1 has nothing in flight');
  runner.release();
  assert.equal(await first, 10);
  // The batch's return schedules the next flush for the end of a turn after this one.
  await turn();
  await turn();
  assert.deepEqual(runner.batches.slice(2), [{ shard: 0, items: [2, 3] }], 'the calls that waited go as one batch');
  runner.release();
  runner.release();
  assert.deepEqual(await Promise.all(later), [20, 30, 40]);
  await batcher.idle();
});

test('shard batcher: with two allowed in flight, a second batch leaves while the first is out, and a third waits for one of them', async () => {
  const runner = controlledRun();
  const batcher = new ShardBatcher(new TurnFlush(), runner.run, 2);
  const answers = [batcher.add(0, 1)];
  await turn();
  answers.push(batcher.add(0, 2));
  await turn();
  answers.push(batcher.add(0, 3), batcher.add(0, 4));
  await turn();
  assert.deepEqual(runner.batches, [{ shard: 0, items: [1] }, { shard: 0, items: [2] }], 'two out, the rest wait');
  runner.release();
  await turn();
  await turn();
  assert.deepEqual(runner.batches.slice(2), [{ shard: 0, items: [3, 4] }], 'one came back: the waiting calls leave together');
  runner.release();
  runner.release();
  assert.deepEqual(await Promise.all(answers), [10, 20, 30, 40]);
  await batcher.idle();
});
