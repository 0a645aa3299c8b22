import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { type AdapterError, toAdapterError } from '../adapters/adapter-error.js';
import { deliver, type MessagingAdapter } from '../adapters/messaging-adapter.js';
import {
  IdempotencyMismatchError, MessageInFlightError, OutboxUnavailableError, RejectedBySideError, SideUnavailableError,
} from '../domain/errors.js';
import type { OutboundMessage, Peer, Side } from '../domain/message.js';
import type { MessageActivity } from './ports/message-activity.js';
import type { BeginResult, Outbox, OutboxRecord, Receipt } from './ports/outbox.js';
import type { Telemetry } from './ports/telemetry.js';
import type { Router } from './router.js';

export interface SendInput {
  /** The caller's idempotency key; generated when absent. */
  id?: string;
  from: string;
  to: Peer;
  payload: string;
  kind?: string;
}

export interface SendOutcome extends Receipt {
  /** True when this id was already accepted and this reply repeats the first one. */
  duplicate: boolean;
  /**
   * True when the primary's answer was ambiguous (a timeout, a reset, a 5xx: it may hold the
   * message): the message is in the outbox and recovery writes it to both sides; a retry with the
   * same id answers "in flight" until then, and this receipt once it is done.
   */
  pending: boolean;
}

export interface SendMessageDeps {
  router: Router;
  outbox: Outbox;
  sides: Record<Side, MessagingAdapter>;
  telemetry: Telemetry;
  logger: Logger;
  /** Called after a commit, so local outbox workers pick the secondary up at once. */
  onCommitted?: (secondary: Side) => void;
  /** How soon recovery takes over a message whose primary answered ambiguously. */
  handOverDelayMs?: number;
  /** Told of each message taken (usage metering's active and online users). */
  activity?: MessageActivity;
  clock?: () => number;
}

/**
 * Accepts one message: decide the route, append to the write-ahead outbox (the commit point, one
 * Redis round trip), write the primary, reply; the secondary is written by the outbox workers.
 * If the primary refuses (a definite 4xx) or cannot be reached at all, the append is undone:
 * nothing is stored anywhere. If its answer is ambiguous (it may have stored the message), the
 * message is left to recovery, which writes it to both sides, and the caller is told it is
 * pending. Every error names the message id.
 */
export class SendMessage {
  private readonly clock: () => number;

  private readonly wake: Record<Side, () => void>;

  constructor(private readonly deps: SendMessageDeps) {
    this.clock = deps.clock ?? Date.now;
    this.wake = { old: () => deps.onCommitted?.('old'), new: () => deps.onCommitted?.('new') };
  }

  async send(input: SendInput): Promise<SendOutcome> {
    const { router, outbox, sides, telemetry } = this.deps;
    const route = router.route(input.to);
    const now = this.clock();
    const message: OutboundMessage = {
      id: input.id ?? randomUUID(),
      from: input.from,
      to: input.to,
      payload: input.payload,
      sentAt: now,
    };
    if (input.kind !== undefined) message.kind = input.kind;
    const record: OutboxRecord = {
      message,
      primary: route.primary,
      secondary: route.secondary,
      stateVersion: route.state.version,
      idFromCaller: input.id !== undefined,
    };

    const messageId = message.id;
    let begun: BeginResult;
    try {
      begun = await outbox.begin(record, now);
    } catch (err) {
      throw this.outboxUnavailable(record, err);
    }
    if (begun.status === 'duplicate') {
      telemetry.message(begun.receipt.primary, 'duplicate');
      return { ...begun.receipt, duplicate: true, pending: false };
    }
    if (begun.status === 'in_flight') {
      throw new MessageInFlightError(`message ${messageId} is still being delivered; retry shortly with the same id for its receipt`, { retryAfterSeconds: 1, details: { messageId } });
    }
    if (begun.status === 'mismatch') {
      throw new IdempotencyMismatchError(`message id ${messageId} was already used for a different message; use a new id`, { details: { messageId } });
    }

    const receipt: Receipt = {
      id: messageId, primary: route.primary, secondary: route.secondary, stateVersion: route.state.version, acceptedAt: now,
    };
    try {
      await deliver(sides[route.primary], message);
    } catch (err) {
      const error = toAdapterError(err);
      // An abort that did not happen (Redis away, or recovery already holds it) leaves the message
      // owed: then, as for an ambiguous answer, recovery decides and the caller hears "pending".
      if ((!error.retryable || error.notSent) && (await this.abort(record, now))) throw this.notStored(route.primary, messageId, error);
      await this.handOver(record, now);
      telemetry.message(route.primary, 'pending');
      this.deps.activity?.accepted(message, route.primary, route.secondary, now);
      return { ...receipt, duplicate: false, pending: true };
    }
    const committed = outbox.commit(record, receipt);
    this.deps.activity?.accepted(message, route.primary, route.secondary, now);
    // A callback bound once per side: no closure per message.
    if (route.secondary) void committed.then(this.wake[route.secondary]);
    telemetry.message(route.primary, 'accepted');
    return { id: messageId, primary: receipt.primary, secondary: receipt.secondary, stateVersion: receipt.stateVersion, acceptedAt: now, duplicate: false, pending: false };
  }

  /**
   * A connection that is down refuses the command before it leaves (no offline queue): nothing
   * was recorded. Anything else (a timeout, a connection lost while the command was out) came
   * after it left: the append may have landed, and recovery would then deliver it.
   */
  private outboxUnavailable(record: OutboxRecord, cause: unknown): Error {
    this.deps.telemetry.message(record.primary, 'outbox_unavailable');
    const messageId = record.message.id;
    const unknown = !(cause instanceof Error && NOT_SENT_TO_REDIS.test(cause.message));
    const message = unknown
      ? `the outbox (Redis) failed after the append was sent: message ${messageId} may or may not have been accepted; retry with the same id (it is never delivered twice)`
      : `the outbox (Redis) is unreachable, so message ${messageId} was not accepted; retry shortly with the same id`;
    return new OutboxUnavailableError(message, { retryAfterSeconds: 1, cause, details: { messageId, outcome: unknown ? 'unknown' : 'not_accepted' } });
  }

  /** True once nothing is owed any more; false if the message stays the outbox's to finish. */
  private async abort(record: OutboxRecord, begunAt: number): Promise<boolean> {
    try {
      return await this.deps.outbox.abort(record, begunAt);
    } catch (err) {
      this.deps.logger.warn({ err: { message: (err as Error).message }, messageId: record.message.id }, 'outbox abort failed; recovery finishes the message (a side that refused it refuses it again, and it is dead-lettered)');
      return false;
    }
  }

  private async handOver(record: OutboxRecord, begunAt: number): Promise<void> {
    try {
      await this.deps.outbox.handOver(record, begunAt, this.clock() + (this.deps.handOverDelayMs ?? DEFAULT_HAND_OVER_DELAY_MS));
    } catch (err) {
      // Still owed: recovery takes it when the grace ends instead of sooner.
      this.deps.logger.warn({ err: { message: (err as Error).message }, messageId: record.message.id }, 'could not hand the message over to recovery early; it is recovered after the grace');
    }
  }

  /** A definite answer: the side refused the message, or could not be reached at all. */
  private notStored(primary: Side, messageId: string, error: AdapterError): Error {
    this.deps.telemetry.message(primary, error.retryable ? 'failed' : 'rejected');
    if (!error.retryable) {
      return new RejectedBySideError(`the ${primary} side refused message ${messageId}: ${error.message}; nothing was stored`, {
        details: { messageId, side: primary, vendorCode: error.vendorCode }, cause: error,
      });
    }
    return new SideUnavailableError(`the ${primary} side could not be reached (${error.failure}); message ${messageId} was not stored, retry with the same id`, {
      retryAfterSeconds: 1, details: { messageId, side: primary, failure: error.failure }, cause: error,
    });
  }
}

const DEFAULT_HAND_OVER_DELAY_MS = 250;
/**
 * ioredis's refusal to send on a connection that is not up (enableOfflineQueue off). Its
 * "Connection is closed." also fails commands that were already sent, so it proves nothing.
 */
const NOT_SENT_TO_REDIS = /isn't writeable and enableOfflineQueue/;
