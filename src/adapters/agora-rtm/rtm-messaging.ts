import type { PublishOptions } from 'agora-rtm-sdk';
import {
  inConversation,
  type Conversation,
  type HistoryQuery,
  type OutboundMessage,
} from '../../domain/message.js';
import type { AdapterHealth } from '../messaging-adapter.js';
import { unpackEntry } from './rtm-batch.js';
import type { RtmClientPort } from './rtm-client-port.js';
import { encodeEnvelope } from './rtm-envelope.js';
import { rtmErrorCode, RTM_RECEIVER_OFFLINE_BUT_STORED } from './rtm-errors.js';
import { conversationChannel } from './rtm-layout.js';
import { RtmSession, type RtmSessionOptions } from './rtm-session.js';
import type { TokenProvider } from './token-provider.js';

export interface RtmMessagingOptions extends RtmSessionOptions {
  /** How many published ids to remember, so a replay of a sent message does not publish again. */
  rememberIds?: number;
}

/** The SDK caps one history page at 100 messages (HISTORY_MSG_COUNT_LIMIT). */
const HISTORY_PAGE = 100;
const MAX_HISTORY_PAGES = 10;

/** Shared by every message without a kind: no options object per publish. */
const USER_OPTIONS: PublishOptions = { channelType: 'USER', storeInHistory: true };
const CHANNEL_OPTIONS: PublishOptions = { channelType: 'MESSAGE', storeInHistory: true };

/**
 * Cutover's live messaging on top of one logged-in RTM client (the session). A user conversation's
 * history is its pair's archive channel, which holds what a migration imported: USER messages
 * sent live are readable only from each recipient's own inbox (docs/agora-mapping.md).
 */
export class RtmMessaging {
  /** The login this instance shares with the migration in the same worker. */
  readonly session: RtmSession;
  private readonly published = new Set<string>();
  private readonly rememberIds: number;

  constructor(
    private readonly client: RtmClientPort,
    tokens: TokenProvider,
    options: RtmMessagingOptions,
  ) {
    this.session = new RtmSession(client, tokens, options);
    this.rememberIds = options.rememberIds ?? 10_000;
  }

  sendToUser(message: OutboundMessage): Promise<void> {
    return this.publish(message.to.id, message, USER_OPTIONS);
  }

  sendToChannel(message: OutboundMessage): Promise<void> {
    return this.publish(message.to.id, message, CHANNEL_OPTIONS);
  }

  async history(query: HistoryQuery): Promise<OutboundMessage[]> {
    if (query.limit <= 0) return [];
    const { conversation } = query;
    return this.session.call('history', () => this.readChannel(conversation, query.limit, query.before));
  }

  health(): Promise<AdapterHealth> {
    return this.session.health();
  }

  close(): Promise<void> {
    return this.session.close();
  }

  private async publish(
    target: string,
    message: OutboundMessage,
    base: PublishOptions,
  ): Promise<void> {
    if (this.published.has(message.id)) return;
    const wire = encodeEnvelope(message);
    const options: PublishOptions =
      message.kind === undefined ? base : { ...base, customType: message.kind };
    await this.session.call('publish', async () => {
      try {
        await this.client.publish(target, wire, options);
      } catch (err) {
        // Recipient offline but the message is in history: delivered as far as Cutover goes.
        if (rtmErrorCode(err) !== RTM_RECEIVER_OFFLINE_BUT_STORED) throw err;
      }
    });
    this.remember(message.id);
  }

  private async readChannel(
    conversation: Conversation,
    limit: number,
    before: number | undefined,
  ): Promise<OutboundMessage[]> {
    const channel = conversationChannel(conversation);
    const byId = new Map<string, OutboundMessage>();
    // Pages run newest first by the server's receive time, which is not sentAt order: outbox
    // replays and backfill store old messages late. So read from now and filter by sentAt.
    let start = 0;
    for (let page = 0; page < MAX_HISTORY_PAGES; page++) {
      const response = await this.client.history.getMessages(channel, 'MESSAGE', {
        messageCount: HISTORY_PAGE,
        start,
      });
      for (const item of response.messageList) {
        for (const message of unpackEntry(item.message)) {
          if (!inConversation(message, conversation)) continue;
          if (before !== undefined && message.sentAt >= before) continue;
          if (!byId.has(message.id)) byId.set(message.id, message);
        }
      }
      if (byId.size >= limit || response.newStart === 0 || response.newStart === start) break;
      start = response.newStart;
    }
    const messages = [...byId.values()];
    messages.sort((x, y) => x.sentAt - y.sentAt || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
    return messages.length > limit ? messages.slice(-limit) : messages;
  }

  private remember(id: string): void {
    this.published.add(id);
    if (this.published.size > this.rememberIds) {
      const oldest = this.published.values().next();
      if (oldest.done !== true) this.published.delete(oldest.value);
    }
  }
}
