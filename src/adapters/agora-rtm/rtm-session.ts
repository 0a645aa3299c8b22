import { AdapterError, toAdapterError } from '../adapter-error.js';
import type { AdapterHealth } from '../messaging-adapter.js';
import type { RtmClientPort } from './rtm-client-port.js';
import { fromRtmError, rtmErrorCode, RTM_NOT_LOGGED_IN, RTM_TOKEN_EXPIRED } from './rtm-errors.js';
import type { TokenProvider } from './token-provider.js';
import type { LogLevel } from './worker-protocol.js';

export interface RtmSessionOptions {
  /** Budget of one call, login included. */
  timeoutMs: number;
  /** How long a failed login is answered from memory before the SDK is asked again. */
  loginRetryMs?: number;
  /** Rare events only (login, link, token); never called per message. */
  log?: (level: LogLevel, text: string) => void;
}

/**
 * One logged-in RTM client, shared by everything in the worker that calls the SDK (live messaging
 * and the migration): RTM allows one client per process. Logs in lazily, logs in again when the
 * SDK says the session or token is gone, and turns every SDK failure into an AdapterError.
 */
export class RtmSession {
  private session: Promise<void> | undefined;
  private loginFailure: { error: AdapterError; at: number } | undefined;
  private link: { state: string; reason: string } | undefined;
  private readonly loginRetryMs: number;
  private closed = false;

  constructor(
    private readonly client: RtmClientPort,
    private readonly tokens: TokenProvider,
    private readonly options: RtmSessionOptions,
  ) {
    this.loginRetryMs = options.loginRetryMs ?? 1000;
    client.addEventListener('linkState', (event) => {
      if (event.serviceType !== 'MESSAGE') return;
      this.link = { state: event.currentState, reason: event.reasonCode };
      // FAILED is final for the SDK (kicked out, token expired): the next call logs in again.
      if (event.currentState === 'FAILED') this.session = undefined;
      this.options.log?.('info', `RTM link ${event.currentState} (${event.reasonCode})`);
    });
    client.addEventListener('tokenPrivilegeWillExpire', () => void this.renewToken());
  }

  /** Runs one SDK action logged in, within the call budget, with failures classified. */
  call<T>(operation: string, action: () => Promise<T>): Promise<T> {
    if (this.closed) {
      return Promise.reject(new AdapterError('unavailable', 'agora-rtm client closed'));
    }
    return withTimeout(this.attempt(operation, action), this.options.timeoutMs, operation);
  }

  /**
   * Like `call`, for work that queues behind a rate limiter: `gate` is awaited right before each
   * attempt reaches the SDK (so the SDK counts the call when the limiter did), and the wait is
   * not part of the budget; login and the SDK call each get the whole budget.
   */
  async gatedCall<T>(operation: string, gate: () => Promise<void>, action: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      if (this.closed) throw new AdapterError('unavailable', 'agora-rtm client closed');
      await withTimeout(this.ensureLoggedIn(), this.options.timeoutMs, 'login');
      await gate();
      try {
        return await withTimeout(action(), this.options.timeoutMs, operation);
      } catch (err) {
        const code = toAdapterError(err).vendorCode;
        if (attempt > 0 || (code !== RTM_NOT_LOGGED_IN && code !== RTM_TOKEN_EXPIRED)) throw err;
        this.options.log?.('info', `RTM session lost in ${operation} (${code}); logging in again`);
        this.session = undefined;
      }
    }
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
