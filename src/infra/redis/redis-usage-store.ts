import { SIDES, type Side } from '../../domain/message.js';
import { emptyHour, FAILURE_CLASSES, type HourUsage, type UsageBatch, type UsageStore } from '../../services/ports/usage-store.js';
import { periodsOf } from '../memory/memory-usage-store.js';
import type { RedisKeys } from './keys.js';
import type { RedisClient } from './redis-connection.js';

/**
 * A hash field per summed count: `old:messages`, …, `old:f:timeout`, …, `old:slow`, `old:imp:messages`, ….
 * The peak (`old:peak`) is no sum: lua/online-peak-2.lua keeps it.
 */
function fieldsOf(usage: HourUsage): Array<[string, number]> {
  return [
    ['messages', usage.messages], ['units', usage.units], ['bytes', usage.bytes], ['slow', usage.slow],
    ...FAILURE_CLASSES.map((failure): [string, number] => [`f:${failure}`, usage.failures[failure]]),
    ['imp:messages', usage.imported.messages], ['imp:bytes', usage.imported.bytes], ['imp:units', usage.imported.units],
  ];
}
/** Hours and days outlive their billing month (a month-end report, a credit claim); months a year. */
const HOUR_TTL_S = 40 * 86_400;
const MONTH_TTL_S = 400 * 86_400;
/** A minute's users are needed only until its peak is in the hour's hash: kept a few hours for a late flush. */
const MINUTE_TTL_S = 3 * 3_600;

/**
 * Fleet usage in Redis: a hash per hour (`side:field` → count, HINCRBY by every instance) and a
 * HyperLogLog of users per side and day, and per side and month (PFADD; PFCOUNT errs by about
 * 0.8 %). Users online: a HyperLogLog per side and minute, whose count raises the hour's peak
 * after every add (lua/online-peak-2.lua). Written by each instance's flush every few seconds,
 * never on a send. All under the migration's hash tag: a few commands per flush, far below the outbox's.
 */
export class RedisUsageStore implements UsageStore {
  constructor(private readonly redis: RedisClient, private readonly keys: RedisKeys) {}

  async add(batches: UsageBatch[]): Promise<void> {
    const pipeline = this.redis.pipeline();
    for (const batch of batches) {
      const key = this.keys.usageHour(batch.hour);
      const { day, month } = periodsOf(batch.hour);
      for (const side of SIDES) {
        for (const [field, value] of fieldsOf(batch.sides[side])) if (value > 0) pipeline.hincrby(key, `${side}:${field}`, value);
        const users = batch.users[side];
        if (users.length === 0) continue;
        pipeline.pfadd(this.keys.activeUsers(side, day), ...users);
        pipeline.expire(this.keys.activeUsers(side, day), HOUR_TTL_S);
        pipeline.pfadd(this.keys.activeUsers(side, month), ...users);
        pipeline.expire(this.keys.activeUsers(side, month), MONTH_TTL_S);
      }
      for (const { minute, users } of batch.online) {
        for (const side of SIDES) {
          if (users[side].length > 0) pipeline.onlinePeak(this.keys.usersOnline(side, minute), key, MINUTE_TTL_S, `${side}:peak`, ...users[side]);
        }
      }
      pipeline.expire(key, HOUR_TTL_S);
    }
    const results = (await pipeline.exec()) ?? [];
    for (const [err] of results) if (err) throw err;
  }

  async hours(from: number, to: number): Promise<Map<number, Record<Side, HourUsage>>> {
    const pipeline = this.redis.pipeline();
    for (let hour = from; hour <= to; hour++) pipeline.hgetall(this.keys.usageHour(hour));
    const results = (await pipeline.exec()) ?? [];
    const out = new Map<number, Record<Side, HourUsage>>();
    results.forEach(([err, value], i) => {
      if (err) throw err;
      const fields = value as Record<string, string>;
      if (Object.keys(fields).length === 0) return;
      const usage = { old: emptyHour(), new: emptyHour() };
      const read = (side: Side, field: string): number => Number(fields[`${side}:${field}`] ?? 0);
      for (const side of SIDES) {
        const into = usage[side];
        into.messages = read(side, 'messages');
        into.units = read(side, 'units');
        into.bytes = read(side, 'bytes');
        into.slow = read(side, 'slow');
        for (const failure of FAILURE_CLASSES) into.failures[failure] = read(side, `f:${failure}`);
        into.peakConcurrentUsers = read(side, 'peak');
        into.imported = { messages: read(side, 'imp:messages'), bytes: read(side, 'imp:bytes'), units: read(side, 'imp:units') };
      }
      out.set(from + i, usage);
    });
    return out;
  }

  async activeUsers(side: Side, day: string, month: string): Promise<{ day: number; month: number }> {
    const [d, m] = await Promise.all([this.redis.pfcount(this.keys.activeUsers(side, day)), this.redis.pfcount(this.keys.activeUsers(side, month))]);
    return { day: d, month: m };
  }
}
