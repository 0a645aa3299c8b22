import { ConfigError } from '../../config/load-config.js';
import type { RedisKeys } from './keys.js';
import type { RedisClient } from './redis-connection.js';

/**
 * How many outbox shards a migration's data is laid out in, kept in Redis beside the state: a
 * message's dedupe record and owed writes live in shard murmur(id) % shards, so every instance
 * must agree on the count, and a change of it must move the data (`cutover reshard`).
 */
export interface ShardLayout {
  shards: number;
  /** Set while `cutover reshard` moves the data: no instance may start until it is done. */
  resharding?: { from: number; to: number; by: string; at: string };
}

/** An instance whose redis.shards disagrees with the stored layout; it must not start. */
export class ShardCountError extends ConfigError {}

/** How long an instance's "I am running" mark lasts without being renewed. */
export const INSTANCE_MARK_MS = 15_000;

export class ShardRecord {
  constructor(private readonly redis: RedisClient, private readonly keys: RedisKeys) {}

  async read(): Promise<ShardLayout | null> {
    const json = await this.redis.get(this.keys.shardLayout);
    return json === null ? null : (JSON.parse(json) as ShardLayout);
  }

  /**
   * The first instance stores its count; every later one must have the same, or it is refused
   * with what to do next. Nobody starts while a reshard is under way.
   */
  async claim(shards: number): Promise<void> {
    await this.redis.set(this.keys.shardLayout, JSON.stringify({ shards } satisfies ShardLayout), 'NX');
    const layout = await this.read();
    if (layout?.resharding) {
      const { from, to, by, at } = layout.resharding;
      throw new ShardCountError(
        `a reshard of migration "${this.keys.migration}" from ${from} to ${to} shards is under way (started by ${by} at ${at}); ` +
          `finish it with cutover reshard --redis URL --to ${to} --reason "..." (it resumes where it stopped), then start with redis.shards ${to}`,
      );
    }
    if (layout !== null && layout.shards !== shards) {
      throw new ShardCountError(
        `config key "redis.shards" (CUTOVER_REDIS_SHARDS) is ${shards}, but migration "${this.keys.migration}" keeps its outbox in ${layout.shards} shards in Redis. ` +
          `Set CUTOVER_REDIS_SHARDS=${layout.shards}; or, to change it, stop every gateway and run cutover reshard --redis URL --to ${shards} --reason "...", which moves what is owed`,
      );
    }
  }

  /** Renews this instance's mark: `cutover reshard` refuses to move data under a running instance. */
  async markRunning(instanceId: string, now: number): Promise<void> {
    const key = this.keys.instances;
    await this.redis.zadd(key, now, instanceId);
    await this.redis.zremrangebyscore(key, '-inf', now - INSTANCE_MARK_MS);
  }

  async unmark(instanceId: string): Promise<void> {
    await this.redis.zrem(this.keys.instances, instanceId);
  }

  /** Instances that said they run within the mark's lifetime. */
  async running(now: number): Promise<string[]> {
    return this.redis.zrangebyscore(this.keys.instances, now - INSTANCE_MARK_MS, '+inf');
  }

  async clear(): Promise<void> {
    await this.redis.del(this.keys.shardLayout);
  }

  async write(layout: ShardLayout): Promise<void> {
    await this.redis.set(this.keys.shardLayout, JSON.stringify(layout));
  }
}
