import type { Counters, Job, JobProgress, JobStatus } from '../../domain/migration/job.js';
import type { Mismatch } from '../../domain/migration/mismatch.js';
import { LISTING_START, unitKey, type ListingPosition, type Unit } from '../../domain/migration/units.js';
import type { MigrationStore, UnitLease, UnitResult } from '../../services/ports/migration-store.js';

interface OpenUnit {
  unit: Unit;
  /** 0 = nobody holds it; else the time the holder's lease runs out. */
  leaseEnd: number;
  owner: string | undefined;
  checkpoint: string | undefined;
  /** Set once a holder lost it to expiry, so the next holder knows it takes over. */
  held: boolean;
}

/** Mismatches kept for the report; the counter counts them all. */
export const MISMATCHES_KEPT = 10_000;

/** The embedded default's migration store: the Redis store's twin, in this process only. */
export class MemoryMigrationStore implements MigrationStore {
  private job: Job | undefined;
  private listing: ListingPosition = LISTING_START;
  private counters: Counters = {};
  private units = new Map<string, OpenUnit>();
  private found: Mismatch[] = [];
  private candidates = new Set<string>();
  private held = new Set<string>();
  private readonly verified = new Map<string, number>();
  private sequence = 0;
  private readonly workers = new Map<string, number>();

  async progress(): Promise<JobProgress | null> {
    if (this.job === undefined) return null;
    const now = Date.now();
    let leased = 0;
    for (const unit of this.units.values()) if (unit.leaseEnd > now) leased++;
    return { job: { ...this.job }, listing: { ...this.listing }, counters: { ...this.counters }, units: { open: this.units.size, leased } };
  }

  async start(job: Job): Promise<boolean> {
    if (this.job && (this.job.status === 'running' || this.job.status === 'paused' || this.job.status === 'finalizing')) return false;
    this.job = { ...job };
    this.listing = LISTING_START;
    this.counters = {};
    this.units = new Map();
    this.found = [];
    this.candidates = new Set();
    this.held = new Set();
    return true;
  }

  async setStatus(jobId: string, from: readonly JobStatus[], status: JobStatus, at: number): Promise<boolean> {
    const job = this.current(jobId);
    if (!job || !from.includes(job.status)) return false;
    job.status = status;
    if (status === 'done') job.finishedAt = at;
    return true;
  }

  async advanceListing(jobId: string, from: ListingPosition, to: ListingPosition, units: Unit[], counts: Counters): Promise<boolean> {
    if (!this.current(jobId) || this.listing.phase !== from.phase || this.listing.cursor !== from.cursor) return false;
    this.listing = { ...to };
    for (const unit of units) {
      const key = unitKey(unit);
      if (!this.units.has(key)) this.units.set(key, { unit, leaseEnd: 0, owner: undefined, checkpoint: undefined, held: false });
    }
    this.add(counts);
    const job = this.job as Job;
    if (to.phase === 'done' && this.units.size === 0 && job.status === 'running') job.status = 'finalizing';
    return true;
  }

  async lease(jobId: string, owner: string, now: number, leaseMs: number): Promise<UnitLease | null> {
    if (this.current(jobId)?.status !== 'running') return null;
    for (const [key, open] of this.units) {
      if (open.leaseEnd > now) continue;
      const takenOver = open.held && open.owner !== owner;
      if (takenOver) this.add({ takenOver: 1 });
      open.leaseEnd = now + leaseMs;
      open.owner = owner;
      open.held = true;
      return { key, unit: open.unit, checkpoint: open.checkpoint, takenOver };
    }
    return null;
  }

  async renew(jobId: string, key: string, owner: string, now: number, leaseMs: number): Promise<boolean> {
    const open = this.holding(jobId, key, owner);
    if (!open) return false;
    open.leaseEnd = now + leaseMs;
    return true;
  }

  async release(jobId: string, key: string, owner: string, availableAt: number): Promise<boolean> {
    const open = this.holding(jobId, key, owner);
    if (!open) return false;
    open.leaseEnd = availableAt;
    return true;
  }

  async heartbeat(owner: string, now: number, windowMs: number): Promise<number> {
    this.workers.set(owner, now);
    let live = 0;
    for (const [name, at] of this.workers) {
      if (at > now - windowMs) live++;
      else this.workers.delete(name);
    }
    return live;
  }

  async checkpoint(jobId: string, key: string, owner: string, cursor: string | null, counts: Counters): Promise<boolean> {
    const open = this.holding(jobId, key, owner);
    if (!open) return false;
    open.checkpoint = cursor ?? undefined;
    this.add(counts);
    return true;
  }

  async complete(jobId: string, key: string, owner: string, result: UnitResult): Promise<boolean> {
    const job = this.current(jobId);
    if (!job || !this.holding(jobId, key, owner)) return false;
    this.units.delete(key);
    this.add(result.counts);
    this.add({ mismatches: result.mismatches.length, fixed: result.mismatches.filter((m) => m.fixed).length });
    for (const mismatch of result.mismatches) if (this.found.length < MISMATCHES_KEPT) this.found.push(mismatch);
    for (const user of result.verifiedUsers) this.candidates.add(user);
    for (const user of result.heldUsers) this.held.add(user);
    if (this.listing.phase === 'done' && this.units.size === 0 && job.status === 'running') job.status = 'finalizing';
    return true;
  }

  async mismatches(jobId: string, offset: number, limit: number): Promise<Mismatch[]> {
    return this.current(jobId) ? this.found.slice(offset, offset + limit) : [];
  }

  async finalize(jobId: string, now: number): Promise<void> {
    const job = this.current(jobId);
    if (!job || job.status !== 'finalizing') return;
    for (const user of this.candidates) {
      if (!this.held.has(user) && !this.verified.has(user)) this.verified.set(user, ++this.sequence);
    }
    job.status = 'done';
    job.finishedAt = now;
  }

  async verifiedSince(after: number, limit: number): Promise<{ users: string[]; sequence: number }> {
    const users: string[] = [];
    let sequence = after;
    // Insertion order is sequence order: each user has its own number.
    for (const [user, seq] of this.verified) {
      if (seq <= after) continue;
      if (users.length >= limit) break;
      users.push(user);
      sequence = seq;
    }
    return { users, sequence };
  }

  async verifiedCount(): Promise<number> {
    return this.verified.size;
  }

  async close(): Promise<void> {}

  private current(jobId: string): Job | undefined {
    return this.job?.id === jobId ? this.job : undefined;
  }

  private holding(jobId: string, key: string, owner: string): OpenUnit | undefined {
    if (!this.current(jobId)) return undefined;
    const open = this.units.get(key);
    return open && open.owner === owner ? open : undefined;
  }

  private add(counts: Counters): void {
    for (const [name, value] of Object.entries(counts) as Array<[keyof Counters, number]>) {
      if (value) this.counters[name] = (this.counters[name] ?? 0) + value;
    }
  }
}
