import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import { defineScripts } from './scripts.js';

export interface RedisConnectionOptions {
  url: string;
  commandTimeoutMs: number;
  logger: Logger;
  /** A subscriber connection must queue its SUBSCRIBE until connected. */
  role: 'commands' | 'subscriber';
}

/**
 * A connection that fails fast while Redis is away (no offline queue: a send gets a 503 at once
 * instead of hanging) and reconnects forever with a capped backoff.
 */
export function connectRedis({ url, commandTimeoutMs, logger, role }: RedisConnectionOptions): Redis {
  const options: RedisOptions = {
    lazyConnect: false,
    enableOfflineQueue: role === 'subscriber',
    maxRetriesPerRequest: role === 'subscriber' ? null : 1,
    commandTimeout: role === 'subscriber' ? undefined : commandTimeoutMs,
    retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 6), 2_000),
    connectionName: `cutover-${role}`,
    // Concurrent sends' scripts go out in one write per event-loop turn instead of one each.
    enableAutoPipelining: role === 'commands',
  };
  const redis = new Redis(url, options);
  let down = false;
  redis.on('error', (err: Error) => {
    if (!down) logger.warn({ err: { message: err.message }, role }, 'redis connection error; retrying');
    down = true;
  });
  redis.on('ready', () => {
    if (down) logger.info({ role }, 'redis connection restored');
    down = false;
  });
  if (role === 'commands') defineScripts(redis);
  return redis;
}

/** Resolves when the connection is ready, or rejects after `timeoutMs`. */
export function whenReady(redis: Redis, timeoutMs: number): Promise<void> {
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
