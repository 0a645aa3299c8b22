import type { RedisClient } from './redis-connection.js';
import { addCounts, emptyCounts, GUARD_LATENCY_BOUNDS_MS, SETTLE_SECONDS, type SecondSample, type SideCounts } from '../../domain/guard/window.js';
import { SIDES } from '../../domain/message.js';
import type { TrafficWindows } from '../../services/ports/traffic-windows.js';
import type { RedisKeys } from './keys.js';
import { execPerShard } from './shard-pipelines.js';

const SCALARS = ['requests', 'errors', 'timeouts', 'vendorErrors', 'unavailable', 'rejected'] as const;
const CODES: Record<(typeof SCALARS)[number], string> = { requests: 'r', errors: 'e', timeouts: 't', vendorErrors: 'v', unavailable: 'u', rejected: 'j' };
const BUCKETS = GUARD_LATENCY_BOUNDS_MS.length + 1;
/** Seconds that may still receive a late flush; older ones are read once and cached. */

/**
 * Fleet windows in Redis: one hash per second per shard (`side:field` → count), written with
 * HINCRBY by every instance and kept `retainSeconds`. An instance writes to its own shard, so a
 * big fleet spreads over a Cluster; the guard sums the shards.
 */
export class RedisTrafficWindows implements TrafficWindows {
  private readonly cache = new Map<number, SecondSample>();

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
    private readonly shards: number,
    /** The shard this instance writes to. */
    private readonly writeShard: number,
    private readonly retainSeconds = 900,
  ) {}

  async add(samples: SecondSample[]): Promise<void> {
    // Every key is of the one shard this instance writes: one slot, so one pipeline on a Cluster too.
    const pipeline = this.redis.pipeline();
    for (const sample of samples) {
      const key = this.keys.window(this.writeShard, sample.second);
      for (const side of SIDES) {
        const counts = sample.sides[side];
        if (counts.requests === 0) continue;
        for (const field of SCALARS) if (counts[field] > 0) pipeline.hincrby(key, `${side}:${CODES[field]}`, counts[field]);
        counts.latency.forEach((n, i) => {
          if (n > 0) pipeline.hincrby(key, latencyField(side, i), n);
        });
      }
      pipeline.expire(key, this.retainSeconds);
    }
    const results = (await pipeline.exec()) ?? [];
    for (const [err] of results) if (err) throw err;
  }

  async read(from: number, to: number): Promise<SecondSample[]> {
    const settled = to - SETTLE_SECONDS;
    for (const second of this.cache.keys()) if (second < from) this.cache.delete(second);
    const wanted: number[] = [];
    for (let second = from; second <= to; second++) if (second > settled || !this.cache.has(second)) wanted.push(second);
    const shards = wanted.length > 0 ? Array.from({ length: this.shards }, (_, shard) => shard) : [];
    const results = await execPerShard(this.redis, shards, (pipeline, shard) => {
      for (const second of wanted) pipeline.hgetall(this.keys.window(shard, second));
    });
    wanted.forEach((second, i) => {
      const sample: SecondSample = { second, sides: { old: emptyCounts(), new: emptyCounts() } };
      let any = false;
      for (let shard = 0; shard < this.shards; shard++) {
        const [err, hash] = results[shard]?.[i] ?? [];
        if (err) throw err;
        const fields = hash as Record<string, string> | undefined;
        if (!fields || Object.keys(fields).length === 0) continue;
        any = true;
        for (const side of SIDES) addCounts(sample.sides[side], parseSide(fields, side));
      }
      // A second with no data stays a gap; only seconds that can no longer change are cached.
      if (any) this.cache.set(second, sample);
      else this.cache.delete(second);
    });
    const samples: SecondSample[] = [];
    for (let second = from; second <= to; second++) {
      const sample = this.cache.get(second);
      if (sample) samples.push(sample);
    }
    return samples;
  }
}

function parseSide(fields: Record<string, string>, side: string): SideCounts {
  const counts = emptyCounts();
  for (const field of SCALARS) counts[field] = Number(fields[`${side}:${CODES[field]}`] ?? 0);
  for (let i = 0; i < BUCKETS; i++) counts.latency[i] = Number(fields[latencyField(side, i)] ?? 0);
  return counts;
}

/**
 * A bucket's field is named by its bound (`new:b381`, `new:binf`), not its index: builds with other
 * bounds (`new:l<index>`) never add into the same field during a rolling deploy.
 */
function latencyField(side: string, bucket: number): string {
  return `${side}:b${GUARD_LATENCY_BOUNDS_MS[bucket] ?? 'inf'}`;
}
