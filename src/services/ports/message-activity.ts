import type { OutboundMessage, Side } from '../../domain/message.js';

/**
 * Told of each message a gateway takes, for usage metering's users: who is active on which side
 * (its sender and 1:1 recipient, on every side it is written to) and whose app is seen online
 * where. In memory, no I/O on the send path.
 */
export interface MessageActivity {
  /**
   * Taken through the API for `primary` and, when dual-written, `secondary` (null). Its sender is
   * online on their own cohort's side, the one their app logs into, which need not be the
   * primary (that follows the recipient).
   */
  accepted(message: OutboundMessage, primary: Side, secondary: Side | null, now: number): void;
  /** Sent through `via`'s SDK, so its sender is online there; it crosses to `to` (null: it does not). */
  bridged(message: OutboundMessage, via: Side, to: Side | null, now: number): void;
}
