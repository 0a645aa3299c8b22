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
  /**
   * A bridged message: the side a client sent it through, which holds it already (the primary); the
   * outbox writes it to the other side only.
   */
  origin?: Side;
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
  /**
   * The lease this write was handed out under, where the implementation fences by a token (a
   * recovery's intent score): settling with a lease that was taken over changes nothing.
   */
  lease?: number;
}

/** What a dead letter was: a secondary write, or a primary that recovery never got confirmed. */
export type WriteKind = OwedWrite['kind'];

export interface DeadLetter {
  ref: string;
  side: Side;
  /** A redrive writes what is still owed: a `recovery` letter the primary first, then the secondary. */
  kind: WriteKind;
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
  /** Commits this instance holds because the outbox did not take them yet; sent once it answers. */
  waitingCommits: number;
}

/** A settling step refused because the caller's lease was taken over (or the write was settled). */
export type FencedOp = 'abort' | 'hand_over' | 'retry' | 'dead_letter' | 'ack';

/**
 * The durable write-ahead outbox. A send calls `begin` (the commit point: from then on the
 * message is owed to both its sides), writes the primary, then `commit`s (which queues the
 * secondary), `abort`s (the primary refused it: nothing is owed anywhere) or `handOver`s (the
 * primary's answer was ambiguous: recovery finishes it). Every settling step is fenced: once
 * another holder took a write over, the first one's late abort, retry or dead letter changes nothing.
 */
export interface Outbox {
  readonly shards: number;
  /** `now` also fences the send's later `abort` or `handOver` (recovery takes it `inflightGrace` after). */
  begin(record: OutboxRecord, now: number): Promise<BeginResult>;
  /**
   * May be batched. A commit the outbox does not take (Redis away) is kept and sent again once it
   * answers; one whose begin the outbox lost (a crash) is recorded anew from `record`.
   */
  commit(record: OutboxRecord, receipt: Receipt): Promise<void>;
  /** Resolves false when recovery already holds the message (it then stands). */
  abort(record: OutboxRecord, begunAt: number): Promise<boolean>;
  /** Recovery takes the message from `dueAt` rather than after the whole grace; false if it already holds it. */
  handOver(record: OutboxRecord, begunAt: number, dueAt: number): Promise<boolean>;

  /** Up to `max` writes owed to `side` in `shard` that are due now, leased to this instance. */
  lease(side: Side, shard: number, max: number, now: number): Promise<OwedWrite[]>;
  /** Unconfirmed primaries on `side` in `shard` older than the grace, leased to this instance. */
  leaseRecoveries(side: Side, shard: number, max: number, now: number): Promise<OwedWrite[]>;
  /** Secondary writes that reached their side. */
  complete(writes: OwedWrite[]): Promise<void>;
  /** Try again at `dueAt`; false (nothing changed) if the lease was taken over. */
  retry(write: OwedWrite, dueAt: number): Promise<boolean>;
  /** Give up on a write: it moves to the side's dead-letter list, never silently dropped; false as for `retry`. */
  deadLetter(write: OwedWrite, reason: string, now: number): Promise<boolean>;
  counts(): Promise<OutboxCounts>;
  deadLetters(side: Side, limit: number): Promise<DeadLetter[]>;
  /** Puts up to `limit` dead letters of `side` (oldest first) back, each as the write it was, tries reset. */
  redrive(side: Side, limit: number): Promise<number>;
  /**
   * Resolves once every append and commit already made has reached the outbox: at shutdown, after
   * the last request, so the workers' last pass sees every write this instance queued.
   */
  quiesce(): Promise<void>;
  close(): Promise<void>;
}
