import { createHash } from 'node:crypto';
import type { Conversation } from '../../domain/message.js';

/**
 * Where each kind of data lives on Agora RTM: channel names and metadata keys, derived only from
 * ids so that every instance and every client app finds the same place (docs/agora-mapping.md).
 * Names and keys keep to the SDK's pattern for both (`[a-zA-Z0-9 !#$%&()+,\-:;<=>?@[\]^_{|}~]`,
 * 1–64 characters, no leading `_`; keys at most 32): no `.`, which the SDK refuses.
 */

/** 128 bits of SHA-256: no two pairs or groups meet by chance among billions. */
const NAME_HASH_HEX = 32;
/** 96 bits: members of one group never collide by chance (and a collision would show in verification). */
const MEMBER_KEY_HASH_HEX = 24;

export const GROUP_KEY = 'cutover_group';
export const MEMBER_KEY_PREFIX = 'm_';

/** Metadata set budget Cutover fills per shard: under the 64 KB per set, leaving room for the server's own bookkeeping. */
export const SHARD_BUDGET_BYTES = 49_152;
/** What one member item is assumed to take when a group's shards are sized: key 26 bytes, value with a 40-character id. */
export const MEMBER_ITEM_BYTES = 96;
/** Hashing spreads members unevenly, and groups grow after the import. */
const SHARD_HEADROOM = 1.25;

function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/**
 * The MESSAGE channel holding a user pair's migrated past: `dm_` + 32 hex digits of SHA-256 of
 * `<length(a)>:<a><length(b)>:<b>` with a ≤ b. Length-prefixed so that no two pairs share the
 * input; sorted so both directions meet. RTM ids are ASCII, so any language sorts them alike.
 */
export function pairArchiveChannel(a: string, b: string): string {
  const [x, y] = a <= b ? [a, b] : [b, a];
  return `dm_${sha256Hex(`${x.length}:${x}${y.length}:${y}`).slice(0, NAME_HASH_HEX)}`;
}

/** The channel a conversation's history is read from and imported into. */
export function conversationChannel(conversation: Conversation): string {
  return conversation.type === 'channel' ? conversation.id : pairArchiveChannel(conversation.a, conversation.b);
}

/** How many metadata sets a group's members are spread over; fixed when the group is first written. */
export function shardsFor(memberCount: number): number {
  const bytes = Math.max(0, memberCount) * MEMBER_ITEM_BYTES * SHARD_HEADROOM;
  return Math.max(1, Math.ceil(bytes / SHARD_BUDGET_BYTES));
}

/** Shard 0 is the group's own channel (beside its meta item); the others are `gm_<hash>_<n>`. */
export function memberShardChannel(groupId: string, shard: number): string {
  if (shard === 0) return groupId;
  return `gm_${sha256Hex(groupId).slice(0, NAME_HASH_HEX)}_${shard}`;
}

export interface MemberPlace {
  key: string;
  shard: number;
}

/** A member's item key and shard, both from SHA-256 of the user id. */
export function memberPlace(userId: string, shards: number): MemberPlace {
  const hash = sha256Hex(userId);
  return {
    key: MEMBER_KEY_PREFIX + hash.slice(0, MEMBER_KEY_HASH_HEX),
    shard: Number.parseInt(hash.slice(0, 8), 16) % shards,
  };
}
