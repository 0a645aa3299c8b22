import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryAdapter } from '../../src/adapters/memory-adapter.js';
import type { OutboundMessage } from '../../src/domain/message.js';
import { createLogger } from '../../src/infra/logger.js';
import { MemoryOutbox } from '../../src/infra/memory/memory-outbox.js';
import { OutboxWorker } from '../../src/services/outbox-worker.js';
import type { OutboxRecord } from '../../src/services/ports/outbox.js';
import { NO_TELEMETRY } from '../../src/services/ports/telemetry.js';

test('outbox worker: stop makes a last pass, so writes owed when the gateway shuts down are written first', async () => {
  const outbox = new MemoryOutbox({ dedupeWindowMs: 60_000, inflightGraceMs: 10_000, deadLetterMaxLen: 100 });
  const side = new MemoryAdapter();
  const worker = new OutboxWorker({
    side: 'new', adapter: side, outbox, telemetry: NO_TELEMETRY, logger: createLogger('silent'),
    concurrency: 4, maxAttempts: 3, backoffBaseMs: 10, backoffMaxMs: 100,
  });
  const ids = Array.from({ length: 10 }, (_, i) => `owed-${i}`);
  for (const id of ids) {
    const message: OutboundMessage = { id, from: 'a', to: { type: 'user', id: 'b' }, payload: id, sentAt: Date.now() };
    const record: OutboxRecord = { message, primary: 'old', secondary: 'new', stateVersion: 1, idFromCaller: true };
    await outbox.begin(record, Date.now());
    await outbox.commit(record, { id, primary: 'old', secondary: 'new', stateVersion: 1, acceptedAt: message.sentAt });
  }
  // Never started: only the last pass of stop() can write them, over several leases of 4.
  await worker.stop();
  assert.deepEqual(ids.filter((id) => !side.has(id)), []);
  assert.equal((await outbox.counts()).owed.new, 0);
});
