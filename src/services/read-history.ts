import { toAdapterError } from '../adapters/adapter-error.js';
import type { MessagingAdapter } from '../adapters/messaging-adapter.js';
import { RejectedBySideError, SideUnavailableError } from '../domain/errors.js';
import type { Conversation, HistoryQuery, OutboundMessage, Side } from '../domain/message.js';
import type { ConsistencyCheck } from './consistency-check.js';
import type { Route, Router } from './router.js';

export interface HistoryRequest {
  conversation: Conversation;
  /** The user reading: history comes from their primary side. */
  as: string;
  limit: number;
  before?: number;
}

export interface HistoryPage {
  messages: OutboundMessage[];
  servedBy: Side;
  /** True when the primary failed and the other side (which holds every message while dual-writing) answered. */
  degraded: boolean;
}

export interface ReadHistoryDeps {
  router: Router;
  sides: Record<Side, MessagingAdapter>;
  /** Told of every answered read; compares a sample of them off the request path. */
  consistency?: Pick<ConsistencyCheck, 'afterRead'>;
}

/**
 * Reads a conversation from the reader's primary side. While both sides are written, a failing
 * primary falls back to the other side rather than failing the read.
 */
export class ReadHistory {
  constructor(private readonly deps: ReadHistoryDeps) {}

  async read(request: HistoryRequest): Promise<HistoryPage> {
    const route = this.deps.router.route({ type: 'user', id: request.as });
    const query = { conversation: request.conversation, limit: request.limit, before: request.before };
    const page = await this.answer(route, query);
    this.deps.consistency?.afterRead({ query, servedBy: page.servedBy, messages: page.messages, degraded: page.degraded, dualWriting: route.secondary !== null });
    return page;
  }

  private async answer(route: Route, query: HistoryQuery): Promise<HistoryPage> {
    try {
      return { messages: await this.deps.sides[route.primary].history(query), servedBy: route.primary, degraded: false };
    } catch (err) {
      const error = toAdapterError(err);
      if (!error.retryable) throw new RejectedBySideError(`the ${route.primary} side refused the history read: ${error.message}`, { cause: error });
      if (route.secondary) {
        try {
          return { messages: await this.deps.sides[route.secondary].history(query), servedBy: route.secondary, degraded: true };
        } catch {
          // Both failed: report the primary's failure below.
        }
      }
      throw new SideUnavailableError(`the ${route.primary} side could not read history (${error.failure}); retry shortly`, { retryAfterSeconds: 1, cause: error });
    }
  }
}
