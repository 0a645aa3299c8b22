import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { dirname, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, test, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import type { OutboundMessage } from '../../src/domain/message.js';
import type { DatasetDescription } from '../../src/sim/dataset/dataset-digest.js';
import type { DatasetSpec } from '../../src/sim/dataset/dataset-spec.js';
import { buildLegacyImServer, type LegacyImServer, type LegacyImServerOptions } from '../../src/sim/legacy-im-app.js';

const ENTRY = resolve(dirname(fileURLToPath(import.meta.url)), '../../src/sim/legacy-im-server.js');
const SPEC: Partial<DatasetSpec> = { seed: 11, users: 60, messages: 3_000, groups: 4, maxGroupSize: 45 };

interface Page<T> {
  items: T[];
  next: string | null;
}
interface Summary {
  type: 'user' | 'channel';
  id?: string;
  a?: string;
  b?: string;
  messageCount: number;
  lastActivityAt: number;
}

async function build(t: TestContext, options: LegacyImServerOptions = { dataset: SPEC }): Promise<LegacyImServer> {
  const app = buildLegacyImServer(options);
  t.after(() => app.close());
  await app.ready();
  return app;
}

async function get<T>(app: LegacyImServer, url: string, headers: Record<string, string> = {}): Promise<T> {
  const reply = await app.inject({ method: 'GET', url, headers });
  assert.equal(reply.statusCode, 200, `GET ${url}: ${reply.body}`);
  return reply.json() as T;
}

/** Every item of a paged list, following `next` with `limit`; checks no page is over the limit. */
async function all<T>(app: LegacyImServer, path: string, limit: number): Promise<T[]> {
  const items: T[] = [];
  let after: string | null = 'start';
  while (after !== null) {
    const sep = path.includes('?') ? '&' : '?';
    const page: Page<T> = await get<Page<T>>(app, `${path}${sep}limit=${limit}&after=${after as string}`);
    assert.ok(page.items.length <= limit);
    items.push(...page.items);
    after = page.next;
  }
  return items;
}

/** A conversation's whole history, oldest first, in pages of `limit`. */
async function history(app: LegacyImServer, path: string, limit: number): Promise<OutboundMessage[]> {
  const messages: OutboundMessage[] = [];
  let after: string | null = 'start';
  while (after !== null) {
    const page: { messages: OutboundMessage[]; next: string | null } = await get(app, `${path}?limit=${limit}&after=${after as string}`);
    assert.ok(page.messages.length <= limit);
    messages.push(...page.messages);
    after = page.next;
  }
  return messages;
}

function historyPath(summary: Summary): string {
  return summary.type === 'channel'
    ? `/v1/conversations/channel/${encodeURIComponent(summary.id as string)}/messages`
    : `/v1/conversations/user/${encodeURIComponent(summary.a as string)}/${encodeURIComponent(summary.b as string)}/messages`;
}

function sortedByTimeThenId(messages: readonly OutboundMessage[]): boolean {
  return messages.every((m, i) => i === 0 || compare(messages[i - 1] as OutboundMessage, m) < 0);
}

function compare(x: OutboundMessage, y: OutboundMessage): number {
  return x.sentAt - y.sentAt || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0);
}

function put(app: LegacyImServer, message: OutboundMessage): Promise<{ statusCode: number; json: () => unknown }> {
  const { id, ...body } = message;
  return app.inject({ method: 'PUT', url: `/v1/messages/${encodeURIComponent(id)}`, payload: body });
}

describe('legacy IM sim: export routes', () => {
  test('paging with small limits covers every user, conversation, message and member exactly once', async (t) => {
    const app = await build(t);
    const { totals } = await get<DatasetDescription>(app, '/_sim/dataset');

    const users = await all<{ id: string }>(app, '/v1/users', 7);
    assert.equal(users.length, 60);
    assert.equal(new Set(users.map((u) => u.id)).size, 60);

    const conversations = await all<Summary>(app, '/v1/conversations', 13);
    assert.equal(conversations.length, totals.conversations.total);
    assert.equal(conversations.reduce((sum, c) => sum + c.messageCount, 0), 3_000);

    const ids = new Set<string>();
    for (const summary of conversations) {
      const messages = await history(app, historyPath(summary), 17);
      assert.equal(messages.length, summary.messageCount);
      assert.ok(sortedByTimeThenId(messages));
      assert.equal(messages[messages.length - 1]?.sentAt, summary.lastActivityAt);
      for (const m of messages) ids.add(m.id);
    }
    assert.equal(ids.size, 3_000, 'every message once across all conversations');

    const groups = await all<{ id: string; memberCount: number }>(app, '/v1/groups', 3);
    assert.equal(groups.length, 4);
    for (const group of groups) {
      const members = await all<{ userId: string; role: string }>(app, `/v1/groups/${encodeURIComponent(group.id)}/members`, 9);
      assert.equal(members.length, group.memberCount);
      assert.equal(new Set(members.map((m) => m.userId)).size, group.memberCount);
      assert.equal(members.filter((m) => m.role === 'owner').length, 1);
    }
    assert.equal(groups.reduce((sum, g) => sum + g.memberCount, 0), totals.memberships);

    // From the users' side: each pair shows in both lists, each channel in every member's.
    const byKey = new Map<string, number>();
    for (const user of users) {
      for (const c of await all<Summary>(app, `/v1/users/${encodeURIComponent(user.id)}/conversations`, 5)) {
        byKey.set(c.type === 'channel' ? `c:${c.id}` : `u:${[user.id, c.id].sort().join('\u0000')}`, c.messageCount);
      }
    }
    assert.equal([...byKey.values()].reduce((sum, n) => sum + n, 0), 3_000);
  });

  test('two servers with the same seed and sizes answer byte for byte the same pages; another seed does not', async (t) => {
    const [one, two, other] = [await build(t), await build(t), await build(t, { dataset: { ...SPEC, seed: 12 } })];
    const [busiest] = (await get<Page<Summary>>(one, '/v1/conversations?limit=1')).items as [Summary];
    const [group] = (await get<Page<{ id: string }>>(one, '/v1/groups?limit=1')).items as [{ id: string }];
    const urls = ['/v1/users?limit=20', '/v1/conversations?limit=50', `${historyPath(busiest)}?limit=100&after=start`, `/v1/groups/${encodeURIComponent(group.id)}/members?limit=30`, '/_sim/dataset'];
    for (const url of urls) {
      const [a, b, c] = await Promise.all([one, two, other].map((app) => app.inject({ method: 'GET', url })));
      assert.equal(b?.body, a?.body, url);
      assert.notEqual(c?.body, a?.body, url);
    }
  });

  test('history pages oldest first by cursor, bounded by before; without after it is the newest page, as before', async (t) => {
    const app = await build(t);
    const [busiest] = (await get<Page<Summary>>(app, '/v1/conversations?limit=1')).items as [Summary];
    const path = historyPath(busiest);
    const everything = await history(app, path, 1_000);
    assert.equal(everything.length, busiest.messageCount);

    const newest = await get<{ messages: OutboundMessage[]; next?: unknown }>(app, `${path}?limit=10`);
    assert.deepEqual(newest.messages, everything.slice(-10));
    assert.equal('next' in newest, false);
    const cut = (everything[20] as OutboundMessage).sentAt;
    assert.deepEqual((await get<{ messages: OutboundMessage[] }>(app, `${path}?limit=5&before=${cut}`)).messages, everything.slice(15, 20));

    const bounded = await get<{ messages: OutboundMessage[]; next: string | null }>(app, `${path}?limit=1000&after=start&before=${cut}`);
    assert.deepEqual(bounded.messages, everything.slice(0, 20));
    assert.equal(bounded.next, null);

    // A checkpointed cursor resumes exactly where it was handed out.
    const first = await get<{ messages: OutboundMessage[]; next: string }>(app, `${path}?limit=7&after=start`);
    const resumed = await get<{ messages: OutboundMessage[] }>(app, `${path}?limit=7&after=${first.next}`);
    assert.deepEqual(resumed.messages, everything.slice(7, 14));
  });

  test('live PUTs show in history and counts beside the generated past; a generated id is a duplicate', async (t) => {
    const app = await build(t);
    const [pair] = (await get<Page<Summary>>(app, '/v1/conversations?limit=1')).items as [Summary];
    const path = historyPath(pair);
    const past = await history(app, path, 1_000);
    const now = Date.now();

    const live: OutboundMessage = { id: 'live-1', from: pair.a as string, to: { type: 'user', id: pair.b as string }, payload: 'now 👋', sentAt: now };
    assert.equal((await put(app, live)).statusCode, 201);
    assert.equal((await put(app, live)).statusCode, 200);
    const generated = past[0] as OutboundMessage;
    const again = await put(app, { ...generated, payload: 'another body' });
    assert.equal(again.statusCode, 200);
    assert.deepEqual(again.json(), { id: generated.id, created: false });

    const merged = await history(app, path, 100);
    assert.deepEqual(merged, [...past, live]);
    assert.equal(merged.filter((m) => m.id === generated.id).length, 1);

    // A live conversation with someone outside the dataset is listed too, for the dataset user and in the export.
    const stranger: OutboundMessage = { id: 'live-2', from: 'ann', to: { type: 'user', id: pair.a as string }, payload: 'hi', sentAt: now + 1 };
    assert.equal((await put(app, stranger)).statusCode, 201);
    const mine = await all<Summary>(app, `/v1/users/${encodeURIComponent(pair.a as string)}/conversations`, 100);
    assert.equal(mine.find((c) => c.type === 'user' && c.id === pair.b)?.messageCount, pair.messageCount + 1);
    assert.deepEqual(mine.find((c) => c.id === 'ann'), { type: 'user', id: 'ann', messageCount: 1, lastActivityAt: now + 1 });

    const exported = await all<Summary>(app, '/v1/conversations', 1_000);
    const { totals } = await get<DatasetDescription>(app, '/_sim/dataset');
    assert.equal(exported.length, totals.conversations.total + 1);
    assert.equal(exported.reduce((sum, c) => sum + c.messageCount, 0), 3_000 + 2);
    assert.deepEqual(exported[exported.length - 1], { type: 'user', a: pair.a as string < 'ann' ? pair.a : 'ann', b: pair.a as string < 'ann' ? 'ann' : pair.a, messageCount: 1, lastActivityAt: now + 1 });
    assert.equal((await get<{ stored: number }>(app, '/_sim/stats')).stored, 2);
  });

  test('ids with #, %, ?, &, + and non-ASCII characters work as percent-encoded path segments', async (t) => {
    const app = await build(t, { dataset: { seed: 5, users: 400, messages: 8_000, groups: 30 } });
    const users = await all<{ id: string }>(app, '/v1/users', 1_000);
    const awkward = users.map((u) => u.id).filter((id) => /[#%?&+]|[^\u0000-\u007f]/u.test(id));
    assert.ok(awkward.length > 40, `${awkward.length} awkward ids`);
    for (const id of awkward) {
      const segment = encodeURIComponent(id);
      assert.equal((await get<{ id: string }>(app, `/v1/users/${segment}`)).id, id);
      for (const c of await all<Summary>(app, `/v1/users/${segment}/conversations`, 1_000)) {
        if (c.type !== 'user') continue;
        const messages = await history(app, `/v1/conversations/user/${segment}/${encodeURIComponent(c.id as string)}/messages`, 1_000);
        assert.equal(messages.length, c.messageCount, `${id} ↔ ${c.id}`);
      }
    }
    const groups = await all<{ id: string; memberCount: number }>(app, '/v1/groups', 1_000);
    const encodedGroup = groups.find((g) => encodeURIComponent(g.id) !== g.id);
    assert.ok(encodedGroup !== undefined);
    assert.equal((await all(app, `/v1/groups/${encodeURIComponent(encodedGroup.id)}/members`, 1_000)).length, encodedGroup.memberCount);
  });

  test('ids up to the contract\'s 256 characters work in a path, however long their percent-encoding', async (t) => {
    const app = await build(t, {});
    const id = 'm'.repeat(256);
    assert.equal((await put(app, { id, from: 'a', to: { type: 'channel', id: '李'.repeat(256) }, payload: 'x', sentAt: 1 })).statusCode, 201);
    const messages = await get<{ messages: OutboundMessage[] }>(app, `/v1/conversations/channel/${encodeURIComponent('李'.repeat(256))}/messages`);
    assert.deepEqual(messages.messages.map((m) => m.id), [id]);
  });

  test('over a real loopback connection, an encoded user id and its pages come back intact', async (t) => {
    const app = await build(t, { dataset: SPEC, apiKey: 'k' });
    const address = await app.listen({ port: 0, host: '127.0.0.1' });
    const headers = { authorization: 'Bearer k' };
    const users = (await get<Page<{ id: string }>>(app, '/v1/users?limit=1000', headers)).items;
    const reserved = users.find((u) => /[#%?&+]/.test(u.id));
    const international = users.find((u) => /[^\u0000-\u007f]/u.test(u.id));
    assert.ok(reserved !== undefined && international !== undefined);
    for (const user of [reserved, international]) {
      const reply = await request(`${address}/v1/users/${encodeURIComponent(user.id)}/conversations?limit=1000`, { headers });
      assert.equal(reply.statusCode, 200, user.id);
      const page = (await reply.body.json()) as Page<Summary>;
      assert.ok(page.items.length > 0);
      assert.deepEqual(page, await get<Page<Summary>>(app, `/v1/users/${encodeURIComponent(user.id)}/conversations?limit=1000`, headers));
      const [first] = page.items as [Summary];
      const path = first.type === 'channel' ? historyPath(first) : `/v1/conversations/user/${encodeURIComponent(user.id)}/${encodeURIComponent(first.id as string)}/messages`;
      const messages = await request(`${address}${path}?limit=1000&after=start`, { headers });
      assert.equal(((await messages.body.json()) as { messages: unknown[] }).messages.length, first.messageCount);
    }
    const unauthorized = await request(`${address}/v1/users`);
    assert.equal(unauthorized.statusCode, 401);
    await unauthorized.body.dump();
  });

  test('per-user lists: contacts, blocklist, read positions and settings page and refer to real things', async (t) => {
    const app = await build(t);
    const users = await all<{ id: string }>(app, '/v1/users', 1_000);
    const ids = new Set(users.map((u) => u.id));
    let reads = 0;
    let blocks = 0;
    for (const { id } of users) {
      const segment = encodeURIComponent(id);
      const contacts = await all<{ userId: string; state: string }>(app, `/v1/users/${segment}/contacts`, 3);
      assert.ok(contacts.every((c) => ids.has(c.userId) && ['accepted', 'pending_in', 'pending_out'].includes(c.state)));
      assert.deepEqual(contacts, (await get<Page<unknown>>(app, `/v1/users/${segment}/contacts?limit=1000`)).items);
      blocks += (await all<{ userId: string }>(app, `/v1/users/${segment}/blocklist`, 2)).length;

      const conversations = await all<Summary>(app, `/v1/users/${segment}/conversations`, 1_000);
      const positions = await all<{ type: string; id: string; lastReadMessageId: string; readAt: number }>(app, `/v1/users/${segment}/read-positions`, 4);
      for (const position of positions) {
        const c = conversations.find((x) => x.type === position.type && x.id === position.id);
        assert.ok(c !== undefined, 'a read position belongs to one of the user\'s conversations');
        const path = c.type === 'channel' ? historyPath(c) : `/v1/conversations/user/${segment}/${encodeURIComponent(c.id as string)}/messages`;
        assert.ok((await history(app, path, 1_000)).some((m) => m.id === position.lastReadMessageId));
      }
      reads += positions.length;

      const settings = await get<{ userId: string; notificationLevel: string; mutes: Array<{ id: string }>; custom: Record<string, string> }>(app, `/v1/users/${segment}/settings`);
      assert.equal(settings.userId, id);
      assert.ok(settings.mutes.every((m) => conversations.some((c) => c.id === m.id)));
      assert.equal(typeof settings.custom['theme'], 'string');
    }
    assert.ok(reads > 0 && blocks > 0, `${reads} read positions, ${blocks} blocks`);
  });

  test('unknown ids are 404, a bad or foreign cursor is 400, a limit over 1000 is 400', async (t) => {
    const app = await build(t);
    for (const url of ['/v1/users/nobody', '/v1/users/user999999/conversations', '/v1/users/nobody/settings', '/v1/groups/nothing', '/v1/groups/nothing/members']) {
      const reply = await app.inject({ method: 'GET', url });
      assert.equal(reply.statusCode, 404, url);
      assert.equal(reply.json().error.code, 'not_found');
    }
    assert.equal((await app.inject({ method: 'GET', url: '/v1/users?after=garbage' })).statusCode, 400);
    assert.equal((await app.inject({ method: 'GET', url: '/v1/users?limit=1001' })).statusCode, 400);
    const { next } = await get<Page<unknown>>(app, '/v1/users?limit=2');
    assert.equal((await app.inject({ method: 'GET', url: `/v1/groups?after=${next}` })).json().error.code, 'bad_cursor');
    await app.inject({ method: 'POST', url: '/_sim/dataset', payload: { ...SPEC, seed: 12 } });
    assert.match((await app.inject({ method: 'GET', url: `/v1/users?after=${next}` })).json().error.message, /another dataset/);
  });

  test('readErrorRate fails that share of reads with readStatus, never /health or PUTs, and a retrying reader still gets everything', async (t) => {
    let draws = 0;
    const app = await build(t, { dataset: SPEC, random: () => ((draws++ * 0.618_033_988_75) % 1) });
    await app.inject({ method: 'POST', url: '/_sim/faults', payload: { readErrorRate: 1, readStatus: 503 } });
    assert.equal((await app.inject({ method: 'GET', url: '/v1/users' })).statusCode, 503);
    assert.equal((await app.inject({ method: 'GET', url: '/v1/conversations/channel/x/messages' })).statusCode, 503);
    assert.equal((await app.inject({ method: 'GET', url: '/health' })).statusCode, 200);
    assert.equal((await put(app, { id: 'w1', from: 'a', to: { type: 'user', id: 'b' }, payload: 'x', sentAt: 1 })).statusCode, 201);

    await app.inject({ method: 'POST', url: '/_sim/faults', payload: { readErrorRate: 0.2 } });
    const seen: string[] = [];
    let after = 'start';
    let failures = 0;
    while (after !== null) {
      const reply = await app.inject({ method: 'GET', url: `/v1/users?limit=4&after=${after}` });
      if (reply.statusCode === 503) {
        failures++;
        continue; // retry the same cursor
      }
      const page = reply.json() as Page<{ id: string }>;
      seen.push(...page.items.map((u) => u.id));
      after = page.next as string;
    }
    assert.equal(seen.length, 60);
    assert.equal(new Set(seen).size, 60);
    assert.ok(failures > 0);
    const stats = await get<{ reads: number; readFailuresInjected: number }>(app, '/_sim/reads');
    assert.equal(stats.readFailuresInjected, failures + 2);
  });

  test('POST /_sim/dataset regenerates and GET describes it; bad fields are 400; reset goes back to the starting dataset', async (t) => {
    const app = await build(t);
    const first = await get<DatasetDescription>(app, '/_sim/dataset');
    assert.deepEqual(first.spec, { seed: 11, users: 60, messages: 3_000, groups: 4, peersPerUser: 8, maxGroupSize: 45 });

    const posted = await app.inject({ method: 'POST', url: '/_sim/dataset', payload: { seed: 3, users: 10, messages: 100 } });
    assert.equal(posted.statusCode, 200);
    const second = posted.json() as DatasetDescription;
    assert.deepEqual(await get(app, '/_sim/dataset'), second);
    assert.equal(second.totals.messages.total, 100);
    assert.notEqual(second.digest, first.digest);
    assert.equal((await get<Page<unknown>>(app, '/v1/users?limit=1000')).items.length, 10);

    const typo = await app.inject({ method: 'POST', url: '/_sim/dataset', payload: { user: 10 } });
    assert.equal(typo.statusCode, 400);
    const tooBig = await app.inject({ method: 'POST', url: '/_sim/dataset', payload: { users: 100_000_000 } });
    assert.equal(tooBig.statusCode, 400);
    assert.match(tooBig.json().error.message, /users must be an integer from 0 to 10000000/);

    const content = await get<{ contentDigest: string; items: { messages: number } }>(app, '/_sim/dataset/content-digest');
    assert.equal(content.items.messages, 100);
    await app.inject({ method: 'POST', url: '/_sim/reset' });
    assert.deepEqual(await get(app, '/_sim/dataset'), first);
  });

  test('without a dataset the sim serves only what was stored live, as it always did', async (t) => {
    const app = await build(t, {});
    assert.deepEqual(await get(app, '/v1/users'), { items: [], next: null });
    await put(app, { id: 'm1', from: 'ann', to: { type: 'channel', id: 'general' }, payload: 'x', sentAt: 5 });
    assert.deepEqual(await get(app, '/v1/conversations'), { items: [{ type: 'channel', id: 'general', messageCount: 1, lastActivityAt: 5 }], next: null });
    assert.equal((await get<{ messages: unknown[] }>(app, '/v1/conversations/channel/general/messages')).messages.length, 1);
  });
});

test('the CLI flags generate the dataset: two processes with the same flags describe the same data', async (t) => {
  const describe = async (): Promise<DatasetDescription> => {
    const child = spawn(process.execPath, [ENTRY, '--port', '0', '--seed', '42', '--users', '100', '--messages', '1000', '--groups', '3', '--exit-with-stdin'], { stdio: ['pipe', 'pipe', 'inherit'] });
    t.after(() => child.kill('SIGKILL'));
    const [line] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
    const { url } = JSON.parse(line) as { url: string };
    const reply = await request(`${url}/_sim/dataset`);
    const description = (await reply.body.json()) as DatasetDescription;
    child.kill('SIGTERM');
    await once(child, 'exit');
    return description;
  };
  const [one, two] = [await describe(), await describe()];
  assert.deepEqual(one, two);
  assert.deepEqual(one.spec, { seed: 42, users: 100, messages: 1_000, groups: 3, peersPerUser: 8, maxGroupSize: 5_000 });
  assert.equal(one.totals.messages.total, 1_000);
});
