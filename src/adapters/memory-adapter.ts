import { inConversation, type Conversation, type HistoryQuery, type OutboundMessage } from '../domain/message.js';
import { compareMessages } from '../domain/message-order.js';
import { FifoQueue } from '../infra/memory/fifo-queue.js';
import { AdapterError } from './adapter-error.js';
import type { AdapterHealth, MessagingAdapter } from './messaging-adapter.js';

/** Faults the memory side can be told to have at run time (demo, tests, guard drills). */
export interface MemoryFaults {
  /** Added to every call, in milliseconds. */
  latencyMs: number;
  /** Share of sends that fail with a vendor error, 0..1. */
  errorRate: number;
  /** When true every call fails as `unavailable`. */
  down: boolean;
}

const RESOLVED: Promise<void> = Promise.resolve();

const NO_FAULTS: MemoryFaults = { latencyMs: 0, errorRate: 0, down: false };

/** Messages a memory side keeps unless told otherwise (config `sides.<side>.maxMessages`). */
export const DEFAULT_MAX_MESSAGES = 1_000_000;

/** An in-process messaging system: the embedded default and the bench's side. */
export class MemoryAdapter implements MessagingAdapter {
  readonly kind = 'memory';
  private readonly messages = new Map<string, OutboundMessage>();
  /** Ids in the order they arrived, to forget the oldest in O(1) (see FifoQueue). */
  private readonly order = new FifoQueue<string>();
  /**
   * Messages by recipient (user, or channel), in arrival order, so a history read looks at its
   * conversation's two inboxes only: scanning every message blocked the event loop ~100 ms per
   * read at 1M messages. Keyed by the id the message already carries: no key to build per store.
   */
  private readonly inboxes = { user: new Map<string, OutboundMessage[]>(), channel: new Map<string, OutboundMessage[]>() };
  private faults: MemoryFaults = { ...NO_FAULTS };
  private changeCount = 0;

  /** Holds at most `maxMessages`, forgetting the oldest: a long-running embedded gateway stays bounded. */
  constructor(private readonly random: () => number = Math.random, private readonly maxMessages = DEFAULT_MAX_MESSAGES) {}

  setFaults(faults: Partial<MemoryFaults>): MemoryFaults {
    this.faults = { ...this.faults, ...faults };
    return this.faults;
  }

  getFaults(): MemoryFaults {
    return { ...this.faults };
  }

  /** Every message this side holds, for tests and the demo's loss check. */
  has(id: string): boolean {
    return this.messages.has(id);
  }

  get size(): number {
    return this.messages.size;
  }

  /** Grows with every message stored or forgotten: a reader's cached view is current while it stays. */
  get changes(): number {
    return this.changeCount;
  }

  sendToUser(message: OutboundMessage): Promise<void> {
    return this.store(message);
  }

  sendToChannel(message: OutboundMessage): Promise<void> {
    return this.store(message);
  }

  async history(query: HistoryQuery): Promise<OutboundMessage[]> {
    await this.applyLatency();
    if (this.faults.down) throw new AdapterError('unavailable', 'memory side is down');
    const { conversation, before } = query;
    const candidates = conversation.type === 'channel'
      ? this.inboxes.channel.get(conversation.id) ?? []
      : [...(this.inboxes.user.get(conversation.a) ?? []), ...(conversation.a === conversation.b ? [] : this.inboxes.user.get(conversation.b) ?? [])];
    const matching = candidates.filter((message) => inConversation(message, conversation) && (before === undefined || message.sentAt < before));
    matching.sort((x, y) => x.sentAt - y.sentAt || x.id.localeCompare(y.id));
    return matching.slice(-query.limit);
  }

  /** Stores messages as an import does (same idempotency by id); answers how many were new. */
  importMessages(messages: readonly OutboundMessage[]): number {
    if (this.faults.down) throw new AdapterError('unavailable', 'memory side is down', undefined, { notSent: true });
    let created = 0;
    for (const message of messages) {
      if (this.messages.has(message.id)) continue;
      this.storeNow(message);
      created++;
    }
    return created;
  }

  /** Every message of a conversation this side holds, by (sentAt, id); for migration reads. */
  conversationMessages(conversation: Conversation): OutboundMessage[] {
    if (this.faults.down) throw new AdapterError('unavailable', 'memory side is down');
    const candidates = conversation.type === 'channel'
      ? this.inboxes.channel.get(conversation.id) ?? []
      : [...(this.inboxes.user.get(conversation.a) ?? []), ...(conversation.a === conversation.b ? [] : this.inboxes.user.get(conversation.b) ?? [])];
    return candidates.filter((message) => inConversation(message, conversation)).sort(compareMessages);
  }

  /** Every conversation that holds a message, each once (user pairs as a < b). */
  conversations(): Conversation[] {
    const seen = new Map<string, Conversation>();
    for (const message of this.messages.values()) {
      if (message.to.type === 'channel') {
        seen.set(`c:${message.to.id}`, { type: 'channel', id: message.to.id });
      } else {
        const [a, b] = message.from <= message.to.id ? [message.from, message.to.id] : [message.to.id, message.from];
        seen.set(`u:${a.length}:${a}${b}`, { type: 'user', a, b });
      }
    }
    return [...seen.values()];
  }

  /** Forgets one message (tests plant a difference with it); true when it was held. */
  delete(id: string): boolean {
    const message = this.messages.get(id);
    if (message === undefined) return false;
    this.changeCount++;
    this.messages.delete(id);
    const inboxes = this.inboxes[message.to.type];
    const inbox = inboxes.get(message.to.id);
    if (inbox) {
      const index = inbox.indexOf(message);
      if (index >= 0) inbox.splice(index, 1);
      if (inbox.length === 0) inboxes.delete(message.to.id);
    }
    return true;
  }

  async health(): Promise<AdapterHealth> {
    return this.faults.down ? { ok: false, detail: 'down (fault injected)' } : { ok: true };
  }

  async close(): Promise<void> {}

  private store(message: OutboundMessage): Promise<void> {
    // No faults set (the usual case): store at once, with no timer and no extra promise hop.
    if (this.faults.latencyMs > 0) return this.applyLatency().then(() => this.storeNow(message));
    try {
      this.storeNow(message);
      return RESOLVED;
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Injected failures happen before the message is stored, so they say so (`notSent`). */
  private storeNow(message: OutboundMessage): void {
    if (this.faults.down) throw new AdapterError('unavailable', 'memory side is down', undefined, { notSent: true });
    if (this.faults.errorRate > 0 && this.random() < this.faults.errorRate) {
      throw new AdapterError('vendor_error', 'memory side failed (fault injected)', 500, { notSent: true });
    }
    // Idempotent by id: a replay keeps the first copy.
    if (this.messages.has(message.id)) return;
    this.changeCount++;
    this.messages.set(message.id, message);
    this.order.push(message.id);
    const inboxes = this.inboxes[message.to.type];
    const inbox = inboxes.get(message.to.id);
    if (inbox) inbox.push(message);
    else inboxes.set(message.to.id, [message]);
    if (this.messages.size > this.maxMessages) this.forget(this.order.shift()!);
  }

  /** Drops a message; being the oldest of all, it is the oldest in its inbox too. */
  private forget(id: string): void {
    const message = this.messages.get(id)!;
    this.changeCount++;
    this.messages.delete(id);
    const inboxes = this.inboxes[message.to.type];
    const inbox = inboxes.get(message.to.id)!;
    inbox.shift();
    if (inbox.length === 0) inboxes.delete(message.to.id);
  }

  private applyLatency(): Promise<void> {
    const ms = this.faults.latencyMs;
    return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : RESOLVED;
  }
}

