import assert from 'node:assert/strict';
import { describe, test, type TestContext } from 'node:test';
import { AdapterError } from '../../src/adapters/adapter-error.js';
import type { HttpLegacyConfig } from '../../src/adapters/http-legacy-client.js';
import { HttpLegacyMigrationSide } from '../../src/adapters/http-legacy-migration-side.js';
import type { Conversation, OutboundMessage } from '../../src/domain/message.js';
import type { ConversationSummary, GroupRecord, Member, Page, UserData } from '../../src/domain/migration/records.js';
import type { DatasetSpec } from '../../src/sim/dataset/dataset-spec.js';
import { buildLegacyImServer, type LegacyImServerOptions, type SimStats } from '../../src/sim/legacy-im-app.js';
import { SimProcess } from '../support/sim-process.js';

const SPEC: Partial<DatasetSpec> = { seed: 7, users: 30, messages: 2_000, groups: 3, maxGroupSize: 40 };
/** Small pages, so every listing and most histories take several. */
const PAGE = 7;
const HISTORY_PAGE = 50;

interface Snapshot {
  users: UserData[];
  groups: Array<{ group: GroupRecord; members: Member[] }>;
  conversations: Array<{ summary: ConversationSummary; messages: OutboundMessage[] }>;
}

interface Sim {
  url: string;
  control<T>(method: 'GET' | 'POST', path: string, payload?: object): Promise<T>;
}

/** A sim on a loopback port, closed when the test ends. */
async function listen(t: TestContext, options: LegacyImServerOptions): Promise<Sim> {
  const app = buildLegacyImServer(options);
  t.after(() => app.close());
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  assert.ok(typeof address === 'object' && address !== null);
  return {
    url: `http://127.0.0.1:${address.port}`,
    async control<T>(method: 'GET' | 'POST', path: string, payload?: object): Promise<T> {
      const reply = await app.inject({ method, url: path, ...(payload === undefined ? {} : { payload }) });
      assert.equal(reply.statusCode, 200, reply.body);
      return reply.json() as T;
    },
  };
}

function sideOf(t: TestContext, sim: { url: string }, config: Partial<HttpLegacyConfig> = {}, random?: () => number): HttpLegacyMigrationSide {
  const side = new HttpLegacyMigrationSide({ baseUrl: sim.url, timeoutMs: 5_000, retries: 2, connections: 8, ...config }, random);
  t.after(() => side.close());
  return side;
}

/** A seeded stream in [0, 1) (mulberry32): fault draws that differ from run to run only by timing. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), a | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4_294_967_296;
  };
}

async function everything<T>(read: (after: string | undefined, limit: number) => Promise<Page<T>>, limit: number): Promise<T[]> {
  const items: T[] = [];
  let after: string | undefined;
  do {
    const page = await read(after, limit);
    assert.ok(page.items.length <= limit, 'a page holds at most the limit');
    items.push(...page.items);
    after = page.next ?? undefined;
  } while (after !== undefined);
  return items;
}

/** `fn` over `items`, `width` at a time, results in order. */
async function eachLimit<T, R>(items: readonly T[], width: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
  return out;
}

function conversationOf(summary: ConversationSummary): Conversation {
  return summary.type === 'channel' ? { type: 'channel', id: summary.id } : { type: 'user', a: summary.a, b: summary.b };
}

/** Everything a side holds, read through it: every listing to its end and every history page. */
async function snapshot(side: HttpLegacyMigrationSide): Promise<Snapshot> {
  const profiles = await everything((after, limit) => side.users(after, limit), PAGE);
  const users = await eachLimit(profiles, 8, async (profile) => {
    const data = await side.userData(profile.id);
    assert.ok(data !== null, `user ${profile.id} is listed but not found`);
    assert.deepEqual(data.profile, profile);
    return data;
  });
  const groupRecords = await everything((after, limit) => side.groups(after, limit), PAGE);
  const groups = await eachLimit(groupRecords, 8, async (group) => {
    assert.deepEqual(await side.group(group.id), group);
    return { group, members: await everything((after, limit) => side.members(group.id, after, limit), PAGE) };
  });
  const summaries = await everything((after, limit) => side.conversations(after, limit), PAGE);
  const conversations = await eachLimit(summaries, 8, async (summary) => ({
    summary,
    messages: await everything((after, limit) => side.history(conversationOf(summary), after, limit), HISTORY_PAGE),
  }));
  return { users, groups, conversations };
}

function conversationKey(summary: ConversationSummary): string {
  return summary.type === 'channel' ? `c\u0000${summary.id}` : `u\u0000${summary.a}\u0000${summary.b}`;
}

const byKey = <T>(key: (item: T) => string) => (x: T, y: T): number => (key(x) < key(y) ? -1 : key(x) > key(y) ? 1 : 0);

/**
 * The snapshot with its listings sorted by id: a side lists what was imported in the order it
 * arrived, which concurrent writes do not keep. Members and messages keep their order.
 */
function sorted(snap: Snapshot): Snapshot {
  return {
    users: [...snap.users].sort(byKey((u) => u.profile.id)),
    groups: [...snap.groups].sort(byKey((g) => g.group.id)),
    conversations: [...snap.conversations].sort(byKey((c) => conversationKey(c.summary))),
  };
}

/** Writes a snapshot through the side, in batches smaller than the side's limits so that each takes several calls. */
async function load(side: HttpLegacyMigrationSide, snap: Snapshot): Promise<{ created: number; existing: number }> {
  await eachLimit(snap.users, 8, (data) => side.putUserData(data));
  await eachLimit(snap.groups, 8, async ({ group, members }) => {
    await side.putGroup(group);
    for (let i = 0; i < members.length; i += 9) await side.putMembers(group.id, members.slice(i, i + 9));
  });
  const results = await eachLimit(snap.conversations, 8, async ({ summary, messages }) => {
    const totals = { created: 0, existing: 0 };
    for (let i = 0; i < messages.length; i += 333) {
      const result = await side.importMessages(conversationOf(summary), messages.slice(i, i + 333));
      totals.created += result.created;
      totals.existing += result.existing;
    }
    return totals;
  });
  return results.reduce((sum, r) => ({ created: sum.created + r.created, existing: sum.existing + r.existing }), { created: 0, existing: 0 });
}

describe('HttpLegacyMigrationSide against legacy IM sims on loopback', () => {
  test('a seeded old sim read whole through the side and written into an empty sim reads back equal, item by item', async (t) => {
    const old = await listen(t, { dataset: SPEC, name: 'old' });
    const fresh = await listen(t, { name: 'new' });
    const source = await snapshot(sideOf(t, old));

    assert.equal(source.users.length, 30);
    assert.equal(source.groups.length, 3);
    assert.equal(source.conversations.reduce((sum, c) => sum + c.messages.length, 0), 2_000);
    for (const { summary, messages } of source.conversations) assert.equal(messages.length, summary.messageCount);
    const { totals } = await old.control<{ totals: { memberships: number } }>('GET', '/_sim/dataset');
    assert.equal(source.groups.reduce((sum, g) => sum + g.members.length, 0), totals.memberships);
    assert.ok(source.users.some((u) => encodeURIComponent(u.profile.id) !== u.profile.id), 'some ids need percent-encoding');

    const target = sideOf(t, fresh);
    assert.deepEqual(await load(target, source), { created: 2_000, existing: 0 });
    assert.deepEqual(sorted(await snapshot(target)), sorted(source));
    // Written again (a resumed job), nothing doubles.
    assert.deepEqual(await load(target, source), { created: 0, existing: 2_000 });
    assert.deepEqual(sorted(await snapshot(target)), sorted(source));
  });

  test('read failures on the old side and ambiguous write failures on the new are retried, and the copy still ends equal', async (t) => {
    const clean = await snapshot(sideOf(t, await listen(t, { dataset: SPEC })));
    const old = await listen(t, { dataset: SPEC, random: seeded(1) });
    const fresh = await listen(t, { random: seeded(2) });
    await old.control('POST', '/_sim/faults', { readErrorRate: 0.3 });
    await fresh.control('POST', '/_sim/faults', { errorRate: 0.2, failAfterStore: true });
    // 0.3^13 per call: no call of the few thousand here runs out of attempts.
    const retrying = { retries: 12 };

    const source = await snapshot(sideOf(t, old, retrying, seeded(3)));
    assert.deepEqual(source, clean);
    const target = sideOf(t, fresh, retrying, seeded(4));
    const written = await load(target, source);
    assert.equal(written.created + written.existing, 2_000);
    await fresh.control('POST', '/_sim/faults', { errorRate: 0 });
    assert.deepEqual(sorted(await snapshot(target)), sorted(clean));

    assert.ok((await old.control<{ readFailuresInjected: number }>('GET', '/_sim/reads')).readFailuresInjected > 0);
    const stats = await fresh.control<SimStats>('GET', '/_sim/stats');
    assert.ok(stats.failuresInjected > 0);
    assert.equal(stats.imported, 2_000);
    assert.ok(stats.importDuplicates > 0, 'a batch stored before its failure was found existing on the retry');
  });

  test('a user or group the side does not have is null; other failures are thrown', async (t) => {
    const old = await listen(t, { dataset: SPEC });
    const side = sideOf(t, old, { retries: 0 });
    assert.equal(await side.userData('nobody-here'), null);
    assert.equal(await side.group('no-such-group'), null);

    await old.control('POST', '/_sim/faults', { readErrorRate: 1 });
    await assert.rejects(side.userData('nobody-here'), (err) => err instanceof AdapterError && err.failure === 'vendor_error' && err.vendorCode === 503);
    await old.control('POST', '/_sim/faults', { readErrorRate: 0 });
    await assert.rejects(side.users('garbled', 5), (err) => err instanceof AdapterError && err.failure === 'rejected' && err.vendorCode === 400);
    await assert.rejects(side.users(undefined, 0), RangeError);
  });

  test('ids that need percent-encoding, dot-only ones too, round-trip through every route', async (t) => {
    const side = sideOf(t, await listen(t, {}));
    const ids = ['..', 'a/b?c#d%e', '👩\u200d💻 r&d+1', 'cafe\u0301'];
    for (const id of ids) {
      const data: UserData = {
        profile: { id, displayName: id, createdAt: 1, profile: {} },
        contacts: [{ userId: ids[1] as string, state: 'accepted', since: 2 }],
        blocklist: [],
        settings: { userId: id, notificationLevel: 'all', mutes: [{ type: 'channel', id: '.', until: null }], custom: {} },
        readPositions: [{ type: 'channel', id: '.', lastReadMessageId: `${id}#m`, readAt: 3 }],
      };
      await side.putUserData(data);
      assert.deepEqual(await side.userData(id), data);

      const group: GroupRecord = { id, name: id, visibility: 'public', createdAt: 1, memberCount: 1, ownerId: id };
      await side.putGroup(group);
      await side.putMembers(id, [{ userId: id, role: 'owner', joinedAt: 1 }, { userId: 'x', role: 'member', joinedAt: 2 }]);
      await side.removeMembers(id, ['x']);
      assert.deepEqual(await side.group(id), group);
      assert.deepEqual(await side.members(id, undefined, 10), { items: [{ userId: id, role: 'owner', joinedAt: 1 }], next: null });

      const pair: Conversation = { type: 'user', a: id, b: 'ann' };
      const messages: OutboundMessage[] = [
        { id: `${id}#m`, from: id, to: { type: 'user', id: 'ann' }, payload: id, sentAt: 5 },
        { id: `${id}#c`, from: id, to: { type: 'channel', id }, payload: id, sentAt: 6, kind: 'text' },
      ];
      assert.deepEqual(await side.importMessages(pair, messages.slice(0, 1)), { created: 1, existing: 0 });
      assert.deepEqual(await side.importMessages({ type: 'channel', id }, messages.slice(1)), { created: 1, existing: 0 });
      assert.deepEqual(await side.history(pair, undefined, 10), { items: messages.slice(0, 1), next: null });
      assert.deepEqual(await side.history({ type: 'channel', id }, undefined, 10), { items: messages.slice(1), next: null });
    }
  });

  test('a batch over the import body limit is split into calls that fit, and the counts add up', async (t) => {
    const side = sideOf(t, await listen(t, {}));
    const long = 'é'.repeat(6_000); // 12 KB of UTF-8 each: 1000 of them are past 8 MiB
    const messages = Array.from({ length: 1_000 }, (_, i): OutboundMessage => ({ id: `long-${i}`, from: 'ann', to: { type: 'user', id: 'ben' }, payload: long, sentAt: i }));
    assert.deepEqual(await side.importMessages({ type: 'user', a: 'ann', b: 'ben' }, messages), { created: 1_000, existing: 0 });
    const read = await everything((after, limit) => side.history({ type: 'user', a: 'ben', b: 'ann' }, after, limit), 1_000);
    assert.equal(read.length, 1_000);
    assert.deepEqual(await side.importMessages({ type: 'user', a: 'ann', b: 'ben' }, messages.slice(0, 10)), { created: 0, existing: 10 });
  });

  test('against sim processes started with dataset flags: the copy is equal, and a deleted message is missing after', async (t) => {
    const spec = { seed: 9, users: 12, messages: 300, groups: 2, peersPerUser: 3, maxGroupSize: 8 };
    const [old, fresh] = await Promise.all([SimProcess.start({ name: 'old', dataset: spec }), SimProcess.start({ name: 'new', apiKey: 'k' })]);
    t.after(() => Promise.all([old.destroy(), fresh.destroy()]));
    const inProcess = await listen(t, { dataset: spec });
    assert.equal(await old.datasetDigest(), (await inProcess.control<{ digest: string }>('GET', '/_sim/dataset')).digest);

    const source = await snapshot(sideOf(t, old));
    const target = sideOf(t, fresh, { apiKey: 'k' });
    await load(target, source);
    assert.deepEqual(sorted(await snapshot(target)), sorted(source));
    assert.deepEqual(await fresh.importStats(), { imported: 300, importDuplicates: 0 });
    assert.equal((await fresh.stats()).stored, 300);

    const [victim] = (source.conversations[0] as { messages: OutboundMessage[] }).messages as [OutboundMessage];
    await fresh.deleteMessage(victim.id);
    await assert.rejects(fresh.deleteMessage(victim.id), /HTTP 404/);
    const remaining = (await snapshot(target)).conversations.flatMap((c) => c.messages);
    assert.equal(remaining.length, 299);
    assert.equal(remaining.some((m) => m.id === victim.id), false);
  });
});
