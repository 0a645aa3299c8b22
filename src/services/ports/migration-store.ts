import type { Counters, Job, JobProgress, JobStatus } from '../../domain/migration/job.js';
import type { Mismatch } from '../../domain/migration/mismatch.js';
import type { ListingPosition, Unit } from '../../domain/migration/units.js';

/** A unit an instance holds until `leaseEnd`, with where it had got to (checkpoint cursor). */
export interface UnitLease {
  key: string;
  unit: Unit;
  /** The old side's cursor after the last page written; undefined = from the start. */
  checkpoint: string | undefined;
  /** True when another instance held it before (it stopped answering and its lease ran out). */
  takenOver: boolean;
}

/**
 * Where a migration job keeps its checkpoints, shared by every instance (Redis) or kept in the
 * process (memory, the embedded default). One job per migration at a time; starting a new one
 * replaces a finished one. Writes by a unit's holder are fenced by owner: an instance whose lease
 * was taken over cannot move that unit's checkpoint or finish it.
 */
export interface MigrationStore {
  /** The current (or last) job with its listing position, counters and open units; null if none ever ran. */
  progress(): Promise<JobProgress | null>;
  /** Starts `job` unless one is running or paused (then false). Clears the last job's units, counters and report. */
  start(job: Job): Promise<boolean>;
  /** Moves a job to `status` iff it is one of `from`; false otherwise. */
  setStatus(jobId: string, from: readonly JobStatus[], status: JobStatus, at: number): Promise<boolean>;
  /**
   * Adds one page of a listing as units and moves the listing to `to`, iff it is still at `from`:
   * instances race for the next page and only one adds it. `counts` adds to the counters.
   */
  advanceListing(jobId: string, from: ListingPosition, to: ListingPosition, units: Unit[], counts: Counters): Promise<boolean>;
  /** The next unit nobody holds (or whose holder's lease ran out), held by `owner` until now + leaseMs. */
  lease(jobId: string, owner: string, now: number, leaseMs: number): Promise<UnitLease | null>;
  /** Extends a held lease; false when `owner` no longer holds it. */
  renew(jobId: string, key: string, owner: string, now: number, leaseMs: number): Promise<boolean>;
  /** Gives a held unit back, for anyone to take from `availableAt` on (now: at once; later: after a failure). */
  release(jobId: string, key: string, owner: string, availableAt: number): Promise<boolean>;
  /** Says `owner` works on the job now; answers how many instances did within the last `windowMs`. */
  heartbeat(owner: string, now: number, windowMs: number): Promise<number>;
  /** Records progress within a unit (fenced); counters add. False when `owner` no longer holds it. */
  checkpoint(jobId: string, key: string, owner: string, cursor: string | null, counts: Counters): Promise<boolean>;
  /**
   * Finishes a unit (fenced), adding its counters and mismatches; `verifiedUsers` are users the unit
   * found matching and `heldUsers` users it found differing (a user is verified when every unit that
   * concerns them matched). When the listing is done and no unit is left, the job moves to finalizing.
   */
  complete(jobId: string, key: string, owner: string, result: UnitResult): Promise<boolean>;
  /** The job's mismatches, oldest first (at most the store's cap; `counters.mismatches` counts them all). */
  mismatches(jobId: string, offset: number, limit: number): Promise<Mismatch[]>;
  /**
   * Once finalizing: makes every user some unit found matching, and none found differing, verified;
   * then the job is done. Safe to run twice (by two instances, or again after a crash).
   */
  finalize(jobId: string, now: number): Promise<void>;
  /** Users verified since `after` (a sequence this returned before; 0 = all), at most `limit`. Verification only grows. */
  verifiedSince(after: number, limit: number): Promise<{ users: string[]; sequence: number }>;
  verifiedCount(): Promise<number>;
  close(): Promise<void>;
}

export interface UnitResult {
  counts: Counters;
  mismatches: Mismatch[];
  verifiedUsers: string[];
  heldUsers: string[];
}
