import type { Logger } from 'pino';
import type { MigrationReader, MigrationWriter, SideLimits } from '../../adapters/migration-side.js';
import { toAdapterError } from '../../adapters/adapter-error.js';
import { MigrationConflictError, NoMigrationError, NotAllVerifiedError, RejectedBySideError, SideUnavailableError } from '../../domain/errors.js';
import { estimateCopy, type PlanEstimate, type PlanTotals } from '../../domain/migration/estimate.js';
import { jobPace, type Job, type JobMode, type JobPace, type JobProgress } from '../../domain/migration/job.js';
import type { Mismatch, MismatchKind } from '../../domain/migration/mismatch.js';
import type { Actor } from '../rollout-control.js';
import type { MigrationStore } from '../ports/migration-store.js';
import type { StateStore } from '../ports/state-store.js';
import type { StateView } from '../state-view.js';
import type { MigrationRunner } from './migration-runner.js';
import { SideCaller } from './side-caller.js';
import { NO_MIGRATION_TELEMETRY } from '../ports/migration-telemetry.js';

/** What `cutover migrate plan` shows: what old holds, what the sides allow, and what that means in time. */
export interface MigrationPlan {
  source: string;
  target: string;
  totals: PlanTotals;
  targetLimits: SideLimits;
  rates: { oldReadsPerSecond: number | null; newWritesPerSecond: number | null };
  estimate: PlanEstimate;
  requireVerified: boolean;
  verifiedUsers: number;
}

export interface MigrationStatus extends JobProgress, JobPace {
  verifiedUsers: number;
  /** The instance that answered, and the rates it keeps to now (calls/s; 0 = none). */
  instance: { id: string; rates: { old: number; new: number } };
}

export interface MigrationReport {
  job: Job;
  total: number;
  fixed: number;
  byKind: Partial<Record<MismatchKind, number>>;
  mismatches: Mismatch[];
}

export interface StartRequest {
  mode: JobMode;
  redrive: boolean;
  reason: string;
  /** Verify only: messages younger than this are left to the next verify (they may still be on their way). */
  settleMs: number;
}

export interface MigrationControlOptions {
  store: MigrationStore;
  stateStore: StateStore;
  stateView: StateView;
  runner: MigrationRunner;
  source: MigrationReader;
  target: MigrationWriter;
  instanceId: string;
  logger: Logger;
  pageSize: number;
  oldReadsPerSecond: number;
  newWritesPerSecond: number;
  requireVerified: boolean;
  clock?: () => number;
}

const LISTING_PAGE = 1000;

/**
 * The migration job as operators drive it (admin API, operator role): plan, start, pause, resume,
 * status and the verification report. Every change is audited beside the rollout's changes.
 */
export class MigrationControl {
  private readonly old: SideCaller;

  constructor(private readonly options: MigrationControlOptions) {
    this.old = new SideCaller('old', options.oldReadsPerSecond, NO_MIGRATION_TELEMETRY);
  }

  /** Walks the old side's listings (users, groups, conversations): seconds for a big install. */
  async plan(): Promise<MigrationPlan> {
    const { source, target, oldReadsPerSecond, newWritesPerSecond, pageSize, requireVerified, store } = this.options;
    const totals: PlanTotals = { users: 0, groups: 0, members: 0, conversations: 0, messages: 0 };
    await this.walk((after) => source.users(after, LISTING_PAGE), (items) => { totals.users += items.length; });
    await this.walk((after) => source.groups(after, LISTING_PAGE), (items) => {
      totals.groups += items.length;
      for (const group of items) totals.members += group.memberCount;
    });
    await this.walk((after) => source.conversations(after, LISTING_PAGE), (items) => {
      totals.conversations += items.length;
      for (const conversation of items) totals.messages += conversation.messageCount;
    });
    const limits = target.limits;
    const newRate = [newWritesPerSecond || Infinity, limits.appCallsPerSecond ?? Infinity].reduce((a, b) => Math.min(a, b));
    const rates = { oldReadsPerSecond: oldReadsPerSecond || null, newWritesPerSecond: Number.isFinite(newRate) ? newRate : null };
    const estimate = estimateCopy(totals, {
      oldReadsPerSecond: rates.oldReadsPerSecond ?? undefined,
      // One client's limit, per instance: the plan assumes the instances running now (one, if unknown).
      newWritesPerSecond: rates.newWritesPerSecond ?? limits.writeCallsPerSecond,
      pageSize,
      messagesPerCall: limits.messagesPerCall,
    });
    return { source: source.kind, target: target.kind, totals, targetLimits: limits, rates, estimate, requireVerified, verifiedUsers: await store.verifiedCount() };
  }

  async start(actor: Actor, request: StartRequest): Promise<MigrationStatus> {
    const now = this.now();
    const plan = await this.plan();
    const job: Job = {
      id: `${request.mode}-${now.toString(36)}`,
      mode: request.mode,
      redrive: request.mode === 'verify' && request.redrive,
      status: 'running',
      startedAt: now,
      startedBy: actor.name,
      reason: request.reason,
      finishedAt: null,
      settledBefore: now - request.settleMs,
      expected: plan.totals,
    };
    if (!(await this.options.store.start(job))) {
      const current = await this.options.store.progress();
      throw new MigrationConflictError(`migration job ${current?.job.id} is ${current?.job.status}; wait for it, or pause it and start again once it is done`, { details: { job: current?.job } });
    }
    await this.audit(actor, `migrate-${request.mode}`, request.reason, { job: job.id, redrive: job.redrive, expected: plan.totals });
    await this.options.runner.tick();
    return this.status();
  }

  async pause(actor: Actor, reason: string): Promise<MigrationStatus> {
    return this.move(actor, 'migrate-pause', reason, ['running'], 'paused');
  }

  async resume(actor: Actor, reason: string): Promise<MigrationStatus> {
    return this.move(actor, 'migrate-resume', reason, ['paused'], 'running');
  }

  async status(): Promise<MigrationStatus> {
    const { store, runner, instanceId } = this.options;
    const [progress, verifiedUsers] = await Promise.all([store.progress(), store.verifiedCount()]);
    if (progress === null) throw new NoMigrationError('no migration job ran yet; see what one would move with cutover migrate plan, then cutover migrate start');
    return { ...progress, ...jobPace(progress, this.now()), verifiedUsers, instance: { id: instanceId, rates: runner.rates } };
  }

  /**
   * With the gate on, `complete` moves everyone to new, verified or not: allowed only once the last
   * verify finished with every user it listed verified (else 409, which force overrides).
   */
  async checkAllVerified(): Promise<void> {
    const [progress, verified] = await Promise.all([this.options.store.progress(), this.options.store.verifiedCount()]);
    const users = progress ? (progress.counters['listed.user'] ?? 0) - (progress.counters['missing.user'] ?? 0) : 0;
    const verifiedAll = progress?.job.mode === 'verify' && progress.job.status === 'done' && verified >= users;
    if (!verifiedAll) {
      throw new NotAllVerifiedError(
        `migrate.requireVerified is on and ${progress?.job.mode === 'verify' && progress.job.status === 'done' ? `only ${verified} of ${users} users are verified` : 'no finished verify shows every user verified'}: complete would move the rest to new without their data. Run cutover migrate verify --redrive first, or force with a reason`,
        { details: { verifiedUsers: verified, users, job: progress?.job ?? null } },
      );
    }
  }

  async report(offset: number, limit: number): Promise<MigrationReport> {
    const progress = await this.options.store.progress();
    if (progress === null) throw new NoMigrationError('no migration job ran yet: nothing was verified');
    const mismatches = await this.options.store.mismatches(progress.job.id, offset, limit);
    const byKind: Partial<Record<MismatchKind, number>> = {};
    for (const m of await this.options.store.mismatches(progress.job.id, 0, Number.MAX_SAFE_INTEGER)) byKind[m.kind] = (byKind[m.kind] ?? 0) + 1;
    return { job: progress.job, total: progress.counters.mismatches ?? 0, fixed: progress.counters.fixed ?? 0, byKind, mismatches };
  }

  private async move(actor: Actor, action: string, reason: string, from: Job['status'][], to: Job['status']): Promise<MigrationStatus> {
    const progress = await this.options.store.progress();
    if (progress === null) throw new NoMigrationError('no migration job to change; start one with cutover migrate start');
    if (progress.job.status === to) return this.status();
    if (!(await this.options.store.setStatus(progress.job.id, from, to, this.now()))) {
      throw new MigrationConflictError(`migration job ${progress.job.id} is ${progress.job.status}: it cannot be ${to === 'paused' ? 'paused' : 'resumed'}`, { details: { job: progress.job } });
    }
    await this.audit(actor, action, reason, { job: progress.job.id });
    await this.options.runner.tick();
    return this.status();
  }

  private async audit(actor: Actor, action: string, reason: string, details: Record<string, unknown>): Promise<void> {
    const state = this.options.stateView.current();
    await this.options.stateStore.appendAudit({ at: new Date(this.now()).toISOString(), actor: actor.name, role: actor.role, action, reason, details, before: state, after: state });
    this.options.logger.info({ actor: actor.name, role: actor.role, action, reason, ...details }, 'migration job changed');
  }

  private async walk<T>(read: (after: string | undefined) => Promise<{ items: T[]; next: string | null }>, take: (items: T[]) => void): Promise<void> {
    let after: string | undefined;
    for (;;) {
      const page = await this.old.call(() => read(after)).catch((err: unknown) => {
        const error = toAdapterError(err);
        if (!error.retryable) throw new RejectedBySideError(`the old side refused to list what it holds: ${error.message}`, { cause: error });
        throw new SideUnavailableError(`the old side could not be read after several tries (${error.failure}): ${error.message}; nothing was started`, { retryAfterSeconds: 5, cause: error });
      });
      take(page.items);
      if (page.next === null) return;
      after = page.next;
    }
  }

  private now(): number {
    return (this.options.clock ?? Date.now)();
  }
}
