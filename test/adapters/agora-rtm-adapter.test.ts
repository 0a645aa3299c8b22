import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { OutboundMessage, Peer } from '../../src/domain/message.js';
import { AdapterError } from '../../src/adapters/adapter-error.js';
import {
  AgoraRtmAdapter,
  type AgoraRtmConfig,
  type AgoraRtmLogger,
} from '../../src/adapters/agora-rtm/agora-rtm-adapter.js';
import { encodeEnvelope } from '../../src/adapters/agora-rtm/rtm-envelope.js';
import { fromRtmError, RTM_ERRORS } from '../../src/adapters/agora-rtm/rtm-errors.js';
import { pairArchiveChannel } from '../../src/adapters/agora-rtm/rtm-layout.js';
import { RtmMessaging } from '../../src/adapters/agora-rtm/rtm-messaging.js';
import type { TokenProvider } from '../../src/adapters/agora-rtm/token-provider.js';
import { FakeRtmClient, FakeRtmError } from '../support/fake-rtm-client.js';

const FAKE_MODULE = fileURLToPath(new URL('../support/fake-rtm-client.js', import.meta.url));
const APP_ID = '0123456789abcdef0123456789abcdef';

const ROOM = { type: 'channel', id: 'room-1' } as const;

let seq = 0;
function message(to: Peer, overrides: Partial<OutboundMessage> = {}): OutboundMessage {
  seq++;
  const sentAt = 1_700_000_000_000 + seq;
  return { id: `m-${seq}`, from: 'alice', to, payload: `hello ${seq}`, sentAt, ...overrides };
}

function toChannel(id: string, overrides: Partial<OutboundMessage> = {}): OutboundMessage {
  return message({ type: 'channel', id }, overrides);
}

function toUser(id: string, overrides: Partial<OutboundMessage> = {}): OutboundMessage {
  return message({ type: 'user', id }, overrides);
}

function tokens(): TokenProvider & { issued: number } {
  return {
    issued: 0,
    token() {
      this.issued++;
      return Promise.resolve(`token-${this.issued}`);
    },
  };
}

function messaging(timeoutMs = 1000) {
  const fake = new FakeRtmClient(APP_ID, 'cutover');
  const provider = tokens();
  return { fake, rtm: new RtmMessaging(fake, provider, { timeoutMs }), tokens: provider };
}

async function rejectsWith(
  promise: Promise<unknown>,
  failure: AdapterError['failure'],
  vendorCode?: number,
): Promise<AdapterError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof AdapterError, `expected an AdapterError, got ${String(err)}`);
    assert.equal(err.failure, failure, err.message);
    if (vendorCode !== undefined) assert.equal(err.vendorCode, vendorCode);
    return err;
  }
  assert.fail(`expected a ${failure} failure`);
}

describe('RtmMessaging on the fake RTM client', () => {
  test('a user message is published to the recipient as USER, stored, customType = kind', async () => {
    const { fake, rtm } = messaging();
    const m = toUser('bob', { kind: 'chat' });
    await rtm.sendToUser(m);
    assert.equal(fake.published.length, 1);
    const [published] = fake.published;
    assert.equal(published?.channelName, 'bob');
    assert.deepEqual(published?.options, {
      channelType: 'USER',
      storeInHistory: true,
      customType: 'chat',
    });
    assert.deepEqual(JSON.parse(String(published?.message)), {
      id: m.id,
      from: 'alice',
      to: { type: 'user', id: 'bob' },
      payload: m.payload,
      kind: 'chat',
      sentAt: m.sentAt,
    });
  });

  test('a channel message is published to the channel as MESSAGE, stored in history', async () => {
    const { fake, rtm } = messaging();
    await rtm.sendToChannel(toChannel('room-1'));
    assert.equal(fake.published[0]?.channelName, 'room-1');
    assert.deepEqual(fake.published[0]?.options, { channelType: 'MESSAGE', storeInHistory: true });
  });

  test('logs in once, lazily, with the token from the provider', async () => {
    const { fake, rtm } = messaging();
    assert.deepEqual(fake.loginTokens, []);
    await rtm.sendToChannel(toChannel('room-1'));
    await rtm.sendToChannel(toChannel('room-1'));
    assert.deepEqual(fake.loginTokens, ['token-1']);
  });

  test('sending the same message id twice publishes it once', async () => {
    const { fake, rtm } = messaging();
    const m = toChannel('room-1');
    await rtm.sendToChannel(m);
    await rtm.sendToChannel(m);
    assert.equal(fake.published.length, 1);
  });

  test('channel messages round-trip through history as the same messages, oldest first', async () => {
    const { fake, rtm } = messaging();
    const sent = [
      toChannel('room-1', { kind: 'chat' }),
      toChannel('room-1'),
      toChannel('room-1', { from: 'bob' }),
    ];
    for (const m of sent) await rtm.sendToChannel(m);
    await rtm.sendToChannel(toChannel('room-2'));
    fake.inject('room-1', 'not a cutover envelope');
    fake.inject('room-1', '{"id":1}');
    // A retried publish that reached RTM twice: history shows it once.
    await fake.publish('room-1', encodeEnvelope(sent[1]!), { storeInHistory: true });

    assert.deepEqual(await rtm.history({ conversation: ROOM, limit: 10 }), sent);
  });

  test('history honours limit (newest kept) and before (by sentAt)', async () => {
    const { rtm } = messaging();
    const sent: OutboundMessage[] = [];
    for (let i = 0; i < 5; i++) sent.push(toChannel('room-1'));
    for (const m of sent) await rtm.sendToChannel(m);
    assert.deepEqual(await rtm.history({ conversation: ROOM, limit: 2 }), sent.slice(3));
    const before = sent[2]!.sentAt;
    const older = await rtm.history({ conversation: ROOM, limit: 10, before });
    assert.deepEqual(older, sent.slice(0, 2));
  });

  test('history pages past the SDK limit of 100 messages per read', async () => {
    const { rtm } = messaging();
    const sent: OutboundMessage[] = [];
    for (let i = 0; i < 250; i++) sent.push(toChannel('big'));
    for (const m of sent) await rtm.sendToChannel(m);
    const history = await rtm.history({ conversation: { type: 'channel', id: 'big' }, limit: 150 });
    assert.deepEqual(history, sent.slice(-150));
  });

  test("a user conversation's history is its pair's archive channel; live USER messages are not in it", async () => {
    const { fake, rtm } = messaging();
    const archived = toUser('bob', { from: 'alice' });
    const reply = toUser('alice', { from: 'bob' });
    await rtm.sendToUser(toUser('bob', { from: 'alice' }));
    await fake.publish(pairArchiveChannel('bob', 'alice'), encodeEnvelope(archived), { storeInHistory: true });
    await fake.publish(pairArchiveChannel('alice', 'bob'), encodeEnvelope(reply), { storeInHistory: true });
    const history = await rtm.history({ conversation: { type: 'user', a: 'alice', b: 'bob' }, limit: 10 });
    assert.deepEqual(history, [archived, reply]);
  });

  test('every code in the error table surfaces from a publish as its class, with the code', async () => {
    const { fake, rtm } = messaging();
    for (const [code, { failure }] of RTM_ERRORS) {
      fake.failNext('publish', code);
      // Not-logged-in and token-expired are retried once after a new login: fail that too.
      if (code === -10002 || code === -10009) fake.failNext('publish', code);
      await rejectsWith(rtm.sendToChannel(toChannel('room-1')), failure, code);
    }
  });

  test('the error table classes auth, size, rate and timeout codes as Cutover expects', () => {
    const expected: Array<[number, AdapterError['failure']]> = [
      [-10005, 'unavailable'], // invalid token: the gateway's credentials, not the message
      [-10009, 'unavailable'], // token expired (after a failed refresh)
      [-10002, 'unavailable'], // not logged in
      [-10025, 'unavailable'], // not connected
      [-11010, 'rejected'], // message too large
      [-10021, 'unavailable'], // rate limited
      [-11025, 'unavailable'], // publishing too often
      [-10011, 'timeout'], // login timeout
      [-11026, 'timeout'], // publish timeout
      [-15003, 'timeout'], // history timeout
      [-11024, 'vendor_error'], // publish failed
    ];
    for (const [code, failure] of expected) {
      const err = fromRtmError(new FakeRtmError(code, 'publish'), 'publish');
      assert.equal(err.failure, failure, `code ${code}`);
      assert.equal(err.vendorCode, code);
    }
  });

  test('an unknown SDK code and a non-SDK error count as vendor errors', async () => {
    const { fake, rtm } = messaging();
    fake.failNext('publish', -99_999);
    await rejectsWith(rtm.sendToChannel(toChannel('room-1')), 'vendor_error', -99_999);
    const err = fromRtmError(new TypeError('boom'), 'publish');
    assert.equal(err.failure, 'vendor_error');
    assert.equal(err.vendorCode, undefined);
  });

  test('"receiver offline but stored in history" (-11035) counts as delivered', async () => {
    const { fake, rtm } = messaging();
    fake.failNext('publish', -11035);
    await rtm.sendToUser(toUser('bob'));
  });

  test('a publish slower than timeoutMs fails as timeout', async () => {
    const { fake, rtm } = messaging(50);
    await rtm.sendToChannel(toChannel('room-1'));
    fake.latencyMs = 200;
    const err = await rejectsWith(rtm.sendToChannel(toChannel('room-1')), 'timeout');
    assert.match(err.message, /timed out after 50 ms/);
  });

  test('an expired token makes it log in again with a fresh token and retry once', async () => {
    const { fake, rtm } = messaging();
    await rtm.sendToChannel(toChannel('room-1'));
    fake.expireToken();
    await rtm.sendToChannel(toChannel('room-1'));
    assert.deepEqual(fake.loginTokens, ['token-1', 'token-2']);
    assert.equal(fake.published.length, 2);
  });

  test('a token about to expire is renewed with a token from the provider', async () => {
    const { fake, rtm, tokens: provider } = messaging();
    await rtm.sendToChannel(toChannel('room-1'));
    fake.emit('tokenPrivilegeWillExpire', '');
    await new Promise((resolve) => setTimeout(resolve, 10));
    assert.deepEqual(fake.renewedTokens, ['token-2']);
    assert.equal(provider.issued, 2);
  });

  test('a FAILED link makes the next call log in again', async () => {
    const { fake, rtm } = messaging();
    await rtm.sendToChannel(toChannel('room-1'));
    fake.emit('linkState', {
      timestamp: Date.now(),
      currentState: 'FAILED',
      previousState: 'CONNECTED',
      serviceType: 'MESSAGE',
      operation: 'SERVER_REJECT',
      reason: 'kicked',
      reasonCode: 'SAME_UID_LOGIN',
      affectedChannels: [],
      unrestoredChannels: [],
      isResumed: false,
    });
    assert.deepEqual(await rtm.health(), { ok: false, detail: 'RTM link FAILED (SAME_UID_LOGIN)' });
    assert.deepEqual(fake.loginTokens, ['token-1', 'token-2']);
  });

  test('a failed login is reported by health() and not retried within loginRetryMs', async () => {
    const fake = new FakeRtmClient(APP_ID, 'cutover');
    const badToken = { token: () => Promise.resolve('x') };
    const rtm = new RtmMessaging(fake, badToken, { timeoutMs: 1000, loginRetryMs: 60_000 });
    await rejectsWith(rtm.sendToChannel(toChannel('room-1')), 'unavailable', -10005);
    const health = await rtm.health();
    assert.equal(health.ok, false);
    assert.match(health.detail ?? '', /login failed: invalid token \(-10005/);
    assert.equal(fake.loginTokens.length, 1);
  });
});

function fakeConfig(overrides: Partial<AgoraRtmConfig> = {}): AgoraRtmConfig {
  const base = { appId: APP_ID, userId: 'cutover', token: 'token-1', timeoutMs: 2000 };
  return { ...base, clientModule: FAKE_MODULE, ...overrides };
}

describe('AgoraRtmAdapter with the fake client in a real worker', () => {
  test('send and history round-trip through the worker', async (t) => {
    const adapter = new AgoraRtmAdapter(fakeConfig());
    t.after(() => adapter.close());
    const sent = [toChannel('room-1', { kind: 'chat' }), toChannel('room-1')];
    for (const m of sent) await adapter.sendToChannel(m);
    await adapter.sendToUser(toUser('bob'));
    assert.deepEqual(await adapter.history({ conversation: ROOM, limit: 10 }), sent);
    assert.deepEqual(await adapter.health(), { ok: true });
  });

  test('a fake SDK failure arrives as an AdapterError of its class, with the code', async (t) => {
    const adapter = new AgoraRtmAdapter(fakeConfig());
    t.after(() => adapter.close());
    await rejectsWith(adapter.sendToChannel(toChannel('fake-fail:-11010')), 'rejected', -11010);
    await rejectsWith(adapter.sendToUser(toUser('fake-fail:-11026')), 'timeout', -11026);
    await rejectsWith(
      adapter.history({ conversation: { type: 'channel', id: 'fake-fail:-15004' }, limit: 5 }),
      'rejected',
      -15004,
    );
  });

  test('a call slower than timeoutMs in the worker fails as timeout', async (t) => {
    const adapter = new AgoraRtmAdapter(fakeConfig({ timeoutMs: 200 }));
    t.after(() => adapter.close());
    await adapter.health();
    await rejectsWith(adapter.sendToChannel(toChannel('fake-slow:1000')), 'timeout');
  });

  test('a worker that stops answering fails the call as timeout on the main thread', async (t) => {
    const adapter = new AgoraRtmAdapter(fakeConfig({ timeoutMs: 200 }));
    t.after(() => adapter.close());
    await adapter.health();
    const err = await rejectsWith(adapter.sendToChannel(toChannel('fake-block:800')), 'timeout');
    assert.match(err.message, /worker did not answer within 200 ms/);
  });

  test('a worker crash rejects in-flight calls as unavailable; the next call restarts it', async (t) => {
    const adapter = new AgoraRtmAdapter(fakeConfig());
    t.after(() => adapter.close());
    await adapter.sendToChannel(toChannel('room-1'));
    const slow = adapter.sendToChannel(toChannel('fake-slow:1500'));
    const crash = adapter.sendToChannel(toChannel('fake-crash'));
    const [slowErr, crashErr] = await Promise.all([
      rejectsWith(slow, 'unavailable'),
      rejectsWith(crash, 'unavailable'),
    ]);
    assert.match(slowErr.message, /worker exited.*fake-crash/);
    assert.equal(crashErr.message, slowErr.message);

    const after = toChannel('room-1');
    await adapter.sendToChannel(after);
    // A new worker, a new fake cloud: only what was sent after the restart.
    assert.deepEqual(await adapter.history({ conversation: ROOM, limit: 10 }), [after]);
  });

  test('close() ends the worker and later calls fail as unavailable', async () => {
    const adapter = new AgoraRtmAdapter(fakeConfig());
    await adapter.sendToChannel(toChannel('room-1'));
    await adapter.close();
    await rejectsWith(adapter.sendToChannel(toChannel('room-1')), 'unavailable');
    assert.deepEqual(await adapter.health(), { ok: false, detail: 'closed' });
  });
});

describe('AgoraRtmAdapter with the real agora-rtm-sdk, offline', () => {
  test('the SDK loads in the worker; login with token "x" fails as unavailable -10005 (bad credentials)', async (t) => {
    const logged: string[] = [];
    const record = (_bindings: object, text?: string): void => {
      logged.push(text ?? '');
    };
    const logger = { debug: record, info: record, warn: record, error: record } as AgoraRtmLogger;
    const stdout: string[] = [];
    const write = process.stdout.write;
    process.stdout.write = function (this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]) {
      stdout.push(String(chunk));
      return (write as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
    } as typeof process.stdout.write;
    const config = { appId: APP_ID, userId: 'cutover-offline', token: 'x', timeoutMs: 5000 };
    const adapter = new AgoraRtmAdapter(config, logger);
    t.after(async () => {
      process.stdout.write = write;
      await adapter.close();
    });

    const err = await rejectsWith(adapter.sendToChannel(toChannel('room-1')), 'unavailable', -10005);
    assert.match(err.message, /login failed: invalid token/);
    const health = await adapter.health();
    assert.equal(health.ok, false);
    assert.match(health.detail ?? '', /invalid token \(-10005: Invalid token\.\)/);

    assert.equal(typeof (globalThis as { window?: unknown }).window, 'undefined');
    // The SDK's console lines cross from the worker as messages and may trail its answer: wait for them, bounded.
    for (const deadline = Date.now() + 3_000; !logged.some((line) => line.includes('Agora-SDK')) && Date.now() < deadline;) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.ok(logged.some((line) => line.includes('Agora-SDK')), `SDK console went to the logger (got ${logged.length} lines: ${logged.slice(0, 3).join(' | ')})`);
    await adapter.close();
    process.stdout.write = write;
    assert.ok(!stdout.some((chunk) => chunk.includes('Agora-SDK')), 'no Agora-SDK line on stdout');
  });
});
