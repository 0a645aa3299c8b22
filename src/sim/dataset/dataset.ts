import { createHash } from 'node:crypto';
import type { Conversation, OutboundMessage } from '../../domain/message.js';
import type { Block, Contact, ContactState, GroupRecord as Group, Member, Settings, UserProfile as User } from '../../domain/migration/records.js';
import { datasetSpec, peerSlots, type DatasetSpec } from './dataset-spec.js';
import { Permutation, Rng, fmix32, gcd, hash, inverseMod, mod, unit } from './random.js';
import * as words from './vocabulary.js';

/** Bump when the generator's output changes, so digests of two builds do not compare equal by accident. */
export const GENERATOR_VERSION = 'legacy-dataset/1';

const DAY = 86_400_000;
/** The generated past lies in [HISTORY_START, HISTORY_END): fixed, so the data never depends on the clock. */
export const HISTORY_START = Date.UTC(2021, 0, 1);
export const HISTORY_END = Date.UTC(2025, 0, 1);
const HISTORY_SPAN = HISTORY_END - HISTORY_START;
/** Zipf exponent of conversation sizes (s = 1 + ZIPF_TAIL): a few conversations hold most messages. */
const ZIPF_TAIL = 0.1;
/** Group sizes fall off as (rank + 1)^-GROUP_SIZE_EXPONENT from maxGroupSize down to 2. */
const GROUP_SIZE_EXPONENT = 1.3;
/** Share of the messages that go to channels when there are both groups and user pairs. */
const CHANNEL_SHARE = 0.3;
/** Conversations get at least this many messages on average: fewer, busier conversations when messages are few. */
const MIN_MEAN_SIZE = 4;

/** Separate hash domains, so no two kinds of item share their random draws. */
const enum Domain {
  UserStem = 1, UserName, UserProfile, UserTime, GroupStem, GroupShape, GroupMember, ConversationTime,
  PeerMessage, ChannelMessage, Contact, Block, BlockPeer, Read, Setting, Mute, Offsets, Ranks,
}

export type Pool = 'p' | 'c';

/** The generated items have the shapes every migration side moves (domain/migration/records.ts). */
export type { Block, Contact, ContactState, Group, Member, Settings, User };

/** How many messages the conversation of each rank holds: 1 each, plus a Zipf share of the rest. */
class SizeCurve {
  private readonly denominator: number;

  constructor(readonly active: number, readonly extra: number) {
    this.denominator = 1 - (active + 1) ** -ZIPF_TAIL;
  }

  /** Messages before rank `rank` beyond the 1 each: monotone, 0 at rank 0 and `extra` at `active`. */
  private prefix(rank: number): number {
    if (rank <= 0) return 0;
    if (rank >= this.active) return this.extra;
    return Math.floor((this.extra * (1 - (rank + 1) ** -ZIPF_TAIL)) / this.denominator);
  }

  count(rank: number): number {
    return 1 + this.prefix(rank + 1) - this.prefix(rank);
  }
}

/**
 * One conversation of the generated past: message `i` (0 = oldest) is derived from the seed, the
 * conversation and `i` alone. Times strictly increase with `i`: message `i` lies in
 * [start + i·gap, start + (i+1)·gap), so finding a time is arithmetic, not a search.
 */
export class GeneratedConversation {
  readonly conversation: Conversation;

  constructor(
    private readonly dataset: Dataset,
    readonly pool: Pool,
    /** Index among the pool's candidates (a user pair slot or a group). */
    readonly index: number,
    readonly rank: number,
    readonly count: number,
    /** For a user pair: the two user indices; for a channel: the group index twice. */
    readonly left: number,
    readonly right: number,
    private readonly start: number,
    private readonly gap: number,
  ) {
    if (pool === 'c') {
      this.conversation = { type: 'channel', id: dataset.groupId(left) };
    } else {
      const a = dataset.userId(left);
      const b = dataset.userId(right);
      this.conversation = a < b ? { type: 'user', a, b } : { type: 'user', a: b, b: a };
    }
  }

  /** The conversation as a peer of one of its users: the other user, or the channel. */
  peerOf(user: number): { type: 'user' | 'channel'; id: string } {
    if (this.pool === 'c') return { type: 'channel', id: this.dataset.groupId(this.left) };
    return { type: 'user', id: this.dataset.userId(user === this.left ? this.right : this.left) };
  }

  private draw(i: number): number {
    return hash(this.dataset.key, this.pool === 'p' ? Domain.PeerMessage : Domain.ChannelMessage, this.index, i);
  }

  timeAt(i: number): number {
    return this.start + i * this.gap + (this.draw(i) % this.gap);
  }

  idAt(i: number): string {
    return `lg-${this.dataset.tag}-${this.pool}${this.index.toString(36)}.${i.toString(36)}`;
  }

  get lastActivityAt(): number {
    return this.timeAt(this.count - 1);
  }

  messageAt(i: number): OutboundMessage {
    const h = this.draw(i);
    const rng = new Rng(h ^ 0x51ed270b);
    let from: number;
    let to: OutboundMessage['to'];
    if (this.pool === 'p') {
      const forward = (rng.next() & 1) === 0;
      from = forward ? this.left : this.right;
      to = { type: 'user', id: this.dataset.userId(forward ? this.right : this.left) };
    } else {
      from = this.dataset.memberIndex(this.left, rng.int(this.dataset.groupSize(this.left)));
      to = { type: 'channel', id: this.dataset.groupId(this.left) };
    }
    const message: OutboundMessage = { id: this.idAt(i), from: this.dataset.userId(from), to, payload: '', sentAt: this.start + i * this.gap + (h % this.gap) };
    const roll = rng.int(1000);
    if (roll < 60) {
      message.kind = 'image';
      message.payload = JSON.stringify({ url: `https://files.example.com/${h.toString(16)}.jpg`, w: 320 + rng.int(3000), h: 240 + rng.int(3000), caption: roll < 20 ? words.chatText(rng) : undefined });
    } else if (roll < 80) {
      message.kind = 'file';
      message.payload = JSON.stringify({ name: rng.pick(words.FILE_NAMES), size: 1 + rng.int(50_000_000) });
    } else if (roll < 95) {
      message.kind = 'sticker';
      message.payload = JSON.stringify({ pack: `pack-${rng.int(40)}`, sticker: rng.int(24) });
    } else if (roll < 97) {
      message.payload = words.longText(rng);
    } else {
      message.payload = words.chatText(rng);
    }
    return message;
  }

  /** The first message at or after `time` (count when none). */
  firstAtOrAfter(time: number): number {
    const q = Math.floor((time - this.start) / this.gap);
    if (q < 0) return 0;
    if (q >= this.count) return this.count;
    return this.timeAt(q) >= time ? q : q + 1;
  }

  /** The first message that sorts after (time, id) by (sentAt, id). */
  firstAfter(time: number, id: string): number {
    const i = this.firstAtOrAfter(time);
    return i < this.count && this.timeAt(i) === time && this.idAt(i) <= id ? i + 1 : i;
  }
}

/** A conversation of one user in the generated past, as the user's own lists show it. */
export interface UserConversation {
  peer: { type: 'user' | 'channel'; id: string };
  generated: GeneratedConversation;
}

/**
 * The generated past of an incumbent: users, user pairs, groups with members, messages, contacts,
 * blocklists, read positions and settings, each derived on demand from the seed and its indices.
 * What is kept is O(peersPerUser + groups): a handful of numbers per group, nothing per user or
 * message, so a million messages cost no more memory than ten.
 *
 * Structure: user pairs are the circulant graph u ~ u ± offset[s] (s < peerSlots distinct offsets in
 * 1..(users-1)/2, so no pair repeats); candidate pair u·slots + s joins u and u + offset[s]. Group g's
 * members are start[g] + j·stride[g] mod users for j < size[g] (stride coprime with users, so they
 * are distinct and a member's position is one modular product away). Conversations of each pool get
 * a rank from a seeded permutation; ranks below the pool's active count hold messages, rank r holding
 * 1 + a Zipf share of the rest, so the sizes sum exactly to the requested total.
 */
export class Dataset {
  readonly spec: DatasetSpec;
  /** A short digest of the spec: part of every message id, so two datasets' ids never meet. */
  readonly tag: string;
  readonly key: number;
  readonly slots: number;
  private readonly offsets: Int32Array;
  private readonly slotOfOffset = new Map<number, number>();
  readonly peerCandidates: number;
  private readonly peerRanks: Permutation;
  private readonly peerCurve: SizeCurve;
  private readonly channelRanks: Permutation;
  private readonly channelCurve: SizeCurve;
  private readonly groupSizes: Int32Array;
  private readonly groupStarts: Int32Array;
  private readonly groupStrides: Int32Array;
  private readonly groupInverses: Int32Array;
  private readonly groupCreatedAt: Float64Array;
  readonly memberships: number;
  readonly peerMessages: number;
  readonly channelMessages: number;

  constructor(partial: Partial<DatasetSpec> = {}) {
    const spec = datasetSpec(partial);
    this.spec = spec;
    this.tag = createHash('sha256').update(`${GENERATOR_VERSION}\n${canonicalSpec(spec)}`).digest('hex').slice(0, 8);
    this.key = fmix32(spec.seed ^ 0x2545f491);
    const users = spec.users;

    this.slots = peerSlots(spec);
    this.offsets = new Int32Array(this.slots);
    const maxOffset = Math.floor((users - 1) / 2);
    for (let s = 0, draw = 0; s < this.slots; draw++) {
      // Distinct offsets by rejection: slots <= maxOffset, and each draw is uniform over 1..maxOffset.
      const offset = 1 + (hash(this.key, Domain.Offsets, draw) % maxOffset);
      if (this.slotOfOffset.has(offset)) continue;
      this.slotOfOffset.set(offset, s);
      this.offsets[s++] = offset;
    }
    this.peerCandidates = users * this.slots;

    const groups = spec.groups;
    this.groupSizes = new Int32Array(groups);
    this.groupStarts = new Int32Array(groups);
    this.groupStrides = new Int32Array(groups);
    this.groupInverses = new Int32Array(groups);
    this.groupCreatedAt = new Float64Array(groups);
    const largest = Math.min(spec.maxGroupSize, users);
    const sizeRanks = new Permutation(groups, hash(this.key, Domain.Ranks, 3));
    let memberships = 0;
    for (let g = 0; g < groups; g++) {
      const sizeRank = sizeRanks.forward(g);
      const jitter = 0.8 + 0.4 * unit(this.key, Domain.GroupShape, g, 1);
      const size = sizeRank === 0 ? largest : Math.round(largest * (sizeRank + 1) ** -GROUP_SIZE_EXPONENT * jitter);
      this.groupSizes[g] = Math.max(2, Math.min(largest, size));
      memberships += this.groupSizes[g] as number;
      this.groupStarts[g] = hash(this.key, Domain.GroupShape, g, 2) % users;
      let stride = users === 2 ? 1 : 1 + (hash(this.key, Domain.GroupShape, g, 3) % (users - 1));
      while (gcd(stride, users) !== 1) stride = (stride % (users - 1)) + 1;
      this.groupStrides[g] = stride;
      this.groupInverses[g] = inverseMod(stride, users);
      this.groupCreatedAt[g] = HISTORY_START - 7 * DAY - Math.floor(unit(this.key, Domain.GroupShape, g, 4) * 365 * DAY);
    }
    this.memberships = memberships;

    this.channelMessages = groups === 0 ? 0 : this.peerCandidates === 0 ? spec.messages : Math.floor(spec.messages * CHANNEL_SHARE);
    this.peerMessages = spec.messages - this.channelMessages;
    this.peerRanks = new Permutation(this.peerCandidates, hash(this.key, Domain.Ranks, 1));
    this.peerCurve = curve(this.peerMessages, this.peerCandidates);
    this.channelRanks = new Permutation(groups, hash(this.key, Domain.Ranks, 2));
    this.channelCurve = curve(this.channelMessages, groups);
  }

  get peerConversations(): number {
    return this.peerCurve.active;
  }

  get channelConversations(): number {
    return this.channelCurve.active;
  }

  // ---- users

  userId(u: number): string {
    const h = hash(this.key, Domain.UserStem, u);
    const stems = h % 100 < 70 ? words.PLAIN_USER_STEMS : words.ENCODED_USER_STEMS;
    return `${stems[(h >>> 8) % stems.length] as string}${u}`;
  }

  /** The index of a user id of this dataset, or undefined. */
  userIndex(id: string): number | undefined {
    const u = trailingIndex(id);
    return u !== undefined && u < this.spec.users && this.userId(u) === id ? u : undefined;
  }

  user(u: number): User {
    const rng = new Rng(hash(this.key, Domain.UserProfile, u));
    const last = rng.pick(words.LAST_NAMES);
    const user: User = {
      id: this.userId(u),
      displayName: last === '' ? rng.pick(words.FIRST_NAMES) : `${rng.pick(words.FIRST_NAMES)} ${last}`,
      createdAt: HISTORY_START - 400 * DAY - Math.floor(unit(this.key, Domain.UserTime, u) * 700 * DAY),
      profile: { title: rng.pick(words.TITLES), department: rng.pick(words.DEPARTMENTS), location: rng.pick(words.LOCATIONS), timezone: rng.pick(words.TIMEZONES) },
    };
    if (rng.int(10) < 7) user.avatarUrl = `https://avatars.example.com/${encodeURIComponent(user.id)}.png`;
    if (rng.int(10) < 3) user.profile['pronouns'] = rng.pick(['she/her', 'he/him', 'they/them']);
    if (rng.int(10) < 2) user.profile['x-employee-id'] = `E-${(hash(this.key, Domain.UserProfile, u, 1) % 1_000_000).toString().padStart(6, '0')}`;
    return user;
  }

  // ---- groups

  groupId(g: number): string {
    const h = hash(this.key, Domain.GroupStem, g);
    const stems = h % 100 < 60 ? words.PLAIN_CHANNEL_STEMS : words.ENCODED_CHANNEL_STEMS;
    return `${stems[(h >>> 8) % stems.length] as string}${g}`;
  }

  groupIndex(id: string): number | undefined {
    const g = trailingIndex(id);
    return g !== undefined && g < this.spec.groups && this.groupId(g) === id ? g : undefined;
  }

  groupSize(g: number): number {
    return this.groupSizes[g] as number;
  }

  group(g: number): Group {
    const rng = new Rng(hash(this.key, Domain.GroupStem, g, 1));
    const id = this.groupId(g);
    const group: Group = {
      id,
      name: `${rng.pick(['#', '', 'Team ', 'Proj '])}${id.replace(/\d+$/, '').replace(/[-_.]$/, '') || 'group'} ${g}`,
      visibility: rng.int(4) === 0 ? 'private' : 'public',
      createdAt: this.groupCreatedAt[g] as number,
      memberCount: this.groupSize(g),
      ownerId: this.userId(this.memberIndex(g, 0)),
    };
    const topic = rng.pick(words.TOPICS);
    if (topic !== '') group.topic = topic;
    return group;
  }

  /** The user index of member `j` of group `g` (members in joining order). */
  memberIndex(g: number, j: number): number {
    return (((this.groupStarts[g] as number) + j * (this.groupStrides[g] as number)) % this.spec.users);
  }

  /** Where user `u` stands among group `g`'s members, or -1 when not a member. */
  memberPosition(g: number, u: number): number {
    const users = this.spec.users;
    const j = (mod(u - (this.groupStarts[g] as number), users) * (this.groupInverses[g] as number)) % users;
    return j < this.groupSize(g) ? j : -1;
  }

  member(g: number, j: number): Member {
    const size = this.groupSize(g);
    const admins = Math.min(10, Math.ceil(size / 100));
    // Everyone joined within six days of the group's creation, a week before the first message.
    const step = Math.min(60_000, Math.floor((6 * DAY) / size));
    return {
      userId: this.userId(this.memberIndex(g, j)),
      role: j === 0 ? 'owner' : j <= admins ? 'admin' : 'member',
      joinedAt: (this.groupCreatedAt[g] as number) + j * step + (hash(this.key, Domain.GroupMember, g, j) % step),
    };
  }

  // ---- conversations

  /** The conversation of `rank` in `pool` (rank < the pool's active count). */
  conversationAtRank(pool: Pool, rank: number): GeneratedConversation {
    const index = pool === 'p' ? this.peerRanks.inverse(rank) : this.channelRanks.inverse(rank);
    return this.build(pool, index, rank);
  }

  /** The generated conversation at a candidate index, or undefined when it holds no messages. */
  candidate(pool: Pool, index: number): GeneratedConversation | undefined {
    const rank = pool === 'p' ? this.peerRanks.forward(index) : this.channelRanks.forward(index);
    return rank < (pool === 'p' ? this.peerCurve.active : this.channelCurve.active) ? this.build(pool, index, rank) : undefined;
  }

  /** The generated conversation a history route names, or undefined (not in the dataset, or empty). */
  find(conversation: Conversation): GeneratedConversation | undefined {
    if (conversation.type === 'channel') {
      const g = this.groupIndex(conversation.id);
      return g === undefined ? undefined : this.candidate('c', g);
    }
    const u = this.userIndex(conversation.a);
    const v = this.userIndex(conversation.b);
    if (u === undefined || v === undefined) return undefined;
    const index = this.pairIndex(u, v);
    return index === undefined ? undefined : this.candidate('p', index);
  }

  /** The candidate index of the pair {u, v}, or undefined when they are not peers. */
  private pairIndex(u: number, v: number): number | undefined {
    const users = this.spec.users;
    const d = mod(v - u, users);
    const forward = this.slotOfOffset.get(d);
    if (forward !== undefined) return u * this.slots + forward;
    const backward = this.slotOfOffset.get(users - d);
    return backward === undefined ? undefined : v * this.slots + backward;
  }

  /** User `u`'s peers (2 per slot) by position: even positions u → u + offset, odd ones u - offset → u. */
  private peerAt(u: number, position: number): { peer: number; index: number } {
    const slot = position >> 1;
    const offset = this.offsets[slot] as number;
    if ((position & 1) === 0) return { peer: (u + offset) % this.spec.users, index: u * this.slots + slot };
    const peer = mod(u - offset, this.spec.users);
    return { peer, index: peer * this.slots + slot };
  }

  /** Every conversation of user `u` that holds messages: peers first (slot order), then channels (group order). */
  userConversations(u: number): UserConversation[] {
    const out: UserConversation[] = [];
    for (let position = 0; position < 2 * this.slots; position++) {
      const generated = this.candidate('p', this.peerAt(u, position).index);
      if (generated !== undefined) out.push({ peer: generated.peerOf(u), generated });
    }
    for (let g = 0; g < this.spec.groups; g++) {
      if (this.memberPosition(g, u) < 0) continue;
      const generated = this.candidate('c', g);
      if (generated !== undefined) out.push({ peer: generated.peerOf(u), generated });
    }
    return out;
  }

  private build(pool: Pool, index: number, rank: number): GeneratedConversation {
    const count = (pool === 'p' ? this.peerCurve : this.channelCurve).count(rank);
    const code = pool === 'p' ? 1 : 2;
    const start = HISTORY_START + Math.floor(unit(this.key, Domain.ConversationTime, code, index) * HISTORY_SPAN * 0.5);
    const end = HISTORY_END - Math.floor(unit(this.key, Domain.ConversationTime, code + 2, index) * HISTORY_SPAN * 0.1);
    const gap = Math.floor((end - start) / count);
    if (pool === 'c') return new GeneratedConversation(this, pool, index, rank, count, index, index, start, gap);
    const u = Math.floor(index / this.slots);
    const v = (u + (this.offsets[index % this.slots] as number)) % this.spec.users;
    return new GeneratedConversation(this, pool, index, rank, count, u, v, start, gap);
  }

  /** Whether `id` is a message of this dataset's generated past. */
  hasMessage(id: string): boolean {
    return this.locate(id) !== undefined;
  }

  /** The `sentAt` of generated message `id`, or undefined when `id` is not of the generated past. */
  messageSentAt(id: string): number | undefined {
    const found = this.locate(id);
    return found === undefined ? undefined : found.conversation.timeAt(found.i);
  }

  private locate(id: string): { conversation: GeneratedConversation; i: number } | undefined {
    const match = MESSAGE_ID.exec(id);
    if (match === null || match[1] !== this.tag) return undefined;
    const pool = match[2] as Pool;
    const index = parseCanonical36(match[3] as string);
    const i = parseCanonical36(match[4] as string);
    if (index === undefined || i === undefined) return undefined;
    if (index >= (pool === 'p' ? this.peerCandidates : this.spec.groups)) return undefined;
    const conversation = this.candidate(pool, index);
    return conversation !== undefined && i < conversation.count ? { conversation, i } : undefined;
  }

  // ---- contacts, blocklist, read positions, settings

  /** User `u`'s contacts among their peers, in peer order; `position` is where to resume (0..2·slots). */
  contacts(u: number, position: number, limit: number): { items: Contact[]; next: number | undefined } {
    const items: Contact[] = [];
    let p = position;
    for (; p < 2 * this.slots && items.length < limit; p++) {
      const contact = this.contactAt(u, p);
      if (contact !== undefined) items.push(contact);
    }
    while (p < 2 * this.slots && this.contactAt(u, p) === undefined) p++;
    return { items, next: p < 2 * this.slots ? p : undefined };
  }

  private contactAt(u: number, position: number): Contact | undefined {
    const { peer, index } = this.peerAt(u, position);
    const h = hash(this.key, Domain.Contact, index);
    const roll = h % 100;
    if (roll >= 80) return undefined;
    // The lower end of the pair (the one whose slot it is) asked when the bit is 0.
    const owner = Math.floor(index / this.slots);
    const requester = ((h >>> 8) & 1) === 0 ? owner : owner === u ? peer : u;
    const state: ContactState = roll < 70 ? 'accepted' : requester === u ? 'pending_out' : 'pending_in';
    return { userId: this.userId(peer), state, since: HISTORY_START - 390 * DAY + Math.floor(unit(this.key, Domain.Contact, index, 1) * HISTORY_SPAN * 0.9) };
  }

  /** Users `u` has blocked (a few users for one in seven), none of them a peer. */
  blocklist(u: number): Block[] {
    const users = this.spec.users;
    if (users < 2) return [];
    const h = hash(this.key, Domain.Block, u);
    const count = h % 100 < 85 ? 0 : 1 + ((h >>> 8) % 5);
    const seen = new Set<number>();
    const out: Block[] = [];
    for (let j = 0; j < count; j++) {
      const v = (u + 1 + (hash(this.key, Domain.BlockPeer, u, j) % (users - 1))) % users;
      if (seen.has(v) || this.pairIndex(u, v) !== undefined) continue;
      seen.add(v);
      out.push({ userId: this.userId(v), since: HISTORY_START + Math.floor(unit(this.key, Domain.Block, u, j + 1) * HISTORY_SPAN) });
    }
    return out;
  }

  /**
   * Where user `u` stopped reading `conversation` (a generated message), or undefined when they read
   * none of it: about two thirds read to the end, a quarter part-way, the rest nothing.
   */
  readPosition(u: number, conversation: GeneratedConversation): { lastReadMessageId: string; readAt: number } | undefined {
    const h = hash(this.key, Domain.Read, u, conversation.pool === 'p' ? conversation.index * 2 : conversation.index * 2 + 1);
    const roll = h % 100;
    if (roll >= 90) return undefined;
    const i = roll < 65 ? conversation.count - 1 : Math.floor(unit(this.key, Domain.Read, u, h) * conversation.count);
    return { lastReadMessageId: conversation.idAt(i), readAt: conversation.timeAt(i) + 1_000 + ((h >>> 8) % 3_600_000) };
  }

  settings(u: number, conversations: readonly UserConversation[]): Settings {
    const rng = new Rng(hash(this.key, Domain.Setting, u));
    const level = rng.int(10);
    const custom: Record<string, string> = { theme: rng.pick(['light', 'dark', 'system']), language: rng.pick(words.LANGUAGES) };
    if (rng.int(10) < 3) custom['signature'] = rng.pick(words.SIGNATURES);
    if (rng.int(10) < 2) custom['x-desk-ext'] = `${1000 + rng.int(9000)}`;
    const mutes: Settings['mutes'] = [];
    for (const { peer, generated } of conversations) {
      const h = hash(this.key, Domain.Mute, u, generated.pool === 'p' ? generated.index * 2 : generated.index * 2 + 1);
      if (h % 100 >= 8) continue;
      mutes.push({ type: peer.type, id: peer.id, until: ((h >>> 8) & 3) === 0 ? null : HISTORY_END + ((h >>> 10) % (365 * 86_400)) * 1_000 });
    }
    return { userId: this.userId(u), notificationLevel: level < 7 ? 'all' : level < 9 ? 'mentions' : 'none', mutes, custom };
  }
}

function curve(messages: number, candidates: number): SizeCurve {
  const active = messages === 0 ? 0 : Math.min(candidates, Math.ceil(messages / MIN_MEAN_SIZE));
  return new SizeCurve(active, messages - active);
}

export function canonicalSpec(spec: DatasetSpec): string {
  return JSON.stringify({
    seed: spec.seed, users: spec.users, messages: spec.messages, groups: spec.groups, peersPerUser: spec.peersPerUser, maxGroupSize: spec.maxGroupSize,
  });
}

const MESSAGE_ID = /^lg-([0-9a-f]{8})-([pc])([0-9a-z]+)\.([0-9a-z]+)$/;

function parseCanonical36(text: string): number | undefined {
  const value = parseInt(text, 36);
  return Number.isSafeInteger(value) && value.toString(36) === text ? value : undefined;
}

/** The decimal index an id ends with (no leading zero), or undefined. */
function trailingIndex(id: string): number | undefined {
  const match = /(?:^|[^0-9])(0|[1-9][0-9]{0,9})$/.exec(id);
  if (match === null) return undefined;
  return Number(match[1]);
}
