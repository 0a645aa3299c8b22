import type { OutboundMessage, Side } from '../../domain/message.js';

/** Where a message taken through the API is written: the router's answer for its recipient. */
export interface TakenRoute {
  primary: Side;
  /** Dual-written there too; null: not. */
  secondary: Side | null;
  /**
   * The recipient's slot in the gateway's PeerSlots, read in generation `slotGeneration`: spares
   * the meter a lookup. Absent (or stale), the meter looks the recipient up itself.
   */
  slot?: number;
  slotGeneration?: number;
}

/**
 * Told of each message a gateway takes, for usage metering's users: who is active on which side
 * (its sender and 1:1 recipient, on every side it is written to) and whose app is seen online
 * where. In memory, no I/O on the send path.
 */
export interface MessageActivity {
  /**
   * Taken through the API, routed by `route`. Its sender is online on their own cohort's side,
   * the one their app logs into, which need not be the primary (that follows the recipient).
   */
  accepted(message: OutboundMessage, route: TakenRoute, now: number): void;
  /** Sent through `via`'s SDK, so its sender is online there; it crosses to `to` (null: it does not). */
  bridged(message: OutboundMessage, via: Side, to: Side | null, now: number): void;
}
