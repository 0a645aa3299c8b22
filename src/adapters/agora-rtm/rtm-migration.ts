import type { MetadataItem, PublishOptions } from 'agora-rtm-sdk';
import { inConversation, type Conversation, type OutboundMessage } from '../../domain/message.js';
import type { ConversationSummary, GroupRecord, Member, Page, UserData, UserProfile } from '../../domain/migration/records.js';
import { AdapterError } from '../adapter-error.js';
import type { ImportResult, MigrationWriter, SideLimits } from '../migration-side.js';
import { CallRateWindow } from './call-rate-window.js';
import { agoraSideLimits, MIGRATION_CALLS_PER_SECOND } from './import-estimate.js';
import { BATCH_CUSTOM_TYPE, packBatches, unpackEntry } from './rtm-batch.js';
import type { RtmClientPort } from './rtm-client-port.js';
import { conversationChannel, memberPlace, memberShardChannel, MEMBER_KEY_PREFIX, shardsFor } from './rtm-layout.js';
import {
  decodeGroup,
  decodeMember,
  decodeUserData,
  encodeGroup,
  encodeMember,
  encodeUserData,
  ITEMS_PER_CALL,
  noListing,
  packCalls,
  SET_MAX_BYTES,
  storedBytes,
  USER_KEY_PREFIX,
  type StoredGroup,
} from './rtm-records.js';
import type { RtmSession } from './rtm-session.js';

export interface RtmMigrationOptions {
  /** Migration calls per second this client makes at most (every SDK call counts). */
  callsPerSecond?: number;
}

/** The SDK caps one history read at 100 stored messages. */
const HISTORY_PAGE = 100;
/** Channels whose stored ids this worker keeps (a job works on few conversations at a time). */
const MAX_KNOWN_CHANNELS = 64;
const MAX_KNOWN_GROUPS = 10_000;

const IMPORT_OPTIONS: PublishOptions = { channelType: 'MESSAGE', storeInHistory: true, customType: BATCH_CUSTOM_TYPE };

/** What one channel is known to hold: the ids, and the newest server time read so far. */
interface KnownIds {
  ids: Set<string>;
  newest: number;
}

/** A history cursor: read from server time `start` (0 = now), `skip` messages of that window already given. */
interface HistoryCursor {
  start: number;
  skip: number;
  /** Messages per stored entry last seen: how many entries a page of `limit` needs. */
  density: number;
}

/**
 * The Agora side of a migration, in the worker, on the client that live messaging uses (one
 * client per process). Messages become batches in the conversation's channel; everything else
 * becomes user or channel metadata (docs/agora-mapping.md). Every SDK call waits its turn in a
 * window of `callsPerSecond`, so the job's calls never meet the SDK's own -10021.
 *
 * Import is idempotent by id: before publishing into a channel, this reads what the channel
 * holds (all of it the first time, then what arrived since), so a resumed page, a message that
 * arrived live, or a publish that timed out but landed (once history shows it) is not stored
 * again. Two writers importing one conversation at once could both publish a message; the job's
 * lease rules that out.
 */
export class RtmMigration implements MigrationWriter {
  readonly kind = 'agora-rtm';
  readonly limits: SideLimits;
  private readonly window: CallRateWindow;
  private readonly known = new Map<string, KnownIds>();
  private readonly shards = new Map<string, number>();

  constructor(
    private readonly client: RtmClientPort,
    private readonly session: RtmSession,
    options: RtmMigrationOptions = {},
  ) {
    const perSecond = options.callsPerSecond ?? MIGRATION_CALLS_PER_SECOND;
    this.window = new CallRateWindow(perSecond);
    this.limits = agoraSideLimits(perSecond);
  }

  users(_after: string | undefined, _limit: number): Promise<Page<UserProfile>> {
    return noListing();
  }

  groups(_after: string | undefined, _limit: number): Promise<Page<GroupRecord>> {
    return noListing();
  }

  conversations(_after: string | undefined, _limit: number): Promise<Page<ConversationSummary>> {
    return noListing();
  }

  async importMessages(conversation: Conversation, messages: OutboundMessage[]): Promise<ImportResult> {
    for (const message of messages) {
      if (!inConversation(message, conversation)) {
        throw new AdapterError('rejected', `message ${message.id} does not belong to the conversation it is imported into`);
      }
    }
    if (messages.length === 0) return { created: 0, existing: 0 };
    const channel = conversationChannel(conversation);
    const known = await this.readBack(channel);
    const fresh = new Map<string, OutboundMessage>();
    for (const message of messages) {
      if (!known.ids.has(message.id) && !fresh.has(message.id)) fresh.set(message.id, message);
    }
    const published: number[] = [];
    for (const batch of packBatches([...fresh.values()])) {
      await this.sdk('publish', () => this.client.publish(channel, batch.wire, IMPORT_OPTIONS));
      for (const id of batch.ids) known.ids.add(id);
      published.push(Buffer.byteLength(batch.wire, 'utf8'));
    }
    return { created: fresh.size, existing: messages.length - fresh.size, published };
  }

  async history(conversation: Conversation, after: string | undefined, limit: number): Promise<Page<OutboundMessage>> {
    const channel = conversationChannel(conversation);
    const cursor = parseCursor(after);
    const want = cursor.skip + Math.max(1, limit);
    const count = Math.min(HISTORY_PAGE, Math.max(1, Math.ceil(want / cursor.density)));
    const response = await this.sdk('getMessages', () =>
      this.client.history.getMessages(channel, 'MESSAGE', { messageCount: count, start: cursor.start }),
    );
    const list: OutboundMessage[] = [];
    const seen = new Set<string>();
    let unpacked = 0;
    for (const entry of response.messageList) {
      const messages = unpackEntry(entry.message);
      unpacked += messages.length;
      for (const message of messages) {
        if (seen.has(message.id) || !inConversation(message, conversation)) continue;
        seen.add(message.id);
        list.push(message);
      }
    }
    const entries = response.messageList.length;
    const density = entries > 0 ? Math.max(1, Math.round(unpacked / entries)) : cursor.density;
    const first = response.messageList[0];
    if (list.length > want && first !== undefined) {
      // The rest of this window next time, pinned to its newest entry so later arrivals do not shift it.
      const start = cursor.start !== 0 ? cursor.start : first.timestamp;
      return { items: list.slice(cursor.skip, want), next: formatCursor({ start, skip: want, density }) };
    }
    const items = list.slice(cursor.skip);
    if (response.newStart === 0) return { items, next: null };
    if (cursor.start !== 0 && response.newStart >= cursor.start) {
      throw new AdapterError('vendor_error', `agora-rtm history of ${channel} does not move past ${cursor.start}`);
    }
    return { items, next: formatCursor({ start: response.newStart, skip: 0, density }) };
  }

  async putUserData(data: UserData): Promise<void> {
    const userId = data.profile.id;
    const items = encodeUserData(data);
    // Packed first: an item no call can carry is refused before anything changes.
    const calls = packCalls(items);
    const existing = await this.sdk('getUserMetadata', () => this.client.storage.getUserMetadata({ userId }));
    const keys = new Set(items.map((item) => item.key));
    const stale: string[] = [];
    let others = 0;
    for (const [key, detail] of Object.entries(existing.metadata)) {
      if (!key.startsWith(USER_KEY_PREFIX)) others += storedBytes({ key, value: detail.value });
      else if (!keys.has(key)) stale.push(key);
    }
    const ours = items.reduce((sum, item) => sum + storedBytes(item), 0);
    if (others + ours > SET_MAX_BYTES) {
      const text = `user data of ${userId} takes ${ours} bytes of metadata (and other items ${others}); an RTM user's metadata holds ${SET_MAX_BYTES}`;
      throw new AdapterError('rejected', text, undefined, { notSent: true });
    }
    // Stale chunks go first: a set that briefly held old and new chunks could pass 64 KB.
    for (let i = 0; i < stale.length; i += ITEMS_PER_CALL) {
      const data = stale.slice(i, i + ITEMS_PER_CALL).map((key) => ({ key, value: '' }));
      await this.sdk('removeUserMetadata', () => this.client.storage.removeUserMetadata({ userId, data }));
    }
    for (const call of calls) {
      await this.sdk('setUserMetadata', () => this.client.storage.setUserMetadata(call, { userId }));
    }
  }

  async userData(userId: string): Promise<UserData | null> {
    const response = await this.sdk('getUserMetadata', () => this.client.storage.getUserMetadata({ userId }));
    return decodeUserData(userId, response.metadata);
  }

  async putGroup(group: GroupRecord): Promise<void> {
    const stored = await this.readGroup(group.id);
    // The shard count never changes: members already written stay where readers look for them.
    const shards = stored?.shards ?? shardsFor(group.memberCount);
    await this.sdk('setChannelMetadata', () =>
      this.client.storage.setChannelMetadata(group.id, 'MESSAGE', [encodeGroup(group, shards)]),
    );
    this.rememberShards(group.id, shards);
  }

  async group(groupId: string): Promise<GroupRecord | null> {
    return (await this.readGroup(groupId))?.group ?? null;
  }

  async putMembers(groupId: string, members: Member[]): Promise<void> {
    const shards = await this.shardsOf(groupId, 'putMembers');
    const byShard = new Map<number, Map<string, MetadataItem>>();
    for (const member of members) {
      const place = memberPlace(member.userId, shards);
      const items = byShard.get(place.shard) ?? new Map<string, MetadataItem>();
      items.set(place.key, { key: place.key, value: encodeMember(member) });
      byShard.set(place.shard, items);
    }
    for (const [shard, items] of [...byShard].sort(([a], [b]) => a - b)) {
      const channel = memberShardChannel(groupId, shard);
      for (const call of packCalls([...items.values()])) {
        await this.sdk('setChannelMetadata', () => this.client.storage.setChannelMetadata(channel, 'MESSAGE', call));
      }
    }
  }

  async removeMembers(groupId: string, userIds: string[]): Promise<void> {
    const shards = await this.shardsOf(groupId, 'removeMembers');
    const byShard = new Map<number, Set<string>>();
    for (const userId of userIds) {
      const place = memberPlace(userId, shards);
      byShard.set(place.shard, (byShard.get(place.shard) ?? new Set()).add(place.key));
    }
    for (const [shard, keySet] of [...byShard].sort(([a], [b]) => a - b)) {
      const channel = memberShardChannel(groupId, shard);
      const keys = [...keySet];
      // Never an empty list: removeChannelMetadata without items clears the whole set.
      for (let i = 0; i < keys.length; i += ITEMS_PER_CALL) {
        const data = keys.slice(i, i + ITEMS_PER_CALL).map((key) => ({ key, value: '' }));
        await this.sdk('removeChannelMetadata', () => this.client.storage.removeChannelMetadata(channel, 'MESSAGE', { data }));
      }
    }
  }

  async members(groupId: string, after: string | undefined, limit: number): Promise<Page<Member>> {
    const shards = this.shards.get(groupId) ?? (await this.readGroup(groupId))?.shards;
    if (shards === undefined) return { items: [], next: null };
    const [shard, offset] = parseMemberCursor(after, shards);
    const channel = memberShardChannel(groupId, shard);
    const response = await this.sdk('getChannelMetadata', () => this.client.storage.getChannelMetadata(channel, 'MESSAGE'));
    const members: Member[] = [];
    for (const [key, detail] of Object.entries(response.metadata)) {
      if (key.startsWith(MEMBER_KEY_PREFIX)) members.push(decodeMember(groupId, key, detail.value));
    }
    members.sort((x, y) => (x.userId < y.userId ? -1 : x.userId > y.userId ? 1 : 0));
    const end = offset + Math.max(1, limit);
    const items = members.slice(offset, end);
    if (end < members.length) return { items, next: `${shard}:${end}` };
    return { items, next: shard + 1 < shards ? `${shard + 1}:0` : null };
  }

  /** One SDK call of the migration: its turn in the window, then the session's login and budget. */
  private sdk<T>(operation: string, action: () => Promise<T>): Promise<T> {
    return this.session.gatedCall(operation, () => this.window.take(), action);
  }

  /** What `channel` holds by id: read in full the first time, then only what is newer. */
  private async readBack(channel: string): Promise<KnownIds> {
    const cached = this.known.get(channel);
    const known = cached ?? { ids: new Set<string>(), newest: 0 };
    // `end` bounds the read at the newest entry seen before, so a later read covers only the new.
    const end = cached?.newest ?? 0;
    let start = 0;
    let newest = known.newest;
    for (;;) {
      const options = end > 0 ? { messageCount: HISTORY_PAGE, start, end } : { messageCount: HISTORY_PAGE, start };
      const response = await this.sdk('getMessages', () => this.client.history.getMessages(channel, 'MESSAGE', options));
      for (const entry of response.messageList) {
        newest = Math.max(newest, entry.timestamp);
        for (const message of unpackEntry(entry.message)) known.ids.add(message.id);
      }
      if (response.newStart === 0 || response.newStart === start || (end > 0 && response.newStart < end)) break;
      start = response.newStart;
    }
    known.newest = newest;
    this.known.delete(channel);
    this.known.set(channel, known);
    if (this.known.size > MAX_KNOWN_CHANNELS) {
      const oldest = this.known.keys().next();
      if (oldest.done !== true) this.known.delete(oldest.value);
    }
    return known;
  }

  private async readGroup(groupId: string): Promise<StoredGroup | null> {
    const response = await this.sdk('getChannelMetadata', () => this.client.storage.getChannelMetadata(groupId, 'MESSAGE'));
    const stored = decodeGroup(groupId, response.metadata);
    if (stored !== null) this.rememberShards(groupId, stored.shards);
    return stored;
  }

  private async shardsOf(groupId: string, operation: string): Promise<number> {
    const shards = this.shards.get(groupId) ?? (await this.readGroup(groupId))?.shards;
    if (shards === undefined) {
      throw new AdapterError('rejected', `agora-rtm ${operation}: group ${groupId} was never written (putGroup comes first)`);
    }
    return shards;
  }

  private rememberShards(groupId: string, shards: number): void {
    this.shards.delete(groupId);
    this.shards.set(groupId, shards);
    if (this.shards.size > MAX_KNOWN_GROUPS) {
      const oldest = this.shards.keys().next();
      if (oldest.done !== true) this.shards.delete(oldest.value);
    }
  }
}

function parseCursor(after: string | undefined): HistoryCursor {
  if (after === undefined) return { start: 0, skip: 0, density: 1 };
  const [start, skip, density] = after.split(':').map(Number);
  if (!isCount(start) || !isCount(skip) || !isCount(density) || density < 1) {
    throw new AdapterError('rejected', `not an agora-rtm history cursor: ${after}`);
  }
  return { start, skip, density };
}

function formatCursor(cursor: HistoryCursor): string {
  return `${cursor.start}:${cursor.skip}:${cursor.density}`;
}

function parseMemberCursor(after: string | undefined, shards: number): [shard: number, offset: number] {
  if (after === undefined) return [0, 0];
  const [shard, offset] = after.split(':').map(Number);
  if (!isCount(shard) || !isCount(offset) || shard >= shards) {
    throw new AdapterError('rejected', `not an agora-rtm member cursor: ${after}`);
  }
  return [shard, offset];
}

function isCount(value: number | undefined): value is number {
  return value !== undefined && Number.isSafeInteger(value) && value >= 0;
}
