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
 */
import type {
  GetHistoryMessageOptions,
  GetMessagesResponse,
  HistoryChannelType,
  HistoryMessage,
  LoginResponse,
  LogoutResponse,
  PublishOptions,
  PublishResponse,
  RenewTokenResponse,
  RTMBaseError,
  RTMEvents,
} from 'agora-rtm-sdk';
import type { RtmClientPort } from '../../src/adapters/agora-rtm/rtm-client-port.js';

type EventMap = RTMEvents.RTMClientEventMap;
type FakeOperation = 'login' | 'logout' | 'publish' | 'getMessages' | 'renewToken';

/** Reasons the SDK gives for the codes tests use most; others get a generic one. */
const REASONS: Record<number, string> = {
  [-10005]: 'Invalid token.',
  [-10009]: 'Token is expired.',
  [-10025]: 'Perform operation failed due to RTM service is not connected.',
  [-11010]: 'Publish message length exceed limitation.',
  [-11026]: 'Publish message timeout.',
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

export class FakeRtmClient implements RtmClientPort {
  /** Every successful publish, in order. */
  readonly published: PublishedMessage[] = [];
  /** Tokens login was called with, in order. */
  readonly loginTokens: string[] = [];
  readonly renewedTokens: string[] = [];
  loggedIn = false;
  /** Added to every call, in milliseconds. */
  latencyMs = 0;
  private tokenExpired = false;
  private readonly failures: Array<{ operation: FakeOperation; code: number }> = [];
  private readonly stored: Stored[] = [];
  private readonly listeners: { [E in keyof EventMap]?: Array<EventMap[E]> } = {};
  private clock = 0;

  readonly history = {
    getMessages: (
      channelName: string,
      channelType: HistoryChannelType,
      options?: GetHistoryMessageOptions,
    ): Promise<GetMessagesResponse> => this.getMessages(channelName, channelType, options),
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
    // The SDK only reads USER history of the logged-in user's own inbox.
    if (channelType === 'USER' && channelName !== this.userId) {
      throw new FakeRtmError(-15004, 'getMessages');
    }
    const start = options?.start ?? 0;
    const count = Math.min(options?.messageCount ?? 100, 100);
    const older = this.stored
      .filter(
        (m) =>
          m.channelName === channelName &&
          m.channelType === channelType &&
          (start === 0 || m.timestamp <= start),
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
    const index = this.failures.findIndex((f) => f.operation === operation);
    if (index >= 0) {
      const [failure] = this.failures.splice(index, 1);
      if (failure !== undefined) throw new FakeRtmError(failure.code, operation);
    }
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
