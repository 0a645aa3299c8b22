import type { HistoryQuery, OutboundMessage } from '../domain/message.js';

export interface AdapterHealth {
  ok: boolean;
  detail?: string;
}

/**
 * One messaging system. Sends are idempotent by `message.id`: delivering the same id twice
 * must leave one message on the side (the outbox may retry after an ambiguous failure).
 * Failures are thrown as `AdapterError` so the outbox and the guard can classify them.
 */
export interface MessagingAdapter {
  /** A short name for logs and metrics: `memory`, `http-legacy`, `agora-rtm`. */
  readonly kind: string;
  sendToUser(message: OutboundMessage): Promise<void>;
  sendToChannel(message: OutboundMessage): Promise<void>;
  /** Messages of one conversation, oldest first, at most `limit`, the newest ones before `before`. */
  history(query: HistoryQuery): Promise<OutboundMessage[]>;
  health(): Promise<AdapterHealth>;
  close(): Promise<void>;
}

/** Sends a message through the method its recipient type calls for. */
export function deliver(adapter: MessagingAdapter, message: OutboundMessage): Promise<void> {
  try {
    return message.to.type === 'user' ? adapter.sendToUser(message) : adapter.sendToChannel(message);
  } catch (err) {
    // An adapter that throws instead of rejecting still fails as a promise, like every other failure.
    return Promise.reject(err);
  }
}
