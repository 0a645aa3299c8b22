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

  private shardTag(shard: number): string {
    return `cutover:{${this.migration}:${shard}}`;
  }

  /**
   * Per message: its dedupe record, a string 'st|fp|tries|payload' (the record while unconfirmed,
   * then the receipt; layout in lua/begin-2.lua). `m:`, not the `msg:` hashes of earlier builds.
   */
  message(shard: number, id: string): string {
    return `${this.messagePrefix(shard)}${id}`;
  }

  /** What `message` puts before the id (the batch scripts build the keys from it). */
  messagePrefix(shard: number): string {
    return `${this.shardTag(shard)}:m:`;
  }

  /** Unconfirmed primaries on `side`, by the time they become due for recovery. */
  intents(shard: number, side: Side): string {
    return `${this.shardTag(shard)}:intents:${side}`;
  }

  outbox(shard: number, side: Side): string {
    return `${this.shardTag(shard)}:outbox:${side}`;
  }

  retries(shard: number, side: Side): string {
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

/** The consumer group every instance's outbox workers join. */
export const OUTBOX_GROUP = 'cutover';
