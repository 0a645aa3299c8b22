import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sendPath } from '../../src/domain/bridge/send-path.js';

test('send path: a side whose webhook feeds the bridge sends through its SDK, whoever the peer is', () => {
  for (const peerSide of ['old', 'new'] as const) {
    for (const dualWriting of [true, false]) {
      assert.equal(sendPath({ senderSide: 'old', peerSide, dualWriting, senderSideBridged: true }).via, 'sdk');
    }
  }
});

test('send path: a side without one sends through the backend when the message must reach the other side', () => {
  assert.deepEqual(
    [
      sendPath({ senderSide: 'new', peerSide: 'old', dualWriting: false, senderSideBridged: false }).via,
      sendPath({ senderSide: 'new', peerSide: 'old', dualWriting: true, senderSideBridged: false }).via,
      sendPath({ senderSide: 'new', peerSide: 'new', dualWriting: true, senderSideBridged: false }).via,
      sendPath({ senderSide: 'new', peerSide: 'new', dualWriting: false, senderSideBridged: false }).via,
    ],
    ['backend', 'backend', 'backend', 'sdk'],
  );
  assert.match(sendPath({ senderSide: 'new', peerSide: 'old', dualWriting: false, senderSideBridged: false }).reason, /peer is on old/);
});
