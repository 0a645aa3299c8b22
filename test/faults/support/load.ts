import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Answer } from './gateway-client.js';

/** Where a logical message ended up, from its caller's side. */
export type Outcome =
  /** 201 or 200: a receipt. */
  | 'accepted'
  /** 202 (or an in-flight 409 after it) when the caller stopped asking: durably owed, not yet delivered. */
  | 'pending'
  /** An HTTP error answer. */
  | 'failed'
  /** No answer: a reset, a refused connection, a timeout, no gateway ready. */
  | 'network';

/** One logical message: one unique payload, however many requests its caller made for it. */
export interface Logical {
  payload: string;
  /** Whether the caller sent an id of its own (false: an id-less caller, using only ids the answers gave it). */
  callerId: boolean;
  /** The last id the caller knew (its own, or one an answer named). */
  id: string | undefined;
  outcome: Outcome;
  /** When its first request left. */
  startedAt: number;
  /** `HTTP <status> <code>` or the transport error code of the final answer. */
  failure?: string;
  /**
   * The final failure leaves the outcome unknown: no answer, or a 503 that says the outbox may have
   * taken it (`details.outcome: 'unknown'`). A side holding such a message broke no promise.
   */
  ambiguous: boolean;
  /** When the first 2xx/202 arrived: from then on the message must not be lost. */
  promisedAt?: number;
  /** The id that answer named; the sides must hold the message under it. */
  promisedId?: string;
  primary?: string;
  /** Every answer, compactly (`201`, `202`, `409`, `ECONNRESET` ...), for failure messages. */
  trail: string[];
}

export interface LoadOptions {
  /** Prefix of every id and payload: tells scenarios apart in a side's store. */
  name: string;
  post: (path: string, body: unknown) => Promise<Answer>;
  workers: number;
  /** Stop starting messages after this many in all. */
  count?: number;
  /** Stop starting messages this long after the start (the messages under way finish). */
  durationMs?: number;
  /** Each worker's pause between two messages. */
  pauseMs?: number;
  /** How many of the workers send no id of their own (the last ones). */
  idlessWorkers?: number;
  /**
   * After a 202 or an in-flight 409, keep asking with the id, every 200 ms for up to this long, until
   * a receipt. 0: a 202 is the caller's final answer.
   */
  followUpMs?: number;
  /** Retries (same id) after a transport error, when the caller knows an id. */
  networkRetries?: number;
  /**
   * Retries after a 5xx answer: with the id the caller has or the answer names, or, for an id-less
   * caller the answer gave none, without an id, as a naive client would.
   */
  errorRetries?: number;
  /** Recipients u0..u<users-1>: with canary 50 % some are primaries on each side. */
  users?: number;
}

const RETRY_PAUSE_MS = 200;

/** Sends unique logical messages from `workers` concurrent callers until the count or the duration is reached. */
export class LoadGenerator {
  readonly messages: Logical[] = [];
  private running = true;
  private readonly done: Promise<void>;
  private readonly startedAt = Date.now();
  /** A run marker in every payload: no payload of one run can match another's. */
  private readonly run = randomBytes(4).toString('hex');

  constructor(private readonly options: LoadOptions) {
    const idless = options.idlessWorkers ?? 0;
    this.done = Promise.all(Array.from({ length: options.workers }, (_, w) => this.worker(w, w >= options.workers - idless))).then(() => undefined);
  }

  /** Stops starting messages and waits for those under way (their follow-ups are bounded). */
  async stop(): Promise<Logical[]> {
    this.running = false;
    await this.done;
    return this.messages;
  }

  /** Waits until the count or duration ends the run by itself. */
  async finished(): Promise<Logical[]> {
    await this.done;
    return this.messages;
  }

  /** Messages already promised (2xx/202), e.g. to see that load reached the gateways. */
  get promised(): number {
    return this.messages.filter((m) => m.promisedAt !== undefined).length;
  }

  private more(): boolean {
    const { count, durationMs } = this.options;
    if (!this.running) return false;
    if (count !== undefined && this.messages.length >= count) return false;
    return durationMs === undefined || Date.now() - this.startedAt < durationMs;
  }

  private async worker(w: number, idless: boolean): Promise<void> {
    const { name, users = 200, pauseMs = 0 } = this.options;
    for (let i = 0; this.more(); i++) {
      const key = `${name}-${w}-${i}`;
      const message: Logical = { payload: `${key} ${this.run}`, callerId: !idless, id: idless ? undefined : key, outcome: 'network', startedAt: Date.now(), ambiguous: true, trail: [] };
      this.messages.push(message);
      await this.deliver(message, { from: `caller-${w}`, to: { type: 'user', id: `u${(w * 7919 + i) % users}` } });
      if (pauseMs > 0) await sleep(pauseMs);
    }
  }

  /** One logical message, answer by answer, until a final outcome. */
  private async deliver(message: Logical, envelope: { from: string; to: { type: 'user'; id: string } }): Promise<void> {
    const { post, followUpMs = 0, networkRetries = 0, errorRetries = 0 } = this.options;
    let followUpUntil: number | undefined;
    let networkLeft = networkRetries;
    let errorsLeft = errorRetries;
    for (;;) {
      const answer = await post('/v1/messages', { ...envelope, payload: message.payload, ...(message.id === undefined ? {} : { id: message.id }) });
      if (answer.status === undefined) {
        message.trail.push(answer.error);
        if (message.id !== undefined && networkLeft-- > 0) {
          await sleep(RETRY_PAUSE_MS);
          continue;
        }
        // A promise already made stands (pending); otherwise the caller never learned anything.
        settle(message, message.promisedAt === undefined ? 'network' : 'pending', answer.error, message.promisedAt === undefined);
        return;
      }
      message.trail.push(String(answer.status));
      const { status, body } = answer;
      const id: string | undefined = body?.id ?? body?.error?.details?.messageId;
      if (id !== undefined) message.id = id;
      if (status === 200 || status === 201 || status === 202) {
        message.promisedAt ??= answer.at;
        message.promisedId ??= body.id;
        message.primary ??= body.primary;
        if (status !== 202) return settle(message, 'accepted');
      }
      const inFlight = status === 409 && body?.error?.code === 'MESSAGE_IN_FLIGHT';
      if (status === 202 || inFlight) {
        followUpUntil ??= answer.at + followUpMs;
        if (Date.now() < followUpUntil) {
          await sleep(RETRY_PAUSE_MS);
          continue;
        }
        if (message.promisedAt !== undefined) return settle(message, 'pending');
      }
      if (status >= 500 && errorsLeft-- > 0) {
        await sleep(RETRY_PAUSE_MS);
        continue;
      }
      const outcome: string | undefined = body?.error?.details?.outcome;
      const failure = `HTTP ${status} ${body?.error?.code ?? ''}${outcome === undefined ? '' : ` (${outcome})`}`;
      if (message.promisedAt !== undefined) return settle(message, 'pending', failure);
      // Still in flight, or the outbox may have taken it: the caller cannot know.
      return settle(message, 'failed', failure, inFlight || outcome === 'unknown');
    }
  }
}

function settle(message: Logical, outcome: Outcome, failure?: string, ambiguous = false): void {
  message.outcome = outcome;
  message.ambiguous = ambiguous;
  if (failure !== undefined) message.failure = failure;
}
