import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { toAdapterError } from '../../adapters/adapter-error.js';
import type { MigrationReader, MigrationWriter } from '../../adapters/migration-side.js';
import { jobPace, type Counters, type Job, type JobProgress } from '../../domain/migration/job.js';
import { nextPosition, type Unit, type UnitKind } from '../../domain/migration/units.js';
import type { ImportMeter } from '../ports/import-meter.js';
import type { MigrationStore, UnitLease } from '../ports/migration-store.js';
import type { MigrationTelemetry } from '../ports/migration-telemetry.js';
import { copyUnit } from './copy-unit.js';
import { SideCallError, SideCaller } from './side-caller.js';
import type { UnitContext, UnitOutcome } from './unit-context.js';
import { verifyUnit } from './verify-unit.js';

export interface MigrationRunnerOptions {
  store: MigrationStore;
  source: MigrationReader;
  target: MigrationWriter;
  /** This instance, as unit owners are named. */
  owner: string;
  logger: Logger;
  telemetry: MigrationTelemetry;
  /** Told of what each import wrote into the new side (usage metering); none when absent. */
  meter?: ImportMeter;
  pageSize: number;
  /** Units one instance works on at once. */
  concurrency: number;
  leaseMs: number;
  /** Fleet-wide limits (0 = none), shared evenly by the instances working. */
  oldReadsPerSecond: number;
  newWritesPerSecond: number;
  pollMs?: number;
}

/** Listing pages are read at the contract's largest page: each item is only a unit to add. */
const LISTING_PAGE = 1000;
/** An instance that has not said it works for this long no longer counts in the rate split. */
const WORKER_WINDOW_MS = 10_000;
/** A unit that failed (its side kept failing) waits this long before anyone takes it again. */
const FAILED_UNIT_DELAY_MS = 5_000;
const IDLE_MS = 200;

/**
 * Works on the current migration job on this instance: `concurrency` lanes, each holding one unit
 * at a time (any instance may take any unit; a stopped one's units are taken over once their lease
 * ends), adding listing pages as units when none is open. Follows the job's status from the store
 * every poll: a pause or a new job stops the lanes at their next page, each leaving its checkpoint.
 */
export class MigrationRunner {
  private latest: JobProgress | null = null;
  private lanes: Promise<void>[] = [];
  private lanesFor: string | undefined;
  private listing: Promise<boolean> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private stopped = false;
  private readonly old: SideCaller;
  private readonly fresh: SideCaller;

  constructor(private readonly options: MigrationRunnerOptions) {
    this.old = new SideCaller('old', options.oldReadsPerSecond, options.telemetry);
    this.fresh = new SideCaller('new', this.newRate(1), options.telemetry);
  }

  /** The job as this instance last read it. */
  get progress(): JobProgress | null {
    return this.latest;
  }

  /** The rates this instance keeps to now (calls per second; 0 = none). */
  get rates(): { old: number; new: number } {
    return { old: this.old.bucket.rate, new: this.fresh.bucket.rate };
  }

  start(): void {
    this.timer = setInterval(() => void this.tick(), this.options.pollMs ?? 1_000);
    this.timer.unref();
    void this.tick();
  }

  /** Reads the job now (after a start or pause through this instance, so it acts at once). */
  tick(): Promise<void> {
    this.ticking ??= this.poll().finally(() => {
      this.ticking = undefined;
    });
    return this.ticking;
  }

  /** Stops taking units; the lanes leave theirs at the next page, checkpointed and released. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.ticking;
    await Promise.all(this.lanes);
  }

  private async poll(): Promise<void> {
    if (this.stopped) return;
    const { store, logger } = this.options;
    try {
      const [progress, verifiedUsers] = await Promise.all([store.progress(), store.verifiedCount()]);
      this.latest = progress;
      this.options.telemetry.migrationProgress(progress, progress ? jobPace(progress, Date.now()).etaSeconds : null, verifiedUsers);
      const job = progress?.job;
      if (job?.status === 'running') {
        const workers = await store.heartbeat(this.options.owner, Date.now(), WORKER_WINDOW_MS);
        this.old.bucket.setRate(this.options.oldReadsPerSecond / Math.max(1, workers));
        this.fresh.bucket.setRate(this.newRate(workers));
        if (this.lanesFor !== job.id || this.lanes.length === 0) this.startLanes(job);
      } else if (job?.status === 'finalizing') {
        await store.finalize(job.id, Date.now());
      }
    } catch (err) {
      logger.warn({ err: { message: (err as Error).message } }, 'migration: cannot read the job from the store; retrying');
    }
  }

  /** The fleet's new-side rate split among the workers, never above what one client of the side may do. */
  private newRate(workers: number): number {
    const { limits } = this.options.target;
    const shares = [
      this.options.newWritesPerSecond > 0 ? this.options.newWritesPerSecond / workers : Infinity,
      limits.appCallsPerSecond ? limits.appCallsPerSecond / workers : Infinity,
      limits.writeCallsPerSecond ?? Infinity,
    ];
    const rate = Math.min(...shares);
    return Number.isFinite(rate) ? rate : 0;
  }

  private startLanes(job: Job): void {
    this.lanesFor = job.id;
    const lanes = Array.from({ length: this.options.concurrency }, () => this.lane(job.id));
    this.lanes = lanes;
    void Promise.all(lanes).then(() => {
      if (this.lanes === lanes) this.lanes = [];
    });
  }

  private working(jobId: string): boolean {
    const job = this.latest?.job;
    return !this.stopped && job?.id === jobId && job.status === 'running';
  }

  private async lane(jobId: string): Promise<void> {
    const { store, owner, leaseMs, logger } = this.options;
    while (this.working(jobId)) {
      try {
        const lease = await store.lease(jobId, owner, Date.now(), leaseMs);
        if (lease === null) {
          if (!(await this.advanceListing())) await sleep(IDLE_MS);
          continue;
        }
        await this.run(this.latest?.job as Job, lease);
      } catch (err) {
        logger.warn({ err: { message: (err as Error).message } }, 'migration: store call failed; retrying');
        await sleep(IDLE_MS * 5);
      }
    }
  }

  private async run(job: Job, lease: UnitLease): Promise<void> {
    const { store, owner, leaseMs, logger, telemetry, source, target, pageSize, meter } = this.options;
    let lost = false;
    const renewal = setInterval(() => {
      store.renew(job.id, lease.key, owner, Date.now(), leaseMs).then((held) => {
        lost ||= !held;
      }, () => undefined);
    }, Math.max(100, Math.floor(leaseMs / 3)));
    const context: UnitContext = {
      job, lease, source, target, old: this.old, fresh: this.fresh, pageSize, telemetry,
      imported: (conversation, messages, result) => meter?.imported('new', conversation, messages, result),
      checkpoint: (cursor, counts) => store.checkpoint(job.id, lease.key, owner, cursor, counts),
      complete: (result) => store.complete(job.id, lease.key, owner, result),
      stopping: () => lost || !this.working(job.id),
    };
    if (lease.takenOver) logger.info({ unit: lease.key, checkpoint: lease.checkpoint !== undefined }, 'migration: took over a unit whose holder stopped answering');
    let outcome: UnitOutcome;
    try {
      outcome = await (job.mode === 'copy' ? copyUnit(context) : verifyUnit(context));
    } catch (err) {
      const error = toAdapterError(err);
      const side = err instanceof SideCallError ? err.side : undefined;
      if (side) telemetry.migrationError(side, 'unit_failed');
      logger.warn({ unit: lease.key, side, err: { message: error.message, failure: error.failure } }, 'migration: unit failed; it is put back and tried again later');
      await store.release(job.id, lease.key, owner, Date.now() + FAILED_UNIT_DELAY_MS).catch(() => undefined);
      return;
    } finally {
      clearInterval(renewal);
    }
    if (outcome === 'stopped') await store.release(job.id, lease.key, owner, Date.now());
    if (outcome === 'lost') logger.info({ unit: lease.key }, 'migration: another instance holds this unit now; left it');
  }

  /** Adds the next listing page as units, once per instance at a time; false when there is none. */
  private advanceListing(): Promise<boolean> {
    this.listing ??= this.readListingPage().finally(() => {
      this.listing = undefined;
    });
    return this.listing;
  }

  private async readListingPage(): Promise<boolean> {
    const progress = await this.options.store.progress();
    if (progress === null || progress.job.status !== 'running') return false;
    const from = progress.listing;
    if (from.phase === 'done') return false;
    const { units, counts, next } = await this.listingPage(from.phase, from.cursor ?? undefined);
    await this.options.store.advanceListing(progress.job.id, from, nextPosition(from, next), units, counts);
    return true;
  }

  private async listingPage(phase: UnitKind, after: string | undefined): Promise<{ units: Unit[]; counts: Counters; next: string | null }> {
    const { source } = this.options;
    switch (phase) {
      case 'user': {
        const page = await this.old.call(() => source.users(after, LISTING_PAGE));
        return { units: page.items.map((user) => ({ kind: 'user', userId: user.id })), counts: { 'listed.user': page.items.length }, next: page.next };
      }
      case 'group': {
        const page = await this.old.call(() => source.groups(after, LISTING_PAGE));
        return {
          units: page.items.map((group) => ({ kind: 'group', groupId: group.id })),
          counts: { 'listed.group': page.items.length, 'listed.members': page.items.reduce((sum, g) => sum + g.memberCount, 0) },
          next: page.next,
        };
      }
      case 'conversation': {
        const page = await this.old.call(() => source.conversations(after, LISTING_PAGE));
        return {
          units: page.items.map((c) => ({
            kind: 'conversation',
            conversation: c.type === 'channel' ? { type: 'channel', id: c.id } : { type: 'user', a: c.a, b: c.b },
            messageCount: c.messageCount,
          })),
          counts: { 'listed.conversation': page.items.length, 'listed.messages': page.items.reduce((sum, c) => sum + c.messageCount, 0) },
          next: page.next,
        };
      }
    }
  }
}
