import type { Conversation, OutboundMessage } from '../domain/message.js';
import type { ConversationSummary, GroupRecord, Member, Page, UserData, UserProfile } from '../domain/migration/records.js';

/**
 * What moving existing data needs from a messaging system, beside `MessagingAdapter` (which carries
 * live traffic). The old side is read; the new side is written and read back for verification.
 * Cursors are opaque strings the side gave out; `undefined` asks for the first page.
 * Failures are thrown as `AdapterError`, as for `MessagingAdapter`.
 */
export interface MigrationReader {
  /** A short name for logs and plans: `memory`, `http-legacy`, `agora-rtm`. */
  readonly kind: string;
  users(after: string | undefined, limit: number): Promise<Page<UserProfile>>;
  /** Everything of one user but their messages, or null when the side has no such user. */
  userData(userId: string): Promise<UserData | null>;
  groups(after: string | undefined, limit: number): Promise<Page<GroupRecord>>;
  group(groupId: string): Promise<GroupRecord | null>;
  members(groupId: string, after: string | undefined, limit: number): Promise<Page<Member>>;
  /** Every conversation holding a message, once each (user pairs with a < b is not promised). */
  conversations(after: string | undefined, limit: number): Promise<Page<ConversationSummary>>;
  /**
   * One page of a conversation's messages in the side's own order (the old side: oldest first),
   * each message once over all pages. Verification digests are order-independent, so any order works.
   */
  history(conversation: Conversation, after: string | undefined, limit: number): Promise<Page<OutboundMessage>>;
  /** Releases what the side opened for the migration (connections); its live adapter closes apart. */
  close?(): Promise<void>;
}

/** What the new side says its vendor allows, so the job is rate-limited and its ETA honest. */
export interface SideLimits {
  /** Write calls per second one instance may make (one client's limit); undefined = no known limit. */
  writeCallsPerSecond?: number;
  /** Calls per second the whole project may make, over every instance; undefined = no known limit. */
  appCallsPerSecond?: number;
  /** Messages one import call carries at most. */
  messagesPerCall: number;
}

export interface ImportResult {
  /** Messages the side did not hold before. */
  created: number;
  /** Messages it already held by id (a resumed page, or the dual-write period). */
  existing: number;
  /**
   * The bytes of each message the import published, where a side imports by publishing as live
   * traffic does (Agora RTM: one per batch), which the side bills as messages; absent where an
   * import only stores.
   */
  published?: number[];
}

/**
 * Writes of a migration. Every write is idempotent: importing a message id the side holds keeps
 * one copy, and the puts replace (or, for members, upsert) what was there.
 */
export interface MigrationWriter extends MigrationReader {
  readonly limits: SideLimits;
  /** Messages of one conversation (at most `limits.messagesPerCall`), keeping id, sender and time. */
  importMessages(conversation: Conversation, messages: OutboundMessage[]): Promise<ImportResult>;
  /**
   * Which of these ids (at most `limits.messagesPerCall`) the side holds: a unit taken over from a
   * stopped instance skips what that instance wrote after its last checkpoint. Optional: without
   * it, the import's own idempotency keeps one copy.
   */
  heldMessages?(conversation: Conversation, ids: string[]): Promise<Set<string>>;
  /** Replaces the user's profile, contacts, blocklist, settings and read positions. */
  putUserData(data: UserData): Promise<void>;
  putGroup(group: GroupRecord): Promise<void>;
  /** Adds the members, or updates their role and time when present. */
  putMembers(groupId: string, members: Member[]): Promise<void>;
  removeMembers(groupId: string, userIds: string[]): Promise<void>;
}
