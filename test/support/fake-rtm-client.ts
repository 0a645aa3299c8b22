/**
 * A fake Agora RTM client at the vendor-cloud boundary: it keeps published messages as the RTM
 * cloud would (history per channel) and fails like the SDK does. It `implements RtmClientPort`,
 * which is picked from agora-rtm-sdk's own declarations, so SDK API drift breaks `tsc` here too.
 *
 * In-process tests drive it through its methods. Across a worker thread, where the test cannot
 * reach it, names steer it instead (channel or user id):
 *   `fake-fail:<code>`  the publish or history call rejects with that SDK error code
 *   `fake-slow:<ms>`    the call answers after that many milliseconds
 *   `fake-block:<ms>`   the call blocks the thread's event loop that long (a hung SDK)
 *   `fake-crash`        the worker thread dies of an uncaught exception
 *
 * Storage (user and channel metadata) keeps the limits the SDK checks itself (32 items and
 * 16,384 bytes of request per call, values of 16,384 bytes, keys of 32 characters in the SDK's
 * pattern) and the documented 64 KB per metadata set. With `rateLimits` set, a call when as many
 * of its kind started in the trailing second fails with -10021, as the SDK's own limiter does.
 */
import type {
  ChannelType,
  GetChannelMetadataResponse,
  GetHistoryMessageOptions,
  GetMessagesResponse,
  GetUserMetadataOptions,
  GetUserMetadataResponse,
  HistoryChannelType,
  HistoryMessage,
  LoginResponse,
  LogoutResponse,
  SubscribeOptions,
  SubscribeResponse,
  UnsubscribeResponse,
  MetadataItem,
  MetadataOptions,
  MetaDataDetail,
  PublishOptions,
  PublishResponse,
  RemoveChannelMetadataOptions,
  RemoveChannelMetadataResponse,
  RemoveUserMetadataOptions,
  RemoveUserMetadataResponse,
  RenewTokenResponse,
  RTMBaseError,
  RTMEvents,
  SetChannelMetadataResponse,
  SetOrUpdateUserMetadataOptions,
  SetUserMetadataResponse,
} from 'agora-rtm-sdk';
import type { RtmClientPort } from '../../src/adapters/agora-rtm/rtm-client-port.js';

type EventMap = RTMEvents.RTMClientEventMap;
type StorageOperation =
  | 'setUserMetadata'
  | 'getUserMetadata'
  | 'removeUserMetadata'
  | 'setChannelMetadata'
  | 'getChannelMetadata'
  | 'removeChannelMetadata';
type FakeOperation = 'login' | 'logout' | 'publish' | 'getMessages' | 'renewToken' | 'subscribe' | 'unsubscribe' | StorageOperation;

/** The SDK's own per-client budgets (its API_RATE_LIMIT table): calls of a kind per trailing second. */
export const SDK_RATE_LIMITS = {
  publish: 60,
  getMessages: 20,
  userMetaModify: 20,
  userMetaGet: 20,
  channelMetaModify: 20,
  channelMetaGet: 20,
} as const;
export type RateKind = keyof typeof SDK_RATE_LIMITS;

const RATE_KIND: Partial<Record<FakeOperation, RateKind>> = {
  publish: 'publish',
  getMessages: 'getMessages',
  setUserMetadata: 'userMetaModify',
  removeUserMetadata: 'userMetaModify',
  getUserMetadata: 'userMetaGet',
  setChannelMetadata: 'channelMetaModify',
  removeChannelMetadata: 'channelMetaModify',
  getChannelMetadata: 'channelMetaGet',
};

/** The SDK's pattern for channel names, user ids and metadata keys (no leading `_`). */
const NAME_PATTERN = /^[a-zA-Z0-9 !#$%&()+,\-:;<=>?@[\]^_{|}~]{1,64}$/;
const MESSAGE_MAX_BYTES = 32_768;
const ITEMS_PER_CALL = 32;
const KEY_MAX_BYTES = 32;
const VALUE_MAX_BYTES = 16_384;
const REQUEST_MAX_BYTES = 16_384;
const SET_MAX_BYTES = 65_536;

function validName(name: string): boolean {
  return !name.startsWith('_') && NAME_PATTERN.test(name);
}

function bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/** Reasons the SDK gives for the codes tests use most; others get a generic one. */
const REASONS: Record<number, string> = {
  [-10005]: 'Invalid token.',
  [-10009]: 'Token is expired.',
  [-10025]: 'Perform operation failed due to RTM service is not connected.',
  [-11010]: 'Publish message length exceed limitation.',
  [-11026]: 'Publish message timeout.',
  [-10021]: 'The operation rate exceeds limitation.',
  [-12006]: 'The length of metadata items overflow.',
  [-15004]: 'History operation not permitted.',
};

/** An error shaped like the SDK's (`RtmInvalidArgumentError` and kin extend RTMBaseError). */
export class FakeRtmError extends Error implements RTMBaseError {
  override readonly name = 'RtmError';
  originalError?: Error;
  code: number;
  serverCode?: number;
  error = true;
  reason: string;
  errorCode: number;

  constructor(
    code: number,
    readonly operation: string,
  ) {
    const reason = REASONS[code] ?? `Fake RTM error ${code}.`;
    super(`Error Code ${code} - ${reason}`);
    this.code = code;
    this.errorCode = code;
    this.reason = reason;
  }
}

export interface PublishedMessage {
  channelName: string;
  message: string | Uint8Array;
  options: PublishOptions | undefined;
}

interface Stored extends HistoryMessage {
  channelType: HistoryChannelType;
  channelName: string;
}

/** One call that reached the fake, kept or refused. */
export interface FakeCall {
  operation: FakeOperation;
  target: string;
  at: number;
  /** The SDK code it failed with; undefined when it succeeded. */
  code?: number;
}

export class FakeRtmClient implements RtmClientPort {
  /** Every successful publish, in order. */
  readonly published: PublishedMessage[] = [];
  /** Tokens login was called with, in order. */
  readonly loginTokens: string[] = [];
  readonly renewedTokens: string[] = [];
  loggedIn = false;
  /** Added to every call, in milliseconds. */
  latencyMs = 0;
  /** Every call, in order, with its time and outcome. */
  readonly calls: FakeCall[] = [];
  /** When set, calls of a kind beyond its budget in the trailing second fail with -10021. */
  rateLimits: Partial<Record<RateKind, number>> | undefined;
  /** User metadata by user id, channel metadata by `<type>:<name>`. */
  readonly metadata = new Map<string, Map<string, MetaDataDetail>>();
  private tokenExpired = false;
  private readonly failures: Array<{ operation: FakeOperation; code: number }> = [];
  private readonly stored: Stored[] = [];
  private readonly listeners: { [E in keyof EventMap]?: Array<EventMap[E]> } = {};
  private clock = 0;
  /** MESSAGE channels subscribed to: their messages reach the `message` listeners. */
  readonly subscribed = new Set<string>();

  readonly history = {
    getMessages: (
      channelName: string,
      channelType: HistoryChannelType,
      options?: GetHistoryMessageOptions,
    ): Promise<GetMessagesResponse> => this.getMessages(channelName, channelType, options),
  };

  readonly storage = {
    setUserMetadata: (data: MetadataItem[], options?: SetOrUpdateUserMetadataOptions): Promise<SetUserMetadataResponse> =>
      this.setUserMetadata(data, options),
    getUserMetadata: (options?: GetUserMetadataOptions): Promise<GetUserMetadataResponse> => this.getUserMetadata(options),
    removeUserMetadata: (options?: RemoveUserMetadataOptions): Promise<RemoveUserMetadataResponse> =>
      this.removeUserMetadata(options),
    setChannelMetadata: (
      channelName: string,
      channelType: ChannelType,
      data: MetadataItem[],
      options?: MetadataOptions,
    ): Promise<SetChannelMetadataResponse> => this.setChannelMetadata(channelName, channelType, data, options),
    getChannelMetadata: (channelName: string, channelType: ChannelType): Promise<GetChannelMetadataResponse> =>
      this.getChannelMetadata(channelName, channelType),
    removeChannelMetadata: (
      channelName: string,
      channelType: ChannelType,
      options?: RemoveChannelMetadataOptions,
    ): Promise<RemoveChannelMetadataResponse> => this.removeChannelMetadata(channelName, channelType, options),
  };

  constructor(
    readonly appId: string,
    readonly userId: string,
  ) {}

  /** The next call of `operation` rejects with this SDK error code. */
  failNext(operation: FakeOperation, code: number): void {
    this.failures.push({ operation, code });
  }

  /** Calls fail with -10009 (token expired) until the next login. */
  expireToken(): void {
    this.tokenExpired = true;
  }

  /**
   * Another RTM client publishes to a channel: stored, and delivered to this client's `message`
   * listeners if it subscribed to the channel, as the RTM cloud does.
   */
  publishAs(publisher: string, channelName: string, message: string, customType = ''): void {
    this.store(channelName, 'MESSAGE', message, customType, publisher);
    if (!this.subscribed.has(channelName)) return;
    this.emit('message', {
      channelType: 'MESSAGE', channelName, topicName: '', messageType: 'STRING', customType, message, publisher, timestamp: Date.now(),
    });
  }

  /** At most this many MESSAGE channels per client, as the RTM docs say (about 50). */
  static readonly MAX_SUBSCRIPTIONS = 50;

  async subscribe(channelName: string, _options?: SubscribeOptions): Promise<SubscribeResponse> {
    await this.enter('subscribe', channelName);
    this.requireSession('subscribe');
    if (!validName(channelName)) this.refuse('subscribe', -10008);
    if (!this.subscribed.has(channelName) && this.subscribed.size >= FakeRtmClient.MAX_SUBSCRIPTIONS) this.refuse('subscribe', -11005); // RTM_ERROR_CHANNEL_INSTANCE_EXCEED_LIMITATION
    this.subscribed.add(channelName);
    // Steered across a worker thread: others speak in a `fake-chatter*` channel right after it is joined.
    if (channelName.startsWith('fake-chatter')) setImmediate(() => this.chatter(channelName));
    return { timestamp: Date.now(), channelName };
  }

  async unsubscribe(channelName: string): Promise<UnsubscribeResponse> {
    await this.enter('unsubscribe', channelName);
    this.subscribed.delete(channelName);
    return { timestamp: Date.now(), channelName };
  }

  /** Three apps' envelopes, one of this client's own, and one text that is no envelope. */
  private chatter(channelName: string): void {
    const envelope = (n: number, from: string) => JSON.stringify({ id: `${channelName}-${n}`, from, to: { type: 'channel', id: channelName }, payload: `said ${n}`, sentAt: Date.now() });
    for (let n = 1; n <= 3; n++) this.publishAs(`app-user-${n}`, channelName, envelope(n, `app-user-${n}`));
    this.publishAs(this.userId, channelName, envelope(4, 'cutover'));
    this.publishAs('legacy-app', channelName, 'plain text, no envelope');
  }

  /** Stores a message that is not a Cutover envelope, as another RTM client might. */
  inject(channelName: string, message: string, customType = ''): void {
    this.store(channelName, 'MESSAGE', message, customType, 'someone-else');
  }

  emit<E extends keyof EventMap>(event: E, ...args: Parameters<EventMap[E]>): void {
    for (const listener of this.listeners[event] ?? []) {
      (listener as (...a: Parameters<EventMap[E]>) => void)(...args);
    }
  }

  addEventListener<E extends keyof EventMap>(eventName: E, listener: EventMap[E]): void {
    const list: Array<EventMap[E]> = this.listeners[eventName] ?? [];
    list.push(listener);
    this.listeners[eventName] = list as (typeof this.listeners)[E];
  }

  async login(options?: { token?: string }): Promise<LoginResponse> {
    const token = options?.token ?? '';
    this.loginTokens.push(token);
    await this.enter('login', '');
    // Like the SDK: a token that is not an Agora token fails before any network.
    if (token === 'x' || token === '') throw new FakeRtmError(-10005, 'login');
    this.loggedIn = true;
    this.tokenExpired = false;
    return { timestamp: Date.now() };
  }

  async logout(): Promise<LogoutResponse> {
    await this.enter('logout', '');
    this.loggedIn = false;
    return { timestamp: Date.now() };
  }

  async renewToken(token: string): Promise<RenewTokenResponse> {
    await this.enter('renewToken', '');
    this.renewedTokens.push(token);
    this.tokenExpired = false;
    return { timestamp: Date.now() };
  }

  async publish(
    channelName: string,
    message: string | Uint8Array,
    options?: PublishOptions,
  ): Promise<PublishResponse> {
    await this.enter('publish', channelName);
    this.requireSession('publish');
    if (!validName(channelName)) this.refuse('publish', options?.channelType === 'USER' ? -10006 : -10008);
    const size = typeof message === 'string' ? bytes(message) : message.byteLength;
    if (size > MESSAGE_MAX_BYTES) this.refuse('publish', -11010);
    this.published.push({ channelName, message, options });
    if (options?.storeInHistory === true) {
      const channelType = options.channelType === 'USER' ? 'USER' : 'MESSAGE';
      this.store(channelName, channelType, message, options.customType ?? '', this.userId);
    }
    return { timestamp: Date.now(), channelName };
  }

  private async getMessages(
    channelName: string,
    channelType: HistoryChannelType,
    options?: GetHistoryMessageOptions,
  ): Promise<GetMessagesResponse> {
    await this.enter('getMessages', channelName);
    this.requireSession('getMessages');
    if (!validName(channelName)) this.refuse('getMessages', -10008);
    // The SDK only reads USER history of the logged-in user's own inbox.
    if (channelType === 'USER' && channelName !== this.userId) {
      throw new FakeRtmError(-15004, 'getMessages');
    }
    const start = options?.start ?? 0;
    // `end` is the older bound, inclusive, as `start` is the newer one.
    const end = options?.end ?? 0;
    const count = Math.min(options?.messageCount ?? 100, 100);
    const older = this.stored
      .filter(
        (m) =>
          m.channelName === channelName &&
          m.channelType === channelType &&
          (start === 0 || m.timestamp <= start) &&
          (end === 0 || m.timestamp >= end),
      )
      .reverse();
    const page = older.slice(0, count);
    const next = older[count];
    return {
      messageList: page.map(({ message, messageType, customType, publisher, timestamp }) => ({
        message,
        messageType,
        customType,
        publisher,
        timestamp,
      })),
      count: page.length,
      newStart: next === undefined ? 0 : next.timestamp,
      timestamp: Date.now(),
    };
  }

  private store(
    channelName: string,
    channelType: HistoryChannelType,
    message: string | Uint8Array,
    customType: string,
    publisher: string,
  ): void {
    // Strictly increasing, like server receive times of one channel.
    this.clock = Math.max(Date.now(), this.clock + 1);
    const messageType = typeof message === 'string' ? 'STRING' : 'BINARY';
    this.stored.push({
      channelName,
      channelType,
      message,
      messageType,
      customType,
      publisher,
      timestamp: this.clock,
    });
  }

  private async enter(operation: FakeOperation, target: string): Promise<void> {
    if (target === 'fake-crash') {
      setImmediate(() => {
        throw new Error('fake RTM client crashed (fake-crash)');
      });
      await new Promise<never>(() => undefined);
    }
    if (target.startsWith('fake-block:')) {
      const until = Date.now() + Number(target.slice('fake-block:'.length));
      while (Date.now() < until);
    }
    const slow = target.startsWith('fake-slow:') ? Number(target.slice('fake-slow:'.length)) : 0;
    const delay = this.latencyMs + slow;
    if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
    if (target.startsWith('fake-fail:')) {
      throw new FakeRtmError(Number(target.slice('fake-fail:'.length)), operation);
    }
    const call: FakeCall = { operation, target, at: Date.now() };
    this.calls.push(call);
    const kind = RATE_KIND[operation];
    const budget = kind === undefined ? undefined : this.rateLimits?.[kind];
    if (kind !== undefined && budget !== undefined) {
      // As the SDK counts: calls of this kind let through in the trailing 1,000 ms.
      const recent = this.calls.filter(
        (c) => c !== call && c.code !== -10021 && RATE_KIND[c.operation] === kind && c.at > call.at - 1000,
      );
      if (recent.length >= budget) this.refuse(operation, -10021);
    }
    const index = this.failures.findIndex((f) => f.operation === operation);
    if (index >= 0) {
      const [failure] = this.failures.splice(index, 1);
      if (failure !== undefined) this.refuse(operation, failure.code);
    }
  }

  /** Fails the call in progress (the last logged) with an SDK code. */
  private refuse(operation: FakeOperation, code: number): never {
    const last = this.calls[this.calls.length - 1];
    if (last !== undefined && last.operation === operation) last.code = code;
    throw new FakeRtmError(code, operation);
  }

  private async setUserMetadata(data: MetadataItem[], options?: SetOrUpdateUserMetadataOptions): Promise<SetUserMetadataResponse> {
    const userId = options?.userId ?? this.userId;
    await this.enter('setUserMetadata', userId);
    this.requireSession('setUserMetadata');
    if (!validName(userId)) this.refuse('setUserMetadata', -10006);
    const totalCount = this.setItems('setUserMetadata', `user:${userId}`, data);
    return { timestamp: Date.now(), userId, totalCount };
  }

  private async getUserMetadata(options?: GetUserMetadataOptions): Promise<GetUserMetadataResponse> {
    const userId = options?.userId ?? this.userId;
    await this.enter('getUserMetadata', userId);
    this.requireSession('getUserMetadata');
    if (!validName(userId)) this.refuse('getUserMetadata', -10006);
    return { timestamp: Date.now(), userId, ...this.snapshot(`user:${userId}`) };
  }

  private async removeUserMetadata(options?: RemoveUserMetadataOptions): Promise<RemoveUserMetadataResponse> {
    const userId = options?.userId ?? this.userId;
    await this.enter('removeUserMetadata', userId);
    this.requireSession('removeUserMetadata');
    if (!validName(userId)) this.refuse('removeUserMetadata', -10006);
    const totalCount = this.removeItems(`user:${userId}`, options?.data);
    return { timestamp: Date.now(), userId, totalCount };
  }

  private async setChannelMetadata(
    channelName: string,
    channelType: ChannelType,
    data: MetadataItem[],
    _options?: MetadataOptions,
  ): Promise<SetChannelMetadataResponse> {
    await this.enter('setChannelMetadata', channelName);
    this.requireSession('setChannelMetadata');
    if (!validName(channelName)) this.refuse('setChannelMetadata', -10008);
    const totalCount = this.setItems('setChannelMetadata', `${channelType}:${channelName}`, data);
    return { timestamp: Date.now(), channelName, channelType, totalCount };
  }

  private async getChannelMetadata(channelName: string, channelType: ChannelType): Promise<GetChannelMetadataResponse> {
    await this.enter('getChannelMetadata', channelName);
    this.requireSession('getChannelMetadata');
    if (!validName(channelName)) this.refuse('getChannelMetadata', -10008);
    return { timestamp: Date.now(), channelName, channelType, ...this.snapshot(`${channelType}:${channelName}`) };
  }

  private async removeChannelMetadata(
    channelName: string,
    channelType: ChannelType,
    options?: RemoveChannelMetadataOptions,
  ): Promise<RemoveChannelMetadataResponse> {
    await this.enter('removeChannelMetadata', channelName);
    this.requireSession('removeChannelMetadata');
    if (!validName(channelName)) this.refuse('removeChannelMetadata', -10008);
    const totalCount = this.removeItems(`${channelType}:${channelName}`, options?.data);
    return { timestamp: Date.now(), channelName, channelType, totalCount };
  }

  /** Upserts the items as the SDK and the server check them; nothing changes on a refusal. */
  private setItems(operation: StorageOperation, scope: string, data: MetadataItem[]): number {
    if (!Array.isArray(data) || data.length === 0) this.refuse(operation, -12003);
    if (data.length > ITEMS_PER_CALL) this.refuse(operation, -12002);
    const request: Record<string, string> = {};
    for (const item of data) {
      if (typeof item.key !== 'string' || !validName(item.key)) this.refuse(operation, -12009);
      if (bytes(item.key) > KEY_MAX_BYTES) this.refuse(operation, -12011);
      if (typeof item.value !== 'string') this.refuse(operation, -12010);
      if (bytes(item.value) > VALUE_MAX_BYTES) this.refuse(operation, -12012);
      if (item.key in request) this.refuse(operation, -12013);
      request[item.key] = item.value;
    }
    if (bytes(JSON.stringify(request)) > REQUEST_MAX_BYTES) this.refuse(operation, -12006);
    const current = this.metadata.get(scope) ?? new Map<string, MetaDataDetail>();
    let size = 0;
    for (const [key, detail] of current) if (!(key in request)) size += bytes(key) + bytes(detail.value);
    for (const [key, value] of Object.entries(request)) size += bytes(key) + bytes(value);
    // The documented 64 KB per set; which code the server answers is not documented.
    if (size > SET_MAX_BYTES) this.refuse(operation, -12006);
    for (const [key, value] of Object.entries(request)) {
      const revision = (current.get(key)?.revision ?? 0) + 1;
      current.set(key, { value, revision, updated: Date.now(), authorUid: this.userId });
    }
    this.metadata.set(scope, current);
    return current.size;
  }

  /** Removes the named items (missing ones are no error), or the whole set when none is named, as the SDK does. */
  private removeItems(scope: string, data: MetadataItem[] | undefined): number {
    const current = this.metadata.get(scope);
    if (current === undefined) return 0;
    if (data === undefined || data.length === 0) {
      this.metadata.delete(scope);
      return 0;
    }
    for (const item of data) current.delete(item.key);
    return current.size;
  }

  private snapshot(scope: string): { totalCount: number; majorRevision: number; metadata: Record<string, MetaDataDetail> } {
    const current = this.metadata.get(scope) ?? new Map<string, MetaDataDetail>();
    return { totalCount: current.size, majorRevision: -1, metadata: Object.fromEntries([...current].map(([k, v]) => [k, { ...v }])) };
  }

  /** Bytes a metadata set holds (keys and values), as the 64 KB limit counts them here. */
  setBytes(scope: string): number {
    let size = 0;
    for (const [key, detail] of this.metadata.get(scope) ?? []) size += bytes(key) + bytes(detail.value);
    return size;
  }

  private requireSession(operation: string): void {
    if (!this.loggedIn) throw new FakeRtmError(-10025, operation);
    if (this.tokenExpired) throw new FakeRtmError(-10009, operation);
  }
}

/** Stands in for `new AgoraRTM.RTM(appId, userId)`; loaded by the worker via `clientModule`. */
export function createRtmClient(appId: string, userId: string): RtmClientPort {
  return new FakeRtmClient(appId, userId);
}
