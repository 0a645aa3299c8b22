import type { Conversation, OutboundMessage } from '../domain/message.js';
import { firstAfter } from '../domain/message-order.js';
import type { ConversationSummary, GroupRecord, Member, Page, UserData, UserProfile } from '../domain/migration/records.js';
import type { MemoryAdapter } from './memory-adapter.js';
import type { ImportResult, MigrationWriter, SideLimits } from './migration-side.js';

const SCANS_KEPT = 16;

/**
 * The migration side of a memory messaging system: messages live in its MemoryAdapter (so live
 * sends and imports share one store and one idempotency), the rest in maps here. Listings are
 * by position in insertion order; the conversation listing scans every message, which suits
 * tests and the bench's target, not a big old side.
 */
export class MemoryMigrationSide implements MigrationWriter {
  readonly kind = 'memory';
  readonly limits: SideLimits = { messagesPerCall: 1000 };
  private readonly userRecords = new Map<string, UserData>();
  private readonly groupRecords = new Map<string, GroupRecord>();
  private readonly groupMembers = new Map<string, Map<string, Member>>();
  private readonly scans = new Map<string, { changes: number; messages: readonly OutboundMessage[] }>();

  constructor(private readonly messages: MemoryAdapter) {}

  async users(after: string | undefined, limit: number): Promise<Page<UserProfile>> {
    return pageOf([...this.userRecords.values()].map((data) => data.profile), after, limit);
  }

  async userData(userId: string): Promise<UserData | null> {
    const data = this.userRecords.get(userId);
    return data === undefined ? null : structuredClone(data);
  }

  async groups(after: string | undefined, limit: number): Promise<Page<GroupRecord>> {
    return pageOf([...this.groupRecords.values()], after, limit);
  }

  async group(groupId: string): Promise<GroupRecord | null> {
    const group = this.groupRecords.get(groupId);
    return group === undefined ? null : { ...group };
  }

  async members(groupId: string, after: string | undefined, limit: number): Promise<Page<Member>> {
    return pageOf([...(this.groupMembers.get(groupId)?.values() ?? [])], after, limit);
  }

  async conversations(after: string | undefined, limit: number): Promise<Page<ConversationSummary>> {
    const summaries = this.messages.conversations().map((conversation): ConversationSummary => {
      const messages = this.messages.conversationMessages(conversation);
      return { ...conversation, messageCount: messages.length, lastActivityAt: messages[messages.length - 1]?.sentAt ?? 0 };
    });
    return pageOf(summaries, after, limit);
  }

  /** Resumes after the (sentAt, id) of the last message seen, so messages arriving meanwhile shift nothing. */
  async history(conversation: Conversation, after: string | undefined, limit: number): Promise<Page<OutboundMessage>> {
    const messages = this.sorted(conversation);
    let start = 0;
    if (after !== undefined) {
      const [time, id] = JSON.parse(after) as [number, string];
      start = firstAfter(messages, { id, sentAt: time });
    }
    const items = messages.slice(start, start + limit);
    const tail = items[items.length - 1];
    return { items, next: start + limit < messages.length && tail ? JSON.stringify([tail.sentAt, tail.id]) : null };
  }

  /**
   * A conversation's messages in order, kept between pages while nothing changed: sorting both
   * inboxes for every page made paging a big conversation quadratic.
   */
  private sorted(conversation: Conversation): readonly OutboundMessage[] {
    const key = JSON.stringify(conversation);
    const cached = this.scans.get(key);
    if (cached && cached.changes === this.messages.changes) return cached.messages;
    const messages = this.messages.conversationMessages(conversation);
    this.scans.delete(key);
    // A few lanes page a few conversations at once; older scans go first.
    if (this.scans.size >= SCANS_KEPT) this.scans.delete(this.scans.keys().next().value as string);
    this.scans.set(key, { changes: this.messages.changes, messages });
    return messages;
  }

  async importMessages(_conversation: Conversation, messages: OutboundMessage[]): Promise<ImportResult> {
    const created = this.messages.importMessages(messages);
    return { created, existing: messages.length - created };
  }

  async heldMessages(_conversation: Conversation, ids: string[]): Promise<Set<string>> {
    return new Set(ids.filter((id) => this.messages.has(id)));
  }

  async putUserData(data: UserData): Promise<void> {
    this.userRecords.set(data.profile.id, structuredClone(data));
  }

  async putGroup(group: GroupRecord): Promise<void> {
    this.groupRecords.set(group.id, { ...group });
  }

  async putMembers(groupId: string, members: Member[]): Promise<void> {
    let map = this.groupMembers.get(groupId);
    if (map === undefined) this.groupMembers.set(groupId, (map = new Map()));
    for (const member of members) map.set(member.userId, { ...member });
  }

  async removeMembers(groupId: string, userIds: string[]): Promise<void> {
    const map = this.groupMembers.get(groupId);
    for (const userId of userIds) map?.delete(userId);
  }
}

/** A page of a list by position; the cursor is the position of the next item. */
function pageOf<T>(items: readonly T[], after: string | undefined, limit: number): Page<T> {
  const start = after === undefined ? 0 : Number(after);
  const end = Math.min(items.length, start + limit);
  return { items: items.slice(start, end), next: end < items.length ? String(end) : null };
}
