import type { PublishOptions } from 'agora-rtm-sdk';
import {
  inConversation,
  type Conversation,
  type HistoryQuery,
  type OutboundMessage,
} from '../../domain/message.js';
import { AdapterError, toAdapterError } from '../adapter-error.js';
import type { AdapterHealth } from '../messaging-adapter.js';
import type { RtmClientPort } from './rtm-client-port.js';
import { decodeEnvelope, encodeEnvelope } from './rtm-envelope.js';
import {
  fromRtmError,
  rtmErrorCode,
  RTM_NOT_LOGGED_IN,
  RTM_RECEIVER_OFFLINE_BUT_STORED,
  RTM_TOKEN_EXPIRED,
} from './rtm-errors.js';
import type { TokenProvider } from './token-provider.js';
import type { LogLevel } from './worker-protocol.js';

export interface RtmMessagingOptions {
  /** Budget of one call, login included. */
  timeoutMs: number;
  /** How long a failed login is answered from memory before the SDK is asked again. */
  loginRetryMs?: number;
  /** How many published ids to remember, so a replay of a sent message does not publish again. */
  rememberIds?: number;
  /** Rare events only (login, link, token); never called per message. */
  log?: (level: LogLevel, text: string) => void;
}

const USER_HISTORY_UNSUPPORTED =
  "agora-rtm has no history for user conversations: RTM 2.x reads channelType 'USER' history " +
  "only for the logged-in user's own inbox, and Cutover publishes as one service user";

/** The SDK caps one history page at 100 messages (HISTORY_MSG_COUNT_LIMIT). */
const HISTORY_PAGE = 100;
const MAX_HISTORY_PAGES = 10;

/** Shared by every message without a kind: no options object per publish. */
const USER_OPTIONS: PublishOptions = { channelType: 'USER', storeInHistory: true };
const CHANNEL_OPTIONS: PublishOptions = { channelType: 'MESSAGE', storeInHistory: true };

/**
 * Cutover's messaging on top of one logged-in RTM client. Logs in lazily, logs in again when the
 * SDK says the session or token is gone, and turns every SDK failure into an AdapterError.
 */
export class RtmMessaging {
  private session: Promise<void> | undefined;
  private loginFailure: { error: AdapterError; at: number } | undefined;
  private link: { state: string; reason: string } | undefined;
  private readonly published = new Set<string>();
  private readonly loginRetryMs: number;
  private readonly rememberIds: number;
  private closed = false;

  constructor(
    private readonly client: RtmClientPort,
    private readonly tokens: TokenProvider,
    private readonly options: RtmMessagingOptions,
  ) {
    this.loginRetryMs = options.loginRetryMs ?? 1000;
    this.rememberIds = options.rememberIds ?? 10_000;
    client.addEventListener('linkState', (event) => {
      if (event.serviceType !== 'MESSAGE') return;
      this.link = { state: event.currentState, reason: event.reasonCode };
      // FAILED is final for the SDK (kicked out, token expired): the next call logs in again.
      if (event.currentState === 'FAILED') this.session = undefined;
      this.options.log?.('info', `RTM link ${event.currentState} (${event.reasonCode})`);
    });
    client.addEventListener('tokenPrivilegeWillExpire', () => void this.renewToken());
  }

  sendToUser(message: OutboundMessage): Promise<void> {
    return this.publish(message.to.id, message, USER_OPTIONS);
  }

  sendToChannel(message: OutboundMessage): Promise<void> {
    return this.publish(message.to.id, message, CHANNEL_OPTIONS);
  }

  async history(query: HistoryQuery): Promise<OutboundMessage[]> {
    const { conversation } = query;
    if (conversation.type !== 'channel') {
      throw new AdapterError('rejected', USER_HISTORY_UNSUPPORTED);
    }
    if (query.limit <= 0) return [];
    return this.call('history', () => this.readChannel(conversation, query.limit, query.before));
  }

  async health(): Promise<AdapterHealth> {
    if (this.closed) return { ok: false, detail: 'closed' };
    try {
      await withTimeout(this.ensureLoggedIn(), this.options.timeoutMs, 'login');
    } catch (err) {
      return { ok: false, detail: toAdapterError(err).message };
    }
    const link = this.link;
    if (link !== undefined && link.state !== 'CONNECTED') {
      return { ok: false, detail: `RTM link ${link.state} (${link.reason})` };
    }
    return { ok: true };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.session === undefined) return;
    this.session = undefined;
    try {
      await withTimeout(this.client.logout(), this.options.timeoutMs, 'logout');
    } catch {
      // Closing either way; the SDK drops the session when the worker ends.
    }
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
    await this.call('publish', async () => {
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
    conversation: Extract<Conversation, { type: 'channel' }>,
    limit: number,
    before: number | undefined,
  ): Promise<OutboundMessage[]> {
    const byId = new Map<string, OutboundMessage>();
    // Pages run newest first by the server's receive time, which is not sentAt order: outbox
    // replays and backfill store old messages late. So read from now and filter by sentAt.
    let start = 0;
    for (let page = 0; page < MAX_HISTORY_PAGES; page++) {
      const response = await this.client.history.getMessages(conversation.id, 'MESSAGE', {
        messageCount: HISTORY_PAGE,
        start,
      });
      for (const item of response.messageList) {
        const message = decodeEnvelope(item.message);
        if (message === undefined || !inConversation(message, conversation)) continue;
        if (before !== undefined && message.sentAt >= before) continue;
        if (!byId.has(message.id)) byId.set(message.id, message);
      }
      if (byId.size >= limit || response.newStart === 0 || response.newStart === start) break;
      start = response.newStart;
    }
    const messages = [...byId.values()];
    messages.sort((x, y) => x.sentAt - y.sentAt || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
    return messages.length > limit ? messages.slice(-limit) : messages;
  }

  /** Runs one SDK action logged in, within the call budget, with failures classified. */
  private call<T>(operation: string, action: () => Promise<T>): Promise<T> {
    if (this.closed) {
      return Promise.reject(new AdapterError('unavailable', 'agora-rtm client closed'));
    }
    return withTimeout(this.attempt(operation, action), this.options.timeoutMs, operation);
  }

  private async attempt<T>(operation: string, action: () => Promise<T>): Promise<T> {
    await this.ensureLoggedIn();
    try {
      return await action();
    } catch (err) {
      const code = rtmErrorCode(err);
      if (code !== RTM_NOT_LOGGED_IN && code !== RTM_TOKEN_EXPIRED) {
        throw fromRtmError(err, operation);
      }
      this.options.log?.('info', `RTM session lost in ${operation} (${code}); logging in again`);
      this.session = undefined;
    }
    await this.ensureLoggedIn();
    try {
      return await action();
    } catch (err) {
      throw fromRtmError(err, operation);
    }
  }

  private ensureLoggedIn(): Promise<void> {
    if (this.session !== undefined) return this.session;
    const failure = this.loginFailure;
    // A bad token fails every call; asking the SDK each time would only add LOGIN_TOO_FREQUENT.
    if (failure !== undefined && Date.now() - failure.at < this.loginRetryMs) {
      return Promise.reject(failure.error);
    }
    const session: Promise<void> = this.login().catch((err: unknown) => {
      if (this.session === session) this.session = undefined;
      throw err;
    });
    this.session = session;
    return session;
  }

  private async login(): Promise<void> {
    try {
      await this.client.login({ token: await this.tokens.token() });
    } catch (err) {
      const error = fromRtmError(err, 'login');
      this.loginFailure = { error, at: Date.now() };
      this.options.log?.('warn', error.message);
      throw error;
    }
    this.loginFailure = undefined;
    this.options.log?.('info', 'RTM logged in');
  }

  private async renewToken(): Promise<void> {
    try {
      const renewal = this.client.renewToken(await this.tokens.token());
      await withTimeout(renewal, this.options.timeoutMs, 'renewToken');
      this.options.log?.('info', 'RTM token renewed');
    } catch (err) {
      this.options.log?.('warn', fromRtmError(err, 'renewToken').message);
    }
  }

  private remember(id: string): void {
    this.published.add(id);
    if (this.published.size > this.rememberIds) {
      const oldest = this.published.values().next();
      if (oldest.done !== true) this.published.delete(oldest.value);
    }
  }
}

/** Settles as `promise` does, or rejects as a timeout after `ms`; a late settle is ignored. */
function withTimeout<T>(promise: Promise<T>, ms: number, operation: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new AdapterError('timeout', `agora-rtm ${operation} timed out after ${ms} ms`)),
      ms,
    );
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err instanceof AdapterError ? err : fromRtmError(err, operation));
      },
    );
  });
}
