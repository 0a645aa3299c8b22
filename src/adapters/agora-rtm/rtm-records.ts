import type { MetadataItem } from 'agora-rtm-sdk';
import type { GroupRecord, Member, MemberRole, UserData } from '../../domain/migration/records.js';
import { AdapterError } from '../adapter-error.js';
import { GROUP_KEY } from './rtm-layout.js';

/**
 * Migration records as RTM metadata items, and back. The SDK refuses a set call of more than 32
 * items or 16,384 bytes of request, and a value over 16,384 bytes; the docs give a metadata set
 * 64 KB. Lists are cut into chunks so that any user's data packs into calls under those limits.
 */

/** Items per set or remove call (the SDK's own cap). */
export const ITEMS_PER_CALL = 32;
/** The SDK's cap on one call's request is 16,384 bytes; the margin covers its revision fields. */
export const REQUEST_BUDGET_BYTES = 16_000;
/** The documented space of one user's or one channel's metadata set. */
export const SET_MAX_BYTES = 65_536;
/** A list chunk's share of a request: small enough that chunks of several lists share one call. */
const CHUNK_BYTES = 4_000;

const INDEX_KEY = 'cutover_index';
const PROFILE_KEY = 'cutover_profile';
const SETTINGS_KEY = 'cutover_settings';
const LISTS = { contacts: 'cutover_contacts_', blocks: 'cutover_blocks_', reads: 'cutover_reads_' } as const;
type ListName = keyof typeof LISTS;

export const USER_KEY_PREFIX = 'cutover_';

interface UserIndex {
  v: 1;
  contacts: number;
  blocks: number;
  reads: number;
}

/** What an item adds to a set call's request (`"key":"value",` once JSON-encoded). */
export function requestBytes(item: Pick<MetadataItem, 'key' | 'value'>): number {
  return Buffer.byteLength(JSON.stringify(item.key), 'utf8') + Buffer.byteLength(JSON.stringify(item.value), 'utf8') + 2;
}

/** What an item takes of its set's 64 KB, as the fake and this module count it. */
export function storedBytes(item: Pick<MetadataItem, 'key' | 'value'>): number {
  return Buffer.byteLength(item.key, 'utf8') + Buffer.byteLength(item.value, 'utf8');
}

/** Items in calls of at most 32 items and the request budget, in order (a caller's last item goes in the last call). */
export function packCalls<T extends Pick<MetadataItem, 'key' | 'value'>>(items: readonly T[]): T[][] {
  const calls: T[][] = [];
  let call: T[] = [];
  let bytes = 2;
  for (const item of items) {
    const size = requestBytes(item);
    if (2 + size > REQUEST_BUDGET_BYTES) {
      throw new AdapterError('rejected', `metadata item ${item.key} is ${size} bytes; one RTM storage call takes at most ${REQUEST_BUDGET_BYTES}`);
    }
    if (call.length === ITEMS_PER_CALL || bytes + size > REQUEST_BUDGET_BYTES) {
      calls.push(call);
      call = [];
      bytes = 2;
    }
    call.push(item);
    bytes += size;
  }
  if (call.length > 0) calls.push(call);
  return calls;
}

/** A list as JSON-array chunks, each about `CHUNK_BYTES` of request at most (one oversized element alone). */
function chunk(list: readonly unknown[]): string[] {
  const chunks: string[] = [];
  let current: string[] = [];
  let bytes = 4;
  for (const element of list) {
    const json = JSON.stringify(element);
    const size = Buffer.byteLength(JSON.stringify(json), 'utf8') - 1;
    if (current.length > 0 && bytes + size > CHUNK_BYTES) {
      chunks.push(`[${current.join(',')}]`);
      current = [];
      bytes = 4;
    }
    current.push(json);
    bytes += size;
  }
  if (current.length > 0) chunks.push(`[${current.join(',')}]`);
  return chunks;
}

/** A user's data as items, the index last: a reader trusts the chunks the index names. */
export function encodeUserData(data: UserData): MetadataItem[] {
  const items: MetadataItem[] = [
    { key: PROFILE_KEY, value: JSON.stringify(data.profile) },
    { key: SETTINGS_KEY, value: JSON.stringify(data.settings) },
  ];
  const lists: Record<ListName, readonly unknown[]> = {
    contacts: data.contacts,
    blocks: data.blocklist,
    reads: data.readPositions,
  };
  const index: UserIndex = { v: 1, contacts: 0, blocks: 0, reads: 0 };
  for (const name of Object.keys(LISTS) as ListName[]) {
    const chunks = chunk(lists[name]);
    index[name] = chunks.length;
    chunks.forEach((value, n) => items.push({ key: `${LISTS[name]}${n}`, value }));
  }
  items.push({ key: INDEX_KEY, value: JSON.stringify(index) });
  return items;
}

/** The user's data from their metadata, or null when Cutover never wrote it. */
export function decodeUserData(userId: string, metadata: Record<string, { value: string }>): UserData | null {
  const indexValue = metadata[INDEX_KEY]?.value;
  if (indexValue === undefined) return null;
  const index = parse<UserIndex>(userId, INDEX_KEY, indexValue);
  const list = <T>(name: ListName): T[] => {
    const out: T[] = [];
    for (let n = 0; n < index[name]; n++) {
      const key = `${LISTS[name]}${n}`;
      const value = metadata[key]?.value;
      if (value === undefined) {
        throw new AdapterError('vendor_error', `agora-rtm metadata of user ${userId} lists ${index[name]} ${name} chunks but ${key} is missing`);
      }
      out.push(...parse<T[]>(userId, key, value));
    }
    return out;
  };
  const required = (key: string): string => {
    const value = metadata[key]?.value;
    if (value === undefined) throw new AdapterError('vendor_error', `agora-rtm metadata of user ${userId} has an index but no ${key}`);
    return value;
  };
  return {
    profile: parse(userId, PROFILE_KEY, required(PROFILE_KEY)),
    settings: parse(userId, SETTINGS_KEY, required(SETTINGS_KEY)),
    contacts: list('contacts'),
    blocklist: list('blocks'),
    readPositions: list('reads'),
  };
}

export interface StoredGroup {
  group: GroupRecord;
  /** Metadata sets the members are spread over, fixed at the group's first write. */
  shards: number;
}

export function encodeGroup(group: GroupRecord, shards: number): MetadataItem {
  return { key: GROUP_KEY, value: JSON.stringify({ ...group, shards }) };
}

export function decodeGroup(groupId: string, metadata: Record<string, { value: string }>): StoredGroup | null {
  const value = metadata[GROUP_KEY]?.value;
  if (value === undefined) return null;
  const v = parse<GroupRecord & { shards: number }>(groupId, GROUP_KEY, value);
  const group: GroupRecord = {
    id: v.id,
    name: v.name,
    visibility: v.visibility,
    createdAt: v.createdAt,
    memberCount: v.memberCount,
    ownerId: v.ownerId,
  };
  if (v.topic !== undefined) group.topic = v.topic;
  if (!(Number.isInteger(v.shards) && v.shards >= 1)) {
    throw new AdapterError('vendor_error', `agora-rtm metadata of group ${groupId} has no valid shard count`);
  }
  return { group, shards: v.shards };
}

/** A member item's value: `[userId, role, joinedAt]`, the shortest form that keeps 5,000 members in a few sets. */
export function encodeMember(member: Member): string {
  return JSON.stringify([member.userId, member.role, member.joinedAt]);
}

export function decodeMember(groupId: string, key: string, value: string): Member {
  const [userId, role, joinedAt] = parse<[string, MemberRole, number]>(groupId, key, value);
  return { userId, role, joinedAt };
}

function parse<T>(owner: string, key: string, value: string): T {
  try {
    return JSON.parse(value) as T;
  } catch {
    throw new AdapterError('vendor_error', `agora-rtm metadata item ${key} of ${owner} is not JSON`);
  }
}

/** RTM has no query over users, groups or conversations: the old side is the listing. */
export function noListing(): Promise<never> {
  return Promise.reject(new AdapterError('rejected', 'agora-rtm cannot list users, groups or conversations: RTM has no such query, so the old side is the listing'));
}
