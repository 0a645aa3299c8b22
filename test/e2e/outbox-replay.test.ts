import assert from 'node:assert/strict';
import { test } from 'node:test';
import { driveToCanary, eventually, startStack, TOKEN } from '../support/stack.js';

test('a secondary outage is replayed from the outbox: every message arrives on both sides, none twice', async (t) => {
  const stack = await startStack(t);
  const gateway = await stack.startGateway();
  await driveToCanary(gateway, 50);
  await stack.fresh.stop(); // the new side's server goes away entirely

  const accepted: Array<{ id: string; primary: string }> = [];
  for (let i = 0; i < 150; i++) {
    const res = await gateway.request('POST', '/v1/messages', { id: `replay-${i}`, from: 'alice', to: { type: 'user', id: `u${i}` }, payload: `m${i}` });
    if (res.status === 201) accepted.push({ id: res.body.id, primary: res.body.primary });
    else assert.equal(res.body.error.code, 'SIDE_UNAVAILABLE', 'only users whose primary is the down side are refused');
  }
  const onOld = accepted.filter((a) => a.primary === 'old');
  assert.ok(onOld.length > 30, `old-primary users were accepted during the outage (${onOld.length})`);
  assert.ok(accepted.every((a) => a.primary === 'old'), 'nothing was accepted on the down side');

  // A reply leaves once the primary took the message; its commit (which queues the secondary) follows.
  let during = await gateway.request('GET', '/admin/outbox', undefined, TOKEN);
  await eventually(async () => {
    during = await gateway.request('GET', '/admin/outbox', undefined, TOKEN);
    return during.body.counts.owed.new === onOld.length;
  }, 2_000, `the outbox to owe new every accepted message (${onOld.length}; it says ${during.body.counts.owed.new})`);
  assert.equal(during.body.counts.deadLettered.new, 0, 'an outage does not use up the tries');

  await new Promise((r) => setTimeout(r, 1_000)); // the outage lasts a while
  await stack.fresh.restart();
  await eventually(async () => (await stack.fresh.messageIds()).length >= onOld.length, 15_000, 'the backlog to drain into new');

  const oldIds = new Set(await stack.old.messageIds());
  const newIds = await stack.fresh.messageIds();
  for (const { id } of accepted) {
    assert.ok(oldIds.has(id), `${id} on old`);
  }
  assert.deepEqual([...newIds].sort(), accepted.map((a) => a.id).sort(), 'new holds exactly the accepted messages');
  assert.equal((await stack.fresh.stats()).duplicatesSuppressed, 0, 'no message was sent to new twice');
  const after = await gateway.request('GET', '/admin/outbox', undefined, TOKEN);
  assert.equal(after.body.counts.owed.new, 0);
});
