import type { OutboundMessage, Side } from '../../domain/message.js';

/** What the outbox keeps per message: the message and where it must go. */
export interface OutboxRecord {
  message: OutboundMessage;
  primary: Side;
  secondary: Side | null;
  /** State version the route was decided at (for logs and audits of odd routes). */
  stateVersion: number;
  /**
   * The caller chose the id (an idempotency key) rather than the gateway: only then can a later
   * request reuse it for different content, so only then must the outbox remember the content.
   */
  idFromCaller: boolean;
}

/** What a sender is told; replayed as-is to a retry of the same message id. */
export interface Receipt {
  id: string;
  primary: Side;
  secondary: Side | null;
  stateVersion: number;
  acceptedAt: number;
}

export type BeginResult =
  | { status: 'new' }
  | { status: 'duplicate'; receipt: Receipt }
  | { status: 'in_flight' }
  | { status: 'mismatch' };

/**
 * A write still owed to one side. `recovery` writes are primaries whose request died before it
 * confirmed them (the gateway was killed): delivering one then commits it like a live request.
 */
export interface OwedWrite {
  side: Side;
  shard: number;
  kind: 'secondary' | 'recovery';
  record: OutboxRecord;
  /** Tries already made (0 for the first). */
  attempt: number;
  /** The implementation's handle (stream entry id, ...). */
  ref: string;
}

export interface DeadLetter {
  ref: string;
  side: Side;
  record: OutboxRecord;
  attempts: number;
  reason: string;
  at: number;
}

export interface OutboxCounts {
  /** Writes owed per side: queued, retrying and unconfirmed primaries. */
  owed: Record<Side, number>;
  retrying: Record<Side, number>;
  deadLettered: Record<Side, number>;
  /** Primaries begun but not yet confirmed (in flight, or awaiting recovery). */
  unconfirmed: number;
}

/**
 * The durable write-ahead outbox. A send calls `begin` (the commit point: from then on the
 * message is owed to both its sides), writes the primary, then `commit`s (which queues the
 * secondary) or `abort`s (the primary refused it: nothing is owed anywhere).
 */
export interface Outbox {
  readonly shards: number;
  begin(record: OutboxRecord, now: number): Promise<BeginResult>;
  /** May be batched; a commit lost in a crash is redone by recovery after the in-flight grace. */
  commit(record: OutboxRecord, receipt: Receipt): Promise<void>;
  abort(record: OutboxRecord): Promise<void>;

  /** Up to `max` writes owed to `side` in `shard` that are due now, leased to this instance. */
  lease(side: Side, shard: number, max: number, now: number): Promise<OwedWrite[]>;
  /** Unconfirmed primaries on `side` in `shard` older than the grace, leased to this instance. */
  leaseRecoveries(side: Side, shard: number, max: number, now: number): Promise<OwedWrite[]>;
  /** Secondary writes that reached their side. */
  complete(writes: OwedWrite[]): Promise<void>;
  /** Try again at `dueAt`. */
  retry(write: OwedWrite, dueAt: number): Promise<void>;
  /** Give up on a write: it moves to the side's dead-letter list, never silently dropped. */
  deadLetter(write: OwedWrite, reason: string, now: number): Promise<void>;
  counts(): Promise<OutboxCounts>;
  deadLetters(side: Side, limit: number): Promise<DeadLetter[]>;
  /** Puts up to `limit` dead letters of `side` (oldest first) back in its queue, tries reset. */
  redrive(side: Side, limit: number): Promise<number>;
  /**
   * Resolves once every append and commit already made has reached the outbox: at shutdown, after
   * the last request, so the workers' last pass sees every write this instance queued.
   */
  quiesce(): Promise<void>;
  close(): Promise<void>;
}
