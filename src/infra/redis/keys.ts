import type { Side } from '../../domain/message.js';

/**
 * Every Redis key Cutover uses, built here only. The state, its audit and pub/sub share the hash
 * tag `{migration}` (one slot, one Lua script); the hot data is sharded as `{migration:shard}` so a
 * big migration spreads over a Cluster, and a script touches one shard's keys only.
 */
export class RedisKeys {
  constructor(readonly migration: string) {}

  get state(): string {
    return `cutover:{${this.migration}}:state`;
  }

  get audit(): string {
    return `cutover:{${this.migration}}:audit`;
  }

  /** Set by a gateway that found the state record gone (see StateStore.noteLoss). */
  get stateLoss(): string {
    return `cutover:{${this.migration}}:state-lost`;
  }

  /** The outbox's shard count (see ShardRecord), beside the state it must agree with. */
  get shardLayout(): string {
    return `cutover:{${this.migration}}:shards`;
  }

  /** Instances running now, by when they last said so (cutover reshard refuses while any does). */
  get instances(): string {
    return `cutover:{${this.migration}}:instances`;
  }

  get events(): string {
    return `cutover:{${this.migration}}:events`;
  }

  /**
   * A migration job's keys (see lua/migration-*.lua), beside the state in one slot: the job's
   * traffic is a few commands per page, far below the outbox's.
   */
  job(part: 'job' | 'units' | 'open' | 'owners' | 'checkpoints' | 'mismatches' | 'candidates' | 'held' | 'verified' | 'verified-seq' | 'finalizing' | 'workers'): string {
    return `cutover:{${this.migration}}:mig:${part}`;
  }

  /** One hour of the fleet's usage per side (hours since the epoch, UTC; see RedisUsageStore). */
  usageHour(hour: number): string {
    return `cutover:{${this.migration}}:usage:h:${hour}`;
  }

  /** Distinct users of a side in a day (`2026-12-01`) or month (`2026-12`): a HyperLogLog. */
  activeUsers(side: Side, period: string): string {
    return `cutover:{${this.migration}}:usage:users:${side}:${period}`;
  }

  /** Users online on a side in one UTC minute (minutes since the epoch): a HyperLogLog (see lua/online-peak-2.lua). */
  usersOnline(side: Side, minute: number): string {
    return `cutover:{${this.migration}}:usage:online:${side}:${minute}`;
  }

  /**
   * A webhook signature taken within the replay window. No hash tag: single-key commands only,
   * so a Cluster spreads them over every master.
   */
  bridgeSeen(signature: string): string {
    return `cutover:${this.migration}:bridge-seen:${signature}`;
  }

  private shardTag(shard: number): string {
    return `cutover:{${this.migration}:${shard}}`;
  }

  /**
   * Per message: its dedupe record, a string 'st|fp|tries|payload' (the record while unconfirmed,
   * then the receipt; layout in lua/begin-4.lua). `m:`, not the `msg:` hashes of earlier builds.
   */
  message(shard: number, id: string): string {
    return `${this.messagePrefix(shard)}${id}`;
  }

  /** What `message` puts before the id (the batch scripts build the keys from it). */
  messagePrefix(shard: number): string {
    return `${this.shardTag(shard)}:m:`;
  }

  /**
   * Unconfirmed primaries on `side` that have no secondary (member: the id), by the time they
   * become due for recovery. One with a secondary waits in the secondary's `owed` set instead.
   */
  intents(shard: number, side: Side): string {
    return `${this.shardTag(shard)}:intents:${side}`;
  }

  /**
   * Writes owed to `side` as a secondary (member: the record JSON), by when they may be taken next:
   * a positive score is the end of a lease, a retry's due time, or the time it was queued. A
   * negative score is an unconfirmed primary on the other side, due for recovery at minus the
   * score: one member carries a message from its begin to its last write (layout in lua/begin-4.lua).
   */
  owed(shard: number, side: Side): string {
    return `${this.shardTag(shard)}:owed:${side}`;
  }

  /** Tries made of the writes in `owed` that failed at least once (field: the member). */
  owedTries(shard: number, side: Side): string {
    return `${this.shardTag(shard)}:owed:${side}:tries`;
  }

  /** Where builds before the `owed` sets queued secondaries (a stream); adopted on start (lua/adopt-legacy-4.lua). */
  legacyStream(shard: number, side: Side): string {
    return `${this.shardTag(shard)}:outbox:${side}`;
  }

  /** Where those builds kept retries ('attempt|record JSON' by due time). */
  legacyRetries(shard: number, side: Side): string {
    return `${this.shardTag(shard)}:outbox:${side}:retry`;
  }

  /** One second of one shard's traffic counts, for the guard. */
  window(shard: number, second: number): string {
    return `${this.shardTag(shard)}:win:${second}`;
  }

  deadLetters(shard: number, side: Side): string {
    return `${this.shardTag(shard)}:outbox:${side}:dead`;
  }
}
