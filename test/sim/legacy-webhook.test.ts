import assert from 'node:assert/strict';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, test, type TestContext } from 'node:test';
import { buildLegacyImServer, type LegacyImServerOptions, type SimStats } from '../../src/sim/legacy-im-app.js';
import { AfterSendWebhook, type MessageSentEvent, type WebhookSettings, type WebhookStats } from '../../src/sim/legacy-im-webhook.js';
import { SimProcess } from '../support/sim-process.js';
import { callJson } from '../support/json-call.js';

const SECRET = 'whsec-test';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

interface Delivery {
  headers: IncomingHttpHeaders;
  body: string;
}

/** What the receiver answers to its `index`-th request (0-based), maybe later; 'hang' never answers. */
type Answer = (index: number) => number | 'hang' | Promise<number>;

interface Receiver {
  url: string;
  deliveries: Delivery[];
  /** Most requests it held open at once. */
  maxOpen: number;
}

async function startReceiver(t: TestContext, answer: Answer = () => 200): Promise<Receiver> {
  const receiver: Receiver = { url: '', deliveries: [], maxOpen: 0 };
  let open = 0;
  const server = createServer((req, res) => {
    open++;
    receiver.maxOpen = Math.max(receiver.maxOpen, open);
    res.on('close', () => open--);
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const index = receiver.deliveries.length;
      receiver.deliveries.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      const status = answer(index);
      if (status === 'hang') return;
      void Promise.resolve(status).then((code) => res.writeHead(code, { 'content-type': 'text/plain' }).end('ok'));
    });
  });
  await listen(server);
  t.after(() => closeServer(server));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/im`;
  return receiver;
}

async function listen(server: Server): Promise<void> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
}

async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise((done) => server.close(done));
}

/** A loopback URL nothing listens on: connecting is refused. */
async function refusingUrl(): Promise<string> {
  const server = createServer();
  await listen(server);
  const { port } = server.address() as AddressInfo;
  await closeServer(server);
  return `http://127.0.0.1:${port}/hooks/im`;
}

async function startSim(t: TestContext, options: LegacyImServerOptions = {}): Promise<string> {
  const app = buildLegacyImServer(options);
  t.after(() => app.close());
  await app.listen({ port: 0, host: '127.0.0.1' });
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
}

const call = callJson;

async function ok<T>(url: string, method: 'GET' | 'POST' | 'PUT', body?: unknown): Promise<T> {
  const reply = await call(url, method, body);
  assert.ok(reply.status === 200 || reply.status === 201, `${method} ${url}: ${reply.status} ${JSON.stringify(reply.body)}`);
  return reply.body as T;
}

const clientSend = (sim: string, body: object): Promise<{ status: number; body: any }> => call(`${sim}/v1/client/messages`, 'POST', body);
const webhookStats = (sim: string): Promise<WebhookStats> => ok<WebhookStats>(`${sim}/_sim/webhook/stats`, 'GET');
const simStats = (sim: string): Promise<SimStats> => ok<SimStats>(`${sim}/_sim/stats`, 'GET');

async function waitFor<T>(what: string, read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value)}`);
    await sleep(10);
  }
}

/** Waits until `events` events were enqueued and none is pending any more. */
function settled(sim: string, events: number): Promise<WebhookStats> {
  return waitFor(`${events} settled events`, () => webhookStats(sim), (s) => s.events === events && s.queued === 0 && s.inFlight === 0, 10_000);
}

/** The receiver's check, verbatim from the contract doc. */
function verifiedAsDocumented(secret: string, timestamp: string, rawBody: Buffer, signature: string): boolean {
  const expected = Buffer.from('v1=' + createHmac('sha256', secret).update(`${timestamp}.`).update(rawBody).digest('hex'));
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected) && Math.abs(Date.now() - Number(timestamp)) < 300_000;
}

function verified(secret: string, delivery: Delivery): boolean {
  return verifiedAsDocumented(secret, String(delivery.headers['x-im-timestamp']), Buffer.from(delivery.body), String(delivery.headers['x-im-signature']));
}

const eventOf = (delivery: Delivery): MessageSentEvent => JSON.parse(delivery.body) as MessageSentEvent;
const dm = (from: string, to: string, payload: string): object => ({ from, to: { type: 'user', id: to }, payload });

describe('legacy IM sim: client sends and the after-send webhook', { concurrency: true }, () => {
  test('a client send is stored and delivers exactly one event, signed with the secret and stamped now', async (t) => {
    const receiver = await startReceiver(t);
    const sim = await startSim(t, { webhook: { url: receiver.url, secret: SECRET } });
    const before = Date.now();
    const sent = await clientSend(sim, { ...dm('alice', 'bob', 'hi 👋 "bob"'), kind: 'text' });
    assert.equal(sent.status, 201);
    assert.match(sent.body.id, /^c-[0-9a-f-]{36}$/);
    assert.equal(sent.body.created, true);
    assert.ok(sent.body.sentAt >= before && sent.body.sentAt <= Date.now());

    const stats = await settled(sim, 1);
    assert.deepEqual(stats, { queued: 0, inFlight: 0, events: 1, delivered: 1, attempts: 1, failedAttempts: 0, injectedFailures: 0, gaveUp: 0, rejected: 0, dropped: 0 });
    assert.equal(receiver.deliveries.length, 1);
    const [delivery] = receiver.deliveries as [Delivery];
    assert.equal(delivery.headers['content-type'], 'application/json');
    const event = eventOf(delivery);
    assert.equal(event.type, 'message.sent');
    assert.match(event.eventId, UUID);
    assert.deepEqual(event.message, { id: sent.body.id, from: 'alice', to: { type: 'user', id: 'bob' }, payload: 'hi 👋 "bob"', kind: 'text', sentAt: sent.body.sentAt });
    assert.ok(verified(SECRET, delivery), 'the signature verifies with the secret');
    assert.ok(!verified('another-secret', delivery), 'and not with another one');
    const timestamp = Number(delivery.headers['x-im-timestamp']);
    assert.ok(timestamp >= sent.body.sentAt && timestamp <= Date.now(), `timestamp ${timestamp} is fresh`);

    const history = await ok<{ messages: Array<{ id: string }> }>(`${sim}/v1/conversations/user/bob/alice/messages`, 'GET');
    assert.deepEqual(history.messages.map((m) => m.id), [sent.body.id]);
    const counters = await simStats(sim);
    assert.equal(counters.clientSends, 1);
    assert.equal(counters.stored, 1);
    assert.equal(counters.puts, 0);
  });

  test('messages stored through the server API PUT or an import fire no event; only the client send does', async (t) => {
    const receiver = await startReceiver(t);
    const sim = await startSim(t, { webhook: { url: receiver.url, secret: SECRET } });
    assert.equal((await call(`${sim}/v1/messages/p1`, 'PUT', { ...dm('alice', 'bob', 'via gateway'), sentAt: 1 })).status, 201);
    const imported = await ok<{ created: number }>(`${sim}/v1/import/messages`, 'POST', {
      messages: [{ id: 'i1', ...dm('alice', 'bob', 'imported'), sentAt: 2 }, { id: 'i2', ...dm('bob', 'alice', 'imported'), sentAt: 3 }],
    });
    assert.equal(imported.created, 2);
    const sent = await clientSend(sim, { id: 'c1', ...dm('alice', 'bob', 'from the app') });
    assert.equal(sent.status, 201);

    const stats = await settled(sim, 1);
    assert.equal(stats.delivered, 1);
    assert.deepEqual(receiver.deliveries.map((d) => eventOf(d).message.id), ['c1']);
    assert.equal((await simStats(sim)).stored, 4);
  });

  test('a receiver answering 503 twice then 200 gets three attempts: same eventId and body, fresh timestamps and signatures', async (t) => {
    const receiver = await startReceiver(t, (i) => (i < 2 ? 503 : 200));
    const sim = await startSim(t, { webhook: { url: receiver.url, secret: SECRET, backoffMs: 5 } });
    assert.equal((await clientSend(sim, dm('alice', 'bob', 'retry me'))).status, 201);

    const stats = await settled(sim, 1);
    assert.deepEqual(stats, { queued: 0, inFlight: 0, events: 1, delivered: 1, attempts: 3, failedAttempts: 2, injectedFailures: 0, gaveUp: 0, rejected: 0, dropped: 0 });
    assert.equal(receiver.deliveries.length, 3);
    const bodies = new Set(receiver.deliveries.map((d) => d.body));
    assert.equal(bodies.size, 1, 'every attempt sends the same bytes');
    assert.equal(new Set(receiver.deliveries.map((d) => eventOf(d).eventId)).size, 1);
    const timestamps = receiver.deliveries.map((d) => Number(d.headers['x-im-timestamp']));
    assert.equal(new Set(timestamps).size, 3, `distinct timestamps ${timestamps.join(', ')}`);
    assert.deepEqual([...timestamps].sort((a, b) => a - b), timestamps, 'timestamps increase');
    for (const delivery of receiver.deliveries) assert.ok(verified(SECRET, delivery));
  });

  test('408 and 429 are retried like a 5xx, while a 400 is given up at once as rejected', async (t) => {
    const retried = await startReceiver(t, (i) => [408, 429, 500, 200][i] ?? 200);
    const refused = await startReceiver(t, () => 400);
    const sim = await startSim(t, { webhook: { url: retried.url, secret: SECRET, backoffMs: 2 } });
    await clientSend(sim, dm('alice', 'bob', 'one'));
    assert.equal((await settled(sim, 1)).attempts, 4);
    assert.equal(retried.deliveries.length, 4);

    await ok(`${sim}/_sim/reset`, 'POST');
    await ok(`${sim}/_sim/webhook`, 'POST', { url: refused.url });
    await clientSend(sim, dm('alice', 'bob', 'two'));
    await settled(sim, 1);
    await sleep(50); // well past any backoff of 2 ms: a retry would have landed
    assert.deepEqual(await webhookStats(sim), { queued: 0, inFlight: 0, events: 1, delivered: 0, attempts: 1, failedAttempts: 1, injectedFailures: 0, gaveUp: 0, rejected: 1, dropped: 0 });
    assert.equal(refused.deliveries.length, 1);
  });

  test('failRate 0.3 over 200 client sends: every event arrives, some more than once, and each is delivered once in the stats', async (t) => {
    const receiver = await startReceiver(t);
    // 30 attempts: an event failing all of them (0.3^30) is not a risk this test takes.
    const sim = await startSim(t, { webhook: { url: receiver.url, secret: SECRET, failRate: 0.3, backoffMs: 2, maxAttempts: 30 } });
    const ids: string[] = [];
    for (let batch = 0; batch < 10; batch++) {
      const replies = await Promise.all(Array.from({ length: 20 }, (_, i) => clientSend(sim, { id: `f-${batch}-${i}`, ...dm('alice', 'bob', `n${batch * 20 + i}`) })));
      for (const reply of replies) {
        assert.equal(reply.status, 201);
        ids.push(reply.body.id);
      }
    }

    const stats = await settled(sim, 200);
    assert.equal(stats.delivered, 200);
    assert.ok(stats.attempts > 200, `attempts ${stats.attempts}`);
    assert.equal(stats.attempts, 200 + stats.injectedFailures);
    assert.equal(stats.failedAttempts, stats.injectedFailures);
    assert.equal(stats.gaveUp, 0);
    assert.equal(receiver.deliveries.length, stats.attempts, 'the receiver got every attempt, the failed ones too');

    const timesSeen = new Map<string, number>();
    const messageOf = new Map<string, string>();
    for (const delivery of receiver.deliveries) {
      assert.ok(verified(SECRET, delivery));
      const event = eventOf(delivery);
      timesSeen.set(event.eventId, (timesSeen.get(event.eventId) ?? 0) + 1);
      messageOf.set(event.eventId, event.message.id);
    }
    assert.equal(timesSeen.size, 200, 'one eventId per client send');
    assert.deepEqual([...new Set(messageOf.values())].sort(), [...ids].sort(), 'every message arrived at least once');
    assert.ok([...timesSeen.values()].some((n) => n > 1), 'some events arrived more than once');
  });

  test('a receiver that refuses connections gets maxAttempts attempts, then the event is given up', async (t) => {
    const sim = await startSim(t, { webhook: { url: await refusingUrl(), secret: SECRET, maxAttempts: 3, backoffMs: 5 } });
    assert.equal((await clientSend(sim, dm('alice', 'bob', 'nobody home'))).status, 201);
    const stats = await settled(sim, 1);
    assert.deepEqual(stats, { queued: 0, inFlight: 0, events: 1, delivered: 0, attempts: 3, failedAttempts: 3, injectedFailures: 0, gaveUp: 1, rejected: 0, dropped: 0 });
  });

  test('an attempt the receiver does not answer within timeoutMs is retried', async (t) => {
    const receiver = await startReceiver(t, (i) => (i === 0 ? 'hang' : 200));
    const sim = await startSim(t, { webhook: { url: receiver.url, secret: SECRET, timeoutMs: 100, backoffMs: 1 } });
    await clientSend(sim, dm('alice', 'bob', 'slow'));
    const stats = await settled(sim, 1);
    assert.equal(stats.delivered, 1);
    assert.equal(stats.attempts, 2);
    assert.equal(stats.failedAttempts, 1);
  });

  test('a client send of an id already held answers 200 created:false with the held sentAt, and fires no second event', async (t) => {
    const receiver = await startReceiver(t);
    const sim = await startSim(t, { webhook: { url: receiver.url, secret: SECRET } });
    const first = await clientSend(sim, { id: 'dup', ...dm('alice', 'bob', 'first') });
    const again = await clientSend(sim, { id: 'dup', ...dm('alice', 'bob', 'second copy') });
    assert.equal(first.status, 201);
    assert.deepEqual(again, { status: 200, body: { id: 'dup', created: false, sentAt: first.body.sentAt } });
    await call(`${sim}/v1/messages/put-1`, 'PUT', { ...dm('alice', 'bob', 'gateway'), sentAt: 7 });
    assert.deepEqual(await clientSend(sim, { id: 'put-1', ...dm('alice', 'bob', 'app') }), { status: 200, body: { id: 'put-1', created: false, sentAt: 7 } });

    const stats = await settled(sim, 1);
    assert.equal(stats.delivered, 1);
    assert.equal(receiver.deliveries.length, 1);
    const counters = await simStats(sim);
    assert.equal(counters.clientSends, 1);
    assert.equal(counters.duplicatesSuppressed, 2);
    assert.deepEqual(await ok(`${sim}/_sim/payloads`, 'GET'), { messages: [{ id: 'dup', payload: 'first' }, { id: 'put-1', payload: 'gateway' }] });
  });

  test('no more than concurrency deliveries are in flight; the rest wait and are all delivered', async (t) => {
    let release = (): void => undefined;
    const gate = new Promise<number>((open) => (release = () => open(200)));
    const receiver = await startReceiver(t, () => gate);
    const sim = await startSim(t, { webhook: { url: receiver.url, secret: SECRET, concurrency: 2 } });
    for (let i = 0; i < 8; i++) await clientSend(sim, dm('alice', 'bob', `m${i}`));
    const during = await waitFor('two attempts held by the receiver', () => webhookStats(sim), () => receiver.deliveries.length === 2);
    assert.equal(during.inFlight, 2);
    assert.equal(during.queued, 6);
    release();
    assert.equal((await settled(sim, 8)).delivered, 8);
    assert.equal(receiver.deliveries.length, 8);
    assert.equal(receiver.maxOpen, 2);
  });

  test('the client send route needs the api key and obeys down like every contract route, storing nothing then', async (t) => {
    const receiver = await startReceiver(t);
    const sim = await startSim(t, { apiKey: 'k', webhook: { url: receiver.url, secret: SECRET } });
    assert.equal((await clientSend(sim, dm('alice', 'bob', 'x'))).status, 401);
    await ok(`${sim}/_sim/faults`, 'POST', { down: true });
    assert.equal((await call(`${sim}/v1/client/messages`, 'POST', dm('alice', 'bob', 'x'), { authorization: 'Bearer k' })).status, 503);
    await ok(`${sim}/_sim/faults`, 'POST', { down: false });
    assert.equal((await call(`${sim}/v1/client/messages`, 'POST', { from: 'alice', payload: 'no to' }, { authorization: 'Bearer k' })).status, 400);
    assert.equal((await call(`${sim}/v1/client/messages`, 'POST', dm('alice', 'bob', 'x'), { authorization: 'Bearer k' })).status, 201);
    assert.equal((await settled(sim, 1)).delivered, 1);
    assert.equal((await simStats(sim)).stored, 1);
  });

  test('/_sim/webhook merges a partial config, hides the secret, and refuses unknown fields and values out of range by name', async (t) => {
    const sim = await startSim(t);
    const initial = await ok<WebhookSettings>(`${sim}/_sim/webhook`, 'GET');
    assert.deepEqual(initial, { url: null, failRate: 0, maxAttempts: 8, backoffMs: 100, timeoutMs: 5_000, concurrency: 16, secretSet: false });

    const noSecret = await call(`${sim}/_sim/webhook`, 'POST', { url: 'http://127.0.0.1:9/x' });
    assert.equal(noSecret.status, 400);
    assert.match(noSecret.body.error.message, /secret/);
    const set = await ok<WebhookSettings>(`${sim}/_sim/webhook`, 'POST', { url: 'http://127.0.0.1:9/x', secret: 's', failRate: 0.5 });
    assert.deepEqual(set, { ...initial, url: 'http://127.0.0.1:9/x', failRate: 0.5, secretSet: true });
    assert.ok(!JSON.stringify(await ok(`${sim}/_sim/webhook`, 'GET')).includes('"s"'), 'the secret is never answered');

    for (const [patch, named] of [
      [{ failrate: 1 }, /unknown webhook field: failrate/],
      [{ failRate: 1.5 }, /failRate must be a number from 0 to 1/],
      [{ maxAttempts: 0 }, /maxAttempts must be an integer from 1 to 100/],
      [{ backoffMs: 2.5 }, /backoffMs must be an integer/],
      [{ concurrency: 'many' }, /concurrency must be an integer/],
      [{ url: 'ftp://x' }, /url must be an absolute http\(s\) URL/],
      [{ secret: '' }, /secret must be a string/],
    ] as const) {
      const reply = await call(`${sim}/_sim/webhook`, 'POST', patch);
      assert.equal(reply.status, 400, JSON.stringify(patch));
      assert.match(reply.body.error.message, named);
    }
    assert.deepEqual(await ok(`${sim}/_sim/webhook`, 'GET'), set, 'a refused patch changes nothing');
    assert.throws(() => buildLegacyImServer({ webhook: { url: 'http://127.0.0.1:9/x' } }), /webhook url needs a secret/);
  });

  test('without a url events are dropped and counted; reset clears queue and stats and keeps the config', async (t) => {
    const receiver = await startReceiver(t, () => 'hang');
    const sim = await startSim(t, { webhook: { secret: SECRET } });
    await clientSend(sim, dm('alice', 'bob', 'nowhere'));
    assert.deepEqual(await webhookStats(sim), { queued: 0, inFlight: 0, events: 1, delivered: 0, attempts: 0, failedAttempts: 0, injectedFailures: 0, gaveUp: 0, rejected: 0, dropped: 1 });

    await ok(`${sim}/_sim/webhook`, 'POST', { url: receiver.url, concurrency: 1 });
    await clientSend(sim, dm('alice', 'bob', 'held'));
    await clientSend(sim, dm('alice', 'bob', 'waiting'));
    await waitFor('one attempt in flight', () => webhookStats(sim), (s) => s.inFlight === 1 && s.queued === 1);
    await ok(`${sim}/_sim/reset`, 'POST');
    assert.deepEqual(await webhookStats(sim), { queued: 0, inFlight: 0, events: 0, delivered: 0, attempts: 0, failedAttempts: 0, injectedFailures: 0, gaveUp: 0, rejected: 0, dropped: 0 });
    assert.equal((await ok<WebhookSettings>(`${sim}/_sim/webhook`, 'GET')).url, receiver.url);
    assert.equal((await simStats(sim)).clientSends, 0);
  });

  test('close drops the pending events, counting them, aborts the attempt in flight and refuses new ones', async (t) => {
    const receiver = await startReceiver(t, () => 'hang');
    const webhook = new AfterSendWebhook({ url: receiver.url, secret: SECRET, concurrency: 1 });
    const message = { id: 'x', from: 'alice', to: { type: 'user' as const, id: 'bob' }, payload: 'p', sentAt: 1 };
    webhook.enqueue(message);
    webhook.enqueue({ ...message, id: 'y' });
    await waitFor('the first attempt in flight', async () => receiver.deliveries.length, (n) => n === 1);
    const startedAt = performance.now();
    await webhook.close();
    assert.ok(performance.now() - startedAt < 1_000, 'close does not wait for the receiver');
    webhook.enqueue({ ...message, id: 'z' });
    assert.deepEqual(webhook.stats(), { queued: 0, inFlight: 0, events: 3, delivered: 0, attempts: 1, failedAttempts: 0, injectedFailures: 0, gaveUp: 0, rejected: 0, dropped: 3 });
  });
});

describe('legacy IM sim process: the webhook flags', { concurrency: true }, () => {
  test('--webhook-url with the secret from LEGACY_IM_WEBHOOK_SECRET signs client sends; SIGTERM exits at once with a delivery hanging', async (t) => {
    const receiver = await startReceiver(t);
    const hanging = await startReceiver(t, () => 'hang');
    const sim = await SimProcess.start({ apiKey: 'k', webhookUrl: receiver.url, webhookSecret: SECRET });
    t.after(() => sim.destroy());
    const settings = await sim.webhook();
    assert.equal(settings.url, receiver.url);
    assert.equal(settings.secretSet, true);

    const sent = await sim.clientSend({ from: 'alice', to: { type: 'channel', id: 'general' }, payload: 'hello all' });
    assert.equal(sent.status, 201);
    await waitFor('the delivery', () => sim.webhookStats(), (s) => s.delivered === 1);
    assert.equal(receiver.deliveries.length, 1);
    assert.ok(verified(SECRET, receiver.deliveries[0] as Delivery));
    assert.deepEqual(eventOf(receiver.deliveries[0] as Delivery).message, { id: sent.body.id, from: 'alice', to: { type: 'channel', id: 'general' }, payload: 'hello all', sentAt: sent.body.sentAt });

    assert.equal((await sim.setWebhook({ url: hanging.url, timeoutMs: 60_000 })).url, hanging.url);
    await sim.clientSend({ from: 'alice', to: { type: 'user', id: 'bob' }, payload: 'never answered' });
    await waitFor('an attempt in flight', () => sim.webhookStats(), (s) => s.inFlight === 1);
    const startedAt = performance.now();
    assert.equal(await sim.stop(), 0);
    assert.ok(performance.now() - startedAt < 1_500, `stopped in ${Math.round(performance.now() - startedAt)} ms`);
  });

  test('a webhook url without a secret stops the start with a message naming it', async () => {
    await assert.rejects(SimProcess.start({ webhookUrl: 'http://127.0.0.1:9/x', startTimeoutMs: 5_000 }), /webhook url needs a secret/);
  });
});
