import type { Logger } from 'pino';
import { CutoverError, IdempotencyMismatchError, OutboxUnavailableError } from '../domain/errors.js';
import { otherSide, type OutboundMessage, type Side } from '../domain/message.js';
import type { BridgeTelemetry } from './ports/bridge-telemetry.js';
import type { MessageActivity } from './ports/message-activity.js';
import type { Outbox, OutboxRecord } from './ports/outbox.js';
import type { Router } from './router.js';

export interface BridgeIntakeDeps {
  router: Router;
  outbox: Outbox;
  telemetry: BridgeTelemetry;
  /** Called once a bridged message is queued for `target`, so local workers write it at once. */
  onCommitted?: (target: Side) => void;
  /** Told of each message: its sender's app sent it through `from`'s SDK, so it is connected there. */
  activity?: MessageActivity;
  clock?: () => number;
  logger?: Pick<Logger, 'warn' | 'error'>;
}

/** A relayed message has no sender to send it again: an outbox outage is waited out this long. */
const RELAY_RETRIES = 40;
const RELAY_RETRY_MS = 250;

/** What the sending side's webhook is told: where the message came from and whether it crosses. */
export interface BridgeReceipt {
  id: string;
  from: Side;
  /** The side it is written to; null when it need not cross. */
  to: Side | null;
  /** Its id was taken before (a retried webhook, or a message that reached both sides already). */
  duplicate: boolean;
}

/**
 * Takes a message a client sent straight through one side's SDK (its after-send webhook) and
 * writes it to the other side through the outbox, under its own id: a retried webhook, or a
 * message Cutover itself wrote to both sides, is a duplicate and crosses no second time. It
 * crosses when the recipient's cohort is the other side, or while messages are dual-written.
 * Loop-free because sides fire no webhook for what Cutover writes through their server API.
 */
export class BridgeIntake {
  private readonly clock: () => number;

  constructor(private readonly deps: BridgeIntakeDeps) {
    this.clock = deps.clock ?? Date.now;
  }

  async accept(from: Side, message: OutboundMessage): Promise<BridgeReceipt> {
    const { router, outbox, telemetry } = this.deps;
    const now = this.clock();
    const route = router.route(message.to);
    const target = otherSide(from);
    if (route.secondary === null && route.primary === from) {
      this.deps.activity?.bridged(message, from, null, now);
      telemetry.bridged(from, 'not_needed');
      return { id: message.id, from, to: null, duplicate: false };
    }
    const record: OutboxRecord = { message, primary: from, secondary: target, stateVersion: route.state.version, idFromCaller: true, origin: from };
    let begun;
    try {
      begun = await outbox.begin(record, now);
    } catch (err) {
      throw new OutboxUnavailableError(`the outbox (Redis) did not take bridged message ${message.id}; send the event again`, { retryAfterSeconds: 1, cause: err, details: { messageId: message.id } });
    }
    if (begun.status === 'mismatch') {
      throw new IdempotencyMismatchError(`message id ${message.id} was already used for a different message; it is not bridged`, { details: { messageId: message.id } });
    }
    if (begun.status !== 'new') {
      // In flight: another delivery of the same event is being taken; it crosses once.
      this.deps.activity?.bridged(message, from, null, now);
      telemetry.bridged(from, 'duplicate');
      return { id: message.id, from, to: target, duplicate: true };
    }
    const committed = outbox.commit(record, { id: message.id, primary: from, secondary: target, stateVersion: route.state.version, acceptedAt: now });
    void committed.then(() => this.deps.onCommitted?.(target));
    this.deps.activity?.bridged(message, from, target, now);
    telemetry.bridged(from, 'bridged');
    return { id: message.id, from, to: target, duplicate: false };
  }

  /**
   * A message a relay saw (an RTM channel): no webhook will send it again, so an outbox that does
   * not answer is retried here, for about ten seconds; a refusal (an id reused) is logged and dropped.
   */
  async acceptRelayed(from: Side, message: OutboundMessage): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.accept(from, message);
        return;
      } catch (err) {
        const refused = err instanceof CutoverError && err.statusCode < 500;
        if (refused || attempt >= RELAY_RETRIES) {
          this.deps.telemetry.bridgeRejected(from, refused ? err.code.toLowerCase() : 'outbox_unavailable');
          this.deps.logger?.error({ messageId: message.id, from, err: { message: (err as Error).message } }, 'relayed message not bridged');
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, RELAY_RETRY_MS));
      }
    }
  }
}
