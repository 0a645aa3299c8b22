/** The two messaging systems Cutover moves between. */
export type Side = 'old' | 'new';

export const SIDES: readonly Side[] = ['old', 'new'];

export function otherSide(side: Side): Side {
  return side === 'old' ? 'new' : 'old';
}

/** Who a message goes to: one user (a peer message) or a channel. */
export interface Peer {
  type: 'user' | 'channel';
  id: string;
}

/** A message as every adapter receives it; `id` is the idempotency key end to end. */
export interface OutboundMessage {
  id: string;
  from: string;
  to: Peer;
  payload: string;
  /** Optional application-level message type (Agora's `customType`). */
  kind?: string;
  /** Milliseconds since the epoch at which the gateway accepted it. */
  sentAt: number;
}

/**
 * Same sender, recipient, kind and payload: tells a retry of a message (same id, same content)
 * from an idempotency key reused for a different message.
 */
export function sameContent(a: OutboundMessage, b: OutboundMessage): boolean {
  return a.from === b.from && a.to.type === b.to.type && a.to.id === b.to.id && a.kind === b.kind && a.payload === b.payload;
}

/** The content `sameContent` compares, as one string (stores that keep a hash of it). */
export function contentKey(message: OutboundMessage): string {
  return `${message.from}\u0000${message.to.type}\u0000${message.to.id}\u0000${message.kind ?? ''}\u0000${message.payload}`;
}

/** A conversation as history reads it: two users, or one channel. */
export type Conversation =
  | { type: 'user'; a: string; b: string }
  | { type: 'channel'; id: string };

export interface HistoryQuery {
  conversation: Conversation;
  limit: number;
  /** Only messages sent strictly before this time (ms since epoch). */
  before?: number;
}

/** True when `message` belongs to `conversation` (either direction for a user pair). */
export function inConversation(message: OutboundMessage, conversation: Conversation): boolean {
  if (conversation.type === 'channel') {
    return message.to.type === 'channel' && message.to.id === conversation.id;
  }
  if (message.to.type !== 'user') return false;
  const { a, b } = conversation;
  return (message.from === a && message.to.id === b) || (message.from === b && message.to.id === a);
}
