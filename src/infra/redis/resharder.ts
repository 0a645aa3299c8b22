import { Cluster } from 'ioredis';
import { SIDES, type Side } from '../../domain/message.js';
import { shardOf } from '../../domain/shard.js';
import type { RedisKeys } from './keys.js';
import type { RedisClient } from './redis-connection.js';
import { INSTANCE_MARK_MS, type ShardRecord } from './shard-record.js';

/** What the outbox holds, summed over a range of shards: the reshard must end with the same. */
export interface LayoutCounts {
  /** Writes owed to each side and never tried (in its owed set, or a legacy stream), not counting retries. */
  queued: Record<Side, number>;
  retrying: Record<Side, number>;
  unconfirmed: Record<Side, number>;
  deadLettered: Record<Side, number>;
  /** Dedupe records (committed and pending): the idempotency of every id seen within the window. */
  records: number;
}

export interface ReshardReport {
  from: number;
  to: number;
  moved: number;
  before: LayoutCounts;
  after: LayoutCounts;
  /** Items found in a shard other than the one their id maps to now, after the move: must be 0. */
  misplaced: number;
}

export class ReshardRefused extends Error {}

const BATCH = 500;

/**
 * Moves a migration's outbox from one shard count to another, in place: every owed write (owed
 * member and its tries, unconfirmed primary, dead letter, and what a legacy stream or retry set
 * still holds) and every dedupe record goes to the shard its id
 * maps to under the new count. Only while no gateway runs (they mark themselves in Redis), with the
 * layout record saying "resharding" so none starts meanwhile. Every step is a copy then a delete,
 * so a run that dies is run again and finishes; the one thing it can leave twice is a stream entry
 * (copied, not yet deleted), which the side takes once by id.
 */
export class Resharder {
  constructor(private readonly redis: RedisClient, private readonly keys: RedisKeys, private readonly record: ShardRecord) {}

  async run(options: { to: number; from?: number; by: string; force?: boolean; onProgress?: (what: string) => void }): Promise<ReshardReport> {
    const layout = await this.record.read();
    const from = layout?.resharding?.from ?? layout?.shards ?? options.from;
    if (from === undefined) {
      throw new ReshardRefused(`Redis holds no shard count for migration "${this.keys.migration}" (no gateway of this version ran on it): say the count the gateways ran with, --from N`);
    }
    const { to } = options;
    // The layout says "resharding" before the marks are read; a gateway marks itself before it reads
    // the layout: whichever comes second sees the other.
    await this.record.write({ shards: from, resharding: { from, to, by: options.by, at: new Date().toISOString() } });
    const running = await this.record.running(Date.now());
    if (running.length > 0 && !options.force) {
      await (layout ? this.record.write(layout) : this.record.clear());
      throw new ReshardRefused(
        `${running.length} gateway${running.length === 1 ? ' is' : 's are'} running on migration "${this.keys.migration}" (${running.slice(0, 5).join(', ')}): stop every gateway first, ` +
          `then run this again (marks expire ${INSTANCE_MARK_MS / 1000} s after a gateway stops)`,
      );
    }
    const span = Math.max(from, to);
    const before = await this.counts(span);
    let moved = 0;
    for (let shard = 0; shard < span; shard++) {
      for (const side of SIDES) {
        // Tries first: a member moved without its count would start its tries again.
        moved += await this.moveTries(shard, side, to);
        moved += await this.moveSet(this.keys.owed(shard, side), shard, to, idOfRecord, (target) => this.keys.owed(target, side));
        moved += await this.moveSet(this.keys.intents(shard, side), shard, to, (member) => member, (target) => this.keys.intents(target, side));
        moved += await this.moveStream(this.keys.deadLetters(shard, side), shard, to, (target) => this.keys.deadLetters(target, side));
        moved += await this.moveStream(this.keys.legacyStream(shard, side), shard, to, (target) => this.keys.legacyStream(target, side));
        moved += await this.moveSet(this.keys.legacyRetries(shard, side), shard, to, idOfRetry, (target) => this.keys.legacyRetries(target, side));
      }
      moved += await this.moveRecords(shard, to);
      options.onProgress?.(`shard ${shard + 1} of ${span}: ${moved} items moved so far`);
    }
    for (let shard = to; shard < span; shard++) {
      for (const side of SIDES) await this.redis.del(this.keys.legacyStream(shard, side), this.keys.deadLetters(shard, side));
    }
    const after = await this.counts(span);
    const misplaced = await this.misplaced(span, to);
    if (misplaced === 0 && sameOwed(before, after)) await this.record.write({ shards: to });
    return { from, to, moved, before, after, misplaced };
  }

  /** What the outbox holds in shards 0..shards-1. */
  async counts(shards: number): Promise<LayoutCounts> {
    const zero = (): Record<Side, number> => ({ old: 0, new: 0 });
    const counts: LayoutCounts = { queued: zero(), retrying: zero(), unconfirmed: zero(), deadLettered: zero(), records: 0 };
    for (let shard = 0; shard < shards; shard++) {
      for (const side of SIDES) {
        const retried = await this.redis.hlen(this.keys.owedTries(shard, side));
        counts.queued[side] += (await this.redis.zcount(this.keys.owed(shard, side), 0, '+inf')) - retried + (await this.redis.xlen(this.keys.legacyStream(shard, side)));
        counts.retrying[side] += retried + (await this.redis.zcard(this.keys.legacyRetries(shard, side)));
        counts.unconfirmed[side] += (await this.redis.zcard(this.keys.intents(shard, side))) + (await this.redis.zcount(this.keys.owed(shard, side), '-inf', '(0'));
        counts.deadLettered[side] += await this.redis.xlen(this.keys.deadLetters(shard, side));
      }
      for await (const keys of this.scan(`${this.keys.messagePrefix(shard)}*`)) counts.records += keys.length;
    }
    return counts;
  }

  private async moveStream(stream: string, shard: number, to: number, target: (shard: number) => string): Promise<number> {
    let moved = 0;
    let start = '-';
    for (;;) {
      const rows = (await this.redis.xrange(stream, start, '+', 'COUNT', BATCH)) as Array<[string, string[]]>;
      for (const [entryId, fields] of rows) {
        const destination = shardOf(idOfFields(fields), to);
        if (destination === shard) continue;
        await this.redis.xadd(target(destination), '*', ...fields);
        await this.redis.xdel(stream, entryId);
        moved++;
      }
      if (rows.length < BATCH) return moved;
      start = `(${rows[rows.length - 1]![0]}`;
    }
  }

  private async moveSet(set: string, shard: number, to: number, idOf: (member: string) => string, target: (shard: number) => string): Promise<number> {
    let moved = 0;
    let cursor = '0';
    do {
      const [next, flat] = await this.redis.zscan(set, cursor, 'COUNT', BATCH);
      cursor = next;
      for (let i = 0; i < flat.length; i += 2) {
        const member = flat[i]!;
        const destination = shardOf(idOf(member), to);
        if (destination === shard) continue;
        await this.redis.zadd(target(destination), flat[i + 1]!, member);
        await this.redis.zrem(set, member);
        moved++;
      }
    } while (cursor !== '0');
    return moved;
  }

  /** A write's count of tries goes to the shard its member goes to. */
  private async moveTries(shard: number, side: Side, to: number): Promise<number> {
    const tries = this.keys.owedTries(shard, side);
    let moved = 0;
    let cursor = '0';
    do {
      const [next, flat] = await this.redis.hscan(tries, cursor, 'COUNT', BATCH);
      cursor = next;
      for (let i = 0; i < flat.length; i += 2) {
        const member = flat[i]!;
        const destination = shardOf(idOfRecord(member), to);
        if (destination === shard) continue;
        await this.redis.hset(this.keys.owedTries(destination, side), member, flat[i + 1]!);
        await this.redis.hdel(tries, member);
        moved++;
      }
    } while (cursor !== '0');
    return moved;
  }

  /** Dedupe records keep their remaining time to live (none while pending). */
  private async moveRecords(shard: number, to: number): Promise<number> {
    const prefix = this.keys.messagePrefix(shard);
    let moved = 0;
    for await (const keys of this.scan(`${prefix}*`)) {
      for (const key of keys) {
        const id = key.slice(prefix.length);
        const destination = shardOf(id, to);
        if (destination === shard) continue;
        const [value, ttl] = await Promise.all([this.redis.get(key), this.redis.pttl(key)]);
        if (value === null) continue;
        const copy = this.keys.message(destination, id);
        if (ttl > 0) await this.redis.set(copy, value, 'PX', ttl);
        else await this.redis.set(copy, value);
        await this.redis.del(key);
        moved++;
      }
    }
    return moved;
  }

  /** Items left in a shard their id does not map to under `to`, or in a shard past it. */
  private async misplaced(span: number, to: number): Promise<number> {
    let misplaced = 0;
    for (let shard = 0; shard < span; shard++) {
      for (const side of SIDES) {
        for (const stream of [this.keys.legacyStream(shard, side), this.keys.deadLetters(shard, side)]) {
          const rows = (await this.redis.xrange(stream, '-', '+')) as Array<[string, string[]]>;
          misplaced += rows.filter(([, fields]) => shardOf(idOfFields(fields), to) !== shard).length;
        }
        const sets = [[this.keys.owed(shard, side), idOfRecord], [this.keys.legacyRetries(shard, side), idOfRetry], [this.keys.intents(shard, side), (m: string) => m]] as const;
        for (const [set, idOf] of sets) {
          const members = await this.redis.zrange(set, 0, -1);
          misplaced += members.filter((member) => shardOf(idOf(member), to) !== shard).length;
        }
        const tried = await this.redis.hkeys(this.keys.owedTries(shard, side));
        misplaced += tried.filter((member) => shardOf(idOfRecord(member), to) !== shard).length;
      }
      const prefix = this.keys.messagePrefix(shard);
      for await (const keys of this.scan(`${prefix}*`)) misplaced += keys.filter((key) => shardOf(key.slice(prefix.length), to) !== shard).length;
    }
    return misplaced;
  }

  /** SCAN on every master: a Cluster keeps each shard's keys on the node owning its slot. */
  private async *scan(pattern: string): AsyncGenerator<string[]> {
    const nodes = this.redis instanceof Cluster ? this.redis.nodes('master') : [this.redis];
    for (const node of nodes) {
      let cursor = '0';
      do {
        const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', BATCH);
        cursor = next;
        if (keys.length > 0) yield keys;
      } while (cursor !== '0');
    }
  }
}

/** The message id a record JSON names (an owed member, a tries field). */
function idOfRecord(json: string): string {
  return (JSON.parse(json) as { message?: { id?: string } }).message?.id ?? '';
}

/** The message id of a stream entry or dead letter: its record (field `r`) names it. */
function idOfFields(fields: string[]): string {
  for (let i = 0; i < fields.length; i += 2) if (fields[i] === 'r') return idOfRecord(fields[i + 1] ?? '{}');
  return '';
}

/** A legacy retry member is `attempt|record JSON`. */
function idOfRetry(member: string): string {
  return idOfRecord(member.slice(member.indexOf('|') + 1));
}

/** Every owed write is still there; dedupe records may have expired meanwhile (their window ended), never grown. */
export function sameOwed(a: LayoutCounts, b: LayoutCounts): boolean {
  const owed = ({ records: _, ...rest }: LayoutCounts) => JSON.stringify(rest);
  return owed(a) === owed(b) && b.records <= a.records;
}
