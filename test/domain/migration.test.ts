import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { OutboundMessage } from '../../src/domain/message.js';
import { compareUserData } from '../../src/domain/migration/compare-records.js';
import { DigestBuilder, sameDigest } from '../../src/domain/migration/digest.js';
import { estimateCopy } from '../../src/domain/migration/estimate.js';
import { jobPace, type Job } from '../../src/domain/migration/job.js';
import type { UserData } from '../../src/domain/migration/records.js';
import { LISTING_START, decodeUnit, encodeUnit, nextPosition, unitKey } from '../../src/domain/migration/units.js';

const messages: OutboundMessage[] = Array.from({ length: 200 }, (_, i) => ({
  id: `m-${i}`, from: `u${i % 7}`, to: { type: 'user', id: `u${(i + 1) % 7}` }, payload: `hé ${i}`, sentAt: 1_600_000_000_000 + i,
}));

function digest(list: readonly OutboundMessage[]) {
  const builder = new DigestBuilder();
  for (const message of list) builder.add(message);
  return builder.digest();
}

test('the digest is order-independent and changes with a missing, an extra or a changed message', () => {
  const base = digest(messages);
  assert.ok(sameDigest(base, digest([...messages].reverse())));
  assert.ok(sameDigest(base, digest([...messages].sort(() => 0.5 - Math.random()))));
  const missing = digest(messages.slice(1));
  assert.equal(missing.count, 199);
  assert.ok(!sameDigest(base, missing));
  const changed = digest(messages.map((m, i) => (i === 50 ? { ...m, payload: 'hé 50!' } : m)));
  assert.equal(changed.ids, base.ids, 'same ids');
  assert.notEqual(changed.contents, base.contents, 'other content');
  const retimed = digest(messages.map((m, i) => (i === 9 ? { ...m, sentAt: m.sentAt + 1 } : m)));
  assert.notEqual(retimed.contents, base.contents, 'the original time is content too');
  // A swap of two messages' payloads keeps the multiset of payloads but not the pairing with ids.
  const swapped = digest(messages.map((m, i) => (i === 1 ? { ...m, payload: messages[2]!.payload } : i === 2 ? { ...m, payload: messages[1]!.payload } : m)));
  assert.notEqual(swapped.contents, base.contents);
});

test('user data is compared item by item, whatever the order of the lists', () => {
  const data: UserData = {
    profile: { id: 'ann', displayName: 'Ann', createdAt: 1, profile: { a: '1', b: '2' } },
    contacts: [{ userId: 'ben', state: 'accepted', since: 1 }, { userId: 'cy', state: 'pending_in', since: 2 }],
    blocklist: [{ userId: 'spam', since: 3 }],
    settings: { userId: 'ann', notificationLevel: 'all', mutes: [{ type: 'user', id: 'ben', until: null }, { type: 'channel', id: 'g', until: 9 }], custom: { x: 'y' } },
    readPositions: [{ type: 'user', id: 'ben', lastReadMessageId: 'm1', readAt: 4 }],
  };
  const where = { unit: 'u:ann', where: 'user ann' };
  const shuffled: UserData = {
    ...structuredClone(data),
    profile: { ...data.profile, profile: { b: '2', a: '1' } },
    contacts: [...data.contacts].reverse(),
    settings: { ...data.settings, mutes: [...data.settings.mutes].reverse() },
  };
  assert.deepEqual(compareUserData(where, data, shuffled), []);

  const other = structuredClone(data);
  other.contacts[1]!.state = 'accepted';
  other.blocklist = [];
  other.readPositions.push({ type: 'channel', id: 'g', lastReadMessageId: 'm9', readAt: 5 });
  const found = compareUserData(where, data, other);
  assert.deepEqual(found.map((m) => [m.kind, m.item, m.old === null, m.new === null]), [
    ['contact', 'cy', false, false],
    ['block', 'spam', false, true],
    ['read_position', 'channel:g', true, false],
  ]);
  assert.deepEqual(compareUserData(where, data, null).map((m) => m.kind), ['user_missing_on_new']);
});

test('unit keys never collide, whatever characters ids hold, and units survive the store', () => {
  const keys = [
    unitKey({ kind: 'conversation', conversation: { type: 'user', a: 'ab', b: 'c' }, messageCount: 1 }),
    unitKey({ kind: 'conversation', conversation: { type: 'user', a: 'a', b: 'bc' }, messageCount: 1 }),
    unitKey({ kind: 'conversation', conversation: { type: 'user', a: 'bc', b: 'a' }, messageCount: 1 }),
    unitKey({ kind: 'conversation', conversation: { type: 'channel', id: 'a:bc' }, messageCount: 1 }),
    unitKey({ kind: 'user', userId: 'p:2:ab' }),
  ];
  assert.equal(keys[1], keys[2], 'a pair is one conversation in either order');
  assert.equal(new Set(keys).size, 4);
  const unit = { kind: 'conversation' as const, conversation: { type: 'user' as const, a: 'zoë/ü', b: '%2F' }, messageCount: 3 };
  assert.deepEqual(decodeUnit(encodeUnit(unit)), unit);
  assert.equal(decodeUnit('{"kind":"nope"}'), undefined);
});

test('the listing walks users, then groups, then conversations, then is done', () => {
  let position = LISTING_START;
  position = nextPosition(position, 'c1');
  assert.deepEqual(position, { phase: 'user', cursor: 'c1' });
  position = nextPosition(position, null);
  assert.deepEqual(position, { phase: 'group', cursor: null });
  position = nextPosition(nextPosition(position, null), null);
  assert.deepEqual(position, { phase: 'done', cursor: null });
});

test('the copy estimate counts calls as a hand computation does, and the binding limit', () => {
  const totals = { users: 1_000, groups: 10, members: 2_500, conversations: 400, messages: 100_000 };
  const estimate = estimateCopy(totals, { oldReadsPerSecond: 100, newWritesPerSecond: 20, pageSize: 500, messagesPerCall: 100 });
  // Old: 5 reads a user, 2 a group, 5 member pages, one per conversation plus 200 message pages, 3 listing pages.
  assert.equal(estimate.oldReadCalls, 5_000 + 20 + 5 + 400 + 200 + 3);
  // New: 1 put a user, 1 a group, one member write per page read (5), one per conversation plus 1000 imports of 100.
  assert.equal(estimate.newWriteCalls, 1_000 + 10 + 5 + 400 + 1_000);
  assert.equal(estimate.boundBy, 'new');
  assert.equal(estimate.limitBoundSeconds, 2_415 / 20);
  assert.equal(estimateCopy(totals, { pageSize: 500, messagesPerCall: 100 }).limitBoundSeconds, null);
});

test('the pace is items over time since the start, and the ETA what is left at that pace', () => {
  const job: Job = {
    id: 'j', mode: 'copy', redrive: false, status: 'running', startedAt: 0, startedBy: 'o', reason: 'r', finishedAt: null, settledBefore: 0,
    expected: { users: 10, groups: 0, members: 0, conversations: 5, messages: 990 },
  };
  const pace = jobPace({ job, counters: { 'done.user': 10, 'messages.created': 240, 'messages.existing': 50 } }, 10_000);
  assert.equal(pace.done, 300);
  assert.equal(pace.expected, 1_000);
  assert.equal(pace.itemsPerSecond, 30);
  assert.equal(pace.etaSeconds, 700 / 30);
  assert.equal(jobPace({ job: { ...job, status: 'done', finishedAt: 20_000 }, counters: {} }, 99_000).etaSeconds, 0);
});
