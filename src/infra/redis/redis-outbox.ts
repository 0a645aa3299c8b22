import { hash } from 'node:crypto';
import type { ChainableCommander } from 'ioredis';
import type { RedisClient } from './redis-connection.js';
import type { Logger } from 'pino';
import { SIDES, contentKey, type Side } from '../../domain/message.js';
import { shardOf } from '../../domain/shard.js';
import type {
  BeginResult, DeadLetter, FencedOp, Outbox, OutboxCounts, OutboxRecord, OwedWrite, Receipt, WriteKind,
} from '../../services/ports/outbox.js';
import { OUTBOX_GROUP, type RedisKeys } from './keys.js';
import { ClaimedWrites } from './claimed-writes.js';
import { ShardBatcher, TurnFlush } from './shard-batcher.js';
import { execPerShard, type PipelineResults } from './shard-pipelines.js';

export interface RedisOutboxOptions {
  redis: RedisClient;
  keys: RedisKeys;
  shards: number;
  /** This instance's consumer name in the group. */
  consumer: string;
  dedupeWindowMs: number;
  inflightGraceMs: number;
  deadLetterMaxLen: number;
  logger: Logger;
  /** A leased write not settled in this long is taken over by another instance (its owner died). */
  leaseMs?: number;
  /** Told when a settling step found its lease taken over (or the write settled): a fence held. */
  onFenced?: (op: FencedOp, count: number) => void;
}

type StreamRows = Array<[id: string, fields: string[]]>;

interface PendingBegin {
  record: OutboxRecord;
  now: number;
}

interface PendingCommit {
  record: OutboxRecord;
  receipt: Receipt;
}

const PROMOTE_EVERY_MS = 100;
const ACK_FLUSH_MS = 50;
/** How soon commits the outbox did not take are sent again. */
const WAITING_COMMITS_RETRY_MS = 250;
/** Entry ids per lease-renewal script call. */
const REFRESH_CHUNK = 500;
/**
 * A commit leases its secondaries to this instance while fewer than this many wait per stream; past
 * that (a slow or down side) they stay queued in Redis for whichever instance leases them.
 */
const CLAIM_CAP = 1_000;

/**
 * The outbox on Redis: per shard, a string per message (dedupe + write-ahead record), a sorted set
 * of unconfirmed primaries, and per side a stream with a consumer group, a retry set and a
 * dead-letter stream. A send costs one round trip (`begin`); begins, and commits, go to Redis as one
 * script call per shard for all the calls gathered while the previous one was out (ShardBatcher).
 * A commit also leases the secondaries it queues to this instance, whose worker writes them from
 * the records in hand. Claimed writes that wait here a long time have their leases renewed
 * (fenced, so a lease another instance took over stays theirs), and consumer groups Redis lost
 * are created again.
 */
export class RedisOutbox implements Outbox {
  readonly shards: number;
  private readonly leaseMs: number;
  private readonly begins: ShardBatcher<PendingBegin, BeginResult>;
  private readonly commits: ShardBatcher<PendingCommit, void>;
  private readonly lastReclaim = new Map<string, number>();
  private readonly claimed = new ClaimedWrites();
  private readonly lastPromote = new Map<string, number>();
  /** Settled writes not yet acked, by shard, then stream (see `complete`). */
  private readonly pendingAcks = new Map<number, Map<string, string[]>>();
  /** Which shard an outbox stream belongs to (writes handed back on close are grouped by it). */
  private readonly streamShards = new Map<string, number>();
  private ackTimer: NodeJS.Timeout | undefined;
  private readonly lastRefresh = new Map<string, number>();
  /** Commits Redis did not take (away, restarted): kept and sent again, never left to a record a crash may have lost. */
  private waiting: PendingCommit[] = [];
  private waitingTimer: NodeJS.Timeout | undefined;
  /** Logged once per outage, not once per retry. */
  private commitsFailing = false;

  constructor(private readonly options: RedisOutboxOptions) {
    this.shards = options.shards;
    this.leaseMs = options.leaseMs ?? 30_000;
    const turn = new TurnFlush();
    this.begins = new ShardBatcher(turn, (shard, batch) => this.beginBatch(shard, batch));
    this.commits = new ShardBatcher(turn, (shard, batch) => this.commitBatch(shard, batch));
    for (let shard = 0; shard < this.shards; shard++) for (const side of SIDES) this.streamShards.set(options.keys.outbox(shard, side), shard);
  }

  /** Creates the consumer groups (idempotent). */
  async init(): Promise<void> {
    const { redis, keys } = this.options;
    for (let shard = 0; shard < this.shards; shard++) {
      for (const side of SIDES) {
        try {
          await redis.xgroup('CREATE', keys.outbox(shard, side), OUTBOX_GROUP, '0', 'MKSTREAM');
        } catch (err) {
          if (!(err instanceof Error) || !err.message.startsWith('BUSYGROUP')) throw err;
        }
      }
    }
  }

  begin(record: OutboxRecord, now: number): Promise<BeginResult> {
    return this.begins.add(shardOf(record.message.id, this.shards), { record, now });
  }

  /** One script call appends every message of the batch (one shard). */
  private async beginBatch(shard: number, batch: PendingBegin[]): Promise<BeginResult[]> {
    const { redis, keys, inflightGraceMs } = this.options;
    // Packed as lua/begin-2.lua reads it: four '\n'-ended fields per message.
    let packed = '';
    for (const { record, now } of batch) {
      packed += `${record.message.id}\n${record.primary}\n${pendingRecord(record, 0)}\n${now + inflightGraceMs}\n`;
    }
    const out = await redis.beginMessages(keys.intents(shard, 'old'), keys.intents(shard, 'new'), keys.messagePrefix(shard), packed);
    return batch.map(({ record }, i) => beginResult(record.message.id, out[i]));
  }

  commit(record: OutboxRecord, receipt: Receipt): Promise<void> {
    return this.commits.add(shardOf(record.message.id, this.shards), { record, receipt });
  }

  /**
   * One script call confirms every primary of the batch (one shard), queues their secondaries and
   * leases them to this instance, whose worker then writes them from the records it holds.
   */
  private async commitBatch(shard: number, batch: PendingCommit[]): Promise<void[]> {
    const { redis, keys, logger, consumer, dedupeWindowMs } = this.options;
    const streams = { old: keys.outbox(shard, 'old'), new: keys.outbox(shard, 'new') };
    let packed = '';
    for (const pending of batch) packed += commitFields(pending);
    const claim = (side: Side): '0' | '1' => (this.claimed.size(streams[side]) < CLAIM_CAP ? '1' : '0');
    let out: string[];
    try {
      out = await redis.commitMessages(
        keys.intents(shard, 'old'), keys.intents(shard, 'new'), streams.old, streams.new, keys.messagePrefix(shard),
        OUTBOX_GROUP, consumer, claim('old'), claim('new'), dedupeWindowMs, packed,
      );
    } catch (err) {
      // A script that failed part-way (NOGROUP after a FLUSHALL) committed what it reached; sent
      // again, those answer as committed and the rest commit now.
      if (isNoGroup(err)) await this.init().catch(() => undefined);
      if (!this.commitsFailing) logger.warn({ err: { message: (err as Error).message }, count: batch.length }, 'outbox commit failed; this instance keeps the commits and sends them again');
      this.commitsFailing = true;
      this.keepWaiting(batch);
      return batch.map(() => undefined);
    }
    if (this.commitsFailing && this.waiting.length === 0) logger.info('outbox takes commits again; every kept commit was sent');
    this.commitsFailing = this.waiting.length > 0;
    const now = Date.now();
    const lost: PendingCommit[] = [];
    batch.forEach((pending, i) => {
      const ref = out[i];
      if (ref === '?') lost.push(pending);
      else if (ref && pending.record.secondary) this.claimed.add(streams[pending.record.secondary], { side: pending.record.secondary, shard, kind: 'secondary', record: pending.record, attempt: 0, ref }, now);
    });
    for (let i = batch.length; i + 3 < out.length; i += 4) {
      const side = out[i] as Side;
      const write = owedFromEntry(side, shard, out[i + 1]!, out[i + 2], Number(out[i + 3]));
      if (write) this.claimed.add(streams[side], write, now);
    }
    if (lost.length > 0) await this.recommit(shard, lost);
    return batch.map(() => undefined);
  }

  /** Records anew, from the records in hand, commits whose begin Redis lost (lua/recommit-2.lua). */
  private async recommit(shard: number, batch: PendingCommit[]): Promise<void> {
    const { redis, keys, logger, dedupeWindowMs } = this.options;
    let packed = '';
    for (const pending of batch) packed += `${commitFields(pending)}${fingerprint(pending.record)}\n${JSON.stringify(pending.record)}\n`;
    try {
      const out = await redis.recommitMessages(keys.outbox(shard, 'old'), keys.outbox(shard, 'new'), keys.messagePrefix(shard), dedupeWindowMs, packed);
      logger.warn({ count: batch.length, recommitted: out.filter((n) => n === 1).length, shard }, 'outbox had lost these messages (a Redis crash or flush): recorded them again from this instance');
    } catch (err) {
      logger.warn({ err: { message: (err as Error).message }, count: batch.length }, 'outbox re-commit failed; this instance keeps the commits and sends them again');
      this.keepWaiting(batch);
    }
  }

  private keepWaiting(batch: PendingCommit[]): void {
    this.waiting.push(...batch);
    if (this.waitingTimer) return;
    this.waitingTimer = setTimeout(() => {
      this.waitingTimer = undefined;
      void this.sendWaiting();
    }, WAITING_COMMITS_RETRY_MS);
    this.waitingTimer.unref();
  }

  /** Sends the kept commits through the batcher again; what fails again is kept again. */
  private sendWaiting(): Promise<unknown> {
    const again = this.waiting;
    this.waiting = [];
    return Promise.all(again.map((pending) => this.commits.add(shardOf(pending.record.message.id, this.shards), pending)));
  }

  async abort(record: OutboxRecord, begunAt: number): Promise<boolean> {
    const { redis, keys, inflightGraceMs } = this.options;
    const id = record.message.id;
    const shard = shardOf(id, this.shards);
    const aborted = (await redis.abortMessage(keys.message(shard, id), keys.intents(shard, record.primary), id, begunAt + inflightGraceMs)) === 1;
    if (!aborted) this.options.onFenced?.('abort', 1);
    return aborted;
  }

  async handOver(record: OutboxRecord, begunAt: number, dueAt: number): Promise<boolean> {
    const { redis, keys, inflightGraceMs } = this.options;
    const id = record.message.id;
    const shard = shardOf(id, this.shards);
    const handed = (await redis.handOverIntent(
      keys.intents(shard, record.primary), keys.message(shard, id), id, begunAt + inflightGraceMs, dueAt, pendingRecord(record, 0),
    )) === 1;
    if (!handed) this.options.onFenced?.('hand_over', 1);
    return handed;
  }

  async lease(side: Side, shard: number, max: number, now: number): Promise<OwedWrite[]> {
    const { redis, keys, consumer } = this.options;
    const stream = keys.outbox(shard, side);
    const key = `${side}:${shard}`;
    // Retries and takeovers are rare: look for them a few times a second, not on every lease.
    const promote = now - (this.lastPromote.get(key) ?? 0) >= PROMOTE_EVERY_MS;
    // Before the take, so writes about to be handed out are renewed too.
    const renewing = this.dueForRenewal(stream, key, now);
    // Writes our commits leased to us come first; Redis is read when they run out, and with the
    // promotion pass anyway (retries, takeovers, writes queued by other instances or a redrive).
    const writes = this.claimed.take(stream, max);
    // Never skipped for a full local batch, or under steady load Redis would never be read.
    if (writes.length > 0 && !promote && renewing.length === 0) return writes;
    const at = { promote: -1, renew: -1, reclaim: -1, read: -1 };
    // The pending acks of every shard ride along: on a Cluster those of other shards in their own pipelines.
    const ackShards = [shard, ...[...this.pendingAcks.keys()].filter((s) => s !== shard)];
    const acked = new Map<number, number[]>();
    let results: PipelineResults;
    try {
      const perShard = await execPerShard(redis, ackShards, (pipeline, s) => {
        const start = pipeline.length;
        acked.set(s, this.takeAcks(pipeline, s));
        if (s !== shard) return;
        if (promote) {
          this.lastPromote.set(key, now);
          at.promote = pipeline.length - start;
          pipeline.promoteRetries(keys.retries(shard, side), stream, now, max);
        }
        if (renewing.length > 0) {
          at.renew = pipeline.length - start;
          for (let i = 0; i < renewing.length; i += REFRESH_CHUNK) pipeline.refreshLeases(stream, OUTBOX_GROUP, consumer, ...renewing.slice(i, i + REFRESH_CHUNK));
        }
        if (now - (this.lastReclaim.get(key) ?? 0) > this.leaseMs / 4) {
          this.lastReclaim.set(key, now);
          at.reclaim = pipeline.length - start;
          pipeline.xautoclaim(stream, OUTBOX_GROUP, consumer, this.leaseMs, '0-0', 'COUNT', max);
        }
        // COUNT 0 would mean no limit: read only if the batch has room.
        if (writes.length < max) {
          at.read = pipeline.length - start;
          pipeline.xreadgroup('GROUP', OUTBOX_GROUP, consumer, 'COUNT', max - writes.length, 'STREAMS', stream, '>');
        }
      });
      ackShards.forEach((s, i) => this.checkAcks(perShard[i]!, acked.get(s)!));
      // Only this shard's failures fail the lease: other shards' acks that failed are redelivered (see checkAcks).
      results = perShard[0]!;
      for (const [err] of results) if (err) throw err;
    } catch (err) {
      // The writes taken from the local queue stay leased to us in Redis: give them back to the queue.
      for (const write of writes) this.claimed.add(stream, write, now);
      if (isNoGroup(err)) await this.init();
      throw err;
    }
    if (at.renew >= 0) {
      const lost = new Set<string>();
      for (let i = 0; i < renewing.length; i += REFRESH_CHUNK) {
        for (const ref of results[at.renew + i / REFRESH_CHUNK]![1] as string[]) lost.add(ref);
      }
      if (lost.size > 0) {
        // Taken over while they waited here: the new holder writes them, not us.
        this.claimed.drop(stream, [...lost]);
        for (let i = writes.length - 1; i >= 0; i--) if (lost.has(writes[i]!.ref)) writes.splice(i, 1);
      }
      this.claimed.renewed(stream, renewing, now);
    }
    const rows: StreamRows = [];
    if (at.reclaim >= 0) {
      // A takeover finds our own claimed writes too once they idle past the lease: they are ours already.
      const reclaimed = (results[at.reclaim]![1] as [string, StreamRows])[1] ?? [];
      const taken = new Set(writes.map((w) => w.ref));
      rows.push(...reclaimed.filter(([ref]) => !this.claimed.has(stream, ref) && !taken.has(ref)));
    }
    if (at.read >= 0) rows.push(...((results[at.read]![1] as Array<[string, StreamRows]> | null)?.[0]?.[1] ?? []));
    for (const [ref, fields] of rows) {
      const write = this.parseEntry(side, shard, ref, fields);
      if (write) writes.push(write);
    }
    return writes;
  }

  /**
   * Claimed writes waiting here longer than a third of the lease, once per third of the lease per
   * stream. A write handed to the worker is not renewed: config keeps a write well under half the
   * lease (outbox.leaseTimeout), and one whose worker failed must be taken over, not kept forever.
   */
  private dueForRenewal(stream: string, key: string, now: number): string[] {
    const third = this.leaseMs / 3;
    if (now - (this.lastRefresh.get(key) ?? 0) < third) return [];
    this.lastRefresh.set(key, now);
    return this.claimed.olderThan(stream, now - third);
  }

  private parseEntry(side: Side, shard: number, ref: string, fields: string[]): OwedWrite | undefined {
    let json: string | undefined;
    let attempt = 0;
    for (let i = 0; i < fields.length; i += 2) {
      if (fields[i] === 'r') json = fields[i + 1];
      else if (fields[i] === 'a') attempt = Number(fields[i + 1]);
    }
    return owedFromEntry(side, shard, ref, json, attempt);
  }

  async leaseRecoveries(side: Side, shard: number, max: number, now: number): Promise<OwedWrite[]> {
    const { redis, keys } = this.options;
    const lease = now + this.leaseMs;
    const out = await redis.leaseIntents(keys.intents(shard, side), now, max, lease, keys.messagePrefix(shard));
    const writes: OwedWrite[] = [];
    for (let i = 0; i + 1 < out.length; i += 2) {
      const pending = parsePending(out[i + 1]);
      if (pending) writes.push({ side, shard, kind: 'recovery', record: pending.record, attempt: pending.tries, ref: out[i]!, lease });
    }
    return writes;
  }

  /**
   * Acks (XACK + XDEL) ride with this instance's next lease or count, in the same pipeline, rather
   * than costing a round trip of their own; a timer sends them if neither comes soon. A crash
   * before they leave redelivers those writes (at least once, as a crash between a write and its
   * ack always could); the sides take a message id once.
   */
  complete(writes: OwedWrite[]): Promise<void> {
    const { keys } = this.options;
    for (const write of writes) {
      const stream = keys.outbox(write.shard, write.side);
      let streams = this.pendingAcks.get(write.shard);
      if (!streams) this.pendingAcks.set(write.shard, (streams = new Map()));
      let refs = streams.get(stream);
      if (!refs) streams.set(stream, (refs = []));
      refs.push(write.ref);
    }
    if (this.pendingAcks.size > 0 && !this.ackTimer) {
      this.ackTimer = setTimeout(() => void this.flushAcks(), ACK_FLUSH_MS);
      this.ackTimer.unref();
    }
    return Promise.resolve();
  }

  /**
   * Puts `shard`'s pending acks in `pipeline` (which the caller sends), two commands per stream;
   * answers how many entries each XACK names, for `checkAcks`.
   */
  private takeAcks(pipeline: ChainableCommander, shard: number): number[] {
    const sizes: number[] = [];
    for (const [stream, refs] of this.pendingAcks.get(shard) ?? []) {
      pipeline.xack(stream, OUTBOX_GROUP, ...refs);
      pipeline.xdel(stream, ...refs);
      sizes.push(refs.length);
    }
    this.pendingAcks.delete(shard);
    if (this.pendingAcks.size === 0) {
      clearTimeout(this.ackTimer);
      this.ackTimer = undefined;
    }
    return sizes;
  }

  /**
   * An XACK that acks fewer entries than it names met writes already acked (another instance that
   * had taken them over settled them first) or that Redis lost; the write reached its side either
   * way. XACK does not check who holds an entry, so this counts settled writes, not refusals.
   */
  private checkAcks(results: PipelineResults, sizes: number[]): void {
    let fenced = 0;
    let failed: Error | undefined;
    for (const [i, size] of sizes.entries()) {
      const [err, acked] = results[i * 2] ?? [null, size];
      if (err) failed = err;
      else fenced += size - Number(acked);
    }
    if (fenced > 0) this.options.onFenced?.('ack', fenced);
    if (failed) this.ackFailed(failed);
  }

  /** The writes stay pending and are taken over after the lease: delivered again, never lost. */
  private ackFailed(err: Error): void {
    this.options.logger.warn({ err: { message: err.message } }, 'outbox acks failed; those writes will be redelivered');
  }

  private async flushAcks(): Promise<void> {
    if (this.pendingAcks.size === 0) return;
    const shards = [...this.pendingAcks.keys()];
    const acked: number[][] = [];
    try {
      const results = await execPerShard(this.options.redis, shards, (pipeline, shard) => acked.push(this.takeAcks(pipeline, shard)));
      results.forEach((group, i) => this.checkAcks(group, acked[i]!));
    } catch (err) {
      this.ackFailed(err as Error);
    }
  }

  async retry(write: OwedWrite, dueAt: number): Promise<boolean> {
    const { redis, keys, consumer } = this.options;
    let done: boolean;
    if (write.kind === 'recovery') {
      done = (await redis.retryIntent(
        keys.message(write.shard, write.ref), keys.intents(write.shard, write.side), write.ref, dueAt, write.lease ?? -1, pendingRecord(write.record, write.attempt + 1),
      )) === 1;
    } else {
      const stream = keys.outbox(write.shard, write.side);
      done = (await redis.retryWrite(stream, keys.retries(write.shard, write.side), OUTBOX_GROUP, write.ref, dueAt, `${write.attempt + 1}|${JSON.stringify(write.record)}`, consumer)) === 1;
    }
    if (!done) this.options.onFenced?.('retry', 1);
    return done;
  }

  async deadLetter(write: OwedWrite, reason: string, now: number): Promise<boolean> {
    const { redis, keys, deadLetterMaxLen, consumer } = this.options;
    const attempts = write.attempt + 1;
    let done: boolean;
    if (write.kind === 'recovery') {
      done = (await redis.deadLetterIntent(
        keys.message(write.shard, write.ref), keys.intents(write.shard, write.side), keys.deadLetters(write.shard, write.side),
        write.ref, deadLetterMaxLen, attempts, reason, now, write.lease ?? -1, JSON.stringify(write.record), fingerprint(write.record),
      )) === 1;
    } else {
      const stream = keys.outbox(write.shard, write.side);
      done = (await redis.deadLetterWrite(
        stream, keys.deadLetters(write.shard, write.side), OUTBOX_GROUP, write.ref, deadLetterMaxLen, JSON.stringify(write.record), attempts, reason, now, consumer,
      )) !== null;
    }
    if (!done) this.options.onFenced?.('dead_letter', 1);
    return done;
  }

  async counts(): Promise<OutboxCounts> {
    const { redis, keys } = this.options;
    const shards = Array.from({ length: this.shards }, (_, shard) => shard);
    const acked: number[][] = [];
    const results = await execPerShard(redis, shards, (pipeline, shard) => {
      acked.push(this.takeAcks(pipeline, shard));
      for (const side of SIDES) {
        pipeline.xlen(keys.outbox(shard, side));
        pipeline.zcard(keys.retries(shard, side));
        pipeline.xlen(keys.deadLetters(shard, side));
        pipeline.zcard(keys.intents(shard, side));
      }
    });
    results.forEach((group, shard) => this.checkAcks(group, acked[shard]!));
    const values = results.flatMap((group, shard) => group.slice(acked[shard]!.length * 2)).map(([err, value]) => {
      if (err) throw err;
      return Number(value);
    });
    const counts: OutboxCounts = {
      owed: { old: 0, new: 0 }, retrying: { old: 0, new: 0 }, deadLettered: { old: 0, new: 0 }, unconfirmed: 0, waitingCommits: this.waiting.length,
    };
    let i = 0;
    for (let shard = 0; shard < this.shards; shard++) {
      for (const side of SIDES) {
        const queued = values[i++]!;
        const retrying = values[i++]!;
        counts.owed[side] += queued + retrying;
        counts.retrying[side] += retrying;
        counts.deadLettered[side] += values[i++]!;
        counts.unconfirmed += values[i++]!;
      }
    }
    return counts;
  }

  async deadLetters(side: Side, limit: number): Promise<DeadLetter[]> {
    const { redis, keys } = this.options;
    const letters: DeadLetter[] = [];
    for (let shard = 0; shard < this.shards; shard++) {
      const rows = (await redis.xrevrange(keys.deadLetters(shard, side), '+', '-', 'COUNT', limit)) as StreamRows;
      for (const [ref, fields] of rows) {
        const get = (name: string): string => {
          const at = fields.indexOf(name);
          return at >= 0 ? fields[at + 1] ?? '' : '';
        };
        const kind: WriteKind = get('k') === 'recovery' ? 'recovery' : 'secondary';
        letters.push({ ref, side, kind, record: JSON.parse(get('r')) as OutboxRecord, attempts: Number(get('a')), reason: get('why'), at: Number(get('at')) });
      }
    }
    return letters.sort((a, b) => b.at - a.at).slice(0, limit);
  }

  async redrive(side: Side, limit: number): Promise<number> {
    const { redis, keys } = this.options;
    let moved = 0;
    for (let shard = 0; shard < this.shards && moved < limit; shard++) {
      moved += await redis.redrive(keys.deadLetters(shard, side), keys.outbox(shard, side), keys.intents(shard, side), limit - moved, keys.messagePrefix(shard), Date.now());
    }
    return moved;
  }

  async quiesce(): Promise<void> {
    await Promise.all([this.begins.idle(), this.commits.idle()]);
  }

  async close(): Promise<void> {
    await this.quiesce();
    clearTimeout(this.waitingTimer);
    this.waitingTimer = undefined;
    if (this.waiting.length > 0) {
      // One last try; what Redis still does not take is recovered after the grace if its begin survived.
      await this.sendWaiting();
      await this.commits.idle();
      clearTimeout(this.waitingTimer);
      if (this.waiting.length > 0) this.options.logger.error({ commits: this.waiting.length }, 'closing with commits Redis did not take; recovery finishes those whose begin Redis kept');
    }
    await this.releaseClaimed();
    await this.flushAcks();
  }

  /**
   * Writes our commits leased to us that the workers did not get to (a side down at shutdown) are
   * marked idle for the whole lease, so the next takeover pass of any instance (every quarter
   * lease) takes them, instead of waiting out the lease first.
   */
  private async releaseClaimed(): Promise<void> {
    const { redis, consumer, logger } = this.options;
    const left = this.claimed.takeAll();
    if (left.length === 0) return;
    const byShard = new Map<number, Array<[string, string[]]>>();
    for (const entry of left) {
      const shard = this.streamShards.get(entry[0])!;
      byShard.set(shard, [...(byShard.get(shard) ?? []), entry]);
    }
    const writes = left.reduce((n, [, refs]) => n + refs.length, 0);
    try {
      const results = await execPerShard(redis, [...byShard.keys()], (pipeline, shard) => {
        for (const [stream, refs] of byShard.get(shard)!) pipeline.xclaim(stream, OUTBOX_GROUP, consumer, 0, ...refs, 'IDLE', this.leaseMs, 'JUSTID');
      });
      const failed = results.flat().find(([err]) => err)?.[0];
      if (failed) throw failed;
      logger.info({ writes }, 'leased writes not written before shutdown handed back to the other instances');
    } catch (err) {
      // Still not lost: they are taken over once the lease runs out.
      logger.warn({ err: { message: (err as Error).message }, writes }, 'could not hand back leased writes; other instances take them after the lease');
    }
  }
}

/** A commit's five packed fields (lua/commit-4.lua, and the first five of lua/recommit-2.lua): id, sides, and the receipt. */
function commitFields({ record, receipt }: PendingCommit): string {
  return `${record.message.id}\n${record.primary}\n${record.secondary ?? '-'}\n${receipt.stateVersion}\n${receipt.acceptedAt}\n`;
}

/** A pending dedupe record as lua/begin-2.lua writes it, for scripts that begin a message again after Redis lost it. */
function pendingRecord(record: OutboxRecord, tries: number): string {
  return `p|${fingerprint(record)}|${tries}|${JSON.stringify(record)}`;
}

function isNoGroup(err: unknown): boolean {
  return err instanceof Error && err.message.includes('NOGROUP');
}

/** An unconfirmed dedupe record ('p|fp|tries|record JSON', see lua/begin-2.lua), or undefined. */
function parsePending(value: unknown): { record: OutboxRecord; tries: number } | undefined {
  if (typeof value !== 'string' || !value.startsWith('p|')) return undefined;
  const fpEnd = value.indexOf('|', 2);
  const triesEnd = value.indexOf('|', fpEnd + 1);
  return { record: JSON.parse(value.slice(triesEnd + 1)) as OutboxRecord, tries: Number(value.slice(fpEnd + 1, triesEnd)) };
}

function owedFromEntry(side: Side, shard: number, ref: string, json: string | undefined, attempt: number): OwedWrite | undefined {
  if (!json) return undefined;
  return { side, shard, kind: 'secondary', record: JSON.parse(json) as OutboxRecord, attempt, ref };
}

/** One answer of lua/begin-2.lua: its first letter says what it is. */
function beginResult(id: string, answer: string | undefined): BeginResult {
  switch (answer?.[0]) {
    case 'n':
      return { status: 'new' };
    case 'd':
      return { status: 'duplicate', receipt: receiptFrom(id, answer.slice(1)) };
    case 'i':
      return { status: 'in_flight' };
    case 'm':
      return { status: 'mismatch' };
    default:
      throw new Error(`begin script answered ${String(answer)}`);
  }
}

/** A receipt from a committed record's fields 'primary|secondary|version|acceptedAt' (lua/commit-4.lua). */
function receiptFrom(id: string, fields: string): Receipt {
  // Records committed by earlier builds keep the receipt as JSON until the dedupe window ends.
  if (fields.startsWith('{')) return JSON.parse(fields) as Receipt;
  const [primary, secondary, version, acceptedAt] = fields.split('|');
  return { id, primary: primary as Side, secondary: secondary === '-' ? null : (secondary as Side), stateVersion: Number(version), acceptedAt: Number(acceptedAt) };
}

/**
 * What the dedupe record keeps of the content once the message itself is gone: a hash, compared
 * in the begin script. A gateway-generated id can't be reused by anyone, so it skips the hash.
 */
function fingerprint(record: OutboxRecord): string {
  return record.idFromCaller ? hash('sha1', contentKey(record.message)) : '-';
}
