import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InMemStorageProvider, Unleash } from 'unleash-client';
import { BUCKETS, bucketOf, inRollout } from '../../src/domain/bucket.js';

const FLAG = 'cutover-default';
const USERS = Array.from({ length: 5_000 }, (_, i) => `user-${i}`);

/** unleash-client itself, offline, with a flexibleRollout of `percent` on userId. */
async function unleashAt(percent: number): Promise<Unleash> {
  const client = new Unleash({
    appName: 'bucket-test',
    url: 'http://127.0.0.1:9/offline',
    refreshInterval: 0,
    disableMetrics: true,
    storageProvider: new InMemStorageProvider(),
    skipInstanceCountWarning: true,
    bootstrap: {
      data: [{
        name: FLAG,
        enabled: true,
        strategies: [{ name: 'flexibleRollout', parameters: { rollout: String(percent), stickiness: 'userId', groupId: FLAG }, constraints: [] }],
      }] as never,
    },
  });
  client.on('error', () => {});
  await new Promise<void>((resolve) => client.once('ready', () => resolve()));
  return client;
}

for (const percent of [1, 5, 25, 50, 99]) {
  test(`at ${percent} % the cohort is exactly the users unleash-client enables`, async (t) => {
    const client = await unleashAt(percent);
    t.after(() => client.destroy());
    let enabled = 0;
    for (const id of USERS) {
      const unleash = client.isEnabled(FLAG, { userId: id });
      assert.equal(inRollout(bucketOf(FLAG, id), percent), unleash, `user ${id}`);
      if (unleash) enabled++;
    }
    // Guards against a vacuous pass (e.g. both always false).
    assert.ok(Math.abs(enabled / USERS.length - percent / 100) < 0.03, `enabled share ${enabled / USERS.length}`);
  });
}

test('non-ASCII ids bucket exactly as unleash-client hashes them (low byte of each UTF-16 unit)', async (t) => {
  const client = await unleashAt(50);
  t.after(() => client.destroy());
  const ids = ['zoë', 'Łukasz', '山田', 'ümlaut-42', '😀x', 'ādam'];
  for (const id of ids) {
    assert.equal(inRollout(bucketOf(FLAG, id), 50), client.isEnabled(FLAG, { userId: id }), id);
  }
  // The documented consequence: ids differing only in a high byte share a bucket.
  assert.equal(bucketOf(FLAG, '\u0101'), bucketOf(FLAG, '\u0201'));
});

test('buckets are 1..10000 and spread evenly', () => {
  const counts = new Array<number>(10).fill(0);
  for (let i = 0; i < 50_000; i++) {
    const bucket = bucketOf(FLAG, `u${i}`);
    assert.ok(bucket >= 1 && bucket <= BUCKETS);
    counts[Math.floor((bucket - 1) / 1000)]!++;
  }
  for (const count of counts) assert.ok(count > 4_500 && count < 5_500, `decile count ${count}`);
});

test('raising the percent never removes a user from the cohort', () => {
  const steps = [0, 0.01, 0.5, 1, 1.25, 5, 10, 25, 33.33, 50, 99.99, 100];
  for (const id of USERS) {
    const bucket = bucketOf(FLAG, id);
    let wasIn = false;
    for (const percent of steps) {
      const isIn = inRollout(bucket, percent);
      assert.ok(!(wasIn && !isIn), `${id} left the cohort at ${percent} %`);
      wasIn = isIn;
    }
    assert.equal(wasIn, true, 'everyone is in at 100 %');
  }
});

test('fractional percents admit about their share (0.01 % steps are real)', () => {
  const ids = Array.from({ length: 200_000 }, (_, i) => `f${i}`);
  const inAt = (p: number) => ids.filter((id) => inRollout(bucketOf(FLAG, id), p)).length;
  const atHalf = inAt(0.5);
  assert.ok(atHalf > 700 && atHalf < 1_300, `0.5 % admitted ${atHalf} of 200k`);
  assert.ok(inAt(0.25) < atHalf && inAt(0.75) > atHalf);
  assert.equal(inAt(0), 0);
});
