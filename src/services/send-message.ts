import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { AdapterError, toAdapterError } from '../adapters/adapter-error.js';
import { deliver, type MessagingAdapter } from '../adapters/messaging-adapter.js';
import {
  IdempotencyMismatchError, MessageInFlightError, OutboxUnavailableError, RejectedBySideError, SideUnavailableError,
} from '../domain/errors.js';
import type { OutboundMessage, Peer, Side } from '../domain/message.js';
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
}

export interface SendMessageDeps {
  router: Router;
  outbox: Outbox;
  sides: Record<Side, MessagingAdapter>;
  telemetry: Telemetry;
  logger: Logger;
  /** Called after a commit, so local outbox workers pick the secondary up at once. */
  onCommitted?: (secondary: Side) => void;
  clock?: () => number;
}

/**
 * Accepts one message: decide the route, append to the write-ahead outbox (the commit point, one
 * Redis round trip), write the primary, reply; the secondary is written by the outbox workers.
 * If the primary refuses, the append is undone, so an error reply leaves nothing half-written.
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

    let begun: BeginResult;
    try {
      begun = await outbox.begin(record, now);
    } catch (err) {
      throw this.outboxUnavailable(record, err);
    }
    if (begun.status === 'duplicate') {
      telemetry.message(begun.receipt.primary, 'duplicate');
      return { ...begun.receipt, duplicate: true };
    }
    if (begun.status === 'in_flight') {
      throw new MessageInFlightError(`message ${message.id} is still being delivered; retry shortly with the same id`, { retryAfterSeconds: 1 });
    }
    if (begun.status === 'mismatch') {
      throw new IdempotencyMismatchError(`message id ${message.id} was already used for a different message; use a new id`);
    }

    try {
      await deliver(sides[route.primary], message);
    } catch (err) {
      await this.abort(record);
      throw this.primaryFailure(route.primary, toAdapterError(err));
    }
    const receipt: Receipt = {
      id: message.id, primary: route.primary, secondary: route.secondary, stateVersion: route.state.version, acceptedAt: now,
    };
    const committed = outbox.commit(record, receipt);
    // A callback bound once per side: no closure per message.
    if (route.secondary) void committed.then(this.wake[route.secondary]);
    telemetry.message(route.primary, 'accepted');
    return { id: receipt.id, primary: receipt.primary, secondary: receipt.secondary, stateVersion: receipt.stateVersion, acceptedAt: now, duplicate: false };
  }

  private outboxUnavailable(record: OutboxRecord, cause: unknown): Error {
    this.deps.telemetry.message(record.primary, 'outbox_unavailable');
    return new OutboxUnavailableError('the outbox (Redis) is unreachable, so the message cannot be accepted durably; retry shortly', {
      retryAfterSeconds: 1, cause,
    });
  }

  private async abort(record: OutboxRecord): Promise<void> {
    try {
      await this.deps.outbox.abort(record);
    } catch (err) {
      // Cannot undo: recovery will deliver it after the grace; a retry with the same id stays safe.
      this.deps.logger.error({ err: { message: (err as Error).message }, messageId: record.message.id }, 'outbox abort failed; the message may still be delivered by recovery');
    }
  }

  private primaryFailure(primary: Side, error: AdapterError): Error {
    this.deps.telemetry.message(primary, error.retryable ? 'failed' : 'rejected');
    if (!error.retryable) {
      return new RejectedBySideError(`the ${primary} side refused the message: ${error.message}`, { details: { side: primary, vendorCode: error.vendorCode }, cause: error });
    }
    return new SideUnavailableError(`the ${primary} side did not accept the message (${error.failure}); nothing was stored, retry with the same id`, {
      retryAfterSeconds: 1, details: { side: primary, failure: error.failure }, cause: error,
    });
  }
}
