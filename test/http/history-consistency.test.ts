import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildCutover, canaryAt, until } from '../support/build-app.js';

test('a sampled history read that differs between the sides shows as a mismatch on /metrics', async (t) => {
  const cutover = await buildCutover(t, { 'migrate.consistency.sampleRate': 1 });
  await canaryAt(cutover, 0);
  // Planted on the primary only, a minute ago: settled, so the secondary should have it.
  await cutover.services.memorySide('old')!.sendToUser({ id: 'planted', from: 'alice', to: { type: 'user', id: 'bob' }, payload: 'hi', sentAt: Date.now() - 60_000 });

  const page = await cutover.app.inject({ url: '/v1/conversations/user/alice/bob/messages' });
  assert.equal(page.statusCode, 200, page.body);
  assert.equal(page.json().servedBy, 'old');
  assert.deepEqual(page.json().messages.map((m: { id: string }) => m.id), ['planted'], 'the read answers as before');

  const mismatch = 'cutover_consistency_checks_total{mode="other-side",result="mismatch"} 1';
  let metrics = '';
  await until(async () => (metrics = (await cutover.app.inject({ url: '/metrics' })).body).includes(mismatch), 5_000, 'the mismatch on /metrics');
  assert.match(metrics, /cutover_consistency_mismatched_messages_total\{mode="other-side",kind="missing_on_compared"\} 1/);
});
