import { createHmac, randomUUID } from 'node:crypto';
import { Agent, request } from 'undici';
import type { OutboundMessage } from '../domain/message.js';
import { FifoQueue } from '../infra/memory/fifo-queue.js';

/** Where and how the after-send webhook delivers (docs/legacy-rest-contract.md, "Client sends and the after-send webhook"). */
export interface WebhookConfig {
  /** http(s) URL events are POSTed to; null: events are dropped. */
  url: string | null;
  /** HMAC-SHA256 key of `x-im-signature`; a url needs one. */
  secret: string | null;
  /** Share of answered attempts treated as failed anyway (the answer "lost" on its way back), 0..1. */
  failRate: number;
  /** Attempts per event, the first included. */
  maxAttempts: number;
  /** Backoff before the first retry; doubled per retry, full jitter, capped at MAX_BACKOFF_MS. */
  backoffMs: number;
  /** Deadline of one attempt, from connecting to the end of the reply. */
  timeoutMs: number;
  /** Attempts in flight at once; other events wait in a FIFO queue. */
  concurrency: number;
}

/** The config as the control API shows it: never the secret. */
export type WebhookSettings = Omit<WebhookConfig, 'secret'> & { secretSet: boolean };

/** What a caller may change; a secret can be replaced, not removed. */
export type WebhookPatch = Partial<Omit<WebhookConfig, 'secret'>> & { secret?: string };

export interface WebhookStats {
  /** Events waiting for an attempt: their first one, or a retry after its backoff. */
  queued: number;
  /** Attempts in flight, one event each. */
  inFlight: number;
  /** Every event enqueued: `events = queued + inFlight + delivered + gaveUp + rejected + dropped`. */
  events: number;
  /** Events that got a 2xx that failRate did not discard, once per event. */
  delivered: number;
  attempts: number;
  /** Attempts that did not deliver: network error, timeout, any answer but a 2xx, or an injected failure. */
  failedAttempts: number;
  /** Answered attempts failRate treated as failed. */
  injectedFailures: number;
  /** Events whose last allowed attempt failed. */
  gaveUp: number;
  /** Events the receiver refused on purpose (a status that is not retried). */
  rejected: number;
  /** Events never attempted to the end: no url, or the sim was reset or closed. */
  dropped: number;
}

/** The body of every delivery. */
export interface MessageSentEvent {
  type: 'message.sent';
  eventId: string;
  message: OutboundMessage;
}

/** A bad webhook setting; `statusCode` lets the sim's error handler answer 400 with the message. */
export class WebhookConfigError extends Error {
  readonly statusCode = 400;
  readonly code = 'bad_request';
}

export const MAX_BACKOFF_MS = 5_000;
export const WEBHOOK_DEFAULTS: WebhookConfig = { url: null, secret: null, failRate: 0, maxAttempts: 8, backoffMs: 100, timeoutMs: 5_000, concurrency: 16 };

const NUMBER_RANGES = {
  failRate: { min: 0, max: 1, integer: false },
  maxAttempts: { min: 1, max: 100, integer: true },
  backoffMs: { min: 0, max: MAX_BACKOFF_MS, integer: true },
  timeoutMs: { min: 1, max: 600_000, integer: true },
  concurrency: { min: 1, max: 1_024, integer: true },
} as const;
const MAX_SECRET_CHARS = 1_024;
const DISCARDED_REPLY_BYTES = 64 * 1024;

/**
 * `patch` merged into `current`, checked whole: an unknown field, a value out of range, or a url
 * without a secret throws a WebhookConfigError naming the field.
 */
export function mergeWebhookConfig(current: WebhookConfig, patch: unknown): WebhookConfig {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) throw new WebhookConfigError('webhook config must be a JSON object');
  const fields = patch as Record<string, unknown>;
  const unknown = Object.keys(fields).filter((key) => !(key in WEBHOOK_DEFAULTS));
  if (unknown.length > 0) throw new WebhookConfigError(`unknown webhook field: ${unknown.join(', ')}`);
  const next: WebhookConfig = { ...current };
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    if (key === 'url') next.url = checkUrl(value);
    else if (key === 'secret') next.secret = checkSecret(value);
    else next[key as keyof typeof NUMBER_RANGES] = checkNumber(key as keyof typeof NUMBER_RANGES, value);
  }
  if (next.url !== null && next.secret === null) {
    throw new WebhookConfigError('webhook url needs a secret: set secret too (--webhook-secret or LEGACY_IM_WEBHOOK_SECRET)');
  }
  return next;
}

function checkUrl(value: unknown): string | null {
  if (value === null) return null;
  const url = typeof value === 'string' && URL.canParse(value) ? new URL(value) : undefined;
  if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new WebhookConfigError(`webhook url must be an absolute http(s) URL or null, got ${JSON.stringify(value)}`);
  }
  return value as string;
}

function checkSecret(value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_SECRET_CHARS) {
    throw new WebhookConfigError(`webhook secret must be a string of 1 to ${MAX_SECRET_CHARS} characters`);
  }
  return value;
}

function checkNumber(key: keyof typeof NUMBER_RANGES, value: unknown): number {
  const { min, max, integer } = NUMBER_RANGES[key];
  const ok = typeof value === 'number' && Number.isFinite(value) && value >= min && value <= max && (!integer || Number.isInteger(value));
  if (!ok) throw new WebhookConfigError(`webhook ${key} must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}, got ${JSON.stringify(value)}`);
  return value as number;
}

interface PendingEvent {
  readonly eventId: string;
  /** Serialised once: every attempt signs and sends the same bytes. */
  readonly body: Buffer;
  /** The reset/close epoch it belongs to: an attempt that outlived one is not counted. */
  readonly epoch: number;
  attempts: number;
  lastTimestamp: number;
}

/** The HTTP status of an answered attempt, or undefined for a network error or a deadline passed. */
type Answer = number | undefined;

/**
 * The sim's after-send webhook: one signed `message.sent` event per stored client send, delivered
 * at least once (retried with backoff, `failRate` replays answered attempts), `concurrency` at a
 * time, in no guaranteed order.
 */
export class AfterSendWebhook {
  private config: WebhookConfig;
  /** O(1) shift: the queue of a receiver that is down can hold many thousand events. */
  private readonly waiting = new FifoQueue<PendingEvent>();
  private readonly backingOff = new Map<PendingEvent, NodeJS.Timeout>();
  private readonly inFlight = new Map<PendingEvent, AbortController>();
  private counters = zeroCounters();
  private epoch = 0;
  private closed = false;
  private readonly agent = new Agent({ keepAliveTimeout: 4_000 });

  /** `initial` is checked as a patch over the defaults; `random` draws failRate and the jitter. */
  constructor(initial: WebhookPatch = {}, private readonly random: () => number = Math.random) {
    this.config = mergeWebhookConfig(WEBHOOK_DEFAULTS, initial);
  }

  settings(): WebhookSettings {
    const { secret, ...rest } = this.config;
    return { ...rest, secretSet: secret !== null };
  }

  /** Merges `patch` (checked whole, see mergeWebhookConfig); later attempts, retries of queued events included, use it. */
  configure(patch: unknown): WebhookSettings {
    this.config = mergeWebhookConfig(this.config, patch);
    this.pump();
    return this.settings();
  }

  stats(): WebhookStats {
    return { queued: this.waiting.length + this.backingOff.size, inFlight: this.inFlight.size, ...this.counters };
  }

  /** One event for a stored client send; dropped when there is no url or the webhook is closed. */
  enqueue(message: OutboundMessage): void {
    this.counters.events++;
    if (this.closed || this.config.url === null) {
      this.counters.dropped++;
      return;
    }
    const eventId = randomUUID();
    const event: MessageSentEvent = { type: 'message.sent', eventId, message: eventMessage(message) };
    this.waiting.push({ eventId, body: Buffer.from(JSON.stringify(event)), epoch: this.epoch, attempts: 0, lastTimestamp: 0 });
    this.pump();
  }

  /** Forgets every pending event and zeroes the counters; the config stays. */
  reset(): void {
    this.abandonPending();
    this.counters = zeroCounters();
  }

  /** Stops delivering: pending events are dropped (and counted), attempts in flight aborted, sockets closed. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.counters.dropped += this.waiting.length + this.backingOff.size + this.inFlight.size;
    this.abandonPending();
    await this.agent.destroy();
  }

  private abandonPending(): void {
    this.epoch++;
    for (const controller of this.inFlight.values()) controller.abort();
    for (const timer of this.backingOff.values()) clearTimeout(timer);
    this.inFlight.clear();
    this.backingOff.clear();
    this.waiting.clear();
  }

  private pump(): void {
    while (!this.closed && this.inFlight.size < this.config.concurrency) {
      const event = this.waiting.shift();
      if (event === undefined) return;
      if (this.config.url === null || this.config.secret === null) {
        this.counters.dropped++;
        continue;
      }
      const controller = new AbortController();
      this.inFlight.set(event, controller);
      void this.attempt(event, this.config.url, this.config.secret, controller);
    }
  }

  private async attempt(event: PendingEvent, url: string, secret: string, controller: AbortController): Promise<void> {
    event.attempts++;
    this.counters.attempts++;
    // Strictly increasing per event, so no two attempts share a timestamp even within one millisecond.
    const timestamp = Math.max(Date.now(), event.lastTimestamp + 1);
    event.lastTimestamp = timestamp;
    const status = await this.post(url, signedHeaders(secret, timestamp, event.body), event.body, controller);
    // Reset or closed meanwhile: the event is already forgotten (or counted dropped).
    if (event.epoch !== this.epoch) return;
    this.inFlight.delete(event);
    this.settle(event, status);
    this.pump();
  }

  private settle(event: PendingEvent, status: Answer): void {
    const answerLost = status !== undefined && this.config.failRate > 0 && this.random() < this.config.failRate;
    if (answerLost) this.counters.injectedFailures++;
    else if (status !== undefined && status >= 200 && status < 300) {
      this.counters.delivered++;
      return;
    }
    this.counters.failedAttempts++;
    if (answerLost || status === undefined || status === 408 || status === 429 || status >= 500) this.retryLater(event);
    else this.counters.rejected++;
  }

  private async post(url: string, headers: Record<string, string>, body: Buffer, controller: AbortController): Promise<Answer> {
    const deadline = setTimeout(() => controller.abort(), this.config.timeoutMs);
    try {
      const response = await request(url, { method: 'POST', headers, body, dispatcher: this.agent, signal: controller.signal });
      // The status decides; the reply body is read (within the deadline) only to free the socket.
      await response.body.dump({ limit: DISCARDED_REPLY_BYTES });
      return controller.signal.aborted ? undefined : response.statusCode;
    } catch {
      return undefined;
    } finally {
      clearTimeout(deadline);
    }
  }

  private retryLater(event: PendingEvent): void {
    if (event.attempts >= this.config.maxAttempts) {
      this.counters.gaveUp++;
      return;
    }
    const ceiling = Math.min(MAX_BACKOFF_MS, this.config.backoffMs * 2 ** (event.attempts - 1));
    const timer = setTimeout(() => {
      this.backingOff.delete(event);
      this.waiting.push(event);
      this.pump();
    }, this.random() * ceiling);
    // A pending retry alone must not keep the process alive.
    timer.unref();
    this.backingOff.set(event, timer);
  }
}

function signedHeaders(secret: string, timestamp: number, body: Buffer): Record<string, string> {
  const signature = createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex');
  return { 'content-type': 'application/json', 'x-im-timestamp': String(timestamp), 'x-im-signature': `v1=${signature}` };
}

/** The message with its fields in the documented order, `kind` only when it has one. */
function eventMessage(message: OutboundMessage): OutboundMessage {
  const { id, from, to, payload, kind, sentAt } = message;
  return kind === undefined ? { id, from, to: { type: to.type, id: to.id }, payload, sentAt } : { id, from, to: { type: to.type, id: to.id }, payload, kind, sentAt };
}

function zeroCounters(): Omit<WebhookStats, 'queued' | 'inFlight'> {
  return { events: 0, delivered: 0, attempts: 0, failedAttempts: 0, injectedFailures: 0, gaveUp: 0, rejected: 0, dropped: 0 };
}
