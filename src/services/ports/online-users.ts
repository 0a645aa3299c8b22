import type { Side } from '../../domain/message.js';

/**
 * Told of a user whose app a message shows connected to a side: the sender of a message the
 * gateway accepted (their cohort's side, which their app logs into) or of one that arrived
 * through a side's SDK. Usage metering counts them per minute; in memory, no I/O on the send path.
 */
export interface OnlineUsers {
  seenOnline(side: Side, userId: string): void;
  /** Seen this minute, on either side: a sender of many messages has their side looked up once a minute, not per message. */
  seenThisMinute(userId: string): boolean;
}
