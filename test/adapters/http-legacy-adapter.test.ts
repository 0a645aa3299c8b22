import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, test } from 'node:test';
import { AdapterError } from '../../src/adapters/adapter-error.js';
import { HttpLegacyAdapter, type HttpLegacyConfig } from '../../src/adapters/http-legacy-adapter.js';
import type { OutboundMessage, Peer } from '../../src/domain/message.js';
import { SimProcess } from '../support/sim-process.js';

function message(id: string, from: string, to: Peer, sentAt: number, payload = `payload of ${id}`): OutboundMessage {
  return { id, from, to, payload, sentAt };
}

const user = (id: string): Peer => ({ type: 'user', id });
const channel = (id: string): Peer => ({ type: 'channel', id });

/** The error `promise` rejects with, which must be an AdapterError. */
async function failureOf(promise: Promise<unknown>): Promise<AdapterError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof AdapterError, `expected an AdapterError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected the call to fail');
}

const opened: HttpLegacyAdapter[] = [];
const sims: SimProcess[] = [];

function adapterFor(target: SimProcess, config: Partial<HttpLegacyConfig> = {}): HttpLegacyAdapter {
  const adapter = new HttpLegacyAdapter({ baseUrl: target.url, timeoutMs: 1_000, retries: 2, connections: 4, ...config });
  opened.push(adapter);
  return adapter;
}

async function startSim(options: Parameters<typeof SimProcess.start>[0] = {}): Promise<SimProcess> {
  const started = await SimProcess.start(options);
  sims.push(started);
  return started;
}

after(async () => {
  await Promise.all(opened.map((adapter) => adapter.close()));
  await Promise.all(sims.map((s) => s.destroy()));
});

describe('HttpLegacyAdapter against the legacy IM sim', () => {
  let sim: SimProcess;
  before(async () => {
    sim = await startSim();
  });
  beforeEach(async () => {
    await sim.reset();
  });

  test('a user message is readable from the pair named either way round, oldest first, and not from another pair', async () => {
    const adapter = adapterFor(sim);
    const later = message('m2', 'bob', user('alice'), 2_000);
    const earlier = { ...message('m1', 'alice', user('bob'), 1_000), kind: 'text' };
    await adapter.sendToUser(later);
    await adapter.sendToUser(earlier);
    await adapter.sendToUser(message('m3', 'alice', user('carol'), 1_500));

    const forward = await adapter.history({ conversation: { type: 'user', a: 'alice', b: 'bob' }, limit: 10 });
    const backward = await adapter.history({ conversation: { type: 'user', a: 'bob', b: 'alice' }, limit: 10 });
    assert.deepEqual(forward, [earlier, later]);
    assert.deepEqual(backward, forward);
  });

  test('history gives the newest `limit` messages strictly before `before`, oldest first', async () => {
    const adapter = adapterFor(sim);
    for (let i = 1; i <= 10; i++) await adapter.sendToUser(message(`h${i}`, i % 2 ? 'ann' : 'ben', user(i % 2 ? 'ben' : 'ann'), i * 1_000));
    const conversation = { type: 'user', a: 'ann', b: 'ben' } as const;
    const ids = (list: OutboundMessage[]): string[] => list.map((m) => m.id);

    assert.deepEqual(ids(await adapter.history({ conversation, limit: 3 })), ['h8', 'h9', 'h10']);
    assert.deepEqual(ids(await adapter.history({ conversation, limit: 3, before: 6_000 })), ['h3', 'h4', 'h5']);
    assert.deepEqual(ids(await adapter.history({ conversation, limit: 3, before: 2_500 })), ['h1', 'h2']);
    assert.deepEqual(ids(await adapter.history({ conversation, limit: 3, before: 1_000 })), []);
  });

  test('a channel message is read back from that channel only, apart from a user of the same name', async () => {
    const adapter = adapterFor(sim);
    await adapter.sendToChannel(message('c1', 'ann', channel('general'), 1_000));
    await adapter.sendToChannel(message('c2', 'ben', channel('general'), 2_000));
    await adapter.sendToChannel(message('c3', 'ann', channel('random'), 1_500));
    await adapter.sendToUser(message('u1', 'ann', user('general'), 1_200));

    const general = await adapter.history({ conversation: { type: 'channel', id: 'general' }, limit: 10 });
    assert.deepEqual(general.map((m) => m.id), ['c1', 'c2']);
  });

  test('re-sending an id stores one copy (the first) and the sim counts one suppressed duplicate', async () => {
    const adapter = adapterFor(sim);
    const first = message('dup', 'ann', user('ben'), 1_000, 'first');
    await adapter.sendToUser(first);
    await adapter.sendToUser({ ...first, payload: 'second' });

    const stats = await sim.stats();
    assert.equal(stats.stored, 1);
    assert.equal(stats.duplicatesSuppressed, 1);
    const history = await adapter.history({ conversation: { type: 'user', a: 'ann', b: 'ben' }, limit: 10 });
    assert.deepEqual(history.map((m) => m.payload), ['first']);
  });

  test('a server failing every PUT with 503 gives vendor_error 503 after exactly retries + 1 attempts', async () => {
    const adapter = adapterFor(sim, { retries: 2 });
    await sim.setFaults({ errorRate: 1 });

    const err = await failureOf(adapter.sendToUser(message('x1', 'ann', user('ben'), 1_000)));
    assert.equal(err.failure, 'vendor_error');
    assert.equal(err.vendorCode, 503);
    assert.equal(err.retryable, true);
    assert.deepEqual(await sim.stats(), { stored: 0, duplicatesSuppressed: 0, puts: 3, failuresInjected: 3 });
  });

  test('a 429 is retried like a 5xx and reported as vendor_error 429', async () => {
    const adapter = adapterFor(sim, { retries: 1 });
    await sim.setFaults({ errorRate: 1, status: 429 });

    const err = await failureOf(adapter.sendToChannel(message('x2', 'ann', channel('general'), 1_000)));
    assert.equal(err.failure, 'vendor_error');
    assert.equal(err.vendorCode, 429);
    assert.equal((await sim.stats()).puts, 2);
  });

  test('a permanent 4xx answer is rejected after one attempt, never retried', async () => {
    const adapter = adapterFor(sim, { retries: 3 });
    await sim.setFaults({ errorRate: 1, status: 400 });

    const err = await failureOf(adapter.sendToUser(message('x3', 'ann', user('ben'), 1_000)));
    assert.equal(err.failure, 'rejected');
    assert.equal(err.vendorCode, 400);
    assert.equal(err.retryable, false);
    assert.equal((await sim.stats()).puts, 1);
  });

  test('an ambiguous failure (stored, then 503) is retried into exactly one stored copy', async () => {
    const adapter = adapterFor(sim, { retries: 1 });
    await sim.setFaults({ errorRate: 1, failAfterStore: true });

    const err = await failureOf(adapter.sendToUser(message('x4', 'ann', user('ben'), 1_000)));
    assert.equal(err.failure, 'vendor_error');
    assert.deepEqual(await sim.stats(), { stored: 1, duplicatesSuppressed: 1, puts: 2, failuresInjected: 2 });
  });

  test('a reply slower than timeoutMs fails as timeout, each attempt cut at the deadline', async () => {
    const adapter = adapterFor(sim, { timeoutMs: 100, retries: 1 });
    await sim.setFaults({ latencyMs: 1_500 });

    const startedAt = performance.now();
    const err = await failureOf(adapter.sendToUser(message('x5', 'ann', user('ben'), 1_000)));
    const elapsed = performance.now() - startedAt;
    assert.equal(err.failure, 'timeout');
    // Two 100 ms attempts and one backoff of at most 50 ms; without a deadline it would wait 1.5 s.
    assert.ok(elapsed < 1_000, `took ${Math.round(elapsed)} ms`);
    assert.equal((await sim.stats()).puts, 2);
  });

  test('the deadline counts time spent queued behind a full pool, not only the wait for the reply', async () => {
    const adapter = adapterFor(sim, { connections: 1, timeoutMs: 600, retries: 0 });
    await sim.setFaults({ latencyMs: 400 });

    // One connection: the second send waits ~400 ms for it, then 400 ms for its reply, past 600 ms in all.
    const [first, second] = await Promise.allSettled([
      adapter.sendToUser(message('q1', 'ann', user('ben'), 1_000)),
      adapter.sendToUser(message('q2', 'ann', user('ben'), 2_000)),
    ]);
    assert.equal(first.status, 'fulfilled');
    assert.equal(second.status, 'rejected');
    assert.ok(second.reason instanceof AdapterError && second.reason.failure === 'timeout', String(second.reason));
  });

  test('ids with reserved URL characters round-trip through the path', async () => {
    const adapter = adapterFor(sim);
    const odd = message('a/b c?d#e%f', 'ann/x', user('ben?y'), 1_000);
    await adapter.sendToUser(odd);
    assert.deepEqual(await sim.messageIds(), [odd.id]);
    assert.deepEqual(await adapter.history({ conversation: { type: 'user', a: 'ben?y', b: 'ann/x' }, limit: 1 }), [odd]);
  });

  test('history reads are retried and classified like sends (down → vendor_error 503)', async () => {
    const adapter = adapterFor(sim, { retries: 1 });
    await sim.setFaults({ down: true });

    const err = await failureOf(adapter.history({ conversation: { type: 'channel', id: 'general' }, limit: 5 }));
    assert.equal(err.failure, 'vendor_error');
    assert.equal(err.vendorCode, 503);
    assert.equal((await sim.stats()).failuresInjected, 2);
  });

  test('health is ok on a live server and not ok, without throwing, when it is down or slower than the health deadline', async () => {
    const adapter = adapterFor(sim, { timeoutMs: 200 });
    assert.deepEqual(await adapter.health(), { ok: true });

    await sim.setFaults({ down: true });
    const down = await adapter.health();
    assert.equal(down.ok, false);
    assert.match(down.detail ?? '', /503/);

    await sim.setFaults({ down: false, latencyMs: 1_500 });
    const startedAt = performance.now();
    const slow = await adapter.health();
    assert.equal(slow.ok, false);
    assert.ok(performance.now() - startedAt < 1_000, 'health waited past its deadline');
  });
});

test('a stopped server fails sends as unavailable; after a restart the same adapter works and earlier messages are still there', async () => {
  const sim = await startSim();
  const adapter = adapterFor(sim, { retries: 1 });
  await adapter.sendToUser(message('before-stop', 'ann', user('ben'), 1_000));

  assert.equal(await sim.stop(), 0);
  const err = await failureOf(adapter.sendToUser(message('while-down', 'ann', user('ben'), 2_000)));
  assert.equal(err.failure, 'unavailable');
  const health = await adapter.health();
  assert.equal(health.ok, false);
  assert.match(health.detail ?? '', /ECONNREFUSED/);

  await sim.restart();
  await adapter.sendToUser(message('after-restart', 'ann', user('ben'), 3_000));
  assert.deepEqual((await sim.messageIds()).sort(), ['after-restart', 'before-stop']);
  const history = await adapter.history({ conversation: { type: 'user', a: 'ann', b: 'ben' }, limit: 10 });
  assert.deepEqual(history.map((m) => m.id), ['before-stop', 'after-restart']);
});

test('a wrong API key is rejected with 401 after one attempt; the right key is accepted', async () => {
  const sim = await startSim({ apiKey: 'right-key' });
  const wrong = adapterFor(sim, { apiKey: 'wrong-key', retries: 2 });
  const right = adapterFor(sim, { apiKey: 'right-key' });

  const err = await failureOf(wrong.sendToUser(message('k1', 'ann', user('ben'), 1_000)));
  assert.equal(err.failure, 'rejected');
  assert.equal(err.vendorCode, 401);
  assert.equal((await wrong.health()).ok, false);
  assert.equal((await sim.stats()).puts, 1);

  await right.sendToUser(message('k2', 'ann', user('ben'), 1_000));
  assert.deepEqual(await sim.messageIds(), ['k2']);
  assert.deepEqual(await right.health(), { ok: true });
});

test('a malformed config fails at construction, naming the field', () => {
  const base: HttpLegacyConfig = { baseUrl: 'http://127.0.0.1:1', timeoutMs: 100, retries: 0, connections: 1 };
  assert.throws(() => new HttpLegacyAdapter({ ...base, baseUrl: 'not a url' }), /baseUrl/);
  assert.throws(() => new HttpLegacyAdapter({ ...base, timeoutMs: 0 }), /timeoutMs/);
  assert.throws(() => new HttpLegacyAdapter({ ...base, retries: 1.5 }), /retries/);
  assert.throws(() => new HttpLegacyAdapter({ ...base, connections: 0 }), /connections/);
});

test('no id walks out of its path segment: dot-only ids are percent-encoded like slashes and controls, under the base path', async (t) => {
  // A bare server recording each request line's path as it arrived on the wire.
  const paths: string[] = [];
  const server = createServer((request, response) => {
    paths.push(request.url!);
    request.resume();
    response.writeHead(200, { 'content-type': 'application/json' }).end(request.method === 'GET' ? '{"messages":[]}' : '{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const adapter = new HttpLegacyAdapter({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/im/`, timeoutMs: 1_000, retries: 0, connections: 1 });
  t.after(async () => {
    await adapter.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  for (const id of ['..', '.', '...', 'a/../b', '%2E%2E', 'a\u0000b', 'x?y#z', '.a']) await adapter.sendToUser(message(id, 'ann', user('ben'), 1_000));
  await adapter.history({ conversation: { type: 'user', a: '..', b: '.' }, limit: 5 });
  await adapter.history({ conversation: { type: 'channel', id: '..' }, limit: 5 });

  assert.deepEqual(paths, [
    '/im/v1/messages/%2E%2E',
    '/im/v1/messages/%2E',
    '/im/v1/messages/%2E%2E%2E',
    '/im/v1/messages/a%2F..%2Fb',
    '/im/v1/messages/%252E%252E',
    '/im/v1/messages/a%00b',
    '/im/v1/messages/x%3Fy%23z',
    '/im/v1/messages/.a',
    '/im/v1/conversations/user/%2E%2E/%2E/messages?limit=5',
    '/im/v1/conversations/channel/%2E%2E/messages?limit=5',
  ]);
});
