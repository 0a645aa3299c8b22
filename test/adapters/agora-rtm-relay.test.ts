import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { AgoraRtmAdapter } from '../../src/adapters/agora-rtm/agora-rtm-adapter.js';
import { RtmChannelRelay } from '../../src/adapters/agora-rtm/rtm-channel-relay.js';
import { encodeEnvelope } from '../../src/adapters/agora-rtm/rtm-envelope.js';
import { RtmSession } from '../../src/adapters/agora-rtm/rtm-session.js';
import { StaticTokenProvider } from '../../src/adapters/agora-rtm/token-provider.js';
import type { OutboundMessage } from '../../src/domain/message.js';
import { loadConfig } from '../../src/config/load-config.js';
import { createLogger } from '../../src/infra/logger.js';
import { createCutover } from '../../src/main.js';
import { FakeRtmClient } from '../support/fake-rtm-client.js';

const FAKE_MODULE = fileURLToPath(new URL('../support/fake-rtm-client.js', import.meta.url));
const APP_ID = '0123456789abcdef0123456789abcdef';

function envelope(id: string, from: string, channel: string): string {
  return encodeEnvelope({ id, from, to: { type: 'channel', id: channel }, payload: `hello from ${from}`, sentAt: 1_700_000_000_000 });
}

async function eventually(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('relay: what apps publish in a subscribed group channel is relayed once per message; Cutover\'s own and non-envelopes are not', async () => {
  const fake = new FakeRtmClient(APP_ID, 'cutover');
  const session = new RtmSession(fake, new StaticTokenProvider('token-1'), { timeoutMs: 1000 });
  const relayed: OutboundMessage[] = [];
  const relay = new RtmChannelRelay(fake, session, { ownUserId: 'cutover', channels: ['g1', 'g2'], onMessage: (m) => relayed.push(m), log: () => undefined });
  const status = await relay.subscribeAll();
  assert.deepEqual(status.subscribed.sort(), ['g1', 'g2']);
  assert.deepEqual([...fake.subscribed].sort(), ['g1', 'g2'], 'subscribed on the client');

  fake.publishAs('alice', 'g1', envelope('m-1', 'alice', 'g1'));
  // The envelope names another channel: the channel it was published in wins.
  fake.publishAs('bob', 'g2', envelope('m-2', 'bob', 'elsewhere'));
  fake.publishAs('cutover', 'g1', envelope('m-own', 'cutover', 'g1'));
  fake.publishAs('carol', 'g1', 'a plain text no app of this migration sends');
  fake.publishAs('dave', 'g3', envelope('m-3', 'dave', 'g3'));
  assert.deepEqual(relayed.map((m) => [m.id, m.from, m.to.type, m.to.id]), [['m-1', 'alice', 'channel', 'g1'], ['m-2', 'bob', 'channel', 'g2']]);
  assert.deepEqual([relay.status().relayed, relay.status().skipped], [2, 2], 'g3 is not subscribed: never seen');
});

test('relay: past the client\'s subscription limit a channel fails with the SDK\'s code, and the others are relayed', async () => {
  const fake = new FakeRtmClient(APP_ID, 'cutover');
  const session = new RtmSession(fake, new StaticTokenProvider('token-1'), { timeoutMs: 1000 });
  const channels = Array.from({ length: FakeRtmClient.MAX_SUBSCRIPTIONS + 1 }, (_, i) => `room-${String(i).padStart(2, '0')}`);
  const warnings: string[] = [];
  const relay = new RtmChannelRelay(fake, session, { ownUserId: 'cutover', channels, onMessage: () => undefined, log: (_l, text) => warnings.push(text) });
  const status = await relay.subscribeAll();
  assert.equal(status.subscribed.length, FakeRtmClient.MAX_SUBSCRIPTIONS);
  const failed = Object.entries(status.failed);
  assert.equal(failed.length, 1);
  assert.match(failed[0]![1], /-11005/);
  assert.equal(warnings.length, 1, 'logged once');
});

test('relay through the adapter\'s worker: the channels are subscribed when it starts, and apps\' messages reach the listener', async (t) => {
  const adapter = new AgoraRtmAdapter({ appId: APP_ID, userId: 'cutover', token: 'token-1', timeoutMs: 2000, clientModule: FAKE_MODULE, relayChannels: ['fake-chatter-a'] });
  t.after(() => adapter.close());
  const relayed: OutboundMessage[] = [];
  const status = await adapter.relay((m) => relayed.push(m));
  assert.deepEqual(status.subscribed, ['fake-chatter-a']);
  // The fake's chatter: three apps' envelopes, one of Cutover's own, one plain text.
  await eventually(() => relayed.length >= 3, 2_000, 'three relayed messages');
  assert.deepEqual(relayed.map((m) => m.id), ['fake-chatter-a-1', 'fake-chatter-a-2', 'fake-chatter-a-3']);
});

test('relay into Cutover: a group message an app published on the Agora side is bridged to old', async (t) => {
  const config = loadConfig({
    env: {},
    overrides: {
      'http.logLevel': 'silent',
      'sides.new': { type: 'agora-rtm', appId: APP_ID, userId: 'cutover', token: 'token-1', relayChannels: ['fake-chatter-b'] },
    },
  });
  // The fake stands in for the SDK at the vendor-cloud boundary, as in the adapter tests.
  const cutover = await createCutover(config, { logger: createLogger('silent'), instanceId: 'relay-test', seams: { rtmClientModule: FAKE_MODULE } });
  t.after(() => cutover.close());
  await cutover.start();
  const old = cutover.services.memorySide('old')!;
  await eventually(() => ['fake-chatter-b-1', 'fake-chatter-b-2', 'fake-chatter-b-3'].every((id) => old.has(id)), 5_000, 'the relayed messages on old');
  assert.equal(old.has('fake-chatter-b-4'), false, 'Cutover\'s own publish is not relayed');
  const text = await cutover.services.metrics.registry.metrics();
  assert.match(text, /cutover_bridge_messages_total\{from="new",result="bridged"\} 3/);
});
