import murmurhash3 from 'murmurhash3js';

/** The outbox shard of a message: stable per id, so every step of one message hits one shard. */
export function shardOf(messageId: string, shards: number): number {
  return shards === 1 ? 0 : murmurhash3.x86.hash32(messageId, 0) % shards;
}
