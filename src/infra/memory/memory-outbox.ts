import { SIDES, type Side } from '../../domain/message.js';
import type {
  BeginResult, DeadLetter, Outbox, OutboxCounts, OutboxRecord, OwedWrite, Receipt,
} from '../../services/ports/outbox.js';

interface MessageEntry {
  fingerprint: string;
  /** Set while the primary is unconfirmed. */
  record?: OutboxRecord;
  receipt?: Receipt;
  recoveryDueAt?: number;
  recoveryAttempts: number;
  expiresAt: number;
}

interface Queued {
  ref: string;
  record: OutboxRecord;
  attempt: number;
  dueAt: number;
  /** Set while an outbox worker holds it. */
  leasedUntil?: number;
}

/**
 * The outbox in process memory, with the same semantics as the Redis one: the embedded default
 * (one instance, not durable: a crash loses what it owed). Single shard.
 */
export class MemoryOutbox implements Outbox {
  readonly shards = 1;
  private readonly messages = new Map<string, MessageEntry>();
  private readonly queues: Record<Side, Map<string, Queued>> = { old: new Map(), new: new Map() };
  private readonly dead: Record<Side, DeadLetter[]> = { old: [], new: [] };
  private sequence = 0;
  private lastSweep = 0;

  constructor(
    private readonly options: { dedupeWindowMs: number; inflightGraceMs: number; deadLetterMaxLen: number; leaseMs?: number },
    private readonly clock: () => number = Date.now,
  ) {}

  async begin(record: OutboxRecord, now: number): Promise<BeginResult> {
    this.sweep(now);
    const seen = this.messages.get(record.message.id);
    if (seen && seen.expiresAt > now) {
      if (seen.fingerprint !== record.fingerprint) return { status: 'mismatch' };
      if (seen.record) return { status: 'in_flight' };
      if (seen.receipt) return { status: 'duplicate', receipt: seen.receipt };
    }
    this.messages.set(record.message.id, {
      fingerprint: record.fingerprint,
      record,
      recoveryDueAt: now + this.options.inflightGraceMs,
      recoveryAttempts: 0,
      expiresAt: now + this.options.dedupeWindowMs,
    });
    return { status: 'new' };
  }

  async commit(record: OutboxRecord, receipt: Receipt): Promise<void> {
    const entry = this.messages.get(record.message.id);
    if (!entry?.record) return;
    entry.record = undefined;
    entry.recoveryDueAt = undefined;
    entry.receipt = receipt;
    if (record.secondary) this.enqueue(record.secondary, record, 0, this.clock());
  }

  async abort(record: OutboxRecord): Promise<void> {
    const entry = this.messages.get(record.message.id);
    if (entry?.record) this.messages.delete(record.message.id);
  }

  async lease(side: Side, _shard: number, max: number, now: number): Promise<OwedWrite[]> {
    const leaseMs = this.options.leaseMs ?? 30_000;
    const writes: OwedWrite[] = [];
    for (const item of this.queues[side].values()) {
      if (writes.length >= max) break;
      if (item.dueAt > now || (item.leasedUntil !== undefined && item.leasedUntil > now)) continue;
      item.leasedUntil = now + leaseMs;
      writes.push({ side, shard: 0, kind: 'secondary', record: item.record, attempt: item.attempt, ref: item.ref });
    }
    return writes;
  }

  async leaseRecoveries(side: Side, _shard: number, max: number, now: number): Promise<OwedWrite[]> {
    const writes: OwedWrite[] = [];
    for (const [id, entry] of this.messages) {
      if (writes.length >= max) break;
      if (entry.record?.primary !== side || entry.recoveryDueAt === undefined || entry.recoveryDueAt > now) continue;
      entry.recoveryDueAt = now + (this.options.leaseMs ?? 30_000);
      writes.push({ side, shard: 0, kind: 'recovery', record: entry.record, attempt: entry.recoveryAttempts, ref: id });
    }
    return writes;
  }

  async complete(writes: OwedWrite[]): Promise<void> {
    for (const write of writes) this.queues[write.side].delete(write.ref);
  }

  async retry(write: OwedWrite, dueAt: number): Promise<void> {
    if (write.kind === 'recovery') {
      const entry = this.messages.get(write.ref);
      if (entry?.record) {
        entry.recoveryAttempts++;
        entry.recoveryDueAt = dueAt;
      }
      return;
    }
    const item = this.queues[write.side].get(write.ref);
    if (!item) return;
    item.attempt = write.attempt + 1;
    item.dueAt = dueAt;
    item.leasedUntil = undefined;
  }

  async deadLetter(write: OwedWrite, reason: string, now: number): Promise<void> {
    if (write.kind === 'recovery') this.messages.delete(write.ref);
    else this.queues[write.side].delete(write.ref);
    const letters = this.dead[write.side];
    letters.push({ ref: `${now}-${this.sequence++}`, side: write.side, record: write.record, attempts: write.attempt + 1, reason, at: now });
    if (letters.length > this.options.deadLetterMaxLen) letters.shift();
  }

  async counts(): Promise<OutboxCounts> {
    const now = this.clock();
    const counts: OutboxCounts = { owed: { old: 0, new: 0 }, retrying: { old: 0, new: 0 }, deadLettered: { old: 0, new: 0 }, unconfirmed: 0 };
    for (const side of SIDES) {
      counts.owed[side] = this.queues[side].size;
      for (const item of this.queues[side].values()) if (item.attempt > 0 && item.dueAt > now) counts.retrying[side]++;
      counts.deadLettered[side] = this.dead[side].length;
    }
    for (const entry of this.messages.values()) if (entry.record) counts.unconfirmed++;
    return counts;
  }

  async deadLetters(side: Side, limit: number): Promise<DeadLetter[]> {
    return this.dead[side].slice(-limit).reverse();
  }

  async close(): Promise<void> {}

  private enqueue(side: Side, record: OutboxRecord, attempt: number, now: number): void {
    const ref = `${now}-${this.sequence++}`;
    this.queues[side].set(ref, { ref, record, attempt, dueAt: now });
  }

  /** Forgets ids past the dedupe window, at most once a second. */
  private sweep(now: number): void {
    if (now - this.lastSweep < 1_000) return;
    this.lastSweep = now;
    for (const [id, entry] of this.messages) if (!entry.record && entry.expiresAt <= now) this.messages.delete(id);
  }
}
