import assert from 'node:assert/strict';
import { test } from 'node:test';
import { profileShare, type CpuProfile } from '../../bench/support/profile-share.js';

// (root) → handler (app.js) → meter (meter.js) → byteLength (node:buffer); (root) → (idle); (root) → gc.
const frame = (id: number, functionName: string, url: string, children: number[] = []) => ({ id, callFrame: { functionName, url }, children });
const PROFILE: CpuProfile = {
  nodes: [
    frame(1, '(root)', '', [2, 5, 6]),
    frame(2, 'handler', 'file:///app.js', [3]),
    frame(3, 'meter', 'file:///meter.js', [4]),
    frame(4, 'byteLength', 'node:buffer'),
    frame(5, '(idle)', ''),
    frame(6, '(garbage collector)', ''),
  ],
  startTime: 1_000,
  // At 1,010 … 1,100 µs: handler, meter, byteLength (under meter), idle, gc, handler, meter, idle, handler, byteLength.
  samples: [2, 3, 4, 5, 6, 2, 3, 5, 2, 4],
  timeDeltas: [10, 10, 10, 10, 10, 10, 10, 10, 10, 10],
};
const isMeter = (url: string) => url.endsWith('/meter.js');

test('profile share: samples with a matching frame anywhere on the stack, of the samples on CPU, idle left out', () => {
  const all = profileShare(PROFILE, isMeter, 0, Infinity);
  // On CPU: 8 (two idle left out); under meter.js: meter ×2 and byteLength ×2 (both called from meter).
  assert.deepEqual([all.busy, all.matching], [8, 4]);
  assert.equal(all.share, 0.5);
});

test('profile share: only the samples taken inside the window count', () => {
  // 1,030 … 1,070 µs: byteLength (meter's), idle, gc, handler, meter.
  const window = profileShare(PROFILE, isMeter, 1_030, 1_070);
  assert.deepEqual([window.busy, window.matching], [4, 2]);
  assert.ok(Number.isNaN(profileShare(PROFILE, isMeter, 5_000, 6_000).share), 'no samples: no share');
});
