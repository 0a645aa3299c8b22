import { SIDES, sameContent, type Side } from '../../domain/message.js';
import { FifoQueue } from './fifo-queue.js';
import type {
  BeginResult, DeadLetter, FencedOp, Outbox, OutboxCounts, OutboxRecord, OwedWrite, Receipt,
} from '../../services/ports/outbox.js';

const SWEEP_EVERY_MS = 1_000;
const SWEEP_BUDGET = 20_000;

// The per-send methods answer with settled promises instead of being `async`: each async call
// costs a promise and a microtask, several times per message on the embedded hot path.
const BEGUN: Promise<BeginResult> = Promise.resolve(Object.freeze({ status: 'new' } as const));
const DONE: Promise<void> = Promise.resolve();

/** One remembered id: its record, and once the primary is confirmed, the receipt replayed to retries. */
interface Seen {
  id: string;
  record: OutboxRecord;
  receipt?: Receipt;
  expiresAt: number;
  /** While unconfirmed: when recovery may take it (also the fence of its current holder), and how often it tried. */
  dueAt: number;
  attempts: number;
}

interface Queued {
  key: number;
  record: OutboxRecord;
  attempt: number;
  dueAt: number;
  /** Set while an outbox worker holds it; also that lease's fence token. */
  leasedUntil?: number;
}

export interface MemoryOutboxOptions {
  dedupeWindowMs: number;
  inflightGraceMs: number;
  deadLetterMaxLen: number;
  leaseMs?: number;
  /** Ids remembered at most (the oldest confirmed ones are forgotten first), so memory stays bounded at any rate. */
  maxIds?: number;
  onFenced?: (op: FencedOp, count: number) => void;
}

/**
 * The outbox in process memory, with the same semantics as the Redis one: the embedded default
 * (one instance, not durable: a crash loses what it owed). Single shard. Every periodic pass
 * touches only what it may act on: ids are kept in the order they expire, unconfirmed primaries
 * and queued writes in maps of their own. Queues are keyed by a number (cheaper than a string
 * key on every send); the `ref` handed out is that number as text.
 */
export class MemoryOutbox implements Outbox {
  readonly shards = 1;
  private readonly seen = new Map<string, Seen>();
  /** The entries in the order they were begun, which is expiry order (a fixed window from `begin`). */
  private readonly order = new FifoQueue<Seen>();
  private readonly unconfirmed = new Map<string, Seen>();
  private readonly queues: Record<Side, Map<number, Queued>> = { old: new Map(), new: new Map() };
  private readonly dead: Record<Side, DeadLetter[]> = { old: [], new: [] };
  private sequence = 0;
  private readonly maxIds: number;
  private nextSweep = 0;

  constructor(private readonly options: MemoryOutboxOptions, private readonly clock: () => number = Date.now) {
    this.maxIds = options.maxIds ?? 1_000_000;
  }

  begin(record: OutboxRecord, now: number): Promise<BeginResult> {
    // Sweeping on every send would cost an iterator per message; once a second is plenty for a window of hours.
    if (now >= this.nextSweep || this.seen.size > this.maxIds) {
      this.nextSweep = now + SWEEP_EVERY_MS;
      this.expire(now);
    }
    const id = record.message.id;
    const seen = this.seen.get(id);
    if (seen) {
      // The content is at hand: compare it rather than hash every message on the way in.
      if (!sameContent(seen.record.message, record.message)) return Promise.resolve({ status: 'mismatch' });
      return Promise.resolve(seen.receipt ? { status: 'duplicate', receipt: seen.receipt } : { status: 'in_flight' });
    }
    const entry: Seen = { id, record, expiresAt: now + this.options.dedupeWindowMs, dueAt: now + this.options.inflightGraceMs, attempts: 0 };
    this.seen.set(id, entry);
    this.order.push(entry);
    this.unconfirmed.set(id, entry);
    return BEGUN;
  }

  commit(record: OutboxRecord, receipt: Receipt): Promise<void> {
    const entry = this.unconfirmed.get(record.message.id);
    if (!entry) return DONE;
    this.unconfirmed.delete(record.message.id);
    entry.receipt = receipt;
    // As in Redis, the window starts at the commit (a message may have been owed a long time).
    entry.expiresAt = this.clock() + this.options.dedupeWindowMs;
    if (record.secondary) {
      const key = this.sequence++;
      this.queues[record.secondary].set(key, { key, record, attempt: 0, dueAt: 0 });
    }
    return DONE;
  }

  async abort(record: OutboxRecord, begunAt: number): Promise<boolean> {
    const id = record.message.id;
    const entry = this.asBegun(id, begunAt, 'abort');
    if (!entry) return false;
    this.unconfirmed.delete(id);
    this.seen.delete(id);
    return true;
  }

  async handOver(record: OutboxRecord, begunAt: number, dueAt: number): Promise<boolean> {
    const entry = this.asBegun(record.message.id, begunAt, 'hand_over');
    if (!entry) return false;
    entry.dueAt = dueAt;
    return true;
  }

  /** The unconfirmed entry as its begin left it, or undefined (and a fence counted) once recovery holds it. */
  private asBegun(id: string, begunAt: number, op: FencedOp): Seen | undefined {
    const entry = this.unconfirmed.get(id);
    if (entry && entry.dueAt === begunAt + this.options.inflightGraceMs) return entry;
    this.options.onFenced?.(op, 1);
    return undefined;
  }

  /** Whether `write` still holds its lease; counts a fence if not. */
  private holds(write: OwedWrite, token: number | undefined, op: FencedOp): boolean {
    if (token !== undefined && token === write.lease) return true;
    this.options.onFenced?.(op, 1);
    return false;
  }

  lease(side: Side, _shard: number, max: number, now: number): Promise<OwedWrite[]> {
    const leaseMs = this.options.leaseMs ?? 30_000;
    const writes: OwedWrite[] = [];
    for (const item of this.queues[side].values()) {
      if (writes.length >= max) break;
      if (item.dueAt > now || (item.leasedUntil !== undefined && item.leasedUntil > now)) continue;
      item.leasedUntil = now + leaseMs;
      writes.push({ side, shard: 0, kind: 'secondary', record: item.record, attempt: item.attempt, ref: String(item.key), lease: item.leasedUntil });
    }
    return Promise.resolve(writes);
  }

  async leaseRecoveries(side: Side, _shard: number, max: number, now: number): Promise<OwedWrite[]> {
    const writes: OwedWrite[] = [];
    for (const [id, entry] of this.unconfirmed) {
      if (writes.length >= max) break;
      if (entry.record.primary !== side || entry.dueAt > now) continue;
      entry.dueAt = now + (this.options.leaseMs ?? 30_000);
      writes.push({ side, shard: 0, kind: 'recovery', record: entry.record, attempt: entry.attempts, ref: id, lease: entry.dueAt });
    }
    return writes;
  }

  complete(writes: OwedWrite[]): Promise<void> {
    for (const write of writes) this.queues[write.side].delete(Number(write.ref));
    return DONE;
  }

  async retry(write: OwedWrite, dueAt: number): Promise<boolean> {
    if (write.kind === 'recovery') {
      const entry = this.unconfirmed.get(write.ref);
      if (!this.holds(write, entry?.dueAt, 'retry')) return false;
      entry!.attempts++;
      entry!.dueAt = dueAt;
      return true;
    }
    const item = this.queues[write.side].get(Number(write.ref));
    if (!this.holds(write, item?.leasedUntil, 'retry')) return false;
    item!.attempt = write.attempt + 1;
    item!.dueAt = dueAt;
    item!.leasedUntil = undefined;
    return true;
  }

  async deadLetter(write: OwedWrite, reason: string, now: number): Promise<boolean> {
    if (write.kind === 'recovery') {
      if (!this.holds(write, this.unconfirmed.get(write.ref)?.dueAt, 'dead_letter')) return false;
      this.unconfirmed.delete(write.ref);
      this.seen.delete(write.ref);
    } else {
      if (!this.holds(write, this.queues[write.side].get(Number(write.ref))?.leasedUntil, 'dead_letter')) return false;
      this.queues[write.side].delete(Number(write.ref));
    }
    const letters = this.dead[write.side];
    letters.push({ ref: `${now}-${this.sequence++}`, side: write.side, kind: write.kind, record: write.record, attempts: write.attempt + 1, reason, at: now });
    if (letters.length > this.options.deadLetterMaxLen) letters.shift();
    return true;
  }

  async counts(): Promise<OutboxCounts> {
    const now = this.clock();
    const counts: OutboxCounts = {
      owed: { old: 0, new: 0 }, retrying: { old: 0, new: 0 }, deadLettered: { old: 0, new: 0 }, unconfirmed: this.unconfirmed.size, waitingCommits: 0,
    };
    for (const side of SIDES) {
      counts.owed[side] = this.queues[side].size;
      for (const item of this.queues[side].values()) if (item.attempt > 0 && item.dueAt > now) counts.retrying[side]++;
      counts.deadLettered[side] = this.dead[side].length;
    }
    return counts;
  }

  async deadLetters(side: Side, limit: number): Promise<DeadLetter[]> {
    return this.dead[side].slice(-limit).reverse();
  }

  /**
   * A secondary letter goes back to its queue; a recovery letter is begun again (due now), so
   * recovery writes the primary and its commit queues the secondary, unless its id is known again.
   */
  async redrive(side: Side, limit: number): Promise<number> {
    const letters = this.dead[side].splice(0, limit);
    const now = this.clock();
    for (const letter of letters) {
      if (letter.kind === 'recovery') {
        const id = letter.record.message.id;
        if (this.seen.has(id)) continue;
        const entry: Seen = { id, record: letter.record, expiresAt: now + this.options.dedupeWindowMs, dueAt: now, attempts: 0 };
        this.seen.set(id, entry);
        this.order.push(entry);
        this.unconfirmed.set(id, entry);
        continue;
      }
      const key = this.sequence++;
      this.queues[side].set(key, { key, record: letter.record, attempt: 0, dueAt: 0 });
    }
    return letters.length;
  }

  async quiesce(): Promise<void> {}

  async close(): Promise<void> {}

  /**
   * Forgets ids past the dedupe window, or beyond `maxIds`, oldest first. An unconfirmed id is
   * never forgotten (recovery still owes it): it goes to the back of the line instead.
   */
  private expire(now: number): void {
    let over = this.seen.size - this.maxIds;
    // Bounded work per call (each step is O(1)); what is left waits for the next sweep.
    for (let budget = SWEEP_BUDGET; budget > 0; budget--) {
      const oldest = this.order.peek();
      if (!oldest) return;
      if (this.seen.get(oldest.id) !== oldest) {
        this.order.shift(); // aborted or dead-lettered since: already gone from `seen`
        continue;
      }
      if (oldest.expiresAt > now && over <= 0) return;
      this.order.shift();
      if (oldest.receipt) {
        this.seen.delete(oldest.id);
        over--;
      } else {
        this.order.push(oldest);
      }
    }
  }
}
