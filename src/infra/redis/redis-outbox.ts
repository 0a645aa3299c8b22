import { hash } from 'node:crypto';
import type { ChainableCommander } from 'ioredis';
import type { RedisClient } from './redis-connection.js';
import type { Logger } from 'pino';
import { SIDES, contentKey, otherSide, type Side } from '../../domain/message.js';
import { shardOf } from '../../domain/shard.js';
import type {
  BeginResult, DeadLetter, FencedOp, Outbox, OutboxCounts, OutboxRecord, OwedWrite, Receipt, WriteKind,
} from '../../services/ports/outbox.js';
import type { RedisKeys } from './keys.js';
import { ClaimedWrites } from './claimed-writes.js';
import { ShardBatcher, TurnFlush } from './shard-batcher.js';
import { execPerShard, type PipelineResults } from './shard-pipelines.js';

export interface RedisOutboxOptions {
  redis: RedisClient;
  keys: RedisKeys;
  shards: number;
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

/** A record as the scripts take it: its JSON (the owed sets' member) and its content fingerprint. */
interface Encoded {
  json: string;
  fp: string;
}

interface PendingBegin {
  record: OutboxRecord;
  now: number;
}

interface PendingCommit {
  record: OutboxRecord;
  receipt: Receipt;
}

/** Where a message's intent waits while its primary is unconfirmed (see lua/begin-4.lua). */
interface IntentPlace {
  queue: string;
  member: string;
  /** Scores in an owed set are negated: its positive range is the secondaries'. */
  sign: 1 | -1;
}

/** Settled writes of one owed set, to remove with the next pipeline. */
interface Acks {
  tries: string;
  members: string[];
  /** Those that failed before: their count of tries goes too. */
  retried: string[];
}

/** How often a lease looks in Redis although local writes wait: retries, takeovers, other instances' writes. */
const POLL_EVERY_MS = 100;
const ACK_FLUSH_MS = 50;
/** How soon commits the outbox did not take are sent again. */
const WAITING_COMMITS_RETRY_MS = 250;
/** Writes per lease-renewal script call. */
const RENEW_CHUNK = 250;
/** Writes per legacy-adoption script call. */
const ADOPT_CHUNK = 500;
/**
 * A commit leases its secondaries to this instance while fewer than this many wait per owed set;
 * past that (a slow or down side) they are left due in Redis for whichever instance leases them.
 */
const CLAIM_CAP = 1_000;

/**
 * The outbox on Redis: per shard, a string per message (dedupe + write-ahead record), and per
 * side a sorted set of what is owed to it, the record JSON scored by when it may be taken next
 * (RedisKeys.owed): one member carries a message from its begin (negative score: an intent for
 * recovery) through its commit (the secondary, leased to the committing instance) to the
 * secondary's write, which removes it. A message with no secondary waits in the intents set
 * instead. So a dual-written send costs four commands: SET NX GET and ZADD to begin, SET GET
 * and ZADD to commit, and a share of one ZREM when settled. Begins, and commits, go to Redis as
 * one script call per shard for all the calls gathered while the previous one was out
 * (ShardBatcher). Leases are scores, so every settling step is fenced by comparing the score.
 */
export class RedisOutbox implements Outbox {
  readonly shards: number;
  private readonly leaseMs: number;
  private readonly begins: ShardBatcher<PendingBegin, BeginResult>;
  private readonly commits: ShardBatcher<PendingCommit, void>;
  private readonly encoded = new WeakMap<OutboxRecord, Encoded>();
  private readonly claimed = new ClaimedWrites();
  private readonly lastPoll = new Map<string, number>();
  private readonly lastAdopt = new Map<string, number>();
  private readonly lastRenewal = new Map<string, number>();
  /** Settled writes not yet removed, by shard, then owed set (see `complete`). */
  private readonly pendingAcks = new Map<number, Map<string, Acks>>();
  /** Which shard an owed set belongs to (writes handed back on close are grouped by it). */
  private readonly setShards = new Map<string, number>();
  private ackTimer: NodeJS.Timeout | undefined;
  /** Commits Redis did not take (away, restarted): kept and sent again, never left to a record a crash may have lost. */
  private waiting: PendingCommit[] = [];
  private waitingTimer: NodeJS.Timeout | undefined;
  /** Logged once per outage, not once per retry. */
  private commitsFailing = false;

  constructor(private readonly options: RedisOutboxOptions) {
    this.shards = options.shards;
    this.leaseMs = options.leaseMs ?? 30_000;
    const turn = new TurnFlush();
    // Two batches out keep Redis busy while the next one gathers; with more shards, more are out
    // already, and a second per shard would only make each batch smaller.
    const inFlight = this.shards === 1 ? 2 : 1;
    this.begins = new ShardBatcher(turn, (shard, batch) => this.beginBatch(shard, batch), inFlight);
    this.commits = new ShardBatcher(turn, (shard, batch) => this.commitBatch(shard, batch), inFlight);
    for (let shard = 0; shard < this.shards; shard++) for (const side of SIDES) this.setShards.set(options.keys.owed(shard, side), shard);
  }

  /** Adopts what earlier builds left queued in their streams (see lua/adopt-legacy-4.lua). */
  async init(): Promise<void> {
    let adopted = 0;
    for (let shard = 0; shard < this.shards; shard++) for (const side of SIDES) adopted += await this.adoptLegacy(shard, side);
    if (adopted > 0) this.options.logger.info({ adopted }, 'adopted writes an earlier build had queued in its outbox streams');
  }

  private async adoptLegacy(shard: number, side: Side): Promise<number> {
    const { redis, keys } = this.options;
    let adopted = 0;
    for (;;) {
      const moved = await redis.adoptLegacy(keys.legacyStream(shard, side), keys.legacyRetries(shard, side), keys.owed(shard, side), keys.owedTries(shard, side), Date.now(), ADOPT_CHUNK);
      adopted += moved;
      if (moved < ADOPT_CHUNK) return adopted;
    }
  }

  begin(record: OutboxRecord, now: number): Promise<BeginResult> {
    return this.begins.add(shardOf(record.message.id, this.shards), { record, now });
  }

  /** One script call appends every message of the batch (one shard). */
  private async beginBatch(shard: number, batch: PendingBegin[]): Promise<BeginResult[]> {
    const { redis, keys, inflightGraceMs } = this.options;
    // Packed as lua/begin-4.lua reads it: six '\n'-ended fields per message.
    let packed = '';
    for (const { record, now } of batch) {
      const { json, fp } = this.encode(record);
      packed += `${record.message.id}\n${record.primary}\n${record.secondary ?? '-'}\n${fp}\n${json}\n${now + inflightGraceMs}\n`;
    }
    const out = await redis.beginMessages(
      keys.intents(shard, 'old'), keys.intents(shard, 'new'), keys.owed(shard, 'old'), keys.owed(shard, 'new'), keys.messagePrefix(shard), packed,
    );
    return batch.map(({ record }, i) => beginResult(record.message.id, out[i]));
  }

  commit(record: OutboxRecord, receipt: Receipt): Promise<void> {
    return this.commits.add(shardOf(record.message.id, this.shards), { record, receipt });
  }

  /**
   * One script call confirms every primary of the batch (one shard) and queues their secondaries,
   * leased to this instance, whose worker then writes them from the records it holds.
   */
  private async commitBatch(shard: number, batch: PendingCommit[]): Promise<void[]> {
    const { redis, keys, logger, dedupeWindowMs } = this.options;
    const sets = { old: keys.owed(shard, 'old'), new: keys.owed(shard, 'new') };
    let packed = '';
    for (const pending of batch) packed += this.commitFields(pending);
    const claim = (side: Side): '0' | '1' => (this.claimed.size(sets[side]) < CLAIM_CAP ? '1' : '0');
    const now = Date.now();
    const lease = now + this.leaseMs;
    let out: string[];
    try {
      out = await redis.commitMessages(
        keys.intents(shard, 'old'), keys.intents(shard, 'new'), sets.old, sets.new, keys.messagePrefix(shard),
        dedupeWindowMs, claim('old'), claim('new'), lease, now, packed,
      );
    } catch (err) {
      // A script that failed part-way committed what it reached; sent again, those answer as
      // committed and the rest commit now.
      if (!this.commitsFailing) logger.warn({ err: { message: (err as Error).message }, count: batch.length }, 'outbox commit failed; this instance keeps the commits and sends them again');
      this.commitsFailing = true;
      this.keepWaiting(batch);
      return batch.map(() => undefined);
    }
    if (this.commitsFailing && this.waiting.length === 0) logger.info('outbox takes commits again; every kept commit was sent');
    this.commitsFailing = this.waiting.length > 0;
    const lost: PendingCommit[] = [];
    batch.forEach((pending, i) => {
      const answer = out[i];
      const { record } = pending;
      if (answer === '?') lost.push(pending);
      else if (answer === '1' && record.secondary) {
        this.claimed.add(sets[record.secondary], { side: record.secondary, shard, kind: 'secondary', record, attempt: 0, ref: this.encode(record).json, lease }, now);
      }
    });
    if (lost.length > 0) await this.recommit(shard, lost);
    return batch.map(() => undefined);
  }

  /** Records anew, from the records in hand, commits whose begin Redis lost (lua/recommit-2.lua). */
  private async recommit(shard: number, batch: PendingCommit[]): Promise<void> {
    const { redis, keys, logger, dedupeWindowMs } = this.options;
    let packed = '';
    for (const pending of batch) packed += `${this.commitFields(pending)}${this.encode(pending.record).json}\n`;
    try {
      const out = await redis.recommitMessages(keys.owed(shard, 'old'), keys.owed(shard, 'new'), keys.messagePrefix(shard), dedupeWindowMs, Date.now(), packed);
      logger.warn({ count: batch.length, recommitted: out.filter((n) => n === 1).length, shard }, 'outbox had lost these messages (a Redis crash or flush): recorded them again from this instance');
    } catch (err) {
      logger.warn({ err: { message: (err as Error).message }, count: batch.length }, 'outbox re-commit failed; this instance keeps the commits and sends them again');
      this.keepWaiting(batch);
    }
  }

  /** A commit's six packed fields (lua/commit-4.lua, and the first six of lua/recommit-2.lua): id, sides, fingerprint, and the receipt. */
  private commitFields({ record, receipt }: PendingCommit): string {
    return `${record.message.id}\n${record.primary}\n${record.secondary ?? '-'}\n${this.encode(record).fp}\n${receipt.stateVersion}\n${receipt.acceptedAt}\n`;
  }

  /** The record's JSON and fingerprint, made once per record: every script must see the same member. */
  private encode(record: OutboxRecord): Encoded {
    let encoded = this.encoded.get(record);
    if (!encoded) this.encoded.set(record, (encoded = { json: JSON.stringify(record), fp: fingerprint(record) }));
    return encoded;
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

  /** The intents set of the primary for a message with no secondary, else the secondary's owed set. */
  private intentPlace(record: OutboxRecord, shard: number, member?: string): IntentPlace {
    const { keys } = this.options;
    if (record.secondary) return { queue: keys.owed(shard, record.secondary), member: member ?? this.encode(record).json, sign: -1 };
    return { queue: keys.intents(shard, record.primary), member: record.message.id, sign: 1 };
  }

  async abort(record: OutboxRecord, begunAt: number): Promise<boolean> {
    const { redis, keys, inflightGraceMs } = this.options;
    const id = record.message.id;
    const shard = shardOf(id, this.shards);
    const place = this.intentPlace(record, shard);
    const aborted = (await redis.abortMessage(keys.message(shard, id), place.queue, place.member, place.sign * (begunAt + inflightGraceMs))) === 1;
    if (!aborted) this.options.onFenced?.('abort', 1);
    return aborted;
  }

  async handOver(record: OutboxRecord, begunAt: number, dueAt: number): Promise<boolean> {
    const { redis, keys, inflightGraceMs } = this.options;
    const id = record.message.id;
    const shard = shardOf(id, this.shards);
    const place = this.intentPlace(record, shard);
    const handed = (await redis.handOverIntent(
      place.queue, keys.message(shard, id), place.member, place.sign * (begunAt + inflightGraceMs), place.sign * dueAt, this.pendingRecord(record, 0),
    )) === 1;
    if (!handed) this.options.onFenced?.('hand_over', 1);
    return handed;
  }

  /** A pending dedupe record as lua/begin-4.lua writes it, for scripts that begin a message again after Redis lost it. */
  private pendingRecord(record: OutboxRecord, tries: number): string {
    const { json, fp } = this.encode(record);
    return `p|${fp}|${tries}|${json}`;
  }

  async lease(side: Side, shard: number, max: number, now: number): Promise<OwedWrite[]> {
    const { redis, keys } = this.options;
    const set = keys.owed(shard, side);
    const key = `${side}:${shard}`;
    // Retries and takeovers are rare: look for them a few times a second, not on every lease.
    const poll = now - (this.lastPoll.get(key) ?? 0) >= POLL_EVERY_MS;
    // Before the take, so writes about to be handed out are renewed too.
    const renewing = this.dueForRenewal(set, key, now);
    // Writes our commits leased to us come first; Redis is read when they run out, and with the
    // poll anyway (retries, takeovers, writes queued by other instances or a redrive).
    const writes = this.claimed.take(set, max);
    // Never skipped for a full local batch, or under steady load Redis would never be read.
    if (writes.length > 0 && !poll && renewing.length === 0) return writes;
    if (poll) this.lastPoll.set(key, now);
    const lease = now + this.leaseMs;
    const at = { renew: -1, adopt: -1, read: -1 };
    // The pending acks of every shard ride along: on a Cluster those of other shards in their own pipelines.
    const ackShards = [shard, ...[...this.pendingAcks.keys()].filter((s) => s !== shard)];
    const acked = new Map<number, AckSlots>();
    let results: PipelineResults;
    try {
      const perShard = await execPerShard(redis, ackShards, (pipeline, s) => {
        const start = pipeline.length;
        acked.set(s, this.takeAcks(pipeline, s));
        if (s !== shard) return;
        if (renewing.length > 0) {
          at.renew = pipeline.length - start;
          for (let i = 0; i < renewing.length; i += RENEW_CHUNK) pipeline.renewLeases(set, lease, ...leasePairs(renewing.slice(i, i + RENEW_CHUNK)));
        }
        if (now - (this.lastAdopt.get(key) ?? 0) > this.leaseMs / 4) {
          this.lastAdopt.set(key, now);
          at.adopt = pipeline.length - start;
          pipeline.adoptLegacy(keys.legacyStream(shard, side), keys.legacyRetries(shard, side), set, keys.owedTries(shard, side), now, ADOPT_CHUNK);
        }
        // A full local batch still polls: a dead instance's writes must not wait behind our own.
        const room = writes.length < max ? max - writes.length : poll ? max : 0;
        if (room > 0) {
          at.read = pipeline.length - start;
          pipeline.leaseOwed(set, keys.owedTries(shard, side), now, room, lease);
        }
      });
      ackShards.forEach((s, i) => this.checkAcks(perShard[i]!, acked.get(s)!));
      // Only this shard's failures fail the lease: other shards' acks that failed are redelivered (see checkAcks).
      results = perShard[0]!;
      for (const [err] of results) if (err) throw err;
    } catch (err) {
      // The writes taken from the local queue stay leased to us in Redis: give them back to the queue.
      for (const write of writes) this.claimed.add(set, write, now);
      throw err;
    }
    if (at.renew >= 0) {
      const lost = new Set<string>();
      for (let i = 0; i < renewing.length; i += RENEW_CHUNK) {
        for (const ref of results[at.renew + i / RENEW_CHUNK]![1] as string[]) lost.add(ref);
      }
      if (lost.size > 0) {
        // Taken over while they waited here: the new holder writes them, not us.
        this.claimed.drop(set, lost);
        for (let i = writes.length - 1; i >= 0; i--) if (lost.has(writes[i]!.ref)) writes.splice(i, 1);
      }
      for (const write of renewing) if (!lost.has(write.ref)) write.lease = lease;
      this.claimed.renewed(set, renewing, now);
    }
    if (at.adopt >= 0 && Number(results[at.adopt]![1]) > 0) {
      this.options.logger.info({ side, shard, adopted: Number(results[at.adopt]![1]) }, 'adopted writes an earlier build had queued in its outbox stream');
    }
    if (at.read >= 0) {
      const taken = new Map(writes.map((w) => [w.ref, w]));
      const rows = results[at.read]![1] as string[];
      for (let i = 0; i + 1 < rows.length; i += 2) {
        const member = rows[i]!;
        const mine = taken.get(member);
        // Taken from the local queue just now, its lease past by the caller's clock: held under the new one.
        if (mine) {
          mine.lease = lease;
          continue;
        }
        // One of ours whose lease ran out while it waited here: Redis now holds it under the new lease.
        this.claimed.drop(set, [member]);
        writes.push({ side, shard, kind: 'secondary', record: JSON.parse(member) as OutboxRecord, attempt: Number(rows[i + 1]), ref: member, lease });
      }
    }
    return writes;
  }

  /**
   * Claimed writes waiting here longer than a third of the lease, once per third of the lease per
   * set. A write handed to the worker is not renewed: config keeps a write well under half the
   * lease (outbox.leaseTimeout), and one whose worker failed must be taken over, not kept forever.
   */
  private dueForRenewal(set: string, key: string, now: number): OwedWrite[] {
    const third = this.leaseMs / 3;
    if (now - (this.lastRenewal.get(key) ?? 0) < third) return [];
    this.lastRenewal.set(key, now);
    return this.claimed.olderThan(set, now - third);
  }

  async leaseRecoveries(side: Side, shard: number, max: number, now: number): Promise<OwedWrite[]> {
    const { redis, keys } = this.options;
    const lease = now + this.leaseMs;
    const out = await redis.leaseRecoveries(keys.intents(shard, side), keys.owed(shard, otherSide(side)), now, max, lease, keys.messagePrefix(shard));
    const writes: OwedWrite[] = [];
    for (let i = 0; i + 1 < out.length; i += 2) {
      const pending = parsePending(out[i + 1]);
      if (!pending) continue;
      const { record, tries } = pending;
      writes.push({ side, shard, kind: 'recovery', record, attempt: tries, ref: out[i]!, lease: record.secondary ? -lease : lease });
    }
    return writes;
  }

  /**
   * Removals (ZREM) ride with this instance's next lease or count, in the same pipeline, rather
   * than costing a round trip of their own; a timer sends them if neither comes soon. A crash
   * before they leave redelivers those writes once their lease runs out (at least once, as a
   * crash between a write and its settling always could); the sides take a message id once.
   */
  complete(writes: OwedWrite[]): Promise<void> {
    const { keys } = this.options;
    for (const write of writes) {
      const set = keys.owed(write.shard, write.side);
      let sets = this.pendingAcks.get(write.shard);
      if (!sets) this.pendingAcks.set(write.shard, (sets = new Map()));
      let acks = sets.get(set);
      if (!acks) sets.set(set, (acks = { tries: keys.owedTries(write.shard, write.side), members: [], retried: [] }));
      acks.members.push(write.ref);
      if (write.attempt > 0) acks.retried.push(write.ref);
    }
    if (this.pendingAcks.size > 0 && !this.ackTimer) {
      this.ackTimer = setTimeout(() => void this.flushAcks(), ACK_FLUSH_MS);
      this.ackTimer.unref();
    }
    return Promise.resolve();
  }

  /** Puts `shard`'s pending removals in `pipeline` (which the caller sends); answers where each ZREM sits, for `checkAcks`. */
  private takeAcks(pipeline: ChainableCommander, shard: number): AckSlots {
    const slots: AckSlots = { count: 0, zrems: [] };
    for (const [set, acks] of this.pendingAcks.get(shard) ?? []) {
      slots.zrems.push([slots.count++, acks.members.length]);
      pipeline.zrem(set, ...acks.members);
      if (acks.retried.length > 0) {
        pipeline.hdel(acks.tries, ...acks.retried);
        slots.count++;
      }
    }
    this.pendingAcks.delete(shard);
    if (this.pendingAcks.size === 0) {
      clearTimeout(this.ackTimer);
      this.ackTimer = undefined;
    }
    return slots;
  }

  /**
   * A ZREM that removes fewer members than it names met writes already settled (another instance
   * that had taken them over settled them first) or that Redis lost; the write reached its side
   * either way. So this counts settled writes, not refusals.
   */
  private checkAcks(results: PipelineResults, slots: AckSlots): void {
    let fenced = 0;
    let failed: Error | undefined;
    for (const [index, size] of slots.zrems) {
      const [err, removed] = results[index] ?? [null, size];
      if (err) failed = err;
      else fenced += size - Number(removed);
    }
    if (fenced > 0) this.options.onFenced?.('ack', fenced);
    if (failed) this.ackFailed(failed);
  }

  /** The writes stay owed and are taken over after the lease: delivered again, never lost. */
  private ackFailed(err: Error): void {
    this.options.logger.warn({ err: { message: err.message } }, 'outbox acks failed; those writes will be redelivered');
  }

  private async flushAcks(): Promise<void> {
    if (this.pendingAcks.size === 0) return;
    const shards = [...this.pendingAcks.keys()];
    const acked: AckSlots[] = [];
    try {
      const results = await execPerShard(this.options.redis, shards, (pipeline, shard) => acked.push(this.takeAcks(pipeline, shard)));
      results.forEach((group, i) => this.checkAcks(group, acked[i]!));
    } catch (err) {
      this.ackFailed(err as Error);
    }
  }

  async retry(write: OwedWrite, dueAt: number): Promise<boolean> {
    const { redis, keys } = this.options;
    let done: boolean;
    if (write.kind === 'recovery') {
      const place = this.intentPlace(write.record, write.shard, write.ref);
      done = (await redis.retryIntent(
        keys.message(write.shard, write.record.message.id), place.queue, place.member, place.sign * dueAt, write.lease ?? 0, this.pendingRecord(write.record, write.attempt + 1),
      )) === 1;
    } else {
      done = (await redis.retryWrite(keys.owed(write.shard, write.side), keys.owedTries(write.shard, write.side), write.ref, write.lease ?? 0, dueAt, write.attempt + 1)) === 1;
    }
    if (!done) this.options.onFenced?.('retry', 1);
    return done;
  }

  async deadLetter(write: OwedWrite, reason: string, now: number): Promise<boolean> {
    const { redis, keys, deadLetterMaxLen } = this.options;
    const attempts = write.attempt + 1;
    let done: boolean;
    if (write.kind === 'recovery') {
      const place = this.intentPlace(write.record, write.shard, write.ref);
      const { json, fp } = this.encode(write.record);
      done = (await redis.deadLetterIntent(
        keys.message(write.shard, write.record.message.id), place.queue, keys.deadLetters(write.shard, write.side),
        place.member, deadLetterMaxLen, attempts, reason, now, write.lease ?? 0, json, fp,
      )) === 1;
    } else {
      done = (await redis.deadLetterWrite(
        keys.owed(write.shard, write.side), keys.owedTries(write.shard, write.side), keys.deadLetters(write.shard, write.side),
        write.ref, write.lease ?? 0, deadLetterMaxLen, attempts, reason, now,
      )) !== null;
    }
    if (!done) this.options.onFenced?.('dead_letter', 1);
    return done;
  }

  async counts(): Promise<OutboxCounts> {
    const { redis, keys } = this.options;
    const shards = Array.from({ length: this.shards }, (_, shard) => shard);
    const acked: AckSlots[] = [];
    const results = await execPerShard(redis, shards, (pipeline, shard) => {
      acked.push(this.takeAcks(pipeline, shard));
      for (const side of SIDES) {
        pipeline.zcount(keys.owed(shard, side), 0, '+inf');
        pipeline.hlen(keys.owedTries(shard, side));
        pipeline.xlen(keys.deadLetters(shard, side));
        pipeline.zcard(keys.intents(shard, side));
        pipeline.zcount(keys.owed(shard, side), '-inf', '(0');
      }
    });
    results.forEach((group, shard) => this.checkAcks(group, acked[shard]!));
    const values = results.flatMap((group, shard) => group.slice(acked[shard]!.count)).map(([err, value]) => {
      if (err) throw err;
      return Number(value);
    });
    const counts: OutboxCounts = {
      owed: { old: 0, new: 0 }, retrying: { old: 0, new: 0 }, deadLettered: { old: 0, new: 0 }, unconfirmed: 0, waitingCommits: this.waiting.length,
    };
    let i = 0;
    for (let shard = 0; shard < this.shards; shard++) {
      for (const side of SIDES) {
        counts.owed[side] += values[i++]!;
        counts.retrying[side] += values[i++]!;
        counts.deadLettered[side] += values[i++]!;
        counts.unconfirmed += values[i++]! + values[i++]!;
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
      moved += await redis.redrive(
        keys.deadLetters(shard, side), keys.owed(shard, side), keys.intents(shard, side), keys.owed(shard, otherSide(side)), limit - moved, keys.messagePrefix(shard), Date.now(),
      );
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
   * made due now, so any instance's next lease takes them instead of waiting out the lease.
   */
  private async releaseClaimed(): Promise<void> {
    const { redis, logger } = this.options;
    const left = this.claimed.takeAll();
    if (left.length === 0) return;
    const byShard = new Map<number, Array<[string, OwedWrite[]]>>();
    for (const entry of left) {
      const shard = this.setShards.get(entry[0])!;
      byShard.set(shard, [...(byShard.get(shard) ?? []), entry]);
    }
    const writes = left.reduce((n, [, held]) => n + held.length, 0);
    const now = Date.now();
    try {
      const results = await execPerShard(redis, [...byShard.keys()], (pipeline, shard) => {
        for (const [set, held] of byShard.get(shard)!) {
          for (let i = 0; i < held.length; i += RENEW_CHUNK) pipeline.renewLeases(set, now, ...leasePairs(held.slice(i, i + RENEW_CHUNK)));
        }
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

/** Where `takeAcks` put its commands: how many, and each ZREM's index and member count. */
interface AckSlots {
  count: number;
  zrems: Array<[index: number, size: number]>;
}

/** Member and lease of each write, flat, as lua/renew-leases-1.lua takes them. */
function leasePairs(writes: OwedWrite[]): Array<string | number> {
  return writes.flatMap((write) => [write.ref, write.lease ?? 0]);
}

/** An unconfirmed dedupe record ('p|fp|tries|record JSON', see lua/begin-4.lua), or undefined. */
function parsePending(value: unknown): { record: OutboxRecord; tries: number } | undefined {
  if (typeof value !== 'string' || !value.startsWith('p|')) return undefined;
  const fpEnd = value.indexOf('|', 2);
  const triesEnd = value.indexOf('|', fpEnd + 1);
  return { record: JSON.parse(value.slice(triesEnd + 1)) as OutboxRecord, tries: Number(value.slice(fpEnd + 1, triesEnd)) };
}

/** One answer of lua/begin-4.lua: its first letter says what it is. */
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
