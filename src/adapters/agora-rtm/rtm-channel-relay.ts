import type { RTMEvents } from 'agora-rtm-sdk';
import type { OutboundMessage } from '../../domain/message.js';
import { toAdapterError } from '../adapter-error.js';
import type { RtmClientPort } from './rtm-client-port.js';
import { decodeEnvelope } from './rtm-envelope.js';
import { rtmErrorCode } from './rtm-errors.js';
import type { RtmSession } from './rtm-session.js';
import type { LogLevel } from './worker-protocol.js';

/** The SDK's answer to a channel this client subscribed to already. */
const RTM_CHANNEL_IN_REUSE = -11004;

/** What the relay holds and has done, for status and tests. */
export interface RelayStatus {
  channels: string[];
  subscribed: string[];
  /** Channels whose subscription failed, with the reason. */
  failed: Record<string, string>;
  relayed: number;
  /** Messages seen but not relayed: Cutover's own, or not an envelope. */
  skipped: number;
}

/**
 * Relays what client apps publish into group channels on RTM to the bridge, the one way a server
 * sees client sends on Agora (it has no after-send webhook). A client sees only the MESSAGE
 * channels it subscribed to (about 50), so this serves a handful of groups, named in config.
 * Apps publish the Cutover envelope (docs/agora-mapping.md), whose id makes the relay exactly
 * once: every instance relays the same message under the same id, and the outbox takes it once.
 * What this client published itself (Cutover's own writes, imports) is never relayed: loop-free.
 */
export class RtmChannelRelay {
  private readonly subscribed = new Set<string>();
  private readonly failed = new Map<string, string>();
  private relayed = 0;
  private skipped = 0;

  constructor(
    private readonly client: RtmClientPort,
    private readonly session: RtmSession,
    private readonly options: {
      ownUserId: string;
      channels: readonly string[];
      onMessage: (message: OutboundMessage) => void;
      log: (level: LogLevel, text: string) => void;
    },
  ) {
    client.addEventListener('message', (event) => this.onEvent(event));
    // A new login (after the session failed) starts with no subscriptions: make them again.
    client.addEventListener('linkState', (event) => {
      if (event.serviceType === 'MESSAGE' && event.currentState === 'CONNECTED' && event.previousState !== 'CONNECTED') void this.subscribeAll();
    });
  }

  /** Subscribes every configured channel (logging in if need be); a failure is kept, not thrown. */
  async subscribeAll(): Promise<RelayStatus> {
    await Promise.all(this.options.channels.map(async (channel) => {
      try {
        await this.session.call('subscribe', () => this.client.subscribe(channel, { withMessage: true, withPresence: false }));
        this.subscribed.add(channel);
        this.failed.delete(channel);
      } catch (err) {
        if ((rtmErrorCode(err) ?? toAdapterError(err).vendorCode) === RTM_CHANNEL_IN_REUSE) {
          this.subscribed.add(channel);
          return;
        }
        const reason = toAdapterError(err).message;
        if (this.failed.get(channel) !== reason) this.options.log('warn', `bridge relay could not subscribe to channel ${channel}: ${reason}`);
        this.failed.set(channel, reason);
      }
    }));
    return this.status();
  }

  status(): RelayStatus {
    return {
      channels: [...this.options.channels], subscribed: [...this.subscribed], failed: Object.fromEntries(this.failed), relayed: this.relayed, skipped: this.skipped,
    };
  }

  private onEvent(event: RTMEvents.MessageEvent): void {
    if (event.channelType !== 'MESSAGE' || !this.subscribed.has(event.channelName)) return;
    const message = event.publisher === this.options.ownUserId ? undefined : decodeEnvelope(event.message);
    if (message === undefined) {
      this.skipped++;
      return;
    }
    // The channel it was published in is where it goes, whatever the envelope says.
    message.to = { type: 'channel', id: event.channelName };
    this.relayed++;
    this.options.onMessage(message);
  }
}
