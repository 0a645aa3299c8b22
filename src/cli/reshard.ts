import { CliError } from './admin-client.js';
import { createLogger } from '../infra/logger.js';
import { RedisKeys } from '../infra/redis/keys.js';
import { connectRedis, whenReady } from '../infra/redis/redis-connection.js';
import { redactRedisUrl } from '../infra/redis/redis-url.js';
import { ReshardRefused, Resharder, sameOwed, type LayoutCounts, type ReshardReport } from '../infra/redis/resharder.js';
import { ShardRecord } from '../infra/redis/shard-record.js';

export interface ReshardRequest {
  redis: string;
  to: number;
  from?: number;
  migration: string;
  reason: string;
  force?: boolean;
  timeout: number;
  onProgress(line: string): void;
}

export interface ReshardOutcome extends ReshardReport {
  ok: boolean;
  summary: string;
}

/** `cutover reshard`: straight to Redis, like break glass; no gateway may run meanwhile. */
export async function reshard(request: ReshardRequest): Promise<ReshardOutcome> {
  const logger = createLogger('silent');
  const redis = connectRedis({ url: request.redis, commandTimeoutMs: Math.max(request.timeout, 5_000), logger, role: 'commands' });
  try {
    try {
      await whenReady(redis, request.timeout);
    } catch {
      throw new CliError('REDIS_UNREACHABLE', `cannot reach Redis at ${redactRedisUrl(request.redis)}`, 'check the URL and that this machine can reach it');
    }
    const keys = new RedisKeys(request.migration);
    const resharder = new Resharder(redis, keys, new ShardRecord(redis, keys));
    let report: ReshardReport;
    try {
      report = await resharder.run({ to: request.to, from: request.from, by: `${process.env.USER ?? 'cli'}: ${request.reason}`, force: request.force, onProgress: request.onProgress });
    } catch (err) {
      if (err instanceof ReshardRefused) throw new CliError('RESHARD_REFUSED', err.message, 'nothing was moved; see the message for what to do', 1);
      throw err;
    }
    const ok = report.misplaced === 0 && sameOwed(report.before, report.after);
    const owed = (c: LayoutCounts) => `queued ${c.queued.old}/${c.queued.new}, retrying ${c.retrying.old}/${c.retrying.new}, unconfirmed ${c.unconfirmed.old}/${c.unconfirmed.new}, dead letters ${c.deadLettered.old}/${c.deadLettered.new}, dedupe records ${c.records}`;
    const summary = ok
      ? `resharded migration "${request.migration}" from ${report.from} to ${report.to} shards: ${report.moved} items moved, nothing left behind (old/new: ${owed(report.after)}). Start the gateways with redis.shards ${report.to}`
      : `the move did not check out: before ${owed(report.before)}; after ${owed(report.after)}; ${report.misplaced} items in the wrong shard. Redis still says ${report.from} shards, resharding`;
    return { ...report, ok, summary };
  } finally {
    await redis.quit().catch(() => redis.disconnect());
  }
}
