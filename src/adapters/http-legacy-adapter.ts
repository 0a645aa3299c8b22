import type { HistoryQuery, OutboundMessage } from '../domain/message.js';
import { AdapterError } from './adapter-error.js';
import { LegacyHttpClient, discard, pathSegment, type HttpLegacyConfig, type ReadBody } from './http-legacy-client.js';
import type { AdapterHealth, MessagingAdapter } from './messaging-adapter.js';

export { BACKOFF_BASE_MS, BACKOFF_CAP_MS, longestCallMs, pathSegment, type HttpLegacyConfig } from './http-legacy-client.js';

const readMessages: ReadBody<OutboundMessage[]> = async (body) => {
  const reply = (await body.json()) as { messages?: unknown };
  if (!Array.isArray(reply.messages)) throw new AdapterError('vendor_error', 'history reply has no messages array');
  return reply.messages as OutboundMessage[];
};

/**
 * The incumbent REST IM server, spoken to as docs/legacy-rest-contract.md describes. Every call is
 * idempotent (sends by message id), so every call may be retried: a few times, with jittered backoff,
 * on anything but a permanent (4xx) answer. This sits on the hot path, so nothing here logs and the
 * per-request work is the path and the JSON body.
 */
export class HttpLegacyAdapter implements MessagingAdapter {
  readonly kind = 'http-legacy';
  private readonly client: LegacyHttpClient;
  private readonly basePath: string;

  constructor(config: HttpLegacyConfig, random: () => number = Math.random) {
    this.client = new LegacyHttpClient(config, random);
    this.basePath = this.client.basePath;
  }

  sendToUser(message: OutboundMessage): Promise<void> {
    return this.put(message);
  }

  sendToChannel(message: OutboundMessage): Promise<void> {
    return this.put(message);
  }

  history(query: HistoryQuery): Promise<OutboundMessage[]> {
    const { conversation, limit, before } = query;
    const path =
      conversation.type === 'channel'
        ? `${this.basePath}/v1/conversations/channel/${pathSegment(conversation.id)}/messages`
        : `${this.basePath}/v1/conversations/user/${pathSegment(conversation.a)}/${pathSegment(conversation.b)}/messages`;
    const search = before === undefined ? `?limit=${limit}` : `?limit=${limit}&before=${before}`;
    return this.client.request('GET', path + search, undefined, readMessages);
  }

  /** One short attempt at GET /health; never throws. */
  health(): Promise<AdapterHealth> {
    return this.client.health();
  }

  /** Waits for calls in flight, then closes every connection. Safe to call twice. */
  close(): Promise<void> {
    return this.client.close();
  }

  private put(message: OutboundMessage): Promise<void> {
    // The whole message goes as the body: the server checks that its `id` matches the path.
    const path = `${this.basePath}/v1/messages/${pathSegment(message.id)}`;
    return this.client.request('PUT', path, JSON.stringify(message), discard);
  }
}
