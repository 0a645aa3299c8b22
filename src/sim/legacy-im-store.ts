import { closeSync, fsyncSync, ftruncateSync, openSync, readFileSync, writeSync } from 'node:fs';
import type { Conversation, OutboundMessage } from '../domain/message.js';
import { compareMessages, firstAfter, firstAtOrAfter } from '../domain/message-order.js';

/** What reloading the data file found; skipped lines are torn or foreign writes. */
export interface StoreLoadResult {
  loaded: number;
  skipped: number;
}

/**
 * The simulated legacy server's messages: a Map by id for idempotency, and per-conversation arrays
 * kept sorted by (sentAt, id) so history is two binary searches and a slice, even at 100k messages.
 * With a data file every new message is appended as one JSON line with a synchronous write before
 * the caller answers, so an acknowledged message survives the process being killed (not a power cut).
 */
export class LegacyImStore {
  private readonly byId = new Map<string, OutboundMessage>();
  private readonly byConversation = new Map<string, OutboundMessage[]>();
  /** Every conversation in the order its first message arrived, so a listing can resume by position. */
  private readonly conversationOrder: Array<{ conversation: Conversation; messages: OutboundMessage[] }> = [];
  /** The user conversations each user takes part in. */
  private readonly byUser = new Map<string, Conversation[]>();
  private fd: number | undefined;

  private constructor(readonly dataFile: string | undefined) {}

  /** Opens the store, reloading `dataFile` when given (created if missing). */
  static open(dataFile?: string): { store: LegacyImStore; load: StoreLoadResult } {
    const store = new LegacyImStore(dataFile);
    if (dataFile === undefined) return { store, load: { loaded: 0, skipped: 0 } };
    store.fd = openSync(dataFile, 'a+');
    const text = readFileSync(store.fd, 'utf8');
    // A torn last line (killed mid-write) must not swallow the next append.
    if (text.length > 0 && !text.endsWith('\n')) writeSync(store.fd, '\n');
    return { store, load: store.reload(text) };
  }

  get size(): number {
    return this.byId.size;
  }

  /** Stores `message` unless its id is already here; true when it was new. The first copy wins. */
  add(message: OutboundMessage): boolean {
    if (this.byId.has(message.id)) return false;
    if (this.fd !== undefined) writeSync(this.fd, JSON.stringify(message) + '\n');
    this.index(message);
    return true;
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  get(id: string): OutboundMessage | undefined {
    return this.byId.get(id);
  }

  /**
   * Forgets one message, so a check can find it missing; true when it was here. With a data file a
   * `{"deleted": id}` line is appended, so a restart does not bring it back.
   */
  remove(id: string): boolean {
    const message = this.byId.get(id);
    if (message === undefined) return false;
    if (this.fd !== undefined) writeSync(this.fd, JSON.stringify({ deleted: id }) + '\n');
    this.unindex(message);
    return true;
  }

  /** At most `limit` messages of `conversation` sent strictly before `before`, oldest first. */
  history(conversation: Conversation, limit: number, before?: number): OutboundMessage[] {
    const list = this.byConversation.get(conversationKey(conversation));
    if (list === undefined) return [];
    const end = before === undefined ? list.length : firstAtOrAfter(list, before);
    return list.slice(Math.max(0, end - limit), end);
  }

  /** The messages of `conversation`, sorted by (sentAt, id); read-only: the store keeps appending to it. */
  messagesOf(conversation: Conversation): readonly OutboundMessage[] {
    return this.byConversation.get(conversationKey(conversation)) ?? NO_MESSAGES;
  }

  get conversationCount(): number {
    return this.conversationOrder.length;
  }

  /** The conversation whose first message was the `position`-th to start one (0-based). */
  conversationAt(position: number): { conversation: Conversation; messages: readonly OutboundMessage[] } | undefined {
    return this.conversationOrder[position];
  }

  /** The user conversations `userId` takes part in, in the order they started. */
  userConversationsOf(userId: string): readonly Conversation[] {
    return this.byUser.get(userId) ?? NO_CONVERSATIONS;
  }

  ids(): string[] {
    return Array.from(this.byId.keys());
  }

  /** Every message's id and payload, in the order they were first stored. */
  payloads(): Array<{ id: string; payload: string }> {
    return Array.from(this.byId.values(), ({ id, payload }) => ({ id, payload }));
  }

  /** Forgets everything, on disk too. */
  clear(): void {
    this.byId.clear();
    this.byConversation.clear();
    this.conversationOrder.length = 0;
    this.byUser.clear();
    if (this.fd !== undefined) ftruncateSync(this.fd, 0);
  }

  close(): void {
    if (this.fd === undefined) return;
    const fd = this.fd;
    this.fd = undefined;
    fsyncSync(fd);
    closeSync(fd);
  }

  private reload(text: string): StoreLoadResult {
    let loaded = 0;
    let skipped = 0;
    for (const line of text.split('\n')) {
      if (line.length === 0) continue;
      const message = parseLine(line);
      if (message === undefined) {
        skipped++;
      } else if ('deleted' in message) {
        const deleted = this.byId.get(message.deleted);
        if (deleted !== undefined) this.unindex(deleted);
      } else if (!this.byId.has(message.id)) {
        this.index(message);
        loaded++;
      }
    }
    return { loaded, skipped };
  }

  private index(message: OutboundMessage): void {
    this.byId.set(message.id, message);
    const key = messageConversationKey(message);
    const list = this.byConversation.get(key);
    if (list === undefined) {
      const messages = [message];
      this.byConversation.set(key, messages);
      this.remember(messageConversation(message), messages);
      return;
    }
    // Sends arrive almost in time order, so the common case is a push.
    const last = list[list.length - 1];
    if (last === undefined || compareMessages(last, message) <= 0) list.push(message);
    else list.splice(firstAfter(list, message), 0, message);
  }

  /** The conversation's entry stays, empty: listings skip conversations with no message. */
  private unindex(message: OutboundMessage): void {
    this.byId.delete(message.id);
    const list = this.byConversation.get(messageConversationKey(message));
    if (list === undefined) return;
    const i = firstAfter(list, message) - 1;
    if (list[i] === message) list.splice(i, 1);
  }

  private remember(conversation: Conversation, messages: OutboundMessage[]): void {
    this.conversationOrder.push({ conversation, messages });
    if (conversation.type === 'channel') return;
    for (const user of conversation.a === conversation.b ? [conversation.a] : [conversation.a, conversation.b]) {
      const list = this.byUser.get(user);
      if (list === undefined) this.byUser.set(user, [conversation]);
      else list.push(conversation);
    }
  }
}

const NO_MESSAGES: readonly OutboundMessage[] = [];
const NO_CONVERSATIONS: readonly Conversation[] = [];

function messageConversation(message: OutboundMessage): Conversation {
  return message.to.type === 'channel' ? { type: 'channel', id: message.to.id } : { type: 'user', a: message.from, b: message.to.id };
}



// Length-prefixed so that no pair of ids can collide with another pair, whatever characters they hold.
function conversationKey(conversation: Conversation): string {
  return conversation.type === 'channel' ? `c:${conversation.id}` : pairKey(conversation.a, conversation.b);
}

function messageConversationKey(message: OutboundMessage): string {
  return message.to.type === 'channel' ? `c:${message.to.id}` : pairKey(message.from, message.to.id);
}

function pairKey(a: string, b: string): string {
  return a < b ? `u:${a.length}:${a}${b}` : `u:${b.length}:${b}${a}`;
}

function parseLine(line: string): OutboundMessage | { deleted: string } | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (isDeletion(value)) return value;
  return isMessage(value) ? value : undefined;
}

function isDeletion(value: unknown): value is { deleted: string } {
  return typeof value === 'object' && value !== null && typeof (value as { deleted?: unknown }).deleted === 'string';
}

function isMessage(value: unknown): value is OutboundMessage {
  if (typeof value !== 'object' || value === null) return false;
  const m = value as Record<string, unknown>;
  const to = m['to'] as Record<string, unknown> | null | undefined;
  return (
    typeof m['id'] === 'string' &&
    typeof m['from'] === 'string' &&
    typeof m['payload'] === 'string' &&
    typeof m['sentAt'] === 'number' &&
    (m['kind'] === undefined || typeof m['kind'] === 'string') &&
    typeof to === 'object' && to !== null &&
    (to['type'] === 'user' || to['type'] === 'channel') &&
    typeof to['id'] === 'string'
  );
}
