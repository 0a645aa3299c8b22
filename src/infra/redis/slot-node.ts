import { Cluster, Command, type Redis } from 'ioredis';
import type { RedisClient } from './redis-connection.js';

/**
 * The connection serving `key`'s slot as its master (the slot map's first node), for commands
 * that name no key and so would go to a random node of a Cluster (INFO, WAIT). It is the very
 * connection ioredis sends that slot's commands on, which WAIT needs: it counts the replicas that
 * have this connection's own writes. A server or a Sentinel's master is its own node; undefined
 * when the Cluster's slot map names no node for the slot (not connected yet).
 */
export function masterConnectionFor(redis: RedisClient, key: string): Redis | undefined {
  if (!(redis instanceof Cluster)) return redis;
  const master = redis.slots[new Command('exists', [key]).getSlot()]?.[0];
  // All nodes, not nodes('master'): after a failover a MOVED updates the slot map before the roles.
  return redis.nodes('all').find((node) => `${node.options.host}:${node.options.port}` === master);
}
