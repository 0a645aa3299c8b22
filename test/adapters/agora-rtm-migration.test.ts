import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Conversation, OutboundMessage } from '../../src/domain/message.js';
import type { Contact, GroupRecord, Member, UserData } from '../../src/domain/migration/records.js';
import { AdapterError } from '../../src/adapters/adapter-error.js';
import type { ImportResult, MigrationReader } from '../../src/adapters/migration-side.js';
import { AgoraRtmAdapter } from '../../src/adapters/agora-rtm/agora-rtm-adapter.js';
import { envelopeBytes, estimateImport } from '../../src/adapters/agora-rtm/import-estimate.js';
import { BATCH_CUSTOM_TYPE } from '../../src/adapters/agora-rtm/rtm-batch.js';
import { memberShardChannel, pairArchiveChannel, shardsFor } from '../../src/adapters/agora-rtm/rtm-layout.js';
import { RtmMessaging } from '../../src/adapters/agora-rtm/rtm-messaging.js';
import { RtmMigration, type RtmMigrationOptions } from '../../src/adapters/agora-rtm/rtm-migration.js';
import { FakeRtmClient, SDK_RATE_LIMITS } from '../support/fake-rtm-client.js';

const FAKE_MODULE = fileURLToPath(new URL('../support/fake-rtm-client.js', import.meta.url));
const APP_ID = '0123456789abcdef0123456789abcdef';
const T0 = 1_600_000_000_000;
const GROUP: Conversation = { type: 'channel', id: 'g-1' };
const PAIR: Conversation = { type: 'user', a: 'bob', b: 'alice' };

/** Fast unless a test is about the rate: the fake then has no limiter either. */
function migration(options: RtmMigrationOptions = { callsPerSecond: 100_000 }) {
  const fake = new FakeRtmClient(APP_ID, 'cutover');
  const rtm = new RtmMessaging(fake, { token: () => Promise.resolve('token-1') }, { timeoutMs: 5000 });
  return { fake, rtm, side: new RtmMigration(fake, rtm.session, options) };
}

function channelMessages(count: number, channel = 'g-1', from = 0): OutboundMessage[] {
  const senders = ['alice', 'bob', 'carol'];
  return Array.from({ length: count }, (_, i) => {
    const n = from + i;
    const message: OutboundMessage = {
      id: `old-${channel}-${n}`,
      from: senders[n % senders.length] ?? 'alice',
      to: { type: 'channel', id: channel },
      payload: `message ${n} ${'é'.repeat(n % 40)}`,
      sentAt: T0 + n * 60_000,
    };
    if (n % 7 === 0) message.kind = 'image';
    return message;
  });
}

function pairMessages(count: number): OutboundMessage[] {
  return Array.from({ length: count }, (_, n) => ({
    id: `dm-${n}`,
    from: n % 2 === 0 ? 'alice' : 'bob',
    to: { type: 'user', id: n % 2 === 0 ? 'bob' : 'alice' },
    payload: `pair ${n}`,
    sentAt: T0 + n * 1000,
  }));
}

/** An import's counts, without the publishes it reports. */
function counts({ created, existing }: ImportResult): Pick<ImportResult, 'created' | 'existing'> {
  return { created, existing };
}

async function readAll(side: MigrationReader, conversation: Conversation, limit: number): Promise<OutboundMessage[]> {
  const out: OutboundMessage[] = [];
  let after: string | undefined;
  for (let pages = 0; pages < 10_000; pages++) {
    const page = await side.history(conversation, after, limit);
    assert.ok(page.items.length <= limit, `a page holds at most ${limit} messages, got ${page.items.length}`);
    out.push(...page.items);
    if (page.next === null) return out;
    after = page.next;
  }
  assert.fail('history never ended');
}

async function allMembers(side: MigrationReader, groupId: string, limit: number): Promise<Member[]> {
  const out: Member[] = [];
  let after: string | undefined;
  for (let pages = 0; pages < 10_000; pages++) {
    const page = await side.members(groupId, after, limit);
    out.push(...page.items);
    if (page.next === null) return out;
    after = page.next;
  }
  assert.fail('members never ended');
}

function bySentAt(messages: OutboundMessage[]): OutboundMessage[] {
  return [...messages].sort((x, y) => x.sentAt - y.sentAt || (x.id < y.id ? -1 : 1));
}

function byUser(members: Member[]): Member[] {
  return [...members].sort((x, y) => (x.userId < y.userId ? -1 : 1));
}

function userData(userId: string, contacts: number): UserData {
  const list: Contact[] = Array.from({ length: contacts }, (_, i) => ({
    userId: `friend-${String(i).padStart(5, '0')}`,
    state: i % 10 === 0 ? 'pending_in' : 'accepted',
    since: T0 + i,
  }));
  return {
    profile: { id: userId, displayName: `User ${userId}`, createdAt: T0, profile: { city: 'Lyon', bio: 'ça va' } },
    contacts: list,
    blocklist: Array.from({ length: Math.floor(contacts / 3) }, (_, i) => ({ userId: `blocked-${i}`, since: T0 + i })),
    settings: {
      userId,
      notificationLevel: 'mentions',
      mutes: [{ type: 'channel', id: 'g-1', until: null }, { type: 'user', id: 'bob', until: T0 + 5 }],
      custom: { theme: 'dark' },
    },
    readPositions: Array.from({ length: Math.floor(contacts / 2) }, (_, i) => ({
      type: i % 2 === 0 ? 'channel' : 'user',
      id: `conv-${i}`,
      lastReadMessageId: `m-${i}`,
      readAt: T0 + i,
    })),
  };
}

function group(id: string, memberCount: number): GroupRecord {
  return { id, name: `Group ${id}`, topic: 'all things', visibility: 'private', createdAt: T0, memberCount, ownerId: 'user-00000' };
}

function members(count: number): Member[] {
  return Array.from({ length: count }, (_, i) => ({
    userId: `user-${String(i).padStart(5, '0')}`,
    role: i === 0 ? 'owner' : i % 50 === 0 ? 'admin' : 'member',
    joinedAt: T0 + i * 1000,
  }));
}

async function rejectsWith(promise: Promise<unknown>, failure: AdapterError['failure'], pattern?: RegExp): Promise<void> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof AdapterError, `expected an AdapterError, got ${String(err)}`);
    assert.equal(err.failure, failure, err.message);
    if (pattern !== undefined) assert.match(err.message, pattern);
    return;
  }
  assert.fail(`expected a ${failure} failure`);
}

describe('RtmMigration on the fake RTM client: messages', () => {
  test('a page imported into a group channel reads back with ids, senders, kinds and original times', async () => {
    const { fake, side } = migration();
    const sent = channelMessages(250);
    const results = [
      await side.importMessages(GROUP, sent.slice(0, 100)), await side.importMessages(GROUP, sent.slice(100, 200)), await side.importMessages(GROUP, sent.slice(200)),
    ];
    assert.deepEqual(results.map(counts), [{ created: 100, existing: 0 }, { created: 100, existing: 0 }, { created: 50, existing: 0 }]);
    assert.deepEqual(results.flatMap((r) => r.published ?? []), fake.published.map((p) => Buffer.byteLength(String(p.message))), 'each publish reported with its size (RTM bills it as a message)');

    for (const published of fake.published) {
      assert.equal(published.channelName, 'g-1');
      assert.deepEqual(published.options, { channelType: 'MESSAGE', storeInHistory: true, customType: BATCH_CUSTOM_TYPE });
      assert.ok(Buffer.byteLength(String(published.message)) <= 32_768);
    }
    assert.ok(fake.published.length < 10, `batches, not one publish per message (${fake.published.length})`);
    const read = await readAll(side, GROUP, 40);
    assert.equal(new Set(read.map((m) => m.id)).size, read.length, 'each message once over all pages');
    assert.deepEqual(bySentAt(read), sent);
  });

  test('importing the same page again stores nothing, and the reader still sees each message once', async () => {
    const { fake, side } = migration();
    const sent = channelMessages(120);
    await side.importMessages(GROUP, sent.slice(0, 100));
    const publishes = fake.published.length;
    assert.deepEqual(counts(await side.importMessages(GROUP, sent.slice(0, 100))), { created: 0, existing: 100 });
    assert.deepEqual(counts(await side.importMessages(GROUP, sent.slice(50, 120))), { created: 20, existing: 50 });
    assert.equal(fake.published.length, publishes + 1);
    assert.deepEqual(bySentAt(await readAll(side, GROUP, 33)), sent);
  });

  test('a fresh instance (resumed job, no memory) reads the channel back before importing, so nothing doubles', async () => {
    const { fake, rtm, side } = migration();
    const sent = channelMessages(100);
    await side.importMessages(GROUP, sent);
    const resumed = new RtmMigration(fake, rtm.session, { callsPerSecond: 100_000 });
    assert.deepEqual(counts(await resumed.importMessages(GROUP, sent)), { created: 0, existing: 100 });
    assert.deepEqual(bySentAt(await readAll(resumed, GROUP, 100)), sent);
  });

  test('a message delivered live after the channel was read back is not imported again', async () => {
    const { rtm, side } = migration();
    const sent = channelMessages(30);
    await side.importMessages(GROUP, sent.slice(0, 10));
    // Dual-write: the gateway delivers message 10 live as a single envelope, then the job imports it.
    await rtm.sendToChannel(sent[10]!);
    assert.deepEqual(counts(await side.importMessages(GROUP, sent.slice(10))), { created: 19, existing: 1 });
    assert.deepEqual(bySentAt(await readAll(side, GROUP, 7)), sent);
    assert.deepEqual(await rtm.history({ conversation: GROUP, limit: 100 }), sent, 'the live reader unpacks batches too');
  });

  test("a pair's past goes to its archive channel; both the migration reader and live history read it", async () => {
    const { fake, rtm, side } = migration();
    const sent = pairMessages(60);
    assert.deepEqual(counts(await side.importMessages(PAIR, sent)), { created: 60, existing: 0 });
    const archive = pairArchiveChannel('alice', 'bob');
    assert.equal(archive, pairArchiveChannel('bob', 'alice'));
    assert.match(archive, /^dm_[0-9a-f]{32}$/);
    assert.ok(fake.published.every((p) => p.channelName === archive));
    assert.deepEqual(bySentAt(await readAll(side, { type: 'user', a: 'alice', b: 'bob' }, 25)), sent);
    assert.deepEqual(await rtm.history({ conversation: { type: 'user', a: 'alice', b: 'bob' }, limit: 10 }), sent.slice(-10));
    assert.deepEqual(counts(await side.importMessages(PAIR, sent)), { created: 0, existing: 60 });
  });

  test('a message too large for one RTM message, or of another conversation, is refused before anything is published', async () => {
    const { fake, side } = migration();
    const [ok, big] = channelMessages(2);
    await rejectsWith(side.importMessages(GROUP, [ok!, { ...big!, payload: 'x'.repeat(33_000) }]), 'rejected', /bytes as an envelope/);
    await rejectsWith(side.importMessages(GROUP, [{ ...ok!, to: { type: 'channel', id: 'g-2' } }]), 'rejected', /does not belong/);
    assert.equal(fake.published.length, 0);
  });

  test('listing users, groups or conversations is refused: RTM cannot list them, the old side is the listing', async () => {
    const { side } = migration();
    await rejectsWith(side.users(undefined, 10), 'rejected', /old side is the listing/);
    await rejectsWith(side.groups(undefined, 10), 'rejected');
    await rejectsWith(side.conversations(undefined, 10), 'rejected');
  });
});

describe('RtmMigration on the fake RTM client: metadata', () => {
  test("user data round-trips through the user's metadata in chunks the SDK accepts", async () => {
    const { fake, side } = migration();
    const data = userData('alice', 400);
    await side.putUserData(data);
    assert.deepEqual(await side.userData('alice'), data);
    const items = fake.metadata.get('user:alice');
    assert.ok(items !== undefined && items.size > 3, 'lists are chunked');
    for (const [key, detail] of items) {
      assert.match(key, /^cutover_[a-z]+(_\d+)?$/);
      assert.ok(Buffer.byteLength(detail.value) <= 16_384, `${key} within the SDK's value limit`);
    }
    assert.ok(fake.setBytes('user:alice') <= 65_536);
    assert.equal(await side.userData('nobody'), null);
  });

  test("putting smaller data replaces the old: stale chunks go, the app's own items stay", async () => {
    const { fake, side } = migration();
    await side.putUserData(userData('alice', 400));
    await fake.storage.setUserMetadata([{ key: 'app_theme', value: 'dark' }], { userId: 'alice' });
    const smaller = userData('alice', 5);
    await side.putUserData(smaller);
    assert.deepEqual(await side.userData('alice'), smaller);
    const keys = [...(fake.metadata.get('user:alice')?.keys() ?? [])].sort();
    assert.deepEqual(keys, ['app_theme', 'cutover_blocks_0', 'cutover_contacts_0', 'cutover_index', 'cutover_profile', 'cutover_reads_0', 'cutover_settings']);
  });

  test("user data over a user's 64 KB of metadata is refused and nothing is written", async () => {
    const { fake, side } = migration();
    await rejectsWith(side.putUserData(userData('alice', 3000)), 'rejected', /holds 65536/);
    assert.equal(fake.metadata.get('user:alice'), undefined);
  });

  test('a 5,000-member group round-trips: meta on its channel, members over shards each under 64 KB', async () => {
    const { fake, side } = migration();
    const record = group('g-big', 5000);
    const all = members(5000);
    await side.putGroup(record);
    for (let i = 0; i < all.length; i += 1000) await side.putMembers('g-big', all.slice(i, i + 1000));

    assert.deepEqual(await side.group('g-big'), record);
    const shards = shardsFor(5000);
    assert.equal(shards, 13);
    for (let s = 0; s < shards; s++) {
      const channel = memberShardChannel('g-big', s);
      assert.ok(channel.length <= 64);
      const bytes = fake.setBytes(`MESSAGE:${channel}`);
      assert.ok(bytes > 0 && bytes <= 65_536, `shard ${s} holds ${bytes} bytes`);
    }
    assert.deepEqual(byUser(await allMembers(side, 'g-big', 1000)), all);

    await side.removeMembers('g-big', all.slice(10, 20).map((m) => m.userId));
    await side.putMembers('g-big', [{ ...all[1]!, role: 'admin' }]);
    const after = byUser(await allMembers(side, 'g-big', 700));
    assert.equal(after.length, 4990);
    assert.deepEqual(after.find((m) => m.userId === all[1]!.userId)?.role, 'admin');
    assert.equal(after.filter((m) => m.userId === all[1]!.userId).length, 1, 'an upsert keeps one copy');

    // A later put keeps the shard count, so members already written stay where readers look.
    await side.putGroup({ ...record, memberCount: 9000, name: 'renamed' });
    assert.equal(byUser(await allMembers(side, 'g-big', 1000)).length, 4990);
  });

  test('members of a group never written are refused, and reading it finds nothing', async () => {
    const { side } = migration();
    await rejectsWith(side.putMembers('g-none', members(3)), 'rejected', /putGroup comes first/);
    assert.equal(await side.group('g-none'), null);
    assert.deepEqual(await side.members('g-none', undefined, 10), { items: [], next: null });
  });
});

describe('RtmMigration rate limit', () => {
  /** A job's worth of mixed calls: a 600-member group and a few users. */
  async function workload(side: RtmMigration): Promise<void> {
    await side.putGroup(group('g-rate', 600));
    await side.putMembers('g-rate', members(600));
    for (let i = 0; i < 14; i++) await side.putUserData(userData(`user-${i}`, 3));
  }

  test("the migration's calls never exceed 20 in any second, so the SDK's limiter never answers -10021", async () => {
    const { fake, side } = migration({ callsPerSecond: 20 });
    fake.rateLimits = SDK_RATE_LIMITS;
    await workload(side);
    const calls = fake.calls.filter((c) => c.operation !== 'login');
    assert.ok(calls.length > 40, `enough calls to need more than two windows (${calls.length})`);
    assert.deepEqual(calls.filter((c) => c.code === -10021), []);
    for (const call of calls) {
      const inWindow = calls.filter((c) => c.at > call.at - 1000 && c.at <= call.at).length;
      assert.ok(inWindow <= 20, `${inWindow} calls in the second before ${call.at}`);
    }
  });

  test('without the window the same work meets the SDK limiter (-10021, unavailable)', async () => {
    const { fake, side } = migration({ callsPerSecond: 100_000 });
    fake.rateLimits = SDK_RATE_LIMITS;
    try {
      await workload(side);
      assert.fail('expected the fake to refuse a call');
    } catch (err) {
      assert.ok(err instanceof AdapterError, String(err));
      assert.equal(err.failure, 'unavailable');
      assert.equal(err.vendorCode, -10021);
    }
  });
});

describe('import estimate', () => {
  test('the estimate of the worked example equals a hand computation', () => {
    // An envelope: the JSON skeleton around a 36-character id, 16-character sender and channel, 120-byte payload.
    const skeleton = '{"id":"","from":"","to":{"type":"channel","id":""},"payload":"","sentAt":1700000000000}';
    const envelope = skeleton.length + 36 + 16 + 16 + 120 + 1;
    assert.equal(envelopeBytes(120), envelope);
    assert.equal(envelope, 276);
    // floor((32,000 - 33) / 276) = 115 envelopes fit; an import call carries 100: one publish per call.
    const estimate = estimateImport({
      messages: 1_000_000,
      averagePayloadBytes: 120,
      conversations: 10_000,
      users: 100_000,
      groups: 2_000,
      members: 250_000,
      instances: 4,
    });
    const publishes = 10_000 * 1; // 10,000 conversations of 100 messages, one call and one publish each
    const reads = 10_000; // one read back before each import call
    const userCalls = 100_000 * 2; // get + set
    const groupCalls = 2_000 * 2; // get + set of the meta item
    const memberCalls = 2_000 * 1 * Math.ceil(125 / 32); // 125 members a group, one shard, 32 items a call
    const copyCalls = publishes + reads + userCalls + groupCalls + memberCalls;
    assert.equal(copyCalls, 232_000);
    assert.equal(estimate.messagesPerPublish, 100);
    assert.equal(estimate.publishes, publishes);
    assert.equal(estimate.memberCalls, memberCalls);
    assert.equal(estimate.copyCalls, copyCalls);
    assert.equal(estimate.fleetCallsPerSecond, 4 * 20);
    assert.equal(estimate.copySeconds, 232_000 / 80);
    // users + groups × (meta + one page of the one shard) + one page of 100 per conversation
    assert.equal(estimate.verifyCalls, 100_000 + 2_000 * 2 + 10_000);
  });

  test('larger payloads take more publishes, and an app cap binds over many instances', () => {
    const estimate = estimateImport({
      messages: 1_000_000, averagePayloadBytes: 1000, conversations: 10_000, users: 0, groups: 0, members: 0,
      instances: 50, appCallsPerSecond: 500,
    });
    // 1,156-byte envelopes: floor(31,967 / 1,156) = 27 a publish; 100 messages take ceil(100 / 27) = 4 publishes.
    assert.equal(estimate.messagesPerPublish, 27);
    assert.equal(estimate.publishes, 40_000);
    assert.equal(estimate.fleetCallsPerSecond, 500);
    assert.equal(estimate.copySeconds, (40_000 + 10_000) / 500);
  });
});

describe('AgoraRtmAdapter.migrationSide with the fake client in a real worker', () => {
  test('import, metadata and reads go through the live adapter\'s worker', async (t) => {
    const adapter = new AgoraRtmAdapter({
      appId: APP_ID, userId: 'cutover', token: 'token-1', timeoutMs: 2000, clientModule: FAKE_MODULE,
    });
    t.after(() => adapter.close());
    const side = adapter.migrationSide();
    assert.equal(side, adapter.migrationSide(), 'one side per adapter');
    assert.deepEqual(side.limits, { writeCallsPerSecond: 20, messagesPerCall: 100 });

    const sent = channelMessages(150);
    assert.deepEqual(counts(await side.importMessages(GROUP, sent.slice(0, 100))), { created: 100, existing: 0 });
    assert.deepEqual(counts(await side.importMessages(GROUP, sent)), { created: 50, existing: 100 });
    assert.deepEqual(bySentAt(await readAll(side, GROUP, 60)), sent);

    const pair = pairMessages(10);
    await side.importMessages(PAIR, pair);
    assert.deepEqual(await adapter.history({ conversation: PAIR, limit: 100 }), pair);

    const data = userData('alice', 20);
    await side.putUserData(data);
    assert.deepEqual(await side.userData('alice'), data);
    await side.putGroup(group('g-2', 3));
    await side.putMembers('g-2', members(3));
    assert.deepEqual(await side.group('g-2'), group('g-2', 3));
    assert.deepEqual(byUser(await allMembers(side, 'g-2', 10)), members(3));
    await rejectsWith(side.users(undefined, 10), 'rejected');
    assert.deepEqual(await adapter.health(), { ok: true });
  });
});
