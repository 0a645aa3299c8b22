import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Value } from '@sinclair/typebox/value';
import { ChannelId, MessageId, UserId } from '../../src/http/schemas.js';
import { Dataset, HISTORY_END, HISTORY_START, type GeneratedConversation } from '../../src/sim/dataset/dataset.js';
import { contentDigest, describeDataset } from '../../src/sim/dataset/dataset-digest.js';
import { DatasetSpecError, type DatasetSpec } from '../../src/sim/dataset/dataset-spec.js';
import { Permutation } from '../../src/sim/dataset/random.js';

const SMALL: Partial<DatasetSpec> = { seed: 7, users: 120, messages: 5_000, groups: 6, maxGroupSize: 60 };

function allConversations(dataset: Dataset): GeneratedConversation[] {
  const out: GeneratedConversation[] = [];
  for (let rank = 0; rank < dataset.peerConversations; rank++) out.push(dataset.conversationAtRank('p', rank));
  for (let rank = 0; rank < dataset.channelConversations; rank++) out.push(dataset.conversationAtRank('c', rank));
  return out;
}

function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[sorted.length >> 1] as number;
}

describe('generated legacy dataset', () => {
  test('the same seed and sizes give the same data: equal digests, users, members and messages from two separate instances', async () => {
    const one = new Dataset(SMALL);
    const two = new Dataset({ ...SMALL });
    assert.deepEqual(describeDataset(one), describeDataset(two));
    assert.deepEqual(await contentDigest(one), await contentDigest(two));
    for (const u of [0, 1, 57, 119]) assert.deepEqual(two.user(u), one.user(u));
    assert.deepEqual(two.member(3, 1), one.member(3, 1));
    const [a, b] = [one.conversationAtRank('p', 5), two.conversationAtRank('p', 5)];
    for (const i of [0, 1, a.count - 1]) assert.deepEqual(b.messageAt(i), a.messageAt(i));
  });

  test('another seed gives other data, and other sizes give other message ids and digest', async () => {
    const base = new Dataset(SMALL);
    const reseeded = new Dataset({ ...SMALL, seed: 8 });
    const resized = new Dataset({ ...SMALL, messages: 5_001 });
    assert.notEqual(describeDataset(reseeded).digest, describeDataset(base).digest);
    assert.notEqual((await contentDigest(reseeded)).contentDigest, (await contentDigest(base)).contentDigest);
    assert.notDeepEqual([0, 1, 2].map((u) => reseeded.user(u)), [0, 1, 2].map((u) => base.user(u)));
    assert.notEqual(describeDataset(resized).digest, describeDataset(base).digest);
    assert.notEqual(resized.tag, base.tag);
    assert.notEqual(resized.conversationAtRank('p', 0).idAt(0), base.conversationAtRank('p', 0).idAt(0));
  });

  test('conversation sizes are heavy-tailed: the largest holds far more than the median', () => {
    const dataset = new Dataset({ seed: 42, users: 1_000, messages: 200_000, groups: 50 });
    const sizes = allConversations(dataset).map((c) => c.count);
    const largest = Math.max(...sizes);
    assert.equal(largest, describeDataset(dataset).totals.largestConversation);
    assert.ok(largest > 100 * median(sizes), `largest ${largest}, median ${median(sizes)}`);
  });

  test('message counts sum exactly to the requested total, whatever the sizes', () => {
    const specs: Array<Partial<DatasetSpec>> = [
      SMALL,
      { seed: 1, users: 50, messages: 7, groups: 0 }, // fewer messages than pairs
      { seed: 2, users: 2, messages: 999, groups: 1 }, // no pairs at all: every message in the one group
      { seed: 3, users: 300, messages: 123_457, groups: 0, peersPerUser: 3 },
      { seed: 4, users: 40, messages: 10_000, groups: 40, peersPerUser: 0 },
    ];
    for (const spec of specs) {
      const dataset = new Dataset(spec);
      const conversations = allConversations(dataset);
      assert.equal(conversations.reduce((sum, c) => sum + c.count, 0), spec.messages, JSON.stringify(spec));
      assert.ok(conversations.every((c) => c.count >= 1));
      // Seen from the users: each pair in both users' lists, each channel in every member's.
      const seen = new Map<string, number>();
      for (let u = 0; u < dataset.spec.users; u++) {
        for (const { generated } of dataset.userConversations(u)) seen.set(`${generated.pool}${generated.index}`, generated.count);
      }
      assert.equal([...seen.values()].reduce((sum, n) => sum + n, 0), spec.messages, JSON.stringify(spec));
    }
  });

  test('ids are valid for the gateway, unique, and many need percent-encoding in a path', () => {
    const dataset = new Dataset({ seed: 9, users: 2_000, messages: 20_000, groups: 40 });
    const users = Array.from({ length: 2_000 }, (_, u) => dataset.userId(u));
    const channels = Array.from({ length: 40 }, (_, g) => dataset.groupId(g));
    assert.equal(new Set(users).size, users.length);
    for (const id of users) assert.ok(Value.Check(UserId, id), `user id ${JSON.stringify(id)}`);
    for (const id of channels) assert.ok(Value.Check(ChannelId, id), `channel id ${JSON.stringify(id)}`);
    for (const u of [0, 1, 1_999]) assert.equal(dataset.userIndex(dataset.userId(u)), u);
    assert.equal(dataset.userIndex('user01'), undefined);
    assert.equal(dataset.userIndex('nobody'), undefined);

    const encoded = users.filter((id) => encodeURIComponent(id) !== id);
    assert.ok(encoded.length > users.length / 10, `${encoded.length} of ${users.length} need encoding`);
    for (const ch of ['#', '%', '?', '&', '+']) assert.ok(users.some((id) => id.includes(ch)), `no user id with ${ch}`);
    assert.ok(users.some((id) => /[^\u0000-\u007f]/.test(id)), 'no non-ASCII user id');
    assert.ok(channels.some((id) => encodeURIComponent(id) !== id), 'no channel id that needs encoding');

    const ids = new Set<string>();
    let international = 0;
    for (const conversation of allConversations(dataset)) {
      let previous = -1;
      for (let i = 0; i < conversation.count; i++) {
        const message = conversation.messageAt(i);
        assert.ok(Value.Check(MessageId, message.id), message.id);
        assert.ok(!ids.has(message.id), `duplicate id ${message.id}`);
        ids.add(message.id);
        assert.ok(message.sentAt > previous && message.sentAt >= HISTORY_START && message.sentAt < HISTORY_END);
        previous = message.sentAt;
        if (/[\u0590-\u06ff\u3040-\u9fff\uac00-\ud7af\u{1f300}-\u{1faff}]/u.test(message.payload)) international++;
        assert.ok(dataset.hasMessage(message.id));
      }
    }
    assert.equal(ids.size, 20_000);
    assert.ok(international > 1_000, `${international} payloads with emoji, CJK or RTL text`);
    assert.equal(dataset.hasMessage('lg-00000000-p0.0'), false);
  });

  test('messages go between the pair, or from a member to the channel, and members are distinct', () => {
    const dataset = new Dataset(SMALL);
    for (const conversation of allConversations(dataset).slice(0, 200)) {
      for (const i of [0, conversation.count - 1]) {
        const message = conversation.messageAt(i);
        const c = conversation.conversation;
        if (c.type === 'user') {
          assert.deepEqual([message.from, message.to.id].sort(), [c.a, c.b].sort());
        } else {
          const g = dataset.groupIndex(c.id) as number;
          assert.equal(message.to.id, c.id);
          assert.ok(dataset.memberPosition(g, dataset.userIndex(message.from) as number) >= 0);
        }
      }
    }
    for (let g = 0; g < dataset.spec.groups; g++) {
      const size = dataset.groupSize(g);
      assert.ok(size >= 2 && size <= 60);
      const members = Array.from({ length: size }, (_, j) => dataset.memberIndex(g, j));
      assert.equal(new Set(members).size, size);
      members.forEach((u, j) => assert.equal(dataset.memberPosition(g, u), j));
      assert.equal(dataset.member(g, 0).role, 'owner');
    }
    assert.equal(Math.max(...Array.from({ length: dataset.spec.groups }, (_, g) => dataset.groupSize(g))), 60, 'the largest group has maxGroupSize members');
  });

  test('contacts agree from both sides: accepted with accepted, pending_out with pending_in', () => {
    const dataset = new Dataset(SMALL);
    const states = new Map<string, string>();
    for (let u = 0; u < dataset.spec.users; u++) {
      for (const contact of dataset.contacts(u, 0, 1_000).items) states.set(`${dataset.userId(u)}→${contact.userId}`, contact.state);
    }
    const mirror: Record<string, string> = { accepted: 'accepted', pending_out: 'pending_in', pending_in: 'pending_out' };
    for (const [key, state] of states) {
      const [from, to] = key.split('→') as [string, string];
      assert.equal(states.get(`${to}→${from}`), mirror[state], key);
    }
    assert.ok([...states.values()].includes('pending_out'));
  });

  test('the permutation behind ranks is a bijection, both ways', () => {
    for (const size of [1, 2, 3, 5, 17, 64, 100, 257, 4_097]) {
      const permutation = new Permutation(size, size * 31);
      const images = new Set<number>();
      for (let x = 0; x < size; x++) {
        const y = permutation.forward(x);
        assert.ok(y >= 0 && y < size);
        assert.equal(permutation.inverse(y), x);
        images.add(y);
      }
      assert.equal(images.size, size);
    }
    const large = new Permutation(640_000_000, 5);
    for (const x of [0, 1, 639_999_999, 123_456_789]) assert.equal(large.inverse(large.forward(x)), x);
  });

  test('a spec out of bounds or with an unknown field is refused, naming the field', () => {
    assert.throws(() => new Dataset({ users: -1 }), (err: unknown) => err instanceof DatasetSpecError && /users/.test(err.message));
    assert.throws(() => new Dataset({ users: 10, messages: 1.5 }), /messages must be an integer/);
    assert.throws(() => new Dataset({ users: 0, messages: 10 }), /need conversations/);
    assert.throws(() => new Dataset({ usres: 10 } as Partial<DatasetSpec>), /unknown dataset field: usres/);
  });

  test('describing a 1,000,000-message dataset of 1,000,000 users takes milliseconds and materialises nothing', () => {
    const before = process.memoryUsage().heapUsed;
    const startedAt = performance.now();
    const dataset = new Dataset({ seed: 42, users: 1_000_000, messages: 1_000_000, groups: 200 });
    const description = describeDataset(dataset);
    // Reading the newest page of the busiest conversation: arithmetic, not a walk.
    const busiest = dataset.conversationAtRank('p', 0);
    const from = busiest.firstAtOrAfter(busiest.lastActivityAt - 1);
    const page = Array.from({ length: busiest.count - from }, (_, k) => busiest.messageAt(from + k));
    const elapsed = performance.now() - startedAt;
    const grown = process.memoryUsage().heapUsed - before;
    assert.equal(description.totals.messages.total, 1_000_000);
    assert.equal(page.length, 1);
    assert.ok(elapsed < 1_000, `took ${Math.round(elapsed)} ms`);
    assert.ok(grown < 50 * 1024 * 1024, `heap grew ${Math.round(grown / 1024 / 1024)} MB`);
  });
});
