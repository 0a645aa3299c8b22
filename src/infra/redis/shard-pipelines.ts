import type { ChainableCommander } from 'ioredis';
import type { RedisClient } from './redis-connection.js';

export type PipelineResults = Array<[Error | null, unknown]>;

/**
 * Sends commands for several shards at once. One server (or a Sentinel's master) takes them as a
 * single pipeline, one round trip; a Cluster takes one pipeline per shard, all sent together,
 * because ioredis sends a pipeline to one node and a shard is one slot (its keys share the hash
 * tag `{migration:shard}`, see keys.ts) while two shards may live on different nodes.
 * `build` must queue only keys of the shard it is given. Answers each shard's results, in the
 * order the shards were given and, within a shard, the order `build` queued them. A pipeline that
 * fails whole rejects on one server; on a Cluster each of its commands answers that error instead.
 */
export async function execPerShard(
  redis: RedisClient,
  shards: readonly number[],
  build: (pipeline: ChainableCommander, shard: number) => void,
): Promise<PipelineResults[]> {
  if (redis.isCluster) {
    return Promise.all(shards.map(async (shard): Promise<PipelineResults> => {
      const pipeline = redis.pipeline();
      build(pipeline, shard);
      if (pipeline.length === 0) return [];
      // One node away fails its shards' commands only, each with the error, not the others' too.
      return (await pipeline.exec().catch((err: Error) => Array.from({ length: pipeline.length }, () => [err, undefined] as [Error, undefined]))) ?? [];
    }));
  }
  const pipeline = redis.pipeline();
  const ends: number[] = [];
  for (const shard of shards) {
    build(pipeline, shard);
    ends.push(pipeline.length);
  }
  const results = pipeline.length > 0 ? ((await pipeline.exec()) ?? []) : [];
  return ends.map((end, i) => results.slice(i === 0 ? 0 : ends[i - 1], end));
}
