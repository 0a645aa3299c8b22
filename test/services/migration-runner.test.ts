import assert from 'node:assert/strict';
import { describe, test, type TestContext } from 'node:test';
import { MemoryAdapter } from '../../src/adapters/memory-adapter.js';
import { MemoryMigrationSide } from '../../src/adapters/memory-migration-side.js';
import type { OutboundMessage } from '../../src/domain/message.js';
import type { UserData } from '../../src/domain/migration/records.js';
import { createLogger } from '../../src/infra/logger.js';
import { MemoryMigrationStore } from '../../src/infra/memory/memory-migration-store.js';
import { MemoryStateStore } from '../../src/infra/memory/memory-state-store.js';
import { MigrationControl, type MigrationStatus } from '../../src/services/migration/migration-control.js';
import { MigrationRunner } from '../../src/services/migration/migration-runner.js';
import { NO_MIGRATION_TELEMETRY } from '../../src/services/ports/migration-telemetry.js';
import type { MigrationStore } from '../../src/services/ports/migration-store.js';
import { StateView } from '../../src/services/state-view.js';
import { NO_TELEMETRY } from '../../src/services/ports/telemetry.js';

const logger = createLogger('silent');
const OPERATOR = { name: 'olga', role: 'operator' as const };
const T0 = Date.UTC(2022, 0, 1);

function userData(id: string, peers: string[]): UserData {
  return {
    profile: { id, displayName: `User ${id}`, createdAt: T0, profile: { city: 'Zürich' } },
    contacts: peers.map((userId, i) => ({ userId, state: i % 3 === 0 ? 'pending_in' : 'accepted', since: T0 + i })),
    blocklist: [{ userId: 'spammer', since: T0 }],
    settings: { userId: id, notificationLevel: 'mentions', mutes: [{ type: 'user', id: peers[0] ?? 'x', until: null }], custom: { theme: 'dark' } },
    readPositions: peers.map((peer) => ({ type: 'user', id: peer, lastReadMessageId: `m-${id}-${peer}-1`, readAt: T0 + 5 })),
  };
}

/** An old side with 12 users in pairs, 2 groups and 1,200 messages; an empty new side. */
async function sides(): Promise<{ oldMessages: MemoryAdapter; newMessages: MemoryAdapter; old: MemoryMigrationSide; fresh: MemoryMigrationSide; ids: string[] }> {
  const oldMessages = new MemoryAdapter();
  const newMessages = new MemoryAdapter();
  const old = new MemoryMigrationSide(oldMessages);
  const fresh = new MemoryMigrationSide(newMessages);
  const users = Array.from({ length: 12 }, (_, i) => `u${i}`);
  for (const [i, id] of users.entries()) await old.putUserData(userData(id, [users[(i + 1) % 12]!, users[(i + 11) % 12]!]));
  for (const g of ['g/1', 'g 2']) {
    await old.putGroup({ id: g, name: `Group ${g}`, visibility: 'private', createdAt: T0, memberCount: 6, ownerId: 'u0' });
    await old.putMembers(g, users.slice(0, 6).map((userId, j) => ({ userId, role: j === 0 ? 'owner' : 'member', joinedAt: T0 + j })));
  }
  const ids: string[] = [];
  const messages: OutboundMessage[] = [];
  for (let n = 0; n < 1_200; n++) {
    const a = users[n % 12]!;
    const to = n % 5 === 0 ? { type: 'channel' as const, id: n % 2 ? 'g/1' : 'g 2' } : { type: 'user' as const, id: users[(n + 1) % 12]! };
    const id = `m-${n}`;
    ids.push(id);
    messages.push({ id, from: a, to, payload: `hello ${n} ✓`, sentAt: T0 + n * 1000 });
  }
  oldMessages.importMessages(messages);
  return { oldMessages, newMessages, old, fresh, ids };
}

interface Instance {
  runner: MigrationRunner;
  control: MigrationControl;
}

async function instance(t: TestContext, store: MigrationStore, old: MemoryMigrationSide, fresh: MemoryMigrationSide, name: string, leaseMs = 2_000): Promise<Instance> {
  const stateStore = new MemoryStateStore();
  const stateView = new StateView({ store: stateStore, migration: 'm', pollIntervalMs: 1_000, logger, telemetry: NO_TELEMETRY });
  await stateView.start();
  t.after(() => stateView.stop());
  const runner = new MigrationRunner({
    store, source: old, target: fresh, owner: name, logger, telemetry: NO_MIGRATION_TELEMETRY, pageSize: 50, concurrency: 3, leaseMs,
    oldReadsPerSecond: 0, newWritesPerSecond: 0, pollMs: 50,
  });
  runner.start();
  t.after(() => runner.stop());
  const control = new MigrationControl({
    store, stateStore, stateView, runner, source: old, target: fresh, instanceId: name, logger, pageSize: 50, oldReadsPerSecond: 0, newWritesPerSecond: 0, requireVerified: false,
  });
  return { runner, control };
}

async function finished(control: MigrationControl, timeoutMs = 10_000): Promise<MigrationStatus> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await control.status();
    if (status.job.status === 'done') return status;
    if (Date.now() > deadline) throw new Error(`job still ${status.job.status} after ${timeoutMs} ms: ${JSON.stringify(status.counters)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('migration job (memory sides, in-process)', () => {
  test('a copy moves every user, group, member and message; a verify then finds 0 mismatches and verifies every user', async (t) => {
    const { old, fresh, newMessages, ids } = await sides();
    const store = new MemoryMigrationStore();
    const { control } = await instance(t, store, old, fresh, 'a');

    const plan = await control.plan();
    assert.deepEqual(plan.totals, { users: 12, groups: 2, members: 12, conversations: 14, messages: 1_200 });

    await control.start(OPERATOR, { mode: 'copy', redrive: false, reason: 'test copy', settleMs: 0 });
    const copied = await finished(control);
    assert.equal(copied.counters['messages.created'], 1_200);
    assert.equal(copied.counters['done.user'], 12);
    assert.equal(copied.counters['members.written'], 12);
    assert.equal(newMessages.size, 1_200);
    for (const id of ids) assert.ok(newMessages.has(id), `${id} on new`);
    assert.deepEqual(await fresh.userData('u3'), await old.userData('u3'));
    assert.deepEqual((await fresh.members('g/1', undefined, 100)).items, (await old.members('g/1', undefined, 100)).items);

    await control.start(OPERATOR, { mode: 'verify', redrive: false, reason: 'test verify', settleMs: 0 });
    const verified = await finished(control);
    assert.equal(verified.counters.mismatches ?? 0, 0);
    assert.equal(verified.counters['messages.verified'], 1_200);
    assert.equal(verified.verifiedUsers, 12);
  });

  test('verify names each planted difference exactly, and a re-drive fixes it; only the users concerned stay unverified until then', async (t) => {
    const { old, fresh, newMessages } = await sides();
    const store = new MemoryMigrationStore();
    const { control } = await instance(t, store, old, fresh, 'a');
    await control.start(OPERATOR, { mode: 'copy', redrive: false, reason: 'test copy', settleMs: 0 });
    await finished(control);

    assert.ok(newMessages.delete('m-7'));
    const changed = (await fresh.userData('u4'))!;
    changed.contacts[0] = { ...changed.contacts[0]!, state: 'pending_out' };
    await fresh.putUserData(changed);
    await fresh.removeMembers('g 2', ['u5']);

    await control.start(OPERATOR, { mode: 'verify', redrive: false, reason: 'find them', settleMs: 0 });
    const found = await finished(control);
    assert.equal(found.counters.mismatches, 3);
    const report = await control.report(0, 100);
    const byKind = Object.fromEntries(report.mismatches.map((m) => [m.kind, m]));
    assert.equal(byKind.message_missing_on_new?.item, 'm-7');
    assert.equal(byKind.message_missing_on_new?.where, 'conversation u7↔u8');
    assert.equal(byKind.contact?.item, 'u5');
    assert.equal(byKind.contact?.where, 'user u4');
    assert.deepEqual((byKind.contact?.new as { state: string }).state, 'pending_out');
    assert.equal(byKind.member?.item, 'u5');
    assert.equal(byKind.member?.where, 'group g 2');
    assert.equal(byKind.member?.new, null);
    // Held back: g 2's members u0..u5 (u4 for its contact too), u7 and u8 (their conversation): 8 of 12.
    assert.equal(found.verifiedUsers, 4);

    await control.start(OPERATOR, { mode: 'verify', redrive: true, reason: 'repair them', settleMs: 0 });
    const repaired = await finished(control);
    assert.equal(repaired.counters.mismatches, 3);
    assert.equal(repaired.counters.fixed, 3);
    assert.ok(newMessages.has('m-7'));
    assert.deepEqual(await fresh.userData('u4'), await old.userData('u4'));
    assert.equal(repaired.verifiedUsers, 12);

    await control.start(OPERATOR, { mode: 'verify', redrive: false, reason: 'confirm', settleMs: 0 });
    assert.equal((await finished(control)).counters.mismatches ?? 0, 0);
  });

  test('two instances share one job; one that stops mid-job has its units taken over and nothing is lost', async (t) => {
    const { old, fresh, newMessages } = await sides();
    const store = new MemoryMigrationStore();
    const a = await instance(t, store, old, fresh, 'a', 300);
    const b = await instance(t, store, old, fresh, 'b', 300);
    await a.control.start(OPERATOR, { mode: 'copy', redrive: false, reason: 'shared copy', settleMs: 0 });
    await new Promise((r) => setTimeout(r, 5));
    // Stops taking units and leaves its current ones at the next page; any it still held expire.
    await a.runner.stop();
    const status = await finished(b.control);
    assert.equal(newMessages.size, 1_200);
    assert.equal((status.counters['messages.created'] ?? 0), 1_200);
    assert.equal(status.counters['done.conversation'], 14);
  });

  test('a paused job holds still and resumes from its checkpoints', async (t) => {
    const { old, fresh, newMessages } = await sides();
    const store = new MemoryMigrationStore();
    const { control } = await instance(t, store, old, fresh, 'a');
    await control.start(OPERATOR, { mode: 'copy', redrive: false, reason: 'copy to pause', settleMs: 0 });
    const paused = await control.pause(OPERATOR, 'hold on');
    assert.equal(paused.job.status, 'paused');
    await new Promise((r) => setTimeout(r, 200));
    const held = newMessages.size;
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(newMessages.size, held, 'nothing written while paused');
    await assert.rejects(control.start(OPERATOR, { mode: 'copy', redrive: false, reason: 'second', settleMs: 0 }), { code: 'MIGRATION_CONFLICT' });
    await control.resume(OPERATOR, 'go on');
    const done = await finished(control);
    assert.equal(newMessages.size, 1_200);
    assert.equal((done.counters['messages.created'] ?? 0) + (done.counters['messages.existing'] ?? 0) >= 1_200, true);
  });
});
