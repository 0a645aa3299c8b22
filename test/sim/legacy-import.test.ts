import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import type { OutboundMessage } from '../../src/domain/message.js';
import type { GroupRecord, Member, UserData } from '../../src/domain/migration/records.js';
import type { DatasetSpec } from '../../src/sim/dataset/dataset-spec.js';
import { buildLegacyImServer, type LegacyImServer, type LegacyImServerOptions, type SimStats } from '../../src/sim/legacy-im-app.js';

const SPEC: Partial<DatasetSpec> = { seed: 5, users: 20, messages: 400, groups: 2, maxGroupSize: 12 };

interface Page<T> {
  items: T[];
  next: string | null;
}

async function build(t: TestContext, options: LegacyImServerOptions = {}): Promise<LegacyImServer> {
  const app = buildLegacyImServer(options);
  t.after(() => app.close());
  await app.ready();
  return app;
}

async function send(app: LegacyImServer, method: 'GET' | 'PUT' | 'POST' | 'DELETE', url: string, payload?: object): Promise<{ status: number; body: any }> {
  const reply = await app.inject({ method, url, ...(payload === undefined ? {} : { payload }) });
  return { status: reply.statusCode, body: reply.body === '' ? undefined : reply.json() };
}

async function ok<T>(app: LegacyImServer, method: 'GET' | 'PUT' | 'POST' | 'DELETE', url: string, payload?: object): Promise<T> {
  const { status, body } = await send(app, method, url, payload);
  assert.equal(status, 200, `${method} ${url}: ${JSON.stringify(body)}`);
  return body as T;
}

/** Every item of a paged list, following `next`. */
async function all<T>(app: LegacyImServer, path: string, limit: number): Promise<T[]> {
  const items: T[] = [];
  let after: string | null = 'start';
  while (after !== null) {
    const page: Page<T> = await ok<Page<T>>(app, 'GET', `${path}?limit=${limit}&after=${after}`);
    items.push(...page.items);
    after = page.next;
  }
  return items;
}

async function history(app: LegacyImServer, path: string, limit: number): Promise<OutboundMessage[]> {
  const messages: OutboundMessage[] = [];
  let after: string | null = 'start';
  while (after !== null) {
    const page: { messages: OutboundMessage[]; next: string | null } = await ok(app, 'GET', `${path}?limit=${limit}&after=${after}`);
    messages.push(...page.messages);
    after = page.next;
  }
  return messages;
}

const stats = (app: LegacyImServer): Promise<SimStats> => ok<SimStats>(app, 'GET', '/_sim/stats');
const enc = encodeURIComponent;

function dm(id: string, from: string, to: string, sentAt: number, payload = `text of ${id}`): OutboundMessage {
  return { id, from, to: { type: 'user', id: to }, payload, sentAt };
}

function userData(id: string, tweak = ''): UserData {
  return {
    profile: { id, displayName: `Name ${id}${tweak}`, avatarUrl: 'https://a.example/x.png', createdAt: 1_000, profile: { title: 'eng', location: 'Zürich 🏔' } },
    contacts: [
      { userId: 'ben', state: 'accepted', since: 10 },
      { userId: 'cé/l', state: 'pending_out', since: 11 },
      { userId: 'dan', state: 'pending_in', since: 12 },
    ],
    blocklist: [{ userId: 'eve', since: 20 }],
    settings: { userId: id, notificationLevel: 'mentions', mutes: [{ type: 'channel', id: 'general', until: null }, { type: 'user', id: 'ben', until: 99 }], custom: { theme: 'dark' } },
    readPositions: [
      { type: 'channel', id: 'general', lastReadMessageId: 'g1', readAt: 30 },
      { type: 'user', id: 'ben', lastReadMessageId: 'm1', readAt: 31 },
    ],
  };
}

async function readUser(app: LegacyImServer, id: string, limit: number): Promise<UserData> {
  const path = `/v1/users/${enc(id)}`;
  return {
    profile: await ok(app, 'GET', path),
    contacts: await all(app, `${path}/contacts`, limit),
    blocklist: await all(app, `${path}/blocklist`, limit),
    settings: await ok(app, 'GET', `${path}/settings`),
    readPositions: await all(app, `${path}/read-positions`, limit),
  };
}

const group = (id: string, memberCount: number): GroupRecord => ({ id, name: `Group ${id}`, topic: 'things', visibility: 'private', createdAt: 5, memberCount, ownerId: 'ann' });
const member = (userId: string, role: Member['role'] = 'member', joinedAt = 7): Member => ({ userId, role, joinedAt });

describe('legacy IM sim: import routes', () => {
  test('importing a batch twice stores each message once and counts created and existing', async (t) => {
    const app = await build(t);
    const batch = [dm('i1', 'ann', 'ben', 3), dm('i2', 'ben', 'ann', 1), dm('i3', 'ann', 'ben', 2)];
    assert.deepEqual(await ok(app, 'POST', '/v1/import/messages', { messages: batch }), { created: 3, existing: 0 });
    assert.deepEqual(await ok(app, 'POST', '/v1/import/messages', { messages: batch }), { created: 0, existing: 3 });
    const overlapping = [dm('i3', 'ann', 'ben', 2, 'another body'), dm('i4', 'ann', 'ben', 4), dm('i4', 'ann', 'ben', 4)];
    assert.deepEqual(await ok(app, 'POST', '/v1/import/messages', { messages: overlapping }), { created: 1, existing: 2 });

    const stored = await stats(app);
    assert.equal(stored.stored, 4);
    assert.equal(stored.imported, 4);
    assert.equal(stored.importDuplicates, 5);
    assert.equal(stored.puts, 0, 'imports are not message PUTs');
    // A live PUT of an imported id is a duplicate, as in the dual-write period.
    const { id, ...body } = dm('i1', 'ann', 'ben', 3);
    assert.equal((await send(app, 'PUT', `/v1/messages/${id}`, body)).status, 200);
    assert.equal((await history(app, '/v1/conversations/user/ann/ben/messages', 10)).find((m) => m.id === 'i3')?.payload, 'text of i3', 'the first copy wins');
  });

  test('a message of the generated past counts as existing and is not stored again', async (t) => {
    const app = await build(t, { dataset: SPEC });
    const [pair] = (await ok<Page<{ a: string; b: string }>>(app, 'GET', '/v1/conversations?limit=1')).items as [{ a: string; b: string }];
    const path = `/v1/conversations/user/${enc(pair.a)}/${enc(pair.b)}/messages`;
    const past = await history(app, path, 1_000);
    const generated = past[0] as OutboundMessage;

    const reply = await ok(app, 'POST', '/v1/import/messages', { messages: [{ ...generated, payload: 'changed' }, dm('new-1', pair.a, pair.b, Date.UTC(2025, 5, 1))] });
    assert.deepEqual(reply, { created: 1, existing: 1 });
    assert.equal((await stats(app)).stored, 1);
    const merged = await history(app, path, 50);
    assert.deepEqual(merged.slice(0, past.length), past);
    assert.equal(merged[merged.length - 1]?.id, 'new-1');
  });

  test('imported messages show in history oldest first and in the conversations listing, kind and odd ids kept', async (t) => {
    const app = await build(t);
    const messages: OutboundMessage[] = [
      { ...dm('x/1?#', 'a n', 'b%n', 300), kind: 'image' },
      dm('x2', 'b%n', 'a n', 100),
      dm('x3', 'a n', 'b%n', 200),
      { id: 'c1', from: 'a n', to: { type: 'channel', id: 'gén' }, payload: '"quoted"\n', sentAt: 50 },
    ];
    await ok(app, 'POST', '/v1/import/messages', { messages });

    const pair = await history(app, `/v1/conversations/user/${enc('b%n')}/${enc('a n')}/messages`, 2);
    assert.deepEqual(pair, [messages[1], messages[2], messages[0]]);
    assert.deepEqual(await history(app, `/v1/conversations/channel/${enc('gén')}/messages`, 5), [messages[3]]);
    assert.deepEqual(await all(app, '/v1/conversations', 1), [
      { type: 'user', a: 'a n', b: 'b%n', messageCount: 3, lastActivityAt: 300 },
      { type: 'channel', id: 'gén', messageCount: 1, lastActivityAt: 50 },
    ]);
  });

  test('a user put reads back equal through every user route, in pages; a second put replaces it whole', async (t) => {
    const app = await build(t);
    const id = 'zoë/1?#';
    assert.deepEqual(await ok(app, 'PUT', `/v1/import/users/${enc(id)}`, userData(id)), { id, created: true });
    assert.deepEqual(await readUser(app, id, 1), userData(id));

    const replaced: UserData = { ...userData(id, ' (new)'), contacts: [], readPositions: [{ type: 'user', id: 'ben', lastReadMessageId: 'm9', readAt: 40 }] };
    assert.deepEqual(await ok(app, 'PUT', `/v1/import/users/${enc(id)}`, replaced), { id, created: false });
    assert.deepEqual(await readUser(app, id, 2), replaced);
    assert.deepEqual(await ok(app, 'GET', `/v1/users/${enc(id)}/conversations`), { items: [], next: null });
  });

  test('a cursor into the lists of a user who was put again since is refused, not misread', async (t) => {
    const app = await build(t);
    await ok(app, 'PUT', '/v1/import/users/ann', userData('ann'));
    const first = await ok<Page<unknown>>(app, 'GET', '/v1/users/ann/contacts?limit=1');
    await ok(app, 'PUT', '/v1/import/users/ann', userData('ann'));
    const stale = await send(app, 'GET', `/v1/users/ann/contacts?limit=1&after=${first.next as string}`);
    assert.equal(stale.status, 400);
    assert.equal(stale.body.error.code, 'bad_cursor');
  });

  test('imported users replace generated ones in place and the others list after the dataset, in first-put order', async (t) => {
    const app = await build(t, { dataset: SPEC });
    const generated = await all<{ id: string }>(app, '/v1/users', 1_000);
    const target = (generated[3] as { id: string }).id;
    assert.deepEqual(await ok(app, 'PUT', `/v1/import/users/${enc(target)}`, userData(target)), { id: target, created: false });
    for (const id of ['new-b', 'new-a']) await ok(app, 'PUT', `/v1/import/users/${id}`, userData(id));
    await ok(app, 'PUT', '/v1/import/users/new-b', userData('new-b', '!'));

    const listed = await all<{ id: string; displayName: string }>(app, '/v1/users', 3);
    assert.deepEqual(listed.map((u) => u.id), [...generated.map((u) => u.id), 'new-b', 'new-a']);
    assert.equal(listed[3]?.displayName, `Name ${target}`);
    assert.equal(listed[20]?.displayName, 'Name new-b!');
    assert.deepEqual(await readUser(app, target, 100), userData(target));
    // The generated user's conversations are still the generated past's.
    assert.ok((await ok<Page<unknown>>(app, 'GET', `/v1/users/${enc(target)}/conversations`)).items.length > 0);
  });

  test('groups put and members posted read back; members upsert in place, removal does not shift a cursor', async (t) => {
    const app = await build(t, { dataset: SPEC });
    const generated = await all<GroupRecord>(app, '/v1/groups', 10);
    const id = 'team #1/ü';
    assert.deepEqual(await ok(app, 'PUT', `/v1/groups/${enc(id)}`, group(id, 3)), { id, created: true });
    const path = `/v1/groups/${enc(id)}/members`;
    assert.deepEqual(await ok(app, 'GET', `${path}`), { items: [], next: null }, 'a group put lists only its imported members');

    assert.deepEqual(await ok(app, 'POST', path, { members: [member('ann', 'owner'), member('ben'), member('cé'), member('dan')] }), { id, created: 4, updated: 0 });
    assert.deepEqual(await ok(app, 'POST', path, { members: [member('ben', 'admin', 8), member('eve')] }), { id, created: 1, updated: 1 });
    const first = await ok<Page<Member>>(app, 'GET', `${path}?limit=2`);
    assert.deepEqual(first.items, [member('ann', 'owner'), member('ben', 'admin', 8)]);
    assert.deepEqual(await ok(app, 'POST', `${path}/remove`, { userIds: ['ben', 'cé', 'nobody'] }), { id, removed: 2 });
    const rest = await all<Member>(app, path, 1);
    assert.deepEqual(rest, [member('ann', 'owner'), member('dan'), member('eve')]);
    const resumed = await ok<Page<Member>>(app, 'GET', `${path}?limit=10&after=${first.next as string}`);
    assert.deepEqual(resumed.items, [member('dan'), member('eve')]);

    assert.deepEqual(await ok(app, 'GET', `/v1/groups/${enc(id)}`), group(id, 3), 'memberCount is what the put said');
    assert.deepEqual(await all<GroupRecord>(app, '/v1/groups', 1), [...generated, group(id, 3)]);

    // Members posted to a generated group replace its generated members; its record stays the generated one.
    const gen = generated[0] as GroupRecord;
    await ok(app, 'POST', `/v1/groups/${enc(gen.id)}/members`, { members: [member('zed')] });
    assert.deepEqual(await all(app, `/v1/groups/${enc(gen.id)}/members`, 10), [member('zed')]);
    assert.deepEqual(await ok(app, 'GET', `/v1/groups/${enc(gen.id)}`), gen);
  });

  test('bad input is refused whole: one invalid message stores none of its batch; mismatched ids are 422', async (t) => {
    const app = await build(t);
    const invalid = { ...dm('bad', 'ann', 'ben', 1), sentAt: -1 };
    const batch = await send(app, 'POST', '/v1/import/messages', { messages: [dm('good', 'ann', 'ben', 1), invalid] });
    assert.equal(batch.status, 400);
    assert.equal(batch.body.error.code, 'bad_request');
    assert.equal((await send(app, 'POST', '/v1/import/messages', { messages: [] })).status, 400);
    const tooMany = Array.from({ length: 1_001 }, (_, i) => dm(`t${i}`, 'ann', 'ben', i));
    assert.equal((await send(app, 'POST', '/v1/import/messages', { messages: tooMany })).status, 400);
    assert.equal((await stats(app)).stored, 0);

    const mismatch = await send(app, 'PUT', '/v1/import/users/ann', userData('bob'));
    assert.equal(mismatch.status, 422);
    assert.equal(mismatch.body.error.code, 'id_mismatch');
    const settingsMismatch = { ...userData('ann'), settings: { ...userData('ann').settings, userId: 'bob' } };
    assert.equal((await send(app, 'PUT', '/v1/import/users/ann', settingsMismatch)).status, 422);
    const badContact = { ...userData('ann'), contacts: [{ userId: 'ben', state: 'friends', since: 1 }] };
    assert.equal((await send(app, 'PUT', '/v1/import/users/ann', badContact)).status, 400);
    assert.equal((await send(app, 'GET', '/v1/users/ann')).status, 404, 'nothing of ann was written');

    assert.equal((await send(app, 'PUT', '/v1/groups/g1', group('g2', 1))).status, 422);
    assert.equal((await send(app, 'GET', '/v1/groups/g1')).status, 404);
    const unknown = await send(app, 'POST', '/v1/groups/nowhere/members', { members: [member('ann')] });
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.error.code, 'not_found');
    assert.equal((await send(app, 'POST', '/v1/groups/nowhere/members/remove', { userIds: ['ann'] })).status, 404);
    await ok(app, 'PUT', '/v1/groups/g1', group('g1', 1));
    assert.equal((await send(app, 'POST', '/v1/groups/g1/members', { members: [] })).status, 400);
    assert.equal((await send(app, 'POST', '/v1/groups/g1/members', { members: [{ userId: 'ann', role: 'boss', joinedAt: 1 }] })).status, 400);
  });

  test('a 1000-message batch well over 1 MiB fits the import body limit', async (t) => {
    const app = await build(t);
    const messages = Array.from({ length: 1_000 }, (_, i) => dm(`big-${i}`, 'ann', 'ben', i, 'x'.repeat(2_000)));
    assert.deepEqual(await ok(app, 'POST', '/v1/import/messages', { messages }), { created: 1_000, existing: 0 });
  });

  test('write faults apply to imports: failAfterStore stores the batch and fails, the retry finds it all existing', async (t) => {
    const app = await build(t, { random: () => 0 });
    await ok(app, 'POST', '/_sim/faults', { errorRate: 1, failAfterStore: true });
    const batch = { messages: [dm('f1', 'ann', 'ben', 1), dm('f2', 'ann', 'ben', 2)] };
    assert.equal((await send(app, 'POST', '/v1/import/messages', batch)).status, 503);
    assert.equal((await send(app, 'PUT', '/v1/import/users/ann', userData('ann'))).status, 503);
    await ok(app, 'POST', '/_sim/faults', { errorRate: 0 });
    assert.deepEqual(await ok(app, 'POST', '/v1/import/messages', batch), { created: 0, existing: 2 });
    assert.deepEqual(await ok(app, 'PUT', '/v1/import/users/ann', userData('ann')), { id: 'ann', created: false });
    assert.equal((await stats(app)).failuresInjected, 2);
  });

  test('DELETE /_sim/messages plants a missing message; a generated one cannot be deleted; a re-import brings it back', async (t) => {
    const app = await build(t, { dataset: SPEC });
    await ok(app, 'POST', '/v1/import/messages', { messages: [dm('d1', 'ann', 'ben', 1), dm('d2', 'ann', 'ben', 2)] });
    assert.deepEqual(await ok(app, 'DELETE', '/_sim/messages/d1'), { id: 'd1', deleted: true });
    assert.deepEqual((await history(app, '/v1/conversations/user/ann/ben/messages', 10)).map((m) => m.id), ['d2']);
    assert.equal((await send(app, 'DELETE', '/_sim/messages/d1')).status, 404);

    const [pair] = (await ok<Page<{ a: string; b: string }>>(app, 'GET', '/v1/conversations?limit=1')).items as [{ a: string; b: string }];
    const [generated] = await history(app, `/v1/conversations/user/${enc(pair.a)}/${enc(pair.b)}/messages`, 1);
    const refused = await send(app, 'DELETE', `/_sim/messages/${enc((generated as OutboundMessage).id)}`);
    assert.equal(refused.status, 409);

    assert.deepEqual(await ok(app, 'POST', '/v1/import/messages', { messages: [dm('d1', 'ann', 'ben', 1)] }), { created: 1, existing: 0 });
    // Deleting a conversation's only message takes it out of the listing.
    await ok(app, 'POST', '/v1/import/messages', { messages: [dm('solo', 'cy', 'di', 1)] });
    await ok(app, 'DELETE', '/_sim/messages/solo');
    const listed = await all<{ a?: string }>(app, '/v1/conversations', 1_000);
    assert.equal(listed.some((c) => c.a === 'cy'), false);
  });

  test('reset forgets imports and their counters', async (t) => {
    const app = await build(t);
    await ok(app, 'POST', '/v1/import/messages', { messages: [dm('r1', 'ann', 'ben', 1)] });
    await ok(app, 'PUT', '/v1/import/users/ann', userData('ann'));
    await ok(app, 'PUT', '/v1/groups/g', group('g', 0));
    await ok(app, 'POST', '/_sim/reset');
    assert.deepEqual(await stats(app), { stored: 0, duplicatesSuppressed: 0, puts: 0, failuresInjected: 0, imported: 0, importDuplicates: 0, clientSends: 0 });
    assert.equal((await send(app, 'GET', '/v1/users/ann')).status, 404);
    assert.deepEqual(await ok(app, 'GET', '/v1/groups'), { items: [], next: null });
  });

  test('with a data file, imported users, groups, members and deletions survive a restart', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'cutover-import-test-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const dataFile = join(dir, 'messages.jsonl');
    const first = buildLegacyImServer({ dataFile });
    await ok(first, 'POST', '/v1/import/messages', { messages: [dm('p1', 'ann', 'ben', 1), dm('p2', 'ann', 'ben', 2)] });
    await ok(first, 'DELETE', '/_sim/messages/p1');
    await ok(first, 'PUT', '/v1/import/users/ann', userData('ann'));
    await ok(first, 'PUT', '/v1/groups/g', group('g', 2));
    await ok(first, 'POST', '/v1/groups/g/members', { members: [member('ann', 'owner'), member('ben'), member('cy')] });
    await ok(first, 'POST', '/v1/groups/g/members/remove', { userIds: ['ben'] });
    await first.close();

    const second = await build(t, { dataFile });
    assert.deepEqual((await history(second, '/v1/conversations/user/ann/ben/messages', 10)).map((m) => m.id), ['p2']);
    assert.deepEqual(await readUser(second, 'ann', 10), userData('ann'));
    assert.deepEqual(await ok(second, 'GET', '/v1/groups/g'), group('g', 2));
    assert.deepEqual(await all(second, '/v1/groups/g/members', 10), [member('ann', 'owner'), member('cy')]);
  });
});
