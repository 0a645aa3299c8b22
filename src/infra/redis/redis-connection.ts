import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import { parseRedisUrl } from './redis-url.js';
import { defineScripts } from './scripts.js';

/** One server, a Sentinel-watched master, or a Cluster: the commands Cutover sends are the same. */
export type RedisClient = Redis | Cluster;

export interface RedisConnectionOptions {
  /** redis://, rediss://, redis+sentinel://, redis+cluster:// (see redis-url.ts). */
  url: string;
  commandTimeoutMs: number;
  logger: Logger;
  /** A subscriber connection must queue its SUBSCRIBE until connected. */
  role: 'commands' | 'subscriber';
}

const retryStrategy = (times: number): number => Math.min(50 * 2 ** Math.min(times, 6), 2_000);
/**
 * Through Sentinel every reconnect first asks a Sentinel which node is master: retry often, so that
 * sends resume within a fraction of a second of the promotion rather than after a 2 s backoff.
 */
const masterRetryStrategy = (times: number): number => Math.min(50 * 2 ** Math.min(times, 6), 250);

/**
 * A connection that fails fast while Redis is away (no offline queue: a send gets a 503 at once
 * instead of hanging) and reconnects forever with a capped backoff. Through Sentinel it follows
 * the master the Sentinels name after a failover; on a Cluster it follows the slot map.
 */
export function connectRedis({ url, commandTimeoutMs, logger, role }: RedisConnectionOptions): RedisClient {
  const options: RedisOptions = {
    lazyConnect: false,
    enableOfflineQueue: role === 'subscriber',
    maxRetriesPerRequest: role === 'subscriber' ? null : 1,
    commandTimeout: role === 'subscriber' ? undefined : commandTimeoutMs,
    retryStrategy,
    connectionName: `cutover-${role}`,
    // Concurrent sends' scripts go out in one write per event-loop turn instead of one each.
    enableAutoPipelining: role === 'commands',
  };
  const target = parseRedisUrl(url);
  const auth = { username: target.username, password: target.password, tls: target.tls ? {} : undefined };
  let redis: RedisClient;
  switch (target.mode) {
    case 'standalone':
      redis = new Redis(url, options);
      break;
    case 'sentinel':
      redis = new Redis({
        ...options, ...auth, db: target.db, sentinels: target.nodes, name: target.masterName!, sentinelPassword: target.sentinelPassword,
        retryStrategy: masterRetryStrategy, sentinelRetryStrategy: retryStrategy, enableTLSForSentinelMode: target.tls,
        // A failover with the old master still up (SENTINEL FAILOVER, a partition that heals) leaves
        // this connection on a master that takes writes until Sentinel demotes it, seconds later,
        // and then drops them in its resync: on +switch-master, reconnect to the new one at once.
        failoverDetector: true,
      });
      break;
    case 'cluster': {
      const { enableOfflineQueue, enableAutoPipelining, ...perNode } = options;
      const clusterOptions: ClusterOptions = {
        enableOfflineQueue, enableAutoPipelining, clusterRetryStrategy: retryStrategy,
        // A failover moves slots: follow MOVED and wait out TRYAGAIN / CLUSTERDOWN a little.
        maxRedirections: 16, retryDelayOnFailover: 100, retryDelayOnClusterDown: 100, retryDelayOnTryAgain: 100,
        redisOptions: { ...perNode, ...auth },
      };
      redis = new Cluster(target.nodes, clusterOptions);
      break;
    }
  }
  let down = false;
  redis.on('error', (err: Error) => {
    if (!down) logger.warn({ err: { message: err.message }, role, mode: target.mode }, 'redis connection error; retrying');
    down = true;
  });
  redis.on('ready', () => {
    if (down) logger.info({ role, mode: target.mode }, 'redis connection restored');
    down = false;
  });
  if (role === 'commands') defineScripts(redis);
  return redis;
}

/** Resolves when the connection is ready, or rejects after `timeoutMs`. */
export function whenReady(redis: RedisClient, timeoutMs: number): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      redis.off('ready', onReady);
      reject(new Error(`redis not ready after ${timeoutMs} ms`));
    }, timeoutMs);
    const onReady = (): void => {
      clearTimeout(timer);
      resolve();
    };
    redis.once('ready', onReady);
  });
}
