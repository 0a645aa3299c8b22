import type { Conversation, OutboundMessage } from '../domain/message.js';
import type { UserData } from '../domain/migration/records.js';
import { BadCursorError, NotFoundError, decodeCursor, encodeCursor } from './cursor.js';
import type { Block, Contact, Dataset, GeneratedConversation, Group, Member, Settings, User } from './dataset/dataset.js';
import type { ImportedRecords } from './legacy-im-imports.js';
import type { LegacyImStore } from './legacy-im-store.js';
import { compareMessages, firstAtOrAfter } from '../domain/message-order.js';

export interface Page<T> {
  items: T[];
  next: string | null;
}

/** One conversation in a user's list: the other user, or the channel. */
export interface UserConversationSummary {
  type: 'user' | 'channel';
  id: string;
  messageCount: number;
  lastActivityAt: number;
}

/** One conversation in the export listing, named as the history routes name it. */
export type ConversationSummary = (
  | { type: 'user'; a: string; b: string }
  | { type: 'channel'; id: string }
) & { messageCount: number; lastActivityAt: number };

export interface ReadPosition {
  type: 'user' | 'channel';
  id: string;
  lastReadMessageId: string;
  readAt: number;
}

export interface HistoryRequest {
  limit: number;
  before?: number;
  /** A cursor from a previous page's `next`, or `start`: pages oldest first. */
  after?: string;
}

interface Entry extends UserConversationSummary {
  generated: GeneratedConversation | undefined;
}

/** Phases of the export listing: user pairs by rank, channels by rank, then live-only conversations. */
const enum Phase {
  Peers = 0,
  Channels = 1,
  Live = 2,
}

/**
 * What the old side's read API serves: the generated past of a Dataset merged with the messages
 * stored live (the dual-write period), by id: a live message whose id the generated past also has is
 * left out (the generated copy came first). Nothing here is materialised beyond one user's list of
 * conversations or one page. Imported users and groups replace generated ones of the same id and
 * list after them, in the order they were first put.
 */
export class LegacyImReadModel {
  private data: Dataset;
  /** Live messages whose ids are in the generated past: stored before this dataset was chosen. */
  private shadowed = new Set<string>();

  constructor(private readonly store: LegacyImStore, dataset: Dataset, private readonly imports: ImportedRecords) {
    this.data = dataset;
    this.use(dataset);
  }

  get dataset(): Dataset {
    return this.data;
  }

  use(dataset: Dataset): void {
    this.data = dataset;
    this.shadowed = new Set(this.store.ids().filter((id) => dataset.hasMessage(id)));
  }

  /** True when `id` is a message of the generated past (a PUT of it is a duplicate). */
  isGenerated(id: string): boolean {
    return this.data.hasMessage(id);
  }

  /** The `sentAt` of message `id` as every read serves it (the generated past wins), or undefined when none is held. */
  heldSentAt(id: string): number | undefined {
    return this.data.messageSentAt(id) ?? this.store.get(id)?.sentAt;
  }

  // ---- users

  /** Positions past the generated users are positions among the imported ones. */
  users(after: string | undefined, limit: number): Page<User> {
    const total = this.data.spec.users;
    const start = this.position(after, 'users');
    const end = Math.min(total, start + limit);
    const items: User[] = [];
    for (let u = start; u < end; u++) items.push(this.imports.user(this.data.userId(u))?.profile ?? this.data.user(u));
    if (end < total) return { items, next: this.cursor('users', end) };
    const tail = this.imports.userIdsFrom(Math.max(0, start - total), limit - items.length, (id) => this.data.userIndex(id) === undefined);
    for (const id of tail.ids) items.push((this.imports.user(id) as UserData).profile);
    return { items, next: tail.next === undefined ? null : this.cursor('users', total + tail.next) };
  }

  user(id: string): User {
    return this.imports.user(id)?.profile ?? this.data.user(this.userIndex(id));
  }

  userConversations(id: string, after: string | undefined, limit: number): Page<UserConversationSummary> {
    const entries = this.entries(id);
    return pageByKey(entries, after, limit, 'conversations', ({ type, id: peer, messageCount, lastActivityAt }) => ({ type, id: peer, messageCount, lastActivityAt }));
  }

  contacts(id: string, after: string | undefined, limit: number): Page<Contact> {
    if (this.imports.user(id) !== undefined) return this.imports.contacts(id, after, limit);
    const u = this.userIndex(id);
    const { items, next } = this.data.contacts(u, this.position(after, 'contacts'), limit);
    return { items, next: next === undefined ? null : this.cursor('contacts', next) };
  }

  blocklist(id: string, after: string | undefined, limit: number): Page<Block> {
    if (this.imports.user(id) !== undefined) return this.imports.blocklist(id, after, limit);
    const all = this.data.blocklist(this.userIndex(id));
    const start = this.position(after, 'blocklist');
    const end = Math.min(all.length, start + limit);
    return { items: all.slice(start, end), next: end < all.length ? this.cursor('blocklist', end) : null };
  }

  readPositions(id: string, after: string | undefined, limit: number): Page<ReadPosition> {
    if (this.imports.user(id) !== undefined) return this.imports.readPositions(id, after, limit);
    const u = this.userIndex(id);
    const positions: ReadPosition[] = [];
    for (const entry of this.entries(id)) {
      if (entry.generated === undefined) continue;
      const read = this.data.readPosition(u, entry.generated);
      if (read !== undefined) positions.push({ type: entry.type, id: entry.id, ...read });
    }
    return pageByKey(positions, after, limit, 'read-positions', (position) => position);
  }

  settings(id: string): Settings {
    const imported = this.imports.user(id);
    if (imported !== undefined) return imported.settings;
    const u = this.userIndex(id);
    return this.data.settings(u, this.data.userConversations(u));
  }

  // ---- groups

  /** Positions past the generated groups are positions among the imported ones. */
  groups(after: string | undefined, limit: number): Page<Group> {
    const total = this.data.spec.groups;
    const start = this.position(after, 'groups');
    const end = Math.min(total, start + limit);
    const items: Group[] = [];
    for (let g = start; g < end; g++) items.push(this.imports.group(this.data.groupId(g)) ?? this.data.group(g));
    if (end < total) return { items, next: this.cursor('groups', end) };
    const tail = this.imports.groupIdsFrom(Math.max(0, start - total), limit - items.length, (id) => this.data.groupIndex(id) === undefined);
    for (const id of tail.ids) items.push(this.imports.group(id) as Group);
    return { items, next: tail.next === undefined ? null : this.cursor('groups', total + tail.next) };
  }

  group(id: string): Group {
    return this.imports.group(id) ?? this.data.group(this.groupIndex(id));
  }

  /** A group that was put or had members imported lists the imported members only. */
  members(id: string, after: string | undefined, limit: number): Page<Member> {
    if (this.imports.hasMembers(id)) return this.imports.members(id, after, limit);
    const g = this.groupIndex(id);
    const total = this.data.groupSize(g);
    const start = this.position(after, 'members');
    const end = Math.min(total, start + limit);
    const items: Member[] = [];
    for (let j = start; j < end; j++) items.push(this.data.member(g, j));
    return { items, next: end < total ? this.cursor('members', end) : null };
  }

  // ---- conversations and history

  /**
   * Every conversation that holds a message, once each: the generated user pairs by rank (busiest
   * first), the generated channels by rank, then conversations only live messages started, in the
   * order they started.
   */
  conversations(after: string | undefined, limit: number): Page<ConversationSummary> {
    let phase: number = Phase.Peers;
    let position = 0;
    const parts = decodeCursor(after, 'export', ['string', 'number', 'number']);
    if (parts !== undefined) {
      this.checkTag(parts[0] as string);
      phase = parts[1] as number;
      position = parts[2] as number;
      if (phase > Phase.Live) throw new BadCursorError('cursor is not one this server gave out');
    }
    const items: ConversationSummary[] = [];
    const sizes = [this.data.peerConversations, this.data.channelConversations];
    // Moves (phase, position) onto the next conversation there is, so `next` is null right at the end.
    const settle = (): void => {
      while (phase < Phase.Live && position >= (sizes[phase] as number)) {
        phase++;
        position = 0;
      }
      if (phase === Phase.Live) while (position < this.store.conversationCount && this.liveOnly(position) === undefined) position++;
    };
    settle();
    while (items.length < limit && (phase < Phase.Live || position < this.store.conversationCount)) {
      if (phase < Phase.Live) {
        const generated = this.data.conversationAtRank(phase === Phase.Peers ? 'p' : 'c', position++);
        const { count, last } = this.live(generated.conversation);
        items.push({ ...generated.conversation, messageCount: generated.count + count, lastActivityAt: Math.max(generated.lastActivityAt, last) });
      } else {
        items.push(this.liveOnly(position++) as ConversationSummary);
      }
      settle();
    }
    const done = phase === Phase.Live && position >= this.store.conversationCount;
    return { items, next: done ? null : encodeCursor(['export', this.data.tag, phase, position]) };
  }

  /**
   * One page of a conversation's history, generated past and live messages merged by (sentAt, id).
   * With `after`: the `limit` oldest messages after the cursor (sentAt < `before` when given), and a
   * cursor for the next page, null at the end. Without: the newest `limit` with sentAt < `before`,
   * oldest first, as the contract always had it.
   */
  history(conversation: Conversation, request: HistoryRequest): { messages: OutboundMessage[]; next?: string | null } {
    const generated = this.data.find(conversation);
    const live = this.store.messagesOf(conversation);
    const { limit, before } = request;
    const genEnd = generated === undefined ? 0 : before === undefined ? generated.count : generated.firstAtOrAfter(before);
    const liveEnd = before === undefined ? live.length : firstAtOrAfter(live, before);
    const shadowed = (message: OutboundMessage): boolean => this.shadowed.size > 0 && this.shadowed.has(message.id);

    if (request.after === undefined) {
      const newest: OutboundMessage[] = [];
      let gi = genEnd;
      let li = liveEnd;
      while (newest.length < limit) {
        while (li > 0 && shadowed(live[li - 1] as OutboundMessage)) li--;
        const g = gi > 0 ? (generated as GeneratedConversation).messageAt(gi - 1) : undefined;
        const l = li > 0 ? (live[li - 1] as OutboundMessage) : undefined;
        if (g === undefined && l === undefined) break;
        if (l === undefined || (g !== undefined && compareMessages(g, l) > 0)) {
          newest.push(g as OutboundMessage);
          gi--;
        } else {
          newest.push(l);
          li--;
        }
      }
      return { messages: newest.reverse() };
    }

    const parts = decodeCursor(request.after, 'history', ['number', 'string']);
    let gi = 0;
    let li = 0;
    if (parts !== undefined) {
      const [time, id] = parts as [number, string];
      gi = generated === undefined ? 0 : generated.firstAfter(time, id);
      li = firstAfterKey(live, time, id);
    }
    const messages: OutboundMessage[] = [];
    let g = gi < genEnd ? (generated as GeneratedConversation).messageAt(gi) : undefined;
    for (;;) {
      while (li < liveEnd && shadowed(live[li] as OutboundMessage)) li++;
      const l = li < liveEnd ? (live[li] as OutboundMessage) : undefined;
      if ((g === undefined && l === undefined) || messages.length === limit) break;
      if (l === undefined || (g !== undefined && compareMessages(g, l) < 0)) {
        messages.push(g as OutboundMessage);
        gi++;
        g = gi < genEnd ? (generated as GeneratedConversation).messageAt(gi) : undefined;
      } else {
        messages.push(l);
        li++;
      }
    }
    const more = gi < genEnd || li < liveEnd;
    const last = messages[messages.length - 1];
    return { messages, next: more && last !== undefined ? encodeCursor(['history', last.sentAt, last.id]) : null };
  }

  // ---- helpers

  private userIndex(id: string): number {
    const u = this.data.userIndex(id);
    if (u === undefined) throw new NotFoundError(`no user ${JSON.stringify(id)}`);
    return u;
  }

  private groupIndex(id: string): number {
    const g = this.data.groupIndex(id);
    if (g === undefined) throw new NotFoundError(`no group ${JSON.stringify(id)}`);
    return g;
  }

  /** The user's conversations (generated and live) sorted by (type, id), the key their cursors hold. */
  private entries(userId: string): Entry[] {
    // An imported user not in the generated past has only the conversations stored here.
    const u = this.imports.user(userId) === undefined ? this.userIndex(userId) : this.data.userIndex(userId);
    const entries: Entry[] = [];
    for (const { peer, generated } of u === undefined ? [] : this.data.userConversations(u)) {
      const { count, last } = this.live(generated.conversation);
      entries.push({ ...peer, messageCount: generated.count + count, lastActivityAt: Math.max(generated.lastActivityAt, last), generated });
    }
    for (const conversation of this.store.userConversationsOf(userId)) {
      if (conversation.type !== 'user' || this.data.find(conversation) !== undefined) continue;
      const { count, last } = this.live(conversation);
      if (count === 0) continue;
      const id = conversation.a === userId ? conversation.b : conversation.a;
      entries.push({ type: 'user', id, messageCount: count, lastActivityAt: last, generated: undefined });
    }
    return entries.sort(compareKey);
  }

  /** The live messages of a conversation, without those the generated past shadows. */
  private live(conversation: Conversation): { count: number; last: number } {
    const messages = this.store.messagesOf(conversation);
    if (this.shadowed.size === 0) return { count: messages.length, last: messages[messages.length - 1]?.sentAt ?? -1 };
    let count = 0;
    let last = -1;
    for (const message of messages) {
      if (this.shadowed.has(message.id)) continue;
      count++;
      last = message.sentAt;
    }
    return { count, last };
  }

  private liveOnly(position: number): ConversationSummary | undefined {
    const entry = this.store.conversationAt(position);
    if (entry === undefined || this.data.find(entry.conversation) !== undefined) return undefined;
    const { count, last } = this.live(entry.conversation);
    if (count === 0) return undefined;
    const { conversation } = entry;
    const named = conversation.type === 'channel' ? conversation : conversation.a < conversation.b ? conversation : { type: 'user' as const, a: conversation.b, b: conversation.a };
    return { ...named, messageCount: count, lastActivityAt: last };
  }

  private position(after: string | undefined, kind: string): number {
    const parts = decodeCursor(after, kind, ['string', 'number']);
    if (parts === undefined) return 0;
    this.checkTag(parts[0] as string);
    return parts[1] as number;
  }

  private checkTag(tag: string): void {
    if (tag !== this.data.tag) throw new BadCursorError('cursor is from another dataset (the dataset was regenerated)');
  }

  private cursor(kind: string, position: number): string {
    return encodeCursor([kind, this.data.tag, position]);
  }
}

/** A page of a sorted list, resuming after the (type, id) key a cursor holds. */
function pageByKey<T extends { type: string; id: string }, R>(sorted: readonly T[], after: string | undefined, limit: number, kind: string, render: (item: T) => R): Page<R> {
  const parts = decodeCursor(after, kind, ['string', 'string']);
  let start = 0;
  if (parts !== undefined) {
    const key = { type: parts[0] as string, id: parts[1] as string };
    let hi = sorted.length;
    while (start < hi) {
      const mid = (start + hi) >>> 1;
      if (compareKey(sorted[mid] as T, key) <= 0) start = mid + 1;
      else hi = mid;
    }
  }
  const end = Math.min(sorted.length, start + limit);
  const items = sorted.slice(start, end).map(render);
  const last = sorted[end - 1];
  return { items, next: end < sorted.length && last !== undefined ? encodeCursor([kind, last.type, last.id]) : null };
}

function compareKey(x: { type: string; id: string }, y: { type: string; id: string }): number {
  if (x.type !== y.type) return x.type < y.type ? -1 : 1;
  return x.id < y.id ? -1 : x.id > y.id ? 1 : 0;
}



/** Index of the first message that sorts after (time, id). */
function firstAfterKey(list: readonly OutboundMessage[], time: number, id: string): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const m = list[mid] as OutboundMessage;
    if (m.sentAt < time || (m.sentAt === time && m.id <= id)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
