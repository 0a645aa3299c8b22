import { loadConfig } from '../config/load-config.js';
import { createLogger } from '../infra/logger.js';
import { RedisKeys } from '../infra/redis/keys.js';
import { connectRedis, whenReady } from '../infra/redis/redis-connection.js';
import { redactRedisUrl } from '../infra/redis/redis-url.js';
import { RedisStateStore } from '../infra/redis/redis-state-store.js';
import { CutoverError } from '../domain/errors.js';
import { RolloutControl, type ChangeOutcome } from '../services/rollout-control.js';
import { CliError } from './admin-client.js';

export interface BreakGlassOptions {
  redisUrl: string;
  migration: string;
  actor: string;
  reason: string;
  timeoutMs: number;
  /** Write a fresh rolled-back record even though no gateway noted that the old one was lost. */
  recreate?: boolean;
}

/** The audit stream's cap; the gateway's composition root (src/main.ts) uses the same. */

/**
 * Rolls back by writing straight to Redis, for when no gateway answers. It is the gateway's own
 * path (RolloutControl → the CAS script that audits and publishes), so running gateways flip
 * through pub/sub, and the audit log names the actor with the role `break-glass`.
 */
export async function breakGlassRollback(options: BreakGlassOptions): Promise<ChangeOutcome> {
  const logger = createLogger('silent');
  const redis = connectRedis({ url: options.redisUrl, commandTimeoutMs: options.timeoutMs, logger, role: 'commands' });
  let lastError: string | undefined;
  redis.on('error', (err: Error) => { lastError = err.message; });
  try {
    try {
      await whenReady(redis, options.timeoutMs);
    } catch {
      throw new CliError(
        'REDIS_UNREACHABLE', `cannot reach Redis at ${redactUrl(options.redisUrl)}${lastError ? ` (${lastError})` : ''}`,
        'check the URL (redis://HOST:6379; rediss:// for TLS; redis://:PASSWORD@HOST:6379 with AUTH) and that this machine can reach it',
      );
    }
    const keys = new RedisKeys(options.migration);
    // Only writes happen here, so nothing subscribes: the commands connection stands in for the subscriber.
    const store = new RedisStateStore({ redis, subscriber: redis, keys, auditMaxLen: loadConfig({ env: {} }).state.auditMaxLen, logger });
    if (!options.recreate && !(await store.read()) && !(await store.lossNoted())) {
      throw new CliError(
        'NO_STATE', `no rollout state for migration "${options.migration}" at ${keys.state}, and no gateway reported losing it`,
        'check --migration (or CUTOVER_MIGRATION): it must name the migration the gateways run. If Redis lost its data while no gateway ran, add --recreate to write a fresh rolled-back state',
      );
    }
    const control = new RolloutControl({ store, logger });
    try {
      // With no record at all (Redis lost its data) this writes a fresh rolled-back one, which the
      // running gateways adopt; its note says so.
      return await control.rollbackAfterLoss({ name: options.actor, role: 'break-glass' }, options.reason, options.migration);
    } catch (err) {
      if (err instanceof CutoverError) throw new CliError(err.code, err.message, 'run the same command again; it is safe to repeat');
      throw err;
    }
  } finally {
    // QUIT only on a live connection: sent to one still retrying it leaves a timer behind that holds the process.
    if (redis.status === 'ready') await redis.quit().catch(() => redis.disconnect());
    else redis.disconnect();
  }
}

/** A Redis URL without its password, for messages. */
export function redactUrl(url: string): string {
  return redactRedisUrl(url);
}
